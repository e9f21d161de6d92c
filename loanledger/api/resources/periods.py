"""Close, periods, batches, lines, claims and the ledger (read by staff)."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import INCLUDE, fields, validate

from loanledger.api.auth import endpoint
from loanledger.api.errors import ApiError
from loanledger.api.pagination import PageQuery
from loanledger.api.uploads import FileReadOut, file_upload_body
from loanledger.domain.money import format_fen
from loanledger.domain.vocabulary import (
    PAYMENT_RESULTS,
    STAFF_ROLES,
    BatchKind,
    BatchStatus,
    LineKind,
    Role,
    words,
)
from loanledger.persistence.db import as_utc
from loanledger.request_context import (
    advance_publicity,
    business_date,
    path_period,
    principal,
    session,
)
from loanledger.services import imports, payment_file, payment_results, payouts, read
from loanledger.services.close import close_period
from loanledger.services.errors import NotFound
from loanledger.services.unit_of_work import unit_of_work
from loanledger.wire.fields import Document, Schema, StrictDate, free_text
from loanledger.wire.fields import Period as PeriodField

periods = Blueprint("periods", __name__, url_prefix="/periods", description="Month-end close")
batches = Blueprint(
    "batches", __name__, url_prefix="/batches", description="Batches, lines and payees"
)
lines = Blueprint("lines", __name__, url_prefix="/lines", description="One line and its breakdown")
claims = Blueprint("claims", __name__, url_prefix="/claims", description="Risk-compensation claims")
ledger = Blueprint("ledger", __name__, url_prefix="/ledger", description="The double-entry ledger")


class Open(Document):
    """See api.md for the fields."""

    class Meta:
        # Documented as an open object (`additionalProperties: true`): with no declared
        # fields, RAISE documented `additionalProperties: false`, which no answer satisfies.
        unknown = INCLUDE


class PageOut(Schema):
    items = fields.List(fields.Dict())
    next_cursor = fields.String(allow_none=True)


class PeriodList(Schema):
    items = fields.List(fields.Dict())


class BatchQuery(Schema):
    period = PeriodField()
    kind = fields.String(validate=validate.OneOf(words(BatchKind)))
    status = fields.String(validate=validate.OneOf(words(BatchStatus)))


class LineQuery(PageQuery):
    payee_id = fields.String(validate=validate.Length(min=1, max=32))
    kind = fields.String(validate=validate.OneOf(words(LineKind)))


class ClaimQuery(PageQuery):
    period = PeriodField()


class RejectIn(Schema):
    reason = free_text(2000, required=True)


class PaymentIn(Schema):
    payee_id = fields.String(required=True, validate=validate.Length(min=1, max=32))
    status = fields.String(required=True, validate=validate.OneOf(words(PAYMENT_RESULTS)))
    paid_on = StrictDate(
        allow_none=True,
        load_default=None,
        metadata={"description": "required when paid; the date the money left"},
    )
    reference = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "the bank's payment reference; required when paid"},
    )


class PaymentsIn(Schema):
    payments = fields.List(
        fields.Nested(PaymentIn), required=True, validate=validate.Length(min=1, max=5000)
    )


class PaymentFileQuery(Schema):
    encoding = fields.String(
        load_default="utf-8",
        validate=validate.OneOf(payment_file.ENCODINGS),
        metadata={"description": "utf-8 (with a BOM, the default) or gb18030"},
    )


class PaymentResultsOut(FileReadOut):
    batch_id = fields.Integer()
    batch_status = fields.String(metadata={"description": "the batch's status afterwards"})
    rows = fields.Integer(metadata={"description": "payee rows below the header"})
    paid = fields.Integer(metadata={"description": "payments recorded as paid by this file"})
    failed = fields.Integer(metadata={"description": "payments recorded as failed by this file"})
    unchanged = fields.Integer(
        metadata={"description": "rows already recorded the same way (a file sent again)"}
    )


RESULTS_BODY = file_upload_body(
    "a header row (收款人代码/payee, 支付状态/status, 支付日期/paid_on, "
    "银行流水号/reference, 失败原因/reason, 金额/amount) and one row per "
    "payee; the payment file with its results filled in will do"
)


class TrialBalanceQuery(Schema):
    as_of = StrictDate()
    level = fields.String(validate=validate.OneOf(("full", "base")), load_default="full")


# ------------------------------------------------------------------ periods
@periods.route("/<string:period>/close")
class ClosePeriod(MethodView):
    @endpoint(Role.CLERK)
    @periods.response(200, Open)
    def post(self, period):
        return close_period(session(), path_period(period), principal().actor, business_date())


@periods.route("")
class Periods(MethodView):
    @endpoint(*STAFF_ROLES)
    @periods.response(200, PeriodList)
    def get(self):
        advance_publicity()
        return {"items": read.periods(session())}


@periods.route("/<string:period>")
class OnePeriod(MethodView):
    @endpoint(*STAFF_ROLES)
    @periods.response(200, Open)
    def get(self, period):
        advance_publicity()
        return read.period_view(session(), path_period(period))


# ------------------------------------------------------------------ batches
def _batch(batch_id: int):
    batch = read.batch(session(), batch_id)
    if batch is None:
        raise NotFound(f"batch {batch_id}")
    return batch


def batch_detail(batch) -> dict:
    out = read.batch_summary(batch)
    out.update(
        {
            "submitted_by": batch.submitted_by,
            "submitted_at": as_utc(batch.submitted_at).isoformat() if batch.submitted_at else None,
            # The business date of the submission (the date rules use; submitted_at is the
            # wall clock).
            "submitted_on": batch.submitted_on.isoformat() if batch.submitted_on else None,
            "approved_by": batch.approved_by,
            "approved_at": as_utc(batch.approved_at).isoformat() if batch.approved_at else None,
            "rejected_reason": batch.rejected_reason,
            "rejected_by": batch.rejected_by,
            "rejected_at": as_utc(batch.rejected_at).isoformat() if batch.rejected_at else None,
            "open_objections": read.open_objection_count(session(), batch.id),
        }
    )
    return out


@batches.route("")
class Batches(MethodView):
    @endpoint(*STAFF_ROLES)
    @batches.arguments(BatchQuery, location="query")
    @batches.response(200, PeriodList)
    def get(self, query):
        advance_publicity()
        rows = read.batches(session(), query.get("period"), query.get("kind"), query.get("status"))
        return {"items": [read.batch_summary(b) for b in rows]}


@batches.route("/<int:batch_id>")
class OneBatch(MethodView):
    @endpoint(*STAFF_ROLES)
    @batches.response(200, Open)
    def get(self, batch_id):
        advance_publicity()
        return batch_detail(_batch(batch_id))


def _batch_action(action, batch_id: int, *args):
    batch = action(session(), batch_id, principal().actor, *args, business_date())
    return batch_detail(batch)


@batches.route("/<int:batch_id>/submit")
class SubmitBatch(MethodView):
    @endpoint(Role.CLERK)
    @batches.response(200, Open)
    def post(self, batch_id):
        """A clerk submits a batch whose 公示 is over and which has no open objection."""
        return _batch_action(payouts.submit, batch_id)


@batches.route("/<int:batch_id>/approve")
class ApproveBatch(MethodView):
    @endpoint(Role.APPROVER)
    @batches.response(200, Open)
    def post(self, batch_id):
        """An approver other than the submitter approves, within the year's budget (or the pool's cash)."""
        return _batch_action(payouts.approve, batch_id)


@batches.route("/<int:batch_id>/reject")
class RejectBatch(MethodView):
    @endpoint(Role.APPROVER)
    @batches.arguments(RejectIn)
    @batches.response(200, Open)
    def post(self, data, batch_id):
        """An approver other than the submitter returns the batch to `ready` with a reason."""
        return _batch_action(payouts.reject, batch_id, data["reason"])


@batches.route("/<int:batch_id>/payments")
class BatchPayments(MethodView):
    @endpoint(Role.CLERK)
    @batches.arguments(PaymentsIn)
    @batches.response(200, Open)
    def post(self, data, batch_id):
        """Payment results per payee: paid (date, reference) or failed (carried to the next batch)."""
        results = [
            payouts.PaymentResult(p["payee_id"], p["status"], p["paid_on"], p["reference"])
            for p in data["payments"]
        ]
        return batch_detail(
            payouts.record_payments(
                session(), batch_id, results, principal().actor, business_date()
            )
        )


def _payment_file(batch_id: int, file_format: str) -> payment_file.PaymentFile:
    """The file's rows, and the download audited in its own transaction (a GET commits
    nothing by itself)."""
    with unit_of_work(session()) as db:
        doc = payment_file.payment_file(db, batch_id)
        payment_file.record_download(db, doc, principal().actor, file_format)
    return doc


def _download(content: bytes, content_type: str, filename: str) -> Response:
    return Response(
        content,
        content_type=content_type,  # as given: a text/csv mimetype would gain charset=utf-8
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@batches.route("/<int:batch_id>/payment-file.xlsx")
class PaymentFileXlsx(MethodView):
    @endpoint(Role.CLERK, Role.APPROVER)
    @batches.doc(
        responses={
            "200": {
                "description": "the payment file for 国库集中支付: a row per payee still to pay "
                "(序号, 收款人代码, 收款人名称, 收款账户名称, 收款账号, 开户银行, 金额（元）, "
                "金额大写, 用途, 批次号, 业务参考号), the account as submitted, and a 合计 row",
                "content": {
                    payment_file.XLSX_MIMETYPE: {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    )
    def get(self, batch_id):
        """An approved (or partly paid) batch as the payment file; 409 otherwise. Audited."""
        doc = _payment_file(batch_id, "xlsx")
        return _download(
            payment_file.to_xlsx(doc), payment_file.XLSX_MIMETYPE, doc.filename("xlsx")
        )


@batches.route("/<int:batch_id>/payment-file.csv")
class PaymentFileCsv(MethodView):
    @endpoint(Role.CLERK, Role.APPROVER)
    @batches.arguments(PaymentFileQuery, location="query")
    @batches.doc(
        responses={
            "200": {
                "description": "the payment file as CSV (UTF-8 with BOM, or GB18030 with "
                "`encoding=gb18030`): the columns of the XLSX, a 合计 row last",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    )
    def get(self, query, batch_id):
        """An approved (or partly paid) batch as the payment file; 409 otherwise. Audited."""
        encoding = query["encoding"]
        doc = _payment_file(batch_id, f"csv-{encoding}")
        return _download(
            payment_file.to_csv(doc, encoding),
            f"text/csv; charset={encoding}",
            doc.filename("csv"),
        )


@batches.route("/<int:batch_id>/payment-results")
class PaymentResults(MethodView):
    @endpoint(Role.CLERK)
    @batches.doc(requestBody=RESULTS_BODY)
    @batches.response(200, PaymentResultsOut, description="recorded: every row, or (422) none")
    def post(self, batch_id):
        """The bank's return file: each row recorded as POST …/payments records it, in one
        transaction. One bad row refuses the file: 422 with every row's errors in Chinese
        (`rows[<row>].<field>`, the row as the spreadsheet numbers it), nothing recorded.
        The same file again changes nothing (its rows come back `unchanged`)."""
        upload = request.files.get("file")
        if upload is None:
            raise ApiError(422, "required", "send the file as the multipart field `file`", "file")
        with imports.spool(upload.stream) as spooled:
            upload.close()
            result = payment_results.import_results(
                session(),
                batch_id,
                spooled,
                imports.clean_filename(upload.filename),
                principal().actor,
                business_date(),
            )
        return result.doc()


@batches.route("/<int:batch_id>/lines")
class BatchLines(MethodView):
    @endpoint(*STAFF_ROLES)
    @batches.arguments(LineQuery, location="query")
    @batches.response(200, PageOut)
    def get(self, query, batch_id):
        _batch(batch_id)
        page = read.batch_lines(
            session(),
            batch_id,
            read.LineFilter(query.get("payee_id"), query.get("kind")),
            limit=query["limit"],
            cursor=query["cursor"],
        )
        return {
            "items": [read.line_wire(line) for line in page.items],
            "next_cursor": page.next_cursor,
        }


@batches.route("/<int:batch_id>/payees")
class BatchPayees(MethodView):
    @endpoint(*STAFF_ROLES)
    @batches.arguments(PageQuery, location="query")
    @batches.response(200, PageOut)
    def get(self, query, batch_id):
        batch = _batch(batch_id)
        page = read.batch_payees_page(
            session(), batch_id, limit=query["limit"], cursor=query["cursor"]
        )
        shown = read.payees_shown(session(), batch.status, page.items)
        return {
            "items": [_payee_wire(p, shown[p.payee_id]) for p in page.items],
            "next_cursor": page.next_cursor,
        }


def _payee_wire(p, shown: read.PayeeShown) -> dict:
    """payee_name and account: as copied at submission once the batch is submitted, the
    payee's current ones before (domain.md §7 v2)."""
    return {
        "payee_type": p.payee_type,
        "payee_id": p.payee_id,
        "payee_name": shown.name,
        "account": shown.account.wire() if shown.account else None,
        "total": format_fen(p.total_fen),
        "pays": format_fen(p.pays_fen),
        "carried_out": format_fen(p.carried_out_fen),
        "payment_status": p.payment_status,
        "paid_on": p.paid_on.isoformat() if p.paid_on else None,
        "reference": p.reference,
    }


