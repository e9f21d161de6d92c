"""Enterprise lists (名录库, domain.md §2 v2): a list, and the memberships of enterprises in it.

A membership is [from_on, to_on], both inclusive, to_on None = still a member. The
memberships of one enterprise in one list never overlap: that is what makes "the same
membership" well defined. Stating a membership (`put_member`, a row of an import) means:

- it overlaps no membership of that enterprise in that list → a new membership (`added`);
  one that only touches another (ends the day before it starts) is new too, never merged;
- it overlaps exactly one → that membership's dates become the stated ones (`changed`, or
  `unchanged` when they already were): the stated interval replaces the stored one, so a
  membership is ended by stating its `to`, and an open `to` reopens it;
- it overlaps two or more → 409 `invalid_state`: change them one at a time.

Who is a member on a date is `read.listed_on`; the lists, a list's members and the counts
are read in `services.read.lists`. Coverage is decided when a loan is registered (domain.md
§5), so a changed membership moves nothing the close computes: no scope is marked dirty.

Each function takes the request's Session, flushes and never commits; every change is
audited (`enterprise_list.create`, `enterprise_list_member.add` / `.change`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loanledger.domain.errors import DomainError
from loanledger.domain.uscc import uscc_valid
from loanledger.persistence.tables import Enterprise, EnterpriseList, EnterpriseListMember
from loanledger.services import audit, locks
from loanledger.services.errors import Conflict
from loanledger.services.facts import in_sets

ADDED, CHANGED, UNCHANGED = "added", "changed", "unchanged"


def list_lock(list_code: str) -> str:
    """The advisory lock that serialises changes to one list's memberships (PostgreSQL)."""
    return f"loanledger:enterprise-list:{list_code}"


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


# ====================================================================== the wire
def list_doc(row: EnterpriseList | Row) -> dict[str, Any]:
    return {"list_code": row.list_code, "name": row.name}


def membership_doc(m: EnterpriseListMember | Row) -> dict[str, Any]:
    """A membership under its wire names (`from`, `to`: dates)."""
    return {"list_code": m.list_code, "uscc": m.uscc, "from": m.from_on, "to": m.to_on}


def _audit_image(m: EnterpriseListMember) -> dict[str, Any]:
    return {**membership_doc(m), "from": _iso(m.from_on), "to": _iso(m.to_on)}


# ====================================================================== lists
def create_list(db: Session, list_code: str, name: str, actor: str) -> tuple[EnterpriseList, bool]:
    """(list, created). The same name again is a no-op; another name → 409 invalid_state."""
    existing = db.get(EnterpriseList, list_code)
    if existing is not None:
        if existing.name == name:
            return existing, False
        raise Conflict(
            "invalid_state", f"enterprise list {list_code} exists with another name", "list_code"
        )
    row = EnterpriseList(list_code=list_code, name=name)
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:  # the same code, inserted meanwhile (PostgreSQL)
        raise Conflict(
            "invalid_state", f"enterprise list {list_code} exists", "list_code"
        ) from None
    audit.record(
        db, actor, "enterprise_list.create", "enterprise_list", list_code, None, list_doc(row)
    )
    return row, True


def known_list(db: Session, list_code: str) -> EnterpriseList:
    """The list, or 422 unknown_list (a list named by a write, like a product by a loan)."""
    row = None if "\x00" in list_code else db.get(EnterpriseList, list_code)  # PostgreSQL: no NUL
    if row is None:
        raise DomainError("unknown_list", f"no enterprise list {list_code!r}", "list_code")
    return row


# ====================================================================== memberships
def overlaps(m: EnterpriseListMember, from_on: dt.date, to_on: dt.date | None) -> bool:
    """[m.from_on, m.to_on] and [from_on, to_on] share a day (None = open-ended)."""
    return (to_on is None or m.from_on <= to_on) and (m.to_on is None or from_on <= m.to_on)


