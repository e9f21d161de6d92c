"""Prometheus metrics: defined once, at module level, so building many apps (the tests)
never registers a metric twice.

Under gunicorn with several workers each worker has its own counters. Set
PROMETHEUS_MULTIPROC_DIR (an empty directory, wiped before every start) in the environment of
`loanledger serve`: prometheus-client then keeps the values in files there and `/metrics`
sums every worker's. It must be set before the process imports prometheus_client, i.e. in
the server's environment, not by the app. Without it the process's default registry is served.

This module imports no Flask: services (the close) may call it.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

HTTP_REQUESTS = Counter(
    "loanledger_http_requests",
    "HTTP requests answered, by method, URL rule and status",
    ["method", "endpoint", "status"],
)
HTTP_SECONDS = Histogram(
    "loanledger_http_request_seconds",
    "Time to answer an HTTP request, by method and URL rule",
    ["method", "endpoint"],
)
ERRORS = Counter("loanledger_errors", "problem+json answers, by their first error code", ["code"])
INTAKE_ITEMS = Counter(
    "loanledger_intake_items",
    "Loans and events received from banks over the API, by outcome",
    ["kind", "status"],
)
CLOSE_SECONDS = Histogram(
    "loanledger_close_seconds",
    "Time to close a period (close_period, without the commit)",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, float("inf")),
)
CLOSE_LINES = Counter(
    "loanledger_close_lines", "Lines computed by period closes (subsidy and compensation)"
)

UNMATCHED = "<unmatched>"  # the endpoint label of a request no URL rule matched (404s)


def count_error(code: str) -> None:
    ERRORS.labels(code=code).inc()


def count_intake(kind: str, status: str, n: int = 1) -> None:
    """kind: "loan" | "event"; status: "created" | "duplicate" | "rejected"."""
    if n:
        INTAKE_ITEMS.labels(kind=kind, status=status).inc(n)


def observe_close(seconds: float, lines: int) -> None:
    CLOSE_SECONDS.observe(seconds)
    CLOSE_LINES.inc(lines)


def observe_request(method: str, endpoint: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method=method, endpoint=endpoint, status=str(status)).inc()
    HTTP_SECONDS.labels(method=method, endpoint=endpoint).observe(seconds)


def exposition() -> tuple[bytes, str]:
    """The text format of every metric, summed over gunicorn's workers in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
