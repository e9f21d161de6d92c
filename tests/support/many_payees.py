"""A subsidy batch with many payees (issue 15, "a batch of the demo's size"), built as the
banks and a clerk would: every loan in one `loans:bulk` and every event in one `events:bulk`
of the signed bank API, then the close through the staff API. The enterprises and filings are
registered by the clerk's use cases (services.registry) in one unit of work: through the staff
API they are two requests each, 16 s for 310.

`many_payees(staff, bank, count)` → `ManyPayees`: the batch in 公示 with `count` enterprise
payees, each with one loan at BK1 (`C0000`, `C0001`, …) and one subsidy line. Names repeat a
few words (`NAME_WORDS`) so a search by a piece of a name finds several, and interest grows
with the index so every payee's amount differs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from loanledger.domain.uscc import uscc_with_check
from loanledger.services import registry
from tests.support.api import API, ok
from tests.support.world import small_world

NAME_WORDS = ("华星", "美灯", "小榄", "古镇", "东凤")
PERIOD = "2023-01"


@dataclass
class ManyPayees:
    batch_id: int = 0
    names: dict[str, str] = field(default_factory=dict)  # USCC → name


def payee_uscc(index: int) -> str:
    return uscc_with_check(f"91442000MA{index:07d}")


def payee_name(index: int) -> str:
    return f"中山市{NAME_WORDS[index % len(NAME_WORDS)]}制品有限公司{index:04d}"


def many_payees(staff, bank, count: int) -> ManyPayees:
    banks = small_world(staff, bank)
    world = ManyPayees()
    world.names = {payee_uscc(i): payee_name(i) for i in range(count)}
    _register(staff, world.names)
    bk1 = banks["BK1"]
    loans = [
        {
            "contract_no": f"C{i:04d}",
            "product_code": "BK1-P",
            "uscc": uscc,
            "filing_no": f"F{i:04d}",
            "principal": "500000.00",
            "annual_rate": "3.6000",
            "start_date": "2023-01-03",
            "maturity_date": "2025-01-01",
            "repayment_method": "interest_only",
            "interest_settlement": "monthly",
        }
        for i, uscc in enumerate(world.names)
    ]
    _all_accepted(ok(bk1.post(f"{API}/loans:bulk", json={"loans": loans})), count)
    staff.set_business_date("2023-01-31")
    events = []
    for i in range(count):
        contract = f"C{i:04d}"
        events += [
            {
                "contract_no": contract,
                "event_id": f"{contract}-D",
                "type": "disbursement",
                "date": "2023-01-03",
                "amount": "500000.00",
            },
            {
                "contract_no": contract,
                "event_id": f"{contract}-I",
                "type": "interest",
                "period_start": "2023-01-03",
                "period_end": "2023-01-31",
                "paid_on": "2023-01-31",
                "interest": f"{1000 + i}.00",
            },
        ]
    _all_accepted(ok(bk1.post(f"{API}/events:bulk", json={"events": events})), 2 * count)
    staff.set_business_date("2023-02-01")
    ok(staff.request("clerk", "POST", f"/periods/{PERIOD}/close", {}))
    found = ok(staff.request("auditor", "GET", f"/batches?period={PERIOD}&kind=subsidy"))
    assert len(found["items"]) == 1, found
    world.batch_id = found["items"][0]["batch_id"]
    return world


def _register(staff, names: dict[str, str]) -> None:
    """Each enterprise and one filing of it, as a clerk registers them (audited)."""
    today = dt.date(2023, 1, 2)  # small_world's business date
    with staff.app.extensions["loanledger"].sessionmaker() as db:
        for i, (uscc, name) in enumerate(names.items()):
            enterprise = {
                "uscc": uscc,
                "name": name,
                "established_on": dt.date(2012, 1, 1),
                "industry_code": "C3879",
            }
            registry.create_enterprise(db, enterprise, "clerk", today)
            registry.create_filing(
                db, f"F{i:04d}", uscc, "技术改造", 80_000_000, dt.date(2022, 12, 1), today, "clerk"
            )
        db.commit()


def _all_accepted(outcome: dict, count: int) -> None:
    assert (outcome["accepted"], outcome["rejected"]) == (count, 0), outcome["results"][:3]
