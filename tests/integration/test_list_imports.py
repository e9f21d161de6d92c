"""POST /enterprise-lists/{list_code}/imports: the 名录库 as the bureau receives it — CSV in
UTF-8 (with or without BOM) or GB18030, or XLSX; Chinese headers under a title row; an
unknown USCC registered only with a name, a 成立日期 and a valid check character; one bad
row refusing the whole file with every row's errors; files refused as a whole; nothing of a
refused import kept."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from loanledger.domain.uscc import uscc_with_check
from loanledger.persistence.tables import AuditEntry, Enterprise, EnterpriseListMember
from tests.support.api import ok, paged, refused
from tests.support.lists import (
    CHINESE_HEADER,
    LIST,
    USCC_A,
    USCC_B,
    csv_bytes,
    list_world,
    upload_list,
    xlsx_bytes,
)

NEW = uscc_with_check("91442000MA5123456")
NEW_2 = uscc_with_check("91442000MA5654321")
BAD_CHECK = NEW[:17] + ("0" if NEW[17] != "0" else "1")


def state(db) -> tuple:
    db.expire_all()
    return (
        sorted(
            (m.id, m.list_code, m.uscc, m.from_on, m.to_on)
            for m in db.scalars(select(EnterpriseListMember))
        ),
        sorted((e.uscc, e.name) for e in db.scalars(select(Enterprise))),
        [(a.id, a.action) for a in db.scalars(select(AuditEntry).order_by(AuditEntry.id))],
    )


def spans(db) -> list[tuple]:
    db.expire_all()
    return sorted((m.uscc, m.from_on, m.to_on) for m in db.scalars(select(EnterpriseListMember)))


@pytest.fixture
def lists(staff):
    list_world(staff)
    return staff


def errors(response) -> list[tuple]:
    return [(e["field"], e["code"]) for e in response.get_json()["errors"]]


# ---------------------------------------------------------------- formats
@pytest.mark.parametrize(("encoding", "reported"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-bom")])
def test_a_utf8_csv_with_chinese_headers(lists, db, encoding, reported):
    data = csv_bytes(
        [
            CHINESE_HEADER,
            ["1", USCC_A, "华星五金（名录里的写法）", "2024-01-01", "", "", "小榄镇"],
            ["2", USCC_B, "美灯照明", "2023-06-01", "2024-02-29", "", "古镇镇"],
        ],
        encoding,
    )
    body = ok(upload_list(lists, LIST, data, "名录2024.csv"), 200)
    assert body["format"] == "csv" and body["encoding"] == reported and body["header_row"] == 1
    assert (body["rows"], body["added"], body["changed"], body["unchanged"]) == (2, 2, 0, 0)
    assert body["enterprises_created"] == [] and body["ignored_columns"] == ["序号", "所属镇街"]
    assert body["filename"] == "名录2024.csv" and body["list_code"] == LIST
    assert spans(db) == [
        (USCC_A, dt.date(2024, 1, 1), None),
        (USCC_B, dt.date(2023, 6, 1), dt.date(2024, 2, 29)),
    ]
    # A registered enterprise is never changed by the list's spelling of its name.
    assert db.get(Enterprise, USCC_A).name == "中山市华星五金制品有限公司"
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "enterprise_list.import"))
    assert (entry.entity, entry.entity_id, entry.actor.startswith("user:clerk")) == (
        "enterprise_list",
        LIST,
        True,
    )
    assert entry.after["rows"] == 2 and entry.after["added"] == 2
    assert entry.after["sha256"] == body["sha256"]
    assert (
        len(
            list(
                db.scalars(
                    select(AuditEntry).where(AuditEntry.action == "enterprise_list_member.add")
                )
            )
        )
        == 2
    )
    # The import is found again in the audit trail.
    (found,) = paged(lists, "/audit?action=enterprise_list.import")
    assert found["after"]["filename"] == "名录2024.csv"


def test_a_gb18030_csv_under_a_title_row_with_dates_written_the_chinese_way(lists, db):
    data = csv_bytes(
        [
            ["中山市上规上限培育企业名录库（2024年第一批）", "", "", ""],
            ["统一社会信用代码", "企业 名称", "起始日期（含）", "截至日期"],
            [USCC_A, "华星五金", "2024年1月1日", "2024.12.31"],
            ["", "", "", ""],
            [USCC_B, "美灯照明", "2024/3/1", ""],
        ],
        "gb18030",
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    body = ok(upload_list(lists, LIST, data), 200)
    assert (body["encoding"], body["header_row"], body["rows"], body["added"]) == (
        "gb18030",
        2,
        2,
        2,
    )
    assert spans(db) == [
        (USCC_A, dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        (USCC_B, dt.date(2024, 3, 1), None),
    ]


def test_an_xlsx_with_date_cells_and_field_names(lists, db):
    data = xlsx_bytes(
        [
            ["uscc", "name", "from", "to", "established_on"],
            [USCC_A, "华星五金", dt.date(2024, 1, 1), None, None],
            [
                NEW,
                "中山市新登记科技有限公司",
                dt.datetime(2024, 2, 1),
                dt.date(2024, 12, 31),
                dt.date(2019, 5, 6),
            ],
        ],
        text_columns=(0,),
    )
    body = ok(upload_list(lists, LIST, data, "名录.xlsx"), 200)
    assert (body["format"], body["encoding"], body["rows"], body["added"]) == ("xlsx", None, 2, 2)
    assert body["enterprises_created"] == [NEW]
    assert spans(db) == sorted(
        [
            (USCC_A, dt.date(2024, 1, 1), None),
            (NEW, dt.date(2024, 2, 1), dt.date(2024, 12, 31)),
        ]
    )
    created = db.get(Enterprise, NEW)
    assert (created.name, created.established_on) == (
        "中山市新登记科技有限公司",
        dt.date(2019, 5, 6),
    )


def test_an_xlsx_uscc_in_a_number_cell_is_refused_as_a_row_error(lists, db):
    data = xlsx_bytes(
        [
            ["统一社会信用代码", "纳入日期"],
            [USCC_A, dt.date(2024, 1, 1)],
            [914420001234567890, dt.date(2024, 1, 1)],
            [USCC_B, True],
        ]
    )
    before = state(db)
    answer = upload_list(lists, LIST, data, "名录.xlsx")
    refused(answer, 422, "invalid_format", "rows[3].uscc")
    assert errors(answer) == [
        ("rows[3].uscc", "invalid_format"),
        ("rows[4].from", "invalid_format"),
    ]
    assert state(db) == before


# ---------------------------------------------------------------- all or nothing
def test_a_bad_row_refuses_the_whole_file_with_every_rows_errors(lists, db):
    data = csv_bytes(
        [
            ["统一社会信用代码", "企业名称", "起始日期", "截止日期", "成立日期"],
            [USCC_A, "", "2024-01-01", "", ""],  # 2: fine
            [USCC_B, "", "2024-02-02", "2024-02-01", ""],  # 3: to before from
            [USCC_B, "", "2024-02-30", "", ""],  # 4: not a date
            [USCC_B, "", "", "", ""],  # 5: from empty
            [
                BAD_CHECK,
                "某公司",
                "2024-01-01",
                "",
                "2015-01-01",
            ],  # 6: unknown, bad check character
            [NEW_2, "", "2024-01-01", "", ""],  # 7: unknown, no name, no 成立日期
            [USCC_A, "", "2024-06-01", "2024-12-31", ""],  # 8: overlaps row 2
            ["", "无代码公司", "2024-01-01", "", ""],  # 9: no USCC
            [
                NEW,
                "中山市新登记科技有限公司",
                "2024-01-01",
                "",
                "2019-05-06",
            ],  # 10: fine (would register)
        ]
    )
    before = state(db)
    answer = upload_list(lists, LIST, data)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    problem = answer.get_json()
    assert errors(answer) == [
        ("rows[3].to", "invalid_format"),
        ("rows[4].from", "invalid_format"),
        ("rows[5].from", "required"),
        ("rows[6].uscc", "invalid_uscc"),
        ("rows[7].name", "required"),
        ("rows[7].established_on", "required"),
        ("rows[8].from", "invalid_format"),
        ("rows[9].uscc", "required"),
    ]
    assert problem["rows_refused"] == 7
    assert problem["errors"][0]["message"] == "row 3: to 2024-02-01 is before from 2024-02-02"
    assert "row 2" in problem["errors"][6]["message"]
    assert "nothing was imported" in problem["detail"]
    assert state(db) == before
    assert db.get(Enterprise, NEW) is None


def test_an_unknown_uscc_is_registered_only_with_a_name_a_founding_date_and_a_valid_check_character(
    lists, db
):
    header = ["统一社会信用代码", "企业名称", "纳入日期", "截止日期", "成立日期"]
    for row, field, code in (
        ([BAD_CHECK, "某公司", "2024-01-01", "", "2015-01-01"], "uscc", "invalid_uscc"),
        ([NEW, "", "2024-01-01", "", "2015-01-01"], "name", "required"),
        ([NEW, "某公司", "2024-01-01", "", ""], "established_on", "required"),
    ):
        before = state(db)
        refused(upload_list(lists, LIST, csv_bytes([header, row])), 422, code, f"rows[2].{field}")
        assert state(db) == before
    # Without a 成立日期 column at all, an unknown USCC cannot be registered either.
    refused(
        upload_list(lists, LIST, csv_bytes([header[:4], [NEW, "某公司", "2024-01-01", ""]])),
        422,
        "required",
        "rows[2].established_on",
    )
    # Two rows of one new enterprise must say the same of it.
    answer = upload_list(
        lists,
        LIST,
        csv_bytes(
            [
                header,
                [NEW, "某公司", "2023-01-01", "2023-06-30", "2015-01-01"],
                [NEW, "某某公司", "2024-01-01", "", "2015-01-01"],
            ]
        ),
    )
    refused(answer, 422, "invalid_format", "rows[3].name")
    assert db.get(Enterprise, NEW) is None
    body = ok(
        upload_list(
            lists,
            LIST,
            csv_bytes(
                [
                    header,
                    [NEW, "某公司", "2023-01-01", "2023-06-30", "2015-01-01"],
                    [NEW, "某公司", "2024-01-01", "", "2015-01-01"],
                ]
            ),
        ),
        200,
    )
    assert (body["enterprises_created"], body["added"]) == ([NEW], 2)
    db.expire_all()
    created = db.get(Enterprise, NEW)
    assert (created.name, created.established_on) == ("某公司", dt.date(2015, 1, 1))
    (registered,) = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "enterprise.create", AuditEntry.entity_id == NEW
        )
    )
    assert registered.after["established_on"] == "2015-01-01"


def test_the_same_file_again_changes_nothing_and_a_row_states_its_membership(lists, db):
    header = ["uscc", "from", "to"]
    first = csv_bytes([header, [USCC_A, "2024-01-01", ""], [USCC_B, "2023-01-01", "2023-12-31"]])
    ok(upload_list(lists, LIST, first), 200)
    again = ok(upload_list(lists, LIST, first), 200)
    assert (again["added"], again["changed"], again["unchanged"]) == (0, 0, 2)
    ended = ok(
        upload_list(
            lists,
            LIST,
            csv_bytes([header, [USCC_A, "2024-01-01", "2024-02-29"], [USCC_B, "2024-02-01", ""]]),
        ),
        200,
    )
    assert (ended["added"], ended["changed"], ended["unchanged"]) == (1, 1, 0)
    assert spans(db) == [
        (USCC_A, dt.date(2024, 1, 1), dt.date(2024, 2, 29)),
        (USCC_B, dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
        (USCC_B, dt.date(2024, 2, 1), None),
    ]
    # A row overlapping two memberships is refused like a PUT (409 there, a row error here).
    before = state(db)
    answer = upload_list(
        lists, LIST, csv_bytes([header, [USCC_A, "2024-03-01", ""], [USCC_B, "2023-06-01", ""]])
    )
    refused(answer, 422, "invalid_state", "rows[3].from")
    assert errors(answer) == [("rows[3].from", "invalid_state")]
    assert state(db) == before


# ---------------------------------------------------------------- refused as a whole
WHOLE_FILE = [
    ("empty", b"", "invalid_format", "file"),
    ("no header", csv_bytes([["公司", "日期"], ["x", "2024-01-01"]]), "invalid_format", "file"),
    (
        "no from column",
        csv_bytes([["统一社会信用代码", "企业名称"], [USCC_A, "x"]]),
        "required",
        "from",
    ),
    (
        "two from columns",
        csv_bytes(
            [["统一社会信用代码", "起始日期", "纳入日期"], [USCC_A, "2024-01-01", "2024-01-01"]]
        ),
        "invalid_format",
        "from",
    ),
    ("header only", csv_bytes([["uscc", "from"]]), "invalid_format", "file"),
    ("xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "invalid_format", "file"),
    ("not text", b"\x81\x30\xff\xfe" * 10, "invalid_format", "file"),
    ("broken xlsx", b"PK\x03\x04broken", "invalid_format", "file"),
]


@pytest.mark.parametrize(
    ("label", "data", "code", "field"), WHOLE_FILE, ids=[w[0] for w in WHOLE_FILE]
)
def test_a_file_refused_as_a_whole_changes_nothing(lists, db, label, data, code, field):
    before = state(db)
    refused(upload_list(lists, LIST, data), 422, code, field)
    assert state(db) == before


def test_who_may_import_and_into_which_list(lists, db):
    data = csv_bytes([["uscc", "from"], [USCC_A, "2024-01-01"]])
    lists.token("auditor")
    before = state(db)
    refused(upload_list(lists, "NOPE", data), 422, "unknown_list", "list_code")
    refused(upload_list(lists, LIST, data, role="auditor"), 403, "forbidden")
    no_file = lists.client.post(
        f"/api/v1/enterprise-lists/{LIST}/imports",
        data={"other": "x"},
        headers=lists.headers("clerk"),
        content_type="multipart/form-data",
    )
    refused(no_file, 422, "required", "file")
    assert state(db) == before
    assert ok(upload_list(lists, LIST, data, role="admin"), 200)["added"] == 1


def test_nul_characters_in_cells_or_the_list_code_are_refused_not_a_500(lists, db):
    before = state(db)
    data = csv_bytes(
        [
            ["uscc", "name", "from", "established_on"],
            [USCC_A + "\x00", "x", "2024-01-01", ""],
            [NEW, "a\x00b", "2024-01-01", "2015-01-01"],
        ]
    )
    answer = upload_list(lists, LIST, data)
    assert errors(answer) == [
        ("rows[2].uscc", "invalid_format"),
        ("rows[3].name", "invalid_format"),
    ]
    refused(upload_list(lists, "S%00G", data), 404, "not_found")  # a NUL names nothing
    assert state(db) == before
