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
from loanledger.persistence.tables import ApiToken, Bank, BankKey, Enterprise, User
from loanledger.services import locks
from loanledger.services.audit import record
from loanledger.services.errors import NotFound

ROLES = words(Role)
MAX_ACTIVE_KEYS = 2
ADMINS_LOCK = "loanledger:admins"


class IdentityError(Refusal):
    """A set-up command refused (users, banks, keys): the command line shows the sentence alone.
    `reason` names the rule for the pages, which say it in words (web/i18n.py)."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(None, message)
        self.reason = reason


def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------ users
MAX_DISPLAY_NAME = 64  # users.display_name


def _display_name(value: str | None) -> str | None:
    """The name the pages show, trimmed; None (the username is shown) when blank."""
    name = (value or "").strip() or None
    if name is not None and len(name) > MAX_DISPLAY_NAME:
        raise IdentityError(
            f"a display name has at most {MAX_DISPLAY_NAME} characters", "long_display_name"
        )
    return name


def create_user(
    db: Session,
    username: str,
    role: str,
    password: str,
    uscc: str | None = None,
    actor: str = "cli",
    *,
    display_name: str | None = None,
    bank_code: str | None = None,
) -> User:
    """A user of the pages and the API. A bank user (role bank) belongs to one existing bank
    and sees only its data; no other role has a bank (it would widen nothing, and mislead)."""
    if role not in ROLES:
        raise IdentityError(f"role must be one of {', '.join(ROLES)}", "bad_role")
    if role == Role.ENTERPRISE and not uscc:
        raise IdentityError("an enterprise user needs --uscc", "needs_uscc")
    if role == Role.BANK and not bank_code:
        raise IdentityError("a bank user needs --bank-code", "needs_bank")
    if role != Role.BANK and bank_code:
        raise IdentityError("only a bank user has --bank-code", "bank_not_allowed")
    if bank_code and db.get(Bank, bank_code) is None:
        raise IdentityError(f"no bank {bank_code}", "unknown_bank")
    display_name = _display_name(display_name)
    _check_password(password)
    if db.scalar(select(User).where(User.username == username)):
        raise IdentityError(f"user {username} exists", "user_exists")
    user = User(
        username=username,
        role=role,
        uscc=uscc,
        bank_code=bank_code,
        display_name=display_name,
        password_hash=generate_password_hash(password),
    )
    db.add(user)
    db.flush()
    after = {"role": role, "uscc": uscc}
    if bank_code:  # the audit of other users keeps its former shape
        after["bank_code"] = bank_code
    if user.display_name:
        after["display_name"] = user.display_name
    record(db, actor, "user.create", "user", username, None, after)
    return user


MIN_PASSWORD_LENGTH = 8


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise IdentityError(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters", "short_password"
        )


def _user(db: Session, username: str) -> User:
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username}")
    return user


def _end_sessions_and_tokens(db: Session, user: User) -> int:
    """Every page session (the session version moves on) and bearer token of the user ends;
    the number of tokens revoked."""
    user.session_version += 1
    tokens = db.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    for token in tokens:
        db.delete(token)
    db.flush()
    return len(tokens)


def _is_self(actor: str, username: str) -> bool:
    return actor == f"user:{username}"


def _check_not_last_admin(db: Session, user: User) -> None:
    """Someone must still be able to administer: the last active administrator keeps the role
    and stays active (a programme without one needs the command line to recover)."""
    if user.role != Role.ADMIN or not user.active:
        return
    # Two administrators removing each other at once: the second waits and sees the first.
    locks.exclusive(db, ADMINS_LOCK)
    others = db.scalar(
        select(User.id)
        .where(User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)
        .limit(1)
    )
    if others is None:
        raise IdentityError("the last active administrator cannot be removed", "last_admin")


def deactivate_user(db: Session, username: str, actor: str) -> None:
    """A leaver: the user can no longer sign in, and every session and token ends now. The
    row stays (the audit trail and batches name it). An administrator cannot lock themself
    out this way, nor deactivate the last active administrator."""
    user = _user(db, username)
    if _is_self(actor, username):
        raise IdentityError("you cannot deactivate yourself", "own_account")
    if not user.active:
        return
    _check_not_last_admin(db, user)
    user.active = False
    tokens = _end_sessions_and_tokens(db, user)
    record(
        db,
        actor,
        "user.deactivate",
        "user",
        username,
        {"active": True},
        {"active": False, "tokens_revoked": tokens},
    )


def reactivate_user(db: Session, username: str, actor: str) -> bool:
    """A deactivated user may sign in again, with the password they had (an administrator
    resets it if it was shared or forgotten). Their old sessions and tokens stay ended: they
    ended at the deactivation. True when the user was inactive; an active user is left as is."""
    user = _user(db, username)
    if user.active:
        return False
    user.active = True
    db.flush()
    record(db, actor, "user.reactivate", "user", username, {"active": False}, {"active": True})
    return True


def update_user(
    db: Session,
    username: str,
    actor: str,
    *,
    role: str,
    display_name: str | None,
    bank_code: str | None = None,
    uscc: str | None = None,
) -> bool:
    """A user's display name and role changed. A bank user keeps their bank unless another is
    chosen; an enterprise user keeps their enterprise unless another registered one is given;
    any other role belongs to neither. An administrator cannot demote themself, nor anyone
    the last active administrator. The change takes effect on the user's next request (pages
    and tokens read the user every time). True when something changed (audited)."""
    user = _user(db, username)
    if role not in ROLES:
        raise IdentityError(f"role must be one of {', '.join(ROLES)}", "bad_role")
    name = _display_name(display_name)
    wanted = {
        "role": role,
        "display_name": name,
        "bank_code": _bank_of(db, user, role, bank_code),
        "uscc": _enterprise_of(db, user, role, uscc),
    }
    if role != user.role:
        if _is_self(actor, username):
            raise IdentityError("you cannot change your own role", "own_role")
        _check_not_last_admin(db, user)
    before = {key: getattr(user, key) for key in wanted if getattr(user, key) != wanted[key]}
    if not before:
        return False
    after = {key: wanted[key] for key in before}
    for key, value in after.items():
        setattr(user, key, value)
    db.flush()
    record(db, actor, "user.update", "user", username, before, after)
    return True


def _bank_of(db: Session, user: User, role: str, bank_code: str | None) -> str | None:
    """The bank a user of `role` belongs to: the one chosen, else the bank user's own."""
    if role != Role.BANK:
        return None
    code = bank_code or (user.bank_code if user.role == Role.BANK else None)
    if not code or db.get(Bank, code) is None:
        raise IdentityError("a bank user needs the code of a partner bank", "needs_bank")
    return code


