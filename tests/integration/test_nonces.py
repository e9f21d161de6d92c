"""Signature nonces in their two stores (api/nonces.py): the database's `nonces` table (the
default) and Redis (LOANLEDGER_NONCE_STORAGE_URI). Replay protection is the same in both; in
Redis a signed GET writes nothing to the database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select

from config import ConfigError, load_settings
from loanledger.api.nonces import DatabaseNonces, RedisNonces, nonce_store
from loanledger.client import TestClientBank
from loanledger.persistence.tables import Nonce
from loanledger.services import clock
from tests.support.api import API, error_code
from tests.support.people import BankFactory
from tests.support.probe import PROBE

REDIS_URI = "redis://127.0.0.1:6379/15"  # as tests/integration/test_rate_limit.py


def _redis_up() -> bool:
    try:
        return bool(RedisNonces(REDIS_URI)._redis.ping())
    except Exception:
        return False


@pytest.fixture(params=["database", "redis"])
def store_uri(request) -> str:
    if request.param == "database":
        return "database://"
    if not _redis_up():
        pytest.skip("Redis does not answer at 127.0.0.1:6379")
    return REDIS_URI


@pytest.fixture
def nonce_app(app, store_uri):
    """The test app with its nonces in the store asked for."""
    ext = app.extensions["loanledger"]
    settings = dataclasses.replace(ext.settings, nonce_storage_uri=store_uri)
    app.extensions["loanledger"] = type(ext)(settings, ext.engine, ext.sessionmaker)
    return app


@pytest.fixture
def bk(nonce_app) -> TestClientBank:
    return BankFactory(nonce_app, nonce_app.test_client())("BK1")


# ---------------------------------------------------------------- over HTTP, both stores
def test_the_same_nonce_twice_is_refused(bk):
    prepared = bk.prepare("GET", f"{PROBE}/bank")
    assert bk.send(prepared).status_code == 200
    again = bk.send(dataclasses.replace(prepared))
    assert again.status_code == 401 and error_code(again) == "nonce_reused"


def test_a_write_replayed_with_its_nonce_is_refused_before_its_idempotency_key(bk):
    prepared = bk.prepare("POST", f"{PROBE}/bank", json={"n": 1})
    assert bk.send(prepared).status_code == 201
    again = bk.send(dataclasses.replace(prepared))
    assert again.status_code == 401 and error_code(again) == "nonce_reused"


def test_a_nonce_is_spent_even_when_the_request_is_refused(bk):
    prepared = bk.prepare("GET", f"{API}/loans/NO-SUCH-LOAN")
    assert bk.send(prepared).status_code == 404
    again = bk.send(dataclasses.replace(prepared))
    assert again.status_code == 401 and error_code(again) == "nonce_reused"


def test_another_keys_same_nonce_is_its_own(nonce_app, bk):
    other = BankFactory(nonce_app, nonce_app.test_client())("BK2")
    mine = bk.prepare("GET", f"{PROBE}/bank")
    nonce, timestamp = mine.headers["X-LL-Nonce"], mine.headers["X-LL-Timestamp"]
    theirs = other.prepare("GET", f"{PROBE}/bank")
    theirs.headers["X-LL-Nonce"], theirs.headers["X-LL-Timestamp"] = nonce, timestamp
    from loanledger.client import sign

    theirs.headers["X-LL-Signature"] = sign(
        other.secret, "GET", theirs.path, "", timestamp, nonce, b""
    )
    assert bk.send(mine).status_code == 200
    assert other.send(theirs).status_code == 200


def test_where_a_signed_get_writes(nonce_app, bk, store_uri, db):
    """The database store commits one row per signed request; Redis writes no row and the
    GET commits nothing."""
    commits: list[int] = []
    engine = nonce_app.extensions["loanledger"].engine
    listener = lambda _conn: commits.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    try:
        assert bk.get(f"{PROBE}/bank").status_code == 200
    finally:
        event.remove(engine, "commit", listener)
    rows = db.scalar(select(func.count()).select_from(Nonce))
    if store_uri == "database://":
        assert (rows, len(commits)) == (1, 1)
    else:
        assert (rows, len(commits)) == (0, 0)


# ---------------------------------------------------------------- the stores themselves
def _store(store_uri: str):
    return nonce_store(store_uri)


def test_racing_spends_of_one_nonce_let_one_through(nonce_app, store_uri):
    store, sessions = _store(store_uri), nonce_app.extensions["loanledger"].sessionmaker
    key_id, nonce = f"k_{uuid.uuid4().hex[:12]}", uuid.uuid4().hex

    def spend(_i: int) -> bool:
        with sessions() as db:
            return store.spend(db, key_id, nonce, 600)

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(spend, range(6)))
    assert sorted(results) == [False] * 5 + [True]


def test_a_nonce_past_its_lifetime_may_be_spent_again_in_the_database(nonce_app, db):
    store, sessions = DatabaseNonces(), nonce_app.extensions["loanledger"].sessionmaker
    with sessions() as one:
        assert store.spend(one, "k_old", "n" * 20, 600)
    db.execute(
        Nonce.__table__.update().values(seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=601))
    )
    db.commit()
    with sessions() as two:
        assert store.spend(two, "k_old", "n" * 20, 600)
        assert not store.spend(two, "k_old", "n" * 20, 600)


def test_a_redis_nonce_expires_with_its_lifetime():
    if not _redis_up():
        pytest.skip("Redis does not answer at 127.0.0.1:6379")
    store, nonce = RedisNonces(REDIS_URI), uuid.uuid4().hex
    assert store.spend(None, "k_ttl", nonce, 600)  # type: ignore[arg-type]  # db is not used
    left = store._redis.pttl(f"loanledger:nonce:k_ttl:{nonce}")
    assert 599_000 < left <= 600_000
    assert not store.spend(None, "k_ttl", nonce, 600)  # type: ignore[arg-type]


# ---------------------------------------------------------------- settings
def test_the_store_comes_from_the_environment():
    assert load_settings(environ={}).nonce_storage_uri == "database://"
    chosen = load_settings(environ={"LOANLEDGER_NONCE_STORAGE_URI": REDIS_URI})
    assert chosen.nonce_storage_uri == REDIS_URI
    assert isinstance(nonce_store(chosen.nonce_storage_uri), RedisNonces)


@pytest.mark.parametrize("uri", ["memory://", "sqlite:///nonces.db", ""])
def test_a_store_that_cannot_share_nonces_is_refused(uri):
    """memory:// would let each worker accept a nonce another has seen."""
    with pytest.raises(ConfigError):
        load_settings(environ={"LOANLEDGER_NONCE_STORAGE_URI": uri})


def test_production_reads_no_business_date_row():
    """clock.today in production (no manual date) answers without a query."""

    class NoDatabase:
        def get(self, *_args):
            raise AssertionError("queried")

    assert clock.today(NoDatabase(), manual=False) == clock.shanghai_today()  # type: ignore[arg-type]


def test_an_unreachable_redis_lets_no_signed_request_through(app):
    """A nonce that cannot be recorded is never accepted: the request fails (500)."""
    ext = app.extensions["loanledger"]
    settings = dataclasses.replace(ext.settings, nonce_storage_uri="redis://127.0.0.1:1/0")
    app.extensions["loanledger"] = type(ext)(settings, ext.engine, ext.sessionmaker)
    bk = BankFactory(app, app.test_client())("BK1")
    assert bk.get(f"{PROBE}/bank").status_code == 500
