"""Plays a scenario file (tests/e2e/scenarios/FORMAT.md, a copy of shared/spec/scenarios) through the HTTP API.

Bank steps are signed requests with a fresh Idempotency-Key; staff steps use tokens; the
business date only ever moves forward, to each step's own date.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.support.api import API

REPO = Path(__file__).resolve().parents[2]


def scenario_dir() -> Path:
    return Path(os.environ.get("LOANLEDGER_SCENARIOS_DIR", REPO / "tests" / "e2e" / "scenarios"))


def scenario_files() -> list[Path]:
    folder = scenario_dir()
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


STEP_DATE_FIELDS = {
    "loan": ("loan", ("start_date",)),
    "event": ("event", ("date", "paid_on", "as_of", "effective_on")),
    "blacklist": ("entry", ("effective_from",)),
    "revoke": ("body", ("effective_on",)),
    "deposit": ("deposit", ("deposited_on",)),
}
DEFAULT_STATUS = {
    "close": 200,
    "link": 200,
    "revoke": 200,
    "policy": 200,
    "list_member": 200,
    "complete": 200,
}
# v2 steps dated by a field of the step itself (FORMAT.md "Version 2 keys")
OWN_DATE_FIELD = {"list_member": "from", "complete": "completed_on"}


class Player:
    def __init__(self, staff, bank_factory, scenario: dict[str, Any]):
        self.staff, self.scenario = staff, scenario
        self.today = dt.date.fromisoformat(scenario["start_date"])
        staff.set_business_date(self.today)
        self.banks = {
            b["bank_code"]: bank_factory(b["bank_code"], b["name"])
            for b in scenario.get("banks", [])
        }

    # ---------------------------------------------------------- helpers
    def advance(self, day: dt.date) -> None:
        if day > self.today:
            self.staff.set_business_date(day)
            self.today = day

    def staff_call(self, method: str, path: str, body=None, role: str = "clerk"):
        return self.staff.request(role, method, path, body)

    def put_policy(self, changes: dict[str, Any]):
        current = self.staff_call("GET", "/policy", role="admin").get_json()
        merged = {**current, **changes}
        return self.staff_call("PUT", "/policy", merged, role="admin")

    # ---------------------------------------------------------- set-up and steps
    def setup(self) -> None:
        sc = self.scenario
        if sc.get("policy"):
            self._ok(self.put_policy(sc["policy"]), 200, "policy")
        # v2: lists first (a pool with enterprise_list eligibility names one), then the pools,
        # both by an administrator and before the products that name a pool.
        for body in sc.get("enterprise_lists", []):
            self._ok(self.create_list(body), 201, f"enterprise_lists {body}")
        for body in sc.get("risk_pools", []):
            found = self.staff_call("GET", f"/risk-pools/{body['pool_code']}", role="auditor")
            if found.status_code != 200:  # SZD, which every database has, is found
                self._ok(
                    self.staff_call("POST", "/risk-pools", body, role="admin"),
                    201,
                    f"risk_pools {body}",
                )
        for kind, path in (
            ("products", "/products"),
            ("enterprises", "/enterprises"),
            ("filings", "/filings"),
            ("budgets", "/budgets"),
            ("pool_deposits", "/risk-pool/deposits"),
        ):
            for body in sc.get(kind, []):
                self._ok(self.staff_call("POST", path, body), 201, f"{kind} {body}")

    def _ok(self, response, status: int, what: str):
        assert response.status_code == status, (
            f"{what}: {response.status_code} {response.get_data(as_text=True)}"
        )
        return response

    def step_date(self, step: dict[str, Any]) -> dt.date | None:
        if step["do"] in OWN_DATE_FIELD:
            return dt.date.fromisoformat(step[OWN_DATE_FIELD[step["do"]]])
        if step["do"] == "close":
            year, month = map(int, step["period"].split("-"))
            return dt.date(year + month // 12, month % 12 + 1, 1)
        if step["do"] == "list_member":
            return dt.date.fromisoformat(step["from"])
        if step["do"] in STEP_DATE_FIELDS:
            key, names = STEP_DATE_FIELDS[step["do"]]
            for name in names:
                if step.get(key, {}).get(name):
                    return dt.date.fromisoformat(step[key][name])
        return None

    def run_step(self, step: dict[str, Any]):
        day = self.step_date(step)
        if day:
            self.advance(day)
        do = step["do"]
        if do == "loan":
            return self.banks[step["bank"]].post(f"{API}/loans", json=step["loan"])
        if do == "event":
            return self.banks[step["bank"]].post(
                f"{API}/loans/{step['contract_no']}/events", json=step["event"]
            )
        if do == "blacklist":
            return self.staff_call("POST", f"/enterprises/{step['uscc']}/blacklist", step["entry"])
        if do == "revoke":
            return self.staff_call("POST", f"/filings/{step['filing_no']}/revoke", step["body"])
        if do == "link":
            return self.staff_call(
                "PUT",
                f"/loans/{step['bank']}/{step['contract_no']}/filing",
                {"filing_no": step["filing_no"]},
            )
        if do == "deposit":
            return self.staff_call("POST", "/risk-pool/deposits", step["deposit"])
        if do == "policy":
            return self.put_policy(step["policy"])
        if do == "close":
            return self.staff_call("POST", f"/periods/{step['period']}/close")
        if do == "list_member":
            return self.put_member(step)
        if do == "complete":
            body = {name: step[name] for name in ("completed_on", "note") if name in step}
            return self.staff_call("POST", f"/filings/{step['filing_no']}/complete", body)
        raise AssertionError(f"unknown step {do!r}")

    # ---------------------------------------------------------- enterprise lists (v2)
    def create_list(self, body: dict[str, Any]):
        return self.staff_call("POST", "/enterprise-lists", body, role="admin")

    def put_member(self, step: dict[str, Any]):
        body = {name: step[name] for name in ("from", "to") if name in step}
        return self.staff_call(
            "PUT", f"/enterprise-lists/{step['list_code']}/members/{step['uscc']}", body
        )

    def play(self) -> None:
        self.setup()
        for index, step in enumerate(self.scenario["steps"]):
            response = self.run_step(step)
            status = step.get("expect_status", DEFAULT_STATUS.get(step["do"], 201))
            body = response.get_data(as_text=True)
            if step["do"] in ("loan", "event") and status == 201 and response.status_code == 200:
                status = 200  # an identical repeat answers 200
            assert response.status_code == status, (
                f"step {index} {step['do']}: {response.status_code} {body}"
            )
            if step.get("expect_code"):
                assert response.get_json()["errors"][0]["code"] == step["expect_code"], (
                    f"step {index}: {body}"
                )

    # ---------------------------------------------------------- reading results
    def lines_of(self, batch_id: int) -> list[dict[str, Any]]:
        items, cursor = [], None
        while True:
            path = f"/batches/{batch_id}/lines?limit=1000" + (f"&cursor={cursor}" if cursor else "")
            page = self._ok(self.staff_call("GET", path, role="auditor"), 200, "lines").get_json()
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return items

    def period_result(self, period: str) -> dict[str, Any]:
        view = self._ok(
            self.staff_call("GET", f"/periods/{period}", role="auditor"), 200, "period"
        ).get_json()
        batches = self._ok(
            self.staff_call("GET", f"/batches?period={period}", role="auditor"), 200, "batches"
        ).get_json()["items"]
        lines = [line for b in batches for line in self.lines_of(b["batch_id"])]
        return {"view": view, "batches": batches, "lines": lines}

    def claims(self) -> list[dict[str, Any]]:
        return self._ok(
            self.staff_call("GET", "/claims?limit=1000", role="auditor"), 200, "claims"
        ).get_json()["items"]

    def loan(self, bank_code: str, contract_no: str) -> dict[str, Any]:
        return self._ok(
            self.staff_call("GET", f"/loans/{bank_code}/{contract_no}", role="auditor"), 200, "loan"
        ).get_json()


def compensation_total(batches: list[dict[str, Any]]) -> str:
    """What a period's compensation batches pay together (v2: one batch per pool)."""
    fen = sum(round(Decimal(b["total"]) * 100) for b in batches if b["kind"] == "compensation")
    return f"{Decimal(fen) / 100:.2f}"


def line_key(line: dict[str, Any], expected: dict[str, Any]) -> tuple:
    """The fields the expectation names, read from an actual line (API names)."""
    names = {"bank": "bank_code", "payee": "payee_id"}
    return tuple(
        sorted(
            (k, line.get(names.get(k, k)))
            for k in expected
            if k
            in ("kind", "bank", "event_id", "contract_no", "payee", "amount", "computed", "capped")
        )
    )


def expected_key(expected: dict[str, Any]) -> tuple:
    return tuple(
        sorted(
            (k, v)
            for k, v in expected.items()
            if k
            in ("kind", "bank", "event_id", "contract_no", "payee", "amount", "computed", "capped")
        )
    )
