"""The HTTP API under /api/v1: one blueprint per resource family."""

from __future__ import annotations

from importlib import import_module

from flask_smorest import Api, Blueprint
from werkzeug.routing import IntegerConverter

from loanledger.api.openapi import register_openapi
from loanledger.api.parsing import StrictParser
from loanledger.wire.fields import register_fields

RESOURCE_MODULES = (
    "auth",  # tokens
    "admin",  # business date
    "reference",  # products, enterprises, blacklist, filings, policy, LPR, budgets
    "lists",  # enterprise lists (名录库): lists, memberships, imports
    "pools",  # risk pools and their deposits (v2)
    "loans",  # bank loans and events, staff loan views and linking
    "periods",  # close, periods, batches, lines, claims, ledger
    "statements",  # bank control totals and statements
    "imports",  # file imports of loans and events, templates
    "objections",  # objections during 公示
    "audit",  # the audit trail, an enterprise's own subsidies
    "reconciliation",  # per-period reconciliation report (JSON, CSV, XLSX)
    "forecast",  # the budget forecast and the policy what-if (reports)
    "public",  # what anyone may read without sign-in: the 公示 lists
)

# Every blueprint's @arguments reads JSON bodies strictly (api/parsing.py). Set here, in the
# package, so it is in place before any resource module declares its arguments.
Blueprint.ARGUMENTS_PARSER = StrictParser()

BIGINT_MAX = 2**63 - 1


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` path ids are BIGINT columns: a larger number names nothing (404, and
    documented as `maximum`), where it used to reach the driver and answer 500."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, BIGINT_MAX if max is None else max, signed)


def register_api(api: Api) -> None:
    register_fields(api)
    register_openapi(api)
    api._app.url_map.converters["int"] = BoundedIntConverter  # before any rule is added
    for name in RESOURCE_MODULES:
        module = import_module(f"loanledger.api.resources.{name}")
        for blueprint in module.BLUEPRINTS:
            api.register_blueprint(blueprint, url_prefix="/api/v1" + (blueprint.url_prefix or ""))
