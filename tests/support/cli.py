"""The `loanledger` command run in-process (click's CliRunner) against a database."""

from __future__ import annotations

from click.testing import CliRunner

from loanledger.cli import main

SECRET = "cli-test-secret"


def run(url: str, *args: str, input: str | None = None):
    env = {
        "LOANLEDGER_ENV": "testing",
        "LOANLEDGER_DATABASE_URL": url,
        "LOANLEDGER_SECRET_KEY": SECRET,
        "LOANLEDGER_ALLOW_MANUAL_BUSINESS_DATE": None,
    }
    return CliRunner().invoke(main, list(args), env=env, input=input)
