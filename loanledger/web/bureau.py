"""Bureau pages: the dashboard and close, a batch and its maker-checker actions, payments and
the voucher, objections, reconciliation. Every action is one service call (perform)."""

from __future__ import annotations

import json

from flask import Response, abort, redirect, render_template, request, url_for

from loanledger.domain.capitals import yuan_in_capitals
from loanledger.domain.vocabulary import (
    OBJECTION_RESOLUTIONS,
    PAYMENT_RESULTS,
    STAFF_ROLES,
    BatchStatus,
    LineKind,
    LineStatus,
    ObjectionStatus,
    PaymentStatus,
    Role,
    words,
)
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import forecast, read
from loanledger.services.close import close_period
from loanledger.web import chart, forms, reconciliation_words, web
from loanledger.web.auth import current_user, roles_required

LINE_KINDS = words(LineKind)
LINE_STATUSES = words(LineStatus)
OBJECTION_STATUSES = words(ObjectionStatus)
SUBMITTABLE = (BatchStatus.PUBLICITY, BatchStatus.READY)
PAYABLE = (BatchStatus.APPROVED, BatchStatus.PARTIALLY_PAID)


def _refresh_publicity() -> None:
    """Batches whose 公示 ended become `ready` before anyone looks at them."""
    from loanledger.services import payouts
    from loanledger.services.unit_of_work import unit_of_work

    with unit_of_work(db_session()) as db:
        payouts.refresh_publicity(db, business_date())


def _batch_or_404(batch_id: int):
    batch = read.batch(db_session(), batch_id)
    if batch is None:
        abort(404)
    return batch


# ------------------------------------------------------------------ dashboard and close
@web.get("/bureau")
@roles_required(*STAFF_ROLES)
def dashboard():
    _refresh_publicity()
    db = db_session()
    today = business_date()
    newest_first = sorted(
        read.batches(db), key=lambda b: b.period, reverse=True
    )  # stable: kinds keep their order
    return render_template(
        "bureau/dashboard.html",
        today=today,
        periods=list(reversed(read.periods(db))),
        batches=newest_first,
        budgets=read.budget_years(db),
        # 预计全年支出 / 预算: GET /reports/forecast's figure for the business year
        year_forecast=forecast.forecast(db, today.year, next_year=False).years[0],
        pools=read.pool_statuses(db, today),
        chart=chart.build(read.monthly_totals(db)),
        next_period=read.next_closable_period(db, today),
    )


@web.post("/bureau/close")
@roles_required(Role.CLERK)
def close():
    try:
        period = forms.period(request.form.get("period"))
    except forms.FormError as error:
        forms.flash_form_error(error)
        return redirect(url_for("web.dashboard"))
    actor = current_user().actor
    forms.perform(
        lambda: close_period(db_session(), period, actor, business_date()),
        "dash.closed_ok",
        period=period,
    )
    return redirect(url_for("web.dashboard"))


# ------------------------------------------------------------------ one batch
def _line_filter() -> read.LineFilter:
    try:
        payee_id = forms.text(request.args.get("payee_id"), max_length=32) or None
        kind = forms.choice(request.args.get("kind"), LINE_KINDS)
        status = forms.choice(request.args.get("status"), LINE_STATUSES)
    except forms.FormError as error:
        forms.flash_form_error(error)
        return read.LineFilter()
    return read.LineFilter(payee_id, kind, status)


def _page() -> int:
    try:
        return forms.page_number(request.args.get("page"))
    except forms.FormError as error:
        forms.flash_form_error(error)
        return 1


@web.get("/bureau/batches/<int:batch_id>")
@roles_required(*STAFF_ROLES)
def batch_page(batch_id: int):
    _refresh_publicity()
    db = db_session()
    batch = _batch_or_404(batch_id)
    line_filter, page = _line_filter(), _page()
    lines = read.batch_lines_numbered(db, batch.id, line_filter, page)
    payees = read.batch_payees(db, batch.id)
    shown = read.payees_shown(db, batch.status, payees)
    user = current_user()
    objections = read.objections(db, batch_id=batch.id)
    return render_template(
        "bureau/batch.html",
        batch=batch,
        lines=lines.items,
        count=lines.count,
        page=page,
        pages=lines.pages,
        line_filter=line_filter,
        line_kinds=LINE_KINDS,
        line_statuses=LINE_STATUSES,
        payees=payees,
        reason_codes=read.batch_reason_codes(db, batch.id),
        names={pid: s.name for pid, s in shown.items()},
        shown=shown,
        open_objections=read.open_objections_by_line(db, [line.id for line in lines.items]),
        objections=objections,
        can_submit=user.can(Role.CLERK) and batch.status in SUBMITTABLE,
        can_check=user.can(Role.APPROVER) and batch.status == BatchStatus.SUBMITTED,
        can_pay=user.can(Role.CLERK) and batch.status in PAYABLE,
        # The public page lists the batch exactly while this is true (services.read.publicity).
        in_public_list=read.is_published(batch, business_date()),
        today=business_date(),
    )


