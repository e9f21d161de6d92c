"""The public 公示 list (api.md, "what the bureau publishes"): `GET /public/publicity`,
`/public/publicity/{batch_id}` and its `.xlsx`, and the page `/gongshi`, for anyone without
sign-in — only batches in 公示, nothing private (no account, no full USCC), totals that add
up, cacheable with an ETag, limited per address like every anonymous request."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from config import ConfigError, load_settings
from loanledger.app import create_app
from loanledger.services.publicity_sheet import FIRST_DATA_ROW, HEADERS
from tests.support.api import API, ok, refused
from tests.support.publicity import (
    ACCOUNT_NUMBERS,
    BANK_NAMES,
    ENDS_ON,
    ENTERPRISES,
    FILINGS,
    HUAXING,
    MEIDENG,
    PERIOD,
    STARTS_ON,
    YUANJING,
    publicity_world,
)
from tests.support.web import Web, text

PUBLIC = f"{API}/public/publicity"


@pytest.fixture
def world(staff, bank):
    return publicity_world(staff, bank)


def masked(uscc: str) -> str:
    return uscc[:4] + "*" * 10 + uscc[-4:]


def xlsx_text(data: bytes) -> str:
    """Every part of the workbook, unzipped: what a reader of the file could find in it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def assert_nothing_private(published: str, world) -> None:
    for uscc in ENTERPRISES:
        assert uscc not in published
        assert uscc[4:14] not in published  # not even the masked part elsewhere
    for number in ACCOUNT_NUMBERS:
        assert number not in published
    for contract in world.contracts:
        assert contract not in published
    for bank_code in BANK_NAMES:
        assert bank_code not in published
    assert "account" not in published.lower()


# ---------------------------------------------------------------- the API
def test_the_list_answers_without_sign_in(client, world):
    response = client.get(PUBLIC)
    assert response.status_code == 200
    (item,) = response.get_json()["items"]
    assert item["batch_id"] == world.batch_id and item["period"] == PERIOD
    assert item["publicity_starts_on"] == STARTS_ON.isoformat()
    assert item["publicity_ends_on"] == ENDS_ON.isoformat()
    assert item["objection"]["until"] == ENDS_ON.isoformat()
    assert "2025年2月11日" in item["objection"]["how"] and "企业端" in item["objection"]["how"]
    names = [e["name"] for e in item["enterprises"]]
    assert names == sorted(name for name, _account in ENTERPRISES.values())
    meideng = item["enterprises"][names.index(ENTERPRISES[MEIDENG][0])]
    assert meideng == {
        "name": "中山市美灯照明科技有限公司",
        "uscc_masked": masked(MEIDENG),
        "projects": sorted(p for u, p in FILINGS.values() if u == MEIDENG),
        "banks": sorted(BANK_NAMES.values()),
        "amount": "2367.09",  # its two lines, 910.42 + 1456.67
    }


def test_totals_add_up_and_match_the_lines(client, world):
    item = ok(client.get(f"{PUBLIC}/{world.batch_id}"))
    amounts = [Decimal(e["amount"]) for e in item["enterprises"]]
    assert item["enterprise_count"] == len(amounts) == 3
    assert Decimal(item["total"]) == sum(amounts) == Decimal("4734.17")
    per_enterprise = {
        uscc: sum(Decimal(line["amount"]) for line in lines) for uscc, lines in world.lines.items()
    }
    assert {e["uscc_masked"]: Decimal(e["amount"]) for e in item["enterprises"]} == {
        masked(uscc): amount for uscc, amount in per_enterprise.items()
    }
    assert ok(client.get(PUBLIC))["items"] == [item]


def test_the_usccs_are_masked_and_no_account_is_published(client, app, world):
    answers = [
        client.get(PUBLIC).get_data(as_text=True),
        client.get(f"{PUBLIC}/{world.batch_id}").get_data(as_text=True),
        xlsx_text(client.get(f"{PUBLIC}/{world.batch_id}.xlsx").data),
        Web(app).get("/gongshi").get_data(as_text=True),
        xlsx_text(Web(app).get(f"/gongshi/{world.batch_id}.xlsx").data),
    ]
    for published in answers:
        assert_nothing_private(published, world)
        for uscc in ENTERPRISES:
            assert masked(uscc) in published
    item = ok(client.get(f"{PUBLIC}/{world.batch_id}"))
    for enterprise in item["enterprises"]:
        assert set(enterprise) == {"name", "uscc_masked", "projects", "banks", "amount"}
        assert len(enterprise["uscc_masked"]) == 18
        assert enterprise["uscc_masked"][4:14] == "*" * 10


