"""A small demonstration data set, loaded through the HTTP API (`loanledger demo-data`).

Everything goes through the same endpoints a bank or a clerk would use (signed bank
requests, staff tokens), so the demo also shows the API working. Only what is missing is
created; a second run changes nothing. An endpoint that is missing or refuses is reported
as a warning and the rest goes on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from flask import Flask
from sqlalchemy import select

from loanledger.client import TestClientBank
from loanledger.domain.money import format_fen, round_half_up
from loanledger.domain.uscc import uscc_with_check
from loanledger.persistence.tables import Bank, BankKey, BusinessDate, User
from loanledger.services import identity
from loanledger.services.unit_of_work import unit_of_work

API = "/api/v1"
STAFF = (("admin", "admin"), ("clerk", "clerk"), ("approver", "approver"), ("auditor", "auditor"))
# What the pages call each demo user (users.display_name): submitters, signatories, the header.
DISPLAY_NAMES = {
    "admin": "王芳",
    "clerk": "张敏",
    "approver": "李伟",
    "auditor": "陈静",
    "enterprise": "刘洋",
}
BANKS = (("ZSRCB", "中山农商银行"), ("BOCZS", "中国银行中山分行"))
# (uscc, name, town, industry, GB/T 4754 code): manufacturers, and a wholesaler (F5137,
# not subsidised: its loan's eligibility says industry_not_eligible)
ENTERPRISES = (
    (
        uscc_with_check("91442000MA4UJX9X1"),
        "中山市华星五金制品有限公司",
        "火炬开发区",
        "金属制品业",
        "C33",
    ),
    (
        uscc_with_check("91442000MA4WKP2Q2"),
        "中山市美灯照明科技有限公司",
        "古镇镇",
        "电气机械和器材制造业",
        "C3872",
    ),
    (uscc_with_check("91442000MA51BG0L3"), "中山市港口食品有限公司", "港口镇", "食品制造业", "C14"),
    (
        uscc_with_check("91442000MA53YT7K4"),
        "中山市粤通电器贸易有限公司",
        "石岐街道",
        "批发业",
        "F5137",
    ),
)
# (code, bank, name, risk pool, subsidy_eligible): 数字贷 products (SZD), an ordinary
# working-capital product (no subsidy, its loans name no filing) and 助保贷 (pool ZBD)
PRODUCTS = (
    ("ZSRCB-TECH", "ZSRCB", "科技贷", "SZD", True),
    ("ZSRCB-SME", "ZSRCB", "小微快贷", None, False),
    ("BOCZS-DIGI", "BOCZS", "数字贷", "SZD", True),
    ("ZSRCB-ZBD", "ZSRCB", "助保贷", "ZBD", False),
)
# 助保贷: pool ZBD covers the members of the 名录库 (enterprise list) on a loan's start date
LIST_CODE = "ZS-PY-2025"
LIST = {"list_code": LIST_CODE, "name": "中山市上规上限培育企业名录库（2025年度）"}
LIST_MEMBERS = (0, 1)  # enterprise indexes, members from 2025-01-01
ZBD_POOL = {
    "pool_code": "ZBD",
    "name": "助保贷担保金",
    "operator": "中山市财政局",
    "eligibility": "enterprise_list",
    "list_code": LIST_CODE,
}
# (bank, contract_no, product, enterprise index, principal yuan, rate %, start, maturity)
LOANS = (
    ("ZSRCB", "ZSRCB-2025-0001", "ZSRCB-TECH", 0, 1_000_000, "3.4500", "2025-01-02", "2027-01-02"),
    ("ZSRCB", "ZSRCB-2025-0002", "ZSRCB-SME", 1, 500_000, "3.9000", "2025-01-02", "2026-01-02"),
    ("BOCZS", "BOCZS-2025-0001", "BOCZS-DIGI", 2, 2_000_000, "3.1000", "2025-01-15", "2028-01-15"),
    ("ZSRCB", "ZSRCB-2025-0003", "ZSRCB-ZBD", 1, 800_000, "4.2000", "2025-01-02", "2026-01-02"),
    ("BOCZS", "BOCZS-2025-0002", "BOCZS-DIGI", 3, 600_000, "3.3000", "2025-01-15", "2027-01-15"),
)
SUBSIDISED = {code for code, _bank, _name, _pool, eligible in PRODUCTS if eligible}
INTEREST_DATES = ("2025-01-21", "2025-02-21", "2025-03-21")
CLOSES = (("2025-01", "2025-02-01"), ("2025-02", "2025-03-01"))
FIRST_DATE = dt.date(2025, 1, 2)


def password_for(username: str) -> str:
    return f"{username}-demo-2026"


def bank_username(bank_code: str) -> str:
    """A bank's demo user: bank-zsrcb for ZSRCB."""
    return f"bank-{bank_code.lower()}"


