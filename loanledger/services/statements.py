"""Bank control totals (api.md: POST /control-totals): a bank declares the count and sum of
its `interest` events with `paid_on` in a period.

Every submission is kept; the latest for a bank and period is the one compared
(docs/decisions-bank-surface.md). What LoanLedger holds against it, the control totals as
shown and the bank's statement (GET /statements/{period}) are read in
`services.read.statements`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from loanledger.domain.dates import period_bounds
from loanledger.persistence.tables import ControlTotal
from loanledger.services.audit import record


def submit_control_total(
    db: Session,
    bank_code: str,
    period: str,
    interest_records: int,
    interest_total_fen: int,
    actor: str,
) -> ControlTotal:
    """A new submission (the earlier ones stay, as history). Flushes; the caller commits."""
    period_bounds(period)  # a valid YYYY-MM, or ValueError
    row = ControlTotal(
        bank_code=bank_code,
        period=period,
        interest_records=interest_records,
        interest_total_fen=interest_total_fen,
        submitted_by=actor[:64],
        submitted_at=dt.datetime.now(dt.UTC),
    )
    db.add(row)
    db.flush()
    record(
        db,
        actor,
        "control_total.submit",
        "control_total",
        str(row.id),
        None,
        {
            "bank_code": bank_code,
            "period": period,
            "interest_records": interest_records,
            "interest_total_fen": interest_total_fen,
        },
    )
    return row
