"""The payout month of the payout and notice tests: scenario 01's first quarter (one loan of
中山市灯都照明科技有限公司 with a 5,270.83 interest record), closed as 2023-03 on a chosen
business date, with users of every role (`make_month`), and the steps through 公示
(`through_publicity`) to an approved batch (`approved`)."""

from __future__ import annotations

import datetime as dt

from tests.support.api import API, ok, paged
from tests.support.scenarios import Player, load, scenario_dir

U = "914420006FA300000G"  # the scenario's enterprise
OTHER = "91442000LNJ300000F"


class User:
    """A signed-in user of one role (the staff fixture keeps one user per role; maker-checker
    needs several)."""

    def __init__(self, staff, username: str, role: str, uscc: str | None = None):
        self.staff, self.username = staff, username
        self.token = staff.login(username, staff.create(username, role, uscc=uscc))

    def request(self, method: str, path: str, json=None):
        return self.staff.client.open(
            API + path, method=method, json=json, headers={"Authorization": f"Bearer {self.token}"}
        )

    def post(self, path: str, json=None):
        return self.request("POST", path, json if json is not None else {})


def make_month(staff, bank, budget_2023: str = "50000000.00"):
    """Scenario 01 up to its first interest record; `close(on)` closes 2023-03 on that date."""
    scenario = load(scenario_dir() / "01-basic-quarterly.json")
    scenario["budgets"] = [
        {**b, "amount": budget_2023} if b["year"] == 2023 else b for b in scenario["budgets"]
    ]
    player = Player(staff, bank, scenario)
    player.setup()
    for step in player.scenario["steps"][:3]:
        ok(player.run_step(step))
    ok(
        staff.request(
            "clerk",
            "POST",
            "/enterprises",
            {
                "uscc": OTHER,
                "name": "中山市另一家制造有限公司",
                "established_on": "2010-01-01",
                "industry_code": "C3879",
            },
        )
    )

    class Month:
        users = {
            name: User(staff, name, role, uscc)
            for name, role, uscc in (
                ("clerk1", "clerk", None),
                ("clerk2", "clerk", None),
                ("approver1", "approver", None),
                ("approver2", "approver", None),
                ("boss", "admin", None),
                ("auditor1", "auditor", None),
                ("ent", "enterprise", U),
                ("other", "enterprise", OTHER),
            )
        }

        @staticmethod
        def close(on: str = "2023-04-01") -> dict:
            staff.set_business_date(on)
            view = ok(staff.request("clerk", "POST", "/periods/2023-03/close"))
            return view["batches"][0]

        @staticmethod
        def batch(batch_id: int) -> dict:
            return ok(staff.request("auditor", "GET", f"/batches/{batch_id}"))

        @staticmethod
        def line(batch_id: int) -> dict:
            return paged(staff, f"/batches/{batch_id}/lines")[0]

    Month.staff, Month.player = staff, player
    return Month


def through_publicity(month, batch) -> None:
    month.staff.set_business_date(
        dt.date.fromisoformat(batch["publicity_ends_on"]) + dt.timedelta(days=1)
    )


def approved(month) -> int:
    batch = month.close()
    through_publicity(month, batch)
    bid = batch["batch_id"]
    ok(month.users["clerk1"].post(f"/batches/{bid}/submit"))
    ok(month.users["approver1"].post(f"/batches/{bid}/approve"))
    return bid