DEMO_EMAIL = "caiwu@demo-enterprise.example.cn"


@dataclass
class Report:
    users: list[tuple[str, str, str]] = field(default_factory=list)  # username, password, role
    keys: list[dict[str, str]] = field(default_factory=list)  # bank_code, key_id, secret
    warnings: list[str] = field(default_factory=list)


class Loader:
    def __init__(self, app: Flask):
        self.app = app
        self.client = app.test_client()
        self.ext = app.extensions["loanledger"]
        self.report = Report()
        self.tokens: dict[str, str] = {}
        self.banks: dict[str, TestClientBank] = {}

    # ------------------------------------------------------------- plumbing
    def check(self, response, what: str) -> bool:
        """True for 200/201; anything else becomes a warning and the load goes on."""
        if response.status_code in (200, 201):
            return True
        body = response.get_json(silent=True) or {}
        first = (body.get("errors") or [{}])[0] or {}
        detail = " ".join(str(first.get(k)) for k in ("code", "field", "message") if first.get(k))
        self.report.warnings.append(f"{what}: HTTP {response.status_code} {detail}".rstrip())
        return False

    def staff(self, role: str, method: str, path: str, json: Any = None, what: str = ""):
        response = self.client.open(
            API + path,
            method=method,
            json=json,
            headers={"Authorization": f"Bearer {self.tokens.get(role, '')}"},
        )
        return response if self.check(response, what or f"{method} {path}") else None

    def bank(self, code: str, method: str, path: str, json: Any = None, what: str = ""):
        response = self.banks[code].request(method, API + path, json=json)
        return response if self.check(response, what or f"{code} {method} {path}") else None

    # ------------------------------------------------------------- identities (no HTTP API for these)
    def ensure_users(self) -> None:
        with unit_of_work(self.ext.sessionmaker) as db:
            wanted = [(name, role, None) for name, role in STAFF]
            wanted.append(("enterprise", "enterprise", ENTERPRISES[0][0]))
            for username, role, uscc in wanted:
                if db.scalar(select(User).where(User.username == username)) is None:
                    identity.create_user(
                        db,
                        username,
                        role,
                        password_for(username),
                        uscc=uscc,
                        actor="demo",
                        display_name=DISPLAY_NAMES.get(username),
                    )
                self.report.users.append((username, password_for(username), role))
        for username, role in STAFF:
            response = self.client.post(
                f"{API}/auth/tokens",
                json={"username": username, "password": password_for(username)},
            )
            if self.check(response, f"token for {username}"):
                self.tokens[role] = response.get_json()["token"]

    def ensure_banks(self) -> None:
        secret_key = self.ext.settings.secret_key
        with unit_of_work(self.ext.sessionmaker) as db:
            for code, name in BANKS:
                issued = self._existing_key(db, code, secret_key)
                if issued is None:
                    issued = identity.create_bank(db, code, name, secret_key, actor="demo")
                self.report.keys.append(issued)
                self.banks[code] = TestClientBank(
                    self.client, issued["key_id"], issued["secret"], code
                )

    def ensure_bank_users(self) -> None:
        """One data officer per bank, signing in to the bank's pages (/bank)."""
        with unit_of_work(self.ext.sessionmaker) as db:
            for code, name in BANKS:
                username = bank_username(code)
                if db.scalar(select(User).where(User.username == username)) is None:
                    identity.create_user(
                        db,
                        username,
                        "bank",
                        password_for(username),
                        actor="demo",
                        bank_code=code,
                        display_name=f"{name}数据员",
                    )
                self.report.users.append((username, password_for(username), "bank"))

    @staticmethod
    def _existing_key(db, code: str, secret_key: str) -> dict[str, str] | None:
        if db.get(Bank, code) is None:
            return None
        for key_id in db.scalars(
            select(BankKey.key_id).where(BankKey.bank_code == code, BankKey.status == "active")
        ):
            found = identity.active_bank_key(db, key_id, secret_key)
            if found is not None:
                return {"bank_code": code, "key_id": key_id, "secret": found[1]}
        return identity.rotate_key(db, code, secret_key, actor="demo")

    # ------------------------------------------------------------- business date
    def move_date(self, day: str) -> None:
        """Forward only: a database already past `day` stays where it is."""
        with self.ext.sessionmaker() as db:
            row = db.get(BusinessDate, 1)
            current = row.today if row else None
        if current is None or current < dt.date.fromisoformat(day):
            self.staff(
                "admin", "PUT", "/admin/business-date", {"date": day}, f"business date {day}"
            )

    # ------------------------------------------------------------- reference data
    def ensure_reference(self) -> None:
        self.ensure_pool()
        self.ensure_products()
        for index, (uscc, name, town, industry, industry_code) in enumerate(ENTERPRISES):
            self.ensure(
                "/enterprises",
                uscc,
                {
                    "uscc": uscc,
                    "name": name,
                    "established_on": f"201{index + 6}-03-01",
                    "town": town,
                    "industry": industry,
                    "industry_code": industry_code,
                    # The portal's demo enterprise has an address: its notices are e-mailed
                    # (make run's mail sink keeps them in instance/mail/).
                    "email": DEMO_EMAIL if index == 0 else None,
                    "account": {
                        "holder": name,
                        "number": f"62220200000000{index + 1:04d}",
                        "bank_name": "中山农商银行",
                    },
                },
            )
            self.ensure(
                "/filings",
                f"DEMO-F-{index + 1}",
                {
                    "filing_no": f"DEMO-F-{index + 1}",
                    "uscc": uscc,
                    "project_name": f"{name}技术改造项目",
                    "eligible_investment": "8000000.00",
                    "approved_on": "2024-11-01",
                },
            )
        for index in LIST_MEMBERS:
            self.staff(
                "clerk",
                "PUT",
                f"/enterprise-lists/{LIST_CODE}/members/{ENTERPRISES[index][0]}",
                {"from": "2025-01-01"},
            )
        self.ensure_money()

    def ensure_pool(self) -> None:
        """The 名录库 and pool ZBD (an administrator's acts), once."""
        for path, body in (("/enterprise-lists", LIST), ("/risk-pools", ZBD_POOL)):
            key = body["list_code"] if path == "/enterprise-lists" else body["pool_code"]
            exists = self.client.get(
                f"{API}{path}/{key}",
                headers={"Authorization": f"Bearer {self.tokens.get('admin', '')}"},
            )
            if exists.status_code != 200:
                self.staff("admin", "POST", path, body)

    def ensure_products(self) -> None:
        listing = self.staff("clerk", "GET", "/products?limit=1000", what="list products")
        if listing is None:
            return
        known = {item["product_code"] for item in listing.get_json().get("items", [])}
        for code, bank_code, name, pool, eligible in PRODUCTS:
            if code not in known:
                self.staff(
                    "clerk",
                    "POST",
                    "/products",
                    {
                        "product_code": code,
                        "bank_code": bank_code,
                        "name": name,
                        "risk_pool": pool,
                        "subsidy_eligible": eligible,
                    },
                )

    def ensure(self, collection: str, key: str, body: dict[str, Any]) -> None:
        exists = self.client.get(
            f"{API}{collection}/{key}",
            headers={"Authorization": f"Bearer {self.tokens.get('clerk', '')}"},
        )
        if exists.status_code != 200:
            self.staff("clerk", "POST", collection, body)

    def ensure_money(self) -> None:
        budgets = self.staff("clerk", "GET", "/budgets", what="list budgets")
        if budgets is not None and not any(
            str(b.get("year")) == "2025" for b in _items(budgets.get_json())
        ):
            self.staff(
                "clerk",
                "POST",
                "/budgets",
                {"year": 2025, "amount": "3000000.00", "reference": "中财〔2025〕1号"},
            )
        for code, amount, reference in (
            ("SZD", "5000000.00", "风险池首期注资"),
            ("ZBD", "500000.00", "助保贷担保金首期存入"),
        ):
            pool = self.staff("clerk", "GET", f"/risk-pools/{code}", what=f"risk pool {code}")
            if pool is not None and (pool.get_json() or {}).get("cash") in (None, "0.00"):
                self.staff(
                    "clerk",
                    "POST",
                    "/risk-pool/deposits",
                    {
                        "pool_code": code,
                        "amount": amount,
                        "deposited_on": "2025-01-02",
                        "reference": reference,
                    },
                )

    # ------------------------------------------------------------- loans, events, closes
    def register_loans(self, start: str) -> None:
        for bank_code, contract_no, product, who, principal, rate, start_date, maturity in LOANS:
            if start_date != start:
                continue
            body = {
                "contract_no": contract_no,
                "product_code": product,
                "uscc": ENTERPRISES[who][0],
                "principal": f"{principal}.00",
                "annual_rate": rate,
                "start_date": start_date,
                "maturity_date": maturity,
                "repayment_method": "interest_only",
                "interest_settlement": "monthly",
            }
            if product in SUBSIDISED:  # a loan of an ordinary product names no filing
                body["filing_no"] = f"DEMO-F-{who + 1}"
            self.bank(bank_code, "POST", "/loans", body)
            self.bank(
                bank_code,
                "POST",
                f"/loans/{contract_no}/events",
                {
                    "event_id": f"{contract_no}-D1",
                    "type": "disbursement",
                    "date": start_date,
                    "amount": f"{principal}.00",
                },
            )

    def pay_interest(self, paid_on: str, number: int) -> None:
        for bank_code, contract_no, _product, _who, principal, rate, start_date, _maturity in LOANS:
            begin = INTEREST_DATES[number - 2] if number > 1 else start_date
            self.bank(
                bank_code,
                "POST",
                f"/loans/{contract_no}/events",
                {
                    "event_id": f"{contract_no}-I{number}",
                    "type": "interest",
                    "period_start": begin,
                    "period_end": paid_on,
                    "paid_on": paid_on,
                    "interest": interest_due(principal, rate, begin, paid_on),
                },
            )

    def close(self, period: str, day: str) -> None:
        self.move_date(day)
        self.staff("clerk", "POST", f"/periods/{period}/close", {}, f"close {period}")

    def run(self) -> Report:
        self.ensure_users()
        self.ensure_banks()
        self.ensure_bank_users()
        self.move_date(FIRST_DATE.isoformat())
        self.ensure_reference()
        self.register_loans("2025-01-02")
        self.move_date("2025-01-15")
        self.register_loans("2025-01-15")
        for number, paid_on in enumerate(INTEREST_DATES, start=1):
            self.move_date(paid_on)
            self.pay_interest(paid_on, number)
            if number <= len(CLOSES):
                self.close(*CLOSES[number - 1])
        return self.report


def interest_due(principal_yuan: int, rate: str, start: str, end: str) -> str:
    """Actual/360 interest on a constant balance, half up to the fen (the bank's figure)."""
    days = (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days
    fen = Fraction(principal_yuan * 100) * Fraction(rate) / 100 * days / 360
    return format_fen(round_half_up(fen))


def _items(payload: Any) -> list[dict[str, Any]]:
    return payload.get("items", []) if isinstance(payload, dict) else list(payload or [])


def load(app: Flask) -> Report:
    return Loader(app).run()


def describe(report: Report) -> str:
    lines = ["Demo logins (username / password, role):"]
    lines += [f"  {user} / {password}  ({role})" for user, password, role in report.users]
    lines.append("Bank keys (sign requests with these; see README):")
    lines += [
        f"  {key['bank_code']}: key_id={key['key_id']} secret={key['secret']}"
        for key in report.keys
    ]
    if report.warnings:
        lines.append(f"{len(report.warnings)} step(s) skipped (endpoint missing or refused):")
        lines += [f"  warning: {warning}" for warning in report.warnings]
    return "\n".join(lines)
