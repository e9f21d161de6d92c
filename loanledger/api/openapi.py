"""One place that documents what every operation shares, so the document cannot drift:

- the error answers: 400, 401, 403, 404, 409, 413, 422 and 429 as `application/problem+json`
  (`Problem`), each listing the codes of api.md's table; they replace flask-smorest's
  `default` and `422` answers, which describe another error shape;
- for signed bank writes (security `bankHmac`, POST/PUT/PATCH/DELETE), the required
  `Idempotency-Key` header and the `Idempotent-Replayed` header of a replayed answer;
- `Retry-After` on 429.

`security` itself comes from `loanledger.api.auth.endpoint`, which knows who may call.
"""

from __future__ import annotations

from apispec import BasePlugin

from loanledger.api.errors import ERROR_CODES, ProblemSchema
from loanledger.problems import PROBLEM_MIMETYPE

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
WRITE_METHODS = ("post", "put", "patch", "delete")
ERROR_DESCRIPTIONS = {
    400: "Malformed body or missing header",
    401: "Authentication failed",
    403: "The role may not do this",
    404: "Not found (also another bank's record)",
    409: "State conflict, or the same Idempotency-Key still in flight",
    413: "Body too large",
    422: "Validation or business rule refused",
    429: "Rate limit: retry after `Retry-After` seconds",
}
IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": True,
    "description": "1–255 printable ASCII characters, scoped to the bank: a repeat with the same body gets the "
    "first answer again with `Idempotent-Replayed: true` (docs/bank-integration.md)",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^[\\x20-\\x7e]{1,255}$",
    },
}
REPLAYED_HEADER = {
    "description": "`true` when this is the stored answer of an earlier request with the same Idempotency-Key",
    "schema": {"type": "string", "enum": ["true"]},
}


def _response_name(status: int) -> str:
    return f"Problem{status}"


class ProblemResponsesPlugin(BasePlugin):
    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        spec.components.schema("Problem", schema=ProblemSchema)
        for status, codes in ERROR_CODES.items():
            response = {
                "description": f"{ERROR_DESCRIPTIONS[status]}. Codes: "
                + ", ".join(f"`{c}`" for c in codes),
                "content": {PROBLEM_MIMETYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            }
            if status == 429:
                response["headers"] = {
                    "Retry-After": {
                        "description": "whole seconds to wait",
                        "schema": {"type": "integer", "minimum": 1},
                    }
                }
            spec.components.response(_response_name(status), response)

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for method, operation in (operations or {}).items():
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            responses.pop("default", None)
            for status in ERROR_CODES:
                responses[str(status)] = _response_name(status)
            operation["responses"] = dict(sorted(responses.items(), key=lambda item: str(item[0])))
            if method in WRITE_METHODS and {"bankHmac": []} in operation.get("security", []):
                self._bank_write(operation)

    @staticmethod
    def _bank_write(operation: dict) -> None:
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == "Idempotency-Key" for p in parameters if isinstance(p, dict)):
            parameters.append(dict(IDEMPOTENCY_KEY))
        for status, response in operation["responses"].items():
            if str(status).startswith("2") and isinstance(response, dict):
                response.setdefault("headers", {})["Idempotent-Replayed"] = REPLAYED_HEADER


def register_openapi(api) -> None:
    """Before any blueprint is registered: the plugin must see every path."""
    api.DEFAULT_ERROR_RESPONSE_NAME = None
    plugin = ProblemResponsesPlugin()
    plugin.init_spec(api.spec)
    api.spec.plugins.append(plugin)
