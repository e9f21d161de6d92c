"""Administrators' pages for people and banks: users (create, change the name and role,
deactivate and reactivate, reset a password, sign out everywhere) and the banks' API keys (a
new bank, a new key, a key revoked). Each action is one use case of `services.identity`
through `forms.attempt`; a key's secret is shown once, on the page the issuing request
redirects to, and never again.

Administrators only: every other role gets 403.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from loanledger.domain.vocabulary import Role
from loanledger.request_context import session as db_session
from loanledger.services import identity, read
from loanledger.web import forms, web
from loanledger.web.admin_forms import FieldRefused, code_text, field, flash_admin_refusal, run
from loanledger.web.admin_words import ROLE_WORDS, role_words
from loanledger.web.auth import current_user, roles_required
from loanledger.web.errors import found_or_404
from loanledger.web.i18n import t

USERNAME_RE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$", re.ASCII)
BANK_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$", re.ASCII)
MAX_PASSWORD = 200


def _actor() -> str:
    return current_user().actor


def _secret_key() -> str:
    return current_app.extensions["loanledger"].settings.secret_key


# ---------------------------------------------------------------- users
@web.get("/admin")
@roles_required(Role.ADMIN)
def admin_home():
    return redirect(url_for("web.admin_users"))


@web.get("/admin/users")
@roles_required(Role.ADMIN)
def admin_users():
    db = db_session()
    users = read.users(db)
    return render_template(
        "admin/users.html",
        users=users,
        enterprises=read.names(db, enterprises=[u.uscc for u in users if u.uscc]).enterprises,
        users_shown=read.USERS_SHOWN,
        banks=read.bank_names(db),
        roles=ROLE_WORDS,
        role_words=role_words,
        me=current_user().username,
    )


class _NewUser:
    """The create form, read and checked field by field (the first bad field is said)."""

    def __init__(self, form, banks: dict[str, str]):
        self.username = field("admin.f_username", lambda: _username(form.get("username")))
        self.display_name = field(
            "admin.f_display_name", lambda: forms.text(form.get("display_name"), max_length=64)
        )
        self.role = field(
            "admin.f_role", lambda: forms.choice(form.get("role"), tuple(ROLE_WORDS), required=True)
        )
        self.uscc = field("admin.f_uscc", lambda: _uscc(form.get("uscc"), self.role))
        self.bank_code = field(
            "admin.f_bank", lambda: forms.choice(form.get("bank_code"), tuple(banks))
        )
        self.password = field(
            "admin.f_password",
            lambda: forms.text(form.get("password"), required=True, max_length=MAX_PASSWORD),
        )


def _uscc(value: str | None, role: str | None) -> str | None:
    """An enterprise user's enterprise, which must be registered (a typo would sign in to
    nobody's subsidies); ignored for the other roles."""
    uscc = forms.text(value, max_length=18)
    if role != Role.ENTERPRISE or not uscc:
        return None
    if read.enterprise(db_session(), uscc) is None:
        raise forms.FormError("unknown_enterprise")
    return uscc


def _username(value: str | None) -> str:
    return code_text(value, USERNAME_RE, 64, "bad_username")


@web.post("/admin/users")
@roles_required(Role.ADMIN)
def admin_create_user():
    back = redirect(url_for("web.admin_users"))
    try:
        new = _NewUser(request.form, read.bank_names(db_session()))
    except FieldRefused:
        return back
    run(
        lambda: identity.create_user(
            db_session(),
            new.username,
            new.role,
            new.password,
            # Only the role that has one keeps it: a clerk is no enterprise's nor bank's.
            uscc=new.uscc,
            actor=_actor(),
            display_name=new.display_name or None,
            bank_code=new.bank_code if new.role == Role.BANK else None,
        ),
        "admin.user_created_ok",
        username=new.username,
    )
    return back


@web.post("/admin/users/<username>/deactivate")
@roles_required(Role.ADMIN)
def admin_deactivate_user(username: str):
    return _act_on_user(username, identity.deactivate_user, "admin.user_deactivated_ok")


