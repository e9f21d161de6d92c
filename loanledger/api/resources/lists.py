"""Enterprise lists (名录库, api.md "Version 2 additions"): the lists, their memberships and
the import of a list as the bureau receives it.

Who: an admin creates a list (api.md); clerks (and admins) state memberships and import
files, as they keep the other reference data; every staff role reads. The use cases are
`services.enterprise_lists` and `services.list_import`; the reads `services.read.lists`.
"""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from loanledger.api.auth import endpoint
from loanledger.api.errors import ApiError
from loanledger.api.pagination import PageQuery, page_of
from loanledger.api.uploads import FileReadOut, file_upload_body
from loanledger.domain.vocabulary import STAFF_ROLES, Role
from loanledger.request_context import business_date, principal, session
from loanledger.services import enterprise_lists, imports, list_import, read
from loanledger.services.errors import NotFound
from loanledger.wire.fields import Key, Schema, StrictDate, free_text

STAFF = STAFF_ROLES
MAKER = (Role.CLERK,)
ADMIN = (Role.ADMIN,)
OUTCOMES = (enterprise_lists.ADDED, enterprise_lists.CHANGED, enterprise_lists.UNCHANGED)

blp = Blueprint(
    "enterprise_lists",
    __name__,
    url_prefix="/enterprise-lists",
    description="Enterprise lists (名录库): who a risk pool with `enterprise_list` eligibility "
    "covers, member by member with the dates of each membership",
)


def _actor() -> str:
    return principal().actor


# ====================================================================== schemas
class EnterpriseListSchema(Schema):
    list_code = Key(required=True)
    name = free_text(255, required=True)


class EnterpriseListDetailSchema(EnterpriseListSchema):
    member_count = fields.Integer(
        dump_only=True, metadata={"description": "enterprises with any membership in the list"}
    )
    members_on_business_date = fields.Integer(
        dump_only=True,
        metadata={"description": "enterprises that are members on the business date"},
    )


class MembershipInSchema(Schema):
    from_on = StrictDate(required=True, data_key="from", metadata={"description": "first day"})
    to_on = StrictDate(
        allow_none=True,
        data_key="to",
        metadata={"description": "last day (inclusive); absent or null: still a member"},
    )


class MemberSchema(Schema):
    uscc = fields.String()
    name = fields.String(metadata={"description": "the enterprise's registered name"})
    from_on = StrictDate(data_key="from")
    to_on = StrictDate(allow_none=True, data_key="to")


class MembershipSchema(MemberSchema):
    list_code = fields.String()
    change = fields.String(
        metadata={
            "enum": list(OUTCOMES),
            "description": "added: a new membership; changed: the overlapping membership's "
            "dates became these; unchanged: it already had them",
        }
    )


class MembersQuery(PageQuery):
    on = StrictDate(metadata={"description": "only the memberships in force on this date"})


class ListImportSchema(FileReadOut):
    list_code = fields.String()
    rows = fields.Integer(metadata={"description": "non-empty rows below the header"})
    added = fields.Integer()
    changed = fields.Integer()
    unchanged = fields.Integer()
    enterprises_created = fields.List(
        fields.String(), metadata={"description": "the USCCs registered from the file"}
    )


UPLOAD_BODY = file_upload_body(
    "a header row (统一社会信用代码/uscc, 企业名称/name, 起始日期/from, "
    "截止日期/to, 成立日期/established_on; docs/decisions-lists.md) and "
    "one row per membership"
)


def _member(change: enterprise_lists.MembershipChange) -> dict:
    m = change.membership
    enterprise = read.enterprise(session(), m.uscc)
    return {
        "list_code": m.list_code,
        "uscc": m.uscc,
        "name": enterprise.name if enterprise is not None else None,
        "from_on": m.from_on,
        "to_on": m.to_on,
        "change": change.outcome,
    }


def _detail(list_code: str) -> dict:
    db = session()
    row = read.enterprise_list(db, list_code)
    if row is None:
        raise NotFound(f"enterprise list {list_code}")
    counts = read.list_counts(db, [list_code], business_date())[list_code]
    return {
        **enterprise_lists.list_doc(row),
        "member_count": counts.member_count,
        "members_on_business_date": counts.members_on,
    }


# ====================================================================== endpoints
@blp.route("")
class EnterpriseLists(MethodView):
    @endpoint(*STAFF)
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, page_of(EnterpriseListSchema))
    def get(self, query):
        page = read.enterprise_lists(session(), limit=query["limit"], cursor=query["cursor"])
        return {
            "items": [enterprise_lists.list_doc(row) for row in page.items],
            "next_cursor": page.next_cursor,
        }

    @endpoint(*ADMIN)
    @blp.arguments(EnterpriseListSchema)
    @blp.response(201, EnterpriseListDetailSchema)
    @blp.alt_response(
        200, schema=EnterpriseListDetailSchema, description="the same list again", success=True
    )
    def post(self, data):
        row, created = enterprise_lists.create_list(
            session(), data["list_code"], data["name"], _actor()
        )
        return _detail(row.list_code), 201 if created else 200


@blp.route("/<list_code>")
class EnterpriseListResource(MethodView):
    @endpoint(*STAFF)
    @blp.response(200, EnterpriseListDetailSchema)
    def get(self, list_code):
        return _detail(list_code)


@blp.route("/<list_code>/members")
class Members(MethodView):
    @endpoint(*STAFF)
    @blp.arguments(MembersQuery, location="query")
    @blp.response(200, page_of(MemberSchema))
    def get(self, query, list_code):
        """The list's memberships by USCC (then first day), with the enterprise's name; with
        `on`, only those in force that day (from ≤ on ≤ to)."""
        db = session()
        if read.enterprise_list(db, list_code) is None:
            raise NotFound(f"enterprise list {list_code}")
        page = read.list_members(
            db, list_code, query.get("on"), limit=query["limit"], cursor=query["cursor"]
        )
        return {
            "items": [
                {"uscc": m.uscc, "name": m.name, "from_on": m.from_on, "to_on": m.to_on}
                for m in page.items
            ],
            "next_cursor": page.next_cursor,
        }


@blp.route("/<list_code>/members/<uscc>")
class Member(MethodView):
    @endpoint(*MAKER)
    @blp.arguments(MembershipInSchema)
    @blp.response(200, MembershipSchema)
    def put(self, data, list_code, uscc):
        """State one membership: a new one when it overlaps none of the enterprise's
        memberships in the list, else the one it overlaps takes these dates (409
        `invalid_state` when it overlaps two). Both dates are inclusive."""
        change = enterprise_lists.put_member(
            session(), list_code, uscc, data["from_on"], data.get("to_on"), _actor()
        )
        return _member(change)


@blp.route("/<list_code>/imports")
class Imports(MethodView):
    @endpoint(*MAKER)
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(200, ListImportSchema, description="imported: every row, or (422) none")
    def post(self, list_code):
        """The 名录库 file, each row stated as by PUT …/members/{uscc}; an unknown USCC is
        registered when its row has a name, a 成立日期 and a valid check character. One bad
        row refuses the file: 422 with every row's errors (`rows[<row>].<field>`, the row as
        the spreadsheet numbers it) and nothing imported."""
        upload = request.files.get("file")
        if upload is None:
            raise ApiError(422, "required", "send the file as the multipart field `file`", "file")
        with imports.spool(upload.stream) as spooled:
            upload.close()
            result = list_import.import_list(
                session(),
                list_code,
                spooled,
                imports.clean_filename(upload.filename),
                _actor(),
                business_date(),
            )
        return result.doc()


BLUEPRINTS = [blp]
