"""The books as the API shows them: closing a month, the trial balance, yuan as fen."""

from __future__ import annotations

from decimal import Decimal

from tests.support.api import ok


def fen(text: str | None) -> int:
    """A yuan string of the API as integer fen (through Decimal, never a float)."""
    value = Decimal(text) * 100
    assert value == value.to_integral_value(), text
    return int(value)


def close(staff, period: str, role: str = "clerk"):
    return staff.request(role, "POST", f"/periods/{period}/close")


def trial_balance(staff) -> dict:
    return ok(staff.request("auditor", "GET", "/ledger/trial-balance"))


def balances(staff) -> dict[str, int]:
    return {a["code"]: fen(a["balance"]) for a in trial_balance(staff)["accounts"]}
