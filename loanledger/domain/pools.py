"""Risk pools (domain.md §2, §5, v2): what a pool code may be, and coverage at registration.

Coverage is decided once, when a loan is registered, by its product's pool: first the pool's
eligibility (a linked filing, a list membership, or anyone), then the pool's capacity. A loan
that fails eligibility takes none of the capacity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from .vocabulary import Coverage, PoolEligibility

# Risk accounts carry the pool (`1202:{pool}:{bank}`, domain.md §10) in a posting's 48
# characters next to a bank code of up to 32: 5 + 10 + 1 + 32 = 48. No ':' (the separator).
POOL_CODE_MAX = 10
POOL_CODE_PATTERN = rf"^[A-Za-z0-9_-]{{1,{POOL_CODE_MAX}}}$"
SZD = "SZD"  # the pool every database starts with (数字贷风险补偿资金池)


def pool_code_valid(code: object) -> bool:
    return isinstance(code, str) and re.fullmatch(POOL_CODE_PATTERN, code, re.ASCII) is not None


@dataclass(frozen=True)
class FilingAtRegistration:
    """The filing a loan is linked to when it is registered, as eligibility `filing` reads it."""

    approved_on: date
    revoked: bool  # a revocation is recorded, whatever its effective date
    earliest_start: date | None  # the earliest start_date of its loans, this one included


def filing_covers(filing: FilingAtRegistration | None, lapse_days: int) -> bool:
    """Eligibility `filing`: linked to a filing that is not revoked and has not lapsed, i.e.
    some loan of it (this one counts) starts within `lapse_days` of its approval (§3)."""
    if filing is None or filing.revoked or filing.earliest_start is None:
        return False
    return filing.earliest_start <= filing.approved_on + timedelta(days=lapse_days)


def eligible(kind: str, *, filing_ok: bool, listed: bool) -> bool:
    """The pool's eligibility rule of §5 for one loan."""
    if kind == PoolEligibility.ANY:
        return True
    if kind == PoolEligibility.FILING:
        return filing_ok
    if kind == PoolEligibility.ENTERPRISE_LIST:
        return listed
    raise ValueError(f"unknown pool eligibility {kind!r}")


def coverage(
    pool: str | None, is_eligible: bool, covered_fen: int, principal_fen: int, capacity_fen: int
) -> Coverage:
    """No pool: not_covered. Not eligible: not_covered_eligibility. Else covered while the
    pool's covered principal plus this one stays within cash × leverage."""
    if pool is None:
        return Coverage.NOT_COVERED
    if not is_eligible:
        return Coverage.NOT_COVERED_ELIGIBILITY
    if covered_fen + principal_fen <= capacity_fen:
        return Coverage.COVERED
    return Coverage.NOT_COVERED_CAPACITY
