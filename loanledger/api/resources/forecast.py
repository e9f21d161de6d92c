"""The budget forecast and the policy what-if (api.md "Reports", issue 13): staff only,
read-only. The views translate; `services.forecast` computes."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from loanledger.api.auth import endpoint
from loanledger.domain.money import format_fen
from loanledger.domain.vocabulary import STAFF_ROLES
from loanledger.request_context import session
from loanledger.services import forecast as pricing
from loanledger.wire.fields import Period, Schema

blp_forecast = Blueprint(
    "forecast",
    __name__,
    url_prefix="/reports",
    description="The budget forecast (预算编制) and the policy what-if (政策测算)",
)


# ====================================================================== forecast
class ForecastQuery(Schema):
    year = fields.Integer(required=True, strict=False, validate=validate.Range(min=2000, max=2100))


class ForecastMonthSchema(Schema):
    period = fields.String()
    status = fields.String(
        metadata={"enum": ["closed", "forecast"], "description": "closed: its batch; forecast"}
    )
    subsidy = fields.String(metadata={"description": "closed: what its subsidy batch's lines pay"})
    reported = fields.String(metadata={"description": "forecast: records reported, not closed"})
    assumed = fields.String(
        metadata={"description": "forecast: records assumed, balances and rates as last reported"}
    )


class ForecastYearSchema(Schema):
    year = fields.Integer()
    closed = fields.String()
    forecast = fields.String()
    total = fields.String(metadata={"description": "预计全年支出: closed + forecast"})
    budget = fields.String(metadata={"description": "预算: appropriated for the year"})


class ForecastSchema(Schema):
    year = fields.Integer()
    last_closed_period = fields.String(allow_none=True)
    months = fields.List(fields.Nested(ForecastMonthSchema))
    years = fields.List(fields.Nested(ForecastYearSchema))


def _forecast_doc(f: pricing.Forecast) -> dict[str, Any]:
    return {
        "year": f.year,
        "last_closed_period": f.last_closed_period,
        "months": [
            {
                "period": m.period,
                "status": "closed" if m.closed else "forecast",
                "subsidy": format_fen(m.subsidy_fen),
                "reported": format_fen(m.reported_fen),
                "assumed": format_fen(m.assumed_fen),
            }
            for m in f.months
        ],
        "years": [
            {
                "year": y.year,
                "closed": format_fen(y.closed_fen),
                "forecast": format_fen(y.forecast_fen),
                "total": format_fen(y.total_fen),
                "budget": format_fen(y.budget_fen),
            }
            for y in f.years
        ],
    }


@blp_forecast.route("/forecast")
class ForecastResource(MethodView):
    @endpoint(*STAFF_ROLES)
    @blp_forecast.arguments(ForecastQuery, location="query")
    @blp_forecast.response(200, ForecastSchema)
    def get(self, query):
        return _forecast_doc(pricing.forecast(session(), query["year"]))


# ====================================================================== what-if
class WhatIfIn(Schema):
    policy = fields.Dict(
        required=True,
        metadata={"description": "a policy document as GET /policy gives it; never saved"},
    )
    first = Period(required=True, data_key="from", metadata={"description": "first month"})
    last = Period(required=True, data_key="to", metadata={"description": "last month"})


class ComparedSchema(Schema):
    in_force = fields.String()
    draft = fields.String()
    difference = fields.String(metadata={"description": "draft − in force"})


class WhatIfMonthSchema(ComparedSchema):
    period = fields.String()
    status = fields.String(metadata={"enum": ["closed", "forecast"]})


class WhatIfBankSchema(ComparedSchema):
    bank_code = fields.String()


class WhatIfCellSchema(ComparedSchema):
    period = fields.String()
    bank_code = fields.String()


class WhatIfSchema(Schema):
    from_ = fields.String(data_key="from")
    to = fields.String()
    last_closed_period = fields.String(allow_none=True)
    months = fields.List(fields.Nested(WhatIfMonthSchema))
    banks = fields.List(fields.Nested(WhatIfBankSchema))
    by_month_and_bank = fields.List(fields.Nested(WhatIfCellSchema))
    total = fields.Nested(ComparedSchema)
    enterprises_changed = fields.Integer()


def _compared(c: pricing.Compared) -> dict[str, str]:
    return {
        "in_force": format_fen(c.in_force_fen),
        "draft": format_fen(c.draft_fen),
        "difference": format_fen(c.difference_fen),
    }


def _what_if_doc(w: pricing.WhatIf) -> dict[str, Any]:
    return {
        "from_": w.first,
        "to": w.last,
        "last_closed_period": w.last_closed_period,
        "months": [
            {"period": p, "status": "closed" if closed else "forecast", **_compared(c)}
            for p, closed, c in w.months
        ],
        "banks": [{"bank_code": b, **_compared(c)} for b, c in w.banks],
        "by_month_and_bank": [{"period": p, "bank_code": b, **_compared(c)} for p, b, c in w.cells],
        "total": _compared(w.total),
        "enterprises_changed": w.enterprises_changed,
    }


@blp_forecast.route("/what-if")
class WhatIfResource(MethodView):
    @endpoint(*STAFF_ROLES)
    @blp_forecast.arguments(WhatIfIn)
    @blp_forecast.response(200, WhatIfSchema)
    def post(self, data):
        return _what_if_doc(pricing.what_if(session(), data["policy"], data["first"], data["last"]))


BLUEPRINTS = (blp_forecast,)
