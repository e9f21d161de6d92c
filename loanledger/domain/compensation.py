"""Risk compensation: claim size, recovery shares, what the pool can pay now (domain.md §5)."""

from __future__ import annotations

from fractions import Fraction

from .money import round_half_up
from .policy import Policy

Tier = tuple[int | None, Fraction]  # (up_to_fen or None for no limit, ratio)


def tier_ratio(principal_fen: int, tiers: tuple[Tier, ...] | list[Tier]) -> Fraction:
    """The ratio of the first tier whose up_to >= principal (None = no limit)."""
    for up_to_fen, ratio in tiers:
        if up_to_fen is None or principal_fen <= up_to_fen:
            return ratio
    # Policy validation makes the last tier open-ended, so this is a programmer error.
    raise ValueError(f"no compensation tier covers a principal of {principal_fen} fen")


def claim_compensation(
    loss_base_fen: int, principal_fen: int, policy: Policy
) -> tuple[Fraction, int]:
    """(tier ratio, min(round_half_up(loss_base x ratio), claim cap per loan))."""
    ratio = tier_ratio(principal_fen, policy.compensation_tiers)
    return ratio, min(round_half_up(loss_base_fen * ratio), policy.claim_cap_per_loan_fen)


def recovery_shares(
    recoveries_fen: list[int], compensation_fen: int, loss_base_fen: int
) -> list[int]:
    """The pool's share (positive fen) of each recovery, in the order received.

    Each is round_half_up(amount x compensation / loss_base), cut so that the shares
    of one claim never add up to more than its compensation. Each share depends only on
    the recoveries before it, so shares computed in earlier closes never change.
    """
    if loss_base_fen <= 0:
        raise ValueError("a claim's loss base is above zero")
    shares: list[int] = []
    left_fen = compensation_fen
    for amount_fen in recoveries_fen:
        share_fen = round_half_up(Fraction(amount_fen * compensation_fen, loss_base_fen))
        share_fen = max(0, min(share_fen, left_fen))
        left_fen -= share_fen
        shares.append(share_fen)
    return shares


def pool_grant(wanted_fen: int, cash_fen: int, owed_by_bank: dict[str, int], bank: str) -> int:
    """The largest x in [0, wanted] with Σ_b max(0, owed_b + [b == bank]·x) <= cash.

    A bank owed a negative amount (recovery shares above its compensation lines) does not
    free cash for the others, hence max(0, ·) per bank.
    """
    others_fen = sum(max(0, owed) for b, owed in owed_by_bank.items() if b != bank)
    room_fen = cash_fen - others_fen
    if room_fen < 0:
        return 0  # already over-committed: pay nothing more
    return max(0, min(wanted_fen, room_fen - owed_by_bank.get(bank, 0)))
