"""Notices to enterprises (issue 13; api.md `GET /me/notices`): a 公示, a payment and an
objection each give one notice and, for an enterprise with an address, one e-mail through a
real SMTP server (aiosmtpd, in this process); the outbox retries a failed send later and
never sends one notice twice; the lapse-soon job tells an enterprise once per filing.

The programme is the payout month of tests/support/month.py (scenario 01's first quarter).
"""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select, update

from loanledger.domain.notices import BACKOFF, MAX_ATTEMPTS
from loanledger.persistence.tables import AuditEntry, Notice, OutboxMessage
from loanledger.services import housekeeping, mailer
from loanledger.web import portal as portal_pages
from tests.support.api import ok, paged, refused
from tests.support.mail import body, smtp_server
from tests.support.month import OTHER, U, approved, make_month, through_publicity
from tests.support.servers import free_port
from tests.support.web import Web, text

ADDRESS = "caiwu@dengdu.example.cn"
# The outbox rows carry the wall clock of the request that wrote them; a sender's `now` must
# come after it (a fixed instant stopped working once the wall clock passed it).
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)


@pytest.fixture
def month(staff, bank):
    month = make_month(staff, bank)
    ok(staff.request("clerk", "PATCH", f"/enterprises/{U}", {"email": ADDRESS}))
    return month


def sessions(month):
    return month.staff.app.extensions["loanledger"].sessionmaker


def notices(db, uscc: str = U) -> list[tuple[str, str]]:
    db.expire_all()
    return [
        (n.kind, n.key)
        for n in db.scalars(select(Notice).where(Notice.uscc == uscc).order_by(Notice.id))
    ]


def outbox(db) -> list[OutboxMessage]:
    db.expire_all()
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def send(month, inbox, now: dt.datetime = NOW) -> mailer.SendReport:
    return mailer.send_pending(sessions(month), inbox.smtp(), now)


def pay(month, bid: int, status: str, reference: str):
    result = {"payee_id": U, "status": status, "paid_on": "2023-04-11", "reference": reference}
    return ok(month.users["clerk1"].post(f"/batches/{bid}/payments", {"payments": [result]}))


# ====================================================================== one notice, one e-mail
def test_publicity_objection_and_payment_each_give_one_notice_and_one_email(month, db):
    with smtp_server() as inbox:
        batch = month.close()
        bid = batch["batch_id"]
        assert notices(db) == [("publicity", f"publicity:{bid}:{U}")]
        line = month.line(bid)
        oid = ok(
            month.users["ent"].post(
                "/objections", {"line_id": line["line_id"], "reason": "利息金额有误"}
            ),
            201,
        )["objection_id"]
        ok(
            month.users["clerk1"].post(
                f"/objections/{oid}/resolve", {"resolution": "dismissed", "note": "经核实无误"}
            )
        )
        through_publicity(month, batch)
        ok(month.users["clerk1"].post(f"/batches/{bid}/submit"))
        ok(month.users["approver1"].post(f"/batches/{bid}/approve"))
        pay(month, bid, "paid", "GK-0001")
        assert notices(db) == [
            ("publicity", f"publicity:{bid}:{U}"),
            ("objection_resolved", f"objection:{oid}"),
            ("paid", f"paid:{bid}:{U}:GK-0001"),
        ]
        assert [(m.to_address, m.status, m.attempts) for m in outbox(db)] == [
            (ADDRESS, "pending", 0)
        ] * 3

        assert send(month, inbox) == mailer.SendReport(sent=3)
        assert [to for to, _m in inbox.received] == [[ADDRESS]] * 3
        publicity, objection, paid = inbox.messages
        assert publicity["Subject"] == "2023年3月贴息进入公示"
        assert "公示金额 5,270.83 元" in body(publicity)
        assert f"公示期至 {batch['publicity_ends_on'][:4]}年" in body(publicity)
        assert "提出异议" in body(publicity)
        assert objection["Subject"] == "您的异议已处理（不成立）"
        assert "主管部门说明：经核实无误" in body(objection)
        assert paid["Subject"] == "2023年3月贴息已支付"
        assert "5,270.83 元已于 2023年4月11日 支付" in body(paid) and "GK-0001" in body(paid)
        assert all(m["From"] == "notices@ll.example.cn" for m in inbox.messages)
        sent = outbox(db)
        assert [(m.status, m.attempts) for m in sent] == [("sent", 1)] * 3
        assert [m.message_id for m in sent] == [m["Message-ID"] for m in inbox.messages]
        emailed = db.scalars(select(AuditEntry).where(AuditEntry.action == "notice.emailed"))
        assert sorted(a.entity_id for a in emailed) == sorted(str(m.id) for m in sent)

        # Told once: the jobs and the requests again add nothing, and nothing is sent again.
        month.staff.set_business_date("2023-04-20")
        housekeeping.run_publicity(sessions(month), dt.date(2023, 4, 20))
        ok(month.staff.request("clerk", "POST", "/periods/2023-03/close"))
        pay(month, bid, "paid", "GK-0001")
        assert len(notices(db)) == 3 and len(outbox(db)) == 3
        assert send(month, inbox, NOW + dt.timedelta(days=1)) == mailer.SendReport()
        assert len(inbox.received) == 3


