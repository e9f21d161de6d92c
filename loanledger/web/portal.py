"""The enterprise portal: its loans, its lines with the reasons in words, its payments and
objections, and the objection form during 公示. An enterprise sees only its own USCC: any
other enterprise's loan or line answers 404, as if it did not exist."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from loanledger.domain.vocabulary import BatchStatus, ObjectionStatus, Role
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import read
from loanledger.web import forms, web
from loanledger.web.auth import current_user, roles_required
from loanledger.web.errors import found_or_404
from loanledger.web.listing import page_asked
from loanledger.web.registry import loan_page_context

NOTICES_PAGE_SIZE = 20  # newest first, in numbered pages (`npage`)


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
    mine = read.enterprise_subsidies(db, _uscc(), today)
    upheld = {o.line_id: o for o, _line in mine.objections if o.status == ObjectionStatus.UPHELD}
    in_publicity = sorted(
        {
            x.batch.id: x.batch for x in mine.lines if x.batch.status == BatchStatus.PUBLICITY
        }.values(),
        key=lambda b: b.period,
    )
    return render_template(  # newest first
        "portal/index.html",
        windows=read.publicity_windows(db, [x.batch.id for x in mine.lines]),
        in_publicity=in_publicity,
        upheld=upheld,
        upheld_batches={o.batch_id for o in upheld.values()},
        notice_page=read.notices_numbered(db, _uscc(), page_asked("n"), size=NOTICES_PAGE_SIZE),
        notice_counts=read.notice_counts(db, _uscc()),
        enterprise=mine.enterprise,
        uscc=mine.uscc,
        loans=mine.loans,
        lines=list(reversed(mine.lines)),
        open_by_line={x.line.id for x in mine.lines if x.has_open_objection},
        payments=list(reversed(mine.payments)),
        objections=list(reversed(mine.objections)),
        today=today,
    )


@web.get("/portal/loans/<bank_code>/<contract_no>")
@roles_required(Role.ENTERPRISE)
def portal_loan(bank_code: str, contract_no: str):
    loan = read.loan(db_session(), bank_code, contract_no)
    if loan is None or loan.uscc != _uscc():
        abort(404)
    return render_template("registry/loan.html", portal=True, **loan_page_context(loan))


@web.get("/portal/lines/<int:line_id>")
@roles_required(Role.ENTERPRISE)
def portal_line(line_id: int):
    db = db_session()
    mine = found_or_404(read.enterprise_line(db, _uscc(), line_id, business_date()))
    upheld = [
        o
        for o, _line in read.objections(db, uscc=_uscc(), batch_id=mine.batch.id)
        if o.line_id == line_id and o.status == ObjectionStatus.UPHELD
    ]
    return render_template(
        "portal/line.html",
        line=mine.line,
        batch=mine.batch,
        own_status=mine.own_status,
        carried_to=(
            mine.payment.batch_id
            if mine.payment and mine.payment.batch_id != mine.line.batch_id
            else None
        ),
        window=read.publicity_windows(db, [mine.batch.id]).get(mine.batch.id),
        upheld=upheld[0] if upheld else None,
        today=business_date(),
        portal=True,
        can_object=mine.can_object,
    )


@web.post("/portal/lines/<int:line_id>/objection")
@roles_required(Role.ENTERPRISE)
def file_objection(line_id: int):
    from loanledger.services import objections

    db = db_session()
    uscc = _uscc()
    if read.enterprise_line(db, uscc, line_id, business_date()) is None:
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


@web.post("/portal/notices/<int:notice_id>/read")
@roles_required(Role.ENTERPRISE)
def read_notice(notice_id: int):
    from loanledger.services import notices

    uscc, actor = _uscc(), current_user().actor
    refusal = forms.attempt(lambda: notices.mark_read(db_session(), uscc, notice_id, actor))
    if refusal is not None and refusal.status == 404:
        abort(404)  # another enterprise's notice is not shown to exist
    page = _notice_page_posted()
    return redirect(url_for("web.portal", npage=page if page > 1 else None) + "#notices")


def _notice_page_posted() -> int:
    """The page of notices the read button was on (back to it); a bad one is the first."""
    try:
        return forms.page_number(request.form.get("npage"))
    except forms.FormError:
        return 1