def memberships_of(
    db: Session, list_code: str, usccs: Iterable[str]
) -> dict[str, list[EnterpriseListMember]]:
    """uscc → its memberships in the list (ORM rows, to be changed), by from_on."""
    found: dict[str, list[EnterpriseListMember]] = {}
    query = (
        select(EnterpriseListMember)
        .where(EnterpriseListMember.list_code == list_code)
        .order_by(EnterpriseListMember.from_on)
    )
    for where in in_sets(db, EnterpriseListMember.uscc, sorted(set(usccs))):
        for m in db.scalars(query.where(where)):
            found.setdefault(m.uscc, []).append(m)
    return found


@dataclass(frozen=True)
class MembershipChange:
    membership: EnterpriseListMember
    outcome: str  # added | changed | unchanged


def check_interval(from_on: dt.date, to_on: dt.date | None, field: str = "to") -> None:
    if to_on is not None and to_on < from_on:
        raise DomainError("invalid_format", f"to {to_on} is before from {from_on}", field)


def unknown_enterprise(uscc: str) -> DomainError:
    """422 on `uscc`: not a USCC at all (invalid_uscc), or one nobody registered."""
    if not uscc_valid(uscc):
        return DomainError(
            "invalid_uscc",
            f"{uscc!r} is not a USCC with a valid check character (GB 32100-2015)",
            "uscc",
        )
    return DomainError("unknown_enterprise", f"no enterprise {uscc}", "uscc")


def put_member(
    db: Session,
    list_code: str,
    uscc: str,
    from_on: dt.date,
    to_on: dt.date | None,
    actor: str,
) -> MembershipChange:
    """PUT /enterprise-lists/{list_code}/members/{uscc}: state one membership (module doc).
    Refused: an unknown list (422 unknown_list), an unknown enterprise (422 unknown_enterprise,
    or invalid_uscc when it is not a USCC), `to` before `from` (422 invalid_format on `to`), an
    interval overlapping two memberships (409 invalid_state on `from`)."""
    locks.exclusive(db, list_lock(list_code))
    known_list(db, list_code)
    if "\x00" in uscc or db.get(Enterprise, uscc) is None:
        raise unknown_enterprise(uscc)
    check_interval(from_on, to_on)
    stored = memberships_of(db, list_code, [uscc]).get(uscc, [])
    return apply_membership(db, list_code, uscc, from_on, to_on, stored, actor)


def apply_membership(
    db: Session,
    list_code: str,
    uscc: str,
    from_on: dt.date,
    to_on: dt.date | None,
    stored: list[EnterpriseListMember],
    actor: str,
) -> MembershipChange:
    """The membership stated, given `stored`, the enterprise's memberships in the list (kept
    up to date here: a new one is appended). The list and the enterprise exist, the interval
    is in order; the caller holds the list's lock."""
    hits = [m for m in stored if overlaps(m, from_on, to_on)]
    if len(hits) > 1:
        spans = ", ".join(f"{_iso(m.from_on)}–{_iso(m.to_on) or ''}" for m in hits)
        raise Conflict(
            "invalid_state",
            f"{from_on}–{_iso(to_on) or ''} overlaps {len(hits)} memberships of {uscc} in "
            f"{list_code} ({spans}): change them one at a time",
            "from",
        )
    if not hits:
        m = EnterpriseListMember(list_code=list_code, uscc=uscc, from_on=from_on, to_on=to_on)
        try:
            with db.begin_nested():
                db.add(m)
                db.flush()
        except IntegrityError:  # a membership from that day, added meanwhile
            raise Conflict(
                "invalid_state", f"{uscc} was added to {list_code} meanwhile; try again", "from"
            ) from None
        stored.append(m)
        audit.record(
            db,
            actor,
            "enterprise_list_member.add",
            "enterprise_list_member",
            str(m.id),
            None,
            _audit_image(m),
        )
        return MembershipChange(m, ADDED)
    (m,) = hits
    if (m.from_on, m.to_on) == (from_on, to_on):
        return MembershipChange(m, UNCHANGED)
    before = _audit_image(m)
    m.from_on, m.to_on = from_on, to_on
    db.flush()
    audit.record(
        db,
        actor,
        "enterprise_list_member.change",
        "enterprise_list_member",
        str(m.id),
        before,
        _audit_image(m),
    )
    return MembershipChange(m, CHANGED)
