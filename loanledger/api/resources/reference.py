"""Reference data (api.md "Reference data"): products, enterprises and their blacklist,
filings, the policy, LPR, budgets and receivable settlements (the risk pools: `pools`).

Staff only: clerks write (admins pass automatically), policy and LPR are admin writes,
every staff role reads. The views translate; `services.registry` decides.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import INCLUDE, ValidationError, fields, validate

from loanledger.api.auth import endpoint
from loanledger.api.pagination import PageQuery, page_of
from loanledger.domain.industry import INDUSTRY_CODE_PATTERN
from loanledger.domain.policy import DEFAULT_POLICY_DOC, WINDOW_ANCHORS
from loanledger.domain.uscc import ALPHABET, uscc_valid
from loanledger.domain.vocabulary import STAFF_ROLES, BatchKind, FilingStatus, Role, words
from loanledger.request_context import business_date, principal, session
from loanledger.services import read, registry
from loanledger.services.errors import NotFound
from loanledger.wire.fields import (
    EmailAddress,
    IndustryCode,
    Key,
    Money,
    Rate,
    Schema,
    StrictDate,
    free_text,
)

STAFF = STAFF_ROLES
MAKER = (Role.CLERK,)
ADMIN = (Role.ADMIN,)
MAX_TEXT = 2000


def _actor() -> str:
    return principal().actor


# ====================================================================== fields
_text = free_text


def _positive(value: int) -> None:
    if value <= 0:
        raise ValidationError("must be more than 0.00")


class StrictBoolean(fields.Boolean):
    """JSON true/false only (marshmallow's Boolean also takes 1, "yes", "on")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


class Uscc(fields.String):
    """统一社会信用代码: 18 characters with a valid check character, else `invalid_uscc`."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("pattern", f"^[{ALPHABET}]{{18}}$")
        metadata.setdefault("example", "914420006FA300000G")
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not uscc_valid(text):
            raise ValidationError(
                f"code:invalid_uscc:{text!r} is not a USCC with a valid check character (GB 32100-2015)"
            )
        return text


blp_products = Blueprint(
    "products", __name__, url_prefix="/products", description="Bank loan products"
)
blp_enterprises = Blueprint(
    "enterprises",
    __name__,
    url_prefix="/enterprises",
    description="Enterprises, their blacklist entries and subsidy totals",
)
blp_filings = Blueprint(
    "filings", __name__, url_prefix="/filings", description="Project filings (数字化项目备案)"
)
blp_policy = Blueprint(
    "policy", __name__, url_prefix="/policy", description="The versioned programme policy"
)
blp_lpr = Blueprint("lpr", __name__, url_prefix="/reference/lpr", description="Loan prime rates")
blp_budgets = Blueprint(
    "budgets", __name__, url_prefix="/budgets", description="Subsidy appropriations per year"
)
blp_receivables = Blueprint(
    "receivables", __name__, url_prefix="/receivables", description="Receivables paid back in cash"
)


# ====================================================================== products
class ProductSchema(Schema):
    product_code = Key(required=True)
    bank_code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name = _text(255, required=True)
    risk_covered = StrictBoolean(
        metadata={"description": "version 1's way to say risk_pool SZD (true) or none (false)"}
    )
    risk_pool = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=16),
        metadata={"description": "v2: the pool that can cover its loans, or null"},
    )
    subsidy_eligible = StrictBoolean(
        load_default=True,
        metadata={"description": "v2: whether its loans can be subsidised (a 数字贷 product)"},
    )


class ProductQuery(PageQuery):
    bank_code = fields.String(validate=validate.Length(min=1, max=32))


@blp_products.route("")
class Products(MethodView):
    @endpoint(*STAFF)
    @blp_products.arguments(ProductQuery, location="query")
    @blp_products.response(200, page_of(ProductSchema))
    def get(self, query):
        page = read.products(
            session(), query.get("bank_code"), limit=query["limit"], cursor=query["cursor"]
        )
        return {
            "items": [registry.product_doc(p) for p in page.items],
            "next_cursor": page.next_cursor,
        }

    @endpoint(*MAKER)
    @blp_products.arguments(ProductSchema)
    @blp_products.response(201, ProductSchema)
    @blp_products.alt_response(
        200, schema=ProductSchema, description="the same product again", success=True
    )
    def post(self, data):
        product, created = registry.create_product(session(), actor=_actor(), **data)
        return registry.product_doc(product), 201 if created else 200


# ====================================================================== enterprises
class AccountSchema(Schema):
    holder = _text(255, required=True)
    number = _text(64, required=True)
    bank_name = _text(255, required=True)


class EnterpriseSchema(Schema):
    uscc = Uscc(required=True)
    name = _text(255, required=True)
    established_on = StrictDate(required=True)
    town = _text(128, allow_none=True)
    industry = _text(128, allow_none=True)
    industry_code = IndustryCode(allow_none=True)
    email = EmailAddress(
        allow_none=True,
        metadata={"description": "where its notices are e-mailed; none: portal only"},
    )
    account = fields.Nested(AccountSchema, allow_none=True)


class EnterprisePatchSchema(Schema):
    name = _text(255)
    town = _text(128, allow_none=True)
    industry = _text(128, allow_none=True)
    industry_code = IndustryCode(allow_none=True)
    email = EmailAddress(
        allow_none=True,
        metadata={"description": "where its notices are e-mailed; none: portal only"},
    )
    account = fields.Nested(AccountSchema, allow_none=True)


class BlacklistEntryInSchema(Schema):
    reason = _text(MAX_TEXT, required=True)
    effective_from = StrictDate(required=True)
    effective_to = StrictDate(allow_none=True)


class BlacklistLiftSchema(Schema):
    effective_to = StrictDate(required=True)
    note = _text(MAX_TEXT, required=True)


class BlacklistEntrySchema(Schema):
    entry_id = fields.Integer()
    uscc = fields.String()
    reason = fields.String()
    effective_from = StrictDate()
    effective_to = StrictDate(allow_none=True)
    note = fields.String(allow_none=True)


class LoanRefSchema(Schema):
    bank_code = fields.String()
    contract_no = fields.String()


class FilingSchema(Schema):
    filing_no = Key(required=True)
    uscc = Uscc(required=True)
    project_name = _text(255, required=True)
    eligible_investment = Money(required=True, validate=_positive)
    approved_on = StrictDate(required=True)
    status = fields.String(dump_only=True, metadata={"enum": list(words(FilingStatus))})
    revoked_on = StrictDate(dump_only=True, allow_none=True)
    revoke_reason = fields.String(dump_only=True, allow_none=True)
    clawback = fields.Boolean(dump_only=True)
    completed_on = StrictDate(dump_only=True, allow_none=True)
    completion_note = fields.String(dump_only=True, allow_none=True)
    loans = fields.List(fields.Nested(LoanRefSchema), dump_only=True)


class EnterpriseLoanSchema(Schema):
    bank_code = fields.String()
    contract_no = fields.String()
    product_code = fields.String()
    filing_no = fields.String(allow_none=True)
    principal = Money()
    start_date = StrictDate()
    maturity_date = StrictDate()
    coverage = fields.String()
    risk_pool = fields.String(allow_none=True)


class SubsidyYearSchema(Schema):
    year = fields.Integer()
    granted = Money()


class EnterpriseDetailSchema(EnterpriseSchema):
    blacklist = fields.List(fields.Nested(BlacklistEntrySchema))
    filings = fields.List(fields.Nested(FilingSchema))
    loans = fields.List(fields.Nested(EnterpriseLoanSchema))
    subsidy_totals = fields.List(
        fields.Nested(SubsidyYearSchema),
        metadata={"description": "granted so far, per calendar year of paid_on"},
    )


@blp_enterprises.route("")
class Enterprises(MethodView):
    @endpoint(*STAFF)
    @blp_enterprises.arguments(PageQuery, location="query")
    @blp_enterprises.response(200, page_of(EnterpriseSchema))
    def get(self, query):
        page = read.enterprises(session(), limit=query["limit"], cursor=query["cursor"])
        return {
            "items": [registry.enterprise_doc(e) for e in page.items],
            "next_cursor": page.next_cursor,
        }

    @endpoint(*MAKER)
    @blp_enterprises.arguments(EnterpriseSchema)
    @blp_enterprises.response(201, EnterpriseSchema)
    @blp_enterprises.alt_response(
        200, schema=EnterpriseSchema, description="the same enterprise again", success=True
    )
    def post(self, data):
        enterprise, created = registry.create_enterprise(session(), data, _actor(), business_date())
        return registry.enterprise_doc(enterprise), 201 if created else 200


def _overview(uscc: str) -> dict[str, Any]:
    overview = read.enterprise_overview(session(), uscc, business_date())
    if overview is None:
        raise NotFound(f"enterprise {uscc}")
    return overview


@blp_enterprises.route("/<uscc>")
class EnterpriseResource(MethodView):
    @endpoint(*STAFF)
    @blp_enterprises.response(200, EnterpriseDetailSchema)
    def get(self, uscc):
        return _overview(uscc)

    @endpoint(*MAKER)
    @blp_enterprises.arguments(EnterprisePatchSchema)
    @blp_enterprises.response(200, EnterpriseDetailSchema)
    def patch(self, data, uscc):
        registry.update_enterprise(session(), uscc, data, _actor())
        return _overview(uscc)


@blp_enterprises.route("/<uscc>/blacklist")
class Blacklist(MethodView):
    @endpoint(*MAKER)
    @blp_enterprises.arguments(BlacklistEntryInSchema)
    @blp_enterprises.response(201, BlacklistEntrySchema)
    def post(self, data, uscc):
        entry = registry.add_blacklist_entry(
            session(),
            uscc,
            data["reason"],
            data["effective_from"],
            data.get("effective_to"),
            _actor(),
        )
        return registry.blacklist_doc(entry)


@blp_enterprises.route("/<uscc>/blacklist/<int:entry_id>/lift")
class BlacklistLift(MethodView):
    @endpoint(*MAKER)
    @blp_enterprises.arguments(BlacklistLiftSchema)
    @blp_enterprises.response(200, BlacklistEntrySchema)
    def post(self, data, uscc, entry_id):
        entry = registry.lift_blacklist_entry(
            session(), uscc, entry_id, data["effective_to"], data["note"], _actor()
        )
        return registry.blacklist_doc(entry)


# ====================================================================== filings
class FilingQuery(PageQuery):
    uscc = fields.String(validate=validate.Length(min=1, max=18))
    status = fields.String(validate=validate.OneOf(words(FilingStatus)))


class RevokeSchema(Schema):
    reason = _text(MAX_TEXT, required=True)
    effective_on = StrictDate(required=True)
    clawback = StrictBoolean(required=True)


class CompleteSchema(Schema):
    completed_on = StrictDate(required=True)
    note = _text(MAX_TEXT, allow_none=True)


@blp_filings.route("")
class Filings(MethodView):
    @endpoint(*STAFF)
    @blp_filings.arguments(FilingQuery, location="query")
    @blp_filings.response(200, page_of(FilingSchema))
    def get(self, query):
        db, today = session(), business_date()
        page = read.filings(
            db,
            today,
            query.get("uscc"),
            query.get("status"),
            limit=query["limit"],
            cursor=query["cursor"],
        )
        return {
            "items": read.filing_docs(db, page.items, today),
            "next_cursor": page.next_cursor,
        }

    @endpoint(*MAKER)
    @blp_filings.arguments(FilingSchema)
    @blp_filings.response(201, FilingSchema)
    @blp_filings.alt_response(
        200, schema=FilingSchema, description="the same filing again", success=True
    )
    def post(self, data):
        db, today = session(), business_date()
        filing, created = registry.create_filing(
            db,
            data["filing_no"],
            data["uscc"],
            data["project_name"],
            data["eligible_investment"],
            data["approved_on"],
            today,
            _actor(),
        )
        return read.filing_docs(db, [filing], today)[0], 201 if created else 200


@blp_filings.route("/<filing_no>")
class FilingResource(MethodView):
    @endpoint(*STAFF)
    @blp_filings.response(200, FilingSchema)
    def get(self, filing_no):
        db = session()
        filing = read.filing(db, filing_no)
        if filing is None:
            raise NotFound(f"filing {filing_no}")
        return read.filing_docs(db, [filing], business_date())[0]


@blp_filings.route("/<filing_no>/revoke")
class FilingRevoke(MethodView):
    @endpoint(*MAKER)
    @blp_filings.arguments(RevokeSchema)
    @blp_filings.response(200, FilingSchema)
    def post(self, data, filing_no):
        db, today = session(), business_date()
        filing = registry.revoke_filing(
            db, filing_no, data["reason"], data["effective_on"], data["clawback"], today, _actor()
        )
        return read.filing_docs(db, [filing], today)[0]


@blp_filings.route("/<filing_no>/complete")
class FilingComplete(MethodView):
    @endpoint(*MAKER)
    @blp_filings.arguments(CompleteSchema)
    @blp_filings.response(200, FilingSchema)
    def post(self, data, filing_no):
        """验收 (domain.md §2, §6 v2): the filing takes no loan starting after completed_on."""
        db, today = session(), business_date()
        filing = registry.complete_filing(
            db, filing_no, data["completed_on"], data.get("note"), today, _actor()
        )
        return read.filing_docs(db, [filing], today)[0]


# ====================================================================== policy
_STRING, _INTEGER = {"type": "string"}, {"type": "integer"}
_DATE = {"type": "string", "format": "date"}
_MONEY_TEXT = {"type": "string", "pattern": Money().metadata["pattern"]}
_POLICY_PROPERTIES: dict[str, dict[str, Any]] = {
    "effective_from": _DATE,
    "effective_to": _DATE,
    "subsidy_years": _INTEGER,
    "subsidy_window_anchor": {**_STRING, "enum": list(WINDOW_ANCHORS)},
    "eligible_industries": {
        "type": "array",
        "items": {**_STRING, "pattern": INDUSTRY_CODE_PATTERN},
        "nullable": True,
    },
    "subsidy_ratios": {"type": "array", "items": _STRING},
    "rate_cap_spread_bps": _INTEGER,
    "annual_cap_per_enterprise": _MONEY_TEXT,
    "min_enterprise_age_years": _INTEGER,
    "max_active_filings": _INTEGER,
    "filing_lapse_days": _INTEGER,
    "payee": _STRING,
    "publicity_working_days": _INTEGER,
    "close_day": _INTEGER,
    "npl_dpd": _INTEGER,
    "npl_classifications": {"type": "array", "items": _STRING},
    "compensation_tiers": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"up_to": {**_MONEY_TEXT, "nullable": True}, "ratio": _STRING},
        },
    },
    "claim_cap_per_loan": _MONEY_TEXT,
    "pool_leverage": _INTEGER,
    "pools": {
        "type": "object",
        "description": "v2: per pool code, any of pool_leverage, compensation_tiers, "
        "claim_cap_per_loan (what a pool leaves out comes from the lines above)",
        "additionalProperties": {"type": "object"},
    },
}
assert set(_POLICY_PROPERTIES) == set(DEFAULT_POLICY_DOC)


def _raw(name: str) -> fields.Raw:
    return fields.Raw(
        allow_none=True, metadata={**_POLICY_PROPERTIES[name], "example": DEFAULT_POLICY_DOC[name]}
    )


class _PolicyInBase(Schema):
    """Validated by domain.policy.policy_from_doc, which reports every problem at once."""

    class Meta(Schema.Meta):
        unknown = INCLUDE


PolicyInSchema = _PolicyInBase.from_dict(
    {
        **{name: _raw(name) for name in DEFAULT_POLICY_DOC},
        "version": fields.Raw(
            allow_none=True, metadata={"type": "integer", "description": "the version read"}
        ),
        "in_force_from": fields.Raw(
            allow_none=True,
            metadata={
                "type": "string",
                "description": "ignored: a saved version is in force from the business date",
            },
        ),
    },
    name="PolicyInSchema",
)


class TierSchema(Schema):
    up_to = fields.String(allow_none=True)
    ratio = fields.String()


class PolicySchema(Schema):
    effective_from = fields.String(metadata={"format": "date"})
    effective_to = fields.String(allow_none=True, metadata={"format": "date"})
    subsidy_years = fields.Integer()
    subsidy_window_anchor = fields.String(metadata={"enum": list(WINDOW_ANCHORS)})
    eligible_industries = fields.List(fields.String(), allow_none=True)
    subsidy_ratios = fields.List(fields.String())
    rate_cap_spread_bps = fields.Integer(allow_none=True)
    annual_cap_per_enterprise = fields.String()
    min_enterprise_age_years = fields.Integer()
    max_active_filings = fields.Integer()
    filing_lapse_days = fields.Integer()
    payee = fields.String()
    publicity_working_days = fields.Integer()
    close_day = fields.Integer()
    npl_dpd = fields.Integer()
    npl_classifications = fields.List(fields.String())
    compensation_tiers = fields.List(fields.Nested(TierSchema))
    claim_cap_per_loan = fields.String()
    pool_leverage = fields.Integer()
    pools = fields.Dict(keys=fields.String(), values=fields.Dict())
    version = fields.Integer()
    in_force_from = fields.String(metadata={"format": "date"})


@blp_policy.route("")
class PolicyResource(MethodView):
    @endpoint(*STAFF)
    @blp_policy.response(200, PolicySchema)
    def get(self):
        return registry.current_policy(session()).document()

    @endpoint(*ADMIN)
    @blp_policy.arguments(PolicyInSchema)
    @blp_policy.response(200, PolicySchema)
    def put(self, data):
        version = data.pop("version", None)
        data.pop("in_force_from", None)
        return registry.save_policy(session(), data, version, business_date(), _actor()).document()


# ====================================================================== LPR
class LprSchema(Schema):
    published_on = StrictDate(required=True)
    lpr_1y = Rate(required=True)
    lpr_5y = Rate(required=True)


def _lpr_doc(row) -> dict[str, Any]:
    return {"published_on": row.published_on, "lpr_1y": row.lpr_1y_e4, "lpr_5y": row.lpr_5y_e4}


@blp_lpr.route("")
class Lpr(MethodView):
    @endpoint(*STAFF)
    @blp_lpr.arguments(PageQuery, location="query")
    @blp_lpr.response(200, page_of(LprSchema))
    def get(self, query):
        page = read.lpr_rates(session(), limit=query["limit"], cursor=query["cursor"])
        return {"items": [_lpr_doc(r) for r in page.items], "next_cursor": page.next_cursor}

    @endpoint(*ADMIN)
    @blp_lpr.arguments(LprSchema)
    @blp_lpr.response(201, LprSchema)
    @blp_lpr.alt_response(200, schema=LprSchema, description="the same figures again", success=True)
    def post(self, data):
        row, created = registry.add_lpr(
            session(),
            data["published_on"],
            data["lpr_1y"],
            data["lpr_5y"],
            business_date(),
            _actor(),
        )
        return _lpr_doc(row), 201 if created else 200


# ====================================================================== budgets
class BudgetInSchema(Schema):
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    amount = Money(required=True, validate=_positive)
    reference = _text(255, required=True)


class BudgetSchema(BudgetInSchema):
    budget_id = fields.Integer(dump_only=True)
    entry_id = fields.Integer(
        dump_only=True, metadata={"description": "the appropriation's journal entry"}
    )


class BudgetYearSchema(Schema):
    year = fields.Integer()
    appropriated = Money()
    paid = Money()
    approved_unpaid = Money()
    left = Money(allow_negative=True)


@blp_budgets.route("")
class Budgets(MethodView):
    @endpoint(*STAFF)
    @blp_budgets.arguments(PageQuery, location="query")
    @blp_budgets.response(200, page_of(BudgetYearSchema))
    def get(self, query):
        page = read.budget_years_page(session(), limit=query["limit"], cursor=query["cursor"])
        return {
            "items": [
                {
                    "year": y.year,
                    "appropriated": y.appropriated_fen,
                    "paid": y.paid_fen,
                    "approved_unpaid": y.approved_unpaid_fen,
                    "left": y.left_fen,
                }
                for y in page.items
            ],
            "next_cursor": page.next_cursor,
        }

    @endpoint(*MAKER)
    @blp_budgets.arguments(BudgetInSchema)
    @blp_budgets.response(201, BudgetSchema)
    def post(self, data):
        budget, entry_id = registry.add_budget(
            session(), data["year"], data["amount"], data["reference"], business_date(), _actor()
        )
        return {
            "budget_id": budget.id,
            "year": budget.year,
            "amount": budget.amount_fen,
            "reference": budget.reference,
            "entry_id": entry_id,
        }


# ====================================================================== receivables
class SettlementSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(words(BatchKind)))
    pool_code = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=16),
        metadata={"description": "v2: a compensation receivable's pool (default SZD)"},
    )
    amount = Money(required=True, validate=_positive)
    settled_on = StrictDate(required=True)
    reference = _text(255, required=True)
    payee_id = fields.String(dump_only=True)
    entry_id = fields.Integer(dump_only=True)
    balance = Money(dump_only=True, metadata={"description": "what is still receivable"})


@blp_receivables.route("/<payee_id>/settlements")
class Settlements(MethodView):
    @endpoint(*MAKER)
    @blp_receivables.arguments(SettlementSchema)
    @blp_receivables.response(201, SettlementSchema)
    def post(self, data, payee_id):
        s = registry.settle_receivable(
            session(),
            payee_id,
            data["kind"],
            data["amount"],
            data["settled_on"],
            data["reference"],
            business_date(),
            _actor(),
            data.get("pool_code"),
        )
        return {
            "payee_id": s.payee_id,
            "kind": s.kind,
            "pool_code": s.pool_code,
            "amount": s.amount_fen,
            "settled_on": s.settled_on,
            "reference": s.reference,
            "entry_id": s.entry_id,
            "balance": s.balance_fen,
        }


BLUEPRINTS = [
    blp_products,
    blp_enterprises,
    blp_filings,
    blp_policy,
    blp_lpr,
    blp_budgets,
    blp_receivables,
]
