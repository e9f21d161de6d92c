"""The audit trail (auditors, admins) and an enterprise's own view of what it is owed."""
from __future__ import annotations

from collections import defaultdict

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import INCLUDE, fields, validate
from sqlalchemy import func, select

from loanledger.api.auth import endpoint
from loanledger.api.context import advance_publicity, business_date, principal, session
from loanledger.api.fields import Document, Schema
from loanledger.api.pagination import PageQuery, page_of
from loanledger.domain.money import format_fen
from loanledger.persistence.db import as_utc
from loanledger.persistence.tables import Batch, BatchPayee, Enterprise, Line, Loan
from loanledger.services import objections, read
from loanledger.services.errors import NotFound
from loanledger.services.read import line_wire, loan_summary

audit = Blueprint("audit", __name__, url_prefix="/audit", description="The audit trail")
me = Blueprint("me", __name__, url_prefix="/me", description="An enterprise's own subsidies")


class AuditQuery(PageQuery):
    since = fields.AwareDateTime(format="iso", metadata={"description": "only changes at or after this instant"})
    entity = fields.String(validate=validate.Length(min=1, max=64))
    action = fields.String(validate=validate.Length(min=1, max=64))


class AuditOut(Schema):
    audit_id = fields.Integer()
    at = fields.String()
    actor = fields.String()
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


@audit.route("")
class AuditTrail(MethodView):
    @endpoint("auditor", "admin")
    @audit.arguments(AuditQuery, location="query")
    @audit.response(200, page_of(AuditOut))
    def get(self, query):
        """Every state change, oldest first: who, when, what, before and after."""
        page = read.audit_trail(session(), query.get("since"), query.get("entity"), query.get("action"),
                                limit=query["limit"], cursor=query["cursor"])
        return {"items": [{"audit_id": a.id, "at": as_utc(a.at).isoformat(), "actor": a.actor, "action": a.action,
                           "entity": a.entity, "entity_id": a.entity_id, "before": a.before, "after": a.after}
                          for a in page.items],
                "next_cursor": page.next_cursor}


class MySubsidiesOut(Document):
    """See api.md (`GET /me/subsidies`) for the fields."""

    class Meta:
        unknown = INCLUDE  # an open object in the document (see periods.Open)


@me.route("/subsidies")
class MySubsidies(MethodView):
    @endpoint("enterprise")
    @me.response(200, MySubsidiesOut)
    def get(self):
        """My loans, my lines (with the batch's 公示 and payment state), payments and objections."""
        db, uscc, today = session(), principal().uscc, business_date()
        advance_publicity()
        enterprise = db.get(Enterprise, uscc)
        if enterprise is None:
            raise NotFound(f"enterprise {uscc}")
        return {"uscc": uscc, "name": enterprise.name, "business_date": today.isoformat(),
                **_lines_and_payments(db, uscc, today), "loans": _loans(db, uscc),
                "objections": [objections.objection_wire(o)
                               for o in db.scalars(objections.list_stmt(uscc=uscc).order_by("id"))]}


def _loans(db, uscc: str) -> list[dict]:
    granted = dict(db.execute(
        select(Line.contract_no, func.sum(Line.amount_fen)).join(Loan, Loan.contract_no == Line.contract_no)
        .where(Line.payee_id == uscc, Line.status == "active", Line.kind != "carried", Loan.uscc == uscc)
        .group_by(Line.contract_no)).all())
    out = []
    for loan in db.scalars(select(Loan).where(Loan.uscc == uscc).order_by(Loan.start_date, Loan.id)):
        out.append({**loan_summary(loan), "subsidy_granted": format_fen(int(granted.get(loan.contract_no) or 0))})
    return out


def _lines_and_payments(db, uscc: str, today) -> dict:
    batches = {b.id: b for b in db.scalars(
        select(Batch).where(Batch.id.in_(select(Line.batch_id).where(Line.payee_id == uscc))))}
    open_lines = set(db.scalars(select(objections.Objection.line_id).where(
        objections.Objection.uscc == uscc, objections.Objection.status == "open")))
    lines: list[dict] = []
    by_batch: dict[int, int] = defaultdict(int)
    for line in db.scalars(select(Line).where(Line.payee_id == uscc).order_by(Line.period, Line.id)):
        batch = batches[line.batch_id]
        in_publicity = batch.status == "publicity" and today <= batch.publicity_ends_on
        lines.append({**line_wire(line), "batch_status": batch.status,
                      "publicity_ends_on": batch.publicity_ends_on.isoformat() if batch.publicity_ends_on else None,
                      "can_object": in_publicity and line.status == "active"
                      and line.kind in objections.OBJECTABLE_KINDS and line.id not in open_lines})
        by_batch[line.batch_id] += 1
    payments = [
        {"batch_id": p.batch_id, "period": batches[p.batch_id].period, "kind": batches[p.batch_id].kind,
         "batch_status": batches[p.batch_id].status, "total": format_fen(p.total_fen),
         "pays": format_fen(p.pays_fen), "carried_out": format_fen(p.carried_out_fen),
         "payment_status": p.payment_status, "paid_on": p.paid_on.isoformat() if p.paid_on else None,
         "reference": p.reference}
        for p in db.scalars(select(BatchPayee).where(BatchPayee.payee_id == uscc, BatchPayee.payee_type == "enterprise")
                            .order_by(BatchPayee.batch_id))
    ]
    return {"lines": lines, "payments": payments}


BLUEPRINTS = [audit, me]
