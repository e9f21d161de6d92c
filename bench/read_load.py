"""Open-loop load for bench/read.py, run as a process of its own (the server's CPU is not
shared with the client's GIL).

Request i is due at `start + i / rate`, whatever happened to the earlier ones: a thread of a
large pool takes it at that time, signs it (a bank's loan view) or bears the staff token (the
batch lines page), and sends it on a new connection (gunicorn's sync workers close each one).
Latency runs from the time the request was due, not from when it could be sent, so a
saturated server shows as growing latency rather than as a slower client (no coordinated
omission). A request not answered within `--timeout` (10 s) of its due time counts as an
error. The first `--warmup` seconds are sent but not counted. Prints one JSON line:
per endpoint the count, p50/p90/p99/max in ms and the errors by status.

    python bench/read_load.py --url http://127.0.0.1:8000 --rate 300 --duration 60 \
        --key-id k_… --secret … --loans 100000 --token … --batch-id 1
"""

from __future__ import annotations

import argparse
import http.client
import json
import queue
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loanledger.client import BankClient

ENDPOINTS = ("loan", "lines")


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(samples: list[tuple[str, float, int | str]]) -> dict:
    """Per endpoint: count, p50/p90/p99/max in ms, and the errors by status (or exception)."""
    out = {}
    for name in sorted({s[0] for s in samples}):
        mine = [s for s in samples if s[0] == name]
        ordered = sorted(s[1] * 1000 for s in mine)
        errors = Counter(str(s[2]) for s in mine if s[2] != 200)
        out[name] = {
            "requests": len(mine),
            "p50_ms": round(_percentile(ordered, 0.50), 1),
            "p90_ms": round(_percentile(ordered, 0.90), 1),
            "p99_ms": round(_percentile(ordered, 0.99), 1),
            "max_ms": round(ordered[-1], 1),
            "errors": dict(errors),
        }
    return out


class Load:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        parts = urlsplit(args.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.bank = BankClient(args.url, args.key_id, args.secret, retry=None)
        self.samples: list[tuple[str, float, int | str]] = []
        self.lock = threading.Lock()
        self.due: queue.Queue[tuple[str, float, bool] | None] = queue.Queue()

    def _request(self, endpoint: str) -> tuple[str, str, dict[str, str]]:
        if endpoint == "loan":
            contract = f"C{random.randrange(self.args.loans)}"
            prepared = self.bank.prepare("GET", f"/api/v1/loans/{contract}")
            return "GET", prepared.path, dict(prepared.headers)
        path = f"/api/v1/batches/{self.args.batch_id}/lines?limit={self.args.page_size}"
        return "GET", path, {"Authorization": f"Bearer {self.args.token}"}

    def _send(self, endpoint: str, due_at: float) -> int | str:
        """The answer's status, or why there was none. A request not answered within
        `--timeout` of its due time is given up, like a client's timeout: one that could not
        even be sent by then is not sent at all ("not_sent"), so a saturated run ends within
        `--timeout` of its schedule instead of draining a backlog of minutes."""
        left = self.args.timeout - (time.perf_counter() - due_at)
        if left <= 0:
            return "not_sent"
        method, path, headers = self._request(endpoint)
        connection = http.client.HTTPConnection(self.host, self.port, timeout=left)
        try:
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException) as error:
            return type(error).__name__
        finally:
            connection.close()

    def _worker(self) -> None:
        while (item := self.due.get()) is not None:
            endpoint, due_at, counted = item
            status = self._send(endpoint, due_at)
            latency = time.perf_counter() - due_at
            if counted:
                with self.lock:
                    self.samples.append((endpoint, latency, status))

    def run(self) -> dict:
        threads = [
            threading.Thread(target=self._worker, daemon=True) for _ in range(self.args.threads)
        ]
        for thread in threads:
            thread.start()
        endpoints = self.args.endpoints.split(",")
        total = int((self.args.warmup + self.args.duration) * self.args.rate)
        warm = int(self.args.warmup * self.args.rate)
        start = time.perf_counter() + 0.5
        late = 0
        for i in range(total):
            due_at = start + i / self.args.rate
            pause = due_at - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            elif pause < -0.005:
                late += 1  # the scheduler itself fell behind (still measured from due_at)
            self.due.put((endpoints[i % len(endpoints)], due_at, i >= warm))
        for _ in threads:
            self.due.put(None)
        for thread in threads:
            thread.join(timeout=self.args.timeout + 5)
        offered = time.perf_counter() - start
        return {
            "rate": self.args.rate,
            "duration_s": self.args.duration,
            "threads": self.args.threads,
            "scheduler_late": late,
            "wall_s": round(offered, 1),
            "endpoints": summary(self.samples),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument(
        "--rate", type=float, default=300.0, help="requests per second, all endpoints"
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="seconds sent first, not measured"
    )
    parser.add_argument(
        "--endpoints", default="loan,lines", help=f"comma-separated of {ENDPOINTS}, taken in turn"
    )
    parser.add_argument("--threads", type=int, default=256)
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds from due time to give a request up"
    )
    parser.add_argument("--key-id", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--loans", type=int, required=True, help="contracts C0 … C{n-1}")
    parser.add_argument("--token", required=True, help="a staff bearer token")
    parser.add_argument("--batch-id", type=int, required=True)
    parser.add_argument("--page-size", type=int, default=50)
    args = parser.parse_args()
    if not set(args.endpoints.split(",")) <= set(ENDPOINTS):
        parser.error(f"--endpoints: choose from {ENDPOINTS}")
    print(json.dumps(Load(args).run()))


if __name__ == "__main__":
    main()
