"""Rate limits, in a store every worker shares: per bank (a signed request, api/auth.py) and
per address for the requests anyone may send without signing in (`limit_anonymous`: the
public 公示 list, its API and its page).

Beside app.py, shared by the API and the pages (neither imports the other).

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

from flask import current_app, request
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from loanledger.domain.errors import Refusal

RATE_LIMIT_EXTENSION = "loanledger.rate_limit"


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


def request_limits(ext) -> RequestLimits:
    """The app's limits on the store its settings name; made again when the settings change
    (the test suite points one app at a new configuration per test), counts forgotten."""
    held = current_app.extensions.get(RATE_LIMIT_EXTENSION)
    if held is None or held[0] is not ext:
        limits = RequestLimits(ext.settings.rate_limit_storage_uri)
        if held is not None and held[1].storage_uri == limits.storage_uri:
            limits = held[1]
            limits.reset()
        held = current_app.extensions[RATE_LIMIT_EXTENSION] = (ext, limits)
    return held[1]


class RateLimited(Refusal):
    """429 rate_limited with Retry-After: answered as problem+json by the API and as an
    error page by the pages."""

    status = 429

    def __init__(self, message: str, retry_after_seconds: int):
        super().__init__("rate_limited", message, headers={"Retry-After": str(retry_after_seconds)})
        self.retry_after_seconds = retry_after_seconds


def limit_anonymous() -> None:
    """One request of the caller's address's allowance, for a request without sign-in.

    Per address (`request.remote_addr`): behind a proxy that is the proxy's, unless the
    deployment passes the client's on (docs/security.md). Reads of published lists also
    carry `Cache-Control: public`, so a proxy or the bureau's website answers most of them."""
    ext = current_app.extensions["loanledger"]
    settings = ext.settings
    address = request.remote_addr or "unknown"
    wait = request_limits(ext).take(
        "anonymous",
        address,
        settings.anonymous_rate_limit_per_second,
        settings.anonymous_rate_limit_burst,
    )
    if wait:
        raise RateLimited(f"too many requests from {address}; retry in {wait} s", wait)
