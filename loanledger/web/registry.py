"""Registry pages for staff: enterprises, filings, and one loan with its balance over time
and its lines. Read-only; the data itself is kept through the API."""

from __future__ import annotations

from flask import abort, render_template, request

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
    }


@web.get("/bureau/enterprises")
@roles_required(*STAFF_ROLES)
def enterprises_page():
    try:
        q = forms.text(request.args.get("q"), max_length=100)
    except forms.FormError as error:
        forms.flash_form_error(error)
        q = ""
    return render_template(
        "registry/enterprises.html", q=q, rows=read.enterprises_matching(db_session(), q or None)
    )


@web.get("/bureau/enterprises/<uscc>")
@roles_required(*STAFF_ROLES)
def enterprise_page(uscc: str):
    overview = read.enterprise_overview(db_session(), uscc, business_date())
    if overview is None:
        abort(404)
    return render_template("registry/enterprise.html", e=overview)


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


@web.get("/bureau/loans/<bank_code>/<contract_no>")
@roles_required(*STAFF_ROLES)
def loan_page(bank_code: str, contract_no: str):
    loan = read.loan(db_session(), bank_code, contract_no)
    if loan is None:
        abort(404)
    return render_template("registry/loan.html", portal=False, **loan_page_context(loan))
