"""unit_of_work: committed when the block ends, rolled back when it raises, on both engines."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loanledger.persistence.db import make_sessionmaker
from loanledger.persistence.tables import BusinessDate
from loanledger.services.errors import Conflict
from loanledger.services.unit_of_work import unit_of_work

DAY = dt.date(2023, 3, 1)


@pytest.fixture
def sessions(engine):
    return make_sessionmaker(engine)


def stored(sessions) -> dt.date | None:
    with sessions() as db:
        row = db.get(BusinessDate, 1)
        return row.today if row else None


def test_a_block_that_ends_is_committed(sessions):
    with unit_of_work(sessions) as db:
        db.add(BusinessDate(id=1, today=DAY))
    assert stored(sessions) == DAY


def test_a_refusal_keeps_nothing_and_is_raised(sessions):
    with pytest.raises(Conflict), unit_of_work(sessions) as db:
        db.add(BusinessDate(id=1, today=DAY))
        db.flush()
        raise Conflict("invalid_state", "no")
    assert stored(sessions) is None


def test_a_failed_commit_is_rolled_back_and_the_session_stays_usable(sessions):
    with unit_of_work(sessions) as db:
        db.add(BusinessDate(id=1, today=DAY))
    request = sessions()
    try:
        with pytest.raises(IntegrityError), unit_of_work(request) as db:
            db.add(BusinessDate(id=1, today=DAY + dt.timedelta(days=1)))
        assert not request.in_transaction()
        assert request.get(BusinessDate, 1).today == DAY  # the same session, still open
    finally:
        request.close()


def test_a_session_given_is_committed_and_left_open(sessions):
    request: Session = sessions()
    try:
        with unit_of_work(request) as db:
            assert db is request
            db.add(BusinessDate(id=1, today=DAY))
        assert not request.in_transaction() and stored(sessions) == DAY
        with unit_of_work(request) as db:
            db.get(BusinessDate, 1).today = DAY + dt.timedelta(days=1)
        assert stored(sessions) == DAY + dt.timedelta(days=1)
    finally:
        request.close()
