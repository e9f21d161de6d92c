"""A partner bank's pages (role bank): its home, its loans, the upload of loan and event
files, its import history and one import with the refused rows in words.

A bank user sees only its own bank: every read takes `current_user().bank_code`, so another
bank's import or loan answers 404 whatever its id. An upload goes through the API's use case
(`services.imports.receive`, POST /imports): a small file is imported in the request, a
bigger one is left pending for the import worker and its page shows how far it is.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from loanledger.domain.errors import Refusal
from loanledger.domain.vocabulary import Role
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import imports, read, spreadsheets
from loanledger.services.spreadsheets import FileRefused
from loanledger.web import forms, uploads, web
from loanledger.web.auth import current_user, roles_required
from loanledger.web.downloads import attachment
from loanledger.web.errors import found_or_404
from loanledger.web.i18n import import_column_text, import_error_text, t

HOME_IMPORTS = 5  # the newest imports on the home page
IMPORTS_PAGE_SIZE = 20
LOANS_PAGE_SIZE = 50
ERRORS_SHOWN = imports.MAX_SHOWN_ERRORS  # as many as GET /imports/{id} lists
MAX_CURSOR = 1024


def _bank_code() -> str:
    return current_user().bank_code


def _error_words(job, row: int, error) -> tuple[str, str]:
    """One refused row's error as the import's page and its errors.csv say it: the column
    and the problem in words."""
    return (
        import_column_text(job.kind, error.column_name),
        import_error_text(job.kind, row, error.column_name, error.code, error.message),
    )


def _cursor() -> str | None:
    try:
        return forms.text(request.args.get("cursor"), max_length=MAX_CURSOR) or None
    except forms.FormError as error:
        forms.flash_form_error(error)
        return None


def _page(read_page, cursor: str | None):
    """The page at `cursor`; the first page (and a message) for a cursor this list did not issue."""
    try:
        return cursor, read_page(cursor)
    except Refusal as error:
        forms.flash_refusal(error)
        return None, read_page(None)


# ------------------------------------------------------------------ home
@web.get("/bank")
@roles_required(Role.BANK)
def bank_home():
    db, bank_code = db_session(), _bank_code()
    return render_template(
        "bank/home.html",
        bank_name=read.names(db, banks=[bank_code]).banks.get(bank_code, ""),
        home=read.bank_home(db, bank_code, recent=HOME_IMPORTS),
    )


# ------------------------------------------------------------------ loans
@web.get("/bank/loans")
@roles_required(Role.BANK)
def bank_loans():
    db, bank_code = db_session(), _bank_code()
    cursor, page = _page(
        lambda start: read.loans(
            db, business_date(), bank_code=bank_code, limit=LOANS_PAGE_SIZE, cursor=start
        ),
        _cursor(),
    )
    rows = page.items
    return render_template(
        "bank/loans.html",
        rows=rows,
        names=read.names(
            db, products=[r.product_code for r in rows], enterprises=[r.uscc for r in rows]
        ),
        next_cursor=page.next_cursor,
        paged=cursor is not None,
    )


@web.get("/bank/loans/<contract_no>")
@roles_required(Role.BANK)
def bank_loan(contract_no: str):
    db = db_session()
    loan = found_or_404(read.loan(db, _bank_code(), contract_no))
    names = read.names(db, products=[loan.product_code], enterprises=[loan.uscc])
    return render_template(
        "bank/loan.html",
        loan=loan,
        view=read.loan_view(db, loan, business_date()),
        names=names,
    )


# ------------------------------------------------------------------ imports
@web.get("/bank/imports")
@roles_required(Role.BANK)
def bank_imports():
    db, bank_code = db_session(), _bank_code()
    cursor, page = _page(
        lambda start: read.bank_imports(db, bank_code, limit=IMPORTS_PAGE_SIZE, cursor=start),
        _cursor(),
    )
    return render_template(
        "bank/imports.html",
        jobs=page.items,
        next_cursor=page.next_cursor,
        paged=cursor is not None,
        kinds=imports.KINDS,
    )


@web.post("/bank/imports")
@roles_required(Role.BANK)
def bank_upload():
    user = current_user()
    try:
        kind = forms.choice(request.form.get("kind"), imports.KINDS, required=True)
    except forms.FormError as error:
        forms.flash_form_error(error)
        return redirect(url_for("web.bank_imports"))

    def receive(spooled, filename: str) -> tuple[int, str, str]:
        """The import's id, the flash message and its kind."""
        try:
            job, created = imports.receive(
                db_session(), user.bank_code, kind, spooled, filename, user.actor, business_date()
            )
        except FileRefused as refused:
            # As POST /imports does: the import is kept, `failed` with its reasons (nothing
            # else was written), so this unit of work commits it and its page shows why.
            return refused.members["import_id"], t("bank.import_refused"), "error"
        return (job.id, *_said(job, created))

    uploaded = uploads.attempt_upload(receive)
    if uploaded is not None and uploaded.refusal is not None:
        forms.flash_refusal(uploaded.refusal)
    if uploaded is None or uploaded.result is None:
        return redirect(url_for("web.bank_imports"))
    import_id, message, category = uploaded.result
    flash(message, category)
    return redirect(url_for("web.bank_import", import_id=import_id))


def _said(job, created: bool) -> tuple[str, str]:
    """What the upload page says of the import it made (or found), and as what kind of message."""
    if not created:  # the same file was imported before: that import
        return t("bank.import_again"), "error"
    if job.status != "done":
        return t("bank.import_pending"), "success"
    return _done_message(job), "success" if job.error_count == 0 else "error"


def _done_message(job) -> str:
    return t(
        "bank.import_done",
        rows=job.rows,
        accepted=job.accepted,
        duplicates=job.duplicates,
        rejected=job.rejected,
    )


@web.get("/bank/imports/<int(max=9223372036854775807):import_id>")
@roles_required(Role.BANK)
def bank_import(import_id: int):
    db = db_session()
    job = found_or_404(read.bank_import(db, _bank_code(), import_id))
    groups = read.import_errors_by_row(db, job.id, limit=ERRORS_SHOWN)
    return render_template(
        "bank/import.html",
        job=job,
        rows=[
            {
                "row": group.row,
                "errors": [
                    dict(zip(("column", "text"), _error_words(job, group.row, error), strict=True))
                    for error in group.errors
                ],
            }
            for group in groups
        ],
        shown=sum(len(group.errors) for group in groups),
        in_progress=job.status in read.IMPORT_IN_PROGRESS,
    )


@web.get("/bank/imports/<int(max=9223372036854775807):import_id>/errors.csv")
@roles_required(Role.BANK)
def bank_import_errors(import_id: int):
    """Every error kept of the import, in the words of its page: 行号, 列, 错误."""
    db = db_session()
    job = found_or_404(read.bank_import(db, _bank_code(), import_id))
    rows = (
        (group.row, *_error_words(job, group.row, error))
        for group in read.import_errors_by_row(db, job.id, limit=imports.MAX_STORED_ERRORS)
        for error in group.errors
    )
    header = [_("行号"), _("列"), _("错误")]
    return attachment(spreadsheets.safe_csv(header, rows), f"import-{job.id}-errors.csv")


@web.get("/bank/templates/<kind>.xlsx")
@roles_required(Role.BANK)
def bank_template(kind: str):
    if kind not in imports.KINDS:
        abort(404)
    return attachment(spreadsheets.template(kind), f"loanledger-{kind}.xlsx")
