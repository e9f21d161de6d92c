"""The staff's tables at the demo's size (issue 15, "Scale"): the batch page's payees in
pages with the whole batch's totals above them, both its tables found by a payee's name, USCC
or bank name, every list (batch payees and lines, loans, enterprises, filings, objections, a
名录库 list's members, the audit trail) sorted by a whitelisted column (`?sort=col&dir=asc|desc`), every paged
list saying "共 N 条，第 x/y 页", and the new filing list. A bad page or sort is a flash
message and the default, never a 500."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from loanledger.persistence.tables import AuditEntry, Bank
from loanledger.services import read
from loanledger.web import audit as audit_pages
from loanledger.web import batches as batch_pages
from loanledger.web import lists as list_pages
from loanledger.web import objections as objection_pages
from loanledger.web import registry as registry_pages
from loanledger.web import uploads
from tests.support.api import API, ok
from tests.support.lists import CHINESE_HEADER, LIST, USCC_A, USCC_B, csv_bytes, list_world
from tests.support.many_payees import many_payees, payee_name, payee_uscc
from tests.support.web import Web, flashes, text

COUNT = 7


@pytest.fixture
def world(staff, bank):
    built = many_payees(staff, bank, COUNT)
    staff.create("clerk1", "clerk", password="clerk1-password")
    return built


@pytest.fixture
def clerk(app, world) -> Web:
    web = Web(app)
    web.login("clerk1", "clerk1-password")
    return web


def payee_rows(page) -> list[str]:
    return re.findall(r'class="payee-row" data-payee-id="([^"]+)"', text(page))


def line_payees(page) -> list[str]:
    return re.findall(r'class="line-row" [^>]*data-payee-id="([^"]+)"', text(page))


def pager(page, prefix: str = "") -> tuple[int, int, int]:
    found = re.search(
        rf'id="{prefix}pager" data-count="(\d+)" data-page="(\d+)" data-pages="(\d+)"', text(page)
    )
    assert found, text(page)
    return int(found.group(1)), int(found.group(2)), int(found.group(3))


def by_name(world) -> list[str]:
    """The payees' USCCs in the order of their names (by code point: 东 < 华 < 古 < 小 < 美)."""
    return sorted(world.names, key=lambda uscc: world.names[uscc])


# ------------------------------------------------------------------ the batch page
def test_the_payees_are_paged_under_the_whole_batchs_totals(world, clerk, monkeypatch):
    monkeypatch.setattr(batch_pages, "PAYEES_PAGE_SIZE", 3)
    url = f"/bureau/batches/{world.batch_id}"
    first = clerk.get(url)
    assert first.status_code == 200
    assert pager(first, "payees-") == (COUNT, 1, 3)
    assert "共 7 条，第 1/3 页" in text(first)
    # by name (the default), the first three
    assert payee_rows(first) == by_name(world)[:3]
    # totals of all seven payees: 1,000 + … + 1,006 yuan
    total = sum(1000 + i for i in range(COUNT))
    assert f'id="payees-total">¥{total:,}.00<' in text(first)
    last = clerk.get(re.search(r'id="payees-last-page" href="([^"]+)"', text(first)).group(1))
    assert payee_rows(last) == by_name(world)[6:] and pager(last, "payees-") == (COUNT, 3, 3)
    # a page past the end shows the last one
    assert pager(clerk.get(f"{url}?ppage=99"), "payees-") == (COUNT, 3, 3)


