"""Enterprise lists (名录库) written straight into the database, for the tests of risk pools
until the lists' own API (`/enterprise-lists`, branch v2-lists) is in this branch: the pools
only read memberships (`services.read.listed_on`). `lists_api(app)` tells which to use."""

from __future__ import annotations

import datetime as dt

from loanledger.persistence.tables import EnterpriseList, EnterpriseListMember

LISTS_RULE = "/api/v1/enterprise-lists"


def lists_api(app) -> bool:
    """Whether this build serves `POST /enterprise-lists`."""
    return any(rule.rule == LISTS_RULE for rule in app.url_map.iter_rules())


def add_list(app, list_code: str, name: str) -> None:
    with app.extensions["loanledger"].sessionmaker() as db:
        db.add(EnterpriseList(list_code=list_code, name=name))
        db.commit()


def add_member(
    app, list_code: str, uscc: str, from_on: dt.date | str, to_on: dt.date | str | None = None
) -> None:
    with app.extensions["loanledger"].sessionmaker() as db:
        db.add(
            EnterpriseListMember(
                list_code=list_code,
                uscc=uscc,
                from_on=dt.date.fromisoformat(str(from_on)),
                to_on=None if to_on is None else dt.date.fromisoformat(str(to_on)),
            )
        )
        db.commit()
