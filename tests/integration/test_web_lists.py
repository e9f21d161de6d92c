"""名录库 pages: the navigation's link, the lists with their counts, an admin's new list, a
list's members on a date page by page, a membership added and changed from the form, and a
list file imported from the upload form — a refused file shows every row's errors in Chinese
(or English) and changes nothing. Auditors read and see no forms."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from loanledger.domain.uscc import uscc_with_check
from loanledger.persistence.tables import AuditEntry, Enterprise, EnterpriseListMember
from loanledger.web import lists as list_pages
from tests.support.api import ok
from tests.support.lists import (
    CHINESE_HEADER,
    LIST,
    USCC_A,
    USCC_B,
    csv_bytes,
    list_world,
    xlsx_bytes,
)
from tests.support.web import Web, flashes, text

NEW = uscc_with_check("91442000MA5123456")
BAD_CHECK = NEW[:17] + ("0" if NEW[17] != "0" else "1")
PAGE = f"/bureau/lists/{LIST}"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def people(staff):
    """Users admin1, clerk1, auditor1; enterprises A and B; list SGS; business date 2024-03-01."""
    for username, role in (("admin1", "admin"), ("clerk1", "clerk"), ("auditor1", "auditor")):
        staff.create(username, role, password=f"{username}-password")
    list_world(staff)
    return staff


def signed_in(app, username: str) -> Web:
    web = Web(app)
    web.login(username, f"{username}-password")
    return web


def state(db) -> tuple:
    db.expire_all()
    return (
        sorted(
            (m.id, m.uscc, m.from_on, m.to_on) for m in db.scalars(select(EnterpriseListMember))
        ),
        sorted(e.uscc for e in db.scalars(select(Enterprise))),
        [(a.id, a.action) for a in db.scalars(select(AuditEntry).order_by(AuditEntry.id))],
    )


def members_shown(page: str) -> list[tuple[str, str]]:
    return re.findall(r'class="member-row" data-uscc="(\w+)" data-from="([\d-]+)"', page)


def import_errors_shown(page: str) -> list[tuple[str, str, str]]:
    """(row, column, sentence) of each refused row's error under the upload form."""
    return re.findall(
        r'class="import-error" data-row="(\d+)"><td class="num">\d+</td><td>(.*?)</td><td>(.*?)</td>',
        page,
    )


