"""The demo data (`loanledger demo-data`) carried on through the pages, so that a crawl meets
every state a person meets: January's subsidy batch submitted by the clerk, approved by the
approver and paid (one payee) or failed (the other); the 助保贷 loan 91 days past due, so
March's close makes a claim and a compensation batch on pool ZBD; March's subsidy batch in
公示; the enterprise objecting to its March line and the clerk upholding it (the line pays
¥0.00). The business date ends on 2025-04-01.

Each step is a form posted by the demo person who would post it (tests/support/web.Web)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from loanledger import demo_data
from loanledger.persistence.tables import Batch, BatchPayee, Line, Objection
from tests.support.web import CONFIRMED, Web, flashes

NPL_CONTRACT = "ZSRCB-2025-0003"  # the 助保贷 loan (pool ZBD)
UPHELD_NOTE = "经核对，银行报送的利息有误，本月贴息暂缓发放，待银行更正后在下期重新计算。"


@dataclass
class Story:
    report: demo_data.Report
    paid_batch_id: int  # January's: paid for the first enterprise, failed for the third
    paid_line_id: int  # the first enterprise's line in it
    publicity_batch_id: int  # March's, in 公示 on the business date 2025-04-01
    objection_line_id: int  # the first enterprise's line in it, held: its objection upheld


def _person(app, report: demo_data.Report, role: str) -> Web:
    username, password = next((u, p) for u, p, r in report.users if r == role)
    web = Web(app)
    web.login(username, password)
    return web


def _ok(response) -> None:
    assert response.status_code == 200, response.status_code
    assert not flashes(response, "error"), flashes(response, "error")


def play(app, db) -> Story:
    loader = demo_data.Loader(app)
    report = loader.run()
    assert report.warnings == [], report.warnings
    clerk, approver = _person(app, report, "clerk"), _person(app, report, "approver")
    january = db.scalar(select(Batch).where(Batch.period == "2025-01", Batch.kind == "subsidy"))
    path = f"/bureau/batches/{january.id}"
    _ok(clerk.post(f"{path}/submit", CONFIRMED, from_page=path))
    _ok(approver.post(f"{path}/approve", CONFIRMED, from_page=path))
    payees = sorted(
        db.scalars(select(BatchPayee.payee_id).where(BatchPayee.batch_id == january.id))
    )
    results = {
        "payee_id": payees,
        "status": ["paid"] + ["failed"] * (len(payees) - 1),
        "paid_on": [demo_data.INTEREST_DATES[-1]] + [""] * (len(payees) - 1),
        "reference": ["ZS202503210001"] + [""] * (len(payees) - 1),
        "reason": [""] + ["账户已销户"] * (len(payees) - 1),
        **CONFIRMED,
    }
    _ok(clerk.post(f"{path}/payments", results, from_page=f"{path}/payments"))
    # The 助保贷 loan goes bad in March (91 days past due, 次级): March's close makes a claim
    # on pool ZBD and its compensation batch. March closed: its subsidy batch is in 公示, and
    # the enterprise objects to its own line.
    loader.move_date("2025-03-28")
    loader.bank(
        "ZSRCB",
        "POST",
        f"/loans/{NPL_CONTRACT}/events",
        {
            "event_id": f"{NPL_CONTRACT}-DQ1",
            "type": "delinquency",
            "as_of": "2025-03-28",
            "days_past_due": 91,
            "classification": "substandard",
        },
    )
    loader.close("2025-03", "2025-04-01")
    assert loader.report.warnings == [], loader.report.warnings
    enterprise_uscc = demo_data.ENTERPRISES[0][0]
    db.expire_all()
    line_id = db.scalar(
        select(Line.id)
        .join(Batch, Batch.id == Line.batch_id)
        .where(Batch.period == "2025-03", Line.payee_id == enterprise_uscc)
    )
    enterprise = _person(app, report, "enterprise")
    _ok(
        enterprise.post(
            f"/portal/lines/{line_id}/objection",
            {"reason": "本月利息已按合同利率支付，贴息金额偏低。"},
            from_page="/portal",
        )
    )
    objection_id = db.scalar(select(Objection.id).where(Objection.line_id == line_id))
    _ok(
        clerk.post(
            f"/bureau/objections/{objection_id}/resolve",
            {"resolution": "upheld", "note": UPHELD_NOTE},
            from_page="/bureau/objections",
        )
    )
    paid_line_id = db.scalar(
        select(Line.id).where(Line.batch_id == january.id, Line.payee_id == enterprise_uscc)
    )
    march = db.scalar(select(Line.batch_id).where(Line.id == line_id))
    return Story(report, january.id, paid_line_id, march, line_id)
