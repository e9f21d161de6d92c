"""Registry pages for staff: the lists of enterprises, loans and filings (filtered, sorted, in
numbered pages: web/listing.py), one enterprise, one filing, and one loan with its balance
over time and its lines. Read-only; the data itself is kept through the API."""

from __future__ import annotations

from flask import render_template, request

from loanledger.domain.timeline import balance_segments
from loanledger.domain.vocabulary import STAFF_ROLES, FilingStatus, words
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import read
from loanledger.services.facts import load_loan
from loanledger.web import forms, web
from loanledger.web.auth import roles_required
from loanledger.web.errors import found_or_404
from loanledger.web.listing import page_asked, sort_asked


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


# Rows a page of each list (never all at once; the pager says how many there are).
ENTERPRISES_PAGE_SIZE = 50
LOANS_PAGE_SIZE = 50
FILINGS_PAGE_SIZE = 50


@web.get("/bureau/enterprises")
@roles_required(*STAFF_ROLES)
def enterprises_page():
    """Enterprises matching a search (a piece of the name or USCC), sorted as asked, page by
    page with their count (never cut off unsaid)."""
    try:
        q = forms.text(request.args.get("q"), max_length=100)
    except forms.FormError as error:
        forms.flash_form_error(error)
        q = ""
    sort = sort_asked(read.ENTERPRISE_SORTS)
    found = read.enterprises_numbered(
        db_session(), q or None, page_asked(), sort, size=ENTERPRISES_PAGE_SIZE
    )
    return render_template(
        "registry/enterprises.html", q=q, rows=found.items, found=found, sort=sort
    )


@web.get("/bureau/enterprises/<uscc>")
@roles_required(*STAFF_ROLES)
def enterprise_page(uscc: str):
    db = db_session()
    overview = found_or_404(read.enterprise_overview(db, uscc, business_date()))
    paid = read.subsidy_paid(
        db, [(loan["bank_code"], loan["contract_no"]) for loan in overview["loans"]]
    )
    return render_template("registry/enterprise.html", e=overview, paid=paid)


@web.get("/bureau/filings/<filing_no>")
@roles_required(*STAFF_ROLES)
def filing_page(filing_no: str):
    db = db_session()
    filing = found_or_404(read.filing(db, filing_no))
    doc = read.filing_docs(db, [filing], business_date())[0]
    return render_template(
        "registry/filing.html", f=doc, enterprise=read.enterprise(db, filing.uscc)
    )


def _loan_filters() -> dict[str, str]:
    """The loan list's filters as asked; a bad one is flashed and left out."""
    shown: dict[str, str] = {}
    try:
        contract_no = forms.text(request.args.get("contract_no"), max_length=64)
        bank_code = forms.choice(request.args.get("bank_code") or None, tuple(_banks()))
        status = forms.choice(request.args.get("status") or None, read.LOAN_STATUSES)
        uscc = forms.text(request.args.get("uscc"), max_length=18)
        enterprise = forms.text(request.args.get("enterprise"), max_length=100)
    except forms.FormError as error:
        forms.flash_form_error(error)
        return shown
    for name, value in (
        ("contract_no", contract_no),
        ("bank_code", bank_code),
        ("status", status),
        ("uscc", uscc),
        ("enterprise", enterprise),
    ):
        if value:
            shown[name] = value
    return shown


def _banks() -> dict[str, str]:
    return read.bank_names(db_session())


@web.get("/bureau/loans")
@roles_required(*STAFF_ROLES)
def loans_page():
    """Every loan, filtered by bank, status, enterprise (its USCC, or a piece of its name or
    USCC) and the start of the contract number (search by contract number), sorted as asked,
    page by page with their count; codes shown as names."""
    shown = _loan_filters()
    sort = sort_asked(read.LOAN_SORTS)
    db = db_session()
    found = read.loans_numbered(
        db, business_date(), page_asked(), sort, size=LOANS_PAGE_SIZE, **shown
    )
    rows = found.items
    return render_template(
        "registry/loans.html",
        rows=rows,
        found=found,
        sort=sort,
        shown=shown,
        banks=_banks(),
        statuses=read.LOAN_STATUSES,
        names=read.names(
            db,
            enterprises=[r.uscc for r in rows],
        ),
    )


FILING_STATUSES = words(FilingStatus)


def _filing_filters() -> dict[str, str]:
    """The filing list's filters as asked; a bad one is flashed and left out."""
    shown: dict[str, str] = {}
    try:
        enterprise = forms.text(request.args.get("enterprise"), max_length=100)
        status = forms.choice(request.args.get("status") or None, FILING_STATUSES)
        bank_code = forms.choice(request.args.get("bank_code") or None, tuple(_banks()))
    except forms.FormError as error:
        forms.flash_form_error(error)
        return shown
    for name, value in (("enterprise", enterprise), ("status", status), ("bank_code", bank_code)):
        if value:
            shown[name] = value
    return shown


@web.get("/bureau/filings")
@roles_required(*STAFF_ROLES)
def filings_page():
    """Every filing, filtered by enterprise (a piece of its name or USCC), status today and
    the bank of a linked loan, sorted as asked, page by page with their count."""
    shown = _filing_filters()
    sort = sort_asked(read.FILING_SORTS)
    db = db_session()
    today = business_date()
    found = read.filings_numbered(db, today, page_asked(), sort, size=FILINGS_PAGE_SIZE, **shown)
    return render_template(
        "registry/filings.html",
        docs=read.filing_docs(db, found.items, today),
        found=found,
        sort=sort,
        shown=shown,
        banks=_banks(),
        statuses=FILING_STATUSES,
        names=read.names(db, enterprises=[f.uscc for f in found.items]).enterprises,
    )


@web.get("/bureau/loans/<bank_code>/<contract_no>")
@roles_required(*STAFF_ROLES)
def loan_page(bank_code: str, contract_no: str):
    loan = found_or_404(read.loan(db_session(), bank_code, contract_no))
    return render_template("registry/loan.html", portal=False, **loan_page_context(loan))
