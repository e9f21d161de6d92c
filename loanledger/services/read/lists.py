"""Enterprise lists (名录库, domain.md §2 v2): who is on a list on a date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanledger.persistence.tables import EnterpriseListMember
from loanledger.services.facts import in_sets, reader


def listed_on(
    db: Session, list_code: str, wanted: Iterable[tuple[str, dt.date]]
) -> set[tuple[str, dt.date]]:
    """The (uscc, date) pairs of `wanted` whose enterprise is a member of the list on that date
    (`from_on` ≤ date ≤ `to_on`, both inclusive; no `to_on` = still a member). One query per
    set of enterprises, so a bulk registration asks once."""
    by_uscc: dict[str, set[dt.date]] = {}
    for uscc, on in wanted:
        by_uscc.setdefault(uscc, set()).add(on)
    found: set[tuple[str, dt.date]] = set()
    query = select(
        EnterpriseListMember.uscc, EnterpriseListMember.from_on, EnterpriseListMember.to_on
    ).where(EnterpriseListMember.list_code == list_code)
    for where in in_sets(db, EnterpriseListMember.uscc, sorted(by_uscc)):
        for uscc, from_on, to_on in reader(db).execute(query.where(where)):
            found.update(
                (uscc, on)
                for on in by_uscc[uscc]
                if from_on <= on and (to_on is None or on <= to_on)
            )
    return found
