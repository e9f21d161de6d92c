"""GET/PUT /admin/business-date; the working-day calendar for 公示."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from loanledger.api.auth import endpoint
from loanledger.api.errors import ApiError
from loanledger.domain.vocabulary import STAFF_ROLES, Role
from loanledger.request_context import manual_business_date, principal, session
from loanledger.services import clock, identity, workcalendar
from loanledger.wire.fields import Schema, StrictDate, free_text

blp = Blueprint("admin", __name__, url_prefix="/admin", description="Administration")


class BusinessDateSchema(Schema):
    date = StrictDate(required=True)


@blp.route("/business-date")
class BusinessDateResource(MethodView):
    @endpoint(*STAFF_ROLES)
    @blp.response(200, BusinessDateSchema)
    def get(self):
        return {"date": clock.today(session(), manual=manual_business_date())}

    @endpoint(Role.ADMIN)
    @blp.arguments(BusinessDateSchema)
    @blp.response(200, BusinessDateSchema)
    def put(self, data):
        if not manual_business_date():
            raise ApiError(
                403, "forbidden", "the business date follows the calendar in this environment"
            )
        clock.set_today(session(), data["date"], principal().actor)  # BackwardsDate: 409
        return {"date": data["date"]}


class CalendarDayIn(Schema):
    day = StrictDate(required=True)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(("holiday", "workday")),
        metadata={"description": "holiday: a day off; workday: a 调休 make-up working day"},
    )
    name = free_text(128, required=True)


class CalendarDayOut(Schema):
    day = fields.String(metadata={"format": "date"})
    kind = fields.String()
    name = fields.String()
    created_by = fields.String()


class CalendarQuery(Schema):
    year = fields.Integer(strict=False, validate=validate.Range(min=2000, max=2100))


class CalendarOut(Schema):
    items = fields.List(fields.Nested(CalendarDayOut))
    covered_years = fields.Dict(
        keys=fields.String(),
        values=fields.Boolean(),
        metadata={"description": "whether chinese-calendar has the year's official data"},
    )


@blp.route("/calendar")
class Calendar(MethodView):
    @endpoint(*STAFF_ROLES)
    @blp.arguments(CalendarQuery, location="query")
    @blp.response(200, CalendarOut)
    def get(self, query):
        """The administrator's holidays and make-up working days (over chinese-calendar's data;
        a year without that data falls back to Monday–Friday plus these)."""
        year = query.get("year")
        days = workcalendar.list_days(session(), year)
        years = (
            {year}
            if year
            else {d.day.year for d in days}
            | {clock.today(session(), manual=manual_business_date()).year}
        )
        return {
            "items": [workcalendar.calendar_day_doc(d) for d in days],
            "covered_years": {str(y): workcalendar.covered(y) for y in sorted(years)},
        }

    @endpoint(Role.ADMIN)
    @blp.arguments(CalendarDayIn)
    @blp.response(201, CalendarDayOut)
    def post(self, data):
        """Add a holiday or a make-up working day (the same day again, the same way, is 201 again)."""
        row, _created = workcalendar.add_day(
            session(), data["day"], data["kind"], data["name"], principal().actor
        )
        return workcalendar.calendar_day_doc(row)


class SignedOut(Schema):
    username = fields.String(required=True)
    tokens_revoked = fields.Integer(required=True)


@blp.route("/users/<username>/sign-out")
class SignOutEverywhere(MethodView):
    @endpoint(Role.ADMIN)
    @blp.response(200, SignedOut)
    def post(self, username: str):
        """End every page session and bearer token of the user now (a lost laptop, a
        leaver): they sign in again with their password."""
        return identity.sign_out_everywhere(session(), username, principal().actor)


BLUEPRINTS = [blp]