def test_a_failed_payment_tells_the_reason_and_that_it_is_carried(month, db):
    with smtp_server() as inbox:
        bid = approved(month)
        pay(month, bid, "failed", "退票: 账户冻结")
        pay(month, bid, "failed", "退票: 账户冻结")  # the clerk's retry: no second notice
        assert notices(db)[-1] == ("payment_failed", f"payment_failed:{bid}:{U}")
        assert [k for k, _key in notices(db)] == ["publicity", "payment_failed"]
        send(month, inbox)
        failed = inbox.messages[-1]
        assert failed["Subject"] == "2023年3月贴息支付未成功"
        assert "原因：退票: 账户冻结" in body(failed) and "下一批" in body(failed)


def test_an_upheld_objection_says_the_line_is_held_back(month, db):
    batch = month.close()
    line = month.line(batch["batch_id"])
    oid = ok(month.users["ent"].post("/objections", {"line_id": line["line_id"], "reason": "错"}))[
        "objection_id"
    ]
    ok(
        month.users["clerk1"].post(
            f"/objections/{oid}/resolve", {"resolution": "upheld", "note": "利息期间有误"}
        )
    )
    db.expire_all()
    notice = db.scalars(select(Notice).where(Notice.key == f"objection:{oid}")).one()
    assert notice.title == "您的异议已处理（成立）"
    assert "异议成立" in notice.body and "主管部门说明：利息期间有误" in notice.body


def test_a_refused_change_writes_no_notice(month, db):
    batch = month.close()
    bid = batch["batch_id"]
    through_publicity(month, batch)
    ok(month.users["clerk1"].post(f"/batches/{bid}/submit"))
    ok(month.users["approver1"].post(f"/batches/{bid}/approve"))
    bad = {"payee_id": U, "status": "paid", "paid_on": "2023-04-11"}  # no reference
    refused(
        month.users["clerk1"].post(f"/batches/{bid}/payments", {"payments": [bad]}),
        422,
        "required",
    )
    assert [k for k, _key in notices(db)] == ["publicity"]


# ====================================================================== the outbox
def test_smtp_down_is_retried_later_then_delivered_once(month, db):
    port = free_port()  # nothing listens there
    month.close()
    down = mailer.SmtpSettings(host="127.0.0.1", port=port, timeout_seconds=2)
    report = mailer.send_pending(sessions(month), down, NOW)
    assert report == mailer.SendReport(retrying=1)
    (row,) = outbox(db)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at.replace(tzinfo=dt.UTC) == NOW + BACKOFF[0]
    assert row.last_error and "Error" in row.last_error

    with smtp_server(port) as inbox:
        assert send(month, inbox, NOW + dt.timedelta(seconds=30)) == mailer.SendReport()
        assert inbox.received == []  # not due yet
        later = NOW + BACKOFF[0] + dt.timedelta(seconds=1)
        assert send(month, inbox, later) == mailer.SendReport(sent=1)
        assert send(month, inbox, later + dt.timedelta(hours=1)) == mailer.SendReport()
        assert len(inbox.received) == 1
    (row,) = outbox(db)
    assert (row.status, row.attempts, row.sent_at is not None) == ("sent", 2, True)


