"""The audit trail (auditors, admins) and an enterprise's own view of what it is owed."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import INCLUDE, fields, validate

from loanledger.api.auth import endpoint
from loanledger.api.pagination import PageQuery, page_of
from loanledger.domain.money import format_fen
from loanledger.domain.vocabulary import NoticeKind, OutboxStatus, Role, words
from loanledger.persistence.db import as_utc
from loanledger.request_context import advance_publicity, business_date, principal, session
from loanledger.services import notices, objections, read
from loanledger.services.errors import NotFound
from loanledger.wire.fields import Document, Schema

audit = Blueprint("audit", __name__, url_prefix="/audit", description="The audit trail")
me = Blueprint("me", __name__, url_prefix="/me", description="An enterprise's own subsidies")


class AuditQuery(PageQuery):
    since = fields.AwareDateTime(
        format="iso", metadata={"description": "only changes at or after this instant"}
    )
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
    @endpoint(Role.AUDITOR, Role.ADMIN)
    @audit.arguments(AuditQuery, location="query")
    @audit.response(200, page_of(AuditOut))
    def get(self, query):
        """Every state change, oldest first: who, when, what, before and after."""
        page = read.audit_trail(
            session(),
            query.get("since"),
            query.get("entity"),
            query.get("action"),
            limit=query["limit"],
            cursor=query["cursor"],
        )
        return {
            "items": [
                {
                    "audit_id": a.id,
                    "at": as_utc(a.at).isoformat(),
                    "actor": a.actor,
                    "action": a.action,
                    "entity": a.entity,
                    "entity_id": a.entity_id,
                    "before": a.before,
                    "after": a.after,
                }
                for a in page.items
            ],
            "next_cursor": page.next_cursor,
        }


class MySubsidiesOut(Document):
    """See api.md (`GET /me/subsidies`) for the fields."""

    class Meta:
        unknown = INCLUDE  # an open object in the document (see periods.Open)


@me.route("/subsidies")
class MySubsidies(MethodView):
    @endpoint(Role.ENTERPRISE)
    @me.response(200, MySubsidiesOut)
    def get(self):
        """My loans, my lines (with the batch's 公示 and payment state), payments and objections."""
        uscc, today = principal().uscc, business_date()
        advance_publicity()
        mine = read.enterprise_subsidies(session(), uscc, today)
        if mine.enterprise is None:
            raise NotFound(f"enterprise {uscc}")
        return {
            "uscc": uscc,
            "name": mine.enterprise.name,
            "business_date": today.isoformat(),
            "lines": [_line_wire(x) for x in mine.lines],
            "payments": [_payment_wire(x) for x in mine.payments],
            "loans": [
                {
                    **read.loan_summary(loan),
                    "subsidy_granted": format_fen(
                        mine.granted_fen.get((loan.bank_code, loan.contract_no), 0)
                    ),
                }
                for loan in mine.loans
            ],
            "objections": [objections.objection_wire(o) for o, _line in mine.objections],
        }


class NoticeOut(Schema):
    notice_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(words(NoticeKind)))
    title = fields.String(required=True)
    body = fields.String(required=True, metadata={"description": "plain text, Chinese"})
    created_at = fields.String(required=True)
    read_at = fields.String(allow_none=True, required=True)
    email_status = fields.String(
        allow_none=True,
        required=True,
        validate=validate.OneOf(words(OutboxStatus)),
        metadata={"description": "the e-mail of the notice; null: none (no address on file)"},
    )


@me.route("/notices")
class MyNotices(MethodView):
    @endpoint(Role.ENTERPRISE)
    @me.arguments(PageQuery, location="query")
    @me.response(200, page_of(NoticeOut))
    def get(self, query):
        """My notices (站内信), newest first: 公示, payments, objections, filings about to lapse."""
        page = read.notices(
            session(), principal().uscc, limit=query["limit"], cursor=query["cursor"]
        )
        return {"items": [read.notice_wire(n) for n in page.items], "next_cursor": page.next_cursor}


@me.route("/notices/<int:notice_id>/read")
class MyNoticeRead(MethodView):
    @endpoint(Role.ENTERPRISE)
    @me.response(200, NoticeOut)
    def post(self, notice_id):
        """Mark one of my notices read (again: no change); another enterprise's is 404."""
        who = principal()
        notices.mark_read(session(), who.uscc, notice_id, who.actor)
        return read.notice_wire(read.notice(session(), who.uscc, notice_id))


def _line_wire(x: read.EnterpriseLine) -> dict:
    publicity_ends_on = x.batch.publicity_ends_on.isoformat() if x.batch.publicity_ends_on else None
    return {
        **read.line_wire(x.line),
        "batch_status": x.batch.status,
        "publicity_ends_on": publicity_ends_on,
        "can_object": x.can_object,
    }


def _payment_wire(x: read.EnterprisePayment) -> dict:
    p, batch = x.payee, x.batch
    return {
        "batch_id": p.batch_id,
        "period": batch.period,
        "kind": batch.kind,
        "batch_status": batch.status,
        "total": format_fen(p.total_fen),
        "pays": format_fen(p.pays_fen),
        "carried_out": format_fen(p.carried_out_fen),
        "payment_status": p.payment_status,
        "paid_on": p.paid_on.isoformat() if p.paid_on else None,
        "reference": p.reference,
    }


BLUEPRINTS = [audit, me]