def test_a_batch_not_in_publicity_is_not_found(client, staff, world):
    for path in (f"{PUBLIC}/{world.batch_id + 1}", f"{PUBLIC}/{world.batch_id + 1}.xlsx"):
        refused(client.get(path), 404, "not_found")
    staff.set_business_date(ENDS_ON)  # the last day of 公示: still listed
    assert ok(client.get(f"{PUBLIC}/{world.batch_id}"))["batch_id"] == world.batch_id
    staff.set_business_date(ENDS_ON.replace(day=ENDS_ON.day + 1))  # nothing moved it yet
    for path in (f"{PUBLIC}/{world.batch_id}", f"{PUBLIC}/{world.batch_id}.xlsx"):
        refused(client.get(path), 404, "not_found")
    assert ok(client.get(PUBLIC)) == {"items": []}
    ok(staff.request("auditor", "GET", "/batches"))  # any request moves it to ready
    batch = ok(staff.request("auditor", "GET", f"/batches/{world.batch_id}"))
    assert batch["status"] == "ready"
    refused(client.get(f"{PUBLIC}/{world.batch_id}"), 404, "not_found")


def test_a_line_held_back_after_an_upheld_objection_is_not_listed(client, staff, world):
    before = client.get(f"{PUBLIC}/{world.batch_id}")
    (line,) = world.lines[YUANJING]
    token = staff.login("yuanjing", staff.create("yuanjing", "enterprise", uscc=YUANJING))
    filed = client.post(
        f"{API}/objections",
        json={"line_id": line["line_id"], "reason": "利息金额有误"},
        headers={"Authorization": f"Bearer {token}"},
    )
    objection = ok(filed, 201)
    item = ok(client.get(f"{PUBLIC}/{world.batch_id}"))
    assert item["enterprise_count"] == 3  # an open objection changes nothing yet
    assert "利息金额有误" not in client.get(PUBLIC).get_data(as_text=True)
    ok(
        staff.request(
            "clerk",
            "POST",
            f"/objections/{objection['objection_id']}/resolve",
            {"resolution": "upheld", "note": "银行更正利息后重算"},
        )
    )
    after = client.get(f"{PUBLIC}/{world.batch_id}")
    item = after.get_json()
    assert [e["uscc_masked"] for e in item["enterprises"]] == [masked(HUAXING), masked(MEIDENG)]
    assert item["total"] == "4187.92"  # 4734.17 − 546.25
    assert after.headers["ETag"] != before.headers["ETag"]


def test_an_etag_answers_304_while_nothing_changed(client, world):
    for path in (PUBLIC, f"{PUBLIC}/{world.batch_id}", f"{PUBLIC}/{world.batch_id}.xlsx"):
        first = client.get(path)
        assert first.status_code == 200
        assert first.headers["Cache-Control"] == "public, max-age=60"
        etag = first.headers["ETag"]
        assert client.get(path).headers["ETag"] == etag  # the same list, the same tag
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_the_xlsx_opens_and_its_totals_row_is_the_sum(client, world):
    response = client.get(f"{PUBLIC}/{world.batch_id}.xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["A1"].value == "2025年1月数字贷贴息公示名单"
    assert "2025年2月6日至2025年2月11日" in sheet["A2"].value
    assert "2025年2月11日" in sheet["A3"].value
    header = FIRST_DATA_ROW - 1
    assert tuple(c.value for c in sheet[header]) == HEADERS
    rows = list(sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True))
    *entries, totals = rows
    assert [row[0] for row in entries] == [1, 2, 3]
    assert [row[2] for row in entries] == [masked(u) for u in (HUAXING, MEIDENG, YUANJING)]
    assert entries[1][3] == "美灯仓储数字化项目、美灯智能照明生产线项目"
    amounts = [Decimal(str(row[5])) for row in entries]
    assert totals[0] == "合计" and totals[1] == "3户"
    assert Decimal(str(totals[5])) == sum(amounts) == Decimal("4734.17")


# ---------------------------------------------------------------- the rate limit
@pytest.fixture
def limited(settings, engine):
    app = create_app(
        dataclasses.replace(
            settings, anonymous_rate_limit_per_second=0.5, anonymous_rate_limit_burst=3
        ),
        engine=engine,
    )
    return app


def test_the_anonymous_rate_limit_applies_per_address(limited, world):
    client = limited.test_client()
    assert [client.get(PUBLIC).status_code for _ in range(3)] == [200, 200, 200]
    too_many = client.get(f"{PUBLIC}/{world.batch_id}.xlsx")
    refused(too_many, 429, "rate_limited")
    assert 1 <= int(too_many.headers["Retry-After"]) <= 6
    page = client.get("/gongshi")  # the page counts against the same allowance
    assert page.status_code == 429 and page.mimetype == "text/html"
    assert page.headers["Retry-After"]
    other = limited.test_client()
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
    assert other.get(PUBLIC, environ_base=elsewhere).status_code == 200


