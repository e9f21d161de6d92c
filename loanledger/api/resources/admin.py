"""GET/PUT /admin/business-date."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from loanledger.api.auth import endpoint
from loanledger.api.context import principal, session
from loanledger.api.errors import ApiError
from loanledger.api.fields import Schema, StrictDate
from loanledger.services import clock

blp = Blueprint("admin", __name__, url_prefix="/admin", description="Administration")


class BusinessDateSchema(Schema):
    date = StrictDate(required=True)


def _manual() -> bool:
    return current_app.extensions["loanledger"].settings.allow_manual_business_date


@blp.route("/business-date")
class BusinessDateResource(MethodView):
    @endpoint("admin", "clerk", "approver", "auditor")
    @blp.response(200, BusinessDateSchema)
    def get(self):
        return {"date": clock.today(session(), manual=_manual())}

    @endpoint("admin")
    @blp.arguments(BusinessDateSchema)
    @blp.response(200, BusinessDateSchema)
    def put(self, data):
        if not _manual():
            raise ApiError(403, "forbidden", "the business date follows the calendar in this environment")
        try:
            clock.set_today(session(), data["date"], principal().actor)
        except clock.BackwardsDate as exc:
            raise ApiError(409, "business_date_backwards", str(exc), "date") from None
        return {"date": data["date"]}


BLUEPRINTS = [blp]
