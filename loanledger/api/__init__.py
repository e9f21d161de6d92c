"""The HTTP API under /api/v1: one blueprint per resource family."""
from __future__ import annotations

from importlib import import_module

from flask_smorest import Api

from loanledger.api.fields import register_fields

RESOURCE_MODULES = (
    "auth",       # tokens
    "admin",      # business date
    "reference",  # products, enterprises, blacklist, filings, policy, LPR, budgets, pool
    "loans",      # bank loans and events, staff loan views and linking
    "periods",    # close, periods, batches, lines, claims, ledger
)


def register_api(api: Api) -> None:
    register_fields(api)
    for name in RESOURCE_MODULES:
        module = import_module(f"loanledger.api.resources.{name}")
        for blueprint in module.BLUEPRINTS:
            api.register_blueprint(blueprint, url_prefix="/api/v1" + (blueprint.url_prefix or ""))
