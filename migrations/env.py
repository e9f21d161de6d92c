"""Alembic environment: the models' metadata, batch mode on SQLite.

A caller may hand over an open connection (`config.attributes["connection"]`, see
loanledger.persistence.migrate); otherwise the URL comes from `-x url=...`,
`sqlalchemy.url`, or the service settings (LOANLEDGER_DATABASE_URL).
"""

from __future__ import annotations

from contextlib import contextmanager

from alembic import context

from loanledger.persistence.db import make_engine
from loanledger.persistence.tables import Base

target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or context.config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from config import load_settings

    return load_settings().database_url


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: Alembic rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


@contextmanager
def _sqlite_foreign_keys_off(connection):
    """SQLite rebuilds a table to change a constraint (batch mode), and dropping a table that
    others reference fails while foreign keys are enforced: switch them off for the run,
    check every reference before the commit, and switch them on again after it. The pragma
    is a no-op inside a transaction, so it goes to the driver's connection before BEGIN."""
    if connection.dialect.name != "sqlite" or connection.in_transaction():
        yield lambda: None
        return
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")

    def check() -> None:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")

    try:
        yield check
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=_url().startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url(), sqlite_wal=False)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection) -> None:
    with _sqlite_foreign_keys_off(connection) as check_foreign_keys:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
            check_foreign_keys()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
