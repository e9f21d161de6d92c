"""Names instead of codes on every page: a bank, product or risk pool by its name, a person
by their display name (users.display_name, else the username), a bank acting through the API
by the bank's name, and the programme's own actors (the scheduler, the command line) in
words. The template filters `bank_name`, `product_name`, `pool_name` and `person`.

One read (services.read.display_names) per request, on the first name a page asks for."""

from __future__ import annotations

from flask import Flask, g
from flask_babel import lazy_pgettext
from flask_babel.speaklater import LazyString

from loanledger.request_context import session as db_session
from loanledger.services import read

# read.MACHINE_ACTORS in words: who did it when no person did.
MACHINE_ACTORS: dict[str, LazyString] = {
    "system": lazy_pgettext("actor", "系统"),
    "scheduler": lazy_pgettext("actor", "系统定时任务"),
    "cli": lazy_pgettext("actor", "系统管理员（命令行）"),
    "demo": lazy_pgettext("actor", "演示数据"),
}


def shown_names() -> read.DisplayNames:
    if "display_names" not in g:
        g.display_names = read.display_names(db_session())
    return g.display_names


def bank_name(code: str | None) -> str:
    return shown_names().bank(code)


def product_name(code: str | None) -> str:
    return shown_names().product(code)


def pool_name(code: str | None) -> str:
    return shown_names().pool(code)


def person(actor: str | None) -> str:
    """Who an actor is, in words: `user:clerk` → 张敏, `bank:ZSRCB` → 中山农商银行,
    `system` → 系统."""
    words = MACHINE_ACTORS.get(actor or "")
    return str(words) if words is not None else shown_names().actor(actor)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        bank_name=bank_name, product_name=product_name, pool_name=pool_name, person=person
    )
