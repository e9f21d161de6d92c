"""A crawl of the web pages as one signed-in person sees them, and what a Chinese page must not
show: English words, code identifiers, `user:`-style actors, raw amounts.

`crawl(web, start)` follows every same-site link breadth-first from the start page (no
downloads, no forms, no language switch, no sign-out) and yields each HTML page's path and
visible text. `findings(text, allowed)` lists what the text should not show, after taking
out the tokens a page may show as they are (`Allowed`: the identifiers of the data, such as
USCCs and contract numbers, and a few words with their reasons); `allowed_in(db)` lists those
of the data in a database."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from sqlalchemy import select

from loanledger.persistence.tables import (
    Bank,
    BatchPayee,
    Enterprise,
    EnterpriseList,
    Filing,
    ImportJob,
    Loan,
    LoanEvent,
    Product,
    RiskPool,
    User,
)

MAX_PAGES = 300  # per person: the demo's pages are far fewer; a loop would stop here

# Links that are not pages to read: files, the switch to English, the API and its docs.
SKIPPED_PATH = re.compile(r"^/(lang/|logout|api/|static/|metrics|health)")
DOWNLOAD = re.compile(r"(\.(xlsx|csv|json|pdf|zip)$|/(download|export|xlsx|csv)\b)")
SKIPPED_QUERY = re.compile(r"(^|&)(format|download)=")

# What a Chinese page must not show.
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_:.\-]*")
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
ACTOR = re.compile(r"\b(?:user|bank|system|demo):[\w.\-]*")
# An amount with two decimals that is not ¥1,234.56: no ¥ before it, no thousands separators.
RAW_AMOUNT = re.compile(r"(?<![¥\d,.])\d{4,}\.\d{2}\b")

# The vocabulary's codes and other English a page must say in words (any case, whole words).
DENIED_WORDS = frozenset(
    [
        "open",
        "closed",
        "publicity",
        "ready",
        "submitted",
        "approved",
        "paid",
        "partially",
        "pending",
        "failed",
        "none",
        "upheld",
        "dismissed",
        "active",
        "held",
        "subsidy",
        "compensation",
        "interest",
        "adjustment",
        "carried",
        "claim",
        "shortfall",
        "recovery",
        "enterprise",
        "bank",
        "admin",
        "clerk",
        "approver",
        "auditor",
        "disbursement",
        "repayment",
        "delinquency",
        "settlement",
        "void",
        "settled",
        "npl",
        "covered",
        "revoked",
        "lapsed",
        "completed",
        "eligible",
        "status",
        "kind",
        "amount",
        "total",
        "none",
        "null",
        "true",
        "false",
        "error",
        "the",
        "and",
        "of",
        "to",
        "for",
        "not",
        "found",
        "batch",
        "line",
        "loan",
        "payee",
        "period",
        "reason",
        "user",
        "username",
        "display",
        "name",
        "date",
        "yes",
        "no",
        "monthly",
        "quarterly",
        "interest_only",
    ]
)


@dataclass(frozen=True)
class Allowed:
    """Tokens a Chinese page may show as they are, each kind with its reason:

    - `identifiers`: the data's own numbers — USCCs (the state's code of an enterprise),
      contract and filing numbers, the banks' event ids and payment references, account
      numbers, 名录库 codes, e-mail addresses: what a person types in or compares with paper;
      and the names of the files a bank uploaded, as it named them;
    - `words`: a few words that are names in every language (see WORDS)."""

    identifiers: frozenset[str]
    words: frozenset[str] = field(default_factory=lambda: WORDS)
    # The data's codes a page shows by name instead (banks, products, pools, usernames):
    # found as whole tokens, after the identifiers that contain them are taken out.
    codes: frozenset[str] = frozenset()


WORDS = frozenset(
    {
        "English",  # the language switch names the other language in that language
        "Excel",  # a product's name (下载公示名单 (Excel))
        "CSV",  # file formats a person chooses or edits (the what-if page's draft is JSON)
        "JSON",
        "XLSX",
        "UTF-8",
        "GB18030",
        "LPR",  # 贷款市场报价利率: written LPR in Chinese too
        "YYYY-MM-DD",  # the date format a form asks for
        "YYYY-MM",
    }
)


def allowed_in(db) -> Allowed:
    """The demo data's identifiers (shown as they are) and codes (shown by name)."""

    def column(*columns) -> set[str]:
        found: set[str] = set()
        for c in columns:
            found |= {v for v in db.scalars(select(c)) if v}
        return found

    identifiers = column(
        Enterprise.uscc,
        Enterprise.account_number,
        Enterprise.email,
        Loan.contract_no,
        Filing.filing_no,
        LoanEvent.event_id,
        BatchPayee.reference,
        BatchPayee.account_number,
        EnterpriseList.list_code,
        ImportJob.filename,  # the name the bank gave its file (三月付息.xlsx), as uploaded
    )
    codes = column(Bank.bank_code, Product.product_code, RiskPool.pool_code, User.username)
    return Allowed(frozenset(identifiers), codes=frozenset(codes))


# Dates and periods (2025-01-21, 2025-01), times, and the USCC's shape: allowed everywhere.
DATE_LIKE = re.compile(r"\b\d{4}-\d{2}(?:-\d{2})?(?: \d{2}:\d{2})?\b")
USCC_SHAPE = re.compile(r"\b[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}\b")


