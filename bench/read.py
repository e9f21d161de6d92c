"""Benchmark: read latency under an open-loop load, against a real gunicorn server.

    python bench/read.py                                  # PostgreSQL, 100,000 loans, 300 req/s, 60 s
    python bench/read.py --rate 150 --duration 30 --endpoints loan
    python bench/read.py --engine sqlite --loans 10000
    python bench/read.py --nonce-store redis://127.0.0.1:6379/14 --rate-limit-store redis://127.0.0.1:6379/14
    python bench/read.py --database postgresql://postgres@127.0.0.1/bench_read   # built once, kept
    python bench/read.py --profile 300 --database …      # in-process pyinstrument of signed GETs

The data is bench/close.py's (N loans of bank BENCH, each with a disbursement and an interest
record, written by COPY / executemany), then that month is closed, so the batch has one line
per loan. A key of BENCH and a staff user (auditor) with a bearer token are issued. A
`loanledger serve` process (gunicorn, 2 sync workers) answers; bench/read_load.py, a second
process, sends the requests on a fixed schedule (open loop, latency from the time each was
due): signed GETs of a random loan's view (`GET /api/v1/loans/{contract_no}`, as the bank) and
the batch's first lines page (`GET /api/v1/batches/{id}/lines`, as staff), taken in turn.

The rate limit stays on, set for the run to twice the offered rate (burst: two seconds of
it), so that it never refuses the benchmark's own traffic; the figures it was set to are
printed with the results. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.close import PERIOD, TODAY, populate  # noqa: E402
from bench.scratch import scratch_database  # noqa: E402
from loanledger.persistence import migrate  # noqa: E402
from loanledger.persistence.db import make_engine  # noqa: E402
from loanledger.persistence.tables import BankKey, Batch, Loan, User  # noqa: E402
from loanledger.services import identity  # noqa: E402
from loanledger.services.close import close_period  # noqa: E402

SECRET_KEY = "bench-secret"
STAFF, STAFF_PASSWORD = "bench-auditor", "bench-password"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1/test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(url: str, loans: int) -> dict:
    """The loans, the closed month's batch, a bank key and a staff token (built once: a
    database that has the loans already only gets a new key and token)."""
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as db:
        have = db.scalar(select(func.count()).select_from(Loan)) or 0
    if have == 0:
        started = time.perf_counter()
        populate(engine, loans)
        with Session(engine) as db:
            close_period(db, PERIOD, "bench", TODAY)
            db.commit()
        if engine.dialect.name == "postgresql":  # as autovacuum would soon after a close
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("ANALYZE"))
        print(
            f"built {loans} loans and closed {PERIOD} in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        have = loans
    with Session(engine) as db:
        for old in db.scalars(
            select(BankKey.key_id).where(BankKey.bank_code == "BENCH", BankKey.status == "active")
        ):
            identity.revoke_key(db, old, actor="bench")  # a kept database: at most 2 active keys
        issued = identity.rotate_key(db, "BENCH", SECRET_KEY, actor="bench")
        user = db.scalar(select(User).where(User.username == STAFF)) or identity.create_user(
            db, STAFF, "auditor", STAFF_PASSWORD, actor="bench"
        )
        db.flush()
        token, _expires = identity.issue_token(db, user, 24 * 3600)
        batch_id = db.scalar(select(Batch.id).where(Batch.period == PERIOD).order_by(Batch.id))
        db.commit()
    engine.dispose()
    return {
        "loans": have,
        "key_id": issued["key_id"],
        "secret": issued["secret"],
        "token": token,
        "batch_id": batch_id,
    }


def server_env(url: str, rate: float, args: argparse.Namespace) -> dict[str, str]:
    """The run's settings: the rate limit on, above the offered load (never refusing the
    benchmark's own requests), on the store asked for; the nonce store asked for."""
    per_second = max(200.0, 2 * rate)
    env = {
        **os.environ,
        "LOANLEDGER_ENV": "development",
        "LOANLEDGER_DATABASE_URL": url,
        "LOANLEDGER_SECRET_KEY": SECRET_KEY,
        "LOANLEDGER_RATE_LIMIT_PER_SECOND": str(per_second),
        "LOANLEDGER_RATE_LIMIT_BURST": str(int(2 * per_second)),
        "LOANLEDGER_RATE_LIMIT_STORAGE_URI": args.rate_limit_store,
    }
    if args.nonce_store:
        env["LOANLEDGER_NONCE_STORAGE_URI"] = args.nonce_store
    return env


