"""Enterprise lists (名录库, domain.md §2 v2): who is on a list on a date; the lists, their
counts and their members (GET /enterprise-lists…, the 名录库 pages). The writes are in
`services.enterprise_lists` and `services.list_import`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Row, and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session

from loanledger.persistence.tables import Enterprise, EnterpriseList, EnterpriseListMember
from loanledger.services.facts import in_sets, reader
from loanledger.services.read.paging import Page, keyset_page
from loanledger.services.read.sorting import NumberedPage, Sort, Sorts, numbered_page


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


# ------------------------------------------------------------------ the lists and their members
def enterprise_lists(db: Session, *, limit: int, cursor: str | None) -> Page:
    """Every list, by list_code."""
    return keyset_page(
        db, select(EnterpriseList.__table__), [EnterpriseList.list_code], limit=limit, cursor=cursor
    )


def enterprise_lists_numbered(db: Session, page: int, *, size: int) -> NumberedPage:
    """Page `page` of the lists by list_code, with their count (the 名录库 page)."""
    code = EnterpriseList.list_code
    return numbered_page(db, select(EnterpriseList.__table__), [code], page, size)


def enterprise_list(db: Session, list_code: str) -> Row | None:
    if "\x00" in list_code:  # a path can carry one; PostgreSQL text cannot
        return None
    return db.execute(
        select(EnterpriseList.__table__).where(EnterpriseList.list_code == list_code)
    ).one_or_none()


@dataclass(frozen=True)
class ListCounts:
    member_count: int  # enterprises with any membership in the list
    members_on: int  # enterprises that are members on the date asked about


def list_counts(db: Session, list_codes: Iterable[str], on: dt.date) -> dict[str, ListCounts]:
    """list_code → its counts (zero for a list without members)."""
    codes = sorted(set(list_codes))
    if not codes:
        return {}
    m = EnterpriseListMember
    in_force = and_(m.from_on <= on, or_(m.to_on.is_(None), m.to_on >= on))
    rows = db.execute(
        select(
            m.list_code,
            func.count(distinct(m.uscc)),
            func.count(distinct(case((in_force, m.uscc)))),
        )
        .where(m.list_code.in_(codes))
        .group_by(m.list_code)
    )
    counts = {code: ListCounts(int(every), int(now)) for code, every, now in rows}
    return {code: counts.get(code, ListCounts(0, 0)) for code in codes}


def _members_of(list_code: str, on: dt.date | None):
    m = EnterpriseListMember
    stmt = (
        select(m.__table__, Enterprise.name)
        .join(Enterprise, Enterprise.uscc == m.uscc)
        .where(m.list_code == list_code)
    )
    if on is not None:
        stmt = stmt.where(m.from_on <= on, or_(m.to_on.is_(None), m.to_on >= on))
    return stmt


def list_members(
    db: Session, list_code: str, on: dt.date | None = None, *, limit: int, cursor: str | None
) -> Page:
    """The list's memberships (those in force on `on` when given) with the enterprise's
    name, by USCC and then from_on."""
    m = EnterpriseListMember
    stmt = _members_of(list_code, on)
    return keyset_page(db, stmt, [m.uscc, m.from_on], limit=limit, cursor=cursor)


MEMBER_SORTS = Sorts(
    {
        "uscc": EnterpriseListMember.uscc,
        "name": Enterprise.name,
        "from": EnterpriseListMember.from_on,
        "to": EnterpriseListMember.to_on,
    },
    Sort("uscc"),
    [EnterpriseListMember.uscc, EnterpriseListMember.from_on],
)


def list_members_numbered(
    db: Session,
    list_code: str,
    on: dt.date | None,
    page: int,
    sort: Sort = MEMBER_SORTS.default,
    *,
    size: int,
) -> NumberedPage:
    """Page `page` of `list_members` in `sort` order, with their count (the list's page)."""
    return numbered_page(db, _members_of(list_code, on), MEMBER_SORTS.order_by(sort), page, size)
