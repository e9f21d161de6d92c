"""Benchmark: events per second through the HTTP bulk endpoint, against a raw write.

    python bench/ingest.py --events 200000                 # SQLite in a temporary folder
    python bench/ingest.py --events 200000 --db postgresql://postgres@127.0.0.1/test

A real `loanledger serve` process (gunicorn, 2 workers) answers; this process is the banks'
clients (`--banks`, default 2, posting at once) and posts `POST /api/v1/events:bulk` in
chunks of 5,000 with signed requests. The same rows (other event ids) are then written
straight into the events table itself (COPY on PostgreSQL, one executemany on SQLite) as the
yardstick: `raw_rows_per_s`, `ratio` = raw / HTTP. The table's shape includes its foreign
key to loans, checked row by row; a copy made with `LIKE … INCLUDING ALL` has no foreign
key (PostgreSQL never copies them), and writing into such a copy is reported beside it for
comparison (`raw_nofk_rows_per_s`, `ratio_nofk`). Prints one JSON line:
{"events": …, "events_per_s": …, "raw_rows_per_s": …, "ratio": …, "raw_nofk_rows_per_s": …, …}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.scratch import scratch_database  # noqa: E402
from loanledger.client import BankClient  # noqa: E402
from loanledger.domain.uscc import uscc_with_check  # noqa: E402
from loanledger.persistence import migrate  # noqa: E402
from loanledger.persistence.db import make_engine  # noqa: E402
from loanledger.persistence.tables import BusinessDate, Enterprise, Filing, Product  # noqa: E402
from loanledger.services import identity  # noqa: E402
from loanledger.services.bulk import EVENT_COPY_COLUMNS  # noqa: E402
from loanledger.services.seed import seed  # noqa: E402

SECRET_KEY = "bench-secret"
TODAY = dt.date(2026, 1, 1)
START = dt.date(2020, 1, 1)
CHUNK = 5000
PER_LOAN = 50  # one disbursement, then monthly interest records


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _month(d: dt.date, k: int) -> dt.date:
    y, m = divmod(d.month - 1 + k, 12)
    return dt.date(d.year + y, m + 1, 1)


def prepare(url: str, banks: int) -> list[dict[str, str]]:
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        seed(db)
        db.add(BusinessDate(id=1, today=TODAY))
        issued = [
            identity.create_bank(db, f"BENCH{b}", f"Bench bank {b}", SECRET_KEY)
            for b in range(banks)
        ]
        db.flush()
        for b in range(banks):
            db.add(
                Product(
                    product_code=f"BENCH{b}-P",
                    bank_code=f"BENCH{b}",
                    name="bench",
                    risk_covered=False,
                )
            )
        db.add(
            Enterprise(
                uscc=uscc_with_check("914420000BENCH001"),
                name="E",
                established_on=dt.date(2010, 1, 1),
            )
        )
        db.flush()
        db.add(
            Filing(
                filing_no="BF",
                uscc=uscc_with_check("914420000BENCH001"),
                project_name="p",
                eligible_investment_fen=10**12,
                approved_on=dt.date(2019, 12, 1),
                clawback=False,
            )
        )
        db.commit()
    engine.dispose()
    return issued


def loan_bodies(loans: int, bank: int = 0) -> list[dict]:
    return [
        {
            "contract_no": f"L{i}",
            "product_code": f"BENCH{bank}-P",
            "uscc": uscc_with_check("914420000BENCH001"),
            "filing_no": "BF",
            "principal": "1000000.00",
            "annual_rate": "3.4500",
            "start_date": START.isoformat(),
            "maturity_date": "2030-01-01",
            "repayment_method": "interest_only",
            "interest_settlement": "monthly",
        }
        for i in range(loans)
    ]


def event_bodies(loans: int) -> list[dict]:
    events = []
    for i in range(loans):
        events.append(
            {
                "event_id": f"D{i}",
                "type": "disbursement",
                "contract_no": f"L{i}",
                "date": START.isoformat(),
                "amount": "1000000.00",
            }
        )
        for k in range(PER_LOAN - 1):
            start, end = _month(START, k), _month(START, k + 1)
            events.append(
                {
                    "event_id": f"I{i}-{k}",
                    "type": "interest",
                    "contract_no": f"L{i}",
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                    "paid_on": end.isoformat(),
                    "interest": "2875.00",
                }
            )
    return events


def serve(url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "LOANLEDGER_ENV": "development",
        "LOANLEDGER_DATABASE_URL": url,
        "LOANLEDGER_SECRET_KEY": SECRET_KEY,
        "LOANLEDGER_RATE_LIMIT_PER_SECOND": "100000",
        "LOANLEDGER_RATE_LIMIT_BURST": "100000",
    }
    command = [
        sys.executable,
        "-m",
        "loanledger.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
    ]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not start")


def post_all(client: BankClient, path: str, name: str, items: list[dict]) -> float:
    started = time.perf_counter()
    for i in range(0, len(items), CHUNK):
        response = client.post(path, json={name: items[i : i + CHUNK]})
        body = response.json
        if response.status_code != 200 or body["rejected"]:
            raise RuntimeError(f"{path}: {response.status_code} {str(body)[:500]}")
    return time.perf_counter() - started


def raw_rows(url: str, events: list[dict]) -> list[tuple]:
    """The same events as table rows (internal units), loan ids looked up once."""
    engine = make_engine(url)
    with engine.connect() as c:
        ids = dict(
            c.execute(text("SELECT contract_no, id FROM loans WHERE bank_code = 'BENCH0'")).all()
        )
    engine.dispose()
    now = dt.datetime.now(dt.UTC)
    rows = []
    for e in events:
        interest = e["type"] == "interest"
        rows.append(
            (
                "BENCH",
                "R" + e["event_id"],
                ids[e["contract_no"]],
                e["type"],
                dt.date.fromisoformat(e["paid_on"] if interest else e["date"]),
                None if interest else 100_000_000,
                dt.date.fromisoformat(e["period_start"]) if interest else None,
                dt.date.fromisoformat(e["period_end"]) if interest else None,
                287_500 if interest else None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                "x" * 64,
                now,
            )
        )
    return rows


def raw_write(url: str, rows: list[tuple], table: str = "loan_events") -> float:
    """Seconds to write `rows` into `table`: loan_events itself, or (any other name) a new
    copy of it with its columns, indexes and checks but no foreign key."""
    engine = make_engine(url)
    columns = ", ".join(EVENT_COPY_COLUMNS)
    if table != "loan_events":
        with engine.begin() as c:
            if engine.dialect.name == "postgresql":
                c.execute(text(f"CREATE TABLE {table} (LIKE loan_events INCLUDING ALL)"))
            else:
                c.execute(text(f"CREATE TABLE {table} AS SELECT * FROM loan_events WHERE 0"))
                c.execute(text(f"CREATE UNIQUE INDEX uq_{table} ON {table} (bank_code, event_id)"))
                c.execute(text(f"CREATE INDEX ix_{table} ON {table} (loan_id, type)"))
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in EVENT_COPY_COLUMNS)
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()
        engine.dispose()


def run(url: str, n_events: int, banks: int) -> dict:
    """`banks` clients post at once, each its own loans and events (a bank's own requests
    are serialised by the service; different banks' run in parallel)."""
    per_bank = n_events // banks
    loans = max(1, per_bank // PER_LOAN)
    issued = prepare(url, banks)
    events = event_bodies(loans)[:per_bank]
    port = _free_port()
    server = serve(url, port)
    try:
        clients = [
            BankClient(f"http://127.0.0.1:{port}", i["key_id"], i["secret"], timeout=300)
            for i in issued
        ]
        with ThreadPoolExecutor(banks) as pool:
            list(
                pool.map(
                    lambda b: post_all(
                        clients[b], "/api/v1/loans:bulk", "loans", loan_bodies(loans, b)
                    ),
                    range(banks),
                )
            )
            started = time.perf_counter()
            list(pool.map(lambda c: post_all(c, "/api/v1/events:bulk", "events", events), clients))
            seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    total = per_bank * banks
    rows = raw_rows(url, events)
    rows = [(*row[:1], f"{row[1]}-{b}", *row[2:]) for b in range(banks) for row in rows]
    raw_seconds = raw_write(url, rows)
    nofk_seconds = raw_write(url, rows, "raw_events")
    events_per_s, raw_per_s, nofk_per_s = total / seconds, total / raw_seconds, total / nofk_seconds
    return {
        "events": total,
        "banks": banks,
        "seconds": round(seconds, 2),
        "events_per_s": round(events_per_s),
        "raw_rows_per_s": round(raw_per_s),
        "ratio": round(raw_per_s / events_per_s, 2),
        "raw_nofk_rows_per_s": round(nofk_per_s),
        "ratio_nofk": round(nofk_per_s / events_per_s, 2),
        "engine": make_url(url).get_backend_name(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument(
        "--banks", type=int, default=2, help="clients posting at once, one bank each"
    )
    parser.add_argument(
        "--db", help="a PostgreSQL server URL (a scratch database is made there); default SQLite"
    )
    args = parser.parse_args()
    with scratch_database(args.db, "ingest") as url:
        result = run(url, args.events, args.banks)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
