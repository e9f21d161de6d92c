"""The public 公示 page: the subsidy lists now in 公示, for anyone, without sign-in, as the
bureau links it from its website (`/gongshi`, one batch at `/gongshi/<id>`, its Excel at
`/gongshi/<id>.xlsx`). The figures are `services.read.publicity_lists`, the same as
`GET /api/v1/public/publicity`.

Like the API's, every request counts against its address's anonymous allowance, and an
answer is cacheable for a minute with an ETag. The page names no signed-in user (its own
header, not base.html's), so one copy suits every reader of a language.
"""

from __future__ import annotations

from flask import Response, current_app, render_template, request

from loanledger.ratelimit import limit_anonymous
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import publicity_sheet, read
from loanledger.web import web
from loanledger.web.downloads import attachment
from loanledger.web.errors import found_or_404

CACHE_CONTROL = "public, max-age=60"
SEARCH_CHARS = 50


def _cacheable(response: Response) -> Response:
    response.headers["Cache-Control"] = CACHE_CONTROL
    if response.get_etag()[0] is None:
        response.add_etag()
    return response.make_conditional(request)


def _search() -> str:
    return (request.args.get("q") or "").strip()[:SEARCH_CHARS]


def _shown(lists: list[read.PublicList], search: str) -> list[tuple[read.PublicList, list]]:
    """Each list with the enterprises whose name contains `search` (all without one)."""
    return [
        (public, [e for e in public.entries if search in e.enterprise_name]) for public in lists
    ]


def _page(lists: list[read.PublicList], *, single: bool) -> Response:
    search = _search()
    html = render_template(
        "public/publicity.html",
        lists=_shown(lists, search),
        search=search,
        single=single,
        auto_print=single and request.args.get("print") == "1",
        contact=current_app.extensions["loanledger"].settings.publicity_contact,
        today=business_date(),
    )
    return _cacheable(Response(html, mimetype="text/html"))


def _one(batch_id: int) -> read.PublicList:
    public = found_or_404(read.publicity_list(db_session(), business_date(), batch_id))
    return public


@web.get("/gongshi")
def publicity_page():
    limit_anonymous()
    return _page(read.publicity_lists(db_session(), business_date()), single=False)


@web.get("/gongshi/<int:batch_id>")
def publicity_batch_page(batch_id: int):
    limit_anonymous()
    return _page([_one(batch_id)], single=True)


@web.get("/gongshi/<int:batch_id>.xlsx")
def publicity_xlsx(batch_id: int):
    limit_anonymous()
    contact = current_app.extensions["loanledger"].settings.publicity_contact
    doc = read.publicity_doc(_one(batch_id), contact)
    response = attachment(
        publicity_sheet.publicity_xlsx(doc), f"publicity-{doc['period']}-{batch_id}.xlsx"
    )
    response.set_etag(publicity_sheet.document_tag(doc))
    return _cacheable(response)
