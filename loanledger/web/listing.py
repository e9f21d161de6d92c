"""The staff's tables as the request asks for them: which page (`?page=`), which sort
(`?sort=col&dir=asc|desc`, from the table's whitelist in services.read), and links to the same
page with one of those changed (`url_here`, for the sortable headers and the pager of
templates/_macros.html). A page with two tables gives the second its own names (a prefix).

A bad page number or sort is said in a flash message and the table shows its first page or
its default order: never a 500, never an unchecked column in SQL.
"""

from __future__ import annotations

from flask import flash, g, request, url_for

from loanledger.domain.errors import Refusal
from loanledger.services import read
from loanledger.web import forms
from loanledger.web.i18n import t


def page_asked(prefix: str = "") -> int:
    """The page number the request asks for (from 1); a bad one is flashed and is 1."""
    try:
        return forms.page_number(request.args.get(prefix + "page"))
    except forms.FormError as error:
        forms.flash_form_error(error)
        return 1


def sort_asked(sorts: read.Sorts, prefix: str = "") -> read.Sort:
    """The sort the request asks for, from the table's whitelist; one not on it is flashed
    and the table keeps its default order."""
    try:
        return sorts.asked(request.args.get(prefix + "sort"), request.args.get(prefix + "dir"))
    except Refusal:
        flash(t("list.bad_sort"), "error")
        return sorts.default


def shown_as(endpoint: str) -> None:
    """A form's answer that shows a listing page (an import refused, with its errors): the
    table's links lead to that page (`endpoint`, same view arguments), not to the form."""
    g.listing_endpoint = endpoint


def url_here(**changes: object) -> str:
    """This page's URL with the query arguments in `changes` set (None or "" drops one)."""
    endpoint = g.get("listing_endpoint") or request.endpoint or "web.index"
    args: dict[str, object] = {key: request.args.getlist(key) for key in request.args}
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(endpoint, **(request.view_args or {}), **args)
