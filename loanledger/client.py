"""A bank's client for the LoanLedger API: HMAC request signing (api.md, Authentication).

Standard library only, so a bank integration (or a benchmark) can copy this one file.
`sign` must agree with the server's `loanledger.api.auth`; tests/integration/test_client.py
checks that it does.
"""
from __future__ import annotations

import hashlib
import hmac
import json as jsonlib
import secrets
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import quote, urlencode, urlsplit

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Characters left as they are in a signed path; everything else is percent-encoded (UTF-8).
PATH_SAFE = "/:@!$&'()*+,;=-._~%"


def canonical_query(query: str) -> str:
    """'b=2&a=1&a=0' → 'a=0&a=1&b=2': pairs as sent (still percent-encoded), sorted."""
    pairs = [pair for pair in query.split("&") if pair]
    return "&".join(sorted(pairs, key=lambda p: tuple(p.split("=", 1) + [""])[:2]))


def string_to_sign(method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join([method, path, canonical_query(query), timestamp, nonce, hashlib.sha256(body).hexdigest()])


def sign(secret: str, method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of the string-to-sign."""
    message = string_to_sign(method.upper(), path, query, str(timestamp), nonce, body)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-]


@dataclass
class Response:
    status_code: int
    headers: Mapping[str, str]
    data: bytes

    @property
    def json(self) -> Any:
        return jsonlib.loads(self.data) if self.data else None


@dataclass
class Prepared:
    method: str
    path: str          # percent-encoded, as signed
    query: str         # percent-encoded, as sent
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def target(self) -> str:
        return self.path + ("?" + self.query if self.query else "")


class BankClient:
    """Signs and sends requests: fresh nonce and timestamp each time, and a fresh
    Idempotency-Key on every write unless the caller passes one (to retry safely)."""

    def __init__(self, base_url: str, key_id: str, secret: str, *, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.prefix = urlsplit(self.base_url).path.rstrip("/")
        self.key_id = key_id
        self.secret = secret
        self.timeout = timeout

    def prepare(self, method: str, path: str, json: Any = None, params: Mapping[str, Any] | None = None,
                *, idempotency_key: str | None = None, body: bytes | None = None) -> Prepared:
        method = method.upper()
        if body is None:
            body = b"" if json is None else jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
        query = urlencode(sorted((params or {}).items()), doseq=True, quote_via=quote)
        prepared = Prepared(method, quote(self.prefix + path, safe=PATH_SAFE), query, body)
        timestamp, nonce = str(int(time.time())), new_nonce()
        prepared.headers.update({
            "X-LL-Key": self.key_id,
            "X-LL-Timestamp": timestamp,
            "X-LL-Nonce": nonce,
            "X-LL-Signature": sign(self.secret, method, prepared.path, query, timestamp, nonce, body),
        })
        if json is not None or body:
            prepared.headers["Content-Type"] = "application/json"
        if method in WRITE_METHODS:
            prepared.headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        return prepared

    def request(self, method: str, path: str, json: Any = None, params: Mapping[str, Any] | None = None,
                **options: Any) -> Response:
        return self.send(self.prepare(method, path, json, params, **options))

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Response:
        return self.request("GET", path, params=params)

    def post(self, path: str, json: Any = None, **options: Any) -> Response:
        return self.request("POST", path, json, **options)

    def send(self, prepared: Prepared) -> Response:
        origin = self.base_url[: len(self.base_url) - len(self.prefix)] if self.prefix else self.base_url
        request = urllib.request.Request(origin + prepared.target, data=prepared.body or None,
                                         headers=prepared.headers, method=prepared.method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return Response(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:  # 4xx/5xx still carry a problem+json body
            with error:
                return Response(error.code, dict(error.headers), error.read())


class TestClientBank(BankClient):
    """The same signing, sent through a Flask/Werkzeug test client instead of the network
    (demo data and the test suite). Returns the test client's response object."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, test_client: Any, key_id: str, secret: str, bank_code: str | None = None):
        super().__init__("http://localhost", key_id, secret)
        self.test_client = test_client
        self.bank_code = bank_code

    def send(self, prepared: Prepared) -> Any:
        return self.test_client.open(prepared.target, method=prepared.method,
                                     data=prepared.body, headers=prepared.headers)
