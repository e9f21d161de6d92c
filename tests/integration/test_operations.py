"""Operations (loanledger.observability): /healthz, /readyz, request ids in JSON logs, and
the Prometheus metrics of /metrics, on the engine under test."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import replace

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from loanledger.app import create_app
from loanledger.observability import health, logs
from loanledger.persistence import migrate
from loanledger.persistence.db import make_engine
from tests.support.api import API, ok
from tests.support.environment import ENGINE

USCC = "914420006FA300000G"


def samples(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }


def value(snapshot, name: str, **labels) -> float:
    return snapshot.get((name, frozenset(labels.items())), 0.0)


# ---------------------------------------------------------------- health
def test_healthz_answers_without_a_database(settings):
    broken = make_engine("sqlite:////nonexistent-dir/never.db", sqlite_wal=False)
    app = create_app(settings, engine=broken)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    broken.dispose()


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ready" and body["failed"] == []
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["schema"]["ok"] and body["checks"]["schema"]["revision"] == sorted(
        health.alembic_heads()
    )
    assert body["integrity"] is None


def _unreachable_url() -> str:
    if ENGINE == "postgresql":
        return "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
    return "sqlite:////nonexistent-dir/never.db"


def test_readyz_answers_503_when_the_database_is_unreachable(settings):
    app = create_app(replace(settings, database_url=_unreachable_url()))
    try:
        response = app.test_client().get("/readyz")
    finally:
        app.extensions["loanledger"].engine.dispose()
    body = response.get_json()
    assert response.status_code == 503, body
    assert response.mimetype == "application/json"
    assert body["status"] == "unavailable"
    assert body["failed"] == ["database", "schema"]
    assert body["checks"]["database"]["ok"] is False and body["checks"]["database"]["error"]


def test_readyz_answers_503_on_a_database_that_was_never_migrated(settings, empty_database_url):
    app = create_app(replace(settings, database_url=empty_database_url))
    try:
        body = app.test_client().get("/readyz")
        assert body.status_code == 503
        body = body.get_json()
    finally:
        app.extensions["loanledger"].engine.dispose()
    assert body["failed"] == ["schema"]
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["schema"]["revision"] == []


def test_readyz_answers_503_when_the_schema_is_behind_head(client, engine):
    with engine.connect() as connection:
        (current,) = connection.execute(text("SELECT version_num FROM alembic_version")).one()
    script = migrate.alembic_config()
    from alembic.script import ScriptDirectory

    previous = ScriptDirectory.from_config(script).get_revision(current).down_revision
    assert previous, "head has a previous revision"
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
        response = client.get("/readyz")
        body = response.get_json()
        assert response.status_code == 503, body
        assert body["failed"] == ["schema"]
        assert body["checks"]["schema"] == {"ok": False, "revision": [previous], "head": [current]}
    finally:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
    assert client.get("/readyz").status_code == 200


def test_readyz_reports_the_last_integrity_check(client):
    try:
        health.set_integrity(False, {"trial_balance": "debits != credits", "periods": ["2024-01"]})
        body = client.get("/readyz").get_json()
        assert body["status"] == "ready"  # information, not a readiness condition
        assert body["integrity"]["ok"] is False
        assert body["integrity"]["detail"] == {
            "trial_balance": "debits != credits",
            "periods": ["2024-01"],
        }
        assert body["integrity"]["checked_at"]
        health.set_integrity(True, {})
        assert client.get("/readyz").get_json()["integrity"]["ok"] is True
    finally:
        health.clear_integrity()


def test_the_operations_endpoints_are_not_in_the_openapi_document(client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    assert not [
        p for p in paths if p.rstrip("/").rsplit("/", 1)[-1] in ("healthz", "readyz", "metrics")
    ]


# ---------------------------------------------------------------- request ids and logs
@pytest.fixture
def json_log():
    """The JSON lines written while the test runs, as dicts (as configured outside tests)."""
    stream = io.StringIO()
    handler = logs.json_handler(stream)
    root = logging.getLogger()
    access = logging.getLogger("loanledger.access")
    old_level = access.level
    root.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        access.setLevel(old_level)
        root.removeHandler(handler)


def test_an_incoming_request_id_is_echoed_and_logged(client, json_log, admin_token):
    response = client.get(
        f"{API}/periods",
        headers={"X-Request-Id": "lb-7f3a 42", "Authorization": f"Bearer {admin_token}"},
    )
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "lb-7f3a 42"
    records = [r for r in json_log() if r.get("request_id") == "lb-7f3a 42"]
    assert len(records) == 1
    (access,) = records
    assert access["logger"] == "loanledger.access" and access["level"] == "INFO"
    assert (
        access["method"] == "GET" and access["path"] == f"{API}/periods" and access["status"] == 200
    )
    assert isinstance(access["duration_ms"], float) and access["duration_ms"] >= 0
    assert access["principal"].startswith("user:admin")


@pytest.mark.parametrize("incoming", [None, "", "x" * 129, "bad\x01id", "中文"])
def test_a_request_id_is_generated_when_absent_or_unusable(client, json_log, incoming):
    headers = (
        {} if incoming is None else {"X-Request-Id": incoming.encode("utf-8").decode("latin-1")}
    )
    response = client.get("/healthz", headers=headers)
    generated = response.headers["X-Request-Id"]
    assert len(generated) == 32 and int(generated, 16) >= 0
    (access,) = [r for r in json_log() if r["logger"] == "loanledger.access"]
    assert access["request_id"] == generated and access["principal"] is None


def test_every_record_of_a_request_carries_its_id(client, json_log, monkeypatch):
    """A record from any logger while the request runs: here the 500 handler's."""

    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(health, "readiness", explode)
    response = client.get("/readyz", headers={"X-Request-Id": "req-500"})
    assert response.status_code == 500
    assert response.get_json()["errors"][0]["code"] == "internal"
    records = [r for r in json_log() if r["request_id"] == "req-500"]
    assert {r["logger"] for r in records} == {"loanledger.api.errors", "loanledger.access"}
    failure = next(r for r in records if r["logger"] == "loanledger.api.errors")
    assert failure["level"] == "ERROR" and "RuntimeError: boom" in failure["exc_info"]


