"""Wire schemas of bank intake, shared by the JSON endpoints, bulk and file imports."""

from __future__ import annotations

from marshmallow import fields, validate

from loanledger.domain.events import EVENT_FIELDS
from loanledger.domain.policy import LOAN_CLASSIFICATIONS
from loanledger.domain.vocabulary import InterestSettlement, RepaymentMethod, words
from loanledger.wire.fields import Key, Money, Rate, Schema, StrictDate, free_text

REPAYMENT_METHODS = words(RepaymentMethod)


class LoanIn(Schema):
    contract_no = Key(required=True)
    product_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    uscc = fields.String(
        required=True, validate=validate.Length(equal=18), metadata={"pattern": "^[0-9A-Z]{18}$"}
    )
    filing_no = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=64)
    )
    principal = Money(required=True, positive=True)
    annual_rate = Rate(required=True)
    start_date = StrictDate(required=True)
    maturity_date = StrictDate(required=True)
    repayment_method = fields.String(required=True, validate=validate.OneOf(REPAYMENT_METHODS))
    interest_settlement = fields.String(
        required=True, validate=validate.OneOf(words(InterestSettlement))
    )


class LoanPatch(Schema):
    maturity_date = StrictDate()
    principal = Money(positive=True)


class EventIn(Schema):
    """All event fields; which are required or allowed depends on `type` (api.md)."""

    event_id = Key(required=True)
    type = fields.String(required=True, validate=validate.OneOf(EVENT_FIELDS))
    date = StrictDate(allow_none=True)
    amount = Money(allow_none=True, positive=True)  # disbursed or recovered
    principal = Money(allow_none=True, positive=True)  # repaid
    period_start = StrictDate(allow_none=True)
    period_end = StrictDate(allow_none=True)
    paid_on = StrictDate(allow_none=True)
    interest = Money(allow_none=True)
    penalty_interest = Money(allow_none=True)
    compound_interest = Money(allow_none=True)
    effective_on = StrictDate(allow_none=True)
    annual_rate = Rate(allow_none=True)
    as_of = StrictDate(allow_none=True)
    days_past_due = fields.Integer(
        allow_none=True, strict=True, validate=validate.Range(min=0, max=100000)
    )
    classification = fields.String(allow_none=True, validate=validate.OneOf(LOAN_CLASSIFICATIONS))
    target_event_id = Key(allow_none=True)
    reason = free_text(1000, allow_none=True)


class BulkEventIn(EventIn):
    """One item of POST /events:bulk or an events file: an event plus its contract."""

    contract_no = Key(required=True)
