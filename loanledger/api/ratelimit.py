"""Per-bank rate limit, in a store every worker shares.

A bank may send `burst` requests in any window of `burst / rate` seconds (a moving window:
no burst twice over at a window's edge). A request past it is refused with 429
`rate_limited` and `Retry-After` (whole seconds until the oldest request in the window
leaves it).

The counts live where `LOANLEDGER_RATE_LIMIT_STORAGE_URI` says, in the storage of the
`limits` library that Flask-Limiter is built on: `memory://` (one process: development,
tests) or `redis://host:port/db`, so that N gunicorn workers on M machines share one limit
(docs/decisions.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class RequestLimits:
    def __init__(
        self,
        storage_uri: str = "memory://",
        *,
        prefix: str = "loanledger",
        clock: Callable[[], float] = time.time,
    ):
        self.storage_uri, self.prefix, self._clock = storage_uri, prefix, clock
        self._storage = storage_from_string(storage_uri)
        self._window = MovingWindowRateLimiter(self._storage)

    def take(self, namespace: str, key: str, rate: float, burst: int) -> int:
        """0 when the request may go on, else the whole seconds to wait. `rate` ≤ 0: no limit."""
        if rate <= 0:
            return 0
        item = RateLimitItemPerSecond(burst, max(1, math.ceil(burst / rate)))
        if self._window.hit(item, self.prefix, namespace, key):
            return 0
        reset_at = self._window.get_window_stats(item, self.prefix, namespace, key).reset_time
        return max(1, math.ceil(reset_at - self._clock()))

    def reset(self) -> None:
        """Forget every count (a new configuration of the app, the tests)."""
        self._storage.reset()
