"""Operations: health and readiness (health.py), JSON logs with request ids (logs.py) and
Prometheus metrics (metrics.py); `init_app` (endpoints.py) attaches them to the app and is
called once by create_app. docs/operations.md describes them for those who run the service.

Light on purpose: services import `loanledger.observability.metrics` (the close), which
must not pull in Flask.
"""

from __future__ import annotations


def init_app(app, settings) -> None:
    from loanledger.observability.endpoints import init_app as _init_app

    _init_app(app, settings)
