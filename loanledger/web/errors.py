"""Error pages in HTML for the web pages; /api/v1 keeps its problem+json answers."""

from __future__ import annotations

import logging
from typing import TypeVar

from flask import Flask, abort, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as HttpNotFound

from loanledger.domain.errors import Refusal
from loanledger.observability.logs import log_unexpected
from loanledger.problems import http_exception_response
from loanledger.web import web

log = logging.getLogger(__name__)


def error_page(status: int):
    key = f"error.{status}" if status in (400, 403, 404, 405, 413, 429, 500) else "error.400"
    return render_template("error.html", status=status, message_key=key), status


@web.errorhandler(HTTPException)
def _http(error: HTTPException):
    return error_page(error.code or 500)


@web.errorhandler(Refusal)
def _refusal(error: Refusal):
    """A refusal no form caught (a NotFound on a page's own object, mostly): its status's page,
    with the refusal's headers (Retry-After of a 429)."""
    body, status = error_page(error.status)
    return body, status, error.headers


@web.errorhandler(Exception)
def _unexpected(error: Exception):
    log_unexpected(log, error, f"unhandled error on {request.method} {request.path}")
    return error_page(500)


def register_app_handlers(app: Flask) -> None:
    """A URL no route matches belongs to no blueprint: answer it as a page unless it is
    under /api/, which answers exactly as before (problems.py)."""

    def unmatched(error: HTTPException):
        if request.path == "/api" or request.path.startswith("/api/"):
            return http_exception_response(error)
        return error_page(error.code or 404)

    app.register_error_handler(HttpNotFound, unmatched)
    app.register_error_handler(MethodNotAllowed, unmatched)


T = TypeVar("T")


def found_or_404(found: T | None) -> T:
    """What a page's read found; nothing (or what the reader may not see, which the reads
    answer as nothing) is 404, as if it did not exist."""
    if found is None:
        abort(404)
    return found
