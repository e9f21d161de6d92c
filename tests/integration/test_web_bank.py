"""A partner bank's pages (issue 15, "Banks"): a bank user signs in to its own home, uploads
loan and event files through the API's import use case, reads its history and each import's
errors in Chinese by row and column caption, and sees nothing of another bank's — an import
or a loan of another bank answers 404 whatever its id; the bureau's and the portal's pages
answer 403, and the bureau's roles get 403 on the bank's pages."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from loanledger.persistence.tables import AuditEntry, ImportJob, User
from loanledger.services import identity, imports, spreadsheets
from loanledger.services.unit_of_work import unit_of_work
from tests.support.api import API, ok
from tests.support.web import Web, flashes, text
from tests.support.world import OTHER_USCC, USCC, intake_world, loan_body

LOAN_COLUMNS = list(spreadsheets.COLUMNS["loans"])
EVENT_COLUMNS = list(spreadsheets.COLUMNS["events"])
ASCII_WORD = re.compile(r"\b[A-Za-z_]{3,}\b")
FORMAT_WORDS = {"YYYY", "CSV"}  # a date's pattern and a file format: no code, no English


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def loan_row(contract_no: str, **changes) -> list[str]:
    body = loan_body(contract_no=contract_no, **changes)
    return [str(body.get(name, "")) for name in LOAN_COLUMNS]


@pytest.fixture
def banks(staff, bank):
    """Banks BOC-ZS and ABC-ZS with a user each (boc-user, abc-user); loan A-1 at ABC-ZS;
    a clerk and an enterprise user."""
    clients = intake_world(staff, bank)
    ok(
        clients["abc"].post(
            f"{API}/loans", json=loan_body(contract_no="A-1", product_code="ABC-ZZD")
        ),
        201,
    )
    staff.create("boc-user", "bank", password="boc-user-password", bank_code="BOC-ZS")
    staff.create("abc-user", "bank", password="abc-user-password", bank_code="ABC-ZS")
    staff.create("clerk1", "clerk", password="clerk1-password")
    staff.create("firm", "enterprise", password="firm-password", uscc=USCC)
    return clients


def signed_in(app, username: str) -> Web:
    web = Web(app)
    web.login(username, f"{username}-password")
    return web


def send(web: Web, kind: str, data: bytes, filename: str = "file.csv"):
    web.get("/bank/imports")
    return web.client.post(
        "/bank/imports",
        data={"csrf_token": web.token, "kind": kind, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def import_id(response) -> int:
    match = re.search(r"/bank/imports/(\d+)$", response.request.path)
    assert match, response.request.path
    return int(match.group(1))


def error_rows(response) -> dict[str, list[tuple[str, str]]]:
    """row → [(column caption, words)], as the import's page lists them."""
    found = {}
    for row, cell in re.findall(
        r'<tr class="import-error-row" data-row="([^"]*)">(.*?)</tr>', text(response), re.S
    ):
        found[row] = [
            (column, words)
            for column, words in re.findall(
                r'<li class="import-error">(?:<strong class="error-column">([^<]*)</strong>：)?'
                r'<span class="error-text">([^<]*)</span>',
                cell,
            )
        ]
    return found


def main_text(response) -> str:
    """The text of the page's content as a reader sees it (no tags, no attributes; the
    header's user name left out)."""
    body = text(response).split("<main>", 1)[-1]
    return re.sub(r"<[^>]+>", " ", body)


