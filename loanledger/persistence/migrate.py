"""Alembic, driven from code: `upgrade(url_or_engine)` for `loanledger init` and the tests.

The revisions live in `migrations/` at the repository root (the app is installed editable
from its checkout); `alembic.ini` beside it serves the `alembic` command for authoring.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from loanledger.persistence.db import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        # ConfigParser interpolation: a '%' in a password must be doubled.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Bring the database to `revision`; a no-op when it is there already."""
    if isinstance(url_or_engine, str):
        engine = make_engine(url_or_engine, sqlite_wal=False)
        try:
            _upgrade_with(engine, revision)
        finally:
            engine.dispose()
    else:
        _upgrade_with(url_or_engine, revision)


def _upgrade_with(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.connect() as connection:
        # env.py uses this connection instead of opening its own.
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
