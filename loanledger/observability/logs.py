"""JSON logs, one object per line, with the request id on every record of a request.

- `RequestIdFilter` (a logging.Filter on the handler) copies `flask.g.request_id` onto each
  record, so any logger used while a request is served carries it.
- `JsonFormatter` writes `ts`, `level`, `logger`, `message`, `request_id`, any `extra={...}`
  fields and `exc_info` as one JSON object (a small Formatter of our own: see
  docs/decisions.md, "Operations").
- `begin_request` / `end_request` give each request its id (an incoming `X-Request-Id` of
  1–128 printable ASCII characters, else a new uuid4 hex), return it in `X-Request-Id`, and
  write one access record to the `loanledger.access` logger.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import traceback
import uuid

from flask import Response, current_app, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-Id"
_VALID_ID = re.compile(r"[\x20-\x7e]{1,128}")
access_log = logging.getLogger("loanledger.access")

# The attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
}


def log_unexpected(logger: logging.Logger, error: BaseException, what: str) -> None:
    """Log an unexpected error with its stack, but a database error only by its kind, its
    primary message and its statement: the values bound to the statement and PostgreSQL's
    DETAIL ('Failing row contains (...)', 'Key (uscc)=(...)') are banks' and enterprises'
    data, which the log must not carry."""
    from sqlalchemy.exc import StatementError

    if not isinstance(error, StatementError):
        logger.error("%s", what, exc_info=error)
        return
    original = error.orig
    diag = getattr(original, "diag", None)
    primary = getattr(diag, "message_primary", None) or str(original).split("\n", 1)[0]
    stack = "".join(traceback.format_tb(error.__traceback__))
    logger.error(
        "%s: %s (%s): %s\n[SQL: %s]\n%s",
        what,
        type(error).__name__,
        type(original).__name__,
        primary,
        error.statement,
        stack,
    )


def request_id_for(incoming: str | None) -> str:
    if incoming is not None and _VALID_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out:
                out[key] = value
        if record.exc_info:
            out["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of the record (not the one at set-up,
    which a test runner's capture may have closed since)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr


def json_handler(stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(level: int = logging.INFO) -> None:
    """JSON lines on stderr from the root logger; once per process (create_app may run often)."""
    root = logging.getLogger()
    if any(getattr(handler, "_loanledger_json", False) for handler in root.handlers):
        return
    handler = json_handler()
    handler._loanledger_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def begin_request() -> None:
    g.request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()


def elapsed() -> float:
    return time.perf_counter() - g.get("request_started", time.perf_counter())


def end_request(response: Response, seconds: float) -> Response:
    request_id = g.get("request_id") or request_id_for(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    # LOANLEDGER_ACCESS_LOG=False in app.config: no access records (an in-process client, e.g. demo data).
    if access_log.isEnabledFor(logging.INFO) and current_app.config.get(
        "LOANLEDGER_ACCESS_LOG", True
    ):
        who = g.get("principal")
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
                "principal": who.actor if who is not None else None,
            },
        )
    return response
