"""problem+json answers (RFC 9457): the body every error under /api/ takes, and how an HTTP
exception (malformed JSON, a body too large, an unknown URL, a schema's refusal) is answered.

Beside app.py: the API's error handlers answer with it, and so does the app-wide handler for
a URL under /api/ that no route matches (web/errors.py), without the web importing the API.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from werkzeug.exceptions import HTTPException

from loanledger.domain.errors import Refusal
from loanledger.observability import metrics
from loanledger.wire.messages import validation_errors

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
}

PROBLEM_MIMETYPE = "application/problem+json"


def problem(
    status: int,
    detail: str,
    errors: list[dict[str, Any]],
    headers=None,
    members: dict[str, Any] | None = None,
) -> Response:
    metrics.count_error(errors[0]["code"] if errors else str(status))
    body = {
        "type": f"https://loanledger.example/problems/{errors[0]['code'] if errors else status}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "errors": errors,
        **(members or {}),
    }
    response = Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        mimetype=PROBLEM_MIMETYPE,
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def refusal_response(error: Refusal) -> Response:
    """Any refusal as problem+json: its status, `detail`, every problem, headers and members."""
    return problem(error.status, error.detail, error.problems, error.headers, error.members)


def http_exception_response(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None)
    headers = dict(error.get_headers()) if status == 405 else {}
    headers.pop("Content-Type", None)
    if status == 422 and data:
        errors = validation_errors(data)
        return problem(
            422,
            "the request is not valid",
            errors or [{"field": None, "code": "invalid_format", "message": "invalid"}],
        )
    if status == 413:
        return problem(
            413,
            "the body is too large",
            [{"field": None, "code": "body_too_large", "message": "request body too large"}],
        )
    if status == 400:
        return problem(
            400,
            error.description or "bad request",
            [
                {
                    "field": None,
                    "code": "malformed_json",
                    "message": error.description or "malformed request",
                }
            ],
        )
    if status == 404:
        return problem(
            404, "not found", [{"field": None, "code": "not_found", "message": "no such resource"}]
        )
    if status == 405:
        return problem(
            405,
            "method not allowed",
            [{"field": None, "code": "method_not_allowed", "message": error.description or ""}],
            headers,
        )
    code = {401: "invalid_token", 403: "forbidden", 415: "unsupported_media_type"}.get(
        status, "error"
    )
    return problem(
        status,
        error.description or "",
        [{"field": None, "code": code, "message": error.description or ""}],
    )