def test_a_sender_killed_after_sending_sends_again_with_the_same_message_id(month, db, monkeypatch):
    month.close()
    with smtp_server() as inbox:

        def killed(*args, **kwargs):
            raise KeyboardInterrupt  # the process dies between the server's 250 and the mark

        monkeypatch.setattr(mailer.audit, "record", killed)
        with pytest.raises(KeyboardInterrupt):
            send(month, inbox)
        monkeypatch.undo()
        (row,) = outbox(db)
        assert (row.status, row.attempts, len(inbox.received)) == ("pending", 0, 1)
        assert send(month, inbox, NOW + mailer.LEASE - dt.timedelta(seconds=1)) == (
            mailer.SendReport()
        )  # leased: not before the lease runs out
        assert send(month, inbox, NOW + mailer.LEASE) == mailer.SendReport(sent=1)
        first, second = inbox.messages
        assert first["Message-ID"] == second["Message-ID"] == outbox(db)[0].message_id


def test_the_sender_gives_up_after_the_last_attempt_and_the_bureau_sees_it(month, db, staff):
    month.close()
    down = mailer.SmtpSettings(host="127.0.0.1", port=free_port(), timeout_seconds=2)
    now = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = mailer.send_pending(sessions(month), down, now)
        (row,) = outbox(db)
        assert row.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert report == mailer.SendReport(retrying=1) and row.status == "pending"
            now = row.next_attempt_at.replace(tzinfo=dt.UTC)
    assert report == mailer.SendReport(failed_permanently=1)
    assert row.status == "failed_permanently"
    assert mailer.send_pending(sessions(month), down, now + dt.timedelta(days=9)) == (
        mailer.SendReport()
    )
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "notice.email_failed")).one()
    assert audit.after["attempts"] == MAX_ATTEMPTS


def test_without_an_smtp_host_the_emails_wait_in_the_outbox(month, db):
    month.close()
    assert mailer.send_pending(sessions(month), mailer.SmtpSettings(), NOW) == mailer.SendReport()
    assert [(m.status, m.attempts) for m in outbox(db)] == [("pending", 0)]


def test_an_enterprise_without_an_address_gets_the_portal_notice_only(month, db):
    ok(month.staff.request("clerk", "PATCH", f"/enterprises/{U}", {"email": None}))
    with smtp_server() as inbox:
        month.close()
        assert [k for k, _key in notices(db)] == ["publicity"]
        assert outbox(db) == []
        assert send(month, inbox) == mailer.SendReport() and inbox.received == []
    (item,) = ok(month.users["ent"].request("GET", "/me/notices"))["items"]
    assert (item["kind"], item["email_status"]) == ("publicity", None)


@pytest.mark.pg
def test_two_senders_at_once_send_each_email_once(month, db):
    month.close()
    # Forty more notices of the enterprise, so the two senders overlap on a long queue.
    first = db.scalars(select(Notice)).one()
    for n in range(40):
        db.add(Notice(uscc=U, kind="publicity", key=f"extra:{n}", title="t", body="正文"))
    db.flush()
    extra = db.scalars(select(Notice.id).where(Notice.key.like("extra:%"))).all()
    for notice_id in extra:
        db.add(OutboxMessage(notice_id=notice_id, to_address=ADDRESS, next_attempt_at=NOW))
    db.commit()
    with smtp_server() as inbox:
        reports: list[mailer.SendReport] = []
        start = threading.Barrier(2)

        def sender():
            start.wait()
            reports.append(send(month, inbox))

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sum(r.sent for r in reports) == 41
        ids = [m["Message-ID"] for m in inbox.messages]
        assert len(ids) == len(set(ids)) == 41
    assert first.id not in extra
    assert (
        db.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
        )
        == 41
    )


