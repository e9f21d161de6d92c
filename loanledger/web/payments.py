"""Payments of an approved batch: the form, the bank's payment file and return file, the voucher."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for

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
from loanledger.web import forms, web
from loanledger.web.auth import current_user, roles_required
from loanledger.web.batches import PAYABLE
from loanledger.web.batches import batch_or_404 as _batch_or_404
from loanledger.web.i18n import results_column_text, results_reason, t

ERRORS_SHOWN = 1000  # refused rows' errors shown under the return file's form


def _payments_context(batch_id: int) -> dict:
    db = db_session()
    batch = _batch_or_404(batch_id)
    payees = read.batch_payees(db, batch.id)
    user = current_user()
    return {
        "batch": batch,
        "payees": payees,
        "names": {pid: s.name for pid, s in read.payees_shown(db, batch.status, payees).items()},
        "today": business_date(),
        "can_pay": user.can(Role.CLERK) and batch.status in PAYABLE,
        # the payment file: for those who pay and approve (api.md), while there is something to pay
        "can_download": (user.can(Role.CLERK) or user.can(Role.APPROVER))
        and batch.status in PAYABLE
        and any(p.payment_status == PaymentStatus.PENDING for p in payees),
        "can_upload": user.can(Role.CLERK) and batch.status in (*PAYABLE, BatchStatus.PAID),
        "results_errors": [],
        "results_rows_refused": 0,
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
    return Response(
        content,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{made[0].filename(suffix)}"'},
    )


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
    from loanledger.services import imports, payment_results
    from loanledger.services.spreadsheets import FileRefused

    _batch_or_404(batch_id)
    back = redirect(url_for("web.payments_page", batch_id=batch_id))
    actor = current_user().actor
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        forms.flash_form_error(forms.FormError("no_file"))
        return back
    done: list[payment_results.ResultsImport] = []

    def call() -> None:
        with imports.spool(upload.stream) as spooled:
            done.append(
                payment_results.import_results(
                    db_session(),
                    batch_id,
                    spooled,
                    imports.clean_filename(upload.filename),
                    actor,
                    business_date(),
                )
            )

    refusal = forms.attempt(call)
    if refusal is None:
        result = done[0]
        key = "pay.results_ok" if result.paid or result.failed else "pay.results_unchanged"
        flash(
            t(
                key,
                rows=result.rows,
                paid=result.paid,
                failed=result.failed,
                unchanged=result.unchanged,
            ),
            "success",
        )
        return back
    if isinstance(refusal, payment_results.ResultsRefused):
        rows = len({e.row for e in refusal.errors})
        flash(t("pay.results_refused", rows=rows), "error")
        context = _payments_context(batch_id)
        context["results_rows_refused"] = rows
        context["results_errors"] = [
            {
                "row": e.row,
                "column": results_column_text(e.column),
                "text": results_reason(e.reason, e.args, e.sentence),
            }
            for e in refusal.errors[:ERRORS_SHOWN]
        ]
        return render_template("bureau/payments.html", **context)
    if isinstance(refusal, FileRefused):
        flash(forms.refusal_message("results_file_refused", refusal.message), "error")
    else:
        forms.flash_refusal(refusal)
    return back


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
    from loanledger.services import payment_file

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
        purpose_key=payment_file.purpose_key(batch.kind, batch.pool_code),
        today=business_date(),
    )
