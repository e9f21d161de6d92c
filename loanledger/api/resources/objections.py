"""Objections during 公示: enterprises file them, clerks resolve them."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from loanledger.api.auth import endpoint
from loanledger.api.pagination import PageQuery, page_of
from loanledger.domain.vocabulary import (
    OBJECTION_RESOLUTIONS,
    STAFF_ROLES,
    ObjectionStatus,
    Role,
    words,
)
from loanledger.request_context import business_date, principal, session
from loanledger.services import objections as service
from loanledger.services import payouts, read
from loanledger.wire.fields import Schema, free_text

blp = Blueprint(
    "objections", __name__, url_prefix="/objections", description="Objections during 公示"
)

STATUSES = words(ObjectionStatus)


class ObjectionIn(Schema):
    line_id = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1)
    )
    reason = free_text(2000, required=True)


class ResolutionIn(Schema):
    resolution = fields.String(required=True, validate=validate.OneOf(words(OBJECTION_RESOLUTIONS)))
    note = free_text(2000, required=True)


class ObjectionOut(Schema):
    objection_id = fields.Integer()
    line_id = fields.Integer()
    batch_id = fields.Integer()
    uscc = fields.String()
    reason = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))
    created_by = fields.String()
    created_at = fields.String()
    resolution_note = fields.String(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolved_at = fields.String(allow_none=True)


class ObjectionQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(STATUSES))
    batch_id = fields.Integer(strict=False, validate=validate.Range(min=1, max=2**63 - 1))


def _own_uscc() -> str | None:
    """An enterprise sees only its own objections; staff see all."""
    who = principal()
    return who.uscc if who.role == Role.ENTERPRISE else None


@blp.route("")
class Objections(MethodView):
    @endpoint(Role.ENTERPRISE)
    @blp.arguments(ObjectionIn)
    @blp.response(201, ObjectionOut)
    def post(self, data):
        """An enterprise objects to one of its lines while the batch is in 公示."""
        db, who = session(), principal()
        payouts.refresh_publicity(db, business_date())
        objection = service.file_objection(
            db, data["line_id"], who.uscc, data["reason"], who.actor, business_date()
        )
        return service.objection_wire(objection)

    @endpoint(*STAFF_ROLES, Role.ENTERPRISE)
    @blp.arguments(ObjectionQuery, location="query")
    @blp.response(200, page_of(ObjectionOut))
    def get(self, query):
        page = read.objections_page(
            session(),
            query.get("status"),
            _own_uscc(),
            query.get("batch_id"),
            limit=query["limit"],
            cursor=query["cursor"],
        )
        return {
            "items": [service.objection_wire(o) for o in page.items],
            "next_cursor": page.next_cursor,
        }


@blp.route("/<int:objection_id>")
class OneObjection(MethodView):
    @endpoint(*STAFF_ROLES, Role.ENTERPRISE)
    @blp.response(200, ObjectionOut)
    def get(self, objection_id):
        return service.objection_wire(service.get_objection(session(), objection_id, _own_uscc()))


@blp.route("/<int:objection_id>/resolve")
class ResolveObjection(MethodView):
    @endpoint(Role.CLERK)
    @blp.arguments(ResolutionIn)
    @blp.response(200, ObjectionOut)
    def post(self, data, objection_id):
        """Upheld: the line is held back (the batch and the ledger shrink by it) and recomputed at
        the next close. Dismissed: the line stays as published."""
        who = principal()
        objection = service.resolve(
            session(), objection_id, data["resolution"], data["note"], who.actor, business_date()
        )
        return service.objection_wire(objection)


BLUEPRINTS = [blp]