# ---------------------------------------------------------------- metrics
def test_metrics_count_requests_and_problem_codes(client):
    before = samples(client)
    assert client.get("/healthz").status_code == 200
    response = client.get(f"{API}/periods")  # no token
    assert response.status_code == 401
    code = response.get_json()["errors"][0]["code"]
    after = samples(client)
    assert (
        value(
            after, "loanledger_http_requests_total", method="GET", endpoint="/healthz", status="200"
        )
        == value(
            before,
            "loanledger_http_requests_total",
            method="GET",
            endpoint="/healthz",
            status="200",
        )
        + 1
    )
    assert (
        value(
            after,
            "loanledger_http_requests_total",
            method="GET",
            endpoint=f"{API}/periods",
            status="401",
        )
        == value(
            before,
            "loanledger_http_requests_total",
            method="GET",
            endpoint=f"{API}/periods",
            status="401",
        )
        + 1
    )
    assert (
        value(after, "loanledger_http_request_seconds_count", method="GET", endpoint="/healthz")
        == value(before, "loanledger_http_request_seconds_count", method="GET", endpoint="/healthz")
        + 1
    )
    assert (
        value(after, "loanledger_errors_total", code=code)
        == value(before, "loanledger_errors_total", code=code) + 1
    )
    # a URL no rule matches is one label value, not one per path
    client.get("/no/such/page/123")
    assert (
        value(
            samples(client),
            "loanledger_http_requests_total",
            method="GET",
            endpoint="<unmatched>",
            status="404",
        )
        >= 1
    )


def test_metrics_can_be_turned_off(app, client):
    app.config["LOANLEDGER_METRICS_ENABLED"] = False
    assert client.get("/metrics").status_code == 404


def test_intake_and_close_metrics(client, staff, bank):
    before = samples(client)
    staff.set_business_date("2023-01-02")
    bk = bank("BK1", "Bank BK1")
    for path, body in (
        (
            "/products",
            {"product_code": "BK1-P", "bank_code": "BK1", "name": "数智贷", "risk_covered": True},
        ),
        (
            "/enterprises",
            {
                "uscc": USCC,
                "name": "企业",
                "established_on": "2012-01-01",
                "industry_code": "C3879",
            },
        ),
        (
            "/filings",
            {
                "filing_no": "F1",
                "uscc": USCC,
                "project_name": "MES",
                "eligible_investment": "800000.00",
                "approved_on": "2022-12-01",
            },
        ),
    ):
        ok(staff.request("clerk", "POST", path, body))
    staff.set_business_date("2023-01-03")
    loan = {
        "contract_no": "C1",
        "product_code": "BK1-P",
        "uscc": USCC,
        "filing_no": "F1",
        "principal": "500000.00",
        "annual_rate": "3.6000",
        "start_date": "2023-01-03",
        "maturity_date": "2025-01-01",
        "repayment_method": "interest_only",
        "interest_settlement": "monthly",
    }
    assert bk.post(f"{API}/loans", json=loan).status_code == 201
    assert bk.post(f"{API}/loans", json=loan).status_code == 200  # the same again: a duplicate
    disbursement = {
        "event_id": "D1",
        "type": "disbursement",
        "date": "2023-01-03",
        "amount": "500000.00",
    }
    assert bk.post(f"{API}/loans/C1/events", json=disbursement).status_code == 201
    assert (
        bk.post(f"{API}/loans:bulk", json={"loans": [{"contract_no": "X"}]}).status_code == 200
    )  # rejected
    staff.set_business_date("2023-02-21")
    interest = {
        "event_id": "I1",
        "type": "interest",
        "period_start": "2023-01-03",
        "period_end": "2023-02-21",
        "paid_on": "2023-02-21",
        "interest": "2450.00",
    }
    assert (
        ok(
            bk.post(f"{API}/events:bulk", json={"events": [{"contract_no": "C1", **interest}]}), 200
        )["accepted"]
        == 1
    )
    staff.set_business_date("2023-03-01")
    view = ok(staff.request("clerk", "POST", "/periods/2023-02/close"), 200)
    assert view["status"] == "closed"
    ok(staff.request("clerk", "POST", "/periods/2023-02/close"), 200)  # a repeat: no second close
    after = samples(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("loanledger_intake_items_total", kind="loan", status="created") == 1
    assert delta("loanledger_intake_items_total", kind="loan", status="duplicate") == 1
    assert delta("loanledger_intake_items_total", kind="loan", status="rejected") == 1
    assert delta("loanledger_intake_items_total", kind="event", status="created") == 2
    assert delta("loanledger_close_seconds_count") == 1
    assert delta("loanledger_close_seconds_sum") > 0
    assert delta("loanledger_close_lines_total") == 1
