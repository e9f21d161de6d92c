"""Settings: defaults per environment, then LOANLEDGER_* environment variables on top.

Read once into a typed, frozen object (`load_settings`) and handed to the app factory.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "testing", "production")


class ConfigError(RuntimeError):
    """The settings are unsafe or incomplete; the service refuses to start."""


@dataclass(frozen=True)
class Settings:
    env: str
    database_url: str
    secret_key: str | None
    allow_manual_business_date: bool
    max_body_bytes: int = 10 * 1024 * 1024
    token_ttl_seconds: int = 8 * 3600
    signature_skew_seconds: int = 300
    nonce_ttl_seconds: int = 600
    idempotency_ttl_days: int = 7
    # An `in_flight` Idempotency-Key row older than this is a crashed request's: a retry may
    # take it over. Longer than gunicorn's worker timeout (120 s, `loanledger serve`), after
    # which no request can still be running.
    idempotency_abandon_seconds: int = 150
    # Per-bank token bucket, in each worker process's memory (N workers allow N× the rate).
    # rate_limit_per_second <= 0 turns the limit off.
    rate_limit_per_second: float = 200.0
    rate_limit_burst: int = 400
    # Where the counts live: memory:// (one process) or redis://host:port/db (shared by every
    # worker and machine). loanledger/ratelimit.py
    rate_limit_storage_uri: str = "memory://"
    # Where spent signature nonces live: database:// (the nonces table; embedded, the default)
    # or redis://host:port/db (no database write on a signed GET). api/nonces.py
    nonce_storage_uri: str = "database://"
    # Per client address, for what anyone may ask without signing in (the public 公示 list):
    # a person reading and printing it needs a handful; a scraper gets 429. <= 0: no limit.
    anonymous_rate_limit_per_second: float = 2.0
    anonymous_rate_limit_burst: int = 60
    # The bureau's telephone or address for questions about a 公示 list, printed with "how to
    # object" (None: the list says to object through the enterprise portal only).
    publicity_contact: str | None = None
    sqlite_wal: bool = True
    # The web session cookie only over HTTPS. On in production (TLS ends at the load balancer
    # or the server, never plain HTTP to a browser); off where the dev server speaks plain HTTP.
    session_cookie_secure: bool = False
    # /metrics answers 404 when off (a deployment that scrapes nothing, or exposes the port).
    metrics_enabled: bool = True
    # The SMTP server notices are e-mailed through (services/mailer.py). No host: notices stay
    # in the portal and their e-mails wait in the outbox until one is set.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = dataclasses.field(default=None, repr=False)
    smtp_from: str = "loanledger@localhost"
    smtp_starttls: bool = False


DEVELOPMENT_SECRET = "dev-only-secret-change-me"
TESTING_SECRET = "testing-secret"
MIN_SECRET_BYTES = 32
MIN_SECRET_DISTINCT = 10  # 'x' * 32 or 'abab…' is long but guessable


def _check_production_secret(secret: str) -> None:
    """A production secret signs every session cookie and encrypts the banks' key secrets:
    it must be long, not one of the published defaults, and not a repeated pattern."""
    if secret in (DEVELOPMENT_SECRET, TESTING_SECRET):
        raise ConfigError("LOANLEDGER_SECRET_KEY is a published default; generate your own")
    if len(secret.encode()) < MIN_SECRET_BYTES or len(set(secret)) < MIN_SECRET_DISTINCT:
        raise ConfigError(
            f"LOANLEDGER_SECRET_KEY must be at least {MIN_SECRET_BYTES} random bytes, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )


def _defaults(env: str) -> Settings:
    instance = REPO_ROOT / "instance"
    if env == "development":
        return Settings(
            env=env,
            database_url=f"sqlite:///{instance / 'loanledger.db'}",
            secret_key=DEVELOPMENT_SECRET,
            allow_manual_business_date=True,
        )
    if env == "testing":
        return Settings(
            env=env,
            database_url=f"sqlite:///{instance / 'test.db'}",
            secret_key=TESTING_SECRET,
            allow_manual_business_date=True,
            sqlite_wal=False,
        )
    return Settings(
        env=env,
        database_url="postgresql+psycopg:///loanledger",
        secret_key=None,
        allow_manual_business_date=False,
        session_cookie_secure=True,
    )


def _flag(value: str) -> bool:
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"not a boolean: {value!r}")


def _number(name: str, value: str, kind: type):
    try:
        number = kind(value.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ConfigError(f"{name} must be a finite number, not {value!r}")
    return number


def load_settings(
    env: str | None = None, environ: Mapping[str, str] | None = None, **overrides
) -> Settings:
    environ = os.environ if environ is None else environ
    env = env or environ.get("LOANLEDGER_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"LOANLEDGER_ENV must be one of {ENVIRONMENTS}, not {env!r}")
    settings = _defaults(env)
    if "LOANLEDGER_DATABASE_URL" in environ:
        settings = replace(settings, database_url=environ["LOANLEDGER_DATABASE_URL"])
    if "LOANLEDGER_SECRET_KEY" in environ:
        settings = replace(settings, secret_key=environ["LOANLEDGER_SECRET_KEY"])
    if "LOANLEDGER_ALLOW_MANUAL_BUSINESS_DATE" in environ:
        settings = replace(
            settings,
            allow_manual_business_date=_flag(environ["LOANLEDGER_ALLOW_MANUAL_BUSINESS_DATE"]),
        )
    if "LOANLEDGER_SESSION_COOKIE_SECURE" in environ:
        settings = replace(
            settings, session_cookie_secure=_flag(environ["LOANLEDGER_SESSION_COOKIE_SECURE"])
        )
    if "LOANLEDGER_METRICS_ENABLED" in environ:
        settings = replace(settings, metrics_enabled=_flag(environ["LOANLEDGER_METRICS_ENABLED"]))
    if "LOANLEDGER_RATE_LIMIT_PER_SECOND" in environ:
        settings = replace(
            settings,
            rate_limit_per_second=_number(
                "LOANLEDGER_RATE_LIMIT_PER_SECOND",
                environ["LOANLEDGER_RATE_LIMIT_PER_SECOND"],
                float,
            ),
        )
    if "LOANLEDGER_RATE_LIMIT_STORAGE_URI" in environ:
        settings = replace(
            settings, rate_limit_storage_uri=environ["LOANLEDGER_RATE_LIMIT_STORAGE_URI"]
        )
    if "LOANLEDGER_NONCE_STORAGE_URI" in environ:
        settings = replace(settings, nonce_storage_uri=environ["LOANLEDGER_NONCE_STORAGE_URI"])
    if "LOANLEDGER_RATE_LIMIT_BURST" in environ:
        settings = replace(
            settings,
            rate_limit_burst=_number(
                "LOANLEDGER_RATE_LIMIT_BURST", environ["LOANLEDGER_RATE_LIMIT_BURST"], int
            ),
        )
    for name, field, kind in (
        ("LOANLEDGER_ANONYMOUS_RATE_LIMIT_PER_SECOND", "anonymous_rate_limit_per_second", float),
        ("LOANLEDGER_ANONYMOUS_RATE_LIMIT_BURST", "anonymous_rate_limit_burst", int),
    ):
        if name in environ:
            settings = replace(settings, **{field: _number(name, environ[name], kind)})
    if environ.get("LOANLEDGER_PUBLICITY_CONTACT", "").strip():
        settings = replace(
            settings, publicity_contact=environ["LOANLEDGER_PUBLICITY_CONTACT"].strip()
        )
    settings = _smtp(settings, environ)
    settings = replace(settings, **overrides)
    check_settings(settings)
    return settings


def _smtp(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """LOANLEDGER_SMTP_HOST, _PORT, _USER, _PASSWORD, _FROM, _STARTTLS (an empty host: none)."""
    changes: dict = {}
    for name in ("host", "user", "password", "from"):
        value = environ.get(f"LOANLEDGER_SMTP_{name.upper()}")
        if value is not None:
            changes[f"smtp_{name}"] = value or (None if name != "from" else settings.smtp_from)
    if "LOANLEDGER_SMTP_PORT" in environ:
        changes["smtp_port"] = _number("LOANLEDGER_SMTP_PORT", environ["LOANLEDGER_SMTP_PORT"], int)
    if "LOANLEDGER_SMTP_STARTTLS" in environ:
        changes["smtp_starttls"] = _flag(environ["LOANLEDGER_SMTP_STARTTLS"])
    return replace(settings, **changes)


def check_settings(settings: Settings) -> None:
    if settings.env == "production":
        if not settings.secret_key:
            raise ConfigError("production needs LOANLEDGER_SECRET_KEY")
        _check_production_secret(settings.secret_key)
        if settings.allow_manual_business_date:
            raise ConfigError("production refuses LOANLEDGER_ALLOW_MANUAL_BUSINESS_DATE")
    if not settings.secret_key:
        raise ConfigError("a secret key is required")
    if not settings.rate_limit_storage_uri.startswith(("memory://", "redis://", "rediss://")):
        raise ConfigError("LOANLEDGER_RATE_LIMIT_STORAGE_URI must be memory:// or redis://…")
    if settings.nonce_storage_uri != "database://" and not settings.nonce_storage_uri.startswith(
        ("redis://", "rediss://")
    ):
        raise ConfigError("LOANLEDGER_NONCE_STORAGE_URI must be database:// or redis://…")
    if settings.anonymous_rate_limit_burst < 1:
        raise ConfigError("LOANLEDGER_ANONYMOUS_RATE_LIMIT_BURST must be at least 1")
    if not 0 < settings.smtp_port < 65536:
        raise ConfigError("LOANLEDGER_SMTP_PORT must be a port number, 1–65535")
    if settings.smtp_password and not settings.smtp_user:
        raise ConfigError("LOANLEDGER_SMTP_PASSWORD is set without LOANLEDGER_SMTP_USER")
    if settings.rate_limit_burst < 1:
        raise ConfigError("LOANLEDGER_RATE_LIMIT_BURST must be at least 1")
