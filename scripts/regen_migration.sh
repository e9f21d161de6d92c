#!/usr/bin/env bash
# Regenerate migrations/versions/0001_initial_schema.py from the models (see the .py).
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-.venv/bin/python}" scripts/regen_migration.py "$@"
