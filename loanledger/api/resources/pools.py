"""Risk pools (api.md "Version 2 additions"): the pools, each with its figures, and the
deposits into them. `GET /risk-pool` is version 1's one pool, now `GET /risk-pools/SZD`.

Administrators create pools, clerks record deposits, every staff role reads. The views
translate; `services.pools` decides.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate

from loanledger.api.auth import endpoint
from loanledger.api.pagination import PageQuery, page_of
from loanledger.domain.pools import POOL_CODE_PATTERN, SZD
from loanledger.domain.vocabulary import STAFF_ROLES, PoolEligibility, Role, words
from loanledger.request_context import business_date, principal, session
from loanledger.services import pools, read
from loanledger.services.errors import NotFound
from loanledger.wire.fields import Money, Schema, StrictDate, free_text

blp_risk_pools = Blueprint(
    "risk_pools", __name__, url_prefix="/risk-pools", description="Risk-compensation pools (v2)"
)
blp_pool = Blueprint(
    "risk_pool",
    __name__,
    url_prefix="/risk-pool",
    description="Pool SZD as version 1 knew it, and deposits into any pool",
)


def _positive(value: int) -> None:
    if value <= 0:
        raise ValidationError("must be more than 0.00")


class PoolCode(fields.String):
    """A pool code as the ledger's accounts can carry it (`1202:{pool}:{bank}`)."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("pattern", POOL_CODE_PATTERN)
        metadata.setdefault("example", SZD)
        super().__init__(metadata=metadata, validate=validate.Regexp(POOL_CODE_PATTERN), **kwargs)


class RiskPoolSchema(Schema):
    pool_code = PoolCode(required=True)
    name = free_text(255, required=True)
    operator = free_text(255, required=True)  # who holds the money, e.g. 中盈投资
    eligibility = fields.String(required=True, validate=validate.OneOf(words(PoolEligibility)))
    list_code = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "the enterprise list, exactly when eligibility is enterprise_list"
        },
    )


class PoolSchema(Schema):
    cash = Money(allow_negative=True, metadata={"description": "balance of account 1101:{pool}"})
    owed = Money(metadata={"description": "Σ over banks of max(0, what the pool owes the bank)"})
    available = Money(allow_negative=True, metadata={"description": "cash − owed"})
    covered_principal = Money(
        metadata={"description": "contract principal of its covered loans not settled nor claimed"}
    )
    capacity = Money(
        allow_negative=True, metadata={"description": "cash × leverage − covered_principal"}
    )
    leverage = fields.Integer(metadata={"description": "pools[code].pool_leverage or the default"})
    claim_count = fields.Integer(metadata={"description": "claims on this pool so far"})
    claims = Money(metadata={"description": "Σ compensation of those claims"})
    shortfall = Money(
        metadata={"description": "what the pool's cash could not line yet (paid as cash frees)"}
    )


class RiskPoolView(RiskPoolSchema, PoolSchema):
    pass


class DepositSchema(Schema):
    pool_code = PoolCode(load_default=SZD, metadata={"description": "v2; default SZD"})
    amount = Money(required=True, validate=_positive)
    deposited_on = StrictDate(required=True)
    reference = free_text(255, required=True)
    deposit_id = fields.Integer(dump_only=True)
    entry_id = fields.Integer(dump_only=True)


def _figures(pool_code: str) -> dict[str, Any]:
    status = read.pool_status(session(), business_date(), pool_code)
    return {
        "cash": status.cash_fen,
        "owed": status.owed_fen,
        "available": status.available_fen,
        "covered_principal": status.covered_principal_fen,
        "capacity": status.capacity_fen,
        "leverage": status.leverage,
        "claim_count": status.claim_count,
        "claims": status.claims_fen,
        "shortfall": status.shortfall_fen,
    }


def _view(pool_code: str) -> dict[str, Any]:
    row = read.risk_pool(session(), pool_code)
    if row is None:
        raise NotFound(f"risk pool {pool_code}")
    return {**pools.pool_doc(row), **_figures(pool_code)}


@blp_risk_pools.route("")
class RiskPools(MethodView):
    @endpoint(*STAFF_ROLES)
    @blp_risk_pools.arguments(PageQuery, location="query")
    @blp_risk_pools.response(200, page_of(RiskPoolView))
    def get(self, query):
        page = read.risk_pools(session(), limit=query["limit"], cursor=query["cursor"])
        return {
            "items": [{**pools.pool_doc(p), **_figures(p.pool_code)} for p in page.items],
            "next_cursor": page.next_cursor,
        }

    @endpoint(Role.ADMIN)
    @blp_risk_pools.arguments(RiskPoolSchema)
    @blp_risk_pools.response(201, RiskPoolView)
    @blp_risk_pools.alt_response(
        200, schema=RiskPoolView, description="the same pool again", success=True
    )
    def post(self, data):
        pool, created = pools.create_pool(session(), data, principal().actor)
        return _view(pool.pool_code), 201 if created else 200


@blp_risk_pools.route("/<pool_code>")
class RiskPoolResource(MethodView):
    @endpoint(*STAFF_ROLES)
    @blp_risk_pools.response(200, RiskPoolView)
    def get(self, pool_code):
        return _view(pool_code)


@blp_pool.route("")
class Pool(MethodView):
    @endpoint(*STAFF_ROLES)
    @blp_pool.response(200, PoolSchema)
    def get(self):
        """Version 1's one pool: the figures of `GET /risk-pools/SZD`."""
        return _figures(SZD)


@blp_pool.route("/deposits")
class PoolDeposits(MethodView):
    @endpoint(Role.CLERK)
    @blp_pool.arguments(DepositSchema)
    @blp_pool.response(201, DepositSchema)
    def post(self, data):
        deposit, entry_id = pools.add_deposit(
            session(),
            data["pool_code"],
            data["amount"],
            data["deposited_on"],
            data["reference"],
            business_date(),
            principal().actor,
        )
        return {
            "pool_code": deposit.pool_code,
            "deposit_id": deposit.id,
            "amount": deposit.amount_fen,
            "deposited_on": deposit.deposited_on,
            "reference": deposit.reference,
            "entry_id": entry_id,
        }


BLUEPRINTS = [blp_risk_pools, blp_pool]