def test_both_tables_find_a_payee_by_a_piece_of_its_name_or_uscc(world, clerk):
    url = f"/bureau/batches/{world.batch_id}"
    named = clerk.get(f"{url}?payee=华星")  # payees 0 and 5
    assert payee_rows(named) == [payee_uscc(0), payee_uscc(5)]
    assert line_payees(named) == [payee_uscc(0), payee_uscc(5)]
    assert pager(named, "payees-")[0] == 2 and pager(named)[0] == 2
    # a USCC in lower case, and a piece of it
    assert payee_rows(clerk.get(f"{url}?payee={payee_uscc(3).lower()}")) == [payee_uscc(3)]
    assert payee_rows(clerk.get(f"{url}?payee=有限公司0004")) == [payee_uscc(4)]
    # % and _ are not wildcards
    nothing = clerk.get(f"{url}?payee=%25")
    assert payee_rows(nothing) == [] and line_payees(nothing) == []
    assert "没有符合条件的收款方。" in text(nothing)
    # the payee's link still narrows the lines to exactly that payee
    assert line_payees(clerk.get(f"{url}?payee_id={payee_uscc(2)}")) == [payee_uscc(2)]


def test_a_bank_payee_is_found_by_its_banks_name_in_any_case(world, db):
    # compensation batches pay banks; the one condition both tables use finds them by name
    found = db.scalars(
        select(Bank.bank_code).where(read.payee_matching(Bank.bank_code, "bank bk2"))
    ).all()
    assert found == ["BK2"]


def test_the_batch_tables_sort_by_a_whitelisted_column(world, clerk):
    url = f"/bureau/batches/{world.batch_id}"
    newest_first = clerk.get(f"{url}?psort=total&pdir=desc")
    assert payee_rows(newest_first) == [payee_uscc(i) for i in reversed(range(COUNT))]
    assert 'data-sort="total"' in text(newest_first) and "▼" in text(newest_first)
    assert payee_rows(clerk.get(f"{url}?psort=name&pdir=desc")) == by_name(world)[::-1]
    assert payee_rows(clerk.get(f"{url}?psort=payee_id")) == sorted(world.names)
    lines = clerk.get(f"{url}?sort=amount&dir=desc")
    assert line_payees(lines) == [payee_uscc(i) for i in reversed(range(COUNT))]
    assert line_payees(clerk.get(f"{url}?sort=payee")) == by_name(world)
    # the payees' sort leaves the lines' alone and the other way round
    both = clerk.get(f"{url}?psort=total&pdir=desc&sort=amount&dir=asc")
    assert payee_rows(both)[0] == payee_uscc(6) and line_payees(both)[0] == payee_uscc(0)


@pytest.mark.parametrize(
    "query",
    [
        "psort=account_number",
        "psort=name;DROP TABLE lines",
        "pdir=sideways",
        "sort=breakdown",
        "sort=amount&dir=up",
    ],
)
def test_a_bad_sort_is_said_and_the_default_order_kept(world, clerk, query):
    page = clerk.get(f"/bureau/batches/{world.batch_id}?{query}")
    assert page.status_code == 200
    assert [m for m in flashes(page, "error") if m.startswith("排序无效")]
    assert payee_rows(page) == by_name(world)  # the payees' default: by name
    assert line_payees(page) == [payee_uscc(i) for i in range(COUNT)]  # the lines': by number


def test_bad_pages_and_filters_are_said_never_a_500(world, clerk):
    url = f"/bureau/batches/{world.batch_id}"
    page = clerk.get(f"{url}?ppage=x&page=-1&payee={'长' * 101}")
    assert page.status_code == 200 and len(flashes(page, "error")) == 3
    assert len(payee_rows(page)) == COUNT


# ------------------------------------------------------------------ the lists
def loan_contracts(page) -> list[str]:
    return re.findall(r'class="loan-row" data-bank="[^"]+" data-contract="([^"]+)"', text(page))


