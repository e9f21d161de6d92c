"""Authentication (bank HMAC, staff bearer tokens), roles, idempotency and the commit.

Every endpoint is wrapped by `endpoint(...)`, which decides who may call it, replays
idempotent bank writes, and commits the request's unit of work only on success — so a
refused request changes nothing.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import time
from urllib.parse import quote

from flask import Response, current_app, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from loanledger.api.context import Principal, session
from loanledger.api.errors import ApiError
from loanledger.persistence.tables import IdempotencyRecord, Nonce
from loanledger.services import identity

STAFF_ROLES = ("admin", "clerk", "approver", "auditor")
NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
IDEMPOTENCY_PATTERN = re.compile(r"^[\x20-\x7e]{1,255}$")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


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
    return "&".join(sorted(pairs, key=lambda p: tuple(p.split("=", 1) + [""])[:2]))


def string_to_sign(method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes) -> str:
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
    if not re.fullmatch(r"-?\d{1,12}", timestamp) or abs(time.time() - int(timestamp)) > settings.signature_skew_seconds:
        raise _unauthorized("timestamp_skew", f"X-LL-Timestamp must be within ±{settings.signature_skew_seconds} s of server time")
    if not NONCE_PATTERN.match(nonce):
        raise ApiError(400, "missing_header", "X-LL-Nonce must be 16–64 characters of [A-Za-z0-9_-]", "X-LL-Nonce")
    expected = hmac.new(
        secret.encode(),
        string_to_sign(request.method, signing_path(), signing_query(), timestamp, nonce, request.get_data(cache=True)).encode(),
        hashlib.sha256,
    ).hexdigest()
    if not hmac.compare_digest(expected, headers["X-LL-Signature"].strip().lower()):
        raise _unauthorized("bad_signature", "the signature does not match the request")
    _burn_nonce(key_id, nonce, settings.nonce_ttl_seconds)
    return Principal(kind="bank", bank_code=bank_code, key_id=key_id)


def _burn_nonce(key_id: str, nonce: str, ttl_seconds: int) -> None:
    """Committed at once, before the request's own work: a nonce is spent even when the
    request is then refused. (Only reads have happened in this session so far.)"""
    now = dt.datetime.now(dt.timezone.utc)
    db = session()
    db.execute(
        delete(Nonce).where(
            Nonce.key_id == key_id, Nonce.nonce == nonce,
            Nonce.seen_at < now - dt.timedelta(seconds=ttl_seconds),
        )
    )
    db.add(Nonce(key_id=key_id, nonce=nonce, seen_at=now))
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise _unauthorized("nonce_reused", "this nonce was already used") from None


# ------------------------------------------------------------------ staff tokens
def _authenticate_user() -> Principal:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise ApiError(401, "invalid_token", "send Authorization: Bearer <token> (POST /api/v1/auth/tokens)",
                       headers={"WWW-Authenticate": "Bearer"})
    user = identity.user_for_token(session(), header[len("Bearer "):].strip())
    if user is None:
        raise ApiError(401, "invalid_token", "the token is unknown or expired", headers={"WWW-Authenticate": "Bearer"})
    return Principal(kind="user", username=user.username, role=user.role, uscc=user.uscc)


def _authenticate(bank: bool, roles: tuple[str, ...]) -> Principal:
    if bank and request.headers.get("X-LL-Key"):
        return _authenticate_bank()
    if roles and (request.headers.get("Authorization") or not bank):
        user = _authenticate_user()
        allowed = user.role in roles or (user.role == "admin" and any(r in STAFF_ROLES for r in roles))
        if not allowed:
            raise ApiError(403, "forbidden", f"role {user.role} may not do this")
        return user
    return _authenticate_bank()


# ------------------------------------------------------------------ idempotency
def _request_hash() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, signing_query()):
        digest.update(part.encode() + b"\n")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key")
    if not key:
        raise ApiError(400, "missing_header", "header Idempotency-Key is required on bank writes", "Idempotency-Key")
    if not IDEMPOTENCY_PATTERN.match(key):
        raise ApiError(400, "missing_header", "Idempotency-Key must be 1–255 printable ASCII characters", "Idempotency-Key")
    return key


def _replay(record: IdempotencyRecord, request_hash: str) -> Response:
    if record.request_hash != request_hash:
        raise ApiError(422, "idempotency_key_reused", "this Idempotency-Key was used with another request", "Idempotency-Key")
    if record.state != "done":
        raise ApiError(409, "request_in_flight", "a request with this Idempotency-Key is still running")
    response = Response(record.response_body, status=record.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _find_record(bank_code: str, key: str) -> IdempotencyRecord | None:
    return session().scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.bank_code == bank_code, IdempotencyRecord.key == key)
    )


def _run_idempotent(view, args, kwargs, who: Principal) -> Response:
    key, request_hash = _idempotency_key(), _request_hash()
    existing = _find_record(who.bank_code, key)
    if existing is not None:
        return _replay(existing, request_hash)
    response = current_app.make_response(view(*args, **kwargs))
    if response.status_code < 400:
        session().add(IdempotencyRecord(
            bank_code=who.bank_code, key=key, request_hash=request_hash, state="done",
            status_code=response.status_code, response_body=response.get_data(as_text=True),
        ))
        try:
            session().commit()
        except IntegrityError:
            # Someone else committed the same key first: answer as they did.
            session().rollback()
            existing = _find_record(who.bank_code, key)
            if existing is None:
                raise
            return _replay(existing, request_hash)
    return response


# ------------------------------------------------------------------ the decorator
def endpoint(*roles: str, bank: bool = False):
    """Who may call: `bank=True` for signed bank requests, `roles` for token users."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            who = _authenticate(bank, roles)
            g.principal = who
            if who.kind == "bank" and request.method in WRITE_METHODS:
                return _run_idempotent(view, args, kwargs, who)
            response = current_app.make_response(view(*args, **kwargs))
            if request.method in WRITE_METHODS and response.status_code < 400:
                session().commit()
            return response

        return wrapper

    return decorator