# ====================================================================== filings about to lapse
def test_the_lapse_soon_job_tells_once_per_filing_within_30_days(month, db, staff):
    # The policy's filing_lapse_days is 180: approved 2023-01-01, a contract may start until
    # 2023-06-30; without one the filing has lapsed on 2023-07-01.
    for filing_no, approved_on in (("F-SOON", "2023-01-01"), ("F-LATER", "2023-02-01")):
        ok(
            staff.request(
                "clerk",
                "POST",
                "/filings",
                {
                    "filing_no": filing_no,
                    "uscc": OTHER,
                    "project_name": "智能产线",
                    "eligible_investment": "1000000.00",
                    "approved_on": approved_on,
                },
            ),
            201,
        )
    job = housekeeping.run_filing_lapse_soon
    assert job(sessions(month), dt.date(2023, 5, 31)) == []  # 31 days before: not yet
    assert job(sessions(month), dt.date(2023, 6, 1)) == ["F-SOON"]
    assert job(sessions(month), dt.date(2023, 6, 2)) == []  # once
    assert job(sessions(month), dt.date(2023, 7, 2)) == ["F-LATER"]
    assert notices(db, OTHER) == [
        ("filing_lapse_soon", "lapse_soon:F-SOON"),
        ("filing_lapse_soon", "lapse_soon:F-LATER"),
    ]
    soon = db.scalars(select(Notice).where(Notice.key == "lapse_soon:F-SOON")).one()
    assert "备案号 F-SOON" in soon.body and "2023年7月1日 作废" in soon.body
    assert "智能产线" in soon.body and "2023年6月30日（含）前" in soon.body
    assert outbox(db) == []  # OTHER has no address


def test_a_filing_with_a_loan_in_time_is_not_told(month, db, staff):
    # Scenario 01's filing has its loan: it never lapses, so no notice, whatever the day.
    filings = paged(staff, "/filings")
    assert filings and all(f["loans"] for f in filings if f["uscc"] == U)
    for day in range(0, 400, 10):
        housekeeping.run_filing_lapse_soon(sessions(month), dt.date(2023, 1, 1) + dt.timedelta(day))
    assert [k for k, _key in notices(db) if k == "filing_lapse_soon"] == []


# ====================================================================== GET /me/notices
def test_an_enterprise_sees_only_its_own_notices_newest_first(month, db):
    batch = month.close()
    bid = batch["batch_id"]
    through_publicity(month, batch)
    ok(month.users["clerk1"].post(f"/batches/{bid}/submit"))
    ok(month.users["approver1"].post(f"/batches/{bid}/approve"))
    pay(month, bid, "paid", "GK-1")
    ent, other = month.users["ent"], month.users["other"]
    mine = ok(ent.request("GET", "/me/notices"))
    assert [n["kind"] for n in mine["items"]] == ["paid", "publicity"]
    assert mine["items"][0]["email_status"] == "pending" and mine["items"][0]["read_at"] is None
    first = ok(ent.request("GET", "/me/notices?limit=1"))
    assert [n["kind"] for n in first["items"]] == ["paid"] and first["next_cursor"]
    rest = ok(ent.request("GET", f"/me/notices?limit=1&cursor={first['next_cursor']}"))
    assert [n["kind"] for n in rest["items"]] == ["publicity"] and rest["next_cursor"] is None
    assert ok(other.request("GET", "/me/notices")) == {"items": [], "next_cursor": None}

    notice_id = mine["items"][0]["notice_id"]
    refused(other.post(f"/me/notices/{notice_id}/read"), 404, "not_found")
    refused(month.users["clerk1"].request("GET", "/me/notices"), 403, "forbidden")
    read = ok(ent.post(f"/me/notices/{notice_id}/read"))
    assert read["read_at"] is not None
    assert ok(ent.post(f"/me/notices/{notice_id}/read"))["read_at"] == read["read_at"]
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "notice.read")).all()
    assert [(a.entity_id, a.actor) for a in audit] == [(str(notice_id), "user:ent")]


