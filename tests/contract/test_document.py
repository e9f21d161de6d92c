"""What every operation of /api/v1/openapi.json declares (loanledger.api.openapi), and that
the error codes it documents are api.md's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loanledger.api.errors import ERROR_CODES

API_MD = Path(__file__).resolve().parent / "spec" / "api.md"  # a copy of shared/spec/api.md
METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture
def document(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def test_every_operation_declares_the_problem_answers(document):
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        assert "default" not in responses, (method, path)
        for status in ERROR_CODES:
            assert responses[str(status)] == {"$ref": f"#/components/responses/Problem{status}"}, (
                method,
                path,
            )
    problem = document["components"]["responses"]["Problem422"]
    assert list(problem["content"]) == ["application/problem+json"]
    assert "`idempotency_key_reused`" in problem["description"]
    assert "Retry-After" in document["components"]["responses"]["Problem429"]["headers"]
    schema = document["components"]["schemas"]["Problem"]
    assert set(schema["required"]) == {"type", "title", "status", "detail", "errors"}


def test_security_is_declared_and_bank_writes_need_an_idempotency_key(document):
    seen = set()
    for method, path, operation in _operations(document):
        schemes = {name for requirement in operation.get("security", []) for name in requirement}
        seen |= schemes
        params = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "header"}
        if "bankHmac" in schemes and method != "get":
            assert "Idempotency-Key" in params, (method, path)
            success = [r for status, r in operation["responses"].items() if status.startswith("2")]
            assert all("Idempotent-Replayed" in r.get("headers", {}) for r in success), (
                method,
                path,
            )
        else:
            assert "Idempotency-Key" not in params, (method, path)
        if path == "/api/v1/auth/tokens" or path.startswith("/api/v1/public/"):
            assert not schemes  # sign-in, and what the bureau publishes for anyone
        elif path.startswith("/api/v1/"):
            assert schemes, (method, path)
    assert seen == {"bankHmac", "bearer"}


def test_bank_endpoints_of_this_surface(document):
    ops = {(m, p): o for m, p, o in _operations(document)}
    for key in (
        ("post", "/api/v1/control-totals"),
        ("get", "/api/v1/control-totals"),
        ("get", "/api/v1/statements/{period}"),
    ):
        assert key in ops
    assert ops[("get", "/api/v1/control-totals")]["security"] == [{"bankHmac": []}, {"bearer": []}]
    assert ops[("get", "/api/v1/statements/{period}")]["security"] == [{"bankHmac": []}]


def test_int_path_ids_are_bounded(document):
    for _method, path, _operation in _operations(document):
        for param in document["paths"][path].get("parameters", []):
            if param["schema"].get("type") == "integer":
                assert param["schema"]["maximum"] <= 2**63 - 1, (path, param)


def test_the_error_codes_are_those_of_api_md():
    """The table's codes, in its order, then those of the version 2 additions ("New refusal
    codes: 422 `x`, …") that this build answers: every v1 code, and no code api.md lacks."""
    text = API_MD.read_text(encoding="utf-8")
    table = {}
    for status, codes in re.findall(r"^\| (\d{3}) \|[^|]*\| (.*) \|$", text, re.M):
        table[int(status)] = tuple(re.findall(r"`(\w+)`", codes))
    (added,) = re.findall(r"^New refusal codes: (.*?)\n\n", text, re.M | re.S)
    v2 = {(int(status), code) for status, code in re.findall(r"(\d{3}) `(\w+)`", added)}
    assert (422, "filing_completed") in v2
    assert (422, "product_not_eligible") in v2
    for status, codes in ERROR_CODES.items():
        v1 = table[status]
        assert codes[: len(v1)] == v1, status
        assert all((status, code) in v2 for code in codes[len(v1) :]), status
    assert set(table) == set(ERROR_CODES)
