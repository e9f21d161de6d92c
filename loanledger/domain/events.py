"""The loan event types a bank reports, and the fields each carries (api.md, Events)."""

from __future__ import annotations

EVENT_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # event type: (required, optional)
    "disbursement": (("date", "amount"), ()),
    "repayment": (("date", "principal"), ()),
    "interest": (
        ("period_start", "period_end", "paid_on", "interest"),
        ("penalty_interest", "compound_interest"),
    ),
    "rate_change": (("effective_on", "annual_rate"), ()),
    "delinquency": (("as_of", "days_past_due"), ("classification",)),
    "recovery": (("date", "amount"), ()),
    "settlement": (("date",), ()),
    "void": (("target_event_id", "reason"), ()),
}
