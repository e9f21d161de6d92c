"""The audit trail for auditors (and admins): every state change with who, when, what, to
what, before and after; filtered by who, what, entity and dates; exported as CSV.

Read-only: the page has no form that changes anything. Reads come from `services.read`
(the same query as GET /audit)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from flask import render_template, request, url_for

from loanledger.domain.vocabulary import Role
from loanledger.request_context import session as db_session
from loanledger.services import read
from loanledger.services.spreadsheets import spreadsheet_safe
from loanledger.web import forms, web
from loanledger.web.audit_fields import field_rows
from loanledger.web.audit_words import ACTIONS, ENTITIES, action_words, entity_words
from loanledger.web.auth import roles_required
from loanledger.web.downloads import attachment
from loanledger.web.format import SHANGHAI, day
from loanledger.web.listing import page_asked, sort_asked
from loanledger.web.names import person, shown_names

PAGE_SIZE = 100
EXPORT_AT_MOST = 100_000


def _local_midnight(value: dt.date) -> dt.datetime:
    return dt.datetime.combine(value, dt.time(), tzinfo=SHANGHAI)


def _filter() -> tuple[read.AuditFilter, dict[str, str]]:
    """The filter the query string asks for, and the values to show back in the form; a bad
    value is flashed and left out."""
    args = request.args
    shown: dict[str, str] = {}
    values: dict[str, object] = {}
    try:
        for name in ("actor", "action", "entity", "entity_id"):
            text = forms.text(args.get(name), max_length=255)
            if text:
                values[name], shown[name] = text, text
        if "actor" in values:  # 张敏 means user:clerk; an actor as stored still works
            values["actor"] = shown_names().actor_named(str(values["actor"]))
        since = forms.date(args.get("from"), required=False)
        until = forms.date(args.get("to"), required=False)
    except forms.FormError as error:
        forms.flash_form_error(error)
        return read.AuditFilter(**values), shown  # type: ignore[arg-type]
    if since:
        values["since"], shown["from"] = _local_midnight(since), since.isoformat()
    if until:  # the whole day of `to`, in Beijing time
        values["until"] = _local_midnight(until + dt.timedelta(days=1))
        shown["to"] = until.isoformat()
    return read.AuditFilter(**values), shown  # type: ignore[arg-type]


def _row(entry) -> dict:
    return {
        "id": entry.id,
        "at": day(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "action_words": action_words(entry.action),
        "entity": entry.entity,
        "entity_words": entity_words(entry.entity),
        "entity_id": entry.entity_id,
        "before": _compact(entry.before),
        "after": _compact(entry.after),
    }


def entity_shown(entity: str, entity_id: str, names: read.DisplayNames) -> str:
    """The object of an entry as the page names it: a bank, product, pool or person by name,
    a loan by its bank's name and contract number; any other by its number."""
    if entity == "bank":
        return names.bank(entity_id)
    if entity == "product":
        return names.product(entity_id)
    if entity == "risk_pool":
        return names.pool(entity_id)
    if entity == "user":
        return names.actor(f"user:{entity_id}")
    if entity == "loan" and "/" in entity_id:
        bank_code, _, contract_no = entity_id.partition("/")
        return f"{names.bank(bank_code)} / {contract_no}"
    return entity_id


def _compact(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


@web.get("/bureau/audit")
@roles_required(Role.AUDITOR, Role.ADMIN)
def audit_page():
    """The trail as filtered, sorted as asked (oldest first), page by page with its count;
    the export's limit said when the filter selects more."""
    where, shown = _filter()
    sort = sort_asked(read.AUDIT_SORTS)
    found = read.audit_numbered(db_session(), where, page_asked(), sort, size=PAGE_SIZE)
    names = shown_names()
    entries = [
        _row(e)
        | {
            "shown": entity_shown(e.entity, e.entity_id, names),
            "fields": field_rows(e.entity, e.before, e.after, names),
        }
        for e in found.items
    ]
    return render_template(
        "bureau/audit.html",
        entries=entries,
        found=found,
        sort=sort,
        shown=shown,
        export_url=url_for("web.audit_csv", **shown),
        export_at_most=EXPORT_AT_MOST,
        actions=sorted((code, str(words)) for code, words in ACTIONS.items()),
        entities=sorted((code, str(words)) for code, words in ENTITIES.items()),
    )


# Each code beside its words, as on the page: 操作人 (user:clerk) and 操作人姓名 (张敏), 操作代码 and
# 操作, 对象类型 in words, 对象 (its number or code) and 对象名称 (a bank's, a person's name).
CSV_HEADER = (
    "编号",
    "时间（北京时间）",
    "操作人",
    "操作人姓名",
    "操作代码",
    "操作",
    "对象类型",
    "对象",
    "对象名称",
    "变更前",
    "变更后",
)


@web.get("/bureau/audit.csv")
@roles_required(Role.AUDITOR, Role.ADMIN)
def audit_csv():
    """The filtered trail, oldest first, at most EXPORT_AT_MOST rows; UTF-8 with a BOM so
    that Excel reads the Chinese; cells a spreadsheet would run as formulas are defused."""
    where, _shown = _filter()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    names = shown_names()
    for entry in read.audit_rows(db_session(), where, at_most=EXPORT_AT_MOST):
        row = _row(entry)
        writer.writerow(
            spreadsheet_safe(value)
            for value in (
                row["id"],
                row["at"],
                row["actor"],
                person(entry.actor),
                row["action"],
                row["action_words"],
                row["entity_words"],
                row["entity_id"],
                entity_shown(entry.entity, entry.entity_id, names),
                row["before"],
                row["after"],
            )
        )
    return attachment("\ufeff" + out.getvalue(), "audit-trail.csv")