def upload(web: Web, data: bytes, filename: str = "名录.csv"):
    return web.client.post(
        f"{PAGE}/imports",
        data={"csrf_token": web.token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


# ---------------------------------------------------------------- the lists
def test_the_navigation_leads_to_the_lists_with_their_counts(people, app):
    people.request(
        "clerk", "PUT", f"/enterprise-lists/{LIST}/members/{USCC_A}", {"from": "2024-01-01"}
    )
    people.request(
        "clerk",
        "PUT",
        f"/enterprise-lists/{LIST}/members/{USCC_B}",
        {"from": "2023-01-01", "to": "2023-12-31"},
    )
    auditor = signed_in(app, "auditor1")
    home = text(auditor.get("/bureau"))
    assert 'href="/bureau/lists"' in home and "名录库" in home
    page = text(auditor.get("/bureau/lists"))
    row = re.search(r'class="list-row" data-list-code="SGS">(.*?)</tr>', page, re.S).group(1)
    assert "上规上限培育企业名录库" in row
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["2", "1"]
    assert 'id="create-list"' not in page  # only an admin creates a list


def test_an_admin_creates_a_list_from_the_page(people, app, db):
    admin = signed_in(app, "admin1")
    assert 'id="create-list"' in text(admin.get("/bureau/lists"))
    done = admin.post(
        "/bureau/lists", {"list_code": "ZBD-2025", "name": "助保贷名录"}, from_page="/bureau/lists"
    )
    assert flashes(done, "success") == ["名录库 ZBD-2025 已创建。"]
    assert done.request.path == "/bureau/lists/ZBD-2025" and "助保贷名录" in text(done)
    before = state(db)
    taken = admin.post(
        "/bureau/lists", {"list_code": LIST, "name": "另一个"}, from_page="/bureau/lists"
    )
    assert flashes(taken, "error") == ["名录库代码 SGS 已被另一个名称的名录库使用。"]
    assert state(db) == before
    clerk = signed_in(app, "clerk1")
    assert (
        clerk.post(
            "/bureau/lists", {"list_code": "X", "name": "X"}, from_page="/bureau/lists"
        ).status_code
        == 403
    )


# ---------------------------------------------------------------- one list
def test_the_list_page_shows_members_on_a_date_page_by_page(people, app, monkeypatch):
    for uscc, body in (
        (USCC_A, {"from": "2023-01-01", "to": "2023-12-31"}),
        (USCC_A, {"from": "2024-02-01"}),
        (USCC_B, {"from": "2023-06-01", "to": "2024-01-31"}),
    ):
        ok(people.request("clerk", "PUT", f"/enterprise-lists/{LIST}/members/{uscc}", body))
    auditor = signed_in(app, "auditor1")
    page = text(auditor.get(PAGE))
    assert members_shown(page) == [
        (USCC_A, "2023-01-01"),
        (USCC_A, "2024-02-01"),
        (USCC_B, "2023-06-01"),
    ]
    assert "中山市华星五金制品有限公司" in page and "（仍在名录）" in page
    assert 'id="put-member"' not in page and 'id="import-list"' not in page
    assert members_shown(text(auditor.get(f"{PAGE}?on=2024-01-31"))) == [(USCC_B, "2023-06-01")]
    assert members_shown(text(auditor.get(f"{PAGE}?on=2024-02-01"))) == [(USCC_A, "2024-02-01")]
    bad = auditor.get(f"{PAGE}?on=2024-02-30")
    assert bad.status_code == 200 and flashes(bad, "error") == ["日期格式应为 YYYY-MM-DD。"]
    assert len(members_shown(text(bad))) == 3
    monkeypatch.setattr(list_pages, "PAGE_SIZE", 2)
    first = text(auditor.get(PAGE))
    assert members_shown(first) == [(USCC_A, "2023-01-01"), (USCC_A, "2024-02-01")]
    link = re.search(r'id="next-page" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = text(auditor.get(link))
    assert members_shown(second) == [(USCC_B, "2023-06-01")]
    assert 'id="next-page"' not in second and 'id="first-page"' in second
    assert auditor.get("/bureau/lists/NOPE").status_code == 404


def test_a_clerk_adds_and_changes_a_membership_from_the_form(people, app, db):
    clerk = signed_in(app, "clerk1")
    page = text(clerk.get(PAGE))
    assert 'id="put-member"' in page and 'enctype="multipart/form-data"' in page
    added = clerk.post(
        f"{PAGE}/members", {"uscc": USCC_A, "from": "2024-01-01", "to": ""}, from_page=PAGE
    )
    assert flashes(added, "success") == [f"已为 {USCC_A} 新增一段名录期间。"]
    assert members_shown(text(added)) == [(USCC_A, "2024-01-01")]
    changed = clerk.post(
        f"{PAGE}/members",
        {"uscc": USCC_A, "from": "2024-01-01", "to": "2024-06-30"},
        from_page=PAGE,
    )
    assert flashes(changed, "success") == [f"已修改 {USCC_A} 的名录期间。"]
    db.expire_all()
    (m,) = db.scalars(select(EnterpriseListMember))
    assert (m.from_on, m.to_on) == (dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    before = state(db)
    for form, message in (
        ({"uscc": USCC_B, "from": "2024-02-01", "to": "2024-01-31"}, "截止日期不能早于起始日期。"),
        ({"uscc": NEW, "from": "2024-02-01"}, "该企业尚未登记，请先登记企业。"),
        (
            {"uscc": BAD_CHECK, "from": "2024-02-01"},
            "统一社会信用代码无效（应为18位，校验位须正确）。",
        ),
        ({"uscc": USCC_B, "from": "2024-2-1"}, "日期格式应为 YYYY-MM-DD。"),
    ):
        answer = clerk.post(f"{PAGE}/members", form, from_page=PAGE)
        assert flashes(answer, "error") == [message], form
    ok(
        people.request(
            "clerk", "PUT", f"/enterprise-lists/{LIST}/members/{USCC_A}", {"from": "2024-08-01"}
        )
    )
    before = state(db)
    both = clerk.post(f"{PAGE}/members", {"uscc": USCC_A, "from": "2024-06-01"}, from_page=PAGE)
    assert flashes(both, "error")[0].startswith(f"{USCC_A} 的这段期间与该企业在名录库中已有的两段")
    assert state(db) == before
    auditor = signed_in(app, "auditor1")
    assert (
        auditor.post(
            f"{PAGE}/members", {"uscc": USCC_B, "from": "2024-01-01"}, from_page=PAGE
        ).status_code
        == 403
    )


# ---------------------------------------------------------------- the upload form
def test_a_list_file_imported_from_the_page(people, app, db):
    clerk = signed_in(app, "clerk1")
    clerk.get(PAGE)
    data = csv_bytes(
        [
            CHINESE_HEADER,
            ["1", USCC_A, "华星五金", "2024-01-01", "", "", "小榄镇"],
            [
                "2",
                NEW,
                "中山市新登记科技有限公司",
                "2024-02-01",
                "2024-12-31",
                "2019-05-06",
                "古镇镇",
            ],
        ],
        "gb18030",
    )
    done = upload(clerk, data)
    assert done.request.path == PAGE
    assert flashes(done, "success") == [
        "已导入 2 行：新增 2 段期间，修改 0 段，未变 0 段；新登记企业 1 家。"
    ]
    assert members_shown(text(done)) == sorted([(USCC_A, "2024-01-01"), (NEW, "2024-02-01")])
    assert db.get(Enterprise, NEW).name == "中山市新登记科技有限公司"
    again = upload(
        clerk, xlsx_bytes([["uscc", "from"], [USCC_A, dt.date(2024, 1, 1)]]), "名录.xlsx"
    )
    assert flashes(again, "success") == [
        "已导入 1 行：新增 0 段期间，修改 0 段，未变 1 段；新登记企业 0 家。"
    ]


def test_a_refused_file_shows_every_rows_errors_in_chinese_and_changes_nothing(people, app, db):
    clerk = signed_in(app, "clerk1")
    clerk.get(PAGE)
    data = csv_bytes(
        [
            ["统一社会信用代码", "企业名称", "起始日期", "截止日期", "成立日期"],
            [USCC_A, "", "2024-01-01", "", ""],
            [USCC_B, "", "2024-02-02", "2024-02-01", ""],
            [USCC_B, "", "2024-02-30", "", ""],
            [USCC_B, "", "", "", ""],
            [BAD_CHECK, "某公司", "2024-01-01", "", "2015-01-01"],
            [NEW, "", "2024-01-01", "", ""],
            [USCC_A, "", "2024-06-01", "", ""],
            [NEW, "某公司", "2023-01-01", "2023-02-01", "2015-01-01"],
        ]
    )
    before = state(db)
    answer = upload(clerk, data)
    page = text(answer)
    assert answer.status_code == 200
    assert flashes(answer, "error") == [
        "文件中有 7 行有错误，整个文件未导入。请按下表修改后重新上传。"
    ]
    shown = import_errors_shown(page)
    assert shown == [
        ("3", "截止日期", "截止日期早于起始日期。"),
        ("4", "起始日期", "不是有效的日期，应为 YYYY-MM-DD（或 2024/1/1、2024年1月1日）。"),
        ("5", "起始日期", "必填项为空。"),
        ("6", "统一社会信用代码", "企业尚未登记，且统一社会信用代码无效（校验位不符），不能新建。"),
        ("7", "企业名称", "企业尚未登记：新建企业须填写企业名称。"),
        ("7", "成立日期", "企业尚未登记：新建企业须填写成立日期（文件需有“成立日期”列）。"),
        ("8", "起始日期", "与第 2 行同一企业的期间重叠。"),
        ("9", "企业名称", "与第 7 行同一企业的企业名称或成立日期不一致。"),
    ]
    assert all(CJK.search(sentence) for _row, _column, sentence in shown)
    assert state(db) == before
    # The same rows in English.
    clerk.get("/lang/en")
    english = text(upload(clerk, data))
    assert "row(s) of the file have errors" in english or "rows of the file have errors" in english
    assert "The end date is before the start date." in english


def test_a_file_the_page_cannot_read_or_no_file_at_all(people, app, db):
    clerk = signed_in(app, "clerk1")
    clerk.get(PAGE)
    before = state(db)
    unreadable = upload(clerk, csv_bytes([["公司", "日期"], ["x", "2024-01-01"]]))
    (message,) = flashes(unreadable, "error")
    assert message.startswith("文件无法导入：须为 CSV（UTF-8 或 GB18030）或 XLSX")
    nothing = clerk.client.post(
        f"{PAGE}/imports", data={"csrf_token": clerk.token}, follow_redirects=True
    )
    assert flashes(nothing, "error") == ["请选择要导入的文件。"]
    no_token = clerk.client.post(
        f"{PAGE}/imports",
        data={"file": (io.BytesIO(b"uscc,from\n"), "a.csv")},
        content_type="multipart/form-data",
    )
    assert no_token.status_code == 400
    assert state(db) == before


def test_the_other_row_errors_are_in_words_too(people, app, db):
    for body in ({"from": "2023-01-01", "to": "2023-12-31"}, {"from": "2024-02-01"}):
        ok(people.request("clerk", "PUT", f"/enterprise-lists/{LIST}/members/{USCC_A}", body))
    clerk = signed_in(app, "clerk1")
    clerk.get(PAGE)
    data = xlsx_bytes(
        [
            ["uscc", "name", "from", "established_on"],
            [914420001234567890, "x", dt.date(2024, 1, 1), None],
            [NEW, "长" * 256, dt.date(2024, 1, 1), dt.date(2015, 1, 1)],
        ]
    )
    shown = [
        (row, sentence)
        for row, _c, sentence in import_errors_shown(text(upload(clerk, data, "a.xlsx")))
    ]
    assert shown == [
        ("2", "单元格无法读取：统一社会信用代码须为文本格式，日期须为日期或文本 YYYY-MM-DD。"),
        ("3", "内容太长（最多255个字符）。"),
    ]
    before = state(db)
    both = upload(clerk, csv_bytes([["uscc", "from"], [USCC_A, "2023-06-01"]]))
    assert import_errors_shown(text(both)) == [
        ("2", "起始日期", "与该企业在名录库中已有的两段或以上期间重叠，请逐段修改。")
    ]
    assert state(db) == before
