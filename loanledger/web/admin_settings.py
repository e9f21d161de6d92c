"""Administrators' pages for the programme's money and calendar: budgets per year, the risk
pools (a new one) and their deposits, the working-day calendar for 公示, and the business date where the
settings let an administrator set it. Each action is one use case (`services.registry`,
`services.pools`, `services.workcalendar`, `services.clock`), as the API's.

Administrators only: every other role gets 403.
"""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for

from loanledger.domain.pools import POOL_CODE_MAX, pool_code_valid
from loanledger.domain.vocabulary import PoolEligibility, Role
from loanledger.request_context import business_date, manual_business_date
from loanledger.request_context import session as db_session
from loanledger.services import clock, pools, read, registry, workcalendar
from loanledger.web import forms, web
from loanledger.web.admin_forms import (
    FieldRefused,
    amount_fen,
    field,
    flash_admin_refusal,
    run,
    year,
)
from loanledger.web.admin_words import POOL_ELIGIBILITY_WORDS, pool_eligibility_words
from loanledger.web.auth import current_user, roles_required
from loanledger.web.i18n import t

CALENDAR_KINDS = ("holiday", "workday")


def _actor() -> str:
    return current_user().actor


def _reference() -> str:
    """The form's 文号 (a budget's or a deposit's reference), required."""
    return field(
        "admin.f_reference",
        lambda: forms.text(request.form.get("reference"), required=True, max_length=255),
    )


# ---------------------------------------------------------------- budgets
@web.get("/admin/budgets")
@roles_required(Role.ADMIN)
def admin_budgets():
    db = db_session()
    return render_template(
        "admin/budgets.html",
        years=read.budget_years(db),
        appropriations=read.appropriations(db),
        this_year=business_date().year,
    )


@web.post("/admin/budgets")
@roles_required(Role.ADMIN)
def admin_add_budget():
    back = redirect(url_for("web.admin_budgets"))
    try:
        budget_year = field("admin.f_year", lambda: year(request.form.get("year")))
        amount = field("admin.f_amount", lambda: amount_fen(request.form.get("amount")))
        reference = _reference()
    except FieldRefused:
        return back
    run(
        lambda: registry.add_budget(
            db_session(), budget_year, amount, reference, business_date(), _actor()
        ),
        "admin.budget_added_ok",
        year=budget_year,
    )
    return back


# ---------------------------------------------------------------- risk pools
@web.get("/admin/pools")
@roles_required(Role.ADMIN)
def admin_pools():
    db = db_session()
    statuses = read.pool_statuses(db, business_date())
    return render_template(
        "admin/pools.html",
        pools=statuses,
        deposits={row.pool_code: read.pool_deposits(db, row.pool_code) for row, _s in statuses},
        today=business_date(),
        eligibilities=POOL_ELIGIBILITY_WORDS,
        eligibility_words=pool_eligibility_words,
        lists=_lists(db),
        pool_code_max=POOL_CODE_MAX,
    )


POOLS_LISTS_SHOWN = 1000  # the lists a new pool may name (there are a handful)


def _lists(db) -> dict[str, str]:
    """Every enterprise list's name by code (the new pool form's choice)."""
    page = read.enterprise_lists(db, limit=POOLS_LISTS_SHOWN, cursor=None)
    return {row.list_code: row.name for row in page.items}


def _pool_code(value: str | None) -> str:
    code = forms.text(value, required=True, max_length=POOL_CODE_MAX)
    if not pool_code_valid(code):
        raise forms.FormError("bad_pool_code")
    return code


class _NewPool:
    """The new pool form, read and checked field by field (the first bad field is said). The
    list is read only for eligibility enterprise_list, where it is required."""

    def __init__(self, form, lists: dict[str, str]):
        self.pool_code = field("admin.f_pool_code", lambda: _pool_code(form.get("pool_code")))
        self.name = field(
            "admin.f_pool_name",
            lambda: forms.text(form.get("name"), required=True, max_length=255),
        )
        self.operator = field(
            "admin.f_operator",
            lambda: forms.text(form.get("operator"), required=True, max_length=255),
        )
        self.eligibility = field(
            "admin.f_eligibility",
            lambda: forms.choice(
                form.get("eligibility"), tuple(POOL_ELIGIBILITY_WORDS), required=True
            ),
        )
        listed = self.eligibility == PoolEligibility.ENTERPRISE_LIST
        self.list_code = field(
            "admin.f_list",
            lambda: (
                forms.choice(form.get("list_code"), tuple(lists), required=True) if listed else None
            ),
        )

    def doc(self) -> dict[str, str | None]:
        return {
            "pool_code": self.pool_code,
            "name": self.name,
            "operator": self.operator,
            "eligibility": self.eligibility,
            "list_code": self.list_code,
        }


