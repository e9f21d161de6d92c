"""What the environment says about the test run: the engine under test, the PostgreSQL
server, and whether this is CI (where a missing server or browser is an error, not a skip)."""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

ENGINE = os.environ.get("LOANLEDGER_TEST_ENGINE", "sqlite").strip().lower()
PG_URL = os.environ.get(
    "LOANLEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
if make_url(PG_URL).drivername == "postgresql":  # plain postgresql:// would mean psycopg2
    PG_URL = (
        make_url(PG_URL).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    )
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
