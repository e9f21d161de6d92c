"""Throwaway PostgreSQL databases on the test server (tests/support/environment.py: PG_URL)."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from tests.support.environment import PG_URL


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
