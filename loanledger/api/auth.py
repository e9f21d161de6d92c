"""Authentication (bank HMAC, staff bearer tokens), roles, idempotency and the commit.

Every endpoint is wrapped by `endpoint(...)`, which decides who may call it, replays
idempotent bank writes, and commits the request's unit of work only on success — so a
refused request changes nothing. A staff write is one `unit_of_work`; a bank write keeps its
own three transactions (claim, work with its answer, release), said below.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import hmac
import logging
import re
import time
from urllib.parse import quote

from flask import Response, current_app, g, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from loanledger.api.errors import ApiError
from loanledger.api.nonces import NonceStore, nonce_store
from loanledger.domain.errors import Refusal
from loanledger.domain.vocabulary import role_may_act_as
from loanledger.persistence.db import as_utc
from loanledger.persistence.tables import IdempotencyRecord
from loanledger.ratelimit import request_limits
from loanledger.request_context import Principal, session
from loanledger.services import identity
from loanledger.services.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
IDEMPOTENCY_PATTERN = re.compile(r"^[\x20-\x7e]{1,255}$")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
NONCE_EXTENSION = "loanledger.nonces"
# Answers that say "not now" rather than "no": never stored under an Idempotency-Key.
NOT_STORED_STATUSES = (408, 409, 429)


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": 'LL-HMAC realm="loanledger"'})


# ------------------------------------------------------------------ bank signatures
def signing_path() -> str:
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        return raw.split("?", 1)[0]
    return quote(request.path, safe="/:@!$&'()*+,;=-._~%")


def signing_query() -> str:
    raw = request.environ.get("QUERY_STRING", "")
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    pairs = [p for p in raw.split("&") if p]
    return "&".join(sorted(pairs, key=lambda p: (*p.split("=", 1), "")[:2]))


def string_to_sign(
    method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes
) -> str:
    return "\n".join([method, path, query, timestamp, nonce, hashlib.sha256(body).hexdigest()])


def _authenticate_bank() -> Principal:
    headers = request.headers
    for name in ("X-LL-Key", "X-LL-Timestamp", "X-LL-Nonce", "X-LL-Signature"):
        if not headers.get(name):
            raise ApiError(400, "missing_header", f"header {name} is required", name)
    key_id, timestamp, nonce = headers["X-LL-Key"], headers["X-LL-Timestamp"], headers["X-LL-Nonce"]
    settings = current_app.extensions["loanledger"].settings
    key = identity.active_bank_key(session(), key_id, settings.secret_key)
    if key is None:
        raise _unauthorized("unknown_key", "unknown or revoked key")
    bank_code, secret = key
    if (
        not re.fullmatch(r"-?\d{1,12}", timestamp)
        or abs(time.time() - int(timestamp)) > settings.signature_skew_seconds
    ):
        raise _unauthorized(
            "timestamp_skew",
            f"X-LL-Timestamp must be within ±{settings.signature_skew_seconds} s of server time",
        )
    if not NONCE_PATTERN.fullmatch(nonce):
        raise ApiError(
            400,
            "missing_header",
            "X-LL-Nonce must be 16–64 characters of [A-Za-z0-9_-]",
            "X-LL-Nonce",
        )
    expected = hmac.new(
        secret.encode(),
        string_to_sign(
            request.method,
            signing_path(),
            signing_query(),
            timestamp,
            nonce,
            request.get_data(cache=True),
        ).encode(),
        hashlib.sha256,
    ).hexdigest()
    if not hmac.compare_digest(expected, headers["X-LL-Signature"].strip().lower()):
        raise _unauthorized("bad_signature", "the signature does not match the request")
    _rate_limit(bank_code)
    _burn_nonce(key_id, nonce, settings.nonce_ttl_seconds)
    return Principal(kind="bank", bank_code=bank_code, key_id=key_id)


def _burn_nonce(key_id: str, nonce: str, ttl_seconds: int) -> None:
    """Spent before the request's own work, in the store the settings name (api/nonces.py):
    a nonce is spent even when the request is then refused."""
    if not nonces_of(current_app.extensions["loanledger"]).spend(
        session(), key_id, nonce, ttl_seconds
    ):
        raise _unauthorized("nonce_reused", "this nonce was already used")


def nonces_of(ext) -> NonceStore:
    """The app's nonce store, made once per configuration (like `request_limits`): a Redis
    client keeps its connection pool across requests."""
    held = current_app.extensions.get(NONCE_EXTENSION)
    if held is None or held[0] is not ext:
        held = current_app.extensions[NONCE_EXTENSION] = (
            ext,
            nonce_store(ext.settings.nonce_storage_uri),
        )
    return held[1]


# ------------------------------------------------------------------ staff tokens
def _authenticate_user() -> Principal:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise ApiError(
            401,
            "invalid_token",
            "send Authorization: Bearer <token> (POST /api/v1/auth/tokens)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    user = identity.user_for_token(session(), header[len("Bearer ") :].strip())
    if user is None:
        raise ApiError(
            401,
            "invalid_token",
            "the token is unknown or expired",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Principal(kind="user", username=user.username, role=user.role, uscc=user.uscc)


def _authenticate(bank: bool, roles: tuple[str, ...]) -> Principal:
    if bank and request.headers.get("X-LL-Key"):
        return _authenticate_bank()
    if roles and (request.headers.get("Authorization") or not bank):
        user = _authenticate_user()
        if not role_may_act_as(user.role, roles):
            raise ApiError(403, "forbidden", f"role {user.role} may not do this")
        return user
    return _authenticate_bank()


# ------------------------------------------------------------------ rate limit
def _rate_limit(bank_code: str) -> None:
    """One request of the bank's allowance per signed request (reads and writes alike)."""
    ext = current_app.extensions["loanledger"]
    wait = request_limits(ext).take(
        "bank", bank_code, ext.settings.rate_limit_per_second, ext.settings.rate_limit_burst
    )
    if wait:
        raise ApiError(
            429,
            "rate_limited",
            f"too many requests for bank {bank_code}; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )


# ------------------------------------------------------------------ idempotency
# A bank write runs under its Idempotency-Key in three steps (docs/decisions-bank-surface.md):
#   1. claim: insert the key's row as `in_flight` and commit at once (the unique constraint
#      on (bank_code, key) lets one request in; the others find the row);
#   2. the view does its work in the request's transaction;
#   3. the answer (status and body) is written into the row, state `done`, in that same
#      transaction, and committed with the work. A refusal (4xx) is stored too, after the
#      work is rolled back: it changed nothing and its answer is the key's answer.
# A 5xx or an unexpected error stores nothing and deletes the claim, so a retry runs again.
# A claim older than settings.idempotency_abandon_seconds belongs to a crashed request and
# is taken over by the next retry.
# These commits are not a `unit_of_work`, on purpose: the claim must be committed before
# the work starts (so that a second request sees it), and a refusal's answer must be
# committed after the work is rolled back (so that the key keeps it).
class _Found(Exception):
    """The key is already answered (or being answered): the response to give instead."""

    def __init__(self, response: Response):
        super().__init__("idempotency key found")
        self.response = response


def _request_hash() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, signing_query()):
        digest.update(part.encode() + b"\n")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key")
    if not key:
        raise ApiError(
            400,
            "missing_header",
            "header Idempotency-Key is required on bank writes",
            "Idempotency-Key",
        )
    if not IDEMPOTENCY_PATTERN.fullmatch(key):
        raise ApiError(
            400,
            "missing_header",
            "Idempotency-Key must be 1–255 printable ASCII characters",
            "Idempotency-Key",
        )
    return key


