"""The auditor's audit-trail page (issue 15): every change with who, when, what and to what,
in words; filtered by who, what, entity and dates; page by page; exported as CSV (formulas
defused). Only auditors and administrators see it, and it changes nothing."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from loanledger.persistence.tables import AuditEntry, User
from loanledger.web import audit as audit_pages
from loanledger.web.audit_words import ACTIONS, ENTITIES
from tests.support.lists import LIST, list_world
from tests.support.web import Web, flashes, text

ROOT = Path(__file__).resolve().parents[2] / "loanledger"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def people(staff):
    for username, role in (("admin1", "admin"), ("clerk1", "clerk"), ("auditor1", "auditor")):
        staff.create(username, role, password=f"{username}-password")
    list_world(staff)  # enterprises A and B, list SGS: audited changes
    return staff


def signed_in(app, username: str) -> Web:
    web = Web(app)
    web.login(username, f"{username}-password")
    return web


def rows(page) -> list[tuple[str, str]]:
    """(audit id, action code) of each row shown."""
    return re.findall(r'data-audit-id="(\d+)" data-action="([^"]+)"', text(page))


def test_an_auditor_reads_every_change_in_words(people, app, db):
    auditor = signed_in(app, "auditor1")
    page = auditor.get("/bureau/audit")
    assert page.status_code == 200 and 'id="nav-audit"' in text(page)
    shown = rows(page)
    assert len(shown) == db.scalar(select(func.count(AuditEntry.id)))
    assert ("enterprise_list.create" in {a for _i, a in shown}) and "新建名录库" in text(page)
    assert "登记企业" in text(page) and LIST in text(page)
    # read-only: the only form that posts is signing out
    assert re.findall(r'<form[^>]*method="post"[^>]*>', text(page)) == [
        '<form method="post" action="/logout" class="inline">'
    ]


def test_the_filters_narrow_the_trail(people, app, db):
    auditor = signed_in(app, "auditor1")
    only = rows(auditor.get("/bureau/audit?action=enterprise.create"))
    assert [a for _i, a in only] == ["enterprise.create", "enterprise.create"]
    entity = rows(auditor.get(f"/bureau/audit?entity=enterprise_list&entity_id={LIST}"))
    assert [a for _i, a in entity] == ["enterprise_list.create"]
    creator = db.scalar(
        select(AuditEntry.actor).where(AuditEntry.action == "enterprise_list.create")
    )
    by_actor = rows(auditor.get(f"/bureau/audit?actor={creator}"))
    assert by_actor and all(db.get(AuditEntry, int(i)).actor == creator for i, _a in by_actor)
    today = dt.datetime.now(audit_pages.SHANGHAI).date()
    assert rows(auditor.get(f"/bureau/audit?from={today}&to={today}"))
    assert rows(auditor.get(f"/bureau/audit?to={today - dt.timedelta(days=1)}")) == []
    assert rows(auditor.get(f"/bureau/audit?from={today + dt.timedelta(days=1)}")) == []


def test_a_bad_filter_or_page_is_said_not_a_500(people, app):
    auditor = signed_in(app, "auditor1")
    bad_date = auditor.get("/bureau/audit?from=2024-02-30")
    assert bad_date.status_code == 200 and flashes(bad_date, "error")
    # numbered pages since issue 15 (no cursor): a bad page number or sort
    for query in ("page=not-a-page", "sort=before", "dir=newest"):
        bad = auditor.get(f"/bureau/audit?{query}")
        assert bad.status_code == 200 and flashes(bad, "error") and rows(bad), query


def test_the_trail_pages(people, app, db, monkeypatch):
    monkeypatch.setattr(audit_pages, "PAGE_SIZE", 2)
    auditor = signed_in(app, "auditor1")
    seen: list[str] = []
    page = auditor.get("/bureau/audit")
    while True:
        seen += [i for i, _a in rows(page)]
        found = re.search(r'id="next-page" href="([^"]+)"', text(page))
        if not found:
            break
        page = auditor.get(found.group(1).replace("&amp;", "&"))
        assert 'id="first-page"' in text(page)
    ids = [str(i) for i in db.scalars(select(AuditEntry.id).order_by(AuditEntry.id))]
    assert seen == ids and len(ids) > 2


def test_the_export_is_the_filtered_trail_with_formulas_defused(people, app, db):
    db.add(
        AuditEntry(
            actor='=HYPERLINK("http://evil.example")',
            action="enterprise.update",
            entity="enterprise",
            entity_id="@SUM(A1)",
            before=None,
            after={"name": "x"},
        )
    )
    db.commit()
    auditor = signed_in(app, "auditor1")
    export = auditor.get("/bureau/audit.csv?entity=enterprise")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    body = export.get_data(as_text=True)
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body[1:])))
    assert table[0] == list(audit_pages.CSV_HEADER)
    expected = db.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity == "enterprise"))
    assert len(table) - 1 == expected == 3
    hostile = table[-1]
    assert hostile[2].startswith("'=") and hostile[7].startswith("'@")
    assert hostile[3].startswith("'=") and hostile[8].startswith("'@")  # their names: as they are
    assert hostile[5] == "修改企业信息" and hostile[6] == "企业"


def test_the_export_names_people_and_objects_beside_their_codes(people, bank, app, db):
    """An auditor reading the CSV in Excel meets 张敏 and 中山农商银行, as on the page, each
    beside the code it stands for."""
    people.create("zhangmin", "clerk")
    db.execute(update(User).where(User.username == "zhangmin").values(display_name="张敏"))
    db.commit()
    bank("ZSRCB", "中山农商银行")
    for actor, entity, entity_id in (
        ("user:zhangmin", "bank", "ZSRCB"),
        ("system", "batch", "7"),
        ("bank:ZSRCB", "loan", "ZSRCB/HT-1"),
    ):
        db.add(
            AuditEntry(
                actor=actor, action="bank.create", entity=entity, entity_id=entity_id, after={}
            )
        )
    db.commit()
    export = signed_in(app, "auditor1").get("/bureau/audit.csv?action=bank.create")
    table = list(csv.DictReader(io.StringIO(export.get_data(as_text=True)[1:])))
    assert [(r["操作人"], r["操作人姓名"], r["对象"], r["对象名称"]) for r in table][-3:] == [
        ("user:zhangmin", "张敏", "ZSRCB", "中山农商银行"),
        ("system", "系统", "7", "7"),
        ("bank:ZSRCB", "中山农商银行", "ZSRCB/HT-1", "中山农商银行 / HT-1"),
    ]


@pytest.mark.parametrize("username", ["clerk1"])
def test_only_auditors_and_administrators_see_it(people, app, username):
    other = signed_in(app, username)
    assert other.get("/bureau/audit").status_code == 403
    assert other.get("/bureau/audit.csv").status_code == 403
    assert 'id="nav-audit"' not in text(other.get("/bureau"))
    assert signed_in(app, "admin1").get("/bureau/audit").status_code == 200
    assert Web(app).get("/bureau/audit").status_code in (302, 401)


def _audited_codes() -> set[tuple[str, str]]:
    """(action, entity) of every audit.record call whose action is written out in the code;
    an f-string action (objection.{resolution}, payment.{status}) is listed by hand below."""
    found = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 4:
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            action, entity = node.args[2], node.args[3]
            if name == "_transition" and len(node.args) >= 5:  # payouts: (…, actor, action)
                action, entity = node.args[4], ast.Constant("batch")
            written_out = isinstance(action, ast.Constant) and isinstance(action.value, str)
            if (
                name in ("record", "_transition")
                and isinstance(entity, ast.Constant)
                and written_out
            ):
                found.add((action.value, entity.value))
    return found


def test_every_action_and_entity_the_code_audits_has_words():
    audited = _audited_codes()
    assert len(audited) > 30 and ("batch.approve", "batch") in audited
    for action, entity in audited:
        assert action in ACTIONS, action
        assert entity in ENTITIES, entity
    for code in ("objection.upheld", "objection.dismissed", "payment.paid", "payment.failed"):
        assert code in ACTIONS
    for words in (*ACTIONS.values(), *ENTITIES.values()):
        assert CJK.search(str(words)), words
