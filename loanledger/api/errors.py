"""Errors as application/problem+json (RFC 9457) with field-level `errors`.

Every refusal is a `domain.errors.Refusal`: the domain raises `DomainError` (422), the use
cases `Conflict` (409) and `NotFound` (404), the api itself `ApiError` for what the HTTP
protocol refuses (headers, signatures, tokens, roles, rate limits). One handler answers each
from its status, code, message and field (`problems.refusal_response`); marshmallow
validation errors are flattened into `{field, code, message}` with field paths like
`events[3].amount` (`wire/messages.py`). Anything unexpected is logged and answered 500
without internals.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, request
from marshmallow import INCLUDE, Schema, fields
from werkzeug.exceptions import HTTPException

from loanledger.domain.errors import Refusal
from loanledger.observability.logs import log_unexpected
from loanledger.problems import http_exception_response, problem, refusal_response

log = logging.getLogger(__name__)


# api.md's table: the codes each error status may carry (documented on every operation).
ERROR_CODES = {
    400: ("malformed_json", "missing_header"),
    401: ("unknown_key", "bad_signature", "timestamp_skew", "nonce_reused", "invalid_token"),
    403: ("forbidden",),
    404: ("not_found",),
    409: (
        "invalid_state",
        "request_in_flight",
        "version_conflict",
        "period_not_over",
        "previous_period_open",
        "period_before_first_close",
        "business_date_backwards",
        "publicity_not_over",
        "open_objections",
        "same_person",
        "budget_exceeded",
        "already_linked",
    ),
    413: ("body_too_large",),
    422: (
        "invalid_format",
        "unknown_field",
        "required",
        "invalid_uscc",
        "unknown_product",
        "unknown_enterprise",
        "unknown_filing",
        "filing_enterprise_mismatch",
        "max_active_filings",
        "maturity_not_after_start",
        "contract_conflict",
        "event_id_conflict",
        "idempotency_key_reused",
        "future_date",
        "exceeds_contract_principal",
        "balance_negative",
        "interest_period_overlap",
        "no_disbursement",
        "before_start_date",
        "after_maturity_date",
        "not_npl",
        "unknown_target",
        "loan_settled",
        "balance_not_zero",
        "filing_completed",  # api.md, Version 2 additions
        "unknown_pool",  # api.md, Version 2 additions
        "unknown_list",  # api.md, Version 2 additions
        "product_not_eligible",
    ),
    429: ("rate_limited",),
}


class ProblemErrorSchema(Schema):
    field = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "path of the offending field, e.g. `events[3].amount`"},
    )
    code = fields.String(required=True, metadata={"description": "a code of api.md's error table"})
    message = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details with field-level `errors` (api.md, Conventions). Extension
    members are allowed (RFC 9457 §3.2), e.g. `import_id` on a refused import."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(ProblemErrorSchema), required=True)


class ApiError(Refusal):
    """A refusal of the HTTP layer itself; its status is the protocol step's (400 a missing
    header, 401 a signature or token, 403 a role, 409 a request in flight, 422, 429)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(code, message, field, problems=errors, headers=headers)
        self.status = status


def invalid(code: str, message: str, field: str | None = None) -> ApiError:
    return ApiError(422, code, message, field)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(Refusal)
    def _refusal(error: Refusal):
        return refusal_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        return http_exception_response(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log_unexpected(log, error, f"unhandled error on {request.method} {request.path}")
        return problem(
            500,
            "internal error",
            [{"field": None, "code": "internal", "message": "internal error"}],
        )
