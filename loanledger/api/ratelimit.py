"""Per-bank rate limit: a token bucket per bank, in this process's memory.

Each bank's bucket holds at most `burst` tokens and refills at `rate` tokens per second; a
request takes one token or is refused with 429 `rate_limited` and `Retry-After` (whole
seconds until a token is back). The buckets live in the worker process: with N gunicorn
workers a bank may get up to N × rate. A limit shared by all workers would need a shared
store (Redis); it is not adopted (docs/decisions-bank-surface.md).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Thread-safe (gunicorn threads, the test suite's threads). `take` answers 0 when the
    request may go on, else the whole seconds to wait."""

    MAX_BANKS = 10_000  # a bound on memory; banks are few, so this is never reached in practice

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self._owner: object | None = None

    def take(self, bank_code: str, rate: float, burst: int, owner: object | None = None) -> int:
        if rate <= 0:
            return 0
        now = self._clock()
        with self._lock:
            if owner is not self._owner:
                # A new app configuration (the test suite re-points one app per test): new buckets.
                self._buckets.clear()
                self._owner = owner
            bucket = self._buckets.get(bank_code)
            if bucket is None:
                if len(self._buckets) >= self.MAX_BANKS:
                    self._buckets.clear()
                bucket = self._buckets[bank_code] = _Bucket(float(burst), now)
            bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0
            return max(1, math.ceil((1.0 - bucket.tokens) / rate))
