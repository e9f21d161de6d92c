"""Reference data every database starts with: the LPR table, the chart of accounts,
policy version 1 and risk pool SZD (domain.md §2 v2). Inserts only what is missing, so `loanledger init` can run again.

The business date is deliberately NOT seeded: a fresh database accepts any first date.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanledger.domain.ledger import ACCOUNT_KINDS, ACCOUNT_NAMES, ACCOUNT_NAMES_ZH
from loanledger.domain.money import parse_rate
from loanledger.domain.policy import DEFAULT_POLICY_DOC
from loanledger.domain.vocabulary import PoolEligibility
from loanledger.persistence.tables import Account, LprRate, PolicyVersion, RiskPool

# Records are computed with the policy in force on their paid_on: v1 must cover the past.
POLICY_V1_IN_FORCE_FROM = dt.date(2000, 1, 1)
SEED_ACTOR = "system"


def lpr_rows() -> list[LprRate]:
    text = resources.files("loanledger.data").joinpath("lpr.csv").read_text(encoding="utf-8")
    return [
        LprRate(
            published_on=dt.date.fromisoformat(row["published_on"]),
            lpr_1y_e4=parse_rate(row["lpr_1y"]),
            lpr_5y_e4=parse_rate(row["lpr_5y"]),
        )
        for row in csv.DictReader(text.splitlines())
    ]


def account_rows() -> list[Account]:
    return [
        Account(code=code, name=name, name_zh=ACCOUNT_NAMES_ZH[code], kind=ACCOUNT_KINDS[code])
        for code, name in ACCOUNT_NAMES.items()
    ]


def seed_lpr(db: Session) -> int:
    known = set(db.scalars(select(LprRate.published_on)))
    missing = [row for row in lpr_rows() if row.published_on not in known]
    db.add_all(missing)
    return len(missing)


def seed_accounts(db: Session) -> int:
    known = set(db.scalars(select(Account.code)))
    missing = [row for row in account_rows() if row.code not in known]
    db.add_all(missing)
    return len(missing)


def seed_policy(db: Session) -> int:
    if db.get(PolicyVersion, 1) is not None:
        return 0
    db.add(
        PolicyVersion(
            version=1,
            in_force_from=POLICY_V1_IN_FORCE_FROM,
            document=copy.deepcopy(DEFAULT_POLICY_DOC),
            created_by=SEED_ACTOR,
        )
    )
    return 1


# The one pool of version 1, which every database has (migration 0009 makes it in a database
# that existed before pools).
SZD_POOL = {
    "pool_code": "SZD",
    "name": "数字贷风险补偿资金池",
    "operator": "中盈投资",
    "eligibility": PoolEligibility.FILING.value,
    "list_code": None,
}


def seed_risk_pools(db: Session) -> int:
    if db.get(RiskPool, SZD_POOL["pool_code"]) is not None:
        return 0
    db.add(RiskPool(**SZD_POOL))
    return 1


def seed(db: Session) -> dict[str, int]:
    """Adds the missing reference rows (the caller commits); returns how many of each."""
    return {
        "lpr_rates": seed_lpr(db),
        "accounts": seed_accounts(db),
        "policy_versions": seed_policy(db),
        "risk_pools": seed_risk_pools(db),
    }