# ------------------------------------------------------------------ lines and claims
@lines.route("/<int:line_id>")
class OneLine(MethodView):
    @endpoint(*STAFF_ROLES)
    @lines.response(200, Open)
    def get(self, line_id):
        line = read.line(session(), line_id)
        if line is None:
            raise NotFound(f"line {line_id}")
        out = read.line_wire(line)
        breakdown = line.breakdown or {}
        out["segments"] = breakdown.get("segments", [])
        out["removed_days"] = breakdown.get("removed_days", {})
        return out


@claims.route("")
class Claims(MethodView):
    @endpoint(*STAFF_ROLES)
    @claims.arguments(ClaimQuery, location="query")
    @claims.response(200, PageOut)
    def get(self, query):
        page = read.claims(
            session(), query.get("period"), limit=query["limit"], cursor=query["cursor"]
        )
        return {
            "items": [read.claim_wire(session(), c) for c in page.items],
            "next_cursor": page.next_cursor,
        }


# ------------------------------------------------------------------ ledger
@ledger.route("/trial-balance")
class TrialBalance(MethodView):
    @endpoint(*STAFF_ROLES)
    @ledger.arguments(TrialBalanceQuery, location="query")
    @ledger.response(200, Open)
    def get(self, query):
        as_of = query.get("as_of") or business_date()
        tb = read.trial_balance(session(), as_of, query["level"])
        accounts = [
            {
                "code": a.code,
                "name": a.name,
                "debit": format_fen(a.debit_fen),
                "credit": format_fen(a.credit_fen),
                "balance": format_fen(a.balance_fen),
            }
            for a in tb.accounts
        ]
        return {
            "as_of": as_of.isoformat(),
            "accounts": accounts,
            "total_debit": format_fen(tb.total_debit_fen),
            "total_credit": format_fen(tb.total_credit_fen),
        }


@ledger.route("/accounts/<string:code>/entries")
class AccountEntries(MethodView):
    @endpoint(*STAFF_ROLES)
    @ledger.arguments(PageQuery, location="query")
    @ledger.response(200, PageOut)
    def get(self, query, code):
        page = read.account_entries(session(), code, limit=query["limit"], cursor=query["cursor"])
        items = [
            {
                "entry_id": e.entry_id,
                "posted_on": e.posted_on.isoformat(),
                "kind": e.kind,
                "memo": e.memo,
                "account": e.account,
                "debit": format_fen(max(e.amount_fen, 0)),
                "credit": format_fen(max(-e.amount_fen, 0)),
            }
            for e in page.items
        ]
        return {"items": items, "next_cursor": page.next_cursor}


BLUEPRINTS = [periods, batches, lines, claims, ledger]
