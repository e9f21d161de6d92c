"""GET /periods/{period}/reconciliation, and the same as .csv and .xlsx (staff roles).

The checks are `loanledger.domain.reconciliation`, loaded and run by
`loanledger.services.read.reconciliation`; `loanledger.services.reconciliation` renders the
spreadsheets; here the answer is only shaped.
"""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from loanledger.api.auth import endpoint
from loanledger.domain.reconciliation import CHECK_NAMES
from loanledger.domain.vocabulary import STAFF_ROLES
from loanledger.request_context import path_period, session
from loanledger.services import read, reconciliation
from loanledger.wire.fields import Document, Schema

blp = Blueprint(
    "reconciliation",
    __name__,
    url_prefix="/periods",
    description="Reconciliation of a period: the ledger, batches, payables, pool and control totals",
)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CheckOut(Schema):
    name = fields.String(required=True, validate=validate.OneOf(CHECK_NAMES))
    ok = fields.Boolean(required=True)
    detail = fields.Dict(
        required=True, metadata={"description": "the check's figures (amounts in yuan)"}
    )


class DiscrepancyOut(Schema):
    check = fields.String(required=True, validate=validate.OneOf(CHECK_NAMES))
    entity = fields.String(
        required=True,
        metadata={
            "description": "ledger, journal_entry, batch, batch_payee, account, risk_pool, bank or interest_record"
        },
    )
    batch_id = fields.Integer(allow_none=True, required=True)
    entry_id = fields.Integer(
        allow_none=True, required=True, metadata={"description": "a journal entry"}
    )
    account = fields.String(allow_none=True, required=True)
    payee_id = fields.String(allow_none=True, required=True)
    bank_code = fields.String(allow_none=True, required=True)
    event_id = fields.String(allow_none=True, required=True)
    measure = fields.String(required=True, metadata={"description": "what was compared"})
    unit = fields.String(required=True, validate=validate.OneOf(("yuan", "count")))
    expected = fields.String(required=True)
    actual = fields.String(required=True)
    difference = fields.String(required=True, metadata={"description": "actual − expected"})


class ReconciliationOut(Document):
    period = fields.String(required=True)
    ok = fields.Boolean(required=True, metadata={"description": "every check is ok"})
    checks = fields.List(fields.Nested(CheckOut), required=True)
    discrepancies = fields.List(fields.Nested(DiscrepancyOut), required=True)


def _attachment(period: str, suffix: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="reconciliation-{period}.{suffix}"'}


@blp.route("/<string:period>/reconciliation")
class Reconciliation(MethodView):
    @endpoint(*STAFF_ROLES)
    @blp.response(200, ReconciliationOut)
    def get(self, period):
        """Every check named, with pass/fail and the discrepancies found (an open period too)."""
        return read.reconciliation(session(), path_period(period))


@blp.route("/<string:period>/reconciliation.csv")
class ReconciliationCsv(MethodView):
    @endpoint(*STAFF_ROLES)
    @blp.doc(
        responses={
            "200": {
                "description": "the reconciliation as one table (UTF-8 with BOM): a summary row, a row per check, "
                "a row per discrepancy; columns " + ",".join(reconciliation.CSV_COLUMNS),
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    )
    def get(self, period):
        doc = read.reconciliation(session(), path_period(period))
        return Response(
            reconciliation.reconciliation_csv(doc),
            mimetype="text/csv",
            headers=_attachment(period, "csv"),
        )


@blp.route("/<string:period>/reconciliation.xlsx")
class ReconciliationXlsx(MethodView):
    @endpoint(*STAFF_ROLES)
    @blp.doc(
        responses={
            "200": {
                "description": "the reconciliation as XLSX: sheets 概要 summary, 核对项 checks, 差异 discrepancies "
                "(row 1 Chinese captions, row 2 the JSON keys)",
                "content": {XLSX_MIMETYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    def get(self, period):
        doc = read.reconciliation(session(), path_period(period))
        return Response(
            reconciliation.reconciliation_xlsx(doc),
            mimetype=XLSX_MIMETYPE,
            headers=_attachment(period, "xlsx"),
        )


BLUEPRINTS = [blp]