@contextlib.contextmanager
def serving(env: dict[str, str], port: int, workers: int) -> Iterator[subprocess.Popen]:
    command = [
        sys.executable,
        "-m",
        "loanledger.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        # Ready when both workers have built their app and answered: gunicorn accepts
        # connections before its workers have loaded the app (seconds on a busy machine),
        # and a load started then measures the boot's backlog, not the service.
        answered = 0
        for _ in range(600):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                answered += connection.getresponse().status == 200
                connection.close()
            except OSError:
                time.sleep(0.1)
            if answered >= 4 * workers:
                break
        else:
            raise RuntimeError("the server did not start")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def load(port: int, built: dict, args: argparse.Namespace) -> dict:
    command = [
        sys.executable,
        str(ROOT / "bench" / "read_load.py"),
        "--url", f"http://127.0.0.1:{port}",
        "--rate", str(args.rate),
        "--duration", str(args.duration),
        "--warmup", str(args.warmup),
        "--endpoints", args.endpoints,
        "--key-id", built["key_id"],
        f"--secret={built['secret']}",  # with '=': a token may begin with '-'
        "--loans", str(built["loans"]),
        f"--token={built['token']}",
        "--batch-id", str(built["batch_id"]),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def profile(url: str, built: dict, args: argparse.Namespace) -> dict:
    """`args.profile` signed GETs of random loans (or lines pages) in this process (Flask's test client, no
    HTTP), after 50 to warm up: milliseconds a request, SQL statements a request, and
    pyinstrument's tree (written to --profile-out)."""
    import random

    from pyinstrument import Profiler

    from config import load_settings
    from loanledger.app import create_app
    from loanledger.client import TestClientBank

    env = server_env(url, args.rate, args)
    settings = load_settings(environ=env)
    app = create_app(settings)
    bank = TestClientBank(app.test_client(), built["key_id"], built["secret"])
    statements = [0]
    event.listen(
        app.extensions["loanledger"].engine,
        "before_cursor_execute",
        lambda *a: statements.__setitem__(0, statements[0] + 1),
    )

    client = app.test_client()
    lines = f"/api/v1/batches/{built['batch_id']}/lines?limit=50"

    def one() -> None:
        if args.profile_endpoint == "lines":
            response = client.get(lines, headers={"Authorization": f"Bearer {built['token']}"})
        else:
            response = bank.get(f"/api/v1/loans/C{random.randrange(built['loans'])}")
        assert response.status_code == 200, response.data[:300]

    for _ in range(50):
        one()
    statements[0] = 0
    # Measured without the profiler first (its sampling costs in proportion to wall time):
    # wall and CPU of this process (app and test client; not PostgreSQL's own CPU).
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.profile):
        one()
    unprofiled = time.perf_counter() - started, time.process_time() - cpu
    statements_per_request = statements[0] / args.profile
    profiler = Profiler(interval=0.0002)
    started = time.perf_counter()
    with profiler:
        for _ in range(args.profile):
            one()
    seconds = time.perf_counter() - started
    Path(args.profile_out).write_text(profiler.output_text(unicode=True, show_all=False))
    return {
        "profiled_requests": args.profile,
        "ms_per_request": round(unprofiled[0] * 1000 / args.profile, 2),
        "cpu_ms_per_request": round(unprofiled[1] * 1000 / args.profile, 2),
        "profiled_ms_per_request": round(seconds * 1000 / args.profile, 2),
        "sql_statements_per_request": round(statements_per_request, 1),
        "profile": args.profile_out,
    }


@contextlib.contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    if args.database:
        yield args.database
        return
    with scratch_database(args.server if args.engine == "postgresql" else None, "read") as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument(
        "--rate", type=float, default=300.0, help="requests per second, all endpoints together"
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="seconds of load before measuring"
    )
    parser.add_argument(
        "--endpoints", default="loan,lines", help="loan, lines or loan,lines (taken in turn)"
    )
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--server", default=DEFAULT_SERVER, help="PostgreSQL server for the scratch database"
    )
    parser.add_argument("--database", help="a database URL to use (built there if empty) and keep")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--rate-limit-store", default="memory://", help="LOANLEDGER_RATE_LIMIT_STORAGE_URI"
    )
    parser.add_argument(
        "--nonce-store", help="LOANLEDGER_NONCE_STORAGE_URI (default: the database)"
    )
    parser.add_argument(
        "--profile", type=int, default=0, help="profile this many signed GETs in-process instead"
    )
    parser.add_argument("--profile-out", default="read-profile.txt")
    parser.add_argument("--profile-endpoint", choices=("loan", "lines"), default="loan")
    args = parser.parse_args()
    with database(args) as url:
        built = build(url, args.loans)
        if args.profile:
            result = profile(url, built, args)
        else:
            env = server_env(url, args.rate, args)
            port = _free_port()
            with serving(env, port, args.workers):
                result = load(port, built, args)
            result["rate_limit"] = {
                "per_second": float(env["LOANLEDGER_RATE_LIMIT_PER_SECOND"]),
                "burst": int(env["LOANLEDGER_RATE_LIMIT_BURST"]),
                "store": env["LOANLEDGER_RATE_LIMIT_STORAGE_URI"],
            }
    result.update(
        engine=make_url(url).get_backend_name(),
        loans=built["loans"],
        workers=args.workers,
        nonce_store=args.nonce_store or "database",
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
