"""`loanledger demo`: a year of the 数字贷 programme played through the HTTP API.

- `programme` generates the year (banks, products, enterprises, filings, loans, each month's
  events and staff acts) as plain data from a seed: pure functions, no I/O.
- `player` plays it month by month through the API (a live server, or the app in this
  process) and writes the reconciliation reports and trial balances.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from loanledger.demo.player import DemoError, Player, Result, summary
from loanledger.demo.programme import PROFILES, Programme, generate

__all__ = ["PROFILES", "DemoError", "Programme", "Result", "generate", "run", "summary"]


def run(
    *,
    months: int = 12,
    seed: int = 2024,
    start: dt.date = dt.date(2024, 1, 1),
    profile: str = "full",
    out: Path,
    url: str | None = None,
    database_url: str | None = None,
    step: Callable[[str], None] = lambda _label: None,
) -> Result:
    """Generate and play. With `url`, requests go to that server and `database_url` (or the
    configured one) is used only to create the banks and users, with the configured secret
    key (the server's). Without it, a development app runs in this process on `database_url`,
    migrated and seeded first."""
    from config import load_settings
    from loanledger.persistence.db import make_engine, make_sessionmaker

    programme = generate(seed=seed, months=months, start=start, profile=PROFILES[profile])
    out.mkdir(parents=True, exist_ok=True)
    if url:
        from loanledger.demo.transport import Http

        settings = load_settings()
        transport = Http(url)
        transport.request(
            "GET", "/api/v1/openapi.json"
        )  # fails before anything is written when nobody answers
        engine = make_engine(database_url or settings.database_url)
        try:
            player = Player(
                transport, make_sessionmaker(engine), settings.secret_key, programme, out, step
            )
            return player.play()
        finally:
            engine.dispose()

    from loanledger.app import create_app
    from loanledger.demo.transport import InProcess
    from loanledger.persistence import migrate
    from loanledger.services.seed import seed as seed_reference
    from loanledger.services.unit_of_work import unit_of_work

    settings = load_settings(env="development", environ={}, database_url=database_url)
    settings = replace(settings, rate_limit_per_second=0.0)
    migrate.upgrade(settings.database_url)
    app = create_app(settings)
    ext = app.extensions["loanledger"]
    access = logging.getLogger(
        "loanledger.access"
    )  # one line a request: the progress bar says enough
    level = access.level
    access.setLevel(logging.WARNING)
    try:
        with unit_of_work(ext.sessionmaker) as db:
            seed_reference(db)
        player = Player(InProcess(app), ext.sessionmaker, settings.secret_key, programme, out, step)
        return player.play()
    finally:
        access.setLevel(level)
        ext.engine.dispose()
