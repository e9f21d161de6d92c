"""One batch: its page, its lines, and the maker-checker actions (submit, approve, reject)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from loanledger.domain.vocabulary import (
    STAFF_ROLES,
    BatchStatus,
    LineKind,
    LineStatus,
    Role,
    words,
)
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import read
from loanledger.web import forms, web
from loanledger.web.auth import current_user, roles_required
from loanledger.web.errors import found_or_404
from loanledger.web.listing import page_asked, sort_asked

LINE_KINDS = words(LineKind)
LINE_STATUSES = words(LineStatus)
SUBMITTABLE = (BatchStatus.PUBLICITY, BatchStatus.READY)
PAYABLE = (BatchStatus.APPROVED, BatchStatus.PARTIALLY_PAID)
# Both tables in numbered pages, so that a batch of the demo's size (hundreds of payees and
# lines) is a page of reasonable length.
PAYEES_PAGE_SIZE = 25
LINES_PAGE_SIZE = 25
OBJECTIONS_SHOWN = 20  # the newest; the objections page lists all of the batch's


def refresh_publicity() -> None:
    """Batches whose 公示 ended become `ready` before anyone looks at them."""
    from loanledger.services import payouts
    from loanledger.services.unit_of_work import unit_of_work

    with unit_of_work(db_session()) as db:
        payouts.refresh_publicity(db, business_date())


def batch_or_404(batch_id: int):
    batch = found_or_404(read.batch(db_session(), batch_id))
    return batch


def _payee_asked() -> str | None:
    """The payee search (a piece of a name, USCC, bank code or bank name) both tables use."""
    try:
        return forms.text(request.args.get("payee"), max_length=100) or None
    except forms.FormError as error:
        forms.flash_form_error(error)
        return None


def _line_filter(payee: str | None) -> read.LineFilter:
    try:
        payee_id = forms.text(request.args.get("payee_id"), max_length=32) or None
        kind = forms.choice(request.args.get("kind"), LINE_KINDS)
        status = forms.choice(request.args.get("status"), LINE_STATUSES)
    except forms.FormError as error:
        forms.flash_form_error(error)
        return read.LineFilter(payee=payee)
    return read.LineFilter(payee_id, kind, status, payee)


def _payees_table(db, batch, payee: str | None) -> dict:
    """The payees table: its own page and sort (`ppage`, `psort`, `pdir`), the payee search,
    the whole batch's totals above it."""
    sort = sort_asked(read.payee_sorts(batch.status), prefix="p")
    found = read.batch_payees_numbered(
        db, batch, payee, page_asked("p"), sort, size=PAYEES_PAGE_SIZE
    )
    return {
        "payees": found.items,
        "payee_page": found,
        "payee_sort": sort,
        "payee_totals": read.batch_payee_totals(db, batch.id),
    }


def _lines_table(db, batch, payee: str | None) -> dict:
    """The lines table: its page and sort (`page`, `sort`, `dir`), its filters and the same
    payee search."""
    line_filter = _line_filter(payee)
    sort = sort_asked(read.LINE_SORTS)
    found = read.batch_lines_numbered(
        db, batch.id, line_filter, page_asked(), sort, size=LINES_PAGE_SIZE
    )
    return {
        "lines": found.items,
        "line_page": found,
        "line_sort": sort,
        "line_filter": line_filter,
        "line_kinds": LINE_KINDS,
        "line_statuses": LINE_STATUSES,
        "open_objections": read.open_objections_by_line(db, [line.id for line in found.items]),
    }


@web.get("/bureau/batches/<int:batch_id>")
@roles_required(*STAFF_ROLES)
def batch_page(batch_id: int):
    refresh_publicity()
    db = db_session()
    batch = batch_or_404(batch_id)
    payee = _payee_asked()
    payees, lines = _payees_table(db, batch, payee), _lines_table(db, batch, payee)
    # The name and account the batch prints for every payee either table shows.
    line_payees = read.batch_payees_of(db, batch.id, {line.payee_id for line in lines["lines"]})
    shown = read.payees_shown(db, batch.status, [*payees["payees"], *line_payees])
    user = current_user()
    objections = read.objections_numbered(db, 1, batch_id=batch.id, size=OBJECTIONS_SHOWN)
    return render_template(
        "bureau/batch.html",
        batch=batch,
        payee=payee,
        **payees,
        **lines,
        reason_codes=read.batch_reason_codes(db, batch.id),
        names={pid: s.name for pid, s in shown.items()},
        bank_names=read.bank_names(db),
        shown=shown,
        objections=objections.items,
        objection_count=objections.count,
        can_submit=user.can(Role.CLERK) and batch.status in SUBMITTABLE,
        can_check=user.can(Role.APPROVER) and batch.status == BatchStatus.SUBMITTED,
        can_pay=user.can(Role.CLERK) and batch.status in PAYABLE,
        # The public page lists the batch exactly while this is true (services.read.publicity).
        in_public_list=read.is_published(batch, business_date()),
        today=business_date(),
    )


def _batch_action(batch_id: int, call, success_key: str):
    """A maker-checker step: irreversible, so only with its confirmation box ticked."""
    batch_or_404(batch_id)
    if forms.confirmed():
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
        reason = forms.text(request.form.get("reason"))
        if not reason:
            raise forms.FormError("reject_reason_required")
        return payouts.reject(db_session(), batch_id, actor, reason, business_date())

    return _batch_action(batch_id, call, "batch.rejected_ok")


@web.get("/bureau/lines/<int:line_id>")
@roles_required(*STAFF_ROLES)
def line_page(line_id: int):
    db = db_session()
    line = found_or_404(read.line(db, line_id))
    return render_template(
        "portal/line.html",
        line=line,
        batch=read.batch(db, line.batch_id),
        portal=False,
        today=business_date(),
        names=read.payee_names(db, [line.payee_id]),
    )
