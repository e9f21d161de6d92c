"""Engine and session set-up for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, Table, create_engine, event, insert
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, sqlite_wal: bool = True) -> Engine:
    """`hide_parameters`: an error's text (and so the log) names the statement, never the
    values bound to it, which are banks' and enterprises' data."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        _configure_sqlite(engine, wal=sqlite_wal and ":memory:" not in url and url != "sqlite://")
        return engine
    # psycopg prepares a statement after 5 runs, and PostgreSQL then may switch to a generic
    # plan: for `event_id IN (…900 ids…)` that plan scanned the table (2 s a lookup at 60k
    # events). Custom plans keep the index; parsing stays prepared.
    return create_engine(
        url,
        hide_parameters=True,
        pool_pre_ping=True,
        connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
    )


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - driver glue
        # Let SQLAlchemy issue BEGIN itself so BEGIN IMMEDIATE can serialise writers.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - driver glue
        # Writers take the database lock at BEGIN: no deadlocked read→write upgrades.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def is_postgres(session_or_engine) -> bool:
    bind = (
        session_or_engine.get_bind()
        if isinstance(session_or_engine, Session)
        else session_or_engine
    )
    return bind.dialect.name == "postgresql"


def as_utc(value):
    """Timestamps rendered in UTC whatever the connection's time zone (PostgreSQL answers in
    the session's zone; SQLite hands them back naive, and they were stored as UTC)."""
    import datetime as dt

    if value is None:
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def copy_rows(db: Session, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """psycopg 3 COPY FROM STDIN inside the session's own transaction (PostgreSQL's fastest
    write); rows are tuples in `columns` order, JSON columns already as text."""
    db.flush()
    raw = db.connection().connection.driver_connection
    assert raw is not None  # None only once the pool invalidated it; the session just flushed on it
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        write = copy.write_row
        for row in rows:
            write(row)


def write_rows(db: Session, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Many rows without JSON columns: COPY on PostgreSQL, one executemany on SQLite."""
    if not rows:
        return
    if is_postgres(db):
        copy_rows(db, table.name, columns, rows)
    else:
        db.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
