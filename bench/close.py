"""Benchmark: close one month over N loans, each with one quarterly interest record.

    python bench/close.py --loans 10000                 # SQLite in a temporary file
    python bench/close.py --loans 1000000 --db postgresql://postgres@127.0.0.1/test

The data is written straight into the tables (the close is what is measured, not
intake): COPY on PostgreSQL, executemany on SQLite, streamed in chunks; for PostgreSQL a
scratch database is created on the given server and dropped afterwards. The close runs in
a child process of its own, so its peak RSS (ru_maxrss) is the close's alone. The yardstick
then writes as many lines, record_states and postings rows as the close wrote into the same
tables (COPY / executemany, in a transaction rolled back) and `ratio` is close ÷ yardstick.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import resource
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bench.scratch import scratch_database
from loanledger.domain.uscc import uscc_with_check
from loanledger.persistence import migrate
from loanledger.persistence.db import is_postgres, make_engine
from loanledger.persistence.tables import (
    Bank,
    Batch,
    BusinessDate,
    JournalEntry,
    Line,
    Period,
    Posting,
    Product,
    RecordState,
)
from loanledger.services.close import close_period
from loanledger.services.seed import seed

PERIOD, TODAY = "2023-06", dt.date(2023, 7, 1)
START, PAID = dt.date(2023, 3, 21), dt.date(2023, 6, 21)
MATURITY, ESTABLISHED, APPROVED = dt.date(2025, 3, 21), dt.date(2010, 1, 1), dt.date(2023, 1, 1)
ROWS_AT_ONCE = 50_000


def _uscc(i: int) -> str:
    return uscc_with_check(f"91442000{i:09d}")


def _tables(loans: int, now: dt.datetime) -> Iterator[tuple[str, tuple[str, ...], Iterable[tuple]]]:
    usccs = (_uscc(i) for i in range(loans))
    yield (
        "enterprises",
        ("uscc", "name", "established_on", "industry_code", "created_at"),
        # manufacturing (v2's eligible_industries ["C"]): every record is computed, as before
        ((u, f"E{i}", ESTABLISHED, "C3879", now) for i, u in enumerate(usccs)),
    )
    yield (
        "filings",
        (
            "filing_no",
            "uscc",
            "project_name",
            "eligible_investment_fen",
            "approved_on",
            "clawback",
            "created_at",
        ),
        ((f"F{i}", _uscc(i), "p", 10**10, APPROVED, False, now) for i in range(loans)),
    )
    yield (
        "loans",
        (
            "id",
            "bank_code",
            "contract_no",
            "product_code",
            "uscc",
            "filing_no",
            "principal_fen",
            "annual_rate_e4",
            "start_date",
            "maturity_date",
            "original_maturity_date",
            "repayment_method",
            "interest_settlement",
            "coverage",
            "registered_on",
            "content_hash",
            "created_at",
        ),
        (
            (
                i + 1,
                "BENCH",
                f"C{i}",
                "BENCH-P",
                _uscc(i),
                f"F{i}",
                500_000_000 + i * 100,
                34500,
                START,
                MATURITY,
                MATURITY,
                "interest_only",
                "quarterly",
                "not_covered",
                START,
                "bench",
                now,
            )
            for i in range(loans)
        ),
    )
    yield (
        "loan_events",
        (
            "bank_code",
            "event_id",
            "loan_id",
            "type",
            "on_date",
            "amount_fen",
            "period_start",
            "period_end",
            "interest_fen",
            "content_hash",
            "received_at",
        ),
        (
            row
            for i in range(loans)
            for row in (
                (
                    "BENCH",
                    f"D{i}",
                    i + 1,
                    "disbursement",
                    START,
                    500_000_000 + i * 100,
                    None,
                    None,
                    None,
                    "bench",
                    now,
                ),
                (
                    "BENCH",
                    f"I{i}",
                    i + 1,
                    "interest",
                    PAID,
                    None,
                    START,
                    PAID,
                    4_408_333 + i,
                    "bench",
                    now,
                ),
            )
        ),
    )
    yield "dirty_marks", ("scope", "key"), (("loan", str(i + 1)) for i in range(loans))


def _write(db: Session, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """COPY on PostgreSQL, executemany per 50,000 rows on SQLite: never all rows at once."""
    if is_postgres(db):
        db.flush()
        raw = db.connection().connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    statement = text(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
    )
    chunk: list[dict] = []
    for row in rows:
        chunk.append(dict(zip(columns, row, strict=True)))
        if len(chunk) >= ROWS_AT_ONCE:
            db.execute(statement, chunk)
            chunk = []
    if chunk:
        db.execute(statement, chunk)


def populate(engine, loans: int) -> None:
    with Session(engine) as db:
        seed(db)
        db.add(BusinessDate(id=1, today=TODAY))
        db.add(Bank(bank_code="BENCH", name="Bench bank"))
        db.flush()
        db.add(Product(product_code="BENCH-P", bank_code="BENCH", name="bench", risk_covered=False))
        db.flush()
        for table, columns, rows in _tables(loans, dt.datetime.now(dt.UTC).replace(tzinfo=None)):
            _write(db, table, columns, rows)
        db.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))


def _close(url: str, out) -> None:
    """In a child process: the close alone, its wall and CPU seconds and its peak RSS."""
    engine = make_engine(url)
    started, cpu = time.perf_counter(), time.process_time()
    with Session(engine) as db:
        view = close_period(db, PERIOD, "bench", TODAY)
        db.commit()
    seconds = time.perf_counter() - started
    out.send(
        {
            "seconds": round(seconds, 3),
            "cpu_seconds": round(time.process_time() - cpu, 3),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "subsidy_total": view["subsidy_total"],
        }
    )
    engine.dispose()


def yardstick(engine, lines: int, states: int, postings: int) -> float:
    """Seconds to write as many lines, record_states and postings rows, shaped like the close's,
    into the same tables; rolled back. States go to the disbursement events, which have none."""
    with Session(engine) as db:
        line = (
            db.execute(select(Line.__table__).where(Line.record_key.like("i:%")).limit(1))
            .one()
            ._asdict()
        )
        state = db.execute(select(RecordState.__table__).limit(1)).one()._asdict()
        event_pks = list(
            db.scalars(
                text(
                    "SELECT id FROM loan_events WHERE type = 'disbursement' ORDER BY id"
                ).execution_options(yield_per=ROWS_AT_ONCE)
            )
        )[:states]
        db.add(Period(period="2999-01", status="open"))
        db.flush()
        batch = Batch(
            period="2999-01",
            kind="subsidy",
            status="ready",
            total_fen=0,
            line_count=0,
            payee_count=0,
        )
        entry = JournalEntry(kind="yardstick", memo="yardstick", posted_on=TODAY, period="2999-01")
        db.add_all([batch, entry])
        db.flush()
        line_columns = tuple(c for c in line if c != "id")
        reasons, breakdown = json.dumps(line["reasons"]), json.dumps(line["breakdown"])
        line_values = {
            **line,
            "batch_id": batch.id,
            "period": "2999-01",
            "reasons": reasons,
            "breakdown": breakdown,
        }
        state_columns = tuple(state)
        state_values = {**state, "reasons": json.dumps(state["reasons"])}
        started = time.perf_counter()
        _write(
            db,
            "lines",
            line_columns,
            (
                tuple(f"y:{i}" if c == "record_key" else line_values[c] for c in line_columns)
                for i in range(lines)
            ),
        )
        _write(
            db,
            "record_states",
            state_columns,
            (
                tuple(pk if c == "event_pk" else state_values[c] for c in state_columns)
                for pk in event_pks
            ),
        )
        _write(
            db,
            "postings",
            ("entry_id", "account", "base_account", "amount_fen"),
            ((entry.id, f"2001:{i}", "2001", 1 if i % 2 else -1) for i in range(postings)),
        )
        seconds = time.perf_counter() - started
        db.rollback()
    return seconds


def _server_settings(engine) -> dict:
    """PostgreSQL's memory and checkpoint settings: at a million loans the close's tables and
    indexes outgrow a default 128 MB of shared buffers, and the figures depend on it."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as connection:
        return {
            f"pg_{name}": connection.execute(text(f"SHOW {name}")).scalar_one()
            for name in ("shared_buffers", "max_wal_size")
        }


