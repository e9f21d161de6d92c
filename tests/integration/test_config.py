"""Settings: per-environment defaults, environment variables on top, unsafe ones refused."""

from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner

from config import ConfigError, load_settings
from loanledger.app import create_app
from loanledger.cli import main
from loanledger.jobs import smtp_settings

GOOD_SECRET = "kQ2v8-Xr_LpT0mZ4aW9eYc1NbH7sJd3F"  # 32 characters, as token_urlsafe gives


@pytest.mark.parametrize(
    "secret",
    ["x", "x" * 64, "ab" * 32, "dev-only-secret-change-me", "testing-secret", GOOD_SECRET[:31]],
)
def test_production_refuses_a_short_repetitive_or_published_secret(secret):
    with pytest.raises(ConfigError, match="LOANLEDGER_SECRET_KEY"):
        load_settings(env="production", environ={"LOANLEDGER_SECRET_KEY": secret})


def test_production_refuses_to_start_without_a_secret():
    with pytest.raises(ConfigError, match="LOANLEDGER_SECRET_KEY"):
        load_settings(env="production", environ={})


def test_production_refuses_the_manual_business_date():
    environ = {
        "LOANLEDGER_SECRET_KEY": GOOD_SECRET,
        "LOANLEDGER_ALLOW_MANUAL_BUSINESS_DATE": "true",
    }
    with pytest.raises(ConfigError, match="MANUAL_BUSINESS_DATE"):
        load_settings(env="production", environ=environ)


def test_production_with_a_secret_starts():
    settings = load_settings(env="production", environ={"LOANLEDGER_SECRET_KEY": GOOD_SECRET})
    assert settings.allow_manual_business_date is False
    assert settings.database_url.startswith("postgresql")


def test_environment_variables_override_the_defaults():
    settings = load_settings(
        environ={
            "LOANLEDGER_ENV": "development",
            "LOANLEDGER_DATABASE_URL": "sqlite:////tmp/elsewhere.db",
            "LOANLEDGER_SECRET_KEY": "from-the-environment",
            "LOANLEDGER_ALLOW_MANUAL_BUSINESS_DATE": "off",
        }
    )
    assert (
        settings.env,
        settings.database_url,
        settings.secret_key,
        settings.allow_manual_business_date,
    ) == (
        "development",
        "sqlite:////tmp/elsewhere.db",
        "from-the-environment",
        False,
    )


def test_the_environment_picks_the_defaults():
    assert load_settings(environ={"LOANLEDGER_ENV": "testing"}).env == "testing"
    assert load_settings(environ={}).env == "development"
    assert load_settings(environ={}).allow_manual_business_date is True


def test_the_session_cookie_is_https_only_in_production_unless_turned_off():
    secret = {"LOANLEDGER_SECRET_KEY": GOOD_SECRET}
    assert load_settings(env="production", environ=secret).session_cookie_secure is True
    assert load_settings(env="development", environ={}).session_cookie_secure is False
    off = {**secret, "LOANLEDGER_SESSION_COOKIE_SECURE": "false"}
    assert load_settings(env="production", environ=off).session_cookie_secure is False
    assert load_settings(
        env="development", environ={"LOANLEDGER_SESSION_COOKIE_SECURE": "on"}
    ).session_cookie_secure


def _session_cookie(app) -> str:
    response = app.test_client().get("/login")  # the form's CSRF token starts a session
    assert response.status_code == 200
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1
    return cookies[0]


def test_a_browser_gets_the_session_cookie_only_over_https_when_the_setting_is_on(settings, engine):
    secure = _session_cookie(create_app(replace(settings, session_cookie_secure=True), engine))
    assert "Secure" in secure and "HttpOnly" in secure and "SameSite=Lax" in secure
    assert "Secure" not in _session_cookie(create_app(settings, engine))


def test_metrics_can_be_turned_off_by_the_environment(settings, engine):
    assert load_settings(environ={}).metrics_enabled is True
    off = load_settings(environ={"LOANLEDGER_METRICS_ENABLED": "false"})
    assert off.metrics_enabled is False
    assert (
        create_app(replace(settings, metrics_enabled=False), engine)
        .test_client()
        .get("/metrics")
        .status_code
        == 404
    )
    assert create_app(settings, engine).test_client().get("/metrics").status_code == 200


@pytest.mark.parametrize(
    "environ",
    [
        {"LOANLEDGER_ENV": "staging"},
        {"LOANLEDGER_ALLOW_MANUAL_BUSINESS_DATE": "perhaps"},
        {"LOANLEDGER_SECRET_KEY": ""},
        {"LOANLEDGER_SESSION_COOKIE_SECURE": "sometimes"},
        {"LOANLEDGER_METRICS_ENABLED": "maybe"},
        {"LOANLEDGER_SMTP_PORT": "smtp"},
        {"LOANLEDGER_SMTP_PORT": "70000"},
        {"LOANLEDGER_SMTP_STARTTLS": "perhaps"},
        {"LOANLEDGER_SMTP_PASSWORD": "secret"},  # a password without a user
    ],
)
def test_bad_values_are_refused(environ):
    with pytest.raises(ConfigError):
        load_settings(environ=environ)


def test_the_smtp_server_comes_from_the_environment_and_hides_its_password():
    assert load_settings(environ={}).smtp_host is None  # no server: notices stay in the portal
    settings = load_settings(
        environ={
            "LOANLEDGER_SMTP_HOST": "smtp.example.cn",
            "LOANLEDGER_SMTP_PORT": "587",
            "LOANLEDGER_SMTP_USER": "notices",
            "LOANLEDGER_SMTP_PASSWORD": "s3cret-pass",
            "LOANLEDGER_SMTP_FROM": "notices@example.cn",
            "LOANLEDGER_SMTP_STARTTLS": "true",
        }
    )
    smtp = smtp_settings(settings)
    assert (smtp.host, smtp.port, smtp.user, smtp.sender, smtp.starttls) == (
        "smtp.example.cn",
        587,
        "notices",
        "notices@example.cn",
        True,
    )
    assert smtp.password == "s3cret-pass"
    assert "s3cret-pass" not in repr(settings) and "s3cret-pass" not in repr(smtp)
    assert load_settings(environ={"LOANLEDGER_SMTP_HOST": ""}).smtp_host is None


@pytest.mark.parametrize(
    "command", [["serve"], ["init"], ["bank", "create", "--code", "B", "--name", "B"]]
)
def test_the_cli_refuses_production_without_a_secret(command):
    result = CliRunner().invoke(
        main, command, env={"LOANLEDGER_ENV": "production", "LOANLEDGER_SECRET_KEY": None}
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "loanledger: production needs LOANLEDGER_SECRET_KEY"
    ]
    assert "Traceback" not in result.output
