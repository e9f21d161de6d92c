"""Benchmark: the budget forecast and the policy what-if over N loans (issue 13).

    python bench/forecast.py --loans 10000                 # SQLite in a temporary file
    python bench/forecast.py --loans 100000 --db postgresql://postgres@127.0.0.1/test

The world of bench/close.py (one loan per enterprise, one quarterly interest record, June 2023
closed first), then `forecast(2023)` — July 2023 to December 2024 assumed for every loan,
eighteen records each — and a what-if of the same months under a lower annual cap. Prints one
JSON line: seconds and CPU seconds of each, and the totals.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.orm import Session

from bench.close import PERIOD, TODAY, populate
from bench.scratch import scratch_database
from loanledger.persistence import migrate
from loanledger.persistence.db import make_engine
from loanledger.services import forecast, registry
from loanledger.services.close import close_period


def _timed(action):
    started, cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, round(time.perf_counter() - started, 3), round(time.process_time() - cpu, 3)


def run(url: str, loans: int) -> dict:
    engine = make_engine(url)
    migrate.upgrade(engine)
    populate(engine, loans)
    with Session(engine) as db:
        close_period(db, PERIOD, "bench", TODAY)
        db.commit()
    with Session(engine) as db:
        answer, seconds, cpu = _timed(lambda: forecast.forecast(db, 2023))
        draft = {**registry.current_policy(db).document(), "annual_cap_per_enterprise": "100.00"}
        priced, w_seconds, w_cpu = _timed(lambda: forecast.what_if(db, draft, "2023-07", "2024-12"))
    engine.dispose()
    return {
        "loans": loans,
        "forecast_seconds": seconds,
        "forecast_cpu_seconds": cpu,
        "forecast_total_fen": [y.total_fen for y in answer.years],
        "what_if_seconds": w_seconds,
        "what_if_cpu_seconds": w_cpu,
        "what_if_difference_fen": priced.total.difference_fen,
        "enterprises_changed": priced.enterprises_changed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loans", type=int, default=10_000)
    parser.add_argument("--db", help="a PostgreSQL server URL (default: SQLite in a temp file)")
    args = parser.parse_args()
    with scratch_database(args.db, "forecast") as url:
        print(json.dumps(run(url, args.loans)))


if __name__ == "__main__":
    main()