def test_a_rate_of_zero_is_no_anonymous_limit(settings, engine, world):
    app = create_app(
        dataclasses.replace(
            settings, anonymous_rate_limit_per_second=0, anonymous_rate_limit_burst=1
        ),
        engine=engine,
    )
    client = app.test_client()
    assert {client.get(PUBLIC).status_code for _ in range(5)} == {200}


# ---------------------------------------------------------------- the bureau's contact
def test_the_bureau_contact_is_published_when_set(settings, engine, world):
    contact = "中山市工业和信息化局 0760-88888888"
    app = create_app(dataclasses.replace(settings, publicity_contact=contact), engine=engine)
    client = app.test_client()
    item = ok(client.get(f"{PUBLIC}/{world.batch_id}"))
    assert item["objection"]["how"].endswith(f"咨询：{contact}。")
    assert contact in text(client.get("/gongshi"))
    sheet = load_workbook(io.BytesIO(client.get(f"{PUBLIC}/{world.batch_id}.xlsx").data)).active
    assert contact in sheet["A3"].value


def test_the_settings_come_from_the_environment():
    settings = load_settings(
        env="testing",
        environ={
            "LOANLEDGER_ANONYMOUS_RATE_LIMIT_PER_SECOND": "0.5",
            "LOANLEDGER_ANONYMOUS_RATE_LIMIT_BURST": "7",
            "LOANLEDGER_PUBLICITY_CONTACT": " 0760-88888888 ",
        },
    )
    assert settings.anonymous_rate_limit_per_second == 0.5
    assert settings.anonymous_rate_limit_burst == 7
    assert settings.publicity_contact == "0760-88888888"
    defaults = load_settings(env="testing", environ={"LOANLEDGER_PUBLICITY_CONTACT": " "})
    assert defaults.publicity_contact is None and defaults.anonymous_rate_limit_burst == 60
    for bad in (
        {"LOANLEDGER_ANONYMOUS_RATE_LIMIT_BURST": "0"},
        {"LOANLEDGER_ANONYMOUS_RATE_LIMIT_PER_SECOND": "often"},
    ):
        with pytest.raises(ConfigError):
            load_settings(env="testing", environ=bad)


# ---------------------------------------------------------------- the page
def test_the_public_page_needs_no_sign_in(app, world):
    web = Web(app)
    page = web.get("/gongshi")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "public, max-age=60"
    html = text(page)
    assert "2025年1月数字贷贴息公示名单" in html
    assert "2025年2月6日至2025年2月11日" in html
    assert "¥2,367.09" in html and "¥4,734.17" in html
    assert "合计（3户）" in html
    assert "current-user" not in html and "csrf_token" not in html  # the same for everyone
    assert f'href="/gongshi/{world.batch_id}.xlsx"' in html
    again = web.get("/gongshi", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304
    one = text(web.get(f"/gongshi/{world.batch_id}?print=1"))
    assert "window.print()" in one and 'id="publicity-search"' not in one
    assert web.get(f"/gongshi/{world.batch_id + 1}").status_code == 404
    assert 'href="/gongshi"' in text(web.get("/login"))


def test_the_page_searches_by_enterprise_name(app, world):
    html = text(Web(app).get("/gongshi", query_string={"q": "美灯"}))
    assert "中山市美灯照明科技有限公司" in html and "中山市华星五金制品有限公司" not in html
    assert "显示 1 户，共 3 户" in html and "合计（3户）" not in html
    nothing = text(Web(app).get("/gongshi", query_string={"q": "没有这家"}))
    assert "没有符合条件的企业" in nothing


def test_the_page_without_a_batch_in_publicity(app, staff, world):
    staff.set_business_date(ENDS_ON.replace(day=ENDS_ON.day + 1))
    html = text(Web(app).get("/gongshi"))
    assert 'id="no-publicity"' in html and "中山市华星五金制品有限公司" not in html
    assert Web(app).get(f"/gongshi/{world.batch_id}.xlsx").status_code == 404


def test_the_page_in_english(app, world):
    web = Web(app)
    html = text(web.get("/gongshi", headers={"Accept-Language": "en"}))
    assert "Subsidy lists under public notice" in html
    assert "中山市华星五金制品有限公司" in html  # names are published as they are


def test_the_bureau_batch_page_prints_and_downloads_the_list(app, staff, world):
    staff.create("clerk-p", "clerk", "clerk-p-password")
    web = Web(app)
    web.login("clerk-p", "clerk-p-password")
    html = text(web.get(f"/bureau/batches/{world.batch_id}"))
    assert f'href="/gongshi/{world.batch_id}?print=1"' in html
    assert f'href="/gongshi/{world.batch_id}.xlsx"' in html
    staff.set_business_date(ENDS_ON.replace(day=ENDS_ON.day + 1))
    html = text(web.get(f"/bureau/batches/{world.batch_id}"))
    assert 'id="print-publicity"' not in html and 'id="download-publicity"' not in html
