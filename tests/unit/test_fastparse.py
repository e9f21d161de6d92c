"""The bulk fast path never accepts what the schema refuses, and parses identically; an
accepted event's row and content hash are what they were."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from loanledger.services.intake import EVENT_COLUMNS, event_row, event_shape_errors, values_repr
from loanledger.wire.fastparse import fast_event
from loanledger.wire.schemas import BulkEventIn

VALUES = {
    "event_id": ["E1", "事件-1", "", " ", "a/b", "x" * 64, "x" * 65, "E\x00", 7, None],
    "contract_no": ["C-1", "合同1", "", "a/b", None, 3],
    "target_event_id": ["E0", "", None],
    "type": [
        "disbursement",
        "repayment",
        "interest",
        "rate_change",
        "delinquency",
        "recovery",
        "settlement",
        "void",
        "wire",
        None,
        1,
    ],
    "date": ["2023-02-01", "20230201", "2023-02-30", "２０２３-02-01", None, 20230201],
    "period_start": ["2023-02-01", "2023-13-01", None],
    "period_end": ["2023-03-01", None],
    "paid_on": ["2023-03-01", "2023-3-1", None],
    "effective_on": ["2024-01-01", None],
    "as_of": ["2023-04-30", None],
    "amount": ["1.00", "0.01", "1", "1.005", "-1.00", "１.00", "12345678901234.00", 1, 1.5, None],
    "principal": ["5.00", "x", None],
    "interest": ["10.00", "-0.01", None],
    "penalty_interest": ["0.50", None],
    "compound_interest": ["0.00", None],
    "annual_rate": ["3.4500", "24", "24.0001", "0", "3.45678", 3.45, None],
    "days_past_due": [0, 9, -1, 100001, True, 1.0, "9", None],
    "classification": ["substandard", "normal", "bad", None],
    "reason": ["错误", "", "x" * 1001, "a\x00b", None],
    "colour": ["red"],
}


@st.composite
def items(draw):
    names = draw(st.sets(st.sampled_from(sorted(VALUES)), max_size=8))
    item = {name: draw(st.sampled_from(VALUES[name])) for name in names}
    if draw(st.booleans()):
        item.setdefault("event_id", "E1")
        item.setdefault("contract_no", "C-1")
        item.setdefault("type", "disbursement")
    return item


@settings(max_examples=2000, deadline=None)
@given(items())
def test_fast_path_agrees_with_the_schema(raw):
    fast = fast_event(raw)
    if fast is None:
        return
    try:
        slow = BulkEventIn().load(raw)
    except ValidationError as exc:  # pragma: no cover - the failure this test exists to catch
        raise AssertionError(
            f"fast path accepted what the schema refuses: {raw} -> {exc.messages}"
        ) from None
    assert fast == slow


def test_the_common_case_takes_the_fast_path():
    raw = {
        "event_id": "I1",
        "type": "interest",
        "contract_no": "C-1",
        "period_start": "2023-02-01",
        "period_end": "2023-03-01",
        "paid_on": "2023-03-01",
        "interest": "2875.00",
    }
    assert fast_event(raw) == BulkEventIn().load(raw)


@settings(max_examples=2000, deadline=None)
@given(items())
def test_what_the_fast_path_accepts_has_its_shape(raw):
    """The bulk parse skips intake's shape check for the fast path's items."""
    fast = fast_event(raw)
    if fast is not None:
        assert event_shape_errors(fast) == []


def _generic_row(loan, data, content_hash, received_at):
    """event_row as it was written before it read each type's own fields (any shape)."""
    get = data.get
    return (
        loan.bank_code,
        data["event_id"],
        loan.id,
        data["type"],
        get("date") or get("paid_on") or get("as_of") or get("effective_on"),
        get("principal") if get("amount") is None else get("amount"),
        *(get(name) for name in ("period_start", "period_end", "interest")),
        *(get(name) for name in ("penalty_interest", "compound_interest", "annual_rate")),
        *(get(name) for name in ("days_past_due", "classification", "target_event_id")),
        get("reason"),
        content_hash,
        received_at,
    )


@settings(max_examples=2000, deadline=None)
@given(items())
def test_an_event_row_reads_its_types_own_fields(raw):
    fast = fast_event(raw)
    if fast is None:
        return
    loan = SimpleNamespace(bank_code="B", id=7)
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    row = event_row(loan, fast, "hash", at)
    assert row == _generic_row(loan, fast, "hash", at)
    assert len(row) == len(EVENT_COLUMNS)


hashed_values = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.dates(),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(hashed_values, max_size=12))
def test_the_content_hash_reads_repr_exactly(values):
    """Stored content hashes were made from repr(values): the faster text must be the same."""
    assert values_repr(tuple(values)) == repr(tuple(values))
    assert values_repr(tuple(values)) == repr(tuple(values))  # dates' reprs now remembered
