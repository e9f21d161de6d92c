"""Benchmark: a 200,000-row file of loans (CSV, then XLSX) through POST /imports and the worker.

    python bench/imports.py                                   # SQLite in a temporary folder
    python bench/imports.py --db postgresql://postgres@127.0.0.1/test
    python bench/imports.py --rows 20000 --events            # smaller; events as well

Each file is posted by a signed bank client to the app in this process (the body limit
raised to fit the file: a 200,000-row CSV is ~25 MB, over the default 10 MiB), which stores
it and answers 202 `pending`; then `loanledger worker --once` runs it in a child process of
its own, which reports its peak RSS as it exits: VmHWM, the high-water mark of its own address
space (its ru_maxrss would count this process's pages too: Linux keeps a forked child's
high-water mark across exec, and this process holds the rows it generated). `rows_per_s`
is the file's rows over the worker's wall time (staging and intake; the process's start
included). With `--events`, a CSV of as many events (one disbursement for each loan of the
CSV file) follows. The loans belong to one enterprise (with one filing) per 200 rows, as a
bank's file lists many borrowers: bulk intake loads the loans of each enterprise a chunk
names, so one enterprise with every loan would measure that instead. Prints one JSON line
per file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.ingest import SECRET_KEY, START, prepare  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402
from config import load_settings  # noqa: E402
from loanledger.app import create_app  # noqa: E402
from loanledger.client import TestClientBank  # noqa: E402
from loanledger.domain.uscc import uscc_with_check  # noqa: E402
from loanledger.persistence.db import make_engine  # noqa: E402
from loanledger.persistence.tables import Enterprise, Filing  # noqa: E402
from loanledger.services import spreadsheets  # noqa: E402

LOAN_COLUMNS = list(spreadsheets.COLUMNS["loans"])
EVENT_COLUMNS = ["event_id", "type", "contract_no", "date", "amount"]
PER_ENTERPRISE = 200


def uscc_of(number: int) -> str:
    return uscc_with_check(f"9144200{number:010d}")


def add_enterprises(url: str, count: int) -> None:
    """`count` enterprises, each with a filing BF<n> that covers any loan."""
    engine = make_engine(url)
    with Session(engine) as db:
        db.add_all(
            Enterprise(
                uscc=uscc_of(n),
                name=f"E{n}",
                established_on=dt.date(2010, 1, 1),
                industry_code="C3879",
            )
            for n in range(count)
        )
        db.flush()
        db.add_all(
            Filing(
                filing_no=f"BF{n}",
                uscc=uscc_of(n),
                project_name="p",
                eligible_investment_fen=10**12,
                approved_on=dt.date(2019, 12, 1),
                clawback=False,
            )
            for n in range(count)
        )
        db.commit()
    engine.dispose()


def loan_rows(count: int, prefix: str) -> list[list[str]]:
    row = {
        "product_code": "BENCH0-P",
        "principal": "1000000.00",
        "annual_rate": "3.4500",
        "start_date": START.isoformat(),
        "maturity_date": "2030-01-01",
        "repayment_method": "interest_only",
        "interest_settlement": "monthly",
    }
    rows = []
    for i in range(count):
        row.update(
            contract_no=f"{prefix}{i}",
            uscc=uscc_of(i // PER_ENTERPRISE),
            filing_no=f"BF{i // PER_ENTERPRISE}",
        )
        rows.append([row.get(name, "") for name in LOAN_COLUMNS])
    return rows


def event_rows(count: int, prefix: str) -> list[list[str]]:
    return [
        [f"D{prefix}{i}", "disbursement", f"{prefix}{i}", START.isoformat(), "1000000.00"]
        for i in range(count)
    ]


def csv_file(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def xlsx_file(header: list[str], rows: list[list[str]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


WORKER = """
import sys
from loanledger.cli import main
try:
    main(["worker", "--once"])
finally:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    print("peak_rss_kib", peak, flush=True)
"""


def run_worker(url: str) -> tuple[float, int]:
    """`loanledger worker --once` in a child: (wall seconds, its peak RSS in KiB)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LOANLEDGER_")},
        "LOANLEDGER_ENV": "development",
        "LOANLEDGER_DATABASE_URL": url,
        "LOANLEDGER_SECRET_KEY": SECRET_KEY,
    }
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", WORKER],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    last = child.stdout.strip().splitlines()[-1].split()
    assert last[0] == "peak_rss_kib", child.stdout[-500:]
    return seconds, int(last[1])


def one_file(bank: TestClientBank, url: str, kind: str, name: str, data: bytes, rows: int) -> dict:
    started = time.perf_counter()
    response = bank.upload_import(kind, name, data)
    post_seconds = time.perf_counter() - started
    body = response.get_json()
    if response.status_code != 202 or body["status"] != "pending":
        raise RuntimeError(f"POST /imports: {response.status_code} {str(body)[:500]}")
    seconds, peak_kib = run_worker(url)
    view = bank.wait_for_import(body["import_id"], timeout=0)
    if (view["status"], view["accepted"]) != ("done", rows):
        raise RuntimeError(f"import {view['import_id']}: {str(view)[:500]}")
    return {
        "file": name,
        "rows": rows,
        "megabytes": round(len(data) / 2**20, 1),
        "post_seconds": round(post_seconds, 2),
        "worker_seconds": round(seconds, 1),
        "rows_per_s": round(rows / seconds),
        "worker_peak_rss_mib": round(peak_kib / 1024),
        "engine": make_url(url).get_backend_name(),
    }


def run(url: str, rows: int, events: bool, formats: list[str]) -> list[dict]:
    [issued] = prepare(url, banks=1)
    add_enterprises(url, -(-rows // PER_ENTERPRISE))
    settings = load_settings(
        env="development",
        environ={},
        database_url=url,
        secret_key=SECRET_KEY,
        max_body_bytes=512 * 2**20,
        rate_limit_per_second=0,
    )
    app = create_app(settings)
    app.config["LOANLEDGER_ACCESS_LOG"] = False
    bank = TestClientBank(app.test_client(), issued["key_id"], issued["secret"], "BENCH0")
    bank.sleep = lambda _seconds: None
    results = []
    try:
        if "csv" in formats or events:  # the events are for these loans
            data = csv_file(LOAN_COLUMNS, loan_rows(rows, "C"))
            results.append(one_file(bank, url, "loans", "loans.csv", data, rows))
            print(json.dumps(results[-1]), flush=True)
        if "xlsx" in formats:
            data = xlsx_file(LOAN_COLUMNS, loan_rows(rows, "X"))
            results.append(one_file(bank, url, "loans", "loans.xlsx", data, rows))
            print(json.dumps(results[-1]), flush=True)
        if events:
            data = csv_file(EVENT_COLUMNS, event_rows(rows, "C"))
            results.append(one_file(bank, url, "events", "events.csv", data, rows))
            print(json.dumps(results[-1]), flush=True)
    finally:
        app.extensions["loanledger"].engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--events", action="store_true", help="a CSV of as many events too")
    parser.add_argument(
        "--formats", default="csv,xlsx", help="the loan files to import: csv, xlsx or both"
    )
    parser.add_argument(
        "--db", help="a PostgreSQL server URL (a scratch database is made there); default SQLite"
    )
    args = parser.parse_args()
    started = dt.datetime.now(dt.UTC)
    with scratch_database(args.db, "imports") as url:
        run(url, args.rows, args.events, args.formats.split(","))
    print(f"# {started:%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
