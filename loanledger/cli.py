"""The `loanledger` command: set up the database, run the server, manage users and banks.

User mistakes end with one line on stderr and exit status 1 (2 for bad usage or
configuration), never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from config import ConfigError, Settings, load_settings
from loanledger.domain.vocabulary import Role, words

EXIT_FAILURE, EXIT_USAGE = 1, 2


class Refused(click.ClickException):
    """A request the command could not carry out (exit 1, one line on stderr)."""

    exit_code = EXIT_FAILURE

    def show(self, file=None) -> None:
        # Driver messages may span lines; the contract is one line.
        message = " ".join(
            part.strip() for part in self.format_message().splitlines() if part.strip()
        )
        click.echo(f"loanledger: {message}", err=True)


class BadConfig(Refused):
    exit_code = EXIT_USAGE


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as error:
        raise BadConfig(str(error)) from None


def _ensure_sqlite_dir(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


@contextlib.contextmanager
def _database_errors() -> Iterator[None]:
    try:
        yield
    except (OperationalError, ProgrammingError) as error:
        detail = str(error.orig or error)
        hint = (
            " (has `loanledger init` run?)"
            if "no such table" in detail or "does not exist" in detail
            else ""
        )
        raise Refused(f"database error: {detail}{hint}") from None


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """A use case's refusal as one line: its code (when it has one) and its message."""
    from loanledger.domain.errors import Refusal

    try:
        yield
    except Refusal as error:
        raise Refused(f"{error.code}: {error.message}" if error.code else error.message) from None


@contextlib.contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """One unit of work: committed if the block ends normally, rolled back otherwise; a
    refusal ends the command with its one line."""
    from loanledger.persistence.db import make_engine, make_sessionmaker
    from loanledger.services.unit_of_work import unit_of_work

    engine = make_engine(settings.database_url, sqlite_wal=settings.sqlite_wal)
    try:
        with _refusals(), _database_errors(), unit_of_work(make_sessionmaker(engine)) as db:
            yield db
    finally:
        engine.dispose()


def _print_json(payload) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """LoanLedger: interest subsidy and risk compensation for bank loans."""


# ------------------------------------------------------------------ init / serve
@main.command()
def init() -> None:
    """Migrate the database to the latest schema and add missing reference data."""
    from loanledger.persistence import migrate
    from loanledger.services.seed import seed

    settings = _settings()
    _ensure_sqlite_dir(settings.database_url)
    try:
        migrate.upgrade(settings.database_url)
    except OperationalError as error:
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        raise Refused(f"cannot migrate {where}: {error.orig or error}") from None
    with _session(settings) as db:
        added = seed(db)
    summary = ", ".join(f"{name} +{count}" for name, count in added.items())
    click.echo(f"database ready ({summary})")


def _run_gunicorn(options: dict) -> None:
    # Imported here: `loanledger` commands other than serve need not load gunicorn.
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            for name, value in options.items():
                self.cfg.set(name, value)
            if "control_socket_disable" in self.cfg.settings:
                # gunicorn ≥ 24's control socket has one fixed path per user: a second
                # server on the machine would take it over. Nothing here uses it.
                self.cfg.set("control_socket_disable", True)

        def load(self):
            # Called in each worker after the fork: every worker gets its own engine.
            return worker_app()

    Server().run()