@web.post("/admin/users/<username>/reactivate")
@roles_required(Role.ADMIN)
def admin_reactivate_user(username: str):
    return _change_user(
        username,
        identity.reactivate_user,
        "admin.user_reactivated_ok",
        "admin.user_already_active",
    )


# A use case on one user, as identity's take it: (db session, username, actor).
UserAction = Callable[[Any, str, str], object]


def _act_on_user(username: str, act: UserAction, success_key: str):
    """`act` on the user, said in words, back to the users."""
    run(lambda: act(db_session(), username, _actor()), success_key, username=username)
    return redirect(url_for("web.admin_users"))


def _change_user(username: str, act: UserAction, changed_key: str, unchanged_key: str):
    """`act` on the user (True when it changed anything): the refusal in words, else whether
    anything changed; back to the users."""
    done: list[object] = []
    refusal = forms.attempt(lambda: done.append(act(db_session(), username, _actor())))
    if refusal is not None:
        flash_admin_refusal(refusal)
    else:
        flash(t(changed_key if done[0] else unchanged_key, username=username), "success")
    return redirect(url_for("web.admin_users"))


class _UserChange:
    """The edit form of one user: display name, role, and the bank or enterprise the role
    needs (left empty: the user's own is kept)."""

    def __init__(self, form, banks: dict[str, str]):
        self.display_name = field(
            "admin.f_display_name", lambda: forms.text(form.get("display_name"), max_length=64)
        )
        self.role = field(
            "admin.f_role", lambda: forms.choice(form.get("role"), tuple(ROLE_WORDS), required=True)
        )
        self.bank_code = field(
            "admin.f_bank", lambda: forms.choice(form.get("bank_code"), tuple(banks))
        )
        self.uscc = field("admin.f_uscc", lambda: _uscc(form.get("uscc"), self.role))


@web.post("/admin/users/<username>/edit")
@roles_required(Role.ADMIN)
def admin_update_user(username: str):
    try:
        change = _UserChange(request.form, read.bank_names(db_session()))
    except FieldRefused:
        return redirect(url_for("web.admin_users"))
    return _change_user(
        username,
        lambda db, user, actor: identity.update_user(
            db,
            user,
            actor,
            role=str(change.role),
            display_name=change.display_name or None,
            bank_code=change.bank_code,
            uscc=change.uscc,
        ),
        "admin.user_updated_ok",
        "admin.user_unchanged",
    )


@web.post("/admin/users/<username>/password")
@roles_required(Role.ADMIN)
def admin_reset_password(username: str):
    try:
        password = field(
            "admin.f_password",
            lambda: forms.text(
                request.form.get("password"), required=True, max_length=MAX_PASSWORD
            ),
        )
    except FieldRefused:
        return redirect(url_for("web.admin_users"))
    return _act_on_user(
        username,
        lambda db, user, actor: identity.reset_password(db, user, str(password), actor),
        "admin.password_reset_ok",
    )


@web.post("/admin/users/<username>/sign-out")
@roles_required(Role.ADMIN)
def admin_sign_out_user(username: str):
    return _act_on_user(username, identity.sign_out_everywhere, "admin.signed_out_ok")


# ---------------------------------------------------------------- banks and keys
@web.get("/admin/banks")
@roles_required(Role.ADMIN)
def admin_banks():
    db = db_session()
    keys_by_bank: dict[str, list] = {}
    for key in read.bank_keys(db):
        keys_by_bank.setdefault(key.bank_code, []).append(key)
    return render_template(
        "admin/banks.html",
        banks=read.bank_names(db),
        keys_by_bank=keys_by_bank,
        max_active=identity.MAX_ACTIVE_KEYS,
    )


# A new key's secret is shown by the GET after the POST that issued it (Post/Redirect/Get: a
# reload never issues another key). Between the two it waits in the session cookie, encrypted
# with a key derived from the app's secret key (the cookie itself is only signed), for at most
# ISSUED_TTL_SECONDS; the GET pops it, so the page shows it once.
ISSUED_SESSION_KEY = "issued_key"
ISSUED_TTL_SECONDS = 300


