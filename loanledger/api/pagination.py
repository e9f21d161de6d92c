"""Keyset pagination for every list: `?limit=` (1–1000, default 100) and an opaque `?cursor=`.

The query string and the page's schema; the pages themselves are read by
`loanledger.services.read` (`paging.keyset_page`), which returns `Page(items, next_cursor)`:

    class LoanQuery(PageQuery):
        status = fields.String()

    @blp.arguments(LoanQuery, location="query")
    @blp.response(200, page_of(LoanSchema))
    def get(self, query):
        page = read.loans(db, today, status=query.get("status"), limit=query["limit"], cursor=query["cursor"])
        return {"items": [view(loan) for loan in page.items], "next_cursor": page.next_cursor}
"""

from __future__ import annotations

from marshmallow import fields, validate

from loanledger.wire.fields import Schema

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_CURSOR_CHARS = 1024


class PageQuery(Schema):
    """Query string of a list; subclass it to add filters."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"page size, 1–{MAX_LIMIT}"},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=MAX_CURSOR_CHARS),
        metadata={"description": "`next_cursor` of the previous page"},
    )


_PAGE_SCHEMAS: dict[type, type[Schema]] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """`{"items": [item], "next_cursor": null|"…"}` for a response, one class per item schema."""
    if item_schema not in _PAGE_SCHEMAS:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _PAGE_SCHEMAS[item_schema] = type(
            name,
            (Schema,),
            {
                "items": fields.List(fields.Nested(item_schema), required=True),
                "next_cursor": fields.String(allow_none=True, required=True),
            },
        )
    return _PAGE_SCHEMAS[item_schema]
