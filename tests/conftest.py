"""Test fixtures: one database engine per run, chosen by LOANLEDGER_TEST_ENGINE.

- sqlite (default): a fresh file database per test, copied from one migrated and seeded
  template (a copy is far faster than running the migrations for every test).
- postgresql: one database per test process (`loanledger_t_<pid>`, dropped at the end),
  migrated once; between tests every table is emptied and the reference data re-seeded.
  LOANLEDGER_TEST_PG_URL names the server (any existing database on it). When it cannot be
  reached the database tests are skipped, except under CI=true, where that is an error.

Tests marked `pg` run only on PostgreSQL. Pure unit tests ask for none of these fixtures.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash as _werkzeug_hash

from config import Settings, load_settings
from loanledger.app import create_app
from loanledger.persistence import migrate
from loanledger.persistence.db import make_engine, make_sessionmaker
from loanledger.services import identity
from loanledger.services.seed import seed
from tests.support.databases import (
    create_pg_database,
    drop_pg_database,
    inspection_engine,
    pg_reachable,
    pg_server_engine,
    redacted,
    reset_pg,
)
from tests.support.environment import ENGINE, IN_CI, PG_URL
from tests.support.people import BankFactory, Staff
from tests.support.probe import probe_blueprint

if ENGINE not in ("sqlite", "postgresql"):
    raise pytest.UsageError(f"LOANLEDGER_TEST_ENGINE must be sqlite or postgresql, not {ENGINE!r}")


def pytest_collection_modifyitems(config, items) -> None:
    if ENGINE == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (LOANLEDGER_TEST_ENGINE=postgresql)")
    for item in items:
        if "pg" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config) -> str:
    return f"loanledger test engine: {ENGINE}" + (
        f" ({redacted(PG_URL)})" if ENGINE == "postgresql" else ""
    )


# ---------------------------------------------------------------- speed
FAST_HASH = "pbkdf2:sha256:1"


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashes():
    """scrypt costs ~0.3 s per hash and per check: far too slow for a user in every test.
    check_password_hash reads the method from the hash, so sign-in works unchanged;
    tests/integration/test_cli.py checks that real users still get scrypt."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            identity, "generate_password_hash", functools.partial(_werkzeug_hash, method=FAST_HASH)
        )
        yield


# ---------------------------------------------------------------- PostgreSQL, once per process
@pytest.fixture(scope="session")
def pg_server() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the server's maintenance database (CREATE/DROP DATABASE)."""
    if not pg_reachable():
        message = f"PostgreSQL is not reachable at {redacted(PG_URL)}"
        if IN_CI:
            pytest.fail(message + " (CI=true requires it)", pytrace=False)
        pytest.skip(message)
    engine = pg_server_engine()
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_session_engine(pg_server: Engine) -> Iterator[Engine]:
    name = f"loanledger_t_{os.getpid()}"
    url = create_pg_database(pg_server, name)
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
    drop_pg_database(pg_server, name)


# ---------------------------------------------------------------- SQLite, a template per process
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "loanledger.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url, sqlite_wal=False)
    with Session(engine) as db:
        seed(db)
        db.commit()
    engine.dispose()
    return str(path)


# ---------------------------------------------------------------- per test
@pytest.fixture
def engine(request, tmp_path) -> Iterator[Engine]:
    """The migrated, seeded, otherwise empty database of this test."""
    if ENGINE == "postgresql":
        shared = request.getfixturevalue("pg_session_engine")
        reset_pg(shared)
        yield shared
        return
    path = tmp_path / "loanledger.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    own = make_engine(f"sqlite:///{path}", sqlite_wal=False)
    yield own
    own.dispose()


@pytest.fixture
def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def settings(database_url: str) -> Settings:
    # environ={}: a developer's LOANLEDGER_* variables must not leak into the tests.
    return load_settings(env="testing", environ={}, database_url=database_url)


@pytest.fixture(scope="session")
def _shared_app():
    """Building the app (the OpenAPI spec of every endpoint) costs ~0.3 s: build it once per
    process, with the probe endpoints, and point it at each test's database."""
    placeholder = make_engine("sqlite://")
    app = create_app(
        load_settings(env="testing", environ={}, database_url="sqlite://"), engine=placeholder
    )
    probe = probe_blueprint()
    app.register_blueprint(probe)
    yield app, dict(app.config), probe
    placeholder.dispose()


@pytest.fixture
def app(_shared_app, settings: Settings, engine: Engine):
    """The app on this test's database. A test may change `app.config`; it is restored for
    the next one. For other settings, build one: `create_app(replace(settings, ...), engine)`."""
    shared, config, probe = _shared_app
    shared.config.clear()
    shared.config.update(config)
    # The same constructor as create_app: a new field there fails here loudly, not silently.
    extension = shared.extensions["loanledger"]
    shared.extensions["loanledger"] = type(extension)(settings, engine, make_sessionmaker(engine))
    probe.runs.clear()
    return shared


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(engine: Engine, database_url: str) -> Iterator[Session]:
    """A session on the test's database, for arranging and inspecting rows directly.
    Commit what you write before the next HTTP call; `db.expire_all()` to re-read."""
    if ENGINE == "postgresql":
        with make_sessionmaker(engine)() as session:
            yield session
        return
    own = inspection_engine(database_url)
    with make_sessionmaker(own)() as session:
        yield session
    own.dispose()


# ---------------------------------------------------------------- people and banks
@pytest.fixture
def staff(app, client) -> Staff:
    return Staff(app, client)


@pytest.fixture
def staff_for():
    """`staff_for(other_app)`: the same helper for an app built with other settings."""
    return lambda other_app: Staff(other_app, other_app.test_client())


@pytest.fixture
def admin_token(staff: Staff) -> str:
    return staff.token("admin")


@pytest.fixture
def bank(app, client) -> BankFactory:
    return BankFactory(app, client)


# ---------------------------------------------------------------- a bank endpoint for auth tests
@pytest.fixture
def probe(app, _shared_app):
    """The probe endpoints of the test app (tests/support/probe.py; `probe.runs`: what the
    write views ran)."""
    return _shared_app[2]


@pytest.fixture
def empty_database_url(request, tmp_path) -> Iterator[str]:
    """A brand-new database with no tables, on the engine under test."""
    if ENGINE == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = request.getfixturevalue("pg_server")
    name = f"loanledger_e_{os.getpid()}"
    yield create_pg_database(server, name)
    drop_pg_database(server, name)
