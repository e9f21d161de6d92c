"""Benchmark: the pure domain computation of the close, per record, with no database.

    python bench/compute.py --records 20000 --repeat 5

Builds the population of bench/close.py in memory (one disbursement of 500,000,000 + i*100
fen at 3.4500 %, 2023-03-21 to maturity 2025-03-21, one quarterly interest record
2023-03-21 -> 2023-06-21 paid 2023-06-21 of 4,408,333 + i fen, each loan alone on a filing
of 10^10 fen) and times what the close calls per loan and per record, as the close calls it:
balance_segments + subsidised_balances per loan, then compute_record per record with a
LoanFacts object of its own (the close builds one per record; building it is not timed). Two
policies: the default (no rate cap) and the same with a rate cap at LPR - 50 bps, against the
seeded LPR table: it publishes on 2023-06-20, inside the period, and the cap bites on both
sides of it (3.15 % and 3.05 % against the contract's 3.45 %). Times are process CPU (time.process_time), the
median of --repeat runs, in microseconds per record. `digest` hashes every result field the
close reads, so two versions of the code can be compared for identical results.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import hashlib
import json
import statistics
import sys
import time
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loanledger.domain.facts import EnterpriseFacts, FilingFacts, InterestRecord, LoanFacts
from loanledger.domain.money import parse_rate
from loanledger.domain.policy import DEFAULT_POLICY
from loanledger.domain.subsidy import compute_record, subsidised_balances
from loanledger.domain.timeline import balance_segments

START, PAID = dt.date(2023, 3, 21), dt.date(2023, 6, 21)
MATURITY, ESTABLISHED, APPROVED = dt.date(2025, 3, 21), dt.date(2010, 1, 1), dt.date(2023, 1, 1)
INVESTMENT_FEN = 10**10


def lpr_table() -> list[tuple[dt.date, int]]:
    """The seeded LPR table (services/seed.py reads the same file), as registry.lpr_table gives it."""
    text = resources.files("loanledger.data").joinpath("lpr.csv").read_text(encoding="utf-8")
    return sorted(
        (dt.date.fromisoformat(row["published_on"]), parse_rate(row["lpr_1y"]))
        for row in csv.DictReader(text.splitlines())
    )


def population(n: int) -> list[tuple]:
    """(loan facts fields, record, filing, enterprise) per loan, like bench/close.py's."""
    out = []
    for i in range(n):
        fields = {
            "bank_code": "BENCH",
            "contract_no": f"C{i}",
            "annual_rate_e4": 34500,
            "start_date": START,
            "maturity_date": MATURITY,
            "disbursements": ((START, 500_000_000 + i * 100),),
            "repayments": (),
            "rate_changes": (),
            "delinquencies": (),
            "link_problem": None,
            "subsidy_eligible": True,
        }
        record = InterestRecord(START, PAID, PAID, 4_408_333 + i, False)
        filing = FilingFacts(f"F{i}", INVESTMENT_FEN, APPROVED, None, False, False)
        enterprise = EnterpriseFacts(f"U{i}", ESTABLISHED, (), "C3879")
        out.append((fields, record, filing, enterprise))
    return out


def time_balances(people: list[tuple]) -> tuple[float, list]:
    """CPU seconds of balance_segments + subsidised_balances per loan (as SubsidyFacts.subsidised), and Bs."""
    began = time.process_time()
    out = []
    for fields, _record, filing, _enterprise in people:
        own = balance_segments(list(fields["disbursements"]), list(fields["repayments"]))
        out.append(
            subsidised_balances([(filing.filing_no, own)], filing.eligible_investment_fen)[
                filing.filing_no
            ]
        )
    return time.process_time() - began, out


def time_records(people: list[tuple], subsidised: list, policy, lpr) -> tuple[float, str]:
    """CPU seconds of compute_record over every record, and a digest of what the close reads."""
    digest = hashlib.sha256()
    loans = [
        LoanFacts(**fields) for fields, *_ in people
    ]  # fresh objects, as each close builds them
    results = []
    began = time.process_time()
    for (_fields, record, filing, enterprise), loan, bs in zip(
        people, loans, subsidised, strict=True
    ):
        results.append(compute_record(record, loan, filing, enterprise, policy, lpr, bs))
    seconds = time.process_time() - began
    for r in results:
        segments = [
            (
                s.start,
                s.end,
                s.balance_fen,
                s.subsidised_fen,
                s.rate_e4,
                s.subsidised_rate_e4,
                s.ratio,
                s.days,
            )
            for s in r.segments
        ]
        digest.update(
            repr(
                (r.computed_fen, r.exact, r.reasons, segments, sorted(r.removed_days.items()))
            ).encode()
        )
    return seconds, digest.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    people, lpr = population(args.records), lpr_table()
    policies = {
        "default": DEFAULT_POLICY,
        "rate_cap": dataclasses.replace(DEFAULT_POLICY, rate_cap_spread_bps=-50),
    }
    runs: dict[str, list[float]] = {"balances": [], **{name: [] for name in policies}}
    digests: dict[str, str] = {}
    for _ in range(args.repeat):
        seconds, subsidised = time_balances(people)
        runs["balances"].append(seconds)
        for name, policy in policies.items():
            seconds, digests[name] = time_records(people, subsidised, policy, lpr)
            runs[name].append(seconds)
    per_record = {
        f"{name}_us": round(statistics.median(s) / args.records * 1e6, 2)
        for name, s in runs.items()
    }
    print(
        json.dumps(
            {"records": args.records, "repeat": args.repeat, **per_record, "digest": digests}
        )
    )


if __name__ == "__main__":
    main()
