"""The bulk fast path never accepts what the schema refuses, and parses identically."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from loanledger.services.intake import event_shape_errors
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