HIDDEN_TAGS = ("script", "style", "template", "textarea")
# Elements without an end tag: a hidden one hides nothing after it.
VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)


class _Page(HTMLParser):
    """A page's visible text and its links. Hidden: scripts, styles, attribute values other
    than the few a person reads (a button's or an input's label, placeholder, title, alt).

    Left out as well, each for its reason: a <textarea>'s content is what a person types
    (the what-if page's draft policy is the policy document itself, as the API takes it), and
    an element marked `data-identifier` shows a code where the page is about that code itself
    (a login name on the administrator's list of users, a bank's key id, a field of an audit
    entry the page has no words for), which a person types or quotes. The audit log's before
    and after are shown in words (its CSV export keeps the record as stored)."""

    SHOWN_ATTRIBUTES = ("placeholder", "title", "alt", "aria-label")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden_tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if self._hidden_tags:  # inside a hidden element: count its own elements to find its end
            if tag not in VOID_TAGS:
                self._hidden_tags.append(tag)
            return
        if tag in HIDDEN_TAGS or "data-identifier" in values:
            if tag not in VOID_TAGS:
                self._hidden_tags.append(tag)
            return
        if tag == "a" and values.get("href") and values.get("download") is None:
            self.links.append(values["href"])
        for name in self.SHOWN_ATTRIBUTES:
            if values.get(name):
                self.text.append(values[name])
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.text.append(values["value"])
        if tag in ("br", "p", "div", "td", "th", "li", "tr", "h1", "h2", "h3", "option"):
            self.text.append("\n")

    def handle_startendtag(self, tag, attrs):
        if not self._hidden_tags:
            self.handle_starttag(tag, attrs)
            if self._hidden_tags:
                self._hidden_tags.pop()

    def handle_endtag(self, tag):
        if self._hidden_tags:
            if tag in self._hidden_tags:  # close up to the innermost element of that name
                while self._hidden_tags and self._hidden_tags.pop() != tag:
                    pass
        elif tag in ("td", "th", "li", "p", "div", "option", "span", "a", "small"):
            self.text.append(" ")

    def handle_data(self, data):
        if not self._hidden_tags:
            self.text.append(data)


def visible_text(html: str) -> tuple[str, list[str]]:
    parser = _Page()
    parser.feed(html)
    parser.close()
    return re.sub(r"[ \t]+", " ", "".join(parser.text)), parser.links


def _page_link(href: str, here: str) -> str | None:
    """The same-site page a link names (path and query), or None for one not to follow."""
    if href.startswith(("mailto:", "tel:", "javascript:", "#")):
        return None
    target = urlsplit(urljoin("http://localhost" + here, href))
    if target.netloc != "localhost" or target.scheme != "http":
        return None
    if SKIPPED_PATH.match(target.path) or DOWNLOAD.search(target.path):
        return None
    if SKIPPED_QUERY.search(target.query):
        return None
    return target.path + (f"?{target.query}" if target.query else "")


def crawl(web, start: str, limit: int = MAX_PAGES) -> Iterator[tuple[str, int, str]]:
    """(path, status, visible text) of every HTML page reachable from `start`, breadth-first."""
    seen = {start}
    queue = deque([start])
    while queue and len(seen) <= limit:
        path = queue.popleft()
        response = web.get(path)
        if response.mimetype != "text/html" or 300 <= response.status_code < 400:
            continue  # a file, or a redirect's stub page
        text, links = visible_text(response.get_data(as_text=True))
        yield path, response.status_code, text
        for href in links:
            target = _page_link(href, path)
            if target is not None and target not in seen:
                seen.add(target)
                queue.append(target)


def findings(text: str, allowed: Allowed) -> list[str]:
    """What `text` shows that a Chinese page must not, each as a short description."""
    found: list[str] = []
    rest = DATE_LIKE.sub(" ", text)
    # The data's own identifiers first, longest first (a contract number holds a bank code).
    for identifier in sorted(allowed.identifiers, key=len, reverse=True):
        rest = rest.replace(identifier, " ")
    rest = USCC_SHAPE.sub(" ", rest)
    for word in sorted(allowed.words, key=len, reverse=True):
        rest = re.sub(rf"(?<![A-Za-z0-9_-]){re.escape(word)}(?![A-Za-z0-9_-])", " ", rest)
    found += [f"actor {m}" for m in ACTOR.findall(rest)]  # before its username goes
    for code in sorted(allowed.codes, key=len, reverse=True):
        whole = rf"(?<![A-Za-z0-9_-]){re.escape(code)}(?![A-Za-z0-9_-])"
        if re.search(whole, rest):
            found.append(f"code {code}")
            rest = re.sub(whole, " ", rest)
    found += [f"identifier {m}" for m in SNAKE_CASE.findall(rest)]
    found += [f"raw amount {m}" for m in RAW_AMOUNT.findall(rest)]
    for token in WORD.findall(rest):
        word = token.strip(".:-")
        if word.lower() in DENIED_WORDS or not any(ch.isdigit() for ch in word):
            found.append(f"English {word}")
    return sorted(set(found))


def report(problems: Iterable[tuple[str, str, list[str]]]) -> str:
    return "\n".join(f"{who} {path}: {', '.join(found)}" for who, path, found in problems)
