"""File imports through the HTTP API: CSV (UTF-8, UTF-8 with BOM, GB18030) and XLSX, per-row
errors with spreadsheet row numbers, the same file twice, errors.csv, templates and their round
trip, and refusals of a whole file that change nothing but the import record."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
import time

import openpyxl
import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from loanledger.client import TestClientBank
from loanledger.persistence.tables import (
    ImportJob,
    ImportRowError,
    Loan,
    LoanEvent,
)
from loanledger.services import imports, spreadsheets
from tests.support.api import API
from tests.support.world import counts

USCC = "914420006FA300000G"
OTHER_USCC = "91442000LNJ300000F"
LOAN_HEADER = [
    "contract_no",
    "product_code",
    "uscc",
    "filing_no",
    "principal",
    "annual_rate",
    "start_date",
    "maturity_date",
    "repayment_method",
    "interest_settlement",
]
EVENT_HEADER = list(spreadsheets.COLUMNS["events"])


@pytest.fixture
def world(staff, bank):
    staff.set_business_date("2023-06-30")
    boc, abc = bank("BOC-ZS"), bank("ABC-ZS")
    for path, body in (
        (
            "/products",
            {
                "product_code": "BOC-SZD",
                "bank_code": "BOC-ZS",
                "name": "数智贷",
                "risk_covered": True,
            },
        ),
        (
            "/products",
            {
                "product_code": "ABC-ZZD",
                "bank_code": "ABC-ZS",
                "name": "智造贷",
                "risk_covered": True,
            },
        ),
        (
            "/enterprises",
            {
                "uscc": USCC,
                "name": "灯都照明",
                "established_on": "2015-06-01",
                "industry_code": "C3879",
            },
        ),
        (
            "/enterprises",
            {
                "uscc": OTHER_USCC,
                "name": "小榄五金",
                "established_on": "2010-04-12",
                "industry_code": "C3879",
            },
        ),
        (
            "/filings",
            {
                "filing_no": "F1",
                "uscc": USCC,
                "project_name": "MES",
                "eligible_investment": "8000000.00",
                "approved_on": "2023-02-01",
            },
        ),
    ):
        response = staff.request("clerk", "POST", path, body)
        assert response.status_code == 201, response.get_data(as_text=True)
    return {"boc": boc, "abc": abc}


def upload(
    client,
    data: bytes,
    kind: str | None = "loans",
    filename: str = "file.csv",
    *,
    key: str | None = None,
    form: dict | None = None,
):
    values = dict(form or {})
    if kind is not None:
        values["kind"] = kind
    if data is not None:
        values["file"] = FileStorage(
            io.BytesIO(data), filename=filename, content_type="application/octet-stream"
        )
    boundary, body = encode_multipart(values)
    prepared = client.prepare("POST", f"{API}/imports", body=body, idempotency_key=key)
    prepared.headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    return client.send(prepared)


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def loan_row(contract_no="C-1", uscc=USCC, principal="5000000.00", **changes) -> list[str]:
    row = {
        "contract_no": contract_no,
        "product_code": "BOC-SZD",
        "uscc": uscc,
        "filing_no": "",
        "principal": principal,
        "annual_rate": "3.4500",
        "start_date": "2023-02-01",
        "maturity_date": "2025-02-01",
        "repayment_method": "interest_only",
        "interest_settlement": "quarterly",
    }
    row.update(changes)
    return [row[name] for name in LOAN_HEADER]


def event_row(**fields) -> list[str]:
    return [fields.get(name, "") for name in EVENT_HEADER]


def accepted(response, status=202) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def import_jobs(db) -> list[ImportJob]:
    db.expire_all()
    return list(db.scalars(select(ImportJob).order_by(ImportJob.id)))


def errors_of(body: dict) -> list[tuple]:
    return [(e["row"], e["column"], e["code"]) for e in body["errors"]]


@pytest.fixture
def loans_in(world):
    """C-1 and C-2 registered by BOC through a file."""
    data = csv_bytes([LOAN_HEADER, loan_row("C-1"), loan_row("C-2", principal="1000000.00")])
    accepted(upload(world["boc"], data, "loans", "loans.csv"))
    return world


# ------------------------------------------------------------------ CSV encodings
def test_utf8_csv_of_loans(world, db):
    data = csv_bytes(
        [LOAN_HEADER, loan_row("C-1"), loan_row("C-2", uscc=OTHER_USCC, principal="1000000.00")]
    )
    body = accepted(upload(world["boc"], data, "loans", "贷款.csv"))
    assert body["status"] == "done" and body["kind"] == "loans" and body["filename"] == "贷款.csv"
    assert (body["format"], body["encoding"], body["header_row"]) == ("csv", "utf-8", 1)
    assert (body["rows"], body["accepted"], body["duplicates"], body["rejected"]) == (2, 2, 0, 0)
    assert body["errors"] == [] and body["error_count"] == 0
    view = world["boc"].get(f"{API}/loans/C-2").get_json()
    assert view["principal"] == "1000000.00" and view["uscc"] == OTHER_USCC
    assert body["import_id"] == import_jobs(db)[0].id


def test_the_filename_is_kept_without_directories_or_control_characters(world):
    data = csv_bytes([LOAN_HEADER, loan_row("C-1")])
    body = accepted(upload(world["boc"], data, "loans", "../李/贷款\x01.csv"))
    assert body["filename"] == "贷款.csv"


def test_utf8_csv_with_bom_of_events(loans_in):
    rows = [
        EVENT_HEADER,
        event_row(
            event_id="D1",
            type="disbursement",
            contract_no="C-1",
            date="2023-02-01",
            amount="3000000.00",
        ),
        event_row(
            event_id="R1",
            type="repayment",
            contract_no="C-1",
            date="2023-05-01",
            principal="500000.00",
        ),
    ]
    body = accepted(
        upload(loans_in["boc"], b"\xef\xbb\xbf" + csv_bytes(rows), "events", "events.csv")
    )
    assert body["encoding"] == "utf-8-bom" and body["header_row"] == 1
    assert (body["rows"], body["accepted"], body["rejected"]) == (2, 2, 0)
    assert loans_in["boc"].get(f"{API}/loans/C-1").get_json()["balance"] == "2500000.00"


def test_gb18030_csv_with_captions_and_chinese_text(loans_in, db):
    captions = [spreadsheets.EVENT_CAPTIONS[name] for name in EVENT_HEADER]
    rows = [
        captions,
        EVENT_HEADER,
        event_row(
            event_id="D1",
            type="disbursement",
            contract_no="C-1",
            date="2023/2/1",
            amount="3000000.00",
        ),
        event_row(
            event_id="V1",
            type="void",
            contract_no="C-1",
            target_event_id="D1",
            reason="金额录入错误，撤销",
        ),
        event_row(
            event_id="D2",
            type="disbursement",
            contract_no="C-1",
            date="2023-02-01",
            amount="12.345",
        ),
    ]
    data = csv_bytes(rows, "gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    body = accepted(upload(loans_in["boc"], data, "events", "事件.csv"))
    assert (body["encoding"], body["header_row"]) == ("gb18030", 2)
    assert (body["rows"], body["accepted"], body["rejected"]) == (3, 2, 1)
    assert errors_of(body) == [(5, "amount", "invalid_format")]
    db.expire_all()
    void = db.scalar(select(LoanEvent).where(LoanEvent.event_id == "V1"))
    assert void.reason == "金额录入错误，撤销"
    assert db.scalar(select(LoanEvent).where(LoanEvent.event_id == "D1")).on_date == dt.date(
        2023, 2, 1
    )


# ------------------------------------------------------------------ XLSX
def xlsx_bytes(rows: list[list], formats: dict[tuple[int, int], str] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for (row, column), number_format in (formats or {}).items():
        sheet.cell(row=row, column=column).number_format = number_format
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_with_captions_date_cells_numbers_and_a_numeric_uscc(world, db):
    captions = [spreadsheets.CAPTIONS[name] for name in LOAN_HEADER]
    start = dt.datetime(2023, 2, 1)
    rate_column = LOAN_HEADER.index("annual_rate") + 1
    rows = [
        captions,
        LOAN_HEADER,
        [
            "C-1",
            "BOC-SZD",
            USCC,
            None,
            5000000,
            3.45,
            start,
            "2025-02-01",
            "interest_only",
            "quarterly",
        ],
        [
            "C-2",
            "BOC-SZD",
            914420000000000000,
            None,
            1000000,
            3.45,
            start,
            dt.datetime(2025, 2, 1),
            "bullet",
            "monthly",
        ],
        [
            20230003,
            "BOC-SZD",
            OTHER_USCC,
            None,
            1234.5,
            0.0345,
            start,
            dt.datetime(2025, 2, 1),
            "bullet",
            "monthly",
        ],
        [
            "C-4",
            "BOC-SZD",
            OTHER_USCC,
            None,
            1000.005,
            3.45,
            start,
            dt.datetime(2025, 2, 1, 9, 30),
            "bullet",
            "monthly",
        ],
    ]
    data = xlsx_bytes(rows, {(5, rate_column): "0.00%"})
    body = accepted(upload(world["boc"], data, "loans", "loans.xlsx"))
    assert (body["format"], body["encoding"], body["header_row"]) == ("xlsx", None, 2)
    assert (body["rows"], body["accepted"], body["rejected"]) == (4, 2, 2)
    assert errors_of(body) == [
        (4, "uscc", "invalid_format"),
        (6, "maturity_date", "invalid_format"),
        (6, "principal", "invalid_format"),
    ]
    first = world["boc"].get(f"{API}/loans/C-1").get_json()
    assert (first["principal"], first["annual_rate"], first["start_date"]) == (
        "5000000.00",
        "3.4500",
        "2023-02-01",
    )
    third = world["boc"].get(f"{API}/loans/20230003").get_json()
    assert (third["principal"], third["annual_rate"]) == (
        "1234.50",
        "3.4500",
    )  # 0.0345 shown as 3.45%
    assert db.scalar(select(func.count()).select_from(Loan)) == 2


def test_unreadable_workbook_is_refused(world):
    response = upload(world["boc"], b"PK\x03\x04 not really a zip", "loans", "x.xlsx")
    assert (
        response.status_code == 422 and response.get_json()["errors"][0]["code"] == "invalid_format"
    )


# ------------------------------------------------------------------ per-row errors
def test_row_errors_carry_spreadsheet_rows_and_columns(loans_in, db, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)  # rows cross chunk boundaries
    rows = [
        EVENT_HEADER,
        event_row(
            event_id="D1",
            type="disbursement",
            contract_no="C-1",
            date="2023-02-01",
            amount="100.00",
        ),
        event_row(
            event_id="D2", type="disbursement", contract_no="C-1", date="2023-02-01", amount="1,000"
        ),
        [],
        event_row(
            event_id="D3",
            type="disbursement",
            contract_no="C-1",
            date="2023-07-01",
            amount="100.00",
        ),
        event_row(
            event_id="I1",
            type="interest",
            contract_no="C-1",
            period_start="2023-02-01",
            period_end="2023-03-01",
            interest="50.00",
        ),
        event_row(
            event_id="X1", type="disbursement", contract_no="NOPE", date="2023-02-01", amount="1.00"
        ),
        event_row(
            event_id="D1",
            type="disbursement",
            contract_no="C-1",
            date="2023-02-01",
            amount="100.00",
        ),
        event_row(
            event_id="D1",
            type="disbursement",
            contract_no="C-1",
            date="2023-02-01",
            amount="200.00",
        ),
    ]
    body = accepted(upload(loans_in["boc"], csv_bytes(rows), "events"))
    assert (body["rows"], body["accepted"], body["duplicates"], body["rejected"]) == (7, 1, 1, 5)
    assert errors_of(body) == [
        (3, "amount", "invalid_format"),
        (5, "date", "future_date"),
        (6, "paid_on", "required"),
        (7, "contract_no", "not_found"),
        (9, "event_id", "event_id_conflict"),
    ]
    assert body["error_count"] == 5 and all(e["message"] for e in body["errors"])
    db.expire_all()
    assert [e.event_id for e in db.scalars(select(LoanEvent))] == ["D1"]


def test_a_value_under_no_header_is_a_row_error(world):
    data = csv_bytes([[*LOAN_HEADER, ""], [*loan_row("C-1"), "stray"], [*loan_row("C-2"), ""]])
    body = accepted(upload(world["boc"], data, "loans"))
    assert errors_of(body) == [(2, None, "unknown_field")] and body["accepted"] == 1


def test_a_nul_character_is_a_row_error(world):
    data = csv_bytes([LOAN_HEADER, loan_row("C-\x001"), loan_row("C-2")])
    body = accepted(upload(world["boc"], data, "loans"))
    assert errors_of(body) == [(2, "contract_no", "invalid_format")] and body["accepted"] == 1


def test_a_row_naming_a_filing_on_a_product_not_subsidy_eligible_is_refused(world, staff, db):
    """domain.md §6 (v2): such a loan is never linked. The row naming F1 is refused with the
    code in column filing_no; the same loan without a filing is registered, unlinked."""
    product = {"product_code": "BOC-JYD", "bank_code": "BOC-ZS", "name": "经营贷"}
    body = {**product, "risk_covered": False, "subsidy_eligible": False}
    assert staff.request("clerk", "POST", "/products", body).status_code == 201
    rows = [
        LOAN_HEADER,
        loan_row("C-1", product_code="BOC-JYD", filing_no="F1"),
        loan_row("C-2", product_code="BOC-JYD"),
    ]
    body = accepted(upload(world["boc"], csv_bytes(rows), "loans"))
    assert errors_of(body) == [(2, "filing_no", "product_not_eligible")] and body["accepted"] == 1
    db.expire_all()
    assert [(x.contract_no, x.filing_no) for x in db.scalars(select(Loan))] == [("C-2", None)]


# ------------------------------------------------------------------ the same file twice
def test_the_same_file_twice_is_recognised(world, db):
    data = csv_bytes([LOAN_HEADER, loan_row("C-1")])
    first = accepted(upload(world["boc"], data, "loans", "a.csv"))
    before = counts(db)
    again = accepted(upload(world["boc"], data, "loans", "renamed.csv"), 200)
    assert again["duplicate_of"] == first["import_id"] == again["import_id"]
    assert again["filename"] == "a.csv" and again["accepted"] == 1
    assert counts(db) == before and len(import_jobs(db)) == 1
    # another bank's identical file is its own import
    other = accepted(upload(world["abc"], data, "loans", "a.csv"))
    assert other["import_id"] != first["import_id"] and other["rejected"] == 1


@pytest.mark.pg
def test_the_same_file_sent_twice_at_once_is_imported_once(app, world, db, monkeypatch):
    """Both requests miss each other at the first look; the unique (bank, file) key decides."""
    real_find, real_process, lookups, guard = (
        imports.find_import,
        imports.process,
        [],
        threading.Lock(),
    )

    def first_lookups_miss(session, bank_code, sha256):
        with guard:
            lookups.append(sha256)
            first = len(lookups) <= 2
        return None if first else real_find(session, bank_code, sha256)

    def slow_process(*args, **kwargs):
        time.sleep(0.5)  # still inside the transaction that holds the new import's key
        return real_process(*args, **kwargs)

    monkeypatch.setattr(imports, "find_import", first_lookups_miss)
    monkeypatch.setattr(imports, "process", slow_process)
    boc = world["boc"]
    data = csv_bytes([LOAN_HEADER, loan_row("C-1")])
    answers = []

    def send():
        own = TestClientBank(app.test_client(), boc.key_id, boc.secret, boc.bank_code)
        answers.append(upload(own, data, "loans"))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(a.status_code for a in answers) == [200, 202], [
        a.get_data(as_text=True) for a in answers
    ]
    assert len(import_jobs(db)) == 1 and counts(db)[0] == 1
    assert {a.get_json()["import_id"] for a in answers} == {import_jobs(db)[0].id}


def test_a_replayed_idempotency_key_answers_as_the_first_time(world, db):
    data = csv_bytes([LOAN_HEADER, loan_row("C-1")])
    boundary, body = encode_multipart(
        {"kind": "loans", "file": FileStorage(io.BytesIO(data), filename="a.csv")}
    )
    answers = []
    for _ in range(2):
        prepared = world["boc"].prepare(
            "POST", f"{API}/imports", body=body, idempotency_key="imp-1"
        )
        prepared.headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        answers.append(world["boc"].send(prepared))
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[1].headers.get("Idempotent-Replayed") == "true"
    assert answers[0].get_json() == answers[1].get_json() and len(import_jobs(db)) == 1


# ------------------------------------------------------------------ reading imports back
def test_errors_csv_has_a_bom_and_escapes_formulas(world, db):
    data = csv_bytes(
        [LOAN_HEADER, loan_row("C-1", principal="-5.00"), loan_row("C-2", principal="abc")]
    )
    body = accepted(upload(world["boc"], data, "loans"))
    for row, column, message in (
        (7, "=cmd", '=HYPERLINK("http://x")'),
        (8, "+x", "@SUM(A1)"),
        (9, None, "-1+1"),
        (10, "\tx", "\rmessage"),
    ):
        db.add(
            ImportRowError(
                import_id=body["import_id"],
                row=row,
                column_name=column,
                code="invalid_format",
                message=message,
            )
        )
    db.commit()
    response = world["boc"].get(f"{API}/imports/{body['import_id']}/errors.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))
    assert rows[0] == ["row", "column", "code", "message"]
    assert [r[:3] for r in rows[1:3]] == [
        ["2", "principal", "invalid_format"],
        ["3", "principal", "invalid_format"],
    ]
    assert rows[3:] == [
        ["7", "'=cmd", "invalid_format", '\'=HYPERLINK("http://x")'],
        ["8", "'+x", "invalid_format", "'@SUM(A1)"],
        ["9", "", "invalid_format", "'-1+1"],
        ["10", "'\tx", "invalid_format", "'\rmessage"],
    ]


def test_spreadsheet_safe():
    assert [
        spreadsheets.spreadsheet_safe(v) for v in ("=1", "+1", "-1", "@a", "\t", "\r", "a=1", 5, "")
    ] == ["'=1", "'+1", "'-1", "'@a", "'\t", "'\r", "a=1", 5, ""]


def test_a_bank_reads_only_its_own_imports_and_staff_read_any(world, staff):
    body = accepted(upload(world["boc"], csv_bytes([LOAN_HEADER, loan_row("C-1")]), "loans"))
    path = f"{API}/imports/{body['import_id']}"
    assert world["boc"].get(path).get_json()["accepted"] == 1
    for target in (path, path + "/errors.csv", f"{API}/imports/999999", f"{API}/imports/{2**63}"):
        response = world["abc"].get(target)
        assert response.status_code == 404, target
        assert response.mimetype == "application/problem+json"
    for role in ("auditor", "clerk"):
        answer = staff.request(role, "GET", f"/imports/{body['import_id']}")
        assert answer.status_code == 200 and answer.get_json()["import_id"] == body["import_id"]
    assert (
        staff.request("auditor", "GET", f"/imports/{body['import_id']}/errors.csv").status_code
        == 200
    )


# ------------------------------------------------------------------ templates
def _template(client_get, kind: str) -> openpyxl.Workbook:
    response = client_get(f"{API}/imports/templates/{kind}.xlsx")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == imports_resource().XLSX_MIMETYPE
    return openpyxl.load_workbook(io.BytesIO(response.data))


def imports_resource():
    from loanledger.api.resources import imports as resource

    return resource


def _validations(sheet) -> dict[str, tuple[str, str | None]]:
    """column letter → (validation type, formula1)."""
    found = {}
    for rule in sheet.data_validations.dataValidation:
        for cell_range in rule.sqref.ranges:
            found[cell_range.coord.split(":")[0].rstrip("0123456789")] = (rule.type, rule.formula1)
    return found


@pytest.mark.parametrize(
    "kind, text_columns, lists, dates",
    [
        (
            "loans",
            ("contract_no", "uscc", "product_code", "filing_no"),
            ("repayment_method", "interest_settlement"),
            ("start_date", "maturity_date"),
        ),
        (
            "events",
            ("event_id", "contract_no", "target_event_id"),
            ("type", "classification"),
            ("date", "period_start", "period_end", "paid_on", "effective_on", "as_of"),
        ),
    ],
)
def test_templates_have_captions_keys_formats_and_validation(
    world, staff, kind, text_columns, lists, dates
):
    workbook = _template(world["boc"].get, kind)
    sheet = workbook.worksheets[0]
    names = list(spreadsheets.COLUMNS[kind])
    captions = spreadsheets.CAPTIONS if kind == "loans" else spreadsheets.EVENT_CAPTIONS
    assert [c.value for c in sheet[1]] == [captions[n] for n in names]
    assert [c.value for c in sheet[2]] == names
    assert sheet.freeze_panes == "A3"
    letter = {name: spreadsheets.column_letter(i) for i, name in enumerate(names)}
    for name in text_columns:
        for row in (3, 2 + spreadsheets.TEMPLATE_ROWS):
            assert sheet[f"{letter[name]}{row}"].number_format == "@", (name, row)
    rules = _validations(sheet)
    for name in lists:
        rule_type, formula = rules[letter[name]]
        # The dropdowns offer Chinese words (issue 15); the importer takes them and the codes.
        codes = spreadsheets._choices(kind, name)
        assert rule_type == "list" and formula.strip('"').split(",") == [
            spreadsheets.CHOICE_WORDS[name][code] for code in codes
        ]
    for name in dates:
        assert rules[letter[name]][0] == "date"
    if kind == "loans":
        assert "合同编号" in captions.values() and "年利率(%)" in captions.values()
    staff_copy = _template(
        lambda path: staff.request("auditor", "GET", path.removeprefix(API)), kind
    )
    assert [c.value for c in staff_copy.worksheets[0][2]] == names


def test_unknown_template_is_404(world):
    response = world["boc"].get(f"{API}/imports/templates/claims.xlsx")
    assert response.status_code == 404 and response.get_json()["errors"][0]["code"] == "not_found"


def _filled(workbook: openpyxl.Workbook, rows: list[dict]) -> bytes:
    sheet = workbook.worksheets[0]
    names = [c.value for c in sheet[2]]
    for offset, values in enumerate(rows):
        for name, value in values.items():
            sheet.cell(row=3 + offset, column=names.index(name) + 1, value=value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_templates_filled_in_import_round_trip(world):
    boc = world["boc"]
    loans = _filled(
        _template(boc.get, "loans"),
        [
            {
                "contract_no": "T-1",
                "product_code": "BOC-SZD",
                "uscc": USCC,
                "principal": 2000000.5,
                "annual_rate": 3.1,
                "start_date": dt.datetime(2023, 3, 1),
                "maturity_date": dt.datetime(2024, 3, 1),
                "repayment_method": "bullet",
                "interest_settlement": "monthly",
            },
            {
                "contract_no": "T-2",
                "product_code": "BOC-SZD",
                "uscc": OTHER_USCC,
                "principal": 800000,
                "annual_rate": 3.45,
                "start_date": "2023-03-01",
                "maturity_date": dt.datetime(2024, 3, 1),
                "repayment_method": "equal_principal",
                "interest_settlement": "quarterly",
            },
        ],
    )
    body = accepted(upload(boc, loans, "loans", "loans.xlsx"))
    assert (body["header_row"], body["rows"], body["accepted"], body["errors"]) == (2, 2, 2, [])
    assert boc.get(f"{API}/loans/T-1").get_json()["principal"] == "2000000.50"
    events = _filled(
        _template(boc.get, "events"),
        [
            {
                "event_id": "E-1",
                "type": "disbursement",
                "contract_no": "T-1",
                "date": dt.datetime(2023, 3, 1),
                "amount": 2000000.5,
            },
            {
                "event_id": "E-2",
                "type": "delinquency",
                "contract_no": "T-1",
                "as_of": dt.datetime(2023, 6, 1),
                "days_past_due": 30,
                "classification": "special_mention",
            },
            {
                "event_id": "E-3",
                "type": "void",
                "contract_no": "T-1",
                "target_event_id": "E-2",
                "reason": "误报",
            },
        ],
    )
    body = accepted(upload(boc, events, "events", "events.xlsx"))
    assert (body["rows"], body["accepted"], body["errors"]) == (3, 3, [])
    assert boc.get(f"{API}/loans/T-1").get_json()["balance"] == "2000000.50"


# ------------------------------------------------------------------ refusals of the whole file
TOO_MANY = 3


@pytest.mark.parametrize(
    "data, kind, code, field",
    [
        (b"", "loans", "invalid_format", "file"),
        (csv_bytes([LOAN_HEADER]), "loans", "invalid_format", "file"),
        (
            csv_bytes([[*LOAN_HEADER, "colour"], [*loan_row(), "red"]]),
            "loans",
            "invalid_format",
            "colour",
        ),
        (
            csv_bytes([[*LOAN_HEADER, "uscc"], [*loan_row(), USCC]]),
            "loans",
            "invalid_format",
            "uscc",
        ),
        (csv_bytes([LOAN_HEADER[1:], loan_row()[1:]]), "loans", "required", "contract_no"),
        (csv_bytes([["合同编号"], ["合同"], ["C-1"]]), "loans", "invalid_format", "file"),
        (csv_bytes([LOAN_HEADER, loan_row()]), "events", "invalid_format", "product_code"),
        (
            csv_bytes([LOAN_HEADER] + [loan_row(f"C-{i}") for i in range(TOO_MANY + 1)]),
            "loans",
            "too_many_rows",
            "file",
        ),
        (b"contract_no\r\n\xff\xff\xff\r\n", "loans", "invalid_format", "file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel", "loans", "invalid_format", "file"),
    ],
    ids=[
        "empty",
        "header-only",
        "unknown-column",
        "duplicate-column",
        "missing-column",
        "no-header",
        "wrong-kind",
        "too-many-rows",
        "not-text",
        "xls",
    ],
)
def test_a_refused_file_changes_nothing_but_the_import_record(
    world, db, monkeypatch, data, kind, code, field
):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", TOO_MANY)
    before = counts(db)
    response = upload(world["boc"], data, kind)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert (problem["errors"][0]["code"], problem["errors"][0]["field"]) == (code, field), problem
    assert counts(db) == before
    [job] = import_jobs(db)
    assert (job.status, job.file_key, job.rows, job.accepted) == ("failed", None, 0, 0)
    view = world["boc"].get(f"{API}/imports/{problem['import_id']}").get_json()
    assert (
        view["status"] == "failed"
        and view["errors"][0]["code"] == code
        and view["errors"][0]["row"] is None
    )
    # the same file again is refused again, not taken for the earlier import
    assert upload(world["boc"], data, kind).status_code == 422
    assert len(import_jobs(db)) == 2


def test_exactly_max_rows_is_accepted(world, monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", TOO_MANY)
    data = csv_bytes([LOAN_HEADER] + [loan_row(f"C-{i}") for i in range(TOO_MANY)])
    assert accepted(upload(world["boc"], data, "loans"))["accepted"] == TOO_MANY


def test_a_file_over_the_body_limit_is_413(app, world, db):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    data = csv_bytes([LOAN_HEADER] + [loan_row(f"C-{i}") for i in range(40)])
    response = upload(world["boc"], data, "loans")
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["code"] == "body_too_large"
    assert import_jobs(db) == []


@pytest.mark.parametrize(
    "data, kind, code, field",
    [
        (csv_bytes([LOAN_HEADER]), None, "required", "kind"),
        (csv_bytes([LOAN_HEADER]), "claims", "invalid_format", "kind"),
        (None, "loans", "required", "file"),
    ],
)
def test_the_form_needs_a_file_and_a_kind(world, db, data, kind, code, field):
    response = upload(world["boc"], data, kind)
    assert response.status_code == 422
    error = response.get_json()["errors"][0]
    assert (error["code"], error["field"]) == (code, field)
    assert import_jobs(db) == []


def test_staff_cannot_upload(world, staff):
    response = staff.request("clerk", "POST", "/imports", data={"kind": "loans"})
    assert response.status_code in (400, 401)
