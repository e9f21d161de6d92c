"""Plays a generated programme through the HTTP API, month by month.

Only the administrator's acts that have no HTTP endpoint (creating users and banks) go
through `loanledger.services.identity` on the database; everything else is a request, signed
(banks) or with a bearer token (staff, the enterprise), exactly as a real client would send it.

Each month: move the business date to the month's last day, register that month's loans and
post its events in bulk, move to the 1st and close, let an enterprise object during 公示
(month 1), wait out 公示, submit (clerk), approve (approver), record payments (clerk2; one
failed in month 1, carried into the next batch), then write the reconciliation (JSON, CSV,
XLSX) and the trial balance under `out/<period>/`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loanledger.client import BulkError
from loanledger.demo.programme import Programme, Showcase
from loanledger.domain.money import format_fen, parse_yuan

API = "/api/v1"
STAFF = (
    ("demo-admin", "admin"),
    ("demo-clerk", "clerk"),
    ("demo-clerk2", "clerk"),
    ("demo-approver", "approver"),
    ("demo-auditor", "auditor"),
)
ENTERPRISE_USER = "demo-enterprise"
# What the pages call each demo user (users.display_name): submitters, signatories, the header.
DISPLAY_NAMES = {
    "demo-admin": "王芳",
    "demo-clerk": "张敏",
    "demo-clerk2": "赵丽",
    "demo-approver": "李伟",
    "demo-auditor": "陈静",
    ENTERPRISE_USER: "刘洋",
}


def password_for(username: str) -> str:
    return f"{username}-2026"


def bank_username(bank_code: str) -> str:
    """A bank's demo user: demo-bank-zsrcb for ZSRCB."""
    return f"demo-bank-{bank_code.lower()}"


class DemoError(RuntimeError):
    """A request the demo needs was refused: the message has the request and the answer."""


@dataclass
class MonthResult:
    period: str
    loans: int = 0  # registered so far
    new_loans: int = 0
    events: int = 0  # posted this month (accepted)
    subsidy_total: int = 0  # fen
    compensation_total: int = 0
    paid: int = 0
    carried: int = 0  # failed payments, carried into a later batch
    batches: list[str] = field(default_factory=list)  # "subsidy:paid"
    reconciliation_ok: bool = False


