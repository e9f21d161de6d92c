"""名录库 pages (enterprise lists, domain.md §2 v2): the lists; one list with its members on a
date, page by page; a membership added or its dates changed; a list file imported, with the
rows it refuses shown in words. Reads come from `services.read`, writes are one use case
each (`services.enterprise_lists`, `services.list_import`), as in the API.

Who: every staff role reads; an admin creates a list; clerks (and admins) change members
and import files.
"""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for

from loanledger.domain.vocabulary import STAFF_ROLES, Role
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import enterprise_lists, list_import, read
from loanledger.web import forms, uploads, web
from loanledger.web.auth import current_user, roles_required
from loanledger.web.errors import found_or_404
from loanledger.web.i18n import list_column_text, list_import_reason, t
from loanledger.web.listing import page_asked, shown_as, sort_asked

PAGE_SIZE = 50
LISTS_PAGE_SIZE = 50  # there are a handful; more are paged, never cut off


def _list_or_404(list_code: str):
    row = found_or_404(read.enterprise_list(db_session(), list_code))
    return row


def _back(list_code: str, on: dt.date | None = None):
    return redirect(
        url_for("web.list_page", list_code=list_code, on=on.isoformat() if on else None)
    )


# ------------------------------------------------------------------ the lists
@web.get("/bureau/lists")
@roles_required(*STAFF_ROLES)
def lists_page():
    db = db_session()
    found = read.enterprise_lists_numbered(db, page_asked(), size=LISTS_PAGE_SIZE)
    lists = found.items
    return render_template(
        "bureau/lists.html",
        lists=lists,
        found=found,
        counts=read.list_counts(db, [row.list_code for row in lists], business_date()),
        today=business_date(),
        can_create=current_user().can(Role.ADMIN),
    )


@web.post("/bureau/lists")
@roles_required(Role.ADMIN)
def create_list():
    actor = current_user().actor
    try:
        list_code = forms.text(request.form.get("list_code"), required=True, max_length=64)
        name = forms.text(request.form.get("name"), required=True, max_length=255)
        if "/" in list_code:
            raise forms.FormError("invalid_format", "list_code")
    except forms.FormError as error:
        forms.flash_form_error(error)
        return redirect(url_for("web.lists_page"))
    refusal = forms.attempt(
        lambda: enterprise_lists.create_list(db_session(), list_code, name, actor)
    )
    if refusal is None:
        flash(t("lists.created_ok", list_code=list_code), "success")
        return _back(list_code)
    if refusal.code == "invalid_state":
        flash(t("lists.code_taken", list_code=list_code), "error")
    else:
        forms.flash_refusal(refusal)
    return redirect(url_for("web.lists_page"))


# ------------------------------------------------------------------ one list
def _filter_date() -> dt.date | None:
    try:
        return forms.date(request.args.get("on"), required=False)
    except forms.FormError as error:
        forms.flash_form_error(error)
        return None


def _list_context(row, on: dt.date | None, page: int = 1, sort: read.Sort | None = None) -> dict:
    db = db_session()
    sort = sort or read.MEMBER_SORTS.default
    found = read.list_members_numbered(db, row.list_code, on, page, sort, size=PAGE_SIZE)
    user = current_user()
    return {
        "lst": row,
        "counts": read.list_counts(db, [row.list_code], business_date())[row.list_code],
        "members": found.items,
        "found": found,
        "sort": sort,
        "on": on,
        "today": business_date(),
        "can_change": user.can(Role.CLERK),
        "import_errors": uploads.RowErrors(),
    }


@web.get("/bureau/lists/<list_code>")
@roles_required(*STAFF_ROLES)
def list_page(list_code: str):
    row = _list_or_404(list_code)
    on, sort, page = _filter_date(), sort_asked(read.MEMBER_SORTS), page_asked()
    return render_template("bureau/list.html", **_list_context(row, on, page, sort))


@web.post("/bureau/lists/<list_code>/members")
@roles_required(Role.CLERK)
def put_member(list_code: str):
    _list_or_404(list_code)
    actor = current_user().actor
    try:
        uscc = forms.text(request.form.get("uscc"), required=True, max_length=18)
        from_on = forms.date(request.form.get("from"))
        to_on = forms.date(request.form.get("to"), required=False)
        assert from_on is not None  # required
        if to_on is not None and to_on < from_on:
            raise forms.FormError("to_before_from")
    except forms.FormError as error:
        forms.flash_form_error(error)
        return _back(list_code)
    outcome: list[str] = []

    def call() -> None:
        change = enterprise_lists.put_member(db_session(), list_code, uscc, from_on, to_on, actor)
        outcome.append(change.outcome)

    refusal = forms.attempt(call)
    if refusal is None:
        flash(t(f"lists.member_{outcome[0]}", uscc=uscc), "success")
    elif refusal.code == "invalid_state":
        flash(t("lists.overlaps", uscc=uscc), "error")
    else:
        forms.flash_refusal(refusal)
    return _back(list_code)


@web.post("/bureau/lists/<list_code>/imports")
@roles_required(Role.CLERK)
def import_list_file(list_code: str):
    row = _list_or_404(list_code)

    def said(result: list_import.ListImport) -> str:
        return t(
            "lists.imported_ok",
            rows=result.rows,
            added=result.added,
            changed=result.changed,
            unchanged=result.unchanged,
            created=len(result.enterprises_created),
        )

    def show_errors(errors: uploads.RowErrors) -> str:
        shown_as("web.list_page")
        return render_template(
            "bureau/list.html", **{**_list_context(row, None), "import_errors": errors}
        )

    return uploads.take_rows_file(
        uploads.RowsForm(
            list_import.ListImportRefused,
            list_column_text,
            lambda e: list_import_reason(e.reason, e.args, e.message),
            "lists.import_refused",
            "file_refused",
        ),
        list_import.import_list,
        list_code,
        said=said,
        back=lambda: _back(list_code),
        show_errors=show_errors,
    )
