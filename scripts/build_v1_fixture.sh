#!/usr/bin/env bash
# Rebuild tests/integration/data/v1-demo.sqlite.gz: a database written by version 1 of the
# service (commit 13b1782, the last before risk pools), for the test of migration 0010
# (tests/integration/test_migration_0010.py). Three months of `loanledger demo --profile small
# --seed 7`: claims, payments, a recovery share left as a receivable (accounts 1101, 3002, 5002,
# 1202:{bank} with balances, 2002:{bank} paid down to zero). Run from anywhere in the
# checkout, with `make install` done; needs git and network-free Python only.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
V1_COMMIT=13b1782
work=$(mktemp -d)
trap 'git worktree remove --force "$work/src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/src" "$V1_COMMIT" >/dev/null
# Version 1's code first on the path (its own migrations, config and package: `python -m` puts
# the working directory first, hence the cd), this checkout's venv for the libraries.
(cd "$work/src" && PYTHONPATH="$work/src" LOANLEDGER_ENV=development "$repo/.venv/bin/python" \
    -m loanledger.cli demo --profile small --months 3 --seed 7 --out "$work/out" >/dev/null)
.venv/bin/python - "$work/out/demo.db" <<'PY'
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
connection.execute("PRAGMA journal_mode=DELETE")
connection.execute("VACUUM")
connection.close()
PY
mkdir -p tests/integration/data
gzip -9 -n -c "$work/out/demo.db" > tests/integration/data/v1-demo.sqlite.gz
echo "tests/integration/data/v1-demo.sqlite.gz: $(stat -c %s tests/integration/data/v1-demo.sqlite.gz) bytes"