def test_the_loan_list_sorts_counts_and_finds_an_enterprise_by_name(world, clerk, monkeypatch):
    monkeypatch.setattr(registry_pages, "LOANS_PAGE_SIZE", 3)
    desc = clerk.get("/bureau/loans?sort=principal&dir=desc")
    assert pager(desc) == (COUNT, 1, 3) and "共 7 条，第 1/3 页" in text(desc)
    by_contract = clerk.get("/bureau/loans?sort=contract_no&dir=desc&page=2")
    assert loan_contracts(by_contract) == ["C0003", "C0002", "C0001"]
    assert loan_contracts(clerk.get("/bureau/loans?enterprise=小榄")) == ["C0002"]
    assert loan_contracts(clerk.get("/bureau/loans?sort=enterprise&enterprise=制品")) == [
        "C0004",
        "C0000",
        "C0005",
    ]  # 东凤 < 华星 < 古镇 … by code point, page 1 of 3
    bad = clerk.get("/bureau/loans?sort=content_hash")
    assert bad.status_code == 200 and flashes(bad, "error")
    assert loan_contracts(bad) == ["C0000", "C0001", "C0002"]  # registration order


def test_the_enterprise_list_sorts_and_counts(world, clerk, staff):
    desc = clerk.get("/bureau/enterprises?sort=uscc&dir=desc")
    usccs = re.findall(r'class="enterprise-row" data-uscc="([^"]+)"', text(desc))
    assert usccs == sorted(world.names, reverse=True) and pager(desc) == (COUNT, 1, 1)
    # a column with NULLs: those last, ascending or descending, on both engines
    ok(staff.request("clerk", "PATCH", f"/enterprises/{payee_uscc(5)}", {"town": "小榄镇"}))
    for direction in ("asc", "desc"):
        by_town = clerk.get(f"/bureau/enterprises?sort=town&dir={direction}")
        assert re.findall(r'data-uscc="([^"]+)"', text(by_town))[0] == payee_uscc(5)
    found = clerk.get("/bureau/enterprises?q=美灯")
    assert re.findall(r'data-uscc="([^"]+)"', text(found)) == [payee_uscc(1), payee_uscc(6)]
    assert "共 2 条，第 1/1 页" in text(found)


def filing_rows(page) -> list[str]:
    return re.findall(r'class="filing-row" data-filing="([^"]+)"', text(page))


def test_the_filing_list_filters_sorts_pages_and_links(world, clerk, monkeypatch):
    page = clerk.get("/bureau/filings")
    assert page.status_code == 200 and 'id="nav-filings"' in text(page)
    # newest approval first (all on one day here: then by number, the same way)
    assert filing_rows(page) == [f"F{i:04d}" for i in reversed(range(COUNT))]
    assert 'href="/bureau/filings/F0003"' in text(page)
    assert f'href="/bureau/enterprises/{payee_uscc(3)}"' in text(page)
    assert payee_name(3) in text(page) and "¥800,000.00" in text(page)
    assert filing_rows(clerk.get("/bureau/filings?enterprise=古镇")) == ["F0003"]
    assert filing_rows(clerk.get(f"/bureau/filings?enterprise={payee_uscc(4)}")) == ["F0004"]
    assert len(filing_rows(clerk.get("/bureau/filings?bank_code=BK1"))) == COUNT
    assert filing_rows(clerk.get("/bureau/filings?bank_code=BK2")) == []
    assert len(filing_rows(clerk.get("/bureau/filings?status=active"))) == COUNT
    assert filing_rows(clerk.get("/bureau/filings?status=revoked")) == []
    desc = clerk.get("/bureau/filings?sort=filing_no&dir=desc")
    assert filing_rows(desc) == [f"F{i:04d}" for i in reversed(range(COUNT))]
    monkeypatch.setattr(registry_pages, "FILINGS_PAGE_SIZE", 2)
    second = clerk.get("/bureau/filings?status=active&sort=filing_no&page=2")
    assert filing_rows(second) == ["F0002", "F0003"] and pager(second) == (COUNT, 2, 4)
    assert "共 7 条，第 2/4 页" in text(second)


def test_the_filing_list_refuses_bad_filters_with_a_message(world, clerk):
    for query in ("status=bogus", "bank_code=NOPE", "sort=revoke_reason", "page=0"):
        page = clerk.get(f"/bureau/filings?{query}")
        assert page.status_code == 200 and flashes(page, "error"), query
        assert len(filing_rows(page)) == COUNT, query


