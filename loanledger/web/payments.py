"""Payments of an approved batch: the form, the bank's payment file and return file, the voucher."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import flash, redirect, render_template, request, url_for

from loanledger.domain.capitals import yuan_in_capitals
from loanledger.domain.vocabulary import (
    PAYMENT_RESULTS,
    STAFF_ROLES,
    BatchStatus,
    PaymentStatus,
    Role,
    words,
)
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import read
from loanledger.web import forms, uploads, web
from loanledger.web.auth import current_user, roles_required
from loanledger.web.batches import PAYABLE
from loanledger.web.batches import batch_or_404 as _batch_or_404
from loanledger.web.downloads import attachment
from loanledger.web.errors import found_or_404
from loanledger.web.i18n import ERRORS, error_text, results_column_text, results_reason, t
from loanledger.web.listing import page_asked, shown_as, sort_asked

PAGE_SIZE = 50  # payees a page; the form posts the rows of the page shown
UNAPPROVED = (BatchStatus.PUBLICITY, BatchStatus.READY, BatchStatus.SUBMITTED)
ROW_FIELD_RE = re.compile(r"payments\[(\d+)\]\.\w+", re.ASCII)


def _payments_context(batch_id: int) -> dict:
    """The payments page: the payees with something to pay in numbered pages (`page`, `sort`,
    `dir`, as the batch page's payees), the form over the page shown."""
    db = db_session()
    batch = _batch_or_404(batch_id)
    sort = sort_asked(read.payee_sorts(batch.status))
    found = read.batch_payees_numbered(
        db, batch, None, page_asked(), sort, size=PAGE_SIZE, to_pay=True
    )
    payees = found.items
    pending = read.batch_pending_payees(db, batch.id)
    user = current_user()
    return {
        "batch": batch,
        "payees": payees,
        "payee_page": found,
        "payee_sort": sort,
        "pending_count": pending,  # of every page: the form's button, the payment file
        "names": {pid: s.name for pid, s in read.payees_shown(db, batch.status, payees).items()},
        "today": business_date(),
        "can_pay": user.can(Role.CLERK) and batch.status in PAYABLE,
        # the payment file: for those who pay and approve (api.md), while there is something to pay
        "can_download": (user.can(Role.CLERK) or user.can(Role.APPROVER))
        and batch.status in PAYABLE
        and pending > 0,
        "can_upload": user.can(Role.CLERK) and batch.status in (*PAYABLE, BatchStatus.PAID),
        "results_errors": uploads.RowErrors(),
        "typed": {},  # payee_id → TypedRow: the refused form, as typed
        "row_choices": ROW_CHOICES,
    }


@web.get("/bureau/batches/<int:batch_id>/payments")
@roles_required(*STAFF_ROLES)
def payments_page(batch_id: int):
    return render_template("bureau/payments.html", **_payments_context(batch_id))


def _payment_file_download(batch_id: int, file_format: str, render):
    """The file, its download audited in one unit of work; a refusal is a flash message."""
    from loanledger.services import payment_file

    _batch_or_404(batch_id)
    actor = current_user().actor
    made: list = []

    def call() -> None:
        doc = payment_file.payment_file(db_session(), batch_id)
        payment_file.record_download(db_session(), doc, actor, file_format)
        made.append(doc)

    refusal = forms.attempt(call)
    if refusal is not None:
        forms.flash_refusal(refusal)
        return redirect(url_for("web.payments_page", batch_id=batch_id))
    content, content_type, suffix = render(made[0])
    return attachment(content, made[0].filename(suffix), content_type)


@web.get("/bureau/batches/<int:batch_id>/payment-file.xlsx")
@roles_required(Role.CLERK, Role.APPROVER)
def payment_file_xlsx(batch_id: int):
    from loanledger.services import payment_file

    return _payment_file_download(
        batch_id,
        "xlsx",
        lambda doc: (payment_file.to_xlsx(doc), payment_file.XLSX_MIMETYPE, "xlsx"),
    )


@web.get("/bureau/batches/<int:batch_id>/payment-file.csv")
@roles_required(Role.CLERK, Role.APPROVER)
def payment_file_csv(batch_id: int):
    from loanledger.services import payment_file

    try:
        encoding = forms.choice(request.args.get("encoding"), payment_file.ENCODINGS) or "utf-8"
    except forms.FormError as error:
        forms.flash_form_error(error)
        return redirect(url_for("web.payments_page", batch_id=batch_id))
    return _payment_file_download(
        batch_id,
        f"csv-{encoding}",
        lambda doc: (
            payment_file.to_csv(doc, encoding),
            f"text/csv; charset={encoding}",
            "csv",
        ),
    )


@web.post("/bureau/batches/<int:batch_id>/payment-results")
@roles_required(Role.CLERK)
def upload_payment_results(batch_id: int):
    """The bank's return file from the payments page: a summary when it is recorded, every
    refused row's error in words under the form when it is not."""
    from loanledger.services import payment_results

    _batch_or_404(batch_id)

    def said(result: payment_results.ResultsImport) -> str:
        key = "pay.results_ok" if result.paid or result.failed else "pay.results_unchanged"
        return t(
            key,
            rows=result.rows,
            paid=result.paid,
            failed=result.failed,
            unchanged=result.unchanged,
        )

    def show_errors(errors: uploads.RowErrors) -> str:
        shown_as("web.payments_page")
        return render_template(
            "bureau/payments.html", **{**_payments_context(batch_id), "results_errors": errors}
        )

    return uploads.take_rows_file(
        uploads.RowsForm(
            payment_results.ResultsRefused,
            results_column_text,
            lambda e: results_reason(e.reason, e.args, e.sentence),
            "pay.results_refused",
            "results_file_refused",
        ),
        payment_results.import_results,
        batch_id,
        said=said,
        back=lambda: redirect(url_for("web.payments_page", batch_id=batch_id)),
        show_errors=show_errors,
    )


# The payments form: every pending row needs an explicit choice (no status is preselected).
LATER = "later"  # 暂不处理: the row is left pending
ROW_CHOICES = (*words(PAYMENT_RESULTS), LATER)


@dataclass
class TypedRow:
    """One row of the payments form as typed, kept to fill the form again when it is refused."""

    payee_id: str
    status: str = ""
    paid_on: str = ""
    reference: str = ""
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # field → the sentence shown beside it

    def refuse(self, name: str, sentence: str) -> None:
        self.errors.setdefault(name, sentence)  # the first problem of a field is the one to fix


def _typed_rows() -> list[TypedRow]:
    form = request.form
    ids = form.getlist("payee_id")
    columns = [form.getlist(name) for name in ("status", "paid_on", "reference", "reason")]
    if any(len(column) != len(ids) for column in columns):
        raise forms.FormError("invalid_format")
    if any("\x00" in value for column in (ids, *columns) for value in column):
        raise forms.FormError("invalid_format")  # as forms.text refuses it
    return [
        TypedRow(payee_id, *(value.strip() for value in values))
        for payee_id, *values in zip(ids, *columns, strict=True)
    ]


def _row_result(row: TypedRow):
    """The row's PaymentResult, or None (left pending, or its choice unreadable); what is
    wrong with what was typed goes into row.errors."""
    from loanledger.services.payment_results import MAX_REFERENCE
    from loanledger.services.payouts import PaymentResult, stored_reference

    if row.status == LATER:
        return None
    if row.status not in ROW_CHOICES:
        row.refuse("status", t("payform.choose_status"))
        return None
    paid_on = None
    if row.paid_on:
        try:
            paid_on = forms.date(row.paid_on)
        except forms.FormError:
            row.refuse("paid_on", t("payform.bad_date"))
    if row.status == PaymentStatus.FAILED and not row.reason:
        row.refuse("reason", t("payform.failed_needs_reason"))
    reference = stored_reference(
        row.reference, row.reason if row.status == PaymentStatus.FAILED else None
    )
    if reference is not None and len(reference) > MAX_REFERENCE:
        row.refuse("reference", t("payform.too_long"))
        reference = None
    return PaymentResult(
        payee_id=row.payee_id, status=row.status, paid_on=paid_on, reference=reference
    )


def _check_rows(rows: list[TypedRow], batch) -> list:
    """Every row's problems at once: the form's own (a choice, a date, a reason) and the
    service's rules (payouts.result_problems, the same the API answers with)."""
    from loanledger.services import payouts

    results, owners = [], []
    for row in rows:
        result = _row_result(row)
        if result is not None:
            results.append(result)
            owners.append(row)
    for problem in payouts.result_problems(results, business_date(), batch.approved_on):
        # a payee listed twice is marked at its choice: the form has no payee field to mark
        name = "status" if problem.field == "payee_id" else problem.field
        owners[problem.index].refuse(
            name, results_reason(problem.reason, problem.args, problem.message)
        )
    return results


def _refused_form(batch_id: int, rows: list[TypedRow], summary: str):
    """The form again, as typed, the offending rows marked: nothing was recorded."""
    flash(summary, "error")
    shown_as("web.payments_page")
    context = _payments_context(batch_id)
    context["typed"] = {row.payee_id: row for row in rows}
    return render_template("bureau/payments.html", **context)


def _row_of_field(field_path: str | None, rows_with_results: list[TypedRow]) -> TypedRow | None:
    """The form row a refusal's field (`payments[2].paid_on`) points at, if any."""
    match = ROW_FIELD_RE.fullmatch(field_path or "")
    if match is None or int(match.group(1)) >= len(rows_with_results):
        return None
    return rows_with_results[int(match.group(1))]


@web.post("/bureau/batches/<int:batch_id>/payments")
@roles_required(Role.CLERK)
def record_payments(batch_id: int):
    from loanledger.services import payouts

    batch = _batch_or_404(batch_id)
    back = url_for("web.payments_page", batch_id=batch_id)
    if not forms.confirmed():
        return redirect(back)
    try:
        rows = _typed_rows()
    except forms.FormError as error:
        forms.flash_form_error(error)
        return redirect(back)
    results = _check_rows(rows, batch)
    refused = [row for row in rows if row.errors]
    if refused:
        return _refused_form(batch_id, rows, t("payform.rows_refused", rows=len(refused)))
    if not results:
        return _refused_form(batch_id, rows, t("payform.nothing_chosen"))
    actor = current_user().actor
    refusal = forms.attempt(
        lambda: payouts.record_payments(db_session(), batch_id, results, actor, business_date())
    )
    if refusal is None:
        flash(t("pay.recorded_ok"), "success")
        return redirect(url_for("web.batch_page", batch_id=batch_id))
    # Refused by the service (another clerk recorded a row meanwhile, the batch moved on):
    # the row it names is marked, the sentence in words.
    row = _row_of_field(refusal.field, [r for r in rows if r.status in PAYMENT_RESULTS])
    if row is not None and refusal.code == "invalid_state":  # no longer pending
        row.refuse("status", t("payform.already_recorded"))
        return _refused_form(batch_id, rows, t("payform.rows_refused", rows=1))
    if row is not None and refusal.code == "unknown_target":  # not a payee of this batch
        sentence = results_reason("not_in_batch", {"payee": row.payee_id}, "")
        return _refused_form(batch_id, rows, sentence)
    # Not about one row (the batch moved on, a lock): the code's sentence, never the
    # service's English message.
    known = refusal.code in ERRORS
    return _refused_form(
        batch_id, rows, error_text(refusal.code) if known else t("payform.refused")
    )


@web.get("/bureau/batches/<int:batch_id>/payees/<payee_id>/voucher")
@roles_required(*STAFF_ROLES)
def voucher(batch_id: int, payee_id: str):
    from loanledger.services import payment_file

    db = db_session()
    batch = _batch_or_404(batch_id)
    payee = found_or_404(read.batch_payee(db, batch.id, payee_id))
    shown = read.payees_shown(db, batch.status, [payee])[payee_id]
    return render_template(
        "bureau/voucher.html",
        batch=batch,
        payee=payee,
        account=shown.account,
        name=shown.name,
        capitals=yuan_in_capitals(payee.pays_fen),
        # Not yet approved: a draft, which no one may pay from.
        draft=batch.status in UNAPPROVED,
        # The payment date is the payment record's, or a blank to fill in: never the business
        # date, which is only the day the voucher is printed.
        paid_on=payee.paid_on if payee.payment_status == PaymentStatus.PAID else None,
        purpose_key=payment_file.purpose_key(batch.kind, batch.pool_code),
    )
