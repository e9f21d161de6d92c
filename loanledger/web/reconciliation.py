"""A month's reconciliation in words, and its CSV and XLSX downloads."""

from __future__ import annotations

from flask import abort, render_template

from loanledger.domain.vocabulary import (
    STAFF_ROLES,
)
from loanledger.request_context import session as db_session
from loanledger.services import read
from loanledger.web import forms, reconciliation_words, web
from loanledger.web.auth import roles_required
from loanledger.web.downloads import attachment
from loanledger.web.names import shown_names


def _reconciliation(period: str) -> dict:
    try:
        period = forms.period(period)
    except forms.FormError:
        abort(404)
    return read.reconciliation(db_session(), period)


@web.get("/bureau/periods/<period>/reconciliation")
@roles_required(*STAFF_ROLES)
def reconciliation_page(period: str):
    doc = _reconciliation(period)
    return render_template(
        "bureau/reconciliation.html",
        shown=reconciliation_words.page_doc(doc, shown_names()),
        period=doc["period"],
    )


@web.get("/bureau/periods/<period>/reconciliation.csv")
@roles_required(*STAFF_ROLES)
def reconciliation_csv(period: str):
    from loanledger.services import reconciliation

    doc = _reconciliation(period)
    return attachment(reconciliation.reconciliation_csv(doc), f"reconciliation-{doc['period']}.csv")


@web.get("/bureau/periods/<period>/reconciliation.xlsx")
@roles_required(*STAFF_ROLES)
def reconciliation_xlsx(period: str):
    from loanledger.services import reconciliation

    doc = _reconciliation(period)
    return attachment(
        reconciliation.reconciliation_xlsx(doc), f"reconciliation-{doc['period']}.xlsx"
    )
