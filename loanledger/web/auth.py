"""Sign in and out, the language switch, and who may see which page.

The same users as the API (services.identity). The session cookie holds only the user's
id and the language; the user is read again on every request, so a deactivated user or a
changed role takes effect at once.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, render_template, request, session, url_for

from loanledger.domain.vocabulary import STAFF_ROLES, Role, role_may_act_as
from loanledger.persistence.tables import User
from loanledger.request_context import session as db_session
from loanledger.services import identity, sign_in
from loanledger.services.unit_of_work import unit_of_work
from loanledger.web import web
from loanledger.web.i18n import LANGUAGES, error_text, t

MAX_FIELD = 200


@dataclass(frozen=True)
class WebUser:
    id: int
    username: str
    role: str
    uscc: str | None
    display_name: str  # users.display_name, else the username: what the header shows

    @property
    def actor(self) -> str:
        return f"user:{self.username}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def can(self, *roles: str) -> bool:
        """A role may act; admin may act in every staff role (still bound by maker-checker)."""
        return role_may_act_as(self.role, roles)


def current_user() -> WebUser | None:
    if "web_user" not in g:
        g.web_user = _load_user()
    return g.web_user


def _load_user() -> WebUser | None:
    user_id = session.get("user_id")
    if not isinstance(user_id, int):
        return None
    user = db_session().get(User, user_id)
    # A cookie from before the user signed out (or was signed out everywhere) carries an
    # older session version: it no longer signs anyone in, even if it was copied.
    if user is None or not user.active or session.get("sv") != user.session_version:
        session.pop("user_id", None)
        session.pop("sv", None)
        return None
    return WebUser(user.id, user.username, user.role, user.uscc, user.display_name or user.username)


def home_for(user: WebUser) -> str:
    return url_for("web.portal") if user.role == Role.ENTERPRISE else url_for("web.dashboard")


def roles_required(*roles: str):
    """Signed in, with one of `roles` (admin counts as every staff role); else the sign-in
    page, or 403 for a user of another role."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if not user.can(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: no open redirect after sign-in or a change of language.

    Checked on the parsed URL, and nothing a browser would drop or reinterpret is let
    through: it removes tabs and newlines (so '/%09/evil.example' is '//evil.example'), reads
    a backslash as a slash, and a control character cannot go into a Location header."""
    if not target or any(ch < " " or ch in "\x7f\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith("//"):
        return None
    return target


@web.get("/")
def index():
    user = current_user()
    return redirect(home_for(user) if user else url_for("web.login"))


@web.route("/login", methods=["GET", "POST"])
def login():
    if request.method != "POST":  # GET, and HEAD (which Flask routes here too)
        return render_template("login.html", next=_safe_next(request.args.get("next")))
    username = (request.form.get("username") or "").strip()[:MAX_FIELD]
    password = (request.form.get("password") or "")[:MAX_FIELD]
    target = _safe_next(request.form.get("next"))
    again = redirect(url_for("web.login", next=target) if target else url_for("web.login"))
    if not (username and password):
        flash(error_text("bad_login"), "error")
        return again
    try:
        # Committed either way: a failure counts though the answer is a refusal; a success
        # forgets the user's earlier failures.
        with unit_of_work(db_session()) as db:
            user = sign_in.sign_in(db, username, password)
    except sign_in.TooManyAttempts as refused:
        flash(t("login.too_many", minutes=math.ceil(refused.retry_after_seconds / 60)), "error")
        return again
    if user is None:
        flash(error_text("bad_login"), "error")
        return again
    lang = session.get("lang")
    session.clear()  # a fresh session on sign-in (no fixation)
    if lang:
        session["lang"] = lang
    session["user_id"] = user.id
    session["sv"] = user.session_version
    session.permanent = True
    g.pop("web_user", None)
    flash(t("login.welcome", name=user.display_name or user.username), "success")
    web_user = current_user()
    if target and (web_user.role == Role.ENTERPRISE) == target.startswith("/portal"):
        return redirect(target)
    return redirect(home_for(web_user))


@web.post("/logout")
def logout():
    user = current_user()
    if user is not None:
        with unit_of_work(db_session()) as db:
            identity.end_page_sessions(db, user.id, user.actor)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(t("logout.done"), "success")
    return redirect(url_for("web.login"))


@web.get("/lang/<code>")
def set_language(code: str):
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    back = _safe_next(request.args.get("next"))
    if back is None and request.referrer:
        ref = urlsplit(request.referrer)
        if ref.netloc == request.host:
            back = _safe_next(ref.path + (f"?{ref.query}" if ref.query else ""))
    return redirect(back or url_for("web.index"))


@web.app_context_processor
def _inject_user():
    return {"current_user": current_user}