def _enterprise_of(db: Session, user: User, role: str, uscc: str | None) -> str | None:
    """The registered enterprise a user of `role` belongs to: the one given, else their own."""
    if role != Role.ENTERPRISE:
        return None
    code = uscc or (user.uscc if user.role == Role.ENTERPRISE else None)
    if not code:
        raise IdentityError("an enterprise user needs --uscc", "needs_uscc")
    if db.get(Enterprise, code) is None:
        raise IdentityError(f"no registered enterprise {code}", "unknown_enterprise")
    return code


def reset_password(db: Session, username: str, password: str, actor: str) -> None:
    """A new password set by an administrator; the old one's sessions and tokens end (whoever
    knew it is out). The audit keeps who reset it, never the password."""
    user = _user(db, username)
    _check_password(password)
    user.password_hash = generate_password_hash(password)
    tokens = _end_sessions_and_tokens(db, user)
    record(db, actor, "user.reset_password", "user", username, None, {"tokens_revoked": tokens})


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
    after = {"tokens_revoked": _end_sessions_and_tokens(db, _user(db, username))}
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
        raise IdentityError(f"bank {code} exists", "bank_exists")
    db.add(Bank(bank_code=code, name=name))
    db.flush()
    issued = _new_key(db, code, secret_key)
    record(db, actor, "bank.create", "bank", code, None, {"name": name, "key_id": issued["key_id"]})
    return issued


def rotate_key(db: Session, code: str, secret_key: str, actor: str = "cli") -> dict[str, str]:
    """Adds a key; at most two are active, so a bank can switch over without downtime."""
    if db.get(Bank, code) is None:
        raise IdentityError(f"no bank {code}", "unknown_bank")
    active = db.scalars(
        select(BankKey)
        .where(BankKey.bank_code == code, BankKey.status == "active")
        .order_by(BankKey.created_at)
    ).all()
    if len(active) >= MAX_ACTIVE_KEYS:
        raise IdentityError(
            f"bank {code} already has {MAX_ACTIVE_KEYS} active keys; revoke one first",
            "too_many_keys",
        )
    issued = _new_key(db, code, secret_key)
    record(db, actor, "bank.rotate_key", "bank", code, None, {"key_id": issued["key_id"]})
    return issued


def revoke_key(db: Session, key_id: str, actor: str = "cli") -> dict[str, str]:
    key = db.get(BankKey, key_id)
    if key is None:
        raise IdentityError(f"no key {key_id}", "unknown_key")
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
