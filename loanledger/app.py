"""The application factory."""

from __future__ import annotations

import decimal
import io
from dataclasses import dataclass

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wsgi import get_content_length

from config import Settings, load_settings
from loanledger.api import register_api
from loanledger.api.errors import register_error_handlers
from loanledger.observability import init_app as register_observability
from loanledger.persistence.db import make_engine, make_sessionmaker
from loanledger.request_context import close_session
from loanledger.web import register_web
from loanledger.wire.strict_json import loads_strict


class StrictJSONProvider(DefaultJSONProvider):
    """JSON numbers with a fraction become Decimal, never float (money is refused anyway)."""

    ensure_ascii = False
    sort_keys = False

    def loads(self, s, **kwargs):
        if kwargs:
            kwargs.setdefault("parse_float", decimal.Decimal)
            return super().loads(s, **kwargs)
        return loads_strict(s.decode("utf-8") if isinstance(s, bytes) else s)


@dataclass
class Extension:
    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker[Session]


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__, instance_relative_config=False)
    app.json = StrictJSONProvider(app)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        API_TITLE="LoanLedger",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served from the swagger-ui-bundle wheel: the docs page works without internet.
        OPENAPI_SWAGGER_UI_URL="/api/v1/docs/static/",
        JSON_SORT_KEYS=False,
    )
    engine = engine or make_engine(settings.database_url, sqlite_wal=settings.sqlite_wal)
    app.extensions["loanledger"] = Extension(settings, engine, make_sessionmaker(engine))
    app.teardown_appcontext(close_session)
    api = Api(
        app,
        spec_kwargs={
            "components": {
                "securitySchemes": {
                    "bankHmac": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "X-LL-Signature",
                        "description": "HMAC-SHA256; see docs/bank-integration.md",
                    },
                    "bearer": {"type": "http", "scheme": "bearer"},
                }
            }
        },
    )
    register_api(api)
    register_error_handlers(app)
    _serve_swagger_ui(app)
    register_web(app)
    register_observability(app, settings)  # /healthz, /readyz, /metrics, request ids, JSON logs
    app.wsgi_app = SizedBody(app.wsgi_app, app)  # type: ignore[method-assign]
    return app


class SizedBody:
    """A body without Content-Length (Transfer-Encoding: chunked, which a server such as
    gunicorn passes on with `wsgi.input_terminated`) is read here, at most one byte over the
    limit, and handed on with its length. Werkzeug alone cut such a body at the limit
    without a word, so an oversized signed request failed its signature (401) instead of
    being too large (413); with a length, the usual 413 follows."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app, self.app = wsgi_app, app

    def __call__(self, environ, start_response):
        if get_content_length(environ) is None and environ.get("wsgi.input_terminated"):
            limit = self.app.config.get("MAX_CONTENT_LENGTH")
            data = (
                environ["wsgi.input"].read()
                if limit is None
                else environ["wsgi.input"].read(limit + 1)
            )
            environ["wsgi.input"] = io.BytesIO(data)
            environ["CONTENT_LENGTH"] = str(len(data))
            environ.pop("HTTP_TRANSFER_ENCODING", None)  # the body is now sized
        return self.wsgi_app(environ, start_response)


def _serve_swagger_ui(app: Flask) -> None:
    from flask import send_from_directory
    from swagger_ui_bundle import swagger_ui_path

    @app.get("/api/v1/docs/static/<path:filename>")
    def swagger_ui_static(filename: str):
        return send_from_directory(str(swagger_ui_path), filename, max_age=86400)
