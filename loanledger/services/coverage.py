"""Coverage at registration (domain.md §5, v2), for one loan or a bulk request alike.

What the rules read is loaded once per request, set-based: each pool's cash, leverage and
covered principal (only for the pools the request's products name), the list memberships of
the request's enterprises on their loans' start dates (one query per list), and the earliest
start_date of the loans of their filings. As loans are accepted, their principal is added to
their pool and their start date to their filing, so the tenth loan of a request sees the nine
before it exactly as if they had been registered one by one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loanledger.domain import pools as rules
from loanledger.domain.policy import Policy, pool_policy
from loanledger.domain.vocabulary import Coverage, PoolEligibility
from loanledger.persistence.tables import Filing, Loan, Product, RiskPool
from loanledger.services import pools
from loanledger.services.facts import chunks


class PoolCoverage:
    def __init__(
        self,
        db: Session,
        items: list[dict[str, Any]],
        products: dict[str, Product],
        filing_nos: list[str],
        policy: Policy,
    ):
        self.db, self.policy = db, policy
        wanted = sorted({p.risk_pool for p in products.values() if p.risk_pool})
        self.pools = {
            p.pool_code: p
            for p in db.scalars(select(RiskPool).where(RiskPool.pool_code.in_(wanted)))
        }
        self.capacity_fen = {
            code: pools.pool_cash(db, code) * pool_policy(policy, code).pool_leverage
            for code in self.pools
        }
        self.covered_fen = {code: pools.covered_principal(db, code) for code in self.pools}
        self.listed = self._memberships(items, products)
        self.starts = _earliest_starts(db, filing_nos)

    def _memberships(
        self, items: list[dict[str, Any]], products: dict[str, Product]
    ) -> set[tuple[str, str, dt.date]]:
        """(list_code, uscc, start_date) of the request's loans whose enterprise is on the list
        of their product's pool on that date."""
        # services.read reads loans through services.intake, which builds this class: not
        # imported at the top, where it would be a cycle.
        from loanledger.services.read import listed_on

        found: set[tuple[str, str, dt.date]] = set()
        for pool in self.pools.values():
            if pool.eligibility != PoolEligibility.ENTERPRISE_LIST or pool.list_code is None:
                continue
            codes = {c for c, p in products.items() if p.risk_pool == pool.pool_code}
            pairs = {(d["uscc"], d["start_date"]) for d in items if d["product_code"] in codes}
            listed = listed_on(self.db, pool.list_code, pairs)
            found |= {(pool.list_code, uscc, on) for uscc, on in listed}
        return found

    def decide(self, product: Product, data: dict[str, Any], filing: Filing | None) -> str:
        """The loan's coverage; an accepted loan then counts for the next ones."""
        if filing is not None:
            known = self.starts.get(filing.filing_no)
            if known is None or data["start_date"] < known:
                self.starts[filing.filing_no] = data["start_date"]
        pool = self.pools.get(product.risk_pool) if product.risk_pool else None
        if pool is None:
            return rules.coverage(None, False, 0, 0, 0)
        eligible = rules.eligible(
            pool.eligibility,
            filing_ok=self._filing_ok(filing),
            listed=(pool.list_code, data["uscc"], data["start_date"]) in self.listed,
        )
        code = pool.pool_code
        result = rules.coverage(
            code, eligible, self.covered_fen[code], data["principal"], self.capacity_fen[code]
        )
        if result == Coverage.COVERED:
            self.covered_fen[code] += data["principal"]
        return result

    def _filing_ok(self, filing: Filing | None) -> bool:
        if filing is None:
            return False
        at_registration = rules.FilingAtRegistration(
            approved_on=filing.approved_on,
            revoked=filing.revoked_on is not None,
            earliest_start=self.starts.get(filing.filing_no),
        )
        return rules.filing_covers(at_registration, self.policy.filing_lapse_days)


def _earliest_starts(db: Session, filing_nos: list[str]) -> dict[str, dt.date]:
    """filing_no → the earliest start_date among the loans linked to it (none: absent)."""
    out: dict[str, dt.date] = {}
    for c in chunks(sorted(set(filing_nos))):
        for filing_no, first in db.execute(
            select(Loan.filing_no, func.min(Loan.start_date))
            .where(Loan.filing_no.in_(c))
            .group_by(Loan.filing_no)
        ):
            if filing_no is not None and first is not None:
                out[filing_no] = first
    return out
