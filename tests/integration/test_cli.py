"""The `loanledger` command against the database under test."""

from __future__ import annotations

import datetime as dt
import gc
import json

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from loanledger import cli
from loanledger.client import BankClient
from loanledger.domain.ledger import ACCOUNT_NAMES
from loanledger.persistence.tables import (
    Account,
    BankKey,
    BusinessDate,
    LprRate,
    PolicyVersion,
    User,
)
from loanledger.services import identity
from loanledger.services.seed import POLICY_V1_IN_FORCE_FROM, lpr_rows
from tests.support.cli import SECRET, run, serve


def _counts(db) -> tuple[int, int, int]:
    db.expire_all()
    return tuple(
        db.scalar(select(func.count()).select_from(t)) for t in (LprRate, Account, PolicyVersion)
    )


def _refused(result, exit_code: int = 1) -> str:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# ---------------------------------------------------------------- init
def test_init_twice_is_safe(empty_database_url):
    from loanledger.persistence.db import make_engine, make_sessionmaker

    first = run(empty_database_url, "init")
    assert first.exit_code == 0, first.output
    assert f"lpr_rates +{len(lpr_rows())}" in first.stdout
    second = run(empty_database_url, "init")
    assert second.exit_code == 0, second.output
    assert "lpr_rates +0, accounts +0, policy_versions +0" in second.stdout
    engine = make_engine(empty_database_url, sqlite_wal=False)
    try:
        with make_sessionmaker(engine)() as db:
            assert _counts(db) == (len(lpr_rows()), len(ACCOUNT_NAMES), 1)
            assert db.get(BusinessDate, 1) is None  # any first business date stays possible
            policy = db.get(PolicyVersion, 1)
            assert policy.in_force_from == POLICY_V1_IN_FORCE_FROM
            assert {a.code: a.kind for a in db.scalars(select(Account))}["2001"] == "liability"
    finally:
        engine.dispose()


def test_init_adds_only_what_is_missing(database_url, db):
    db.delete(db.get(Account, "5002"))
    db.commit()
    result = run(database_url, "init")
    assert "accounts +1" in result.stdout and "lpr_rates +0" in result.stdout
    assert _counts(db)[1] == len(ACCOUNT_NAMES)


@pytest.mark.parametrize("where", ["directory", "closed port"])
def test_init_reports_an_unreachable_database(tmp_path, where):
    url = (
        f"sqlite:///{tmp_path}"
        if where == "directory"
        else "postgresql+psycopg://postgres@127.0.0.1:9/x"
    )
    message = _refused(run(url, "init"))
    assert message.startswith("loanledger: cannot migrate")


# ---------------------------------------------------------------- users
def test_user_create_with_a_password(database_url, db):
    result = run(
        database_url,
        "user",
        "create",
        "--username",
        "ann",
        "--role",
        "clerk",
        "--password",
        "long-enough",
    )
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.username == "ann"))
    assert user.role == "clerk" and user.password_hash != "long-enough"


def test_user_create_prompts_twice_for_the_password(database_url, db):
    result = run(
        database_url,
        "user",
        "create",
        "--username",
        "ent",
        "--role",
        "enterprise",
        "--uscc",
        "9" * 18,
        input="long-enough\nlong-enough\n",
    )
    assert result.exit_code == 0, result.output
    assert "long-enough" not in result.stdout
    assert identity.authenticate_password(db, "ent", "long-enough").uscc == "9" * 18


def test_real_password_hashes_are_scrypt(database_url, db, monkeypatch):
    monkeypatch.setattr(
        identity, "generate_password_hash", generate_password_hash
    )  # undo the test speed-up
    run(
        database_url,
        "user",
        "create",
        "--username",
        "ann",
        "--role",
        "admin",
        "--password",
        "long-enough",
    )
    assert db.scalar(select(User.password_hash).where(User.username == "ann")).startswith("scrypt:")


@pytest.mark.parametrize(
    "args, exit_code, message",
    [
        (["--role", "clerk", "--password", "short"], 1, "8 characters"),
        (["--role", "enterprise", "--password", "long-enough"], 1, "--uscc"),
        (["--role", "boss", "--password", "long-enough"], 2, "boss"),
    ],
)
def test_user_create_refusals(database_url, args, exit_code, message):
    result = run(database_url, "user", "create", "--username", "bob", *args)
    assert result.exit_code == exit_code
    assert message in result.stderr and "Traceback" not in result.output


