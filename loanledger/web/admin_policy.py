"""Administrators' policy pages: the versions, one version in words, and a new version edited
as JSON (like the what-if page), checked as PUT /policy checks it and shown as a key-by-key
comparison with the current version before it is saved (`services.registry.save_policy`).

Administrators only: every other role gets 403.
"""

from __future__ import annotations

import json
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from loanledger.domain.errors import PolicyInvalid
from loanledger.domain.vocabulary import Role
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import read, registry
from loanledger.web import forms, web
from loanledger.web.admin_forms import flash_admin_refusal, policy_doc, policy_problems
from loanledger.web.admin_words import policy_changes, policy_rows
from loanledger.web.auth import current_user, roles_required
from loanledger.web.errors import found_or_404
from loanledger.web.i18n import t

SHOWN_ONLY = ("version", "in_force_from")  # a saved version's own, never edited


def _pool_names() -> dict[str, str]:
    db = db_session()
    return {row.pool_code: row.name for row in read.risk_pools(db, limit=1000, cursor=None).items}


def _editable(doc: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in doc.items() if key not in SHOWN_ONLY}


@web.get("/admin/policy")
@roles_required(Role.ADMIN)
def admin_policy():
    db = db_session()
    current = registry.current_policy(db)
    versions = read.policy_versions(db)
    return render_template(
        "admin/policy_versions.html",
        versions=versions,
        current_version=current.version,
        in_force_version=registry.policy_in_force(db, business_date())[0],
    )


@web.get("/admin/policy/<int:version>")
@roles_required(Role.ADMIN)
def admin_policy_version(version: int):
    record = found_or_404(read.policy_version(db_session(), version))
    return render_template(
        "admin/policy_version.html",
        record=record,
        rows=policy_rows(_editable(record.document()), _pool_names()),
    )


def _edit_page(policy_text: str, version: int, **shown):
    return render_template(
        "admin/policy_edit.html", policy_text=policy_text, version=version, **shown
    )


@web.get("/admin/policy/edit")
@roles_required(Role.ADMIN)
def admin_policy_edit():
    current = registry.current_policy(db_session())
    text = json.dumps(_editable(current.document()), ensure_ascii=False, indent=2)
    return _edit_page(text, current.version)


def _version(value: str | None) -> int:
    return forms.page_number(value)  # a positive integer, as the version read


@web.post("/admin/policy/preview")
@roles_required(Role.ADMIN)
def admin_policy_preview():
    """The draft checked (nothing saved) and compared with the current version key by key."""
    text = request.form.get("policy", "")
    try:
        version = _version(request.form.get("version"))
        draft = registry.policy_draft(policy_doc(text))
    except forms.FormError as error:
        forms.flash_form_error(error)
        return _edit_page(text, registry.current_policy(db_session()).version)
    except PolicyInvalid as error:
        flash(t("admin.policy_invalid"), "error")
        return _edit_page(text, version, problems=policy_problems(error))
    current = registry.current_policy(db_session())
    changes = policy_changes(_editable(current.document()), draft, _pool_names())
    return _edit_page(
        json.dumps(draft, ensure_ascii=False, indent=2),
        version,
        changes=changes,
        previewed=True,
        stale=version != current.version,
    )


@web.post("/admin/policy")
@roles_required(Role.ADMIN)
def admin_policy_save():
    """Saved as the next version, in force from the business date (PUT /policy's use case:
    a version read before another administrator saved is refused, nothing is changed)."""
    text = request.form.get("policy", "")
    try:
        version = _version(request.form.get("version"))
        doc = policy_doc(text)
    except forms.FormError as error:
        forms.flash_form_error(error)
        return _edit_page(text, registry.current_policy(db_session()).version)
    actor = current_user().actor
    saved: list[registry.PolicyRecord] = []
    refusal = forms.attempt(
        lambda: saved.append(
            registry.save_policy(db_session(), doc, version, business_date(), actor)
        )
    )
    if isinstance(refusal, PolicyInvalid):
        flash(t("admin.policy_invalid"), "error")
        return _edit_page(text, version, problems=policy_problems(refusal))
    if refusal is not None:
        flash_admin_refusal(refusal)
        return _edit_page(text, version)
    flash(t("admin.policy_saved_ok", version=saved[0].version), "success")
    return redirect(url_for("web.admin_policy_version", version=saved[0].version))
