"""A bank endpoint for the authentication tests: signed-request endpoints under PROBE that do
nothing but answer, registered on the test app by tests/conftest.py (the `probe` fixture)."""

from __future__ import annotations

import uuid

import flask

from loanledger.api.auth import endpoint
from loanledger.api.errors import ApiError
from loanledger.request_context import principal
from tests.support.api import API

PROBE = f"{API}/_probe"


def probe_blueprint() -> flask.Blueprint:
    """Signed-request endpoints that do nothing but answer, so authentication and
    idempotency are tested apart from the business endpoints. `blueprint.runs`: what the
    write views ran."""
    blueprint = flask.Blueprint("probe", __name__, url_prefix=PROBE)
    runs: list[str] = []

    @blueprint.get("/bank")
    @blueprint.get("/bank/<path:rest>")
    @endpoint(bank=True)
    def read(rest: str = ""):
        return {
            "bank_code": principal().bank_code,
            "rest": rest,
            "args": flask.request.args.to_dict(flat=False),
        }

    @blueprint.post("/bank")
    @endpoint(bank=True)
    def write():
        runs.append(uuid.uuid4().hex)
        return {
            "bank_code": principal().bank_code,
            "echo": flask.request.get_json(),
            "run": runs[-1],
        }, 201

    @blueprint.post("/refuse")
    @endpoint(bank=True)
    def refuse():
        runs.append("refused")
        raise ApiError(422, "invalid_format", "always refused", "x")

    blueprint.runs = runs
    return blueprint
