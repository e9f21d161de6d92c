"""GET /public/publicity, /public/publicity/{batch_id} and its .xlsx: the subsidy lists in 公示,
for anyone, without sign-in (api.md, "what the bureau publishes").

The list is `services.read.publicity_lists`; here the answer is only shaped. Every request is
counted against its address's anonymous allowance (`loanledger.ratelimit.limit_anonymous`).
A 200 is cacheable by anyone for a minute (`Cache-Control: public, max-age=60`) and carries an
ETag of its bytes, so a browser, a proxy or the bureau's website asks again with
If-None-Match and gets 304 while nothing changed.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from loanledger.ratelimit import limit_anonymous
from loanledger.request_context import business_date, session
from loanledger.services import publicity_sheet, read
from loanledger.services.errors import NotFound
from loanledger.wire.fields import Document, Schema

blp = Blueprint(
    "public",
    __name__,
    url_prefix="/public",
    description="What the bureau publishes, for anyone without sign-in: the 公示 lists",
)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CACHE_CONTROL = "public, max-age=60"
NO_SIGN_IN = {"security": []}  # OpenAPI: this operation needs no credentials
NOT_MODIFIED = {"304": {"description": "not modified: the If-None-Match ETag is current"}}


class PublicObjectionOut(Schema):
    until = fields.Date(
        required=True, metadata={"description": "the last day (inclusive) to object"}
    )
    how = fields.String(required=True, metadata={"description": "how to object, in Chinese"})


class PublicEnterpriseOut(Schema):
    name = fields.String(required=True)
    uscc_masked = fields.String(
        required=True,
        metadata={
            "description": "the USCC with its middle ten characters as *",
            "example": "9144**********1X",
        },
    )
    projects = fields.List(
        fields.String(), required=True, metadata={"description": "the filings' project names"}
    )
    banks = fields.List(fields.String(), required=True, metadata={"description": "bank names"})
    amount = fields.String(
        required=True, metadata={"description": "this batch's subsidy, yuan", "example": "1234.50"}
    )


class PublicityOut(Document):
    batch_id = fields.Integer(required=True)
    period = fields.String(required=True)
    publicity_starts_on = fields.Date(required=True)
    publicity_ends_on = fields.Date(required=True)
    objection = fields.Nested(PublicObjectionOut, required=True)
    enterprise_count = fields.Integer(required=True)
    total = fields.String(required=True, metadata={"description": "Σ amount, yuan"})
    enterprises = fields.List(fields.Nested(PublicEnterpriseOut), required=True)


class PublicityListOut(Document):
    items = fields.List(fields.Nested(PublicityOut), required=True)


@blp.before_request
def _limit() -> None:
    limit_anonymous()


@blp.after_request
def _cacheable(response: Response) -> Response:
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        response.headers["Cache-Control"] = CACHE_CONTROL
        if response.get_etag()[0] is None:
            response.add_etag()  # of the bytes: the JSON answer is the same for the same list
        response.make_conditional(request)
    return response


def _contact() -> str | None:
    return current_app.extensions["loanledger"].settings.publicity_contact


def _one(batch_id: int) -> dict:
    public = read.publicity_list(session(), business_date(), batch_id)
    if public is None:
        raise NotFound(f"batch {batch_id} in 公示")
    return read.publicity_doc(public, _contact())


@blp.route("/publicity")
class Publicity(MethodView):
    @blp.doc(**NO_SIGN_IN, responses=NOT_MODIFIED)
    @blp.response(200, PublicityListOut)
    def get(self):
        """The subsidy batches in 公示 today, newest period first (none: an empty list)."""
        lists = read.publicity_lists(session(), business_date())
        return {"items": [read.publicity_doc(public, _contact()) for public in lists]}


@blp.route("/publicity/<int:batch_id>")
class PublicityOne(MethodView):
    @blp.doc(**NO_SIGN_IN, responses=NOT_MODIFIED)
    @blp.response(200, PublicityOut)
    def get(self, batch_id):
        """One batch's list while it is in 公示; 404 before and after."""
        return _one(batch_id)


@blp.route("/publicity/<int:batch_id>.xlsx")
class PublicityXlsx(MethodView):
    @blp.doc(
        **NO_SIGN_IN,
        responses={
            **NOT_MODIFIED,
            "200": {
                "description": "the 公示名单 as XLSX: a title row, the 公示 dates, how to object, "
                "a header row (序号, 企业名称, 统一社会信用代码, 项目名称, 贷款银行, 贴息金额（元）), "
                "a row per enterprise and a totals row (合计)",
                "content": {XLSX_MIMETYPE: {"schema": {"type": "string", "format": "binary"}}},
            },
        },
    )
    def get(self, batch_id):
        doc = _one(batch_id)
        response = Response(
            publicity_sheet.publicity_xlsx(doc),
            mimetype=XLSX_MIMETYPE,
            headers={
                "Content-Disposition": f'attachment; filename="publicity-{doc["period"]}-{batch_id}.xlsx"'
            },
        )
        # A workbook's bytes differ on every save (its timestamps): the tag is the list's.
        response.set_etag(publicity_sheet.document_tag(doc))
        return response


BLUEPRINTS = [blp]