def _issued_fernet() -> Fernet:
    digest = hashlib.sha256(b"loanledger issued key page\0" + _secret_key().encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keep_issued(issued: dict[str, str], bank_name: str, created_bank: bool) -> None:
    shown = {
        **issued,
        "bank_name": bank_name,
        "created_bank": created_bank,
        "for_user": current_user().username,
    }
    session[ISSUED_SESSION_KEY] = _issued_fernet().encrypt(json.dumps(shown).encode()).decode()


def _take_issued() -> dict | None:
    """The issued key waiting for its one display, taken out of the session; None when there
    is none, it is too old, or it was issued to another user of this browser."""
    sealed = session.pop(ISSUED_SESSION_KEY, None)
    if not isinstance(sealed, str):
        return None
    try:
        shown = json.loads(_issued_fernet().decrypt(sealed.encode(), ttl=ISSUED_TTL_SECONDS))
    except (InvalidToken, ValueError):
        return None
    return shown if shown.get("for_user") == current_user().username else None


def _issue(action: Callable[[], dict[str, str]], bank_name: str, created_bank: bool):
    issued: list[dict[str, str]] = []
    refusal = forms.attempt(lambda: issued.append(action()))
    if refusal is not None:
        flash_admin_refusal(refusal)
        return redirect(url_for("web.admin_banks"))
    _keep_issued(issued[0], bank_name, created_bank)
    return redirect(url_for("web.admin_issued_key"), code=303)


@web.get("/admin/keys/issued")
@roles_required(Role.ADMIN)
def admin_issued_key():
    """The one page that shows a key's secret: once, never cached."""
    shown = _take_issued()
    if shown is None:
        flash(t("admin.key_shown_already"), "info")
        response = redirect(url_for("web.admin_banks"))
    else:
        response = make_response(
            render_template(
                "admin/key_issued.html",
                issued=shown,
                bank_name=shown["bank_name"],
                created_bank=shown["created_bank"],
            )
        )
    response.headers["Cache-Control"] = "no-store"
    return response


@web.post("/admin/banks")
@roles_required(Role.ADMIN)
def admin_create_bank():
    try:
        code = field("admin.f_bank_code", lambda: _bank_code(request.form.get("bank_code")))
        name = field(
            "admin.f_bank_name",
            lambda: forms.text(request.form.get("name"), required=True, max_length=255),
        )
    except FieldRefused:
        return redirect(url_for("web.admin_banks"))
    return _issue(
        lambda: identity.create_bank(db_session(), str(code), str(name), _secret_key(), _actor()),
        str(name),
        created_bank=True,
    )


def _bank_code(value: str | None) -> str:
    return code_text(value, BANK_CODE_RE, 32, "bad_bank_code")


@web.post("/admin/banks/<bank_code>/keys")
@roles_required(Role.ADMIN)
def admin_rotate_key(bank_code: str):
    banks = read.bank_names(db_session())
    if bank_code not in banks:
        abort(404)
    return _issue(
        lambda: identity.rotate_key(db_session(), bank_code, _secret_key(), _actor()),
        banks[bank_code],
        created_bank=False,
    )


def _key_or_404(key_id: str):
    key = found_or_404(read.bank_key(db_session(), key_id))
    return key


@web.get("/admin/keys/<key_id>/revoke")
@roles_required(Role.ADMIN)
def admin_confirm_revoke(key_id: str):
    key = _key_or_404(key_id)
    return render_template(
        "admin/revoke_key.html", key=key, bank_name=read.bank_names(db_session())[key.bank_code]
    )


@web.post("/admin/keys/<key_id>/revoke")
@roles_required(Role.ADMIN)
def admin_revoke_key(key_id: str):
    _key_or_404(key_id)
    run(
        lambda: identity.revoke_key(db_session(), key_id, _actor()),
        "admin.key_revoked_ok",
        key_id=key_id,
    )
    return redirect(url_for("web.admin_banks"))
