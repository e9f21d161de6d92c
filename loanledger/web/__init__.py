"""The web pages: bureau staff and enterprises in a browser (Flask + Jinja2).

Thin adapters over the services, like the API: a page reads, a form calls one use case in
one unit of work (`forms.perform`), committed on success, and on a refusal rolled back and
shown as a flash message (Post/Redirect/Get). Sessions are Flask's signed cookie (HttpOnly,
SameSite=Lax, Secure in production); every form carries a CSRF token (Flask-WTF), checked
for this blueprint only — /api/v1 is authenticated by HMAC signatures and bearer tokens,
which a browser does not send by itself.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Flask, current_app, request
from flask_wtf.csrf import CSRFProtect

from loanledger.domain.vocabulary import (
    BatchKind,
    BatchStatus,
    LineKind,
    LineStatus,
    ObjectionStatus,
    PayeeType,
    PaymentStatus,
    PeriodStatus,
)

web = Blueprint("web", __name__)
csrf = CSRFProtect()
TEMPLATE_VOCABULARY = (
    BatchKind,
    BatchStatus,
    LineKind,
    LineStatus,
    ObjectionStatus,
    PayeeType,
    PaymentStatus,
    PeriodStatus,
)


def register_web(app: Flask) -> None:
    from loanledger.web import (  # noqa: F401 - routes attach to `web`
        admin_people,
        admin_policy,
        admin_settings,
        audit,
        auth,
        bank,
        batches,
        dashboard,
        errors,
        lists,
        objections,
        payments,
        portal,
        public,
        reconciliation,
        registry,
        reports,
        what_if,
    )
    from loanledger.web.event_words import event_fields
    from loanledger.web.format import day, rate, yuan
    from loanledger.web.i18n import init_app as init_i18n
    from loanledger.web.listing import url_here
    from loanledger.web.names import init_app as init_names

    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
        # CSRF is checked by this blueprint's before_request, never app-wide (the API).
        WTF_CSRF_CHECK_DEFAULT=False,
        # A token lives as long as the signed-in session, not one hour of an open form.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.setdefault("WTF_CSRF_ENABLED", True)
    csrf.init_app(app)
    env = app.jinja_env
    env.filters.update(yuan=yuan, rate=rate, day=day)
    env.globals.update(url_here=url_here)  # sortable headers and pagers (_macros.html)
    env.globals.update(event_fields=event_fields)  # a bank event's fields in words
    # The templates compare statuses and kinds with the vocabulary's members, never literals.
    env.globals.update({vocabulary.__name__: vocabulary for vocabulary in TEMPLATE_VOCABULARY})
    init_i18n(app)  # Flask-Babel, and the text helpers the templates call
    init_names(app)  # names instead of codes: bank_name, product_name, pool_name, person
    app.register_blueprint(web)
    errors.register_app_handlers(app)


@web.before_request
def _check_csrf() -> None:
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and current_app.config.get(
        "WTF_CSRF_ENABLED", True
    ):
        csrf.protect()
