"""The annual cap per enterprise and calendar year of paid_on (domain.md §4.5)."""

from __future__ import annotations


def allocate_annual_cap(computed_fen: list[int], cap_fen: int) -> list[tuple[int, int]]:
    """(granted_fen, capped_fen) per record, the records already in §4.5 order.

    Each record takes min(computed, what is left of the cap); capped is the rest.
    """
    left_fen = max(0, cap_fen)
    allocation = []
    for amount_fen in computed_fen:
        granted_fen = max(0, min(amount_fen, left_fen))
        left_fen -= granted_fen
        allocation.append((granted_fen, amount_fen - granted_fen))
    return allocation


def allocate_annual_cap_by_record(
    computed_fen: list[int], caps_fen: list[int]
) -> list[tuple[int, int]]:
    """Like allocate_annual_cap, with each record's cap from its own policy version.

    A later version may lower or raise the cap mid-year; each record may use what is left
    under the cap of the version it is computed with (never below zero).
    """
    used_fen = 0
    out: list[tuple[int, int]] = []
    for amount_fen, cap_fen in zip(computed_fen, caps_fen, strict=True):
        granted_fen = max(0, min(amount_fen, cap_fen - used_fen))
        used_fen += granted_fen
        out.append((granted_fen, amount_fen - granted_fen))
    return out
