"""Benchmark: the programme report (统计报表) over N loans, a closed month each with a line.

    python bench/report.py --loans 100000                 # SQLite in a temporary file
    python bench/report.py --loans 100000 --db postgresql://postgres@127.0.0.1/test

The data is bench/close.py's (N loans with a disbursement and a quarterly interest record,
written straight into the tables), then its month is closed; then the report is asked for
the twelve months to the close by each dimension, and each answer's seconds are printed as
one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.close import PERIOD, TODAY, populate
from bench.scratch import scratch_database
from loanledger.persistence import migrate
from loanledger.persistence.db import is_postgres, make_engine
from loanledger.services.close import close_period
from loanledger.services.read.reports import DIMENSIONS, programme_report, report_range


def run(url: str, loans: int) -> dict:
    migrate.upgrade(url)
    engine = make_engine(url)
    populate(engine, loans)
    with Session(engine) as db:
        close_period(db, PERIOD, "bench", TODAY)
        db.commit()
    if is_postgres(engine):  # as autovacuum would have: the rows were written in bulk just now
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    seconds = {}
    with Session(engine) as db:
        for by in DIMENSIONS:
            started = time.perf_counter()
            report = programme_report(db, report_range(None, PERIOD, by, TODAY))
            seconds[by] = round(time.perf_counter() - started, 3)
            assert report.month_totals[PERIOD]["subsidy_owed_fen"] > 0
    engine.dispose()
    return {"loans": loans, "months": 12, "seconds": seconds}


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
