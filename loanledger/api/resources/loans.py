"""Loans and loan events: the bank endpoints, plus the staff loan view and linking."""

from __future__ import annotations

import contextlib

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from loanledger.api.auth import endpoint
from loanledger.api.errors import ApiError
from loanledger.api.pagination import PageQuery
from loanledger.domain.errors import Refusal
from loanledger.domain.vocabulary import STAFF_ROLES, Coverage, LoanStatus, Role, words
from loanledger.observability.metrics import count_intake
from loanledger.request_context import business_date, principal, session
from loanledger.services import bulk, intake, read
from loanledger.services.errors import NotFound
from loanledger.services.facts import load_loan
from loanledger.services.read import bank_loan_view, loan_summary, loan_view
from loanledger.wire.fields import Document, Objects, Schema
from loanledger.wire.schemas import EventIn, LoanIn, LoanPatch

blp = Blueprint(
    "loans",
    __name__,
    url_prefix="/loans",
    description="Loans and loan events (banks sign requests)",
)


class LinkIn(Schema):
    filing_no = fields.String(required=True, validate=validate.Length(min=1, max=64))


class LoanListQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(words(LoanStatus)))
    uscc = fields.String(validate=validate.Length(equal=18))


class LoanView(Document):
    contract_no = fields.String()
    bank_code = fields.String()
    product_code = fields.String()
    uscc = fields.String()
    filing_no = fields.String(allow_none=True)
    principal = fields.String()
    annual_rate = fields.String()
    start_date = fields.String()
    maturity_date = fields.String()
    original_maturity_date = fields.String()
    repayment_method = fields.String()
    interest_settlement = fields.String()
    status = fields.String()
    balance = fields.String()
    npl_date = fields.String(allow_none=True)
    coverage = fields.String(metadata={"enum": list(words(Coverage))})
    risk_pool = fields.String(
        allow_none=True, metadata={"description": "v2: its product's pool at registration"}
    )
    eligibility = fields.Dict()
    subsidy_granted = fields.String()
    events = fields.List(fields.Dict())
    lines = fields.List(fields.Dict())
    claims = fields.List(fields.Dict())


class LoanPage(Schema):
    items = fields.List(fields.Dict())
    next_cursor = fields.String(allow_none=True)


class EventOut(Document):
    event_id = fields.String()
    type = fields.String()


@contextlib.contextmanager
def _counted(kind: str):
    """loanledger_intake_items_total for one item: count(created) inside, rejected on a refusal."""
    try:
        yield lambda created: count_intake(kind, "created" if created else "duplicate")
    except Refusal:
        count_intake(kind, "rejected")
        raise


def _found(loan, what: str):
    if loan is None:
        raise NotFound(f"loan {what}")
    return loan


def _bank_loan_to_change(contract_no: str):
    return _found(intake.loan_to_change(session(), principal().bank_code, contract_no), contract_no)


def _staff_loan(bank_code: str, contract_no: str):
    return _found(read.loan(session(), bank_code, contract_no), f"{bank_code}/{contract_no}")


def _staff_loan_to_change(bank_code: str, contract_no: str):
    return _found(
        intake.loan_to_change(session(), bank_code, contract_no), f"{bank_code}/{contract_no}"
    )


@blp.route("")
class Loans(MethodView):
    @endpoint(bank=True)
    @blp.arguments(LoanIn)
    @blp.response(201, LoanView)
    @blp.alt_response(
        200, schema=LoanView, description="the same contract registered again with the same content"
    )
    def post(self, data):
        today = business_date()
        with _counted("loan") as count:
            loan, created = bulk.register_loan(session(), principal().bank_code, data, today)
            count(created)
        return loan_view(session(), loan, today), 201 if created else 200

    @endpoint(*STAFF_ROLES, bank=True)
    @blp.arguments(LoanListQuery, location="query")
    @blp.response(200, LoanPage)
    def get(self, query):
        who, today = principal(), business_date()
        page = read.loans(
            session(),
            today,
            bank_code=who.bank_code if who.kind == "bank" else None,
            uscc=query.get("uscc"),
            status=query.get("status"),
            limit=query["limit"],
            cursor=query["cursor"],
        )
        return {
            "items": [loan_summary(loan) for loan in page.items],
            "next_cursor": page.next_cursor,
        }


