"""A bank's client for the LoanLedger API (api.md, Authentication; docs/bank-integration.md).

Standard library only, so a bank integration (or a benchmark) can copy this one file.

- `sign` must agree with the server's `loanledger.api.auth`; tests/integration/test_client.py
  checks that it does.
- Every write carries an Idempotency-Key (a new one per intended write, the same one for
  each retry of it).
- `request` retries what may succeed later, with the same Idempotency-Key and a fresh nonce,
  timestamp and signature: network errors, 5xx, 409 `request_in_flight`, and 429 after
  `Retry-After`; with exponential backoff and full jitter, a bounded number of attempts
  (`RetryPolicy`). Refusals (other 4xx) are answers, never retried.
- `post_events_bulk` / `post_loans_bulk` cut a list into requests of at most 5,000 items and
  add up the per-item results.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json as jsonlib
import random
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
API = "/api/v1"
BULK_MAX_ITEMS = 5000  # api.md: at most 5,000 items a bulk request
# Characters left as they are in a signed path; everything else is percent-encoded (UTF-8).
PATH_SAFE = "/:@!$&'()*+,;=-._~%"


def canonical_query(query: str) -> str:
    """'b=2&a=1&a=0' → 'a=0&a=1&b=2': pairs as sent (still percent-encoded), sorted."""
    pairs = [pair for pair in query.split("&") if pair]
    return "&".join(sorted(pairs, key=lambda p: (*p.split("=", 1), "")[:2]))


def string_to_sign(
    method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes
) -> str:
    return "\n".join(
        [method, path, canonical_query(query), timestamp, nonce, hashlib.sha256(body).hexdigest()]
    )


def sign(
    secret: str, method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes
) -> str:
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


@dataclass(frozen=True)
class RetryPolicy:
    """How `BankClient.request` retries. Attempt n (n ≥ 1 retries so far) waits a random time
    in [0, min(max_delay, base_delay × 2^(n-1))] ("full jitter"), or `Retry-After` seconds
    (at most max_delay) plus up to base_delay of jitter when the server sent one."""

    attempts: int = 5  # in all, the first one included
    base_delay: float = 0.5  # seconds
    max_delay: float = 30.0  # seconds, for one wait
    statuses: tuple[int, ...] = (429, 500, 502, 503, 504)
    in_flight_code: str = "request_in_flight"  # the one 409 worth retrying

    def __post_init__(self):
        if self.attempts < 1 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("attempts ≥ 1 and delays ≥ 0")


NO_RETRY = RetryPolicy(attempts=1)
NETWORK_ERRORS = (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException)


class BulkError(Exception):
    """A bulk request was answered with something else than 200: `response` is that answer,
    `offset` the index of its first item, `partial` the results of the requests before it
    (committed: each request stands on its own)."""

    def __init__(self, response: Any, offset: int, partial: dict[str, Any]):
        super().__init__(f"bulk request at item {offset} answered {response.status_code}")
        self.response, self.offset, self.partial = response, offset, partial


class AnswerError(Exception):
    """The server answered something the call cannot go on from: `response` is that answer."""

    def __init__(self, what: str, response: Any):
        super().__init__(f"{what} answered {response.status_code}")
        self.response = response


def _json_of(response: Any) -> Any:
    try:
        return response.json
    except (ValueError, TypeError):
        return None


def problem_code(response: Any) -> str | None:
    """The first error code of a problem+json answer (None for anything else)."""
    body = _json_of(response)
    try:
        return body["errors"][0]["code"]
    except (TypeError, KeyError, IndexError):
        return None


@dataclass
class Prepared:
    method: str
    path: str  # percent-encoded, as signed
    query: str  # percent-encoded, as sent
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def target(self) -> str:
        return self.path + ("?" + self.query if self.query else "")


class BankClient:
    """Signs and sends requests: fresh nonce and timestamp each time, and a fresh
    Idempotency-Key on every write unless the caller passes one; retries by `retry`."""

    def __init__(
        self,
        base_url: str,
        key_id: str,
        secret: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ):
        self.base_url = base_url.rstrip("/")
        self.prefix = urlsplit(self.base_url).path.rstrip("/")
        self.key_id = key_id
        self.secret = secret
        self.timeout = timeout
        self.retry = retry or NO_RETRY
        self.sleep = sleep
        self.jitter = jitter  # uniform in [0, 1)

    def prepare(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> Prepared:
        method = method.upper()
        if body is None:
            body = b"" if json is None else jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
        query = urlencode(sorted((params or {}).items()), doseq=True, quote_via=quote)
        prepared = Prepared(method, quote(self.prefix + path, safe=PATH_SAFE), query, body)
        timestamp, nonce = str(int(time.time())), new_nonce()
        prepared.headers.update(
            {
                "X-LL-Key": self.key_id,
                "X-LL-Timestamp": timestamp,
                "X-LL-Nonce": nonce,
                "X-LL-Signature": sign(
                    self.secret, method, prepared.path, query, timestamp, nonce, body
                ),
            }
        )
        if content_type is not None:
            prepared.headers["Content-Type"] = content_type
        elif json is not None or body:
            prepared.headers["Content-Type"] = "application/json"
        if method in WRITE_METHODS:
            prepared.headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        return prepared

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> Response:
        """Send, and retry what may succeed later (see RetryPolicy), each time newly signed
        and always with the same Idempotency-Key. Returns the last answer; raises the
        network error of the last attempt."""
        if method.upper() in WRITE_METHODS and idempotency_key is None:
            idempotency_key = str(uuid.uuid4())
        for attempt in range(1, self.retry.attempts + 1):
            prepared = self.prepare(
                method,
                path,
                json,
                params,
                idempotency_key=idempotency_key,
                body=body,
                content_type=content_type,
            )
            try:
                response = self.send(prepared)
            except NETWORK_ERRORS:
                if attempt == self.retry.attempts:
                    raise
                self.sleep(self._backoff(attempt))
                continue
            wait = None if attempt == self.retry.attempts else self.retry_delay(response, attempt)
            if wait is None:
                return response
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def retry_delay(self, response: Any, attempt: int) -> float | None:
        """Seconds to wait before retrying this answer, or None when it is final."""
        status = response.status_code
        if status == 409 and problem_code(response) == self.retry.in_flight_code:
            return self._backoff(attempt)
        if status not in self.retry.statuses:
            return None
        retry_after = (response.headers.get("Retry-After") or "").strip()
        if retry_after.isdigit():
            return (
                min(float(retry_after), self.retry.max_delay)
                + self.jitter() * self.retry.base_delay
            )
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        return self.jitter() * min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1))

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Response:
        return self.request("GET", path, params=params)

    def post(self, path: str, json: Any = None, **options: Any) -> Response:
        return self.request("POST", path, json, **options)

    def upload_import(
        self, kind: str, filename: str, content: bytes, *, idempotency_key: str | None = None
    ) -> Response:
        """POST /imports: the file as multipart/form-data, signed over the exact body bytes."""
        boundary = "ll-" + uuid.uuid4().hex
        safe_name = filename.replace('"', "").replace("\r", "").replace("\n", "")
        body = b"".join(
            [
                f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n'.encode(),
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{safe_name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n".encode(),
                content,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        return self.request(
            "POST",
            API + "/imports",
            body=body,
            idempotency_key=idempotency_key,
            content_type=f"multipart/form-data; boundary={boundary}",
        )

    def wait_for_import(
        self, import_id: int, *, timeout: float = 3600.0, interval: float = 2.0
    ) -> dict[str, Any]:
        """GET /imports/{id} every `interval` seconds until the import is `done` or `failed`:
        its view. A big file is run by the import worker after POST /imports answered
        (`pending`, then `running`). TimeoutError after `timeout` seconds."""
        waited = 0.0
        while True:
            response = self.get(f"{API}/imports/{import_id}")
            view = _json_of(response)
            if response.status_code != 200 or not isinstance(view, dict):
                raise AnswerError(f"GET /imports/{import_id}", response)
            if view["status"] in ("done", "failed"):
                return view
            if waited >= timeout:
                raise TimeoutError(f"import {import_id} is still {view['status']}")
            self.sleep(interval)
            waited += interval

    def import_file(
        self,
        kind: str,
        filename: str,
        content: bytes,
        *,
        timeout: float = 3600.0,
        interval: float = 2.0,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Upload a file (`upload_import`) and wait for its end (`wait_for_import`): the
        import's last view, `done` or `failed` (a file refused as a whole: `failed` with its
        reasons in `errors`). The same file imported before: that import's view."""
        response = self.upload_import(kind, filename, content, idempotency_key=idempotency_key)
        body = _json_of(response)
        # 200/202: the import; 422 naming an import: a file refused as a whole (`failed`).
        if response.status_code not in (200, 202, 422) or "import_id" not in (body or {}):
            raise AnswerError("POST /imports", response)
        return self.wait_for_import(body["import_id"], timeout=timeout, interval=interval)

    # ------------------------------------------------------------------ bulk
    def post_events_bulk(
        self,
        events: Sequence[Mapping[str, Any]],
        *,
        chunk: int = BULK_MAX_ITEMS,
        atomic: bool = False,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """POST /events:bulk in requests of `chunk` events; see `_bulk`."""
        return self._bulk("/events:bulk", "events", events, chunk, atomic, idempotency_key)

    def post_loans_bulk(
        self,
        loans: Sequence[Mapping[str, Any]],
        *,
        chunk: int = BULK_MAX_ITEMS,
        atomic: bool = False,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """POST /loans:bulk in requests of `chunk` loans; see `_bulk`."""
        return self._bulk("/loans:bulk", "loans", loans, chunk, atomic, idempotency_key)

    def _bulk(
        self,
        path: str,
        name: str,
        items: Sequence[Mapping[str, Any]],
        chunk: int,
        atomic: bool,
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        """One answer for the whole list: `{accepted, duplicates, rejected, results}` with each
        result's `index` into `items`. The requests go one after the other, each committed on
        its own (with atomic=True each request is all-or-nothing, not the whole list). A
        request answered other than 200 stops the upload with BulkError (after the client's
        retries). `idempotency_key`, when given, names the upload: request n is sent with
        key `{idempotency_key}/{n}`, so running the same upload again replays what was done."""
        if not 1 <= chunk <= BULK_MAX_ITEMS:
            raise ValueError(f"chunk must be 1–{BULK_MAX_ITEMS}")
        if idempotency_key is not None and len(idempotency_key) > 240:
            raise ValueError("idempotency_key: at most 240 characters (a /n suffix is added)")
        total: dict[str, Any] = {"accepted": 0, "duplicates": 0, "rejected": 0, "results": []}
        params = {"atomic": "true"} if atomic else None
        for number, offset in enumerate(range(0, len(items), chunk)):
            key = None if idempotency_key is None else f"{idempotency_key}/{number}"
            response = self.post(
                API + path,
                json={name: list(items[offset : offset + chunk])},
                params=params,
                idempotency_key=key,
            )
            if response.status_code != 200:
                raise BulkError(response, offset, total)
            answer = _json_of(response)
            for count in ("accepted", "duplicates", "rejected"):
                total[count] += answer[count]
            total["results"].extend(
                {**result, "index": result["index"] + offset} for result in answer["results"]
            )
        return total

    def send(self, prepared: Prepared) -> Response:
        origin = (
            self.base_url[: len(self.base_url) - len(self.prefix)] if self.prefix else self.base_url
        )
        request = urllib.request.Request(
            origin + prepared.target,
            data=prepared.body or None,
            headers=prepared.headers,
            method=prepared.method,
        )
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

    def __init__(
        self,
        test_client: Any,
        key_id: str,
        secret: str,
        bank_code: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        **options: Any,
    ):
        # No retries unless asked: tests look at each answer as the server gave it.
        super().__init__("http://localhost", key_id, secret, retry=retry, **options)
        self.test_client = test_client
        self.bank_code = bank_code

    def send(self, prepared: Prepared) -> Any:
        return self.test_client.open(
            prepared.target, method=prepared.method, data=prepared.body, headers=prepared.headers
        )
