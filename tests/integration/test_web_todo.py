"""The dashboard's to-do list per role (services/read/todo.py), each item linking to its page:
a clerk submits, records payments, resolves objections, follows up a bank's refused file and a
close that did not finish; an approver approves; an auditor sees how much changed lately; an
admin sees all the clerk's and approver's items and the e-mails given up on. And the page of
the banks' files with errors that the clerk's item opens."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from loanledger.domain.vocabulary import OutboxStatus
from loanledger.persistence.tables import Batch, CloseJob, Line, Notice, OutboxMessage
from loanledger.services import objections, read
from tests.support.api import ok
from tests.support.web import Web, text
from tests.support.world import USCCS, claim_world

PERIOD = "2023-03"
TODAY = dt.date(2023, 4, 3)


@pytest.fixture
def march(staff, bank, app, db):
    """March 2023 closed: a subsidy batch in 公示 and a compensation batch ready to submit;
    the people of the pages."""
    for username, role in (
        ("clerk1", "clerk"),
        ("approver1", "approver"),
        ("auditor1", "auditor"),
        ("admin1", "admin"),
    ):
        staff.create(username, role, password=f"{username}-password")
    banks = claim_world(staff, bank)
    ok(staff.request("clerk", "POST", f"/periods/{PERIOD}/close", {}))
    return banks


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def kinds(items) -> list[tuple]:
    return [(i.kind, i.count, i.batch_kind) for i in items]


def batch_of(db, kind: str) -> Batch:
    return db.scalar(select(Batch).where(Batch.kind == kind))


def signed_in(app, username: str) -> Web:
    web = Web(app)
    web.login(username, f"{username}-password")
    return web


def todo_links(page: str) -> list[tuple[str, str, str]]:
    """(kind, href, words) of every item of the dashboard's to-do list."""
    return re.findall(
        r'<li class="todo-item" data-kind="(\w+)"><a href="([^"]+)">([^<]+)</a>', page
    )


def object_to_the_subsidy_line(db) -> None:
    line = db.scalar(select(Line).where(Line.payee_id == USCCS[0], Line.payee_type == "enterprise"))
    objections.file_objection(db, line.id, USCCS[0], "利息不对", f"enterprise:{USCCS[0]}", TODAY)
    db.commit()


def a_refused_file(banks) -> None:
    refused = banks["BK1"].upload_import("loans", "贷款.csv", b"contract_no,nonsense\r\nC-9,x\r\n")
    assert refused.status_code == 422


def give_up_an_email(db) -> None:
    notice = db.scalar(select(Notice).order_by(Notice.id))
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.notice_id == notice.id))
    if message is None:
        message = OutboxMessage(
            notice_id=notice.id, to_address="a@example.com", next_attempt_at=now()
        )
        db.add(message)
    message.status = OutboxStatus.FAILED_PERMANENTLY
    db.commit()


# ------------------------------------------------------------------ the items, role by role
def test_each_role_has_its_own_items(march, staff, db):
    compensation = batch_of(db, "compensation")
    assert kinds(read.todo(db, "clerk", now())) == [("submit", 1, "compensation")]
    assert read.todo(db, "approver", now()) == []

    object_to_the_subsidy_line(db)
    a_refused_file(march)
    db.add(
        CloseJob(period="2023-04", requested_by="user:clerk1", requested_on=TODAY, status="failed")
    )
    db.commit()
    assert kinds(read.todo(db, "clerk", now())) == [
        ("submit", 1, "compensation"),
        ("objections", 1, None),
        ("close_failed", 1, None),
        ("imports", 1, None),
    ]
    # a week later the file is old news
    assert "imports" not in [i.kind for i in read.todo(db, "clerk", now() + dt.timedelta(days=8))]

    ok(staff.request("clerk", "POST", f"/batches/{compensation.id}/submit", {}))
    assert kinds(read.todo(db, "approver", now())) == [("approve", 1, "compensation")]
    assert "submit" not in [i.kind for i in read.todo(db, "clerk", now())]
    ok(staff.request("approver", "POST", f"/batches/{compensation.id}/approve", {}))
    assert read.todo(db, "approver", now()) == []
    [payments] = [i for i in read.todo(db, "clerk", now()) if i.kind == "payments"]
    assert (payments.batch_id, payments.count) == (compensation.id, compensation.payee_count)

    auditor = read.todo(db, "auditor", now())
    assert [i.kind for i in auditor] == ["recent_changes"] and auditor[0].count > 5
    assert read.todo(db, "auditor", now() + dt.timedelta(days=8))[0].count == 0

    give_up_an_email(db)
    admin = [i.kind for i in read.todo(db, "admin", now())]
    assert admin == ["payments", "objections", "close_failed", "imports", "failed_emails"]


def test_a_close_done_after_a_failure_leaves_the_list(march, db):
    db.add(
        CloseJob(period="2023-04", requested_by="user:clerk1", requested_on=TODAY, status="failed")
    )
    db.add(CloseJob(period=PERIOD, requested_by="user:clerk1", requested_on=TODAY, status="failed"))
    db.commit()  # March's job failed once, but the month is closed now (by the API's close)
    [failed] = [i for i in read.todo(db, "clerk", now()) if i.kind == "close_failed"]
    assert failed.period == "2023-04"


# ------------------------------------------------------------------ the page
def test_the_dashboard_lists_each_roles_items_and_every_link_opens(march, app, staff, db):
    object_to_the_subsidy_line(db)
    a_refused_file(march)
    clerk = signed_in(app, "clerk1")
    links = todo_links(text(clerk.get("/bureau")))
    compensation = batch_of(db, "compensation")
    assert links == [
        (
            "submit",
            f"/bureau/batches/{compensation.id}",
            f"提交批次 #{compensation.id}（2023-03 风险补偿）",
        ),
        ("objections", "/bureau/objections?status=open", "处理异议：1 件待处理"),
        ("imports", "/bureau/imports", "银行报送的文件有错误：近 7 天 1 个"),
    ]
    for _kind, href, _words in links:
        assert clerk.get(href).status_code == 200, href
    imports = text(clerk.get("/bureau/imports"))
    assert "贷款.csv" in imports and "Bank BK1" in imports and "未导入" in imports
    assert 'data-status="failed"' in imports and ">failed<" not in imports

    approver = signed_in(app, "approver1")
    assert 'id="todo-empty"' in text(approver.get("/bureau"))
    ok(staff.request("clerk", "POST", f"/batches/{compensation.id}/submit", {}))
    [(kind, href, words)] = todo_links(text(approver.get("/bureau")))
    assert (kind, href) == ("approve", f"/bureau/batches/{compensation.id}")
    assert approver.get(href).status_code == 200

    auditor = signed_in(app, "auditor1")
    [(kind, href, words)] = todo_links(text(auditor.get("/bureau")))
    assert kind == "recent_changes" and href.startswith("/bureau/audit?from=")
    assert re.fullmatch(r"近 7 天有 \d+ 条操作记录", words)
    assert auditor.get(href.replace("&amp;", "&")).status_code == 200

    give_up_an_email(db)
    admin = signed_in(app, "admin1")
    links = todo_links(text(admin.get("/bureau")))
    assert [k for k, _h, _w in links] == ["approve", "objections", "imports", "failed_emails"]
    assert links[-1][1] == "/bureau/audit?action=notice.email_failed"
    assert all(admin.get(h).status_code == 200 for _k, h, _w in links)
