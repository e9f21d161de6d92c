"""Idempotency-Key (api.md, Conventions): claimed before the work, answered with it.

A repeat replays the first answer (status and body, `Idempotent-Replayed: true`), refusals
included; another body → 422 `idempotency_key_reused`; still running → 409
`request_in_flight`; a 5xx keeps nothing; a crashed request's claim is taken over after
settings.idempotency_abandon_seconds; keys are purged after settings.idempotency_ttl_days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import flask
import pytest
from sqlalchemy import event, func, select, update

from loanledger.api import auth
from loanledger.api.auth import endpoint
from loanledger.app import create_app
from loanledger.client import RetryPolicy, TestClientBank
from loanledger.persistence.tables import IdempotencyRecord, Loan
from tests.support.api import API, error_code
from tests.support.probe import PROBE
from tests.support.world import loan_body


def _records(db) -> list[IdempotencyRecord]:
    db.expire_all()
    return list(db.scalars(select(IdempotencyRecord).order_by(IdempotencyRecord.id)))


# ---------------------------------------------------------------- the real bank endpoint
def test_a_repeated_registration_replays_the_first_answer(world, db):
    boc = world["boc"]
    first = boc.post(f"{API}/loans", json=loan_body(), idempotency_key="reg-1")
    again = boc.post(f"{API}/loans", json=loan_body(), idempotency_key="reg-1")
    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data() and again.mimetype == "application/json"
    assert (
        again.headers["Idempotent-Replayed"] == "true"
        and "Idempotent-Replayed" not in first.headers
    )
    # Without the key's memory the same body would have answered 200 (same contract again).
    assert boc.post(f"{API}/loans", json=loan_body(), idempotency_key="reg-2").status_code == 200
    [one, two] = _records(db)
    assert (one.state, one.status_code, two.status_code) == ("done", 201, 200)


def test_the_key_and_the_loan_are_written_in_one_transaction(world, app, db):
    """The third commit of a bank write (after the nonce's and the claim's) carries the loan
    and the answer together: when it fails, neither is kept and the key is let go."""
    boc = world["boc"]
    sessionmaker = app.extensions["loanledger"].sessionmaker
    failed = []

    def fail_the_work_commit(session):
        session.info["commits"] = session.info.get("commits", 0) + 1
        if session.info["commits"] == 3 and not failed:
            failed.append(True)
            raise RuntimeError("the database went away at commit")

    event.listen(sessionmaker, "before_commit", fail_the_work_commit)
    try:
        answer = boc.post(f"{API}/loans", json=loan_body(), idempotency_key="reg-1")
        assert answer.status_code == 500 and failed
        assert _records(db) == [] and db.scalar(select(func.count()).select_from(Loan)) == 0
        retried = boc.post(f"{API}/loans", json=loan_body(), idempotency_key="reg-1")
    finally:
        event.remove(sessionmaker, "before_commit", fail_the_work_commit)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert [r.state for r in _records(db)] == ["done"]
    assert db.scalar(select(func.count()).select_from(Loan)) == 1


def test_a_refused_registration_is_replayed_and_changes_nothing(world, db):
    boc = world["boc"]
    body = loan_body(product_code="NOPE")
    first = boc.post(f"{API}/loans", json=body, idempotency_key="bad-1")
    again = boc.post(f"{API}/loans", json=body, idempotency_key="bad-1")
    assert first.status_code == again.status_code == 422 and error_code(first) == "unknown_product"
    assert again.get_data() == first.get_data() and again.mimetype == "application/problem+json"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.scalar(select(func.count()).select_from(Loan)) == 0
    [record] = _records(db)
    assert (record.state, record.status_code) == ("done", 422)


def test_a_validation_refusal_is_replayed(world):
    boc = world["boc"]
    body = loan_body(principal=5000000)  # a JSON number for money
    first = boc.post(f"{API}/loans", json=body, idempotency_key="bad-2")
    again = boc.post(f"{API}/loans", json=body, idempotency_key="bad-2")
    assert first.status_code == again.status_code == 422 and error_code(first) == "invalid_format"
    assert again.get_data() == first.get_data() and again.headers["Idempotent-Replayed"] == "true"


def test_same_key_other_body_on_the_real_endpoint(world):
    boc = world["boc"]
    assert boc.post(f"{API}/loans", json=loan_body(), idempotency_key="k").status_code == 201
    other = boc.post(f"{API}/loans", json=loan_body(contract_no="C-2"), idempotency_key="k")
    assert other.status_code == 422 and error_code(other) == "idempotency_key_reused"
    assert other.get_json()["errors"][0]["field"] == "Idempotency-Key"


def test_the_key_covers_path_and_query(bank, probe):
    bk = bank("BK1")
    assert bk.post(f"{PROBE}/bank", json={"n": 1}, idempotency_key="k").status_code == 201
    assert bk.post(f"{PROBE}/refuse", json={"n": 1}, idempotency_key="k").status_code == 422
    answer = bk.post(f"{PROBE}/bank", json={"n": 1}, params={"x": "1"}, idempotency_key="k")
    assert answer.status_code == 422 and error_code(answer) == "idempotency_key_reused"


# ---------------------------------------------------------------- in flight, crashes, 5xx
@pytest.fixture
def crash_app(settings, engine):
    """An app of its own with a bank write that can be told to fail or to wait."""
    app = create_app(settings, engine=engine)
    control = {"fail": None, "entered": threading.Event(), "go_on": threading.Event(), "runs": 0}
    blueprint = flask.Blueprint("crash", __name__, url_prefix=f"{API}/_crash")

    @blueprint.post("/write")
    @endpoint(bank=True)
    def write():
        control["runs"] += 1
        if control["fail"] == "error":
            raise RuntimeError("a bug")
        if control["fail"] == "503":
            return {"busy": True}, 503
        if control["fail"] == "wait":
            control["entered"].set()
            control["go_on"].wait(10)
        return {"run": control["runs"]}, 201

    app.register_blueprint(blueprint)
    app.control = control
    yield app
    control["go_on"].set()


@pytest.fixture
def crash_bank(crash_app, bank_for):
    return bank_for(crash_app)


@pytest.fixture
def bank_for():
    from tests.support.people import BankFactory

    return lambda app: BankFactory(app, app.test_client())("BK1")


@pytest.mark.parametrize("failure", ["error", "503"])
def test_a_server_error_is_not_stored(crash_app, crash_bank, db, failure):
    crash_app.control["fail"] = failure
    answer = crash_bank.post(f"{API}/_crash/write", json={}, idempotency_key="k")
    assert answer.status_code == (500 if failure == "error" else 503)
    assert _records(db) == []
    crash_app.control["fail"] = None
    retried = crash_bank.post(f"{API}/_crash/write", json={}, idempotency_key="k")
    assert retried.status_code == 201 and retried.get_json() == {"run": 2}
    assert "Idempotent-Replayed" not in retried.headers


def test_a_repeat_while_the_first_runs_is_409_request_in_flight(crash_app, crash_bank, db):
    crash_app.control["fail"] = "wait"
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(crash_bank.post, f"{API}/_crash/write", json={}, idempotency_key="k")
        assert crash_app.control["entered"].wait(10)
        second = crash_bank.post(f"{API}/_crash/write", json={}, idempotency_key="k")
        assert second.status_code == 409 and error_code(second) == "request_in_flight"
        assert second.mimetype == "application/problem+json"
        other = crash_bank.post(f"{API}/_crash/write", json={"other": 1}, idempotency_key="k")
        assert other.status_code == 422 and error_code(other) == "idempotency_key_reused"
        crash_app.control["go_on"].set()
        assert first.result().status_code == 201
    third = crash_bank.post(f"{API}/_crash/write", json={}, idempotency_key="k")
    assert third.status_code == 201 and third.headers["Idempotent-Replayed"] == "true"
    assert crash_app.control["runs"] == 1


def test_a_crashed_requests_claim_is_taken_over_once_abandoned(
    crash_app, crash_bank, db, monkeypatch
):
    # A crash: the process dies after the claim, so nothing releases it.
    monkeypatch.setattr(auth, "_release", lambda record_id: None)
    crash_app.control["fail"] = "error"
    assert crash_bank.post(f"{API}/_crash/write", json={}, idempotency_key="k").status_code == 500
    [record] = _records(db)
    assert record.state == "in_flight"
    crash_app.control["fail"] = None
    young = crash_bank.post(f"{API}/_crash/write", json={}, idempotency_key="k")
    assert young.status_code == 409 and error_code(young) == "request_in_flight"
    abandon = crash_app.extensions["loanledger"].settings.idempotency_abandon_seconds
    db.execute(
        update(IdempotencyRecord).values(
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=abandon + 1)
        )
    )
    db.commit()
    taken = crash_bank.post(f"{API}/_crash/write", json={}, idempotency_key="k")
    assert taken.status_code == 201 and "Idempotent-Replayed" not in taken.headers
    [record] = _records(db)
    assert (record.state, record.status_code) == ("done", 201)


def test_a_claim_taken_over_while_running_keeps_nothing_of_the_slow_request(
    crash_app, crash_bank, db
):
    """The slow request outlived the abandon time and a retry took the key over: the slow
    one's work is rolled back and it answers as the key's row now says."""
    crash_app.control["fail"] = "wait"
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(crash_bank.post, f"{API}/_crash/write", json={}, idempotency_key="k")
        assert crash_app.control["entered"].wait(10)
        abandon = crash_app.extensions["loanledger"].settings.idempotency_abandon_seconds
        db.execute(
            update(IdempotencyRecord).values(
                created_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=abandon + 1)
            )
        )
        db.commit()
        crash_app.control["fail"] = None
        retry = crash_bank.post(f"{API}/_crash/write", json={}, idempotency_key="k")
        assert retry.status_code == 201 and retry.get_json() == {"run": 2}
        crash_app.control["go_on"].set()
        late = slow.result()
    assert late.status_code == 201 and late.get_json() == {"run": 2}
    assert late.headers["Idempotent-Replayed"] == "true"
    assert [(r.state, r.status_code) for r in _records(db)] == [("done", 201)]


# ---------------------------------------------------------------- 20 at once, PostgreSQL
@pytest.mark.pg
def test_twenty_concurrent_identical_registrations(world, app, db):
    """20 threads, each with its own test client, send the same registration with the same
    key at once. A 409 request_in_flight is retried by the client (same key, fresh nonce,
    backoff with jitter); in the end all 20 hold the same answer."""
    boc = world["boc"]
    start = threading.Barrier(20)
    waits = []
    retry = RetryPolicy(attempts=200, base_delay=0.02, max_delay=0.05)

    def register(_):
        client = TestClientBank(
            app.test_client(),
            boc.key_id,
            boc.secret,
            boc.bank_code,
            retry=retry,
            sleep=lambda s: (waits.append(s), time.sleep(s)),
        )
        start.wait()
        answer = client.post(f"{API}/loans", json=loan_body(), idempotency_key="same-key")
        return answer.status_code, answer.get_data(), answer.headers.get("Idempotent-Replayed")

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(register, range(20)))
    assert {status for status, _, _ in answers} == {201}
    assert len({body for _, body, _ in answers}) == 1
    assert sorted(replayed or "" for _, _, replayed in answers) == [""] + ["true"] * 19
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Loan)) == 1
    assert [(r.state, r.status_code) for r in _records(db)] == [("done", 201)]
    print(f"409 request_in_flight answers retried by the client: {len(waits)}")


@pytest.mark.pg
def test_twenty_concurrent_bulk_requests(world, app, db):
    boc = world["boc"]
    loans = [loan_body(contract_no=f"C-{i}") for i in range(50)]
    start = threading.Barrier(20)
    key = str(uuid.uuid4())

    def send(_):
        client = TestClientBank(app.test_client(), boc.key_id, boc.secret, boc.bank_code)
        start.wait()
        for _attempt in range(400):
            answer = client.post(f"{API}/loans:bulk", json={"loans": loans}, idempotency_key=key)
            if answer.status_code != 409:
                return answer.status_code, answer.get_data()
            time.sleep(0.02)
        raise AssertionError("still in flight")

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, range(20)))
    assert len(set(answers)) == 1 and answers[0][0] == 200
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Loan)) == 50


# ---------------------------------------------------------------- settings
def test_the_abandon_time_outlasts_a_request(settings):
    # gunicorn kills a worker whose request runs past 120 s (loanledger serve --timeout).
    assert settings.idempotency_abandon_seconds > 120
    assert dataclasses.replace(settings).idempotency_ttl_days >= 7
