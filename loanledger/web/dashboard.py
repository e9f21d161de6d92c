"""The bureau's dashboard (with each role's to-do list), the month's close as a job, and the
banks' imports with errors that the clerk's to-do links to."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for

from loanledger.domain.vocabulary import (
    STAFF_ROLES,
    Role,
)
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import close_jobs, forecast, read
from loanledger.web import chart, forms, web
from loanledger.web.auth import current_user, roles_required
from loanledger.web.batches import refresh_publicity as _refresh_publicity
from loanledger.web.errors import found_or_404
from loanledger.web.format import SHANGHAI
from loanledger.web.i18n import t
from loanledger.web.listing import page_asked, sort_asked

BATCHES_PAGE_SIZE = 20  # the batch list, in numbered pages (`bpage`, `bsort`, `bdir`)
REFRESH_SECONDS = 2  # the job page reloads itself this often until the close ends


@web.get("/bureau")
@roles_required(*STAFF_ROLES)
def dashboard():
    _refresh_publicity()
    db = db_session()
    today = business_date()
    now = dt.datetime.now(dt.UTC)
    batch_sort = sort_asked(read.BATCH_SORTS, prefix="b")
    batch_list = read.batches_numbered(db, page_asked("b"), batch_sort, size=BATCHES_PAGE_SIZE)
    return render_template(
        "bureau/dashboard.html",
        today=today,
        periods=list(reversed(read.periods(db))),
        batches=batch_list.items,
        batch_list=batch_list,
        batch_sort=batch_sort,
        budgets=read.budget_years(db),
        # 预计全年支出 / 预算: GET /reports/forecast's figure for the business year
        year_forecast=forecast.forecast_kept(db, today.year).years[0],
        pools=read.pool_statuses(db, today),
        chart=chart.build(read.monthly_totals(db)),
        next_period=read.next_closable_period(db, today),
        failed_emails=read.failed_email_count(db),
        close_jobs=read.open_close_jobs(db),
        todo=read.todo(db, current_user().role, now),
        recent_days=read.RECENT.days,
        # the audit page's `from` for the auditor's "recent changes": a Beijing date
        recent_from=(now - read.RECENT).astimezone(SHANGHAI).date().isoformat(),
    )


@web.get("/bureau/imports")
@roles_required(*STAFF_ROLES)
def imports_page():
    """The banks' files of the last days that were refused or had refused rows (the clerk's
    to-do links here; the rows themselves are in each import's errors.csv, the bank's API)."""
    db = db_session()
    return render_template(
        "bureau/imports.html",
        imports=read.imports_with_errors(db, dt.datetime.now(dt.UTC) - read.RECENT),
        bank_names=read.bank_names(db),
        recent_days=read.RECENT.days,
    )


@web.post("/bureau/close")
@roles_required(Role.CLERK)
def close():
    """The close runs as a job (services/close_jobs.py): this only asks for it and shows it;
    a second click while it waits or runs shows the same job."""
    if not forms.confirmed():  # irreversible: only with its confirmation box ticked
        return redirect(url_for("web.dashboard"))
    try:
        period = forms.period(request.form.get("period"))
    except forms.FormError as error:
        forms.flash_form_error(error)
        return redirect(url_for("web.dashboard"))
    waiting = read.open_close_job(db_session(), period)
    if waiting is not None:  # a second click: the job under way, said so
        flash(t("dash.close_running", period=period), "success")
        return redirect(url_for("web.close_job_page", job_id=waiting.id))
    actor = current_user().actor
    asked: list[int] = []

    def ask() -> None:
        asked.append(close_jobs.request_close(db_session(), period, actor, business_date()))

    if not forms.perform(ask, "dash.close_asked", period=period):
        return redirect(url_for("web.dashboard"))
    return redirect(url_for("web.close_job_page", job_id=asked[0]))


@web.get("/bureau/close-jobs/<int:job_id>")
@roles_required(*STAFF_ROLES)
def close_job_page(job_id: int):
    """The job's progress; the page reloads itself while the job waits or runs."""
    db = db_session()
    job = found_or_404(read.close_job(db, job_id))
    return render_template(
        "bureau/close_job.html",
        job=job,
        batches=read.batches(db, period=job.period) if job.status == "done" else [],
        refresh_seconds=REFRESH_SECONDS if job.status in ("pending", "running") else None,
    )
