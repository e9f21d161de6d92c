"""Every page in Chinese words (issue 15, "Words"): signed in as each person of the demo data
(`loanledger demo-data`), a crawl of every page reachable by a link shows no English word,
no code identifier (snake_case, `user:clerk`, a bank's or product's code) and no amount
without ¥ and thousands separators (tests/support/crawl.py has the lists and their reasons)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from loanledger.persistence.tables import (
    Bank,
    BatchPayee,
    Enterprise,
    EnterpriseList,
    Filing,
    Loan,
    LoanEvent,
    Product,
    RiskPool,
    User,
)
from tests.support.crawl import Allowed, crawl, findings, report
from tests.support.demo_story import play
from tests.support.web import Web


@pytest.fixture
def demo(app, db):
    """The demo data, carried on to a paid and a failed payment and an upheld objection."""
    return play(app, db).report


def allowed_in(db) -> Allowed:
    """The demo data's identifiers (shown as they are) and codes (shown by name)."""

    def column(*columns) -> set[str]:
        found: set[str] = set()
        for c in columns:
            found |= {v for v in db.scalars(select(c)) if v}
        return found

    identifiers = column(
        Enterprise.uscc,
        Enterprise.account_number,
        Enterprise.email,
        Loan.contract_no,
        Filing.filing_no,
        LoanEvent.event_id,
        BatchPayee.reference,
        BatchPayee.account_number,
        EnterpriseList.list_code,
    )
    codes = column(Bank.bank_code, Product.product_code, RiskPool.pool_code, User.username)
    return Allowed(frozenset(identifiers), codes=frozenset(codes))


def test_no_page_shows_english_codes_or_raw_amounts(app, db, demo):
    allowed = allowed_in(db)
    problems, pages = [], 0
    for username, password, _role in demo.users:
        web = Web(app)
        start = web.login(username, password).request.path
        for path, status, text in crawl(web, start):
            pages += 1
            assert status < 500, (username, path)
            found = findings(text, allowed)
            if found:
                problems.append((username, path, found))
    assert pages > 20
    assert not problems, report(problems)