@web.post("/admin/pools")
@roles_required(Role.ADMIN)
def admin_create_pool():
    back = redirect(url_for("web.admin_pools"))
    try:
        new = _NewPool(request.form, _lists(db_session()))
    except FieldRefused:
        return back
    created: list[bool] = []
    refusal = forms.attempt(
        lambda: created.append(pools.create_pool(db_session(), new.doc(), _actor())[1])
    )
    if refusal is None:
        done_key = "admin.pool_created_ok" if created[0] else "admin.pool_exists_same"
        flash(t(done_key, pool=new.name), "success")
    elif refusal.code == "invalid_state":  # the code is another pool's
        flash(t("admin.pool_code_taken", code=new.pool_code), "error")
    else:
        flash_admin_refusal(refusal)
    return back


@web.post("/admin/pools/<pool_code>/deposits")
@roles_required(Role.ADMIN)
def admin_add_deposit(pool_code: str):
    if read.risk_pool(db_session(), pool_code) is None:
        abort(404)
    back = redirect(url_for("web.admin_pools"))
    try:
        amount = field("admin.f_amount", lambda: amount_fen(request.form.get("amount")))
        deposited_on = field(
            "admin.f_deposited_on", lambda: forms.date(request.form.get("deposited_on"))
        )
        reference = _reference()
    except FieldRefused:
        return back
    run(
        lambda: pools.add_deposit(
            db_session(), pool_code, amount, deposited_on, reference, business_date(), _actor()
        ),
        "admin.deposit_added_ok",
        pool=read.risk_pool(db_session(), pool_code).name,
    )
    return back


# ---------------------------------------------------------------- the working-day calendar
def _shown_year() -> int:
    try:
        return year(request.args.get("year")) if request.args.get("year") else business_date().year
    except forms.FormError as error:
        forms.flash_form_error(error)
        return business_date().year


@web.get("/admin/calendar")
@roles_required(Role.ADMIN)
def admin_calendar():
    shown = _shown_year()
    return render_template(
        "admin/calendar.html",
        year=shown,
        days=workcalendar.list_days(db_session(), shown),
        covered=workcalendar.covered(shown),
    )


def _calendar_back(day: dt.date | None = None):
    return redirect(url_for("web.admin_calendar", year=day.year if day else None))


@web.post("/admin/calendar")
@roles_required(Role.ADMIN)
def admin_add_calendar_day():
    try:
        day = field("admin.f_day", lambda: forms.date(request.form.get("day")))
        kind = field(
            "admin.f_kind",
            lambda: forms.choice(request.form.get("kind"), CALENDAR_KINDS, required=True),
        )
        name = field(
            "admin.f_day_name",
            lambda: forms.text(request.form.get("name"), required=True, max_length=128),
        )
    except FieldRefused:
        return _calendar_back()
    refusal = forms.attempt(lambda: workcalendar.add_day(db_session(), day, kind, name, _actor()))
    if refusal is None:
        flash(t("admin.day_added_ok", day=day.isoformat()), "success")
    elif refusal.code == "invalid_state":  # entered already, another way: batches may count on it
        flash(t("admin.day_taken", day=day.isoformat()), "error")
    else:
        flash_admin_refusal(refusal)
    return _calendar_back(day)


@web.post("/admin/calendar/<day>/remove")
@roles_required(Role.ADMIN)
def admin_remove_calendar_day(day: str):
    try:
        on = forms.date(day)
    except forms.FormError:
        abort(404)
    run(
        lambda: workcalendar.remove_day(db_session(), on, _actor()),
        "admin.day_removed_ok",
        day=on.isoformat(),
    )
    return _calendar_back(on)


# ---------------------------------------------------------------- the business date
@web.get("/admin/business-date")
@roles_required(Role.ADMIN)
def admin_business_date():
    return render_template(
        "admin/business_date.html", today=business_date(), manual=manual_business_date()
    )


@web.post("/admin/business-date")
@roles_required(Role.ADMIN)
def admin_set_business_date():
    if not manual_business_date():
        abort(403)  # the date follows the calendar here (the API's PUT says 403 too)
    back = redirect(url_for("web.admin_business_date"))
    try:
        new_date = field("admin.f_business_date", lambda: forms.date(request.form.get("date")))
    except FieldRefused:
        return back
    run(
        lambda: clock.set_today(db_session(), new_date, _actor()),
        "admin.business_date_set_ok",
        day=new_date.isoformat(),
    )
    return back
