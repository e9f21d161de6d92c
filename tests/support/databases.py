"""The test databases: the PostgreSQL server (tests/support/environment.py: PG_URL) and its
throwaway databases, emptying one between tests, and SQLite for a test's own session."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from loanledger.persistence.tables import Base
from loanledger.services.seed import seed
from tests.support.environment import PG_URL


def redacted(url: str) -> str:
    """The URL as it may be printed: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)


# ---------------------------------------------------------------- the PostgreSQL server
def pg_server_engine() -> Engine:
    """An AUTOCOMMIT engine on the server's maintenance database (CREATE/DROP DATABASE)."""
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def pg_reachable() -> bool:
    engine = pg_server_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def create_pg_database(server: Engine, name: str) -> str:
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        # A throwaway database: commits need not wait for the disk.
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(server: Engine, name: str) -> None:
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# ---------------------------------------------------------------- between tests
def reset_pg(engine: Engine) -> None:
    """Empty every table and re-seed. DELETE with triggers off (session_replication_role,
    superuser only) takes ~0.04 s; TRUNCATE ... RESTART IDENTITY CASCADE, the fallback for
    other roles, took ~0.5 s per test here (it creates and syncs new files for every table)."""
    try:
        _delete_everything(engine)
    except DBAPIError as error:
        if "permission denied" not in str(error).lower():
            raise
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    with Session(engine) as db:
        seed(db)
        db.commit()


def _delete_everything(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        # 'replica' skips the foreign-key and append-only triggers for this transaction.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        # RESTART IDENTITY: ids start at 1 again in every test.
        connection.execute(text("SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"))


# ---------------------------------------------------------------- SQLite
def inspection_engine(url: str) -> Engine:
    """SQLite for the test's own session: pysqlite's default transactions, so a SELECT
    holds no lock afterwards (the app's engine begins every transaction IMMEDIATE, which
    would make the next HTTP call wait for the test). Writes still lock until commit."""
    own = create_engine(url, connect_args={"timeout": 5})
    event.listen(
        own, "connect", lambda connection, _record: connection.execute("PRAGMA foreign_keys=ON")
    )
    return own