def _replay(record: IdempotencyRecord) -> Response:
    mimetype = "application/problem+json" if record.status_code >= 400 else "application/json"
    response = Response(record.response_body, status=record.status_code, mimetype=mimetype)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _find_record(bank_code: str, key: str) -> IdempotencyRecord | None:
    return session().scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.bank_code == bank_code, IdempotencyRecord.key == key
        )
    )


def _in_flight() -> ApiError:
    return ApiError(
        409,
        "request_in_flight",
        "a request with this Idempotency-Key is still running; retry it later with the same key",
        "Idempotency-Key",
    )


def _answer_of(
    record: IdempotencyRecord, request_hash: str, abandon_before: dt.datetime | None
) -> None:
    """Raises the answer a found row gives: its stored answer (`_Found`), 422
    idempotency_key_reused or 409 request_in_flight. Returns only when the row is an
    `in_flight` claim older than `abandon_before` (None: never), which may be taken over."""
    if record.request_hash != request_hash:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was used with another request",
            "Idempotency-Key",
        )
    if record.state == "done":
        raise _Found(_replay(record))
    if abandon_before is None or as_utc(record.created_at) > abandon_before:
        raise _in_flight()


def _claim(bank_code: str, key: str, request_hash: str) -> int:
    """Step 1: the id of this request's `in_flight` row, committed. Raises `_Found` with the
    stored answer, or ApiError 409 request_in_flight / 422 idempotency_key_reused."""
    settings = current_app.extensions["loanledger"].settings
    db = session()
    for _attempt in range(3):
        now = dt.datetime.now(dt.UTC)
        record = IdempotencyRecord(
            bank_code=bank_code,
            key=key,
            request_hash=request_hash,
            state="in_flight",
            created_at=now,
        )
        db.add(record)
        try:
            db.commit()
            return record.id
        except IntegrityError:
            db.rollback()
        existing = _find_record(bank_code, key)
        if existing is None:
            continue  # its request failed and let go of the key meanwhile: claim it again
        _answer_of(
            existing, request_hash, now - dt.timedelta(seconds=settings.idempotency_abandon_seconds)
        )
        # Abandoned by a crashed request: delete it (only if still that abandoned row) and claim.
        db.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.id == existing.id,
                IdempotencyRecord.state == "in_flight",
                IdempotencyRecord.created_at == existing.created_at,
            )
        )
        db.commit()
        log.warning("idempotency key of bank %s taken over from an abandoned request", bank_code)
    raise _in_flight()