def worker_app():
    """A gunicorn worker's app. What start-up built (modules, the OpenAPI spec, the models,
    ~140,000 objects) lives as long as the worker: it is taken out of the cyclic collector's
    sight (gc.freeze), so that the collector's full runs, every few hundred requests, traverse
    only what requests left instead of pausing the worker 30–60 ms (measured), which is the
    read target's whole p99 budget."""
    import gc

    from loanledger.app import create_app

    app = create_app()
    gc.collect()  # start-up's own garbage first: frozen, it would never be collected
    gc.freeze()
    return app


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the HTTP API with gunicorn."""
    _settings()  # refuse a bad configuration before any worker starts
    # No gunicorn access log: the app writes one JSON access line per request, with its id.
    _run_gunicorn({"bind": f"{host}:{port}", "workers": workers, "timeout": 120})


# ------------------------------------------------------------------ users
@main.group()
def user() -> None:
    """Staff and enterprise users."""


@user.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(words(Role)))
@click.option(
    "--display-name", default=None, help="the person's name as the pages show it (else username)"
)
@click.option("--uscc", default=None, help="the enterprise's USCC (role enterprise only)")
@click.option(
    "--bank",
    "--bank-code",
    "bank_code",
    default=None,
    help="the partner bank's code (role bank only, required for it)",
)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_create(
    username: str,
    role: str,
    display_name: str | None,
    uscc: str | None,
    bank_code: str | None,
    password: str,
) -> None:
    """Create a user (prompts for the password when --password is left out)."""
    from loanledger.services import identity

    if role == Role.BANK and not bank_code:
        raise click.UsageError("--bank is required for role bank")
    if role != Role.BANK and bank_code:
        raise click.UsageError("--bank is for role bank only")
    settings = _settings()
    with _session(settings) as db:
        identity.create_user(
            db,
            username,
            role,
            password,
            uscc=uscc,
            actor="cli",
            display_name=display_name,
            bank_code=bank_code,
        )
    click.echo(f"user {username} created ({role})")


# ------------------------------------------------------------------ banks
@main.group()
def bank() -> None:
    """Banks and their signing keys (the secret is shown once, here)."""


def _bank_call(action) -> None:
    with _session(_settings()) as db:
        result = action(db)
    _print_json(result)


@bank.command("create")
@click.option("--code", required=True)
@click.option("--name", required=True)
def bank_create(code: str, name: str) -> None:
    """Create a bank with its first key; prints {bank_code, key_id, secret}."""
    from loanledger.services import identity

    secret_key = _settings().secret_key
    _bank_call(lambda db: identity.create_bank(db, code, name, secret_key, actor="cli"))


@bank.command("rotate-key")
@click.option("--code", required=True)
def bank_rotate_key(code: str) -> None:
    """Add a second active key; prints {bank_code, key_id, secret}."""
    from loanledger.services import identity

    secret_key = _settings().secret_key
    _bank_call(lambda db: identity.rotate_key(db, code, secret_key, actor="cli"))


@bank.command("revoke-key")
@click.option("--key-id", required=True)
def bank_revoke_key(key_id: str) -> None:
    """Revoke a key at once."""
    from loanledger.services import identity

    _bank_call(lambda db: identity.revoke_key(db, key_id, actor="cli"))


# ------------------------------------------------------------------ close / demo
def _period(_ctx, _param, value: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise click.BadParameter("a period is YYYY-MM")
    return value


@main.command()
@click.argument("period", callback=_period)
def close(period: str) -> None:
    """Close a month (YYYY-MM) and print the period view."""
    from loanledger.services import clock
    from loanledger.services.close import close_period

    settings = _settings()
    with _session(settings) as db:
        today = clock.today(db, manual=settings.allow_manual_business_date)
        view = close_period(db, period, actor="cli", today=today)
    _print_json(view)


@main.command()
def purge() -> None:
    """Delete expired Idempotency-Keys and nonces, and failed sign-ins past their window;
    prints the counts as JSON."""
    import datetime as dt

    from loanledger.services.retention import purge_expired

    settings = _settings()
    with _session(settings) as db:
        counts = purge_expired(
            db,
            dt.datetime.now(dt.UTC),
            idempotency_ttl_days=settings.idempotency_ttl_days,
            nonce_ttl_seconds=settings.nonce_ttl_seconds,
        )
    _print_json(counts)


@main.command()
@click.option("--once", is_flag=True, help="Run every job once (catch-up closes first) and exit.")
def scheduler(once: bool) -> None:
    """Run the scheduler: due closes (catching up missed months), 公示, filing lapse, purge,
    the integrity check. Run exactly one; a second one waits on the job locks and does nothing twice."""
    import logging

    from loanledger.jobs import Jobs, build_scheduler

    settings = _settings()
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
    # APScheduler says "Running job …" and "executed successfully" at INFO for every run:
    # with the imports polled every 5 s that buries the log. A failed job is still an ERROR.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    jobs = Jobs(settings)
    with _database_errors():
        if once:
            _print_json(jobs.run_once())
            return
        build_scheduler(jobs).start()


@main.command()
@click.option("--once", is_flag=True, help="Run every close and import waiting, then exit.")
@click.option(
    "--interval",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="seconds between looks when nothing is waiting",
)
def worker(once: bool, interval: float) -> None:
    """Run the closes the pages asked for and the imports that POST /imports left pending (as
    many workers as wanted, on any machine that reaches the database). SIGTERM or Ctrl-C: the
    current chunk ends, the import goes back to pending for the next worker (a close under way
    runs to its end: it is one transaction), and the command exits."""
    import logging
    import signal
    import threading

    from loanledger.persistence.db import make_engine, make_sessionmaker
    from loanledger.services import close_jobs, import_worker

    settings = _settings()
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    engine = make_engine(settings.database_url, sqlite_wal=settings.sqlite_wal)
    sessions = make_sessionmaker(engine)
    taken: list[int] = []
    closed: list[int] = []
    logging.getLogger("loanledger.imports").info("worker started: looking every %s s", interval)
    try:
        with _database_errors():
            while not stop.is_set():
                closed += close_jobs.drain(sessions, stop)
                taken += import_worker.drain(sessions, stop)
                if once:
                    break
                stop.wait(interval)
    finally:
        engine.dispose()
    if once:
        _print_json({"imports": taken, "close_jobs": closed})


@main.command("demo-data")
def demo_data() -> None:
    """Load a small demonstration data set (only what is missing) and print the logins."""
    from loanledger import demo_data as demo
    from loanledger.app import create_app

    app = create_app(_settings())
    app.config["LOANLEDGER_ACCESS_LOG"] = False  # in-process calls: the report says what happened
    try:
        with _database_errors():
            report = demo.load(app)
    finally:
        app.extensions["loanledger"].engine.dispose()
    click.echo(demo.describe(report))


@main.command()
@click.option("--months", default=12, show_default=True, type=click.IntRange(1, 24))
@click.option("--seed", default=2024, show_default=True, type=int)
@click.option(
    "--start", default="2024-01", show_default=True, callback=_period, help="first month, YYYY-MM"
)
@click.option(
    "--profile",
    default="full",
    show_default=True,
    type=click.Choice(["full", "small"]),
    help="full: 11 banks, 16 products, 100 enterprises, ~300 loans; small: a quick one",
)
@click.option(
    "--url",
    default=None,
    help="a running server (http://host:port); default: the app in this process",
)
@click.option(
    "--db",
    "database_url",
    default=None,
    help="database URL (in-process: default a fresh SQLite file in --out; with --url: where banks "
    "and users are created, default the configured one)",
)
@click.option(
    "--out",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="folder for the reports (default instance/demo-<timestamp>)",
)
def demo(
    months: int,
    seed: int,
    start: str,
    profile: str,
    url: str | None,
    database_url: str | None,
    out: Path | None,
) -> None:
    """Play a year of the programme through the HTTP API and print a summary per month."""
    import datetime as dt
    import time

    from config import REPO_ROOT
    from loanledger import demo as demo_run

    out = out or REPO_ROOT / "instance" / f"demo-{dt.datetime.now():%Y%m%d-%H%M%S}"
    if url is None and database_url is None:
        database_url = f"sqlite:///{(out / 'demo.db').resolve()}"
        if (out / "demo.db").exists():
            raise Refused(
                f"{out / 'demo.db'} exists: the demo needs a fresh database (choose another --out)"
            )
    if url is None:
        _ensure_sqlite_dir(database_url)
    began = time.monotonic()
    with click.progressbar(
        length=months + 1, label="demo", file=sys.stderr, item_show_func=lambda label: label
    ) as bar:
        labels: list[str] = []

        def step(label: str) -> None:
            if labels:
                bar.update(1, label)
            else:
                bar.label = "demo"
                bar.update(0, label)
            labels.append(label)

        try:
            with _database_errors():
                result = demo_run.run(
                    months=months,
                    seed=seed,
                    start=dt.date.fromisoformat(f"{start}-01"),
                    profile=profile,
                    out=out,
                    url=url,
                    database_url=database_url,
                    step=step,
                )
        except demo_run.DemoError as error:
            raise Refused(f"demo stopped: {error}") from None
        except ConfigError as error:
            raise BadConfig(str(error)) from None
        except OSError as error:  # --url: the server does not answer (URLError is an OSError)
            raise Refused(f"cannot reach {url}: {getattr(error, 'reason', error)}") from None
        bar.update(1, "done")
    click.echo(demo_run.summary(result))
    click.echo(
        f"server: {url}"
        if url
        else f"database: {make_url(database_url).render_as_string(hide_password=True)}"
    )
    click.echo("logins: " + ", ".join(f"{u} / {p} ({r})" for u, p, r in result.logins))
    click.echo(f"took {time.monotonic() - began:.1f} s")
    if not result.ok:
        sys.exit(EXIT_FAILURE)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
