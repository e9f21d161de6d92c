"""A payee's total in one batch (domain.md §7)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PayeeTotal:
    total_fen: int
    pays_fen: int  # max(0, total): what the batch pays this payee
    carried_out_fen: int  # min(0, total): a negative total becomes a receivable, carried on


def payee_total(line_amounts_fen: list[int]) -> PayeeTotal:
    total_fen = sum(line_amounts_fen)
    return PayeeTotal(total_fen, max(0, total_fen), min(0, total_fen))
