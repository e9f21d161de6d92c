"""`make translations`: extract the msgids, merge them into each catalog, compile the catalogs.

The same as `pybabel extract -F loanledger/translations/babel.cfg -k lazy_gettext
-k lazy_pgettext:1c,2 --add-location=file --no-wrap`, `pybabel update --previous` and
`pybabel compile`, with two additions:

- zh_CN is the source language (the msgids are the Chinese text): its msgstr is set to the
  msgid, so that catalog never needs a hand.
- A file is written only when a message in it changed: a run that changes nothing leaves the
  work tree clean (no dates or Babel versions alone).

It fails, and leaves that catalog's .mo as it was, when a catalog has an error: Babel's
checks, and a translation whose %(name)s placeholders are not those of its msgid (Babel lets
a translation drop them all). English entries still untranslated or fuzzy are listed: they
show in Chinese until translated, and tests/integration/test_web_i18n.py fails on them.
"""

from __future__ import annotations

import configparser
import copy
import io
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "loanledger"
CATALOGS = PACKAGE / "translations"
MAPPING = CATALOGS / "babel.cfg"
TEMPLATE = CATALOGS / "messages.pot"
SOURCE_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}
COMMENT_TAGS = ("TRANSLATORS:",)
VERSION = configparser.ConfigParser()
VERSION.read(ROOT / "setup.cfg", encoding="utf-8")
PROJECT = ("LoanLedger", VERSION["metadata"]["version"])
HEADER = """\
# The web pages of LoanLedger (数字贷贴息与风险补偿), {what}.
# The msgids are the Chinese text; a msgctxt tells apart one Chinese word with two
# meanings. After editing, run `make translations` (docs/decisions.md, "Translations").
#"""
PLACEHOLDER = re.compile(r"%\(([a-z_]+)\)s")
# Header lines that change with the date or the Babel version alone.
VOLATILE = (b'"POT-Creation-Date:', b'"PO-Revision-Date:', b'"Generated-By:')


def catalog_path(locale: str, extension: str = "po") -> Path:
    return CATALOGS / locale / "LC_MESSAGES" / f"messages.{extension}"


def extract() -> Catalog:
    """Every msgid the templates and the web code use, as a template catalog."""
    with MAPPING.open(encoding="utf-8") as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    catalog = Catalog(*PROJECT, header_comment=HEADER.format(what="the template"), charset="utf-8")
    found = extract_from_dir(
        str(PACKAGE),
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        location = "loanledger/" + Path(filename).as_posix()
        catalog.add(message, None, [(location, lineno)], auto_comments=comments, context=context)
    return catalog


def load(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def merged(template: Catalog, locale: str) -> Catalog:
    """The locale's catalog brought up to the template (pybabel init/update)."""
    path = catalog_path(locale)
    if path.exists():
        catalog = load(path, locale)
    else:
        catalog = Catalog(
            locale=locale,
            project=PROJECT[0],
            version=PROJECT[1],
            charset="utf-8",
            header_comment=HEADER.format(what=f"the {locale} catalog"),
            revision_date=datetime.now(UTC),
            fuzzy=False,
        )
    # A copy: update() adopts the template's message objects, and zh_CN's are filled below.
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=False, update_header_comment=False)
    if locale == SOURCE_LOCALE:
        for message in catalog:
            if message.id:
                message.string = message.id
                message.flags.discard("fuzzy")
                message.previous_id = []
    return catalog


def errors(catalog: Catalog) -> list[str]:
    """What would compile wrong (a fuzzy message is not compiled: it waits for its translator)."""
    found = [
        f"{message.context or ''} {message.id!r}: {error}"
        for message, problems in catalog.check()
        if not message.fuzzy
        for error in problems
    ]
    for message in catalog:
        translated = message.id and message.string and not message.fuzzy
        if translated and sorted(PLACEHOLDER.findall(message.string)) != sorted(
            PLACEHOLDER.findall(message.id)
        ):
            found.append(
                f"{message.context or ''} {message.id!r}: placeholders differ in {message.string!r}"
            )
    return found


def po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=0, include_previous=True, include_lineno=False)
    return out.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def _stable(content: bytes) -> list[bytes]:
    return [line for line in content.splitlines() if not line.startswith(VOLATILE)]


def write_if_changed(path: Path, content: bytes, *, compare=_stable) -> bool:
    if path.exists() and compare(path.read_bytes()) == compare(content):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    print(f"wrote {path.relative_to(ROOT)}")
    return True


def main() -> int:
    template = extract()
    write_if_changed(TEMPLATE, po_bytes(template))
    failed = False
    for locale in LOCALES:
        path = catalog_path(locale)
        write_if_changed(path, po_bytes(merged(template, locale)))
        catalog = load(path, locale)  # compile what is on disk
        problems = errors(catalog)
        for problem in problems:
            print(f"{path.relative_to(ROOT)}: {problem}", file=sys.stderr)
        if problems:
            failed = True
            print(f"{locale}: not compiled", file=sys.stderr)
        else:
            write_if_changed(catalog_path(locale, "mo"), mo_bytes(catalog), compare=bytes)
        missing = [m for m in catalog if m.id and (not m.string or m.fuzzy)]
        for message in missing:
            state = "fuzzy" if message.fuzzy and message.string else "untranslated"
            print(f"{locale}: {state}: {message.context or ''} {message.id!r}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