def object_to_lines(staff, world, indexes) -> list[int]:
    """Enterprises `indexes` each object to their line, in that order: the objection ids."""
    lines = ok(staff.request("auditor", "GET", f"/batches/{world.batch_id}/lines?limit=100"))
    line_of = {line["payee_id"]: line["line_id"] for line in lines["items"]}
    ids = []
    for i in indexes:
        username = f"ent{i}"
        token = staff.login(username, staff.create(username, "enterprise", uscc=payee_uscc(i)))
        body = {"line_id": line_of[payee_uscc(i)], "reason": "利息有误"}
        answer = staff.client.post(
            f"{API}/objections", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        ids.append(ok(answer, 201)["objection_id"])
    return ids


def objection_rows(page) -> list[int]:
    return objection_rows_in(text(page))


def test_the_objection_list_is_paged_sorted_and_found_by_name(world, clerk, staff, monkeypatch):
    first, third, sixth = object_to_lines(staff, world, [3, 0, 6])
    monkeypatch.setattr(objection_pages, "PAGE_SIZE", 2)
    newest = clerk.get("/bureau/objections")
    assert objection_rows(newest) == [sixth, third] and pager(newest) == (3, 1, 2)
    assert "共 3 条，第 1/2 页" in text(newest)
    by_amount = clerk.get("/bureau/objections?sort=amount")  # 1,000 < 1,003 < 1,006 yuan
    assert objection_rows(by_amount) == [third, first]
    assert objection_rows(clerk.get("/bureau/objections?enterprise=古镇")) == [first]
    in_batch = clerk.get(f"/bureau/objections?batch_id={world.batch_id}&sort=id&page=2")
    assert objection_rows(in_batch) == [sixth] and pager(in_batch) == (3, 2, 2)
    assert objection_rows(clerk.get(f"/bureau/objections?batch_id={world.batch_id + 1}")) == []
    for query in ("sort=reason", "dir=down", "batch_id=x", "status=maybe"):
        bad = clerk.get(f"/bureau/objections?{query}")
        assert bad.status_code == 200 and flashes(bad, "error"), query
        assert len(objection_rows(bad)) == 2, query


def test_a_batch_page_shows_its_newest_objections_and_links_to_all(
    world, clerk, staff, monkeypatch
):
    ids = object_to_lines(staff, world, [1, 2, 4])
    monkeypatch.setattr(batch_pages, "OBJECTIONS_SHOWN", 2)
    page = text(clerk.get(f"/bureau/batches/{world.batch_id}"))
    assert objection_rows_in(page) == [ids[2], ids[1]]
    assert "共 3 条，这里显示最新 2 条" in page
    assert f'href="/bureau/objections?batch_id={world.batch_id}"' in page


def objection_rows_in(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="objection-row" data-objection-id="(\d+)"', page)]


def test_only_staff_see_the_filing_list(world, app, staff):
    staff.create("ent", "enterprise", password="ent-password", uscc=payee_uscc(0))
    ent = Web(app)
    ent.login("ent", "ent-password")
    assert ent.get("/bureau/filings").status_code == 403


# ------------------------------------------------------------------ a 名录库 list's members
def members(page) -> list[tuple[str, str]]:
    return re.findall(r'class="member-row" data-uscc="(\w+)" data-from="([\d-]+)"', text(page))


def test_a_lists_members_are_sorted_and_counted_even_under_a_refused_import(
    app, staff, monkeypatch
):
    list_world(staff)
    for uscc, body in (
        (USCC_A, {"from": "2023-01-01", "to": "2023-12-31"}),
        (USCC_A, {"from": "2024-02-01"}),
        (USCC_B, {"from": "2023-06-01"}),
    ):
        ok(staff.request("clerk", "PUT", f"/enterprise-lists/{LIST}/members/{uscc}", body))
    staff.create("clerk1", "clerk", password="clerk1-password")
    web = Web(app)
    web.login("clerk1", "clerk1-password")
    monkeypatch.setattr(list_pages, "PAGE_SIZE", 2)
    page = web.get(f"/bureau/lists/{LIST}?sort=from&dir=desc")
    assert members(page) == [(USCC_A, "2024-02-01"), (USCC_B, "2023-06-01")]
    assert "共 3 条，第 1/2 页" in text(page)
    # 华星 (A) < 美灯 (B) by code point; descending puts B first
    assert members(web.get(f"/bureau/lists/{LIST}?sort=name&dir=desc"))[0][0] == USCC_B
    bad = web.get(f"/bureau/lists/{LIST}?sort=holder")
    assert bad.status_code == 200 and flashes(bad, "error")
    assert members(bad) == [(USCC_A, "2023-01-01"), (USCC_A, "2024-02-01")]
    # a refused file shows the list under its errors: its links lead to the list, not the form
    refused = web.client.post(
        f"/bureau/lists/{LIST}/imports",
        data={
            "csrf_token": web.token,
            "file": (io.BytesIO(csv_bytes([CHINESE_HEADER, ["1", "BAD", "", "x"]])), "名录.csv"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 200 and flashes(refused, "error")
    assert f'id="next-page" href="/bureau/lists/{LIST}?page=2"' in text(refused)
    assert f"/bureau/lists/{LIST}/imports?" not in text(refused)
    assert 'id="import-errors-shown"' not in text(refused)
    monkeypatch.setattr(uploads, "ERRORS_SHOWN", 1)  # the one cap of every upload form
    two_rows = csv_bytes([CHINESE_HEADER, ["1", "BAD", "", "x"], ["2", "BAD2", "", "y"]])
    cut = web.client.post(
        f"/bureau/lists/{LIST}/imports",
        data={"csrf_token": web.token, "file": (io.BytesIO(two_rows), "名录.csv")},
        content_type="multipart/form-data",
    )
    assert re.search(r"共 (\d+) 个错误，这里显示前 1 个，另有 (\d+) 条未显示", text(cut))
    # the lists themselves: paged too, with their count
    ok(staff.request("admin", "POST", "/enterprise-lists", {"list_code": "ZBD", "name": "助保贷"}))
    monkeypatch.setattr(list_pages, "LISTS_PAGE_SIZE", 1)
    lists = web.get("/bureau/lists?page=2")
    assert re.findall(r'class="list-row" data-list-code="(\w+)"', text(lists)) == ["ZBD"]
    assert "共 2 条，第 2/2 页" in text(lists)


# ------------------------------------------------------------------ the audit trail
def audit_ids(page) -> list[int]:
    return [int(i) for i in re.findall(r'class="audit-row" data-audit-id="(\d+)"', text(page))]


def test_the_audit_trail_is_counted_sorted_and_says_the_exports_limit(
    world, app, staff, db, monkeypatch
):
    staff.create("auditor1", "auditor", password="auditor1-password")
    auditor = Web(app)
    auditor.login("auditor1", "auditor1-password")
    every = list(db.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))
    monkeypatch.setattr(audit_pages, "PAGE_SIZE", 5)
    first = auditor.get("/bureau/audit")
    assert audit_ids(first) == every[:5]
    pages = -(-len(every) // 5)
    assert pager(first) == (len(every), 1, pages)
    assert f"共 {len(every)} 条，第 1/{pages} 页" in text(first)
    newest = auditor.get("/bureau/audit?sort=id&dir=desc&page=2")
    assert audit_ids(newest) == every[::-1][5:10]
    assert 'id="export-limit"' not in text(first)
    monkeypatch.setattr(audit_pages, "EXPORT_AT_MOST", 3)
    limited = text(auditor.get("/bureau/audit"))
    assert f"导出最多 3 条（当前筛选共 {len(every):,} 条）" in limited