def test_user_create_a_bank_user_with_a_display_name(database_url, db):
    assert (
        run(database_url, "bank", "create", "--code", "ZSRCB", "--name", "中山农商银行").exit_code
        == 0
    )
    result = run(
        database_url,
        "user",
        "create",
        "--username",
        "zs.li",
        "--role",
        "bank",
        "--bank",
        "ZSRCB",
        "--display-name",
        "李四",
        "--password",
        "long-enough",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "user zs.li created (bank)\n"
    db.expire_all()
    user = db.scalar(select(User).where(User.username == "zs.li"))
    assert (user.role, user.bank_code, user.display_name) == ("bank", "ZSRCB", "李四")


@pytest.mark.parametrize(
    "args, exit_code, message",
    [
        (["--role", "bank"], 2, "--bank is required for role bank"),
        (["--role", "clerk", "--bank", "ZSRCB"], 2, "--bank is for role bank only"),
        (["--role", "bank", "--bank", "NOPE"], 1, "no bank NOPE"),
        (["--role", "clerk", "--display-name", "长" * 65], 1, "at most 64 characters"),
    ],
)
def test_user_create_bank_and_name_refusals(database_url, db, args, exit_code, message):
    result = run(
        database_url, "user", "create", "--username", "bob", "--password", "long-enough", *args
    )
    assert result.exit_code == exit_code, result.output
    assert message in result.stderr and "Traceback" not in result.output
    db.expire_all()
    assert db.scalar(select(User).where(User.username == "bob")) is None


def test_duplicate_user_is_refused(database_url):
    run(
        database_url,
        "user",
        "create",
        "--username",
        "ann",
        "--role",
        "clerk",
        "--password",
        "long-enough",
    )
    again = run(
        database_url,
        "user",
        "create",
        "--username",
        "ann",
        "--role",
        "clerk",
        "--password",
        "long-enough",
    )
    assert _refused(again) == "loanledger: user ann exists"


# ---------------------------------------------------------------- banks
def test_bank_create_prints_a_working_key(database_url, db):
    result = run(database_url, "bank", "create", "--code", "ZSRCB", "--name", "中山农商银行")
    assert result.exit_code == 0, result.output
    issued = json.loads(result.stdout)
    assert set(issued) == {"bank_code", "key_id", "secret"} and issued["bank_code"] == "ZSRCB"
    assert identity.active_bank_key(db, issued["key_id"], SECRET) == ("ZSRCB", issued["secret"])
    stored = db.get(BankKey, issued["key_id"]).secret_encrypted
    assert issued["secret"] not in stored  # encrypted at rest


def test_rotate_then_revoke(database_url, db):
    first = json.loads(run(database_url, "bank", "create", "--code", "B1", "--name", "One").stdout)
    second = json.loads(run(database_url, "bank", "rotate-key", "--code", "B1").stdout)
    assert second["bank_code"] == "B1" and second["key_id"] != first["key_id"]
    assert "revoke one first" in _refused(run(database_url, "bank", "rotate-key", "--code", "B1"))
    revoked = run(database_url, "bank", "revoke-key", "--key-id", first["key_id"])
    assert json.loads(revoked.stdout)["status"] == "revoked"
    assert identity.active_bank_key(db, first["key_id"], SECRET) is None
    assert identity.active_bank_key(db, second["key_id"], SECRET) is not None


@pytest.mark.parametrize(
    "args, message",
    [
        (["rotate-key", "--code", "NOPE"], "no bank NOPE"),
        (["revoke-key", "--key-id", "k_nope"], "no key k_nope"),
    ],
)
def test_bank_refusals(database_url, args, message):
    assert _refused(run(database_url, "bank", *args)) == f"loanledger: {message}"


def test_duplicate_bank_is_refused(database_url):
    run(database_url, "bank", "create", "--code", "B1", "--name", "One")
    again = run(database_url, "bank", "create", "--code", "B1", "--name", "One")
    assert _refused(again) == "loanledger: bank B1 exists"


# ---------------------------------------------------------------- close
@pytest.mark.parametrize("period", ["2025-13", "2025-1", "25-01", "2025-01-01"])
def test_close_refuses_a_malformed_period(database_url, period):
    result = run(database_url, "close", period)
    assert result.exit_code == 2 and "YYYY-MM" in result.output


def test_close_of_a_month_not_over_is_refused(database_url, db):
    db.add(BusinessDate(id=1, today=dt.date(2025, 1, 15)))
    db.commit()
    message = _refused(run(database_url, "close", "2025-01"))
    assert "period_not_over" in message


def test_close_prints_the_period_view(database_url, db):

    db.add(BusinessDate(id=1, today=dt.date(2025, 2, 10)))
    db.commit()
    result = run(database_url, "close", "2025-01")
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert view["period"] == "2025-01" and view["status"] == "closed"
    again = run(database_url, "close", "2025-01")
    assert json.loads(again.stdout) == view


# ---------------------------------------------------------------- serve
@pytest.mark.slow
def test_serve_answers_signed_requests(database_url):
    issued = json.loads(run(database_url, "bank", "create", "--code", "B1", "--name", "One").stdout)
    with serve(database_url) as url:
        remote = BankClient(url, issued["key_id"], issued["secret"])
        answer = remote.get("/api/v1/loans")
        assert answer.status_code == 200, answer.data
        assert answer.json == {"items": [], "next_cursor": None}


def test_a_workers_start_up_is_out_of_the_collectors_sight(database_url, monkeypatch):
    """cli.worker_app: what start-up built is frozen, so a full collection in a worker
    traverses only what its requests left."""
    monkeypatch.setenv("LOANLEDGER_ENV", "testing")
    monkeypatch.setenv("LOANLEDGER_DATABASE_URL", database_url)
    gc.unfreeze()
    try:
        app = cli.worker_app()
        assert gc.get_freeze_count() > 10_000
        assert app.extensions["loanledger"].settings.database_url == database_url
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(
    "command", [["bank", "create", "--code", "B", "--name", "B"], ["demo-data"]]
)
def test_a_database_without_init_is_explained(empty_database_url, command):
    message = _refused(run(empty_database_url, *command))
    assert message.startswith("loanledger: database error:") and "loanledger init" in message