def _batch_action(batch_id: int, call, success_key: str):
    _batch_or_404(batch_id)
    forms.perform(call, success_key)
    return redirect(url_for("web.batch_page", batch_id=batch_id))


@web.post("/bureau/batches/<int:batch_id>/submit")
@roles_required(Role.CLERK)
def submit_batch(batch_id: int):
    from loanledger.services import payouts

    actor = current_user().actor
    return _batch_action(
        batch_id,
        lambda: payouts.submit(db_session(), batch_id, actor, business_date()),
        "batch.submitted_ok",
    )


@web.post("/bureau/batches/<int:batch_id>/approve")
@roles_required(Role.APPROVER)
def approve_batch(batch_id: int):
    from loanledger.services import payouts

    actor = current_user().actor
    return _batch_action(
        batch_id,
        lambda: payouts.approve(db_session(), batch_id, actor, business_date()),
        "batch.approved_ok",
    )


@web.post("/bureau/batches/<int:batch_id>/reject")
@roles_required(Role.APPROVER)
def reject_batch(batch_id: int):
    from loanledger.services import payouts

    actor = current_user().actor

    def call():
        reason = forms.text(request.form.get("reason"), required=True)
        return payouts.reject(db_session(), batch_id, actor, reason, business_date())

    return _batch_action(batch_id, call, "batch.rejected_ok")


@web.get("/bureau/lines/<int:line_id>")
@roles_required(*STAFF_ROLES)
def line_page(line_id: int):
    db = db_session()
    line = read.line(db, line_id)
    if line is None:
        abort(404)
    return render_template(
        "portal/line.html",
        line=line,
        batch=read.batch(db, line.batch_id),
        portal=False,
        today=business_date(),
        names=read.payee_names(db, [line.payee_id]),
    )


# ------------------------------------------------------------------ payments and voucher
@web.get("/bureau/batches/<int:batch_id>/payments")
@roles_required(*STAFF_ROLES)
def payments_page(batch_id: int):
    db = db_session()
    batch = _batch_or_404(batch_id)
    payees = read.batch_payees(db, batch.id)
    return render_template(
        "bureau/payments.html",
        batch=batch,
        payees=payees,
        names={pid: s.name for pid, s in read.payees_shown(db, batch.status, payees).items()},
        today=business_date(),
        can_pay=current_user().can(Role.CLERK) and batch.status in PAYABLE,
    )


def _payment_results():
    from loanledger.services.payouts import PaymentResult

    ids = request.form.getlist("payee_id")
    statuses = request.form.getlist("status")
    dates = request.form.getlist("paid_on")
    references = request.form.getlist("reference")
    if not (len(ids) == len(statuses) == len(dates) == len(references)):
        raise forms.FormError("invalid_format")
    results = []
    for payee_id, status, paid_on, reference in zip(ids, statuses, dates, references, strict=True):
        status = forms.choice(status, words(PAYMENT_RESULTS))
        if status is None:
            continue  # left for now
        results.append(
            PaymentResult(
                payee_id=forms.text(payee_id, required=True, max_length=32),
                status=status,
                paid_on=forms.date(paid_on, required=status == PaymentStatus.PAID),
                reference=forms.text(reference, max_length=255) or None,
            )
        )
    if not results:
        raise forms.FormError("no_payments")
    return results


@web.post("/bureau/batches/<int:batch_id>/payments")
@roles_required(Role.CLERK)
def record_payments(batch_id: int):
    from loanledger.services import payouts

    _batch_or_404(batch_id)
    actor = current_user().actor

    def call():
        return payouts.record_payments(
            db_session(), batch_id, _payment_results(), actor, business_date()
        )

    if forms.perform(call, "pay.recorded_ok"):
        return redirect(url_for("web.batch_page", batch_id=batch_id))
    return redirect(url_for("web.payments_page", batch_id=batch_id))


