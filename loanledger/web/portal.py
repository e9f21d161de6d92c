"""The enterprise portal: its loans, its lines with the reasons in words, its payments and
objections, and the objection form during 公示. An enterprise sees only its own USCC: any
other enterprise's loan or line answers 404, as if it did not exist."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from loanledger.request_context import business_date, session as db_session
from loanledger.domain.vocabulary import OBJECTABLE_LINE_KINDS, BatchStatus, LineStatus, PayeeType, Role
from loanledger.persistence.tables import Batch, Enterprise
from loanledger.web import forms, queries, web
from loanledger.web.auth import current_user, roles_required
from loanledger.web.registry import loan_page_context


def _uscc() -> str:
    return current_user().uscc


@web.get("/portal")
@roles_required(Role.ENTERPRISE)
def portal():
    from loanledger.services import payouts
    from loanledger.services.unit_of_work import unit_of_work

    today = business_date()
    with unit_of_work(db_session()) as db:
        payouts.refresh_publicity(db, today)
    uscc = _uscc()
    enterprise = db.get(Enterprise, uscc)
    loans = queries.my_loans(db, uscc)
    lines = queries.my_lines(db, uscc, loans)
    open_by_line = queries.open_objections_by_line(db, [line.id for line, _batch in lines])
    return render_template(
        "portal/index.html", enterprise=enterprise, uscc=uscc, loans=loans, lines=lines,
        open_by_line=open_by_line, payments=queries.my_payments(db, uscc),
        objections=queries.objections(db, uscc=uscc), today=today,
    )


def _objectable(line, batch, today, open_by_line) -> bool:
    return (batch.status == BatchStatus.PUBLICITY and batch.publicity_ends_on is not None
            and today <= batch.publicity_ends_on
            and line.kind in OBJECTABLE_LINE_KINDS and line.status == LineStatus.ACTIVE
            and line.payee_type == PayeeType.ENTERPRISE and line.id not in open_by_line)


@web.app_template_global()
def objectable(line, batch, today, open_by_line) -> bool:
    return _objectable(line, batch, today, open_by_line)


@web.get("/portal/loans/<bank_code>/<contract_no>")
@roles_required(Role.ENTERPRISE)
def portal_loan(bank_code: str, contract_no: str):
    loan = queries.find_loan(db_session(), bank_code, contract_no)
    if loan is None or loan.uscc != _uscc():
        abort(404)
    return render_template("registry/loan.html", portal=True, **loan_page_context(loan))


@web.get("/portal/lines/<int:line_id>")
@roles_required(Role.ENTERPRISE)
def portal_line(line_id: int):
    db = db_session()
    line = queries.my_line(db, _uscc(), line_id)
    if line is None:
        abort(404)
    batch = db.get(Batch, line.batch_id)
    return render_template("portal/line.html", line=line, batch=batch, today=business_date(), portal=True,
                           open_by_line=queries.open_objections_by_line(db, [line.id]))


@web.post("/portal/lines/<int:line_id>/objection")
@roles_required(Role.ENTERPRISE)
def file_objection(line_id: int):
    from loanledger.services import objections

    db = db_session()
    uscc = _uscc()
    if queries.my_line(db, uscc, line_id) is None:
        abort(404)
    actor = current_user().actor

    def call():
        reason = forms.text(request.form.get("reason"), required=True)
        return objections.file_objection(db, line_id, uscc, reason, actor, business_date())

    forms.perform(call, "obj.filed_ok")
    back = request.form.get("back")
    if back and back.startswith("/portal") and not back.startswith("//"):
        return redirect(back)
    return redirect(url_for("web.portal"))