def test_the_portal_shows_the_inbox_with_the_unread_count(month, db, app):
    month.close()
    web = Web(app)
    web.login("ent", "ent-password")
    page = text(web.get("/portal"))
    assert 'id="unread-count" data-unread="1"' in page
    assert "2023年3月贴息进入公示" in page and "公示金额 5,270.83 元" in page
    (notice_id,) = db.scalars(select(Notice.id)).all()
    assert web.post(f"/portal/notices/{notice_id + 1000}/read", follow=False).status_code == 404
    web.post(f"/portal/notices/{notice_id}/read", from_page="/portal")
    assert 'data-unread="0"' in text(web.get("/portal"))


def test_the_portals_notices_are_in_numbered_pages_and_reading_one_keeps_its_page(
    month, db, app, monkeypatch
):
    month.close()
    for i in range(4):
        db.add(Notice(uscc=U, kind="publicity", key=f"extra-{i}", title=f"第{i}条", body="正文"))
    db.commit()
    monkeypatch.setattr(portal_pages, "NOTICES_PAGE_SIZE", 2)
    web = Web(app)
    web.login("ent", "ent-password")
    first = text(web.get("/portal"))
    assert 'id="notices-pager" data-count="5" data-page="1" data-pages="3"' in first
    assert "共 5 条，第 1/3 页" in first
    assert len(re.findall(r'class="notice-row[^"]*" data-notice-id="\d+"', first)) == 2
    assert 'id="notices-next-page" href="/portal?npage=2"' in first
    second = text(web.get("/portal?npage=2"))
    shown = [int(n) for n in re.findall(r'data-notice-id="(\d+)"', second)]
    newest = sorted(db.scalars(select(Notice.id)).all(), reverse=True)
    assert shown == newest[2:4]
    back = web.post(f"/portal/notices/{shown[0]}/read", {"npage": "2"}, follow=False)
    assert back.headers["Location"].endswith("/portal?npage=2#notices")
    db.expire_all()
    assert db.get(Notice, shown[0]).read_at is not None


# ====================================================================== the address
def test_an_enterprise_email_is_validated_and_audited(month, db, staff):
    for bad in (
        "caiwu",
        "caiwu@localhost",
        "a b@x.cn",
        "财务@x.cn",
        "a@x.cn\n",
        "x" * 250 + "@x.cn",
    ):
        refused(
            staff.request("clerk", "PATCH", f"/enterprises/{OTHER}", {"email": bad}),
            422,
            "invalid_format",
            "email",
        )
    refused(
        staff.request(
            "clerk",
            "POST",
            "/enterprises",
            {
                "uscc": "91442000H644000008",
                "name": "新企业",
                "established_on": "2020-01-01",
                "email": "nobody",
            },
        ),
        422,
        "invalid_format",
        "email",
    )
    view = ok(staff.request("clerk", "PATCH", f"/enterprises/{OTHER}", {"email": "a.b+c@x.com.cn"}))
    assert view["email"] == "a.b+c@x.com.cn"
    audit = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "enterprise.update", AuditEntry.entity_id == OTHER
        )
    ).one()
    assert (audit.before, audit.after) == ({"email": None}, {"email": "a.b+c@x.com.cn"})


def test_the_dashboard_counts_emails_given_up(month, db, app):
    month.close()
    db.execute(update(OutboxMessage).values(status="failed_permanently", attempts=MAX_ATTEMPTS))
    db.commit()
    web = Web(app)
    web.login("clerk1", "clerk1-password")
    assert 'id="failed-emails" data-count="1"' in text(web.get("/bureau"))
