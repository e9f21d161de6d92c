"""Per-bank rate limit (a token bucket per bank, per process), key revocation and retention."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from config import ConfigError, Settings, load_settings
from loanledger.api.ratelimit import TokenBuckets
from loanledger.app import create_app
from loanledger.persistence.tables import IdempotencyRecord, Nonce
from loanledger.services import retention
from loanledger.services.retention import purge_expired
from tests.support.api import API
from tests.support.cli import run
from tests.support.people import BankFactory
from tests.support.probe import PROBE
from tests.support.world import loan_body


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---------------------------------------------------------------- the bucket
def test_a_full_bucket_lets_the_burst_through_then_refuses():
    clock = Clock()
    buckets = TokenBuckets(clock)
    assert [buckets.take("B", rate=2, burst=3) for _ in range(3)] == [0, 0, 0]
    assert buckets.take("B", rate=2, burst=3) == 1  # a token comes back in 0.5 s → 1 s
    clock.now += 0.49
    assert buckets.take("B", rate=2, burst=3) == 1
    clock.now += 0.01  # 0.5 s: one token
    assert buckets.take("B", rate=2, burst=3) == 0
    assert buckets.take("B", rate=2, burst=3) == 1


def test_retry_after_is_whole_seconds_until_a_token():
    clock = Clock()
    buckets = TokenBuckets(clock)
    assert buckets.take("B", rate=0.1, burst=1) == 0
    assert buckets.take("B", rate=0.1, burst=1) == 10
    clock.now += 9.5
    assert buckets.take("B", rate=0.1, burst=1) == 1


def test_banks_have_their_own_buckets_and_refill_stops_at_the_burst():
    clock = Clock()
    buckets = TokenBuckets(clock)
    assert buckets.take("A", rate=1, burst=1) == 0
    assert buckets.take("A", rate=1, burst=1) == 1
    assert buckets.take("B", rate=1, burst=1) == 0
    clock.now += 3600
    assert [buckets.take("A", rate=1, burst=1) for _ in range(2)] == [0, 1]


def test_a_rate_of_zero_turns_the_limit_off():
    buckets = TokenBuckets(Clock())
    assert all(buckets.take("B", rate=0, burst=1) == 0 for _ in range(1000))


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
    assert refused.headers["Retry-After"] == "2"
    assert other.get(f"{API}/loans").status_code == 200  # another bank, another bucket


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
