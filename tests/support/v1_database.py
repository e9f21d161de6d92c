"""A database written by version 1 of the service (tests/integration/data/v1-demo.sqlite.gz,
made by scripts/build_v1_fixture.sh), put on the engine under test at its revision, 0006.

On SQLite the file is the database. On PostgreSQL an empty database is migrated to 0006 and
the file's rows are copied in, table by table in foreign-key order, read through the target's
own reflected tables (so dates, booleans and JSON come out of SQLite as Python values), in one
transaction: the deferred balance trigger checks every copied entry at the commit.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from sqlalchemy import MetaData, create_engine, func, select, text
from sqlalchemy.engine import make_url

from loanledger.persistence import migrate
from loanledger.persistence.db import make_engine

FIXTURE = Path(__file__).resolve().parents[1] / "integration" / "data" / "v1-demo.sqlite.gz"
V1_REVISION = "0006"


def unpack(target: Path) -> Path:
    with gzip.open(FIXTURE, "rb") as source, target.open("wb") as out:
        shutil.copyfileobj(source, out)
    return target


def load_v1_database(url: str, scratch: Path) -> None:
    """Fill the empty database at `url` with the version 1 fixture."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        assert database, url
        unpack(Path(database))
        return
    source_path = unpack(scratch / "v1-demo.db")
    migrate.upgrade(url, V1_REVISION)
    source = create_engine(f"sqlite:///{source_path}")
    target = make_engine(url)
    try:
        _copy(source, target)
    finally:
        source.dispose()
        target.dispose()


def _copy(source, target) -> None:
    tables = MetaData()
    tables.reflect(target)
    with source.connect() as reading, target.begin() as writing:
        writing.execute(text("SET TIME ZONE 'UTC'"))  # SQLite kept UTC without an offset
        for table in tables.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [dict(row._mapping) for row in reading.execute(select(table))]
            if rows:
                writing.execute(table.insert(), rows)
            if "id" in table.c and rows:
                top = writing.execute(select(func.max(table.c.id))).scalar()
                writing.execute(
                    text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                    {"t": table.name, "v": top},
                )
