"""Exit 0 when the PostgreSQL of the test suite answers (LOANLEDGER_TEST_PG_URL), 1 otherwise."""

from __future__ import annotations

import os
import sys

import psycopg
from sqlalchemy.engine import make_url

DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> int:
    url = make_url(os.environ.get("LOANLEDGER_TEST_PG_URL") or DEFAULT).set(drivername="postgresql")
    try:
        with psycopg.connect(
            url.render_as_string(hide_password=False), connect_timeout=5
        ) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        print(f"PostgreSQL not reachable: {str(error).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
