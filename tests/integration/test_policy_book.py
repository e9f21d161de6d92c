"""PolicyBook.load parses each stored document once per process (services/policy_book.py):
it must still give the versions as the database holds them now, a version added since, or a
version 1 rewritten (a test's database rebuilt with another policy)."""

from __future__ import annotations

import copy
import datetime as dt

from sqlalchemy import update

from loanledger.domain.policy import DEFAULT_POLICY_DOC
from loanledger.persistence.tables import PolicyVersion
from loanledger.services import policy_book
from loanledger.services.policy_book import PolicyBook
from loanledger.services.seed import POLICY_V1_IN_FORCE_FROM


def _document(**changes) -> dict:
    return {**copy.deepcopy(DEFAULT_POLICY_DOC), **changes}


def test_a_version_added_since_the_last_load_is_in_the_book(db):
    before = PolicyBook.load(db)
    assert before.on(dt.date(2030, 1, 1))[0] == 1
    db.add(
        PolicyVersion(
            version=2,
            in_force_from=dt.date(2026, 1, 1),
            document=_document(npl_dpd=60),
            created_by="test",
        )
    )
    db.commit()
    book = PolicyBook.load(db)
    version, policy = book.on(dt.date(2030, 1, 1))
    assert (version, policy.npl_dpd) == (2, 60)
    assert book.on(dt.date(2025, 12, 31))[1].npl_dpd == 90


def test_a_rewritten_version_1_is_read_anew(db):
    assert PolicyBook.load(db).version(1).npl_dpd == 90
    for npl_dpd, in_force_from in ((30, POLICY_V1_IN_FORCE_FROM), (45, dt.date(2001, 1, 1))):
        db.execute(
            update(PolicyVersion)
            .where(PolicyVersion.version == 1)
            .values(document=_document(npl_dpd=npl_dpd), in_force_from=in_force_from)
        )
        db.commit()
        book = PolicyBook.load(db)
        assert book.version(1).npl_dpd == npl_dpd
        assert book.on(dt.date(2000, 6, 1))[1].npl_dpd == npl_dpd  # the earliest, as before


def test_a_document_seen_before_is_not_parsed_again(db, monkeypatch):
    PolicyBook.load(db)
    parsed: list[dict] = []
    real = policy_book.policy_from_doc
    monkeypatch.setattr(policy_book, "policy_from_doc", lambda doc: parsed.append(doc) or real(doc))
    PolicyBook.load(db)
    assert parsed == []