@dataclass
class Result:
    months: list[MonthResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    out: Path | None = None
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    objection: dict[str, Any] | None = None
    carried_lines: int = 0  # carried lines that showed up in a later batch
    showcase: list[str] = field(default_factory=list)  # where to look for version 2

    @property
    def ok(self) -> bool:
        return not self.problems and all(m.reconciliation_ok for m in self.months)


class Player:
    def __init__(
        self,
        transport: Any,
        sessionmaker: Callable,
        secret_key: str,
        programme: Programme,
        out: Path,
        step: Callable[[str], None] = lambda _label: None,
    ):
        self.http = transport
        self.sessionmaker = sessionmaker
        self.secret_key = secret_key
        self.programme = programme
        self.out = out
        self.step = step
        self.tokens: dict[str, str] = {}
        self.banks: dict[str, Any] = {}
        self.result = Result(out=out)
        self.today: dt.date | None = None
        self.registered = 0

    # ------------------------------------------------------------------ plumbing
    def call(
        self,
        who: str,
        method: str,
        path: str,
        body: Any = None,
        *,
        expect: tuple[int, ...] = (200, 201),
    ):
        answer = self.http.request(method, API + path, json=body, token=self.tokens.get(who))
        if answer.status_code not in expect:
            raise DemoError(
                f"{method} {API}{path} as {who} {json.dumps(body, ensure_ascii=False)[:300]} → "
                f"HTTP {answer.status_code} {answer.data.decode('utf-8', 'replace')[:600]}"
            )
        return answer

    def get(self, path: str, who: str = "demo-auditor") -> Any:
        return self.call(who, "GET", path).json

    def paged(self, path: str, who: str = "demo-auditor") -> list[dict[str, Any]]:
        items, cursor = [], None
        sep = "&" if "?" in path else "?"
        while True:
            page = self.get(f"{path}{sep}limit=1000" + (f"&cursor={cursor}" if cursor else ""), who)
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items

    def move_to(self, day: dt.date) -> None:
        if self.today is None or day > self.today:
            self.call("demo-admin", "PUT", "/admin/business-date", {"date": day.isoformat()})
            self.today = day

    # ------------------------------------------------------------------ set-up
    def setup(self) -> None:
        from loanledger.services import identity
        from loanledger.services.unit_of_work import unit_of_work

        p = self.programme
        try:
            with unit_of_work(self.sessionmaker) as db:
                for code, name in p.banks:
                    issued = identity.create_bank(db, code, name, self.secret_key, actor="demo")
                    self.banks[code] = self.http.bank(issued["key_id"], issued["secret"], code)
                for username, role in STAFF:
                    identity.create_user(
                        db,
                        username,
                        role,
                        password_for(username),
                        actor="demo",
                        display_name=DISPLAY_NAMES[username],
                    )
                for code, name in p.banks:  # each bank's data officer, for the bank's pages
                    identity.create_user(
                        db,
                        bank_username(code),
                        "bank",
                        password_for(bank_username(code)),
                        actor="demo",
                        bank_code=code,
                        display_name=f"{name}数据员",
                    )
        except identity.IdentityError as error:
            raise DemoError(
                f"{error}: the demo needs a database without its banks and users"
            ) from None
        self.login(*(u for u, _ in STAFF))
        self.move_to(p.start)
        show = p.showcase
        # v2: the enterprise list (名录库) and the pool that covers its members come first
        for listed in show.lists if show else []:
            self.call("demo-admin", "POST", "/enterprise-lists", listed)
        for pool in show.pools if show else []:
            self.call("demo-admin", "POST", "/risk-pools", pool)
        for product in p.products:
            # a product naming its pool says so with risk_pool alone (risk_covered is SZD's)
            body = (
                {k: v for k, v in product.items() if k != "risk_covered"}
                if product.get("risk_pool")
                else product
            )
            self.call("demo-clerk", "POST", "/products", body)
        for enterprise in p.enterprises:
            self.call("demo-clerk", "POST", "/enterprises", enterprise)
        for list_code, uscc, membership in show.members if show else []:
            self.call(
                "demo-clerk", "PUT", f"/enterprise-lists/{list_code}/members/{uscc}", membership
            )
        for filing in p.filings:
            self.call("demo-clerk", "POST", "/filings", filing)
        for budget in p.budgets:
            self.call("demo-clerk", "POST", "/budgets", budget)
        for deposit in [p.deposit, *(show.deposits if show else [])]:
            self.call("demo-clerk", "POST", "/risk-pool/deposits", deposit)
        with unit_of_work(self.sessionmaker) as db:
            identity.create_user(
                db,
                ENTERPRISE_USER,
                "enterprise",
                password_for(ENTERPRISE_USER),
                uscc=p.objector,
                actor="demo",
                display_name=DISPLAY_NAMES[ENTERPRISE_USER],
            )
        self.login(ENTERPRISE_USER)
        roles = (
            dict(STAFF)
            | {ENTERPRISE_USER: "enterprise"}
            | {bank_username(code): "bank" for code, _name in p.banks}
        )
        self.result.logins = [(u, password_for(u), roles[u]) for u in roles]

    def login(self, *usernames: str) -> None:
        for username in usernames:
            answer = self.call(
                "",
                "POST",
                "/auth/tokens",
                {"username": username, "password": password_for(username)},
            )
            self.tokens[username] = answer.json["token"]

    # ------------------------------------------------------------------ a month
    def play(self) -> Result:
        self.step(
            "set-up: banks, users, 名录库 and pool ZBD, products, enterprises, filings, budget, "
            "deposits"
        )
        self.setup()
        for index, month in enumerate(self.programme.months):
            self.step(f"{month.period}: events, close, 公示, approval, payments")
            self.result.months.append(self.play_month(index))
        self.result.carried_lines = sum(
            1
            for m in self.result.months
            for b in self.period_batches(m.period)
            for _ in self.paged(f"/batches/{b['batch_id']}/lines?kind=carried")
        )
        if self.programme.showcase:
            self.result.showcase = showcase_lines(self.programme.showcase)
        return self.result

    def play_month(self, index: int) -> MonthResult:
        month = self.programme.months[index]
        row = MonthResult(month.period)
        self.move_to(month.last)
        if month.revoke:
            body = {k: v for k, v in month.revoke.items() if k != "filing_no"}
            self.call("demo-clerk", "POST", f"/filings/{month.revoke['filing_no']}/revoke", body)
        for code, client in self.banks.items():
            loans, events = month.loans.get(code, []), month.events.get(code, [])
            if loans:
                self.bulk(
                    row, client.post_loans_bulk, loans, f"{month.period} {code} loans", count=False
                )
            if events:
                self.bulk(
                    row,
                    client.post_events_bulk,
                    events,
                    f"{month.period} {code} events",
                    count=True,
                )
        self.registered += month.loan_count
        row.new_loans, row.loans = month.loan_count, self.registered

        self.move_to(month.last + dt.timedelta(days=1))
        view = self.call("demo-clerk", "POST", f"/periods/{month.period}/close", {}).json
        row.subsidy_total = parse_yuan(view["subsidy_total"], allow_negative=True)
        row.compensation_total = parse_yuan(view["compensation_total"], allow_negative=True)
        batches = self.period_batches(month.period)
        subsidy = [b for b in batches if b["kind"] == "subsidy"]
        if month.objection_by and subsidy:
            self.object(subsidy[0]["batch_id"], month.objection_by)
        ends = [
            dt.date.fromisoformat(b["publicity_ends_on"])
            for b in batches
            if b.get("publicity_ends_on")
        ]
        if ends:
            self.move_to(max(ends) + dt.timedelta(days=1))
        for batch in batches:
            self.pay(
                row, batch["batch_id"], month.failed_payee if batch["kind"] == "subsidy" else None
            )
        row.batches = [f"{b['kind']}:{b['status']}" for b in self.period_batches(month.period)]
        row.reconciliation_ok = self.reports(month.period)
        return row

    def bulk(
        self, row: MonthResult, send: Callable, items: list[dict[str, Any]], what: str, count: bool
    ) -> None:
        try:
            answer = send(items)
        except BulkError as error:
            raise DemoError(
                f"{what}: HTTP {error.response.status_code} "
                f"{bytes(getattr(error.response, 'data', b'')).decode('utf-8', 'replace')[:600]}"
            ) from None
        if count:
            row.events += answer["accepted"] + answer["duplicates"]
        for result in answer["results"]:
            if result["status"] == "rejected":
                item = items[result["index"]]
                self.result.problems.append(
                    f"{what}: {item.get('event_id') or item.get('contract_no')} rejected {result.get('errors')}"
                )

    def period_batches(self, period: str) -> list[dict[str, Any]]:
        return self.paged(f"/batches?period={period}")

    def object(self, batch_id: int, uscc: str) -> None:
        lines = self.paged(f"/batches/{batch_id}/lines?payee_id={uscc}")
        if not lines:
            self.result.problems.append(f"objection: {uscc} has no line in batch {batch_id}")
            return
        line = lines[0]
        filed = self.call(
            ENTERPRISE_USER,
            "POST",
            "/objections",
            {"line_id": line["line_id"], "reason": "贴息金额与银行回单不符，请核实"},
        ).json
        resolved = self.call(
            "demo-clerk2",
            "POST",
            f"/objections/{filed['objection_id']}/resolve",
            {"resolution": "upheld", "note": "经核实银行利息数据待更正，本期暂缓发放"},
        ).json
        self.result.objection = {
            "line_id": line["line_id"],
            "amount": line["amount"],
            "status": resolved["status"],
        }

    def pay(self, row: MonthResult, batch_id: int, failing: str | None) -> None:
        batch = self.get(f"/batches/{batch_id}")
        if batch["status"] == "ready":
            self.call("demo-clerk", "POST", f"/batches/{batch_id}/submit", {})
            batch = self.call("demo-approver", "POST", f"/batches/{batch_id}/approve", {}).json
        if batch["status"] not in ("approved",):
            return
        payees = [
            p for p in self.paged(f"/batches/{batch_id}/payees") if p["payment_status"] == "pending"
        ]
        payments = []
        for number, payee in enumerate(payees, start=1):
            amount = parse_yuan(payee["pays"], allow_negative=True)
            if payee["payee_id"] == failing:
                payments.append(
                    {
                        "payee_id": payee["payee_id"],
                        "status": "failed",
                        "paid_on": self.today.isoformat(),
                        "reference": "退票：收款账户已冻结",
                    }
                )
                row.carried += amount
            else:
                payments.append(
                    {
                        "payee_id": payee["payee_id"],
                        "status": "paid",
                        "paid_on": self.today.isoformat(),
                        "reference": f"ZSCZ-{batch_id:04d}-{number:04d}",
                    }
                )
                row.paid += amount
        if payments:
            self.call(
                "demo-clerk2", "POST", f"/batches/{batch_id}/payments", {"payments": payments}
            )

    def reports(self, period: str) -> bool:
        folder = self.out / period
        folder.mkdir(parents=True, exist_ok=True)
        recon = self.call("demo-auditor", "GET", f"/periods/{period}/reconciliation")
        (folder / "reconciliation.json").write_bytes(recon.data)
        for suffix in ("csv", "xlsx"):
            answer = self.call("demo-auditor", "GET", f"/periods/{period}/reconciliation.{suffix}")
            (folder / f"reconciliation.{suffix}").write_bytes(answer.data)
        tb = self.call(
            "demo-auditor", "GET", f"/ledger/trial-balance?as_of={self.today.isoformat()}"
        )
        (folder / "trial-balance.json").write_bytes(tb.data)
        body = recon.json
        if not body.get("ok"):
            failed = [c["name"] for c in body.get("checks", []) if not c.get("ok")]
            self.result.problems.append(f"{period}: reconciliation not ok: {', '.join(failed)}")
        tb_body = tb.json
        if tb_body["total_debit"] != tb_body["total_credit"]:
            self.result.problems.append(f"{period}: trial balance does not sum to zero")
        return bool(body.get("ok"))


# ---------------------------------------------------------------------- the summary
def showcase_lines(show: Showcase) -> list[str]:
    """Where the run shows version 2, by contract: what each loan's view says."""
    npl = f"; NPL (claimed in ZBD's batch): {show.zbd_npl}" if show.zbd_npl else ""
    return [
        f"助保贷 (pool ZBD, list {show.pools[0]['list_code']}, {len(show.members)} members): "
        f"covered {', '.join(show.zbd_listed)}; "
        f"not listed {show.zbd_unlisted} (not_covered_eligibility){npl}",
        f"wholesaler {show.wholesaler} (F5137): {show.wholesaler_loan} (industry_not_eligible)",
        f"two projects {show.second_project}: first loan {show.first_loan} opens the window, "
        f"which ends {show.window_end.isoformat()}; "
        f"then {show.second_loan} is outside_window",
        f"ordinary products: {len(show.ordinary_loans)} loans with no filing "
        "(product_not_eligible)",
    ]


def summary(result: Result) -> str:
    head = (
        "period",
        "loans",
        "new",
        "events",
        "subsidy",
        "compensation",
        "paid",
        "carried",
        "recon",
    )
    rows = [head]
    for m in result.months:
        rows.append(
            (
                m.period,
                str(m.loans),
                str(m.new_loans),
                str(m.events),
                format_fen(m.subsidy_total),
                format_fen(m.compensation_total),
                format_fen(m.paid),
                format_fen(m.carried),
                "ok" if m.reconciliation_ok else "NOT OK",
            )
        )
    totals = [
        sum(getattr(m, f) for m in result.months)
        for f in ("events", "subsidy_total", "compensation_total", "paid", "carried")
    ]
    rows.append(
        (
            "total",
            str(result.months[-1].loans if result.months else 0),
            "",
            str(totals[0]),
            *(format_fen(t) for t in totals[1:]),
            "ok" if result.ok else "NOT OK",
        )
    )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for number, r in enumerate(rows):
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells))
        if number == 0 or number == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    if result.objection:
        o = result.objection
        lines.append(f"objection: line {o['line_id']} ({o['amount']}) {o['status']}")
    lines.append(f"carried lines in later batches: {result.carried_lines}")
    lines += [f"v2: {line}" for line in result.showcase]
    for problem in result.problems:
        lines.append(f"problem: {problem}")
    lines.append(f"reports: {result.out}")
    return "\n".join(lines)