# ------------------------------------------------------------------ users of role bank
def test_a_bank_user_needs_an_existing_bank_and_no_other_role_has_one(app, banks):
    with unit_of_work(app.extensions["loanledger"].sessionmaker) as db:
        for username, role, bank_code, words in (
            ("b1", "bank", None, "needs --bank-code"),
            ("b2", "bank", "NO-SUCH", "no bank NO-SUCH"),
            ("b3", "clerk", "BOC-ZS", "only a bank user"),
            ("b5", "auditor", "BOC-ZS", "only a bank user"),
        ):
            with pytest.raises(identity.IdentityError, match=words):
                identity.create_user(db, username, role, "password-1", bank_code=bank_code)
        with pytest.raises(identity.IdentityError, match="display name"):
            identity.create_user(
                db, "b6", "bank", "password-1", bank_code="BOC-ZS", display_name="长" * 65
            )
        user = identity.create_user(
            db, "b4", "bank", "password-1", bank_code="BOC-ZS", display_name="中行 数据员"
        )
        assert (user.bank_code, user.display_name) == ("BOC-ZS", "中行 数据员")
        entry = db.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "user.create")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry.after["bank_code"] == "BOC-ZS"


def test_the_cli_creates_a_bank_user(app, banks, database_url, monkeypatch):
    from click.testing import CliRunner

    from loanledger.cli import main

    monkeypatch.setenv("LOANLEDGER_DATABASE_URL", database_url)
    runner = CliRunner()
    done = runner.invoke(
        main,
        [
            "user",
            "create",
            "--username",
            "cli-bank",
            "--role",
            "bank",
            "--bank-code",
            "BOC-ZS",
            "--display-name",
            "中行经办",
            "--password",
            "cli-bank-password",
        ],
    )
    assert done.exit_code == 0, done.output
    refused = runner.invoke(
        main,
        ["user", "create", "--username", "cli-bank2", "--role", "bank", "--password", "pw-123456"],
    )
    assert refused.exit_code != 0 and "--bank is required for role bank" in refused.output
    with app.extensions["loanledger"].sessionmaker() as db:
        user = db.scalar(select(User).where(User.username == "cli-bank"))
        assert (user.role, user.bank_code, user.display_name) == ("bank", "BOC-ZS", "中行经办")


# ------------------------------------------------------------------ where each role may go
def test_sign_in_sends_a_bank_user_to_its_own_home(app, banks):
    web = Web(app)
    response = web.login("boc-user", "boc-user-password")
    assert response.request.path == "/bank"
    assert 'id="nav-bank"' in text(response) and 'id="nav-loans"' not in text(response)
    again = Web(app)
    again.get("/login")
    to_bureau = again.post(
        "/login", {"username": "boc-user", "password": "boc-user-password", "next": "/bureau"}
    )
    assert to_bureau.request.path == "/bank"
    to_own = Web(app)
    to_own.get("/login")
    landed = to_own.post(
        "/login",
        {"username": "boc-user", "password": "boc-user-password", "next": "/bank/imports"},
    )
    assert landed.request.path == "/bank/imports"


def test_the_pages_name_a_user_by_the_display_name(app, banks):
    with unit_of_work(app.extensions["loanledger"].sessionmaker) as db:
        identity.create_user(
            db, "zhang", "bank", "zhang-password", bank_code="BOC-ZS", display_name="张晓"
        )
    response = signed_in(app, "zhang").get("/bank")
    assert 'id="current-user">张晓<' in text(response)
    home = Web(app)
    home.get("/login")
    welcomed = home.post("/login", {"username": "zhang", "password": "zhang-password"})
    assert flashes(welcomed, "success") == ["欢迎，张晓"]


def test_staff_and_enterprises_asking_for_a_bank_page_land_on_their_own(app, banks):
    for username, home in (("clerk1", "/bureau"), ("firm", "/portal")):
        web = Web(app)
        web.get("/login")
        landed = web.post(
            "/login",
            {"username": username, "password": f"{username}-password", "next": "/bank/imports"},
        )
        assert landed.request.path == home, username


@pytest.mark.parametrize(
    "path", ["/bureau", "/bureau/loans", "/bureau/lists", "/portal", "/bureau/objections"]
)
def test_a_bank_user_gets_403_on_bureau_and_portal_pages(app, banks, path):
    assert signed_in(app, "boc-user").get(path).status_code == 403


