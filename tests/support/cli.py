"""The `loanledger` command against a database: in-process (click's CliRunner), or
`loanledger serve` as a real server in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from click.testing import CliRunner

from loanledger.cli import main
from tests.support.servers import free_port

SECRET = "cli-test-secret"


def run(url: str, *args: str, input: str | None = None):
    env = {
        "LOANLEDGER_ENV": "testing",
        "LOANLEDGER_DATABASE_URL": url,
        "LOANLEDGER_SECRET_KEY": SECRET,
        "LOANLEDGER_ALLOW_MANUAL_BUSINESS_DATE": None,
    }
    return CliRunner().invoke(main, list(args), env=env, input=input)


@contextmanager
def serve(url: str, **environ: str) -> Iterator[str]:
    """`loanledger serve` (gunicorn, one worker) in a subprocess on a free port of 127.0.0.1,
    on the database at `url`; `environ` adds settings (LOANLEDGER_...). Yields the base URL
    once the port takes connections; a server that exits first, or is not up within 20 s,
    fails the test with the end of its stderr. Stopped on leaving."""
    port = free_port()
    env = {
        **os.environ,
        "LOANLEDGER_ENV": "testing",
        "LOANLEDGER_DATABASE_URL": url,
        "LOANLEDGER_SECRET_KEY": SECRET,
        **environ,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "loanledger.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    raise AssertionError(
                        f"server did not start: {server.stderr.read().decode()[-2000:]}"
                    ) from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()
