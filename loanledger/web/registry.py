"""Registry pages for staff: enterprises, filings, and one loan with its balance over time
and its lines. Read-only; the data itself is kept through the API."""

from __future__ import annotations

from flask import abort, render_template, request

from loanledger.domain.errors import Refusal
from loanledger.domain.timeline import balance_segments
from loanledger.domain.vocabulary import STAFF_ROLES
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import read
from loanledger.services.facts import load_loan
from loanledger.web import forms, web
from loanledger.web.auth import roles_required


def loan_page_context(loan) -> dict:
    """What a loan page shows (staff and the enterprise alike)."""
    db = db_session()
    view = read.loan_view(db, loan, business_date())
    data = load_loan(db, loan)
    timeline = balance_segments(data.disbursements(), data.repayments())
    return {
        "loan": loan,
        "view": view,
        "timeline": timeline,
        "line_rows": read.loan_lines(db, loan.bank_code, loan.contract_no),
        "enterprise": read.enterprise(db, loan.uscc),
        "paid_fen": read.subsidy_paid(db, [(loan.bank_code, loan.contract_no)])[
            (loan.bank_code, loan.contract_no)
        ],
    }


ENTERPRISES_PAGE_SIZE = 50
MAX_CURSOR = 1024


@web.get("/bureau/enterprises")
@roles_required(*STAFF_ROLES)
def enterprises_page():
    """Enterprises by name, matching a search, page by page (never cut off unsaid)."""
    try:
        q = forms.text(request.args.get("q"), max_length=100)
        cursor = forms.text(request.args.get("cursor"), max_length=MAX_CURSOR) or None
    except forms.FormError as error:
        forms.flash_form_error(error)
        q, cursor = "", None
    db = db_session()

    def page_from(start: str | None):
        return read.enterprises_matching(db, q or None, limit=ENTERPRISES_PAGE_SIZE, cursor=start)

    try:
        page = page_from(cursor)
    except Refusal as error:  # a cursor this list did not issue
        forms.flash_refusal(error)
        cursor, page = None, page_from(None)
    return render_template(
        "registry/enterprises.html",
        q=q,
        rows=page.items,
        next_cursor=page.next_cursor,
        paged=cursor is not None,
    )


@web.get("/bureau/enterprises/<uscc>")
@roles_required(*STAFF_ROLES)
def enterprise_page(uscc: str):
    db = db_session()
    overview = read.enterprise_overview(db, uscc, business_date())
    if overview is None:
        abort(404)
    paid = read.subsidy_paid(
        db, [(loan["bank_code"], loan["contract_no"]) for loan in overview["loans"]]
    )
    return render_template("registry/enterprise.html", e=overview, paid=paid)


@web.get("/bureau/filings/<filing_no>")
@roles_required(*STAFF_ROLES)
def filing_page(filing_no: str):
    db = db_session()
    filing = read.filing(db, filing_no)
    if filing is None:
        abort(404)
    doc = read.filing_docs(db, [filing], business_date())[0]
    return render_template(
        "registry/filing.html", f=doc, enterprise=read.enterprise(db, filing.uscc)
    )


LOANS_PAGE_SIZE = 50


def _loan_filters() -> dict[str, str]:
    """The loan list's filters as asked; a bad one is flashed and left out."""
    shown: dict[str, str] = {}
    try:
        contract_no = forms.text(request.args.get("contract_no"), max_length=64)
        bank_code = forms.choice(request.args.get("bank_code") or None, tuple(_banks()))
        status = forms.choice(request.args.get("status") or None, read.LOAN_STATUSES)
        uscc = forms.text(request.args.get("uscc"), max_length=18)
    except forms.FormError as error:
        forms.flash_form_error(error)
        return shown
    for name, value in (
        ("contract_no", contract_no),
        ("bank_code", bank_code),
        ("status", status),
        ("uscc", uscc),
    ):
        if value:
            shown[name] = value
    return shown


def _banks() -> dict[str, str]:
    return read.bank_names(db_session())


@web.get("/bureau/loans")
@roles_required(*STAFF_ROLES)
def loans_page():
    """Every loan, filtered by bank, status, enterprise and the start of the contract number
    (search by contract number), page by page; codes shown as names."""
    shown = _loan_filters()
    try:
        cursor = forms.text(request.args.get("cursor"), max_length=MAX_CURSOR) or None
    except forms.FormError as error:
        forms.flash_form_error(error)
        cursor = None
    db = db_session()

    def page_from(start: str | None):
        return read.loans(db, business_date(), limit=LOANS_PAGE_SIZE, cursor=start, **shown)

    try:
        page = page_from(cursor)
    except Refusal as error:  # a cursor this list did not issue
        forms.flash_refusal(error)
        cursor, page = None, page_from(None)
    rows = page.items
    return render_template(
        "registry/loans.html",
        rows=rows,
        shown=shown,
        banks=_banks(),
        statuses=read.LOAN_STATUSES,
        names=read.names(
            db,
            enterprises=[r.uscc for r in rows],
        ),
        next_cursor=page.next_cursor,
        paged=cursor is not None,
    )


@web.get("/bureau/loans/<bank_code>/<contract_no>")
@roles_required(*STAFF_ROLES)
def loan_page(bank_code: str, contract_no: str):
    loan = read.loan(db_session(), bank_code, contract_no)
    if loan is None:
        abort(404)
    return render_template("registry/loan.html", portal=False, **loan_page_context(loan))
