"""Benchmark: the service's own CPU per event of POST /api/v1/events:bulk, in one process.

    python bench/ingest_cpu.py --events 20000 --db postgresql://postgres@127.0.0.1/test
    python bench/ingest_cpu.py --events 20000                  # SQLite in a temporary folder
    valgrind --tool=callgrind --instr-atstart=no python bench/ingest_cpu.py --callgrind …

bench/ingest.py's data (one bank; loans registered first, then their events in chunks of
5,000), sent through Flask's test client instead of gunicorn and the network. Every request
is signed before the clock starts, so what is measured is the app alone: JSON, checks, the
rows' COPY, the answer. `cpu_us_per_event` is this process's CPU time (time.process_time: not
PostgreSQL's, not a client's) over the events; on a shared machine it still varies by a tenth
or so from run to run. With `--callgrind` (under valgrind), instrumentation is switched on for
the measured requests only (callgrind_control -i on/off), so callgrind's instruction count,
which does not depend on the machine's load, is theirs alone.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.ingest import (  # noqa: E402
    CHUNK,
    PER_LOAN,
    SECRET_KEY,
    event_bodies,
    loan_bodies,
    prepare,
)
from bench.scratch import scratch_database  # noqa: E402
from config import load_settings  # noqa: E402
from loanledger.app import create_app  # noqa: E402
from loanledger.client import TestClientBank  # noqa: E402


def _callgrind(switch: str) -> None:
    subprocess.run(
        ["callgrind_control", "-i", switch, str(os.getpid())], check=True, capture_output=True
    )


def run(url: str, n_events: int, *, callgrind: bool) -> dict:
    issued = prepare(url, 1)[0]
    env = {
        **os.environ,
        "LOANLEDGER_ENV": "development",
        "LOANLEDGER_DATABASE_URL": url,
        "LOANLEDGER_SECRET_KEY": SECRET_KEY,
        "LOANLEDGER_RATE_LIMIT_PER_SECOND": "100000",
        "LOANLEDGER_RATE_LIMIT_BURST": "100000",
    }
    app = create_app(load_settings(environ=env))
    app.config["LOANLEDGER_ACCESS_LOG"] = False  # 4 lines; not worth their noise here
    bank = TestClientBank(app.test_client(), issued["key_id"], issued["secret"])
    loans = max(1, n_events // PER_LOAN)
    bodies = loan_bodies(loans)
    for i in range(0, len(bodies), CHUNK):
        response = bank.post("/api/v1/loans:bulk", json={"loans": bodies[i : i + CHUNK]})
        assert response.status_code == 200 and not response.json["rejected"], response.data[:300]
    events = event_bodies(loans)[:n_events]
    signed = [
        bank.prepare("POST", "/api/v1/events:bulk", {"events": events[i : i + CHUNK]})
        for i in range(0, len(events), CHUNK)
    ]
    statements = [0]
    event.listen(
        app.extensions["loanledger"].engine,
        "before_cursor_execute",
        lambda *_args: statements.__setitem__(0, statements[0] + 1),
    )
    collections = [s["collections"] for s in gc.get_stats()]
    if callgrind:
        _callgrind("on")
    started, cpu = time.perf_counter(), time.process_time()
    responses = [
        bank.test_client.open(p.target, method=p.method, data=p.body, headers=p.headers)
        for p in signed
    ]
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if callgrind:
        _callgrind("off")
    for response in responses:
        body = response.json
        assert response.status_code == 200 and body["accepted"] == len(body["results"]), body
    return {
        "events": len(events),
        "requests": len(signed),
        "cpu_us_per_event": round(cpu / len(events) * 1e6, 1),
        "wall_us_per_event": round(seconds / len(events) * 1e6, 1),
        "sql_statements_per_request": statements[0] / len(signed),
        "gc_collections": [
            s["collections"] - c for s, c in zip(gc.get_stats(), collections, strict=True)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument(
        "--db", help="a PostgreSQL server URL (a scratch database is made there); default SQLite"
    )
    parser.add_argument(
        "--callgrind", action="store_true", help="under valgrind: instrument the requests only"
    )
    args = parser.parse_args()
    with scratch_database(args.db, "ingest_cpu") as url:
        result = run(url, args.events, callgrind=args.callgrind)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
