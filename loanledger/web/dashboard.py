"""The bureau's dashboard and the month's close."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from loanledger.domain.vocabulary import (
    STAFF_ROLES,
    Role,
)
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import forecast, read
from loanledger.services.close import close_period
from loanledger.web import chart, forms, web
from loanledger.web.auth import current_user, roles_required
from loanledger.web.batches import refresh_publicity as _refresh_publicity


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
        year_forecast=forecast.forecast_kept(db, today.year).years[0],
        pools=read.pool_statuses(db, today),
        chart=chart.build(read.monthly_totals(db)),
        next_period=read.next_closable_period(db, today),
        failed_emails=read.failed_email_count(db),
    )


@web.post("/bureau/close")
@roles_required(Role.CLERK)
def close():
    if not forms.confirmed():  # irreversible: only with its confirmation box ticked
        return redirect(url_for("web.dashboard"))
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
