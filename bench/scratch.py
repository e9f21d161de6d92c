"""A scratch database for a benchmark: a temporary SQLite file, or a database created on
the given PostgreSQL server and dropped afterwards (never the server's own databases)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextlib.contextmanager
def scratch_database(server_url: str | None, prefix: str) -> Iterator[str]:
    if not server_url:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/{prefix}.db"
        return
    server = create_engine(
        server_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    name = f"loanledger_{prefix}_{os.getpid()}"
    with server.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server.url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