def run(url: str, loans: int) -> dict:
    migrate.upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    populate(engine, loans)
    populate_seconds = time.perf_counter() - started
    engine.dispose()
    receive, send = multiprocessing.get_context("spawn").Pipe(duplex=False)
    child = multiprocessing.get_context("spawn").Process(target=_close, args=(url, send))
    child.start()
    close = receive.recv()
    child.join()
    with Session(engine) as db:
        records = db.scalar(select(func.count()).select_from(RecordState))
        lines = db.scalar(select(func.count()).select_from(Line))
        postings = db.scalar(
            select(func.count())
            .select_from(Posting)
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(JournalEntry.period == PERIOD)
        )
    copy_seconds = yardstick(engine, lines, records, postings)
    server = _server_settings(engine)
    engine.dispose()
    return {
        "loans": loans,
        "records": records,
        "lines": lines,
        "postings": postings,
        **server,
        "populate_seconds": round(populate_seconds, 1),
        **close,
        "yardstick_seconds": round(copy_seconds, 3),
        "ratio": round(close["seconds"] / copy_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=10_000)
    parser.add_argument(
        "--db", help="a PostgreSQL server URL (a scratch database is made there); default SQLite"
    )
    args = parser.parse_args()
    with scratch_database(args.db, "bench") as url:
        result = run(url, args.loans)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
