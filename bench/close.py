"""Benchmark: close one month over N loans, each with one quarterly interest record.

    python bench/close.py --loans 10000                 # SQLite in a temporary file
    python bench/close.py --loans 10000 --db postgresql://postgres@127.0.0.1/test

The data is written straight into the tables (the close is what is measured, not
intake); for PostgreSQL a scratch database is created on the given server and dropped
afterwards. Prints one JSON line: {"loans": …, "records": …, "seconds": …}.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from loanledger.domain.uscc import uscc_with_check  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402
from loanledger.persistence import migrate  # noqa: E402
from loanledger.persistence.db import make_engine  # noqa: E402
from loanledger.persistence.tables import (  # noqa: E402
    Bank, BusinessDate, DirtyMark, Enterprise, Filing, Loan, LoanEvent, Product,
)
from loanledger.services.close import close_period  # noqa: E402
from loanledger.services.seed import seed  # noqa: E402

PERIOD, TODAY = "2023-06", dt.date(2023, 7, 1)
START, PAID = dt.date(2023, 3, 21), dt.date(2023, 6, 21)


def _uscc(i: int) -> str:
    return uscc_with_check(f"91442000{i:09d}")


def populate(engine, loans: int) -> None:
    with Session(engine) as db:
        seed(db)
        db.add(BusinessDate(id=1, today=TODAY))
        db.add(Bank(bank_code="BENCH", name="Bench bank"))
        db.flush()
        db.add(Product(product_code="BENCH-P", bank_code="BENCH", name="bench", risk_covered=False))
        db.flush()
        db.execute(insert(Enterprise), [
            {"uscc": _uscc(i), "name": f"E{i}", "established_on": dt.date(2010, 1, 1)} for i in range(loans)])
        db.execute(insert(Filing), [
            {"filing_no": f"F{i}", "uscc": _uscc(i), "project_name": "p", "eligible_investment_fen": 10**10,
             "approved_on": dt.date(2023, 1, 1), "clawback": False} for i in range(loans)])
        db.execute(insert(Loan), [
            {"id": i + 1, "bank_code": "BENCH", "contract_no": f"C{i}", "product_code": "BENCH-P", "uscc": _uscc(i),
             "filing_no": f"F{i}", "principal_fen": 500_000_000 + i * 100, "annual_rate_e4": 34500,
             "start_date": START, "maturity_date": dt.date(2025, 3, 21), "original_maturity_date": dt.date(2025, 3, 21),
             "repayment_method": "interest_only", "interest_settlement": "quarterly", "coverage": "not_covered",
             "registered_on": START, "content_hash": "bench"} for i in range(loans)])
        events = []
        for i in range(loans):
            events.append({"bank_code": "BENCH", "event_id": f"D{i}", "loan_id": i + 1, "type": "disbursement",
                           "on_date": START, "amount_fen": 500_000_000 + i * 100, "content_hash": "bench"})
            events.append({"bank_code": "BENCH", "event_id": f"I{i}", "loan_id": i + 1, "type": "interest",
                           "on_date": PAID, "period_start": START, "period_end": PAID,
                           "interest_fen": 4_408_333 + i, "content_hash": "bench"})
        db.execute(insert(LoanEvent), events)
        db.execute(insert(DirtyMark), [{"scope": "loan", "key": str(i + 1)} for i in range(loans)])
        db.commit()


def run(url: str, loans: int) -> dict:
    migrate.upgrade(url)
    engine = make_engine(url)
    populate(engine, loans)
    started = time.perf_counter()
    with Session(engine) as db:
        view = close_period(db, PERIOD, "bench", TODAY)
        db.commit()
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        records = connection.execute(text("SELECT count(*) FROM record_states")).scalar_one()
        lines = connection.execute(text("SELECT count(*) FROM lines")).scalar_one()
    engine.dispose()
    return {"loans": loans, "records": records, "lines": lines, "seconds": round(seconds, 3),
            "subsidy_total": view["subsidy_total"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=10_000)
    parser.add_argument("--db", help="a PostgreSQL server URL (a scratch database is made there); default SQLite")
    args = parser.parse_args()
    with scratch_database(args.db, "bench") as url:
        result = run(url, args.loans)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
