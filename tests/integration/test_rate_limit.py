"""Per-bank rate limit (a moving window per bank, in memory or in Redis shared by every
worker), key revocation and retention."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import func, select

from config import ConfigError, Settings, load_settings
from loanledger.app import create_app
from loanledger.client import TestClientBank
from loanledger.persistence.tables import IdempotencyRecord, Nonce
from loanledger.ratelimit import RequestLimits
from loanledger.services import retention
from loanledger.services.retention import purge_expired
from tests.support.api import API
from tests.support.cli import run
from tests.support.people import BankFactory
from tests.support.probe import PROBE
from tests.support.world import loan_body

REDIS_URI = "redis://127.0.0.1:6379/15"


def _redis_up() -> bool:
    try:
        return RequestLimits(REDIS_URI, prefix=f"probe-{uuid.uuid4().hex}")._storage.check()
    except Exception:
        return False


@pytest.fixture(params=["memory", "redis"])
def store(request) -> str:
    """The limit's store: one process's memory, and Redis, which every worker shares."""
    if request.param == "memory":
        return "memory://"
    if not _redis_up():
        pytest.skip("Redis does not answer at 127.0.0.1:6379")
    return REDIS_URI


def _limits(store: str) -> RequestLimits:
    return RequestLimits(store, prefix=f"test-{uuid.uuid4().hex}")  # a fresh count per test


# ---------------------------------------------------------------- the window
def test_the_burst_goes_through_then_the_next_waits_for_the_window(store):
    limits = _limits(store)
    assert [limits.take("bank", "B", rate=0.5, burst=3) for _ in range(3)] == [0, 0, 0]
    wait = limits.take("bank", "B", rate=0.5, burst=3)  # 3 in any 6 s
    assert 1 <= wait <= 6


def test_banks_have_their_own_counts_and_a_rate_of_zero_is_no_limit(store):
    limits = _limits(store)
    assert [limits.take("bank", "A", rate=1, burst=1) for _ in range(2)][1] > 0
    assert limits.take("bank", "B", rate=1, burst=1) == 0
    assert all(limits.take("bank", "C", rate=0, burst=1) == 0 for _ in range(100))


def test_workers_share_one_limit_in_redis_and_not_in_memory(store):
    """Two RequestLimits on the same store stand for two gunicorn workers."""
    prefix = f"test-{uuid.uuid4().hex}"
    one, two = RequestLimits(store, prefix=prefix), RequestLimits(store, prefix=prefix)
    assert one.take("bank", "B", rate=1, burst=2) == 0
    assert two.take("bank", "B", rate=1, burst=2) == 0
    shared = two.take("bank", "B", rate=1, burst=2) > 0
    assert shared == (store != "memory://")


# ---------------------------------------------------------------- over HTTP
@pytest.fixture
def limited(settings, engine):
    app = create_app(
        dataclasses.replace(settings, rate_limit_per_second=0.5, rate_limit_burst=3), engine=engine
    )
    return app, BankFactory(app, app.test_client())


def test_the_request_past_the_burst_is_429_with_retry_after(limited):
    _app, banks = limited
    bk, other = banks("BK1"), banks("BK2")
    assert [bk.get(f"{API}/loans").status_code for _ in range(3)] == [200, 200, 200]
    refused = bk.post(f"{API}/loans", json={})
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["errors"][0]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 6  # 3 requests in any 6 s
    assert other.get(f"{API}/loans").status_code == 200  # another bank, another bucket


def test_two_app_processes_on_redis_share_a_banks_limit(settings, engine):
    """Two apps stand for two gunicorn workers: on Redis the bank's third request is refused
    whichever worker takes it."""
    if not _redis_up():
        pytest.skip("Redis does not answer at 127.0.0.1:6379")
    RequestLimits(REDIS_URI, prefix="loanledger").reset()  # the apps' own prefix
    shared = dataclasses.replace(
        settings, rate_limit_per_second=0.2, rate_limit_burst=2, rate_limit_storage_uri=REDIS_URI
    )
    one, two = create_app(shared, engine=engine), create_app(shared, engine=engine)
    first = BankFactory(one, one.test_client())("BK1")  # its key lives in the database
    same_bank_on_two = TestClientBank(two.test_client(), first.key_id, first.secret)
    assert first.get(f"{API}/loans").status_code == 200
    assert same_bank_on_two.get(f"{API}/loans").status_code == 200
    assert first.get(f"{API}/loans").status_code == 429
    assert same_bank_on_two.get(f"{API}/loans").status_code == 429
    RequestLimits(REDIS_URI, prefix="loanledger").reset()


def test_staff_are_not_limited(limited, staff_for):
    app, _banks = limited
    staff = staff_for(app)
    assert all(
        staff.request("admin", "GET", "/admin/business-date").status_code == 200 for _ in range(6)
    )


def test_settings_from_the_environment():
    settings = load_settings(
        environ={"LOANLEDGER_RATE_LIMIT_PER_SECOND": "50.5", "LOANLEDGER_RATE_LIMIT_BURST": "7"}
    )
    assert (settings.rate_limit_per_second, settings.rate_limit_burst) == (50.5, 7)
    defaults = load_settings(environ={})
    assert (defaults.rate_limit_per_second, defaults.rate_limit_burst) == (200.0, 400)


@pytest.mark.parametrize(
    "environ",
    [
        {"LOANLEDGER_RATE_LIMIT_PER_SECOND": "fast"},
        {"LOANLEDGER_RATE_LIMIT_PER_SECOND": "nan"},
        {"LOANLEDGER_RATE_LIMIT_BURST": "1.5"},
        {"LOANLEDGER_RATE_LIMIT_BURST": "0"},
    ],
)
def test_bad_limits_are_refused(environ):
    with pytest.raises(ConfigError):
        load_settings(environ=environ)


# ---------------------------------------------------------------- keys
def test_revocation_takes_effect_at_once_on_a_real_endpoint(world, bank):
    boc = world["boc"]
    spare = bank.rotate(boc)
    assert boc.post(f"{API}/loans", json=loan_body()).status_code == 201
    bank.revoke(boc)
    for method, path in (("GET", f"{API}/loans"), ("POST", f"{API}/loans")):
        answer = boc.request(
            method, path, json=loan_body(contract_no="C-2") if method == "POST" else None
        )
        assert answer.status_code == 401 and answer.get_json()["errors"][0]["code"] == "unknown_key"
    assert spare.post(f"{API}/loans", json=loan_body(contract_no="C-2")).status_code == 201
    assert len(spare.get(f"{API}/loans").get_json()["items"]) == 2


def test_revocation_by_the_cli_takes_effect_at_once(bank, database_url):
    bk = bank("BK1")
    assert bk.get(f"{PROBE}/bank").status_code == 200
    result = run(database_url, "bank", "revoke-key", "--key-id", bk.key_id)
    # run() uses its own secret key: revocation needs none.
    assert result.exit_code == 0, result.output
    assert bk.get(f"{PROBE}/bank").status_code == 401


# ---------------------------------------------------------------- retention
def _age(db, model, column: str, **age):
    db.execute(
        model.__table__.update().values(**{column: dt.datetime.now(dt.UTC) - dt.timedelta(**age)})
    )


def test_purge_keeps_keys_seven_days_and_nonces_600_seconds(bank, probe, db):
    bk = bank("BK1")
    for n in range(3):
        assert bk.post(f"{PROBE}/bank", json={"n": n}, idempotency_key=f"k{n}").status_code == 201
    now = dt.datetime.now(dt.UTC)
    old, young = now - dt.timedelta(days=7, seconds=1), now - dt.timedelta(days=6, hours=23)
    db.execute(
        IdempotencyRecord.__table__.update()
        .where(IdempotencyRecord.key == "k0")
        .values(created_at=old)
    )
    db.execute(
        IdempotencyRecord.__table__.update()
        .where(IdempotencyRecord.key == "k1")
        .values(created_at=young)
    )
    nonce_ids = list(db.scalars(select(Nonce.id).order_by(Nonce.id)))
    db.execute(
        Nonce.__table__.update()
        .where(Nonce.id == nonce_ids[0])
        .values(seen_at=now - dt.timedelta(seconds=601))
    )
    db.execute(
        Nonce.__table__.update()
        .where(Nonce.id == nonce_ids[1])
        .values(seen_at=now - dt.timedelta(seconds=599))
    )
    db.commit()
    assert purge_expired(db, now) == {"idempotency_keys": 1, "nonces": 1, "sign_in_failures": 0}
    db.commit()
    assert sorted(db.scalars(select(IdempotencyRecord.key))) == ["k1", "k2"]
    assert db.scalar(select(func.count()).select_from(Nonce)) == len(nonce_ids) - 1
    assert purge_expired(db, now) == {"idempotency_keys": 0, "nonces": 0, "sign_in_failures": 0}
    db.commit()
    # A purged key is a new key: the write runs again.
    again = bk.post(f"{PROBE}/bank", json={"n": 0}, idempotency_key="k0")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers


def test_purge_refuses_shorter_times_than_the_contract(db):
    with pytest.raises(AssertionError):
        purge_expired(db, dt.datetime.now(dt.UTC), idempotency_ttl_days=6)


def test_retention_defaults_are_the_settings_defaults():
    fields = {f.name: f.default for f in dataclasses.fields(Settings)}
    assert fields["idempotency_ttl_days"] == retention.DEFAULT_IDEMPOTENCY_TTL_DAYS
    assert fields["nonce_ttl_seconds"] == retention.DEFAULT_NONCE_TTL_SECONDS


def test_the_purge_command(bank, probe, db, database_url):
    bk = bank("BK1")
    assert bk.post(f"{PROBE}/bank", json={}, idempotency_key="old").status_code == 201
    _age(db, IdempotencyRecord, "created_at", days=8)
    _age(db, Nonce, "seen_at", seconds=700)
    db.commit()
    result = run(database_url, "purge")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"idempotency_keys": 1, "nonces": 1, "sign_in_failures": 0}
