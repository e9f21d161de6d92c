"""The Flask side of operations: /healthz, /readyz, /metrics and the per-request hooks.

The three endpoints live outside /api/v1, need no authentication and are not in the OpenAPI
document (plain Flask routes, not flask-smorest blueprints). docs/operations.md has the rest.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from config import Settings
from loanledger.observability import health, logs, metrics

ops = Blueprint("ops", __name__)
METRICS_SETTING = "LOANLEDGER_METRICS_ENABLED"


@ops.get("/healthz")
def healthz():
    response = jsonify(status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response


@ops.get("/readyz")
def readyz():
    ready, body = health.readiness(current_app.extensions["loanledger"].engine)
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@ops.get("/metrics")
def prometheus_metrics():
    if not current_app.config.get(METRICS_SETTING, True):
        from werkzeug.exceptions import NotFound

        raise NotFound()
    payload, content_type = metrics.exposition()
    return Response(payload, content_type=content_type, headers={"Cache-Control": "no-store"})


def _before() -> None:
    logs.begin_request()


def _after(response: Response) -> Response:
    seconds = logs.elapsed()
    rule = request.url_rule.rule if request.url_rule is not None else metrics.UNMATCHED
    metrics.observe_request(request.method, rule, response.status_code, seconds)
    return logs.end_request(response, seconds)


def init_app(app: Flask, settings: Settings) -> None:
    """Register the endpoints and the per-request hooks; outside the tests, JSON logging.
    /metrics can be turned off with LOANLEDGER_METRICS_ENABLED=false (answers 404)."""
    app.config.setdefault(METRICS_SETTING, settings.metrics_enabled)
    app.register_blueprint(ops)
    # First of the app's before_request functions: every request has its id and start time,
    # whatever another hook answers.
    app.before_request_funcs.setdefault(None, []).insert(0, _before)
    # after_request functions run last-registered first: at index 0, this one runs last and
    # sees the final status.
    app.after_request_funcs.setdefault(None, []).insert(0, _after)
    if settings.env != "testing":
        logs.configure_logging()