@web.get("/bureau/batches/<int:batch_id>/payees/<payee_id>/voucher")
@roles_required(*STAFF_ROLES)
def voucher(batch_id: int, payee_id: str):
    db = db_session()
    batch = _batch_or_404(batch_id)
    payee = read.batch_payee(db, batch.id, payee_id)
    if payee is None:
        abort(404)
    shown = read.payees_shown(db, batch.status, [payee])[payee_id]
    return render_template(
        "bureau/voucher.html",
        batch=batch,
        payee=payee,
        account=shown.account,
        name=shown.name,
        capitals=yuan_in_capitals(payee.pays_fen),
        today=business_date(),
    )


# ------------------------------------------------------------------ objections
@web.get("/bureau/objections")
@roles_required(*STAFF_ROLES)
def objections_page():
    try:
        status = forms.choice(request.args.get("status"), OBJECTION_STATUSES)
    except forms.FormError as error:
        forms.flash_form_error(error)
        status = None
    db = db_session()
    rows = read.objections(db, status)
    return render_template(
        "bureau/objections.html",
        rows=rows,
        status=status,
        statuses=OBJECTION_STATUSES,
        names=read.payee_names(db, [o.uscc for o, _line in rows]),
        can_resolve=current_user().can(Role.CLERK),
    )


@web.post("/bureau/objections/<int:objection_id>/resolve")
@roles_required(Role.CLERK)
def resolve_objection(objection_id: int):
    from loanledger.services import objections

    actor = current_user().actor

    def call():
        resolution = forms.choice(
            request.form.get("resolution"), words(OBJECTION_RESOLUTIONS), required=True
        )
        note = forms.text(request.form.get("note"))
        return objections.resolve(
            db_session(), objection_id, resolution, note, actor, business_date()
        )

    forms.perform(call, "obj.resolved_ok")
    back = request.form.get("back")
    if back and back.startswith("/bureau/") and not back.startswith("//"):
        return redirect(back)
    return redirect(url_for("web.objections_page"))


# ------------------------------------------------------------------ reconciliation
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
        "bureau/reconciliation.html", shown=reconciliation_words.page_doc(doc), period=doc["period"]
    )


@web.get("/bureau/periods/<period>/reconciliation.csv")
@roles_required(*STAFF_ROLES)
def reconciliation_csv(period: str):
    from loanledger.services import reconciliation

    doc = _reconciliation(period)
    return Response(
        reconciliation.reconciliation_csv(doc),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="reconciliation-{doc["period"]}.csv"'
        },
    )


@web.get("/bureau/periods/<period>/reconciliation.xlsx")
@roles_required(*STAFF_ROLES)
def reconciliation_xlsx(period: str):
    from loanledger.services import reconciliation

    doc = _reconciliation(period)
    return Response(
        reconciliation.reconciliation_xlsx(doc),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="reconciliation-{doc["period"]}.xlsx"'
        },
    )


# ------------------------------------------------------------------ the policy what-if (政策测算)
@web.get("/bureau/what-if")
@roles_required(*STAFF_ROLES)
def what_if_page():
    """A draft policy, as GET /policy gives it, to price against the one in force."""
    from loanledger.services import registry

    today = business_date()
    doc = registry.current_policy(db_session()).document()
    return _what_if_form(
        json.dumps(doc, ensure_ascii=False, indent=2), f"{today.year}-01", f"{today.year}-12"
    )


@web.post("/bureau/what-if")
@roles_required(*STAFF_ROLES)
def what_if_post():
    """POST /reports/what-if's figures (services.forecast.what_if): nothing is saved."""
    text = request.form.get("policy", "")
    first, last = request.form.get("from", ""), request.form.get("to", "")
    try:
        doc = json.loads(forms.text(text, required=True, max_length=MAX_POLICY_TEXT))
        first, last = forms.period(first), forms.period(last)
    except forms.FormError as error:
        forms.flash_form_error(error)
        return _what_if_form(text, first, last)
    except ValueError:
        forms.flash_form_error(forms.FormError("invalid_format", "policy JSON"))
        return _what_if_form(text, first, last)
    answer: dict = {}
    refusal = forms.attempt(
        lambda: answer.update(result=forecast.what_if(db_session(), doc, first, last))
    )
    if refusal is not None:
        forms.flash_refusal(refusal)
        return _what_if_form(text, first, last, problems=refusal.problems)
    return _what_if_form(text, first, last, result=answer["result"])


MAX_POLICY_TEXT = 20_000


def _what_if_form(text: str, first: str, last: str, **shown):
    return render_template("bureau/what_if.html", policy_text=text, first=first, last=last, **shown)
