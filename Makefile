# make run   — a development server on http://127.0.0.1:5000 with demo data, the scheduler and a
#              mail sink saving the notices' e-mails to instance/mail/ (SQLite)
# make test  — the whole suite on SQLite, then on PostgreSQL when it answers (CI=true: it must)
# make lint  — ruff (format check + lint) and mypy on the domain and the services
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
MAIL_PORT ?= 8025
MAIL_DIR := $(CURDIR)/instance/mail
PYTEST_ARGS ?=
export LOANLEDGER_TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
DEV_DB := sqlite:///$(CURDIR)/instance/loanledger.db
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgresql lint format install migration translations clean-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the declared dependencies change (the install is editable).
$(STAMP): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

install: $(STAMP)

run: export LOANLEDGER_ENV := development
run: export LOANLEDGER_DATABASE_URL := $(DEV_DB)
run: export LOANLEDGER_SMTP_HOST := 127.0.0.1
run: export LOANLEDGER_SMTP_PORT := $(MAIL_PORT)
run: $(STAMP)
	$(BIN)/loanledger init
	$(BIN)/loanledger demo-data
	@echo "Serving http://$(HOST):$(PORT)  (web pages; API docs: http://$(HOST):$(PORT)/api/v1/docs); the scheduler runs beside it; Ctrl-C stops all three"
	@echo "Notices e-mailed go to a local mail sink on 127.0.0.1:$(MAIL_PORT): read them in $(MAIL_DIR)/*.eml"
	@$(BIN)/python scripts/mail_sink.py --dir $(MAIL_DIR) --port $(MAIL_PORT) & sink=$$!; \
	$(BIN)/loanledger scheduler & scheduler=$$!; \
	trap 'kill $$scheduler $$sink 2>/dev/null || true' EXIT INT TERM; \
	$(BIN)/loanledger serve --host $(HOST) --port $(PORT)

# ruff (formatting and lint) over the code, mypy over the domain and the services (pyproject.toml).
LINT_PATHS := loanledger config tests bench scripts migrations
lint: $(STAMP)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS)

# Both runs always happen (a SQLite failure must not hide the PostgreSQL result); either fails the target.
test: $(STAMP)
	@status=0; \
	$(MAKE) --no-print-directory test-sqlite || status=1; \
	$(MAKE) --no-print-directory test-postgresql || status=1; \
	exit $$status

test-sqlite: $(STAMP)
	LOANLEDGER_TEST_ENGINE=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)

# The pure unit tests (tests/unit) touch no database: once, on SQLite, is enough.
test-postgresql: $(STAMP)
	@if $(BIN)/python scripts/pg_ready.py; then \
	  LOANLEDGER_TEST_ENGINE=postgresql $(BIN)/python -m pytest --ignore=tests/unit $(PYTEST_ARGS); \
	elif [ "$${CI:-}" = "true" ]; then \
	  echo "CI=true: PostgreSQL is required ($$LOANLEDGER_TEST_PG_URL)" >&2; exit 1; \
	else \
	  echo "PostgreSQL is not reachable: skipped the PostgreSQL run" >&2; \
	fi

# A new Alembic revision from the models: make migration MSG="what changed". The schema has
# shipped, so revisions are never edited after they land; this diffs the models against a
# scratch SQLite database at head (review the file; PostgreSQL-only DDL is written by hand).
migration: $(STAMP)
	@test -n "$${MSG:-}" || { echo 'usage: make migration MSG="what changed"' >&2; exit 2; }
	rm -f /tmp/loanledger-migration.db
	$(BIN)/alembic -x url=sqlite:////tmp/loanledger-migration.db upgrade head
	next=$$(printf '%04d' $$(( $$(ls migrations/versions/[0-9][0-9][0-9][0-9]_*.py | wc -l) + 1 ))); \
	$(BIN)/alembic -x url=sqlite:////tmp/loanledger-migration.db revision --autogenerate --rev-id "$$next" -m "$$MSG"

# The pages' text: extract the msgids (Chinese) from templates and web code, merge them into
# loanledger/translations/{zh_CN,en}/LC_MESSAGES/messages.po and compile the .mo files (committed).
# It lists English entries left to translate; files change only when a message did.
translations: $(STAMP)
	$(BIN)/python scripts/translations.py

clean-dev:
	rm -f instance/loanledger.db instance/loanledger.db-wal instance/loanledger.db-shm