@blp.route("/<string:contract_no>")
class BankLoan(MethodView):
    @endpoint(bank=True)
    @blp.response(200, LoanView)
    def get(self, contract_no):
        view = bank_loan_view(session(), principal().bank_code, contract_no, business_date())
        return _found(view, contract_no)

    @endpoint(bank=True)
    @blp.arguments(LoanPatch)
    @blp.response(200, LoanView)
    def patch(self, data, contract_no):
        loan = intake.amend_loan(
            session(), _bank_loan_to_change(contract_no), data, principal().actor
        )
        return loan_view(session(), loan, business_date())


@blp.route("/<string:contract_no>/events")
class LoanEvents(MethodView):
    @endpoint(bank=True)
    @blp.arguments(EventIn)
    @blp.response(201, EventOut)
    @blp.alt_response(200, schema=EventOut, description="an identical repeat of event_id")
    def post(self, data, contract_no):
        with _counted("event") as count:
            errors = intake.event_shape_errors(data)
            if errors:
                raise ApiError(422, errors[0]["code"], "the event is not valid", errors=errors)
            loan = _bank_loan_to_change(contract_no)
            event, created = bulk.record_event(session(), loan, data, business_date())
            count(created)
        voided = load_loan(session(), loan).voided_ids
        return intake.event_to_wire(event, voided), 201 if created else 200


@blp.route("/<string:bank_code>/<string:contract_no>")
class StaffLoan(MethodView):
    @endpoint(*STAFF_ROLES)
    @blp.response(200, LoanView)
    def get(self, bank_code, contract_no):
        return loan_view(session(), _staff_loan(bank_code, contract_no), business_date())


@blp.route("/<string:bank_code>/<string:contract_no>/filing")
class LoanFiling(MethodView):
    @endpoint(Role.CLERK)
    @blp.arguments(LinkIn)
    @blp.response(200, LoanView)
    def put(self, data, bank_code, contract_no):
        loan = intake.link_filing(
            session(),
            _staff_loan_to_change(bank_code, contract_no),
            data["filing_no"],
            principal().actor,
        )
        return loan_view(session(), loan, business_date())


# ------------------------------------------------------------------ bulk
bulk_blp = Blueprint(
    "bulk", __name__, url_prefix="", description="Bulk intake: up to 5,000 items a request"
)


class BulkQuery(Schema):
    atomic = fields.Boolean(
        load_default=False, metadata={"description": "one rejection refuses the whole request"}
    )


def _items(name: str):
    return Objects(
        required=True,
        validate=validate.Length(min=1, max=bulk.MAX_ITEMS),
        metadata={"description": f"at most {bulk.MAX_ITEMS}; each item is checked on its own"},
    )


class BulkEventsIn(Schema):
    events = _items("events")


class BulkLoansIn(Schema):
    loans = _items("loans")


class BulkOut(Document):
    accepted = fields.Integer()
    duplicates = fields.Integer()
    rejected = fields.Integer()
    results = fields.List(fields.Dict())


def _bulk(ingest, name: str, body, query):
    kind = name.rstrip("s")
    try:
        outcome = ingest(
            session(), principal().bank_code, body[name], business_date(), atomic=query["atomic"]
        )
    except bulk.BulkRefused:
        count_intake(kind, "rejected", len(body[name]))  # atomic: nothing was kept
        raise
    count_intake(kind, "created", outcome.accepted)
    count_intake(kind, "duplicate", outcome.duplicates)
    count_intake(kind, "rejected", outcome.rejected)
    return outcome.as_dict()


@bulk_blp.route("/events:bulk")
class EventsBulk(MethodView):
    @endpoint(bank=True)
    @bulk_blp.arguments(BulkQuery, location="query")
    @bulk_blp.arguments(BulkEventsIn)
    @bulk_blp.response(200, BulkOut)
    def post(self, query, body):
        return _bulk(bulk.ingest_events, "events", body, query)


@bulk_blp.route("/loans:bulk")
class LoansBulk(MethodView):
    @endpoint(bank=True)
    @bulk_blp.arguments(BulkQuery, location="query")
    @bulk_blp.arguments(BulkLoansIn)
    @bulk_blp.response(200, BulkOut)
    def post(self, query, body):
        return _bulk(bulk.ingest_loans, "loans", body, query)


BLUEPRINTS = [blp, bulk_blp]
