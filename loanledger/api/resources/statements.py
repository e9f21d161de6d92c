"""Bank control totals (POST/GET /control-totals) and statements (GET /statements/{period})."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from loanledger.api.auth import endpoint
from loanledger.api.errors import invalid
from loanledger.api.pagination import PageQuery
from loanledger.domain.dates import period_bounds
from loanledger.domain.vocabulary import STAFF_ROLES, PeriodStatus, words
from loanledger.request_context import business_date, path_period, principal, session
from loanledger.services import read, statements
from loanledger.wire.fields import Document, Money, Schema
from loanledger.wire.fields import Period as PeriodField

control_totals = Blueprint(
    "control_totals",
    __name__,
    url_prefix="/control-totals",
    description="A bank's own count and sum of its interest records per period",
)
statements_blp = Blueprint(
    "statements",
    __name__,
    url_prefix="/statements",
    description="A bank's lines, payments and control total of one period",
)

MAX_RECORDS = 1_000_000_000


# ------------------------------------------------------------------ schemas
class ControlTotalIn(Schema):
    period = PeriodField(required=True, metadata={"example": "2023-03"})
    interest_records = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=MAX_RECORDS),
        metadata={"description": "how many `interest` events have paid_on in the period"},
    )
    interest_total = Money(
        required=True, metadata={"description": "the sum of their `interest`, in yuan"}
    )


class Figures(Schema):
    interest_records = fields.Integer(required=True)
    interest_total = Money(required=True)


class ControlTotalOut(Document):
    bank_code = fields.String(required=True)
    period = fields.String(required=True)
    interest_records = fields.Integer(required=True)
    interest_total = Money(required=True)
    submitted_at = fields.DateTime(required=True)
    submitted_by = fields.String(required=True)
    revisions = fields.Integer(
        required=True, metadata={"description": "submissions so far; the latest counts"}
    )
    held = fields.Nested(
        Figures,
        required=True,
        metadata={"description": "what LoanLedger holds: live interest events"},
    )
    matches = fields.Boolean(required=True)


class ControlTotalQuery(PageQuery):
    period = PeriodField(metadata={"example": "2023-03"})


class ControlTotalPage(Document):
    items = fields.List(fields.Nested(ControlTotalOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class Declared(Schema):
    interest_records = fields.Integer(required=True)
    interest_total = Money(required=True)
    submitted_at = fields.DateTime(required=True)


class StatementControlTotal(Schema):
    declared = fields.Nested(Declared, allow_none=True, required=True)
    held = fields.Nested(Figures, required=True)
    matches = fields.Boolean(
        allow_none=True, required=True, metadata={"description": "null when none was declared"}
    )


class BankPayee(Schema):
    payee_id = fields.String(required=True)
    total = Money(allow_negative=True, required=True)
    pays = Money(required=True)
    carried_out = Money(allow_negative=True, required=True)
    payment_status = fields.String(required=True)
    paid_on = fields.String(allow_none=True, required=True)
    reference = fields.String(allow_none=True, required=True)


class Payment(Schema):
    payee_type = fields.String(required=True)
    payee_id = fields.String(required=True)
    payment_status = fields.String(required=True)
    paid_on = fields.String(allow_none=True, required=True)
    reference = fields.String(allow_none=True, required=True)


class StatementBatch(Schema):
    batch_id = fields.Integer(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    publicity_ends_on = fields.String(allow_none=True, required=True)
    bank_payee = fields.Nested(
        BankPayee,
        allow_none=True,
        required=True,
        metadata={"description": "the bank as payee (compensation batches)"},
    )
    payments = fields.List(
        fields.Nested(Payment),
        required=True,
        metadata={"description": "payment state of the payees of the bank's lines"},
    )


class KindTotal(Schema):
    kind = fields.String(required=True)
    line_count = fields.Integer(required=True)
    amount = Money(allow_negative=True, required=True)


class StatementOut(Document):
    period = fields.String(required=True)
    bank_code = fields.String(required=True)
    period_status = fields.String(required=True, validate=validate.OneOf(words(PeriodStatus)))
    totals = fields.List(
        fields.Nested(KindTotal), required=True, metadata={"description": "all lines, by kind"}
    )
    batches = fields.List(fields.Nested(StatementBatch), required=True)
    control_total = fields.Nested(StatementControlTotal, required=True)
    lines = fields.List(
        fields.Dict(),
        required=True,
        metadata={
            "description": "this page of the bank's lines (the line of api.md plus batch_kind)"
        },
    )
    next_cursor = fields.String(allow_none=True, required=True)


# ------------------------------------------------------------------ control totals
@control_totals.route("")
class ControlTotals(MethodView):
    @endpoint(bank=True)
    @control_totals.arguments(ControlTotalIn)
    @control_totals.response(201, ControlTotalOut)
    def post(self, data):
        """Declare the bank's control total of a period (each POST is kept; the latest counts)."""
        try:
            first, _last = period_bounds(data["period"])
        except ValueError:
            raise invalid(
                "invalid_format", f"{data['period']!r} is not a month of the calendar", "period"
            ) from None
        if first > business_date():
            raise invalid("future_date", f"the period {data['period']} has not started", "period")
        db, who = session(), principal()
        row = statements.submit_control_total(
            db,
            who.bank_code,
            data["period"],
            data["interest_records"],
            data["interest_total"],
            who.actor,
        )
        return read.control_totals_wire(db, [row])[0], 201

    @endpoint(*STAFF_ROLES, bank=True)
    @control_totals.arguments(ControlTotalQuery, location="query")
    @control_totals.response(200, ControlTotalPage)
    def get(self, query):
        """The latest control total per bank and period: a bank sees its own, staff all."""
        who, db = principal(), session()
        page = read.control_totals(
            db,
            who.bank_code if who.kind == "bank" else None,
            query.get("period"),
            limit=query["limit"],
            cursor=query["cursor"],
        )
        return {
            "items": read.control_totals_wire(db, page.items),
            "next_cursor": page.next_cursor,
        }


# ------------------------------------------------------------------ statements


@statements_blp.route("/<string:period>")
class Statement(MethodView):
    @endpoint(bank=True)
    @statements_blp.arguments(PageQuery, location="query")
    @statements_blp.response(200, StatementOut)
    def get(self, query, period):
        """The bank's lines of the period (paged), its batches' payments and its control total."""
        db, bank_code = session(), principal().bank_code
        period = path_period(period)
        out = read.statement_header(db, bank_code, period)
        page = read.statement_lines(
            db, bank_code, period, limit=query["limit"], cursor=query["cursor"]
        )
        kinds = read.batch_kinds(db, [line.batch_id for line in page.items])
        out["lines"] = [read.statement_line_wire(line, kinds) for line in page.items]
        out["next_cursor"] = page.next_cursor
        return out


BLUEPRINTS = [control_totals, statements_blp]