def _release(record_id: int) -> None:
    """Let go of the claim after a failure, so that a retry runs the request again."""
    db = session()
    try:
        db.rollback()
        db.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.id == record_id, IdempotencyRecord.state == "in_flight"
            )
        )
        db.commit()
    except Exception:
        log.exception("could not release idempotency claim %s", record_id)
        db.rollback()


def _refusal(error: Exception) -> Response | None:
    """The problem+json answer of an expected refusal (4xx), or None for anything else."""
    if isinstance(error, HTTPException):
        status = error.code or 500
    elif isinstance(error, Refusal):
        status = error.status
    else:
        return None
    if status >= 500 or status in NOT_STORED_STATUSES:
        return None
    return current_app.make_response(current_app.handle_user_exception(error))


def _finish(
    record_id: int, response: Response, bank_code: str, key: str, request_hash: str
) -> Response:
    """Step 3: the answer joins the request's transaction and is committed with it."""
    db = session()
    stored = db.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id, IdempotencyRecord.state == "in_flight")
        .values(
            state="done",
            status_code=response.status_code,
            response_body=response.get_data(as_text=True),
        )
    )
    if stored.rowcount != 1:
        # Our claim was taken over as abandoned (this request outlived idempotency_abandon_seconds):
        # keep nothing of ours, and answer as the key's row says now.
        db.rollback()
        existing = _find_record(bank_code, key)
        if existing is not None:
            _answer_of(existing, request_hash, None)
        raise _in_flight()
    try:
        db.commit()
    except Exception:
        db.rollback()
        _release(record_id)
        raise
    return response


def _run_idempotent(view, args, kwargs, who: Principal) -> Response:
    key, request_hash = _idempotency_key(), _request_hash()
    try:
        record_id = _claim(who.bank_code, key, request_hash)
    except _Found as found:
        return found.response
    try:
        response = current_app.make_response(view(*args, **kwargs))
    except Exception as error:
        session().rollback()
        response = _refusal(error)
        if response is None:
            _release(record_id)
            raise
    if response.status_code >= 500 or response.status_code in NOT_STORED_STATUSES:
        session().rollback()
        _release(record_id)
        return response
    if response.status_code >= 400:
        session().rollback()  # a refusal keeps nothing but its answer
    try:
        return _finish(record_id, response, who.bank_code, key, request_hash)
    except _Found as found:
        return found.response


# ------------------------------------------------------------------ the decorator
def _security_doc(view, bank: bool, roles: tuple[str, ...]) -> dict:
    """The operation's `security` in the OpenAPI document (read by the error-response plugin
    in loanledger.api and by the contract tests)."""
    doc = copy.deepcopy(getattr(view, "_apidoc", {}))
    security = ([{"bankHmac": []}] if bank else []) + ([{"bearer": []}] if roles else [])
    doc.setdefault("manual_doc", {})["security"] = security
    return doc


def endpoint(*roles: str, bank: bool = False):
    """Who may call: `bank=True` for signed bank requests, `roles` for token users."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            who = _authenticate(bank, roles)
            g.principal = who
            if who.kind == "bank" and request.method in WRITE_METHODS:
                return _run_idempotent(view, args, kwargs, who)
            if request.method not in WRITE_METHODS:
                return current_app.make_response(view(*args, **kwargs))  # a read commits nothing
            with unit_of_work(session()) as db:
                response = current_app.make_response(view(*args, **kwargs))
                if response.status_code >= 400:
                    db.rollback()  # a refusal answered rather than raised keeps nothing either
            return response

        wrapper._apidoc = _security_doc(view, bank, roles)
        return wrapper

    return decorator
