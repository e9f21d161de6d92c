"""Users, bearer tokens, banks and their HMAC keys."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from loanledger.domain.errors import Refusal
from loanledger.domain.vocabulary import Role, words
from loanledger.persistence.db import as_utc
from loanledger.persistence.tables import ApiToken, Bank, BankKey, User
from loanledger.services.audit import record
from loanledger.services.errors import NotFound

ROLES = words(Role)
MAX_ACTIVE_KEYS = 2


class IdentityError(Refusal):
    """A set-up command refused (users, banks, keys): the command line shows the sentence alone."""

    def __init__(self, message: str):
        super().__init__(None, message)


def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------ users
def create_user(
    db: Session,
    username: str,
    role: str,
    password: str,
    uscc: str | None = None,
    actor: str = "cli",
) -> User:
    if role not in ROLES:
        raise IdentityError(f"role must be one of {', '.join(ROLES)}")
    if role == Role.ENTERPRISE and not uscc:
        raise IdentityError("an enterprise user needs --uscc")
    if len(password) < 8:
        raise IdentityError("a password needs at least 8 characters")
    if db.scalar(select(User).where(User.username == username)):
        raise IdentityError(f"user {username} exists")
    user = User(
        username=username, role=role, uscc=uscc, password_hash=generate_password_hash(password)
    )
    db.add(user)
    db.flush()
    record(db, actor, "user.create", "user", username, None, {"role": role, "uscc": uscc})
    return user


@functools.cache
def _dummy_hash() -> str:
    """A hash made like every user's (same method and cost), made once, checked when the name
    is unknown: a wrong name then costs what a wrong password costs, and the time of the
    answer does not tell which names exist."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate_password(db: Session, username: str, password: str) -> User | None:
    user = db.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def issue_token(db: Session, user: User, ttl_seconds: int) -> tuple[str, dt.datetime]:
    token = secrets.token_urlsafe(32)
    expires_at = _now() + dt.timedelta(seconds=ttl_seconds)
    db.add(
        ApiToken(
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            user_id=user.id,
            expires_at=expires_at,
        )
    )
    return token, expires_at


def user_for_token(db: Session, token: str) -> User | None:
    found = db.execute(_TOKEN_USER, {"token_hash": _token_hash(token)}).one_or_none()
    if found is None:
        return None
    user, expires_at = found
    if as_utc(expires_at) <= _now():
        return None
    return user if user.active else None


# The token's user and its expiry in one statement, built once (every staff API request).
_TOKEN_USER = (
    select(User, ApiToken.expires_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def revoke_token(db: Session, token: str, actor: str) -> None:
    """DELETE /auth/tokens/current: this bearer token stops working now (its row goes: a
    token is a credential, not a record; the audit keeps who ended it)."""
    row = db.get(ApiToken, _token_hash(token))
    if row is not None:
        db.delete(row)
        db.flush()
        record(db, actor, "token.revoke", "user", actor.removeprefix("user:"), None, None)


def end_page_sessions(db: Session, user_id: int, actor: str) -> None:
    """Signing out of the pages: the user's session version moves on, so this cookie and any
    copy of it no longer sign anyone in (the user's other browsers sign in again too)."""
    user = db.get(User, user_id)
    if user is not None:
        user.session_version += 1
        db.flush()
        record(db, actor, "user.sign_out", "user", user.username, None, None)


def sign_out_everywhere(db: Session, username: str, actor: str) -> dict[str, object]:
    """An administrator's action for a lost laptop or a leaver: every page session and every
    bearer token of the user ends now."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username}")
    user.session_version += 1
    tokens = db.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    for token in tokens:
        db.delete(token)
    db.flush()
    after = {"tokens_revoked": len(tokens)}
    record(db, actor, "user.sign_out_everywhere", "user", username, None, after)
    return {"username": username, **after}


# ------------------------------------------------------------------ banks and keys
def _new_key(db: Session, bank_code: str, secret_key: str) -> dict[str, str]:
    key_id = "k_" + secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    db.add(
        BankKey(
            key_id=key_id,
            bank_code=bank_code,
            status="active",
            secret_encrypted=_fernet(secret_key).encrypt(secret.encode()).decode(),
        )
    )
    return {"bank_code": bank_code, "key_id": key_id, "secret": secret}


def create_bank(
    db: Session, code: str, name: str, secret_key: str, actor: str = "cli"
) -> dict[str, str]:
    if db.get(Bank, code) is not None:
        raise IdentityError(f"bank {code} exists")
    db.add(Bank(bank_code=code, name=name))
    db.flush()
    issued = _new_key(db, code, secret_key)
    record(db, actor, "bank.create", "bank", code, None, {"name": name, "key_id": issued["key_id"]})
    return issued


def rotate_key(db: Session, code: str, secret_key: str, actor: str = "cli") -> dict[str, str]:
    """Adds a key; at most two are active, so a bank can switch over without downtime."""
    if db.get(Bank, code) is None:
        raise IdentityError(f"no bank {code}")
    active = db.scalars(
        select(BankKey)
        .where(BankKey.bank_code == code, BankKey.status == "active")
        .order_by(BankKey.created_at)
    ).all()
    if len(active) >= MAX_ACTIVE_KEYS:
        raise IdentityError(
            f"bank {code} already has {MAX_ACTIVE_KEYS} active keys; revoke one first"
        )
    issued = _new_key(db, code, secret_key)
    record(db, actor, "bank.rotate_key", "bank", code, None, {"key_id": issued["key_id"]})
    return issued


def revoke_key(db: Session, key_id: str, actor: str = "cli") -> dict[str, str]:
    key = db.get(BankKey, key_id)
    if key is None:
        raise IdentityError(f"no key {key_id}")
    if key.status != "revoked":
        key.status, key.revoked_at = "revoked", _now()
        record(
            db,
            actor,
            "bank.revoke_key",
            "bank_key",
            key_id,
            {"status": "active"},
            {"status": "revoked"},
        )
    return {"bank_code": key.bank_code, "key_id": key_id, "status": "revoked"}


def active_bank_key(db: Session, key_id: str, secret_key: str) -> tuple[str, str] | None:
    """The key's bank and secret while the key is active. The row is read on every request,
    so a revocation (by any process) takes effect at once; only the decryption is cached."""
    key = db.execute(_KEY, {"key_id": key_id}).one_or_none()
    if key is None or key.status != "active":
        return None
    secret = _decrypted(secret_key, key.secret_encrypted)
    return None if secret is None else (key.bank_code, secret)


# Built once (a signed request's statements are the same every time: building and keying a
# select costs more than running it on a warm connection).
_KEY = select(BankKey.bank_code, BankKey.status, BankKey.secret_encrypted).where(
    BankKey.key_id == bindparam("key_id")
)


@functools.lru_cache(maxsize=1024)
def _decrypted(secret_key: str, secret_encrypted: str) -> str | None:
    """Fernet's key derivation and decryption, once per key and process rather than on every
    signed request (about 0.1 ms each, profiled). A key's ciphertext never changes, so its
    answer may be kept; keyed by the ciphertext, a rotated key is another entry."""
    try:
        return _fernet(secret_key).decrypt(secret_encrypted.encode()).decode()
    except InvalidToken:
        return None
