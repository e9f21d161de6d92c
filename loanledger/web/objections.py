"""Objections raised during 公示, and their resolution by a clerk."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from loanledger.domain.vocabulary import (
    OBJECTION_RESOLUTIONS,
    STAFF_ROLES,
    ObjectionStatus,
    Role,
    words,
)
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import read
from loanledger.web import forms, web
from loanledger.web.auth import current_user, roles_required
from loanledger.web.listing import page_asked, sort_asked

OBJECTION_STATUSES = words(ObjectionStatus)
PAGE_SIZE = 50


@web.get("/bureau/objections")
@roles_required(*STAFF_ROLES)
def objections_page():
    """Objections by status, enterprise (a piece of its name or USCC) and batch, sorted as
    asked (newest first), page by page with their count."""
    status, enterprise, batch_id = _asked("status"), _asked("enterprise"), _asked("batch_id")
    sort = sort_asked(read.OBJECTION_SORTS)
    db = db_session()
    found = read.objections_numbered(
        db,
        page_asked(),
        sort,
        status=status,
        enterprise=enterprise,
        batch_id=int(batch_id) if batch_id else None,
        size=PAGE_SIZE,
    )
    rows = found.items
    return render_template(
        "bureau/objections.html",
        rows=rows,
        found=found,
        sort=sort,
        enterprise=enterprise,
        batch_id=batch_id,
        status=status,
        statuses=OBJECTION_STATUSES,
        names=read.payee_names(db, [o.uscc for o, _line in rows]),
        can_resolve=current_user().can(Role.CLERK),
    )


def _asked(name: str) -> str | None:
    """One filter of the objections page as asked; a bad one is flashed and left out."""
    value = request.args.get(name)
    try:
        if name == "status":
            return forms.choice(value, OBJECTION_STATUSES)
        if name == "batch_id":
            return str(forms.page_number(value)) if value else None
        return forms.text(value, max_length=100) or None
    except forms.FormError as error:
        forms.flash_form_error(error)
        return None


@web.post("/bureau/objections/<int:objection_id>/resolve")
@roles_required(Role.CLERK)
def resolve_objection(objection_id: int):
    from loanledger.services import objections

    actor = current_user().actor

    def call():
        # No default: the clerk chooses upheld or dismissed, and says why (the enterprise reads it).
        resolution = forms.choice(request.form.get("resolution"), words(OBJECTION_RESOLUTIONS))
        if resolution is None:
            raise forms.FormError("resolution_required")
        note = forms.text(request.form.get("note"))
        if not note:
            raise forms.FormError("note_required")
        return objections.resolve(
            db_session(), objection_id, resolution, note, actor, business_date()
        )

    forms.perform(call, "obj.resolved_ok")
    back = request.form.get("back")
    if back and back.startswith("/bureau/") and not back.startswith("//"):
        return redirect(back)
    return redirect(url_for("web.objections_page"))
