"""The policy what-if (政策测算): a draft policy priced against the one in force; nothing is saved."""

from __future__ import annotations

import json

from flask import flash, render_template, request

from loanledger.domain.errors import PolicyInvalid
from loanledger.domain.vocabulary import STAFF_ROLES
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import forecast
from loanledger.web import forms, web
from loanledger.web.admin_forms import policy_doc, policy_problems
from loanledger.web.auth import roles_required
from loanledger.web.i18n import t


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
        doc = policy_doc(text)
        first, last = forms.period(first), forms.period(last)
    except forms.FormError as error:
        forms.flash_form_error(error)
        return _what_if_form(text, first, last)
    answer: dict = {}
    refusal = forms.attempt(
        lambda: answer.update(result=forecast.what_if(db_session(), doc, first, last))
    )
    if isinstance(refusal, PolicyInvalid):
        flash(t("what_if.policy_invalid"), "error")
        return _what_if_form(text, first, last, problems=policy_problems(refusal))
    if refusal is not None:
        forms.flash_refusal(refusal)
        return _what_if_form(text, first, last)
    return _what_if_form(text, first, last, result=answer["result"])


def _what_if_form(text: str, first: str, last: str, **shown):
    return render_template("bureau/what_if.html", policy_text=text, first=first, last=last, **shown)