@pytest.mark.parametrize("username", ["clerk1", "firm"])
@pytest.mark.parametrize(
    "path",
    ["/bank", "/bank/imports", "/bank/loans", "/bank/loans/A-1", "/bank/templates/loans.xlsx"],
)
def test_bureau_and_portal_users_get_403_on_bank_pages(app, banks, username, path):
    assert signed_in(app, username).get(path).status_code == 403


def test_a_stranger_is_sent_to_sign_in(app, banks):
    response = Web(app).get("/bank/imports")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_bank_user_cannot_upload_as_another_role(app, banks):
    web = signed_in(app, "clerk1")
    response = web.client.post(
        "/bank/imports",
        data={"csrf_token": web.token, "kind": "loans", "file": (io.BytesIO(b"x"), "a.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403


def test_a_bank_user_has_no_api_token_powers(app, banks, client):
    token = client.post(
        f"{API}/auth/tokens", json={"username": "boc-user", "password": "boc-user-password"}
    ).get_json()["token"]
    for path in ("/loans/ABC-ZS/A-1", "/enterprises", "/imports/1"):
        answer = client.get(API + path, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code in (401, 403), (path, answer.status_code)


# ------------------------------------------------------------------ scoping
def test_another_banks_import_and_loan_are_not_found(app, banks):
    boc = signed_in(app, "boc-user")
    done = send(boc, "loans", csv_bytes([LOAN_COLUMNS, loan_row("C-1")]))
    boc_import = import_id(done)
    abc = signed_in(app, "abc-user")
    assert abc.get(f"/bank/imports/{boc_import}").status_code == 404
    assert abc.get("/bank/imports/999999").status_code == 404
    assert abc.get(f"/bank/imports/{2**63 - 1}").status_code == 404
    assert abc.get("/bank/loans/C-1").status_code == 404  # BOC-ZS's loan
    assert boc.get("/bank/loans/A-1").status_code == 404  # ABC-ZS's loan
    assert abc.get("/bank/loans/A-1").status_code == 200
    assert boc.get("/bank/loans/C-1").status_code == 200
    history = text(abc.get("/bank/imports"))
    assert f'data-import-id="{boc_import}"' not in history
    assert f'data-import-id="{boc_import}"' in text(boc.get("/bank/imports"))
    loans = text(abc.get("/bank/loans"))
    assert 'data-contract="A-1"' in loans and 'data-contract="C-1"' not in loans


# ------------------------------------------------------------------ uploads
def test_an_upload_goes_through_the_import_service_and_shows_its_result(app, banks, db):
    boc = signed_in(app, "boc-user")
    response = send(
        boc, "loans", csv_bytes([LOAN_COLUMNS, loan_row("C-1"), loan_row("C-2", uscc=OTHER_USCC)])
    )
    assert response.status_code == 200
    assert flashes(response, "success") == [
        "文件已导入（2 行）：接收 2 行，重复 0 行，有错误 0 行。"
    ]
    job = db.get(ImportJob, import_id(response))
    assert (job.bank_code, job.status, job.accepted, job.created_by) == (
        "BOC-ZS",
        "done",
        2,
        "user:boc-user",
    )
    audited = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "import.done", AuditEntry.entity_id == str(job.id)
        )
    ).all()
    assert len(audited) == 1 and audited[0].actor == "user:boc-user"
    assert ok(banks["boc"].get(f"{API}/loans/C-2"))["principal"] == "5000000.00"
    again = send(
        boc, "loans", csv_bytes([LOAN_COLUMNS, loan_row("C-1"), loan_row("C-2", uscc=OTHER_USCC)])
    )
    assert import_id(again) == job.id and flashes(again, "error") == [
        "这个文件此前已上传过，下面是那次导入的结果。"
    ]
    home = text(boc.get("/bank"))
    assert re.search(r'id="loan-count"[^>]*>2<', home)
    assert f'data-import-id="{job.id}"' in home


def test_a_row_with_errors_lists_them_together_by_caption_in_chinese(app, banks):
    boc = signed_in(app, "boc-user")
    rows = [
        LOAN_COLUMNS,
        loan_row("C-1"),
        # two errors in one row: a bad amount, a bad choice
        loan_row("C-2", principal="12.345", repayment_method="monthly_pay"),
        loan_row("C-3", start_date="2023-13-01"),
    ]
    response = send(boc, "loans", csv_bytes(rows))
    assert flashes(response, "error") == ["文件已导入（3 行）：接收 1 行，重复 0 行，有错误 2 行。"]
    shown = error_rows(response)
    assert set(shown) == {"3", "4"}
    assert shown["3"] == [
        ("合同金额(元)", "金额格式不正确：单位元，不能为负数，最多两位小数。"),
        (
            "还款方式",
            "不是可选的值，请从下拉列表中选择：到期一次还本付息、等额本息、等额本金、按期付息到期还本。",
        ),
    ]
    assert shown["4"] == [("起始日", "日期格式应为 YYYY-MM-DD（或日期单元格）。")]
    # no code or English word in the page's content (the file's name is the bank's own)
    assert set(ASCII_WORD.findall(main_text(response).replace("file.csv", ""))) <= FORMAT_WORDS


def test_the_intake_errors_of_a_row_are_in_words(app, banks):
    boc = signed_in(app, "boc-user")
    response = send(boc, "loans", csv_bytes([LOAN_COLUMNS, loan_row("C-9", product_code="NOPE")]))
    assert error_rows(response) == {"2": [("产品代码", "产品代码不存在（不是本行已登记的产品）。")]}


def test_a_file_refused_as_a_whole_is_kept_and_explained(app, banks, db):
    boc = signed_in(app, "boc-user")
    response = send(boc, "loans", b"nothing,useful\r\n1,2\r\n")
    assert flashes(response, "error") == ["文件无法导入，整个文件未导入。原因见下表。"]
    job = db.get(ImportJob, import_id(response))
    assert job.status == "failed" and job.bank_code == "BOC-ZS"
    assert error_rows(response)[""][0][1].startswith("文件无法读取")
    home = text(boc.get("/bank"))
    assert re.search(rf'id="to-do".*data-import-id="{job.id}"', home, re.S)


def test_a_big_file_is_left_pending_for_the_worker(app, banks, db, monkeypatch):
    monkeypatch.setattr(imports, "INLINE_MAX_BYTES", 10)
    boc = signed_in(app, "boc-user")
    response = send(boc, "loans", csv_bytes([LOAN_COLUMNS, loan_row("C-1")]))
    assert flashes(response, "success") == ["文件已收到，正在排队导入。请稍后刷新本页查看结果。"]
    page = text(response)
    assert 'id="refresh"' in page and 'http-equiv="refresh"' in page and "排队中" in page
    job = db.get(ImportJob, import_id(response))
    assert job.status == "pending"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "loans"}, "请选择要导入的文件。"),
        ({"kind": "claims", "file": (io.BytesIO(b"x"), "a.csv")}, "请选择一个有效的选项。"),
        ({"file": (io.BytesIO(b"x"), "a.csv")}, "请选择一个有效的选项。"),
    ],
)
def test_a_bad_upload_form_is_a_message_and_nothing_changes(app, banks, db, data, message):
    boc = signed_in(app, "boc-user")
    boc.get("/bank/imports")
    response = boc.client.post(
        "/bank/imports",
        data={"csrf_token": boc.token, **data},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200 and flashes(response, "error") == [message]
    assert db.scalars(select(ImportJob)).all() == []


def test_a_bad_cursor_is_a_message_not_a_500(app, banks):
    boc = signed_in(app, "boc-user")
    for path in ("/bank/imports?cursor=zzz", "/bank/loans?cursor=zzz"):
        response = boc.get(path)
        assert response.status_code == 200 and flashes(response, "error"), path


def test_the_history_is_paged_newest_first(app, banks, monkeypatch):
    from loanledger.web import bank as bank_pages

    monkeypatch.setattr(bank_pages, "IMPORTS_PAGE_SIZE", 2)
    boc = signed_in(app, "boc-user")
    ids = [
        import_id(send(boc, "loans", csv_bytes([LOAN_COLUMNS, loan_row(f"C-{n}")])))
        for n in range(3)
    ]
    first = text(boc.get("/bank/imports"))
    listed = [int(i) for i in re.findall(r'data-import-id="(\d+)"', first)]
    assert listed == [ids[2], ids[1]]
    cursor = re.search(r'id="next-page" href="[^"]*cursor=([^"&]+)"', first).group(1)
    second = text(boc.get(f"/bank/imports?cursor={cursor}"))
    assert [int(i) for i in re.findall(r'data-import-id="(\d+)"', second)] == [ids[0]]


# ------------------------------------------------------------------ templates
def test_the_templates_offer_chinese_words_and_the_importer_takes_words_and_codes(app, banks, db):
    boc = signed_in(app, "boc-user")
    response = boc.get("/bank/templates/events.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert boc.get("/bank/templates/claims.xlsx").status_code == 404
    workbook = openpyxl.load_workbook(io.BytesIO(boc.get("/bank/templates/loans.xlsx").data))
    sheet = workbook.worksheets[0]
    words = {
        rule.formula1.strip('"')
        for rule in sheet.data_validations.dataValidation
        if rule.type == "list"
    }
    assert "到期一次还本付息,等额本息,等额本金,按期付息到期还本" in words
    assert "按月结息,按季结息" in words
    names = [c.value for c in sheet[2]]
    for row, values in enumerate(
        (
            loan_body(
                contract_no="W-1", repayment_method="等额本息", interest_settlement="按季结息"
            ),
            loan_body(contract_no="W-2", repayment_method="bullet", interest_settlement="monthly"),
        ),
        start=3,
    ):
        for name, value in values.items():
            sheet.cell(row=row, column=names.index(name) + 1, value=value)
    out = io.BytesIO()
    workbook.save(out)
    response = send(boc, "loans", out.getvalue(), "loans.xlsx")
    assert flashes(response, "success"), text(response)
    assert ok(banks["boc"].get(f"{API}/loans/W-1"))["repayment_method"] == "equal_installment"
    assert ok(banks["boc"].get(f"{API}/loans/W-2"))["repayment_method"] == "bullet"


def test_a_csv_headed_by_chinese_captions_with_chinese_event_types(app, banks):
    ok(banks["boc"].post(f"{API}/loans", json=loan_body(contract_no="E-1")), 201)
    captions = [spreadsheets.EVENT_CAPTIONS[name] for name in EVENT_COLUMNS]
    row = {
        "event_id": "EV-1",
        "type": "放款",
        "contract_no": "E-1",
        "date": "2023-02-01",
        "amount": "100.00",
    }
    data = csv_bytes([captions, [row.get(name, "") for name in EVENT_COLUMNS]])
    response = send(signed_in(app, "boc-user"), "events", data)
    assert flashes(response, "success") == [
        "文件已导入（1 行）：接收 1 行，重复 0 行，有错误 0 行。"
    ], text(response)
    assert ok(banks["boc"].get(f"{API}/loans/E-1"))["balance"] == "100.00"


# ------------------------------------------------------------------ the words
def test_every_code_a_row_of_a_file_can_carry_is_in_words():
    from loanledger.api.errors import ERROR_CODES
    from loanledger.web import i18n

    not_of_a_row = {"idempotency_key_reused", "invalid_uscc", "unknown_enterprise", "unknown_list"}
    for code in ERROR_CODES[422]:
        if code not in not_of_a_row:
            assert code in i18n.ERRORS, code
    assert "unknown_enterprise" in i18n.ERRORS and "invalid_uscc" in i18n.ERRORS


def test_every_column_has_a_caption_and_every_choice_its_word():
    for kind in spreadsheets.KINDS:
        for name in spreadsheets.COLUMNS[kind]:
            assert spreadsheets.caption_of(kind, name), (kind, name)
            choices = spreadsheets._choices(kind, name)
            if choices:
                assert set(spreadsheets.CHOICE_WORDS[name]) == set(choices), name
                words = list(spreadsheets.CHOICE_WORDS[name].values())
                assert len(set(words)) == len(words) and not any(w.isascii() for w in words)


def test_the_worker_finishes_a_queued_file_and_its_page_shows_it(app, banks, monkeypatch):
    from loanledger.services import import_worker

    monkeypatch.setattr(imports, "INLINE_MAX_BYTES", 10)
    boc = signed_in(app, "boc-user")
    queued = import_id(send(boc, "loans", csv_bytes([LOAN_COLUMNS, loan_row("C-1")])))
    assert import_worker.drain(app.extensions["loanledger"].sessionmaker) == [queued]
    page = boc.get(f"/bank/imports/{queued}")
    assert 'data-status="done"' in text(page) and 'id="refresh"' not in text(page)
    assert 'http-equiv="refresh"' not in text(page)


def test_an_event_file_s_errors_in_words(app, banks):
    ok(banks["boc"].post(f"{API}/loans", json=loan_body(contract_no="E-1")), 201)
    rows = [
        EVENT_COLUMNS,
        [
            {
                "event_id": "EV-1",
                "type": "放款",
                "contract_no": "NO-SUCH",
                "date": "2023-02-01",
                "amount": "1.00",
            }.get(n, "")
            for n in EVENT_COLUMNS
        ],
        [
            {"event_id": "EV-2", "type": "付款", "contract_no": "E-1", "date": "2023-02-01"}.get(
                n, ""
            )
            for n in EVENT_COLUMNS
        ],
        [
            {
                "event_id": "EV-3",
                "type": "还本",
                "contract_no": "E-1",
                "date": "2023-02-01",
                "principal": "10.00",
            }.get(n, "")
            for n in EVENT_COLUMNS
        ],
    ]
    response = send(signed_in(app, "boc-user"), "events", csv_bytes(rows))
    assert error_rows(response) == {
        "2": [("合同编号", "本行没有登记这个合同编号的贷款，请先报送贷款。")],
        "3": [
            (
                "类型",
                "不是可选的值，请从下拉列表中选择：放款、还本、付息、利率调整、逾期报告、追偿回收、结清、作废。",
            )
        ],
        "4": [("本金(元)", "还本后余额将小于零。")],
    }
    assert set(ASCII_WORD.findall(main_text(response).replace("file.csv", ""))) <= FORMAT_WORDS


def test_the_english_page_names_the_column_by_caption_and_field(app, banks):
    boc = signed_in(app, "boc-user")
    boc.get("/lang/en")
    response = send(boc, "loans", csv_bytes([LOAN_COLUMNS, loan_row("C-1", principal="1.234")]))
    assert error_rows(response) == {
        "2": [
            ("合同金额(元) (principal)", "Not an amount: yuan, not negative, at most two decimals.")
        ]
    }


def test_a_file_over_the_body_limit_is_a_page_that_says_so(app, banks, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = send(signed_in(app, "boc-user"), "loans", b"x" * 4096)
    assert response.status_code == 413
    assert "上传的文件太大" in text(response)
    assert db.scalars(select(ImportJob)).all() == []


def test_the_errors_download_in_the_page_s_words_and_only_for_its_bank(app, banks):
    boc = signed_in(app, "boc-user")
    response = send(boc, "loans", csv_bytes([LOAN_COLUMNS, loan_row("C-1", principal="=1+1")]))
    job = import_id(response)
    download = boc.get(f"/bank/imports/{job}/errors.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert rows == [
        ["行号", "列", "错误"],
        ["2", "合同金额(元)", "金额格式不正确：单位元，不能为负数，最多两位小数。"],
    ]
    assert signed_in(app, "abc-user").get(f"/bank/imports/{job}/errors.csv").status_code == 404
