"""A year of the 数字贷 programme, generated as plain data from a seeded `random.Random`.

Pure functions: no HTTP, no database. Money is integer fen here and leaves as yuan strings
(`format_fen`); rates are integer 1/10000 of a percent (`format_rate`). The same seed and
profile always give the same programme.

What a programme holds:
- banks, products, enterprises (valid USCCs), filings, loans;
- for each month of the run, per bank: the loans registered and the events posted that month
  (disbursements, repayments incl. prepayments and early settlements, interest records each
  settlement period, rate changes, delinquency reports turning a few covered loans into NPLs,
  one recovery);
- the staff acts: budgets, a risk-pool deposit, one filing revocation, one objection, one
  failed payment;
- version 2 (domain.md v2), in `Showcase`: the 助保贷 pool ZBD with its enterprise list
  (名录库), products, deposit and loans (listed enterprises covered, one not listed, one NPL
  when the run is long enough); a wholesaler (not manufacturing) with a filing and a 数字贷
  loan; an enterprise with two projects whose window (3 years from its first loan, backdated
  before the run) ends inside the run; ordinary products (not `subsidy_eligible`) whose
  loans name no filing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from loanledger.domain.dates import add_years
from loanledger.domain.money import format_fen, format_rate
from loanledger.domain.uscc import ALPHABET, uscc_with_check

NPL_DPD = 90  # the default policy's npl_dpd (domain.md §3)
SETTLEMENT_DAY = 21  # banks settle interest on the 21st
QUARTER_MONTHS = (3, 6, 9, 12)

BANKS = (
    ("ZSRCB", "中山农村商业银行"),
    ("BOC-ZS", "中国银行中山分行"),
    ("ICBC-ZS", "中国工商银行中山分行"),
    ("CCB-ZS", "中国建设银行中山分行"),
    ("ABC-ZS", "中国农业银行中山分行"),
    ("BOCOM-ZS", "交通银行中山分行"),
    ("CMB-ZS", "招商银行中山分行"),
    ("GDB-ZS", "广发银行中山分行"),
    ("PAB-ZS", "平安银行中山分行"),
    ("CIB-ZS", "兴业银行中山分行"),
    ("GZB-ZS", "广州银行中山分行"),
)
# (product_code, bank_code, name, risk_covered): one per bank first, then the second products.
PRODUCTS = (
    ("ZSRCB-SZD", "ZSRCB", "数字贷", True),
    ("BOC-ZZD", "BOC-ZS", "智造贷", True),
    ("ICBC-SZD", "ICBC-ZS", "数字工贷", False),
    ("CCB-KJD", "CCB-ZS", "科技贷", True),
    ("ABC-JGD", "ABC-ZS", "技改贷", False),
    ("BOCOM-SZD", "BOCOM-ZS", "数转贷", True),
    ("CMB-ZZD", "CMB-ZS", "智造e贷", False),
    ("GDB-SZD", "GDB-ZS", "数字普惠贷", True),
    ("PAB-XWD", "PAB-ZS", "小微数贷", False),
    ("CIB-JGD", "CIB-ZS", "技改融", True),
    ("GZB-ZZD", "GZB-ZS", "智能制造贷", False),
    ("ZSRCB-XWD", "ZSRCB", "小微快贷", False),
    ("BOC-KJD", "BOC-ZS", "科创贷", True),
    ("ICBC-ZZD", "ICBC-ZS", "智改数转贷", True),
    ("CCB-SBD", "CCB-ZS", "设备更新贷", False),
    ("ABC-ZZD", "ABC-ZS", "智造快贷", True),
)
# Ordinary working-capital products: not 数字贷, no subsidy, never linked to a filing (v2).
ORDINARY = frozenset({"ZSRCB-XWD", "CCB-SBD", "ZSRCB-LDD"})
WORKING_CAPITAL = ("ZSRCB-LDD", "ZSRCB", "流动资金贷", False)  # added to every programme
# 助保贷 (v2): the pool, its enterprise list and its products (bank, code), no subsidy.
ZBD_POOL = "ZBD"
ZBD_PRODUCTS = (("ZSRCB", "ZSRCB-ZBD"), ("BOC-ZS", "BOC-ZBD"))
TOWNS = (
    "火炬开发区",
    "古镇镇",
    "小榄镇",
    "东凤镇",
    "南头镇",
    "黄圃镇",
    "三角镇",
    "港口镇",
    "东升镇",
    "坦洲镇",
    "三乡镇",
    "板芙镇",
    "大涌镇",
    "沙溪镇",
    "横栏镇",
    "民众街道",
    "南朗街道",
    "石岐街道",
)
WORDS = (
    "华星",
    "美灯",
    "精工",
    "宏达",
    "新能",
    "智造",
    "明辉",
    "众诚",
    "永盛",
    "海川",
    "粤通",
    "恒力",
    "科达",
    "金鼎",
    "瑞丰",
    "德昌",
    "博远",
    "星河",
    "嘉华",
    "立信",
    "伟业",
    "联创",
    "兴隆",
    "鸿图",
)
# (name word, industry, its GB/T 4754-2017 division): all manufacturing (section C), as the
# programme subsidises (domain.md §3 eligible_industries, v2).
TRADES = (
    ("五金制品", "金属制品业", "C33"),
    ("照明科技", "电气机械和器材制造业", "C3872"),
    ("电器", "电气机械和器材制造业", "C38"),
    ("家具", "家具制造业", "C21"),
    ("服装", "纺织服装业", "C18"),
    ("智能装备", "专用设备制造业", "C35"),
    ("包装材料", "印刷和记录媒介复制业", "C23"),
    ("电子科技", "计算机、通信和其他电子设备制造业", "C39"),
    ("精密机械", "通用设备制造业", "C34"),
    ("新材料", "橡胶和塑料制品业", "C29"),
)


@dataclass(frozen=True)
class Profile:
    banks: int = 11
    products: int = 16
    enterprises: int = 100
    loans: int = 300
    npls: int = 4


PROFILES = {
    "full": Profile(),
    "small": Profile(banks=3, products=4, enterprises=12, loans=30, npls=2),
}


@dataclass
class Loan:
    bank_code: str
    contract_no: str
    product_code: str
    covered_product: bool  # covered by the SZD pool (risk_covered)
    uscc: str
    filing_no: str | None  # None: left for the service to match (免申即享)
    principal_fen: int
    rate_e4: int
    start: dt.date
    maturity: dt.date
    repayment_method: str
    settlement: str  # monthly | quarterly
    events: list[dict[str, Any]] = field(default_factory=list)
    npl_as_of: dt.date | None = None
    subsidy_eligible: bool = True

    def body(self) -> dict[str, Any]:
        body = {
            "contract_no": self.contract_no,
            "product_code": self.product_code,
            "uscc": self.uscc,
            "principal": format_fen(self.principal_fen),
            "annual_rate": format_rate(self.rate_e4),
            "start_date": self.start.isoformat(),
            "maturity_date": self.maturity.isoformat(),
            "repayment_method": self.repayment_method,
            "interest_settlement": self.settlement,
        }
        if self.filing_no is not None:
            body["filing_no"] = self.filing_no
        return body


@dataclass
class Month:
    period: str
    first: dt.date
    last: dt.date
    loans: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # bank → loan bodies
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # bank → events, in order
    revoke: dict[str, Any] | None = None  # {"filing_no", "reason", "effective_on", "clawback"}
    objection_by: str | None = None  # the enterprise (USCC) that objects to its line
    failed_payee: str | None = None  # the payee whose payment fails this month

    @property
    def loan_count(self) -> int:
        return sum(len(v) for v in self.loans.values())


@dataclass
class Showcase:
    """What the run shows of version 2, set up before the products (pools, lists) or beside
    the others (enterprises, filings, loans: already in the programme's lists)."""

    pools: list[dict[str, Any]]  # POST /risk-pools (admin)
    lists: list[dict[str, Any]]  # POST /enterprise-lists (admin)
    members: list[tuple[str, str, dict[str, Any]]]  # (list_code, uscc, PUT body)
    deposits: list[dict[str, Any]]  # further deposits (pool_code ZBD)
    zbd_listed: list[str]  # contract_no of the 助保贷 loans to listed enterprises (covered)
    zbd_unlisted: str  # … to an enterprise not on the list: not_covered_eligibility
    zbd_npl: str | None  # the listed one that turns NPL (None: the run is too short)
    wholesaler: str  # USCC of the wholesaler (industry F5137)
    wholesaler_loan: str
    second_project: str  # USCC of the enterprise with two filings
    first_loan: str  # its first loan, backdated: W0
    second_loan: str  # its second loan, whose window ends inside the run
    window_end: dt.date  # W0 + 3 years
    ordinary_loans: list[str] = field(default_factory=list)  # loans of ordinary products


@dataclass
class Programme:
    seed: int
    profile: Profile
    banks: list[tuple[str, str]]
    products: list[dict[str, Any]]
    enterprises: list[dict[str, Any]]
    filings: list[dict[str, Any]]
    loans: list[Loan]
    months: list[Month]
    budgets: list[dict[str, Any]]
    deposit: dict[str, Any]
    objector: str  # the enterprise user's USCC
    showcase: Showcase | None = None

    @property
    def start(self) -> dt.date:
        return self.months[0].first


# ---------------------------------------------------------------- dates
def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, 28))


def month_bounds(first: dt.date) -> tuple[dt.date, dt.date]:
    return first, add_months(first, 1) - dt.timedelta(days=1)


def settlement_dates(settlement: str, first_disbursement: dt.date, until: dt.date) -> list[dt.date]:
    """The 21st of every month (monthly) or of Mar/Jun/Sep/Dec (quarterly) after the first
    disbursement, up to `until`."""
    out = []
    day = dt.date(first_disbursement.year, first_disbursement.month, SETTLEMENT_DAY)
    while day <= until:
        if day > first_disbursement and (settlement == "monthly" or day.month in QUARTER_MONTHS):
            out.append(day)
        day = add_months(day, 1)
    return out


# ---------------------------------------------------------------- money
def interest_fen(
    flows: list[tuple[dt.date, int]], rates: list[tuple[dt.date, int]], start: dt.date, end: dt.date
) -> int:
    """What the bank charges for [start, end): Σ balance × rate / 360 a day (Actual/360), one
    rounding half up. `flows` are (date, ±fen) principal movements, `rates` (effective_on,
    rate_e4) in date order, the first one the contract rate."""
    numerator = 0
    day = start
    while day < end:
        balance = sum(amount for when, amount in flows if when <= day)
        rate = rates[0][1]
        for effective_on, rate_e4 in rates:
            if effective_on <= day:
                rate = rate_e4
        numerator += balance * rate
        day += dt.timedelta(days=1)
    denominator = 10000 * 100 * 360  # rate_e4 → fraction, percent → fraction, days
    return (2 * numerator + denominator) // (2 * denominator)


def _round_to(amount_fen: int, unit_fen: int) -> int:
    return max(unit_fen, amount_fen // unit_fen * unit_fen)


# ---------------------------------------------------------------- the generator
def _uscc(rng: random.Random, taken: set[str]) -> str:
    while True:
        body = "91442000" + "".join(rng.choice(ALPHABET) for _ in range(9))
        uscc = uscc_with_check(body)
        if uscc not in taken:
            taken.add(uscc)
            return uscc


def _enterprises(rng: random.Random, count: int) -> list[dict[str, Any]]:
    taken: set[str] = set()
    names: set[str] = set()
    out = []
    for index in range(count):
        word, (trade, industry, industry_code) = rng.choice(WORDS), rng.choice(TRADES)
        name = f"中山市{word}{trade}有限公司"
        if name in names:
            name = f"中山市{word}{trade}{index + 1}号有限公司"
        names.add(name)
        town = rng.choice(TOWNS)
        out.append(
            {
                "uscc": _uscc(rng, taken),
                "name": name,
                "established_on": dt.date(
                    rng.randint(2003, 2021), rng.randint(1, 12), rng.randint(1, 28)
                ).isoformat(),
                "town": town,
                "industry": industry,
                "industry_code": industry_code,
                "account": {
                    "holder": name,
                    "number": "6222" + "".join(rng.choice("0123456789") for _ in range(15)),
                    "bank_name": rng.choice(BANKS)[1],
                },
            }
        )
    return out


def generate(
    seed: int = 2024,
    months: int = 12,
    start: dt.date = dt.date(2024, 1, 1),
    profile: Profile = PROFILES["full"],
) -> Programme:
    """The whole run, month by month. `start` is the first day of the first month."""
    if not 1 <= months <= 24:
        raise ValueError("months: 1–24")
    rng = random.Random(seed)
    firsts = [add_months(start, i) for i in range(months)]
    run_months = [Month(f"{f.year:04d}-{f.month:02d}", *month_bounds(f)) for f in firsts]
    run_end = run_months[-1].last

    banks = list(BANKS[: profile.banks])
    codes = {code for code, _ in banks}
    products = [
        {"product_code": p, "bank_code": b, "name": n, "risk_covered": c}
        for p, b, n, c in PRODUCTS
        if b in codes
    ][: profile.products] + [
        {"product_code": p, "bank_code": b, "name": n, "risk_covered": c}
        for p, b, n, c in (WORKING_CAPITAL,)
    ]
    for product in products:
        product["subsidy_eligible"] = product["product_code"] not in ORDINARY
    enterprises = _enterprises(rng, profile.enterprises)

    # ---- loans: about a third already running when the run starts
    loans: list[Loan] = []
    serial: dict[str, int] = {}
    owners = [e["uscc"] for e in enterprises]
    owners += [rng.choice(owners) for _ in range(max(0, profile.loans - len(owners)))]
    rng.shuffle(owners)
    for uscc in owners[: profile.loans]:
        product = rng.choice(products)
        if rng.random() < 0.35:
            begin = start - dt.timedelta(days=rng.randint(20, 300))
        else:
            first = rng.choice(firsts)
            begin = first + dt.timedelta(days=rng.randint(0, 27))
        bank_code = product["bank_code"]
        serial[bank_code] = serial.get(bank_code, 0) + 1
        principal = _round_to(
            int(50_000_000 * 20 ** rng.random()), 1_000_000
        )  # 0.5–10 million yuan
        loans.append(
            Loan(
                bank_code=bank_code,
                contract_no=f"{bank_code}-{begin.year}-{serial[bank_code]:04d}",
                product_code=product["product_code"],
                covered_product=product["risk_covered"],
                subsidy_eligible=product["subsidy_eligible"],
                uscc=uscc,
                filing_no=None,
                principal_fen=principal,
                rate_e4=rng.randrange(31000, 45001, 500),
                start=begin,
                maturity=add_months(begin, rng.choice((12, 24, 24, 36))),
                repayment_method=rng.choices(
                    ("interest_only", "bullet", "equal_principal"), (5, 3, 2)
                )[0],
                settlement=rng.choices(("monthly", "quarterly"), (65, 35))[0],
            )
        )

    # ---- filings: one per enterprise, a second for some; approved before the first loan
    filings: list[dict[str, Any]] = []
    by_owner: dict[str, list[Loan]] = {}
    for loan in loans:
        by_owner.setdefault(loan.uscc, []).append(loan)
    for number, enterprise in enumerate(enterprises, start=1):
        every = sorted(by_owner.get(enterprise["uscc"], []), key=lambda x: x.start)
        # loans of ordinary products are never linked to a filing (domain.md §6, v2)
        own = [x for x in every if x.subsidy_eligible]
        groups = [own[::2], own[1::2]] if len(own) >= 3 and rng.random() < 0.15 else [own]
        for suffix, group in enumerate(groups):
            if not group:
                continue
            filing_no = f"ZSGX-{start.year - 1}-{number:04d}" + (
                "" if suffix == 0 else f"-{suffix + 1}"
            )
            earliest = min(x.start for x in group)
            investment = _round_to(
                int(sum(x.principal_fen for x in group) * rng.uniform(0.7, 1.6)), 1_000_000
            )
            filings.append(
                {
                    "filing_no": filing_no,
                    "uscc": enterprise["uscc"],
                    "project_name": f"{enterprise['name'].removeprefix('中山市').removesuffix('有限公司')}数字化改造项目",
                    "eligible_investment": format_fen(investment),
                    "approved_on": (earliest - dt.timedelta(days=rng.randint(5, 150))).isoformat(),
                }
            )
            for loan in group:
                # a loan of an enterprise with one filing may leave it out: the service matches it
                loan.filing_no = None if len(groups) == 1 and rng.random() < 0.1 else filing_no
        # an enterprise must be a year old at its first disbursement (domain.md §4.2)
        if every:
            latest = every[0].start - dt.timedelta(days=400)
            if dt.date.fromisoformat(enterprise["established_on"]) > latest:
                enterprise["established_on"] = latest.replace(day=min(latest.day, 28)).isoformat()

    # ---- plans: NPLs among running covered loans, a recovery, a revocation, the objector
    candidates = [
        x for x in loans if x.covered_product and x.start < start - dt.timedelta(days=130)
    ]
    rng.shuffle(candidates)
    npl_loans = candidates[: profile.npls]
    for index, loan in enumerate(npl_loans):
        month = run_months[min(index % max(1, months - 1), months - 1)]
        loan.npl_as_of = month.last
        loan.maturity = max(loan.maturity, add_months(run_end, 6))
        loan.repayment_method = "interest_only"
    recovery_loan = next(
        (x for x in npl_loans if x.npl_as_of is not None and x.npl_as_of < run_months[-1].first),
        None,
    )
    protected = {x.uscc for x in npl_loans}
    running_monthly = [
        x
        for x in loans
        if x.settlement == "monthly"
        and x.subsidy_eligible
        and x.start < start - dt.timedelta(days=10)
        and x.uscc not in protected
        and x.maturity > add_months(run_end, 1)
    ]
    objector = running_monthly[0].uscc
    failing = next(x.uscc for x in running_monthly if x.uscc != objector)
    protected |= {objector, failing}
    revocable = [f for f in filings if f["uscc"] not in protected]
    revoke_month = run_months[max(0, months // 2)] if months > 1 else run_months[0]
    revoked = revocable[0]
    revoke_month.revoke = {
        "filing_no": revoked["filing_no"],
        "reason": "项目未按备案内容实施，撤销备案",
        "effective_on": revoke_month.first.isoformat(),
        "clawback": False,
    }
    run_months[0].objection_by = objector
    run_months[0].failed_payee = failing
    protected_loans = {id(x) for x in npl_loans} | {
        id(x) for x in loans if x.uscc in (objector, failing)
    }

    # ---- each loan's facts
    for loan in loans:
        _facts(
            rng,
            loan,
            start,
            run_end,
            plain=id(loan) in protected_loans,
            recovery=loan is recovery_loan,
            months=run_months,
        )

    showcase = _showcase(rng, start, run_months, products, enterprises, filings, loans, protected)

    # ---- registration and posting months
    def month_of(day: dt.date) -> Month:
        for month in run_months:
            if day <= month.last:
                return month
        raise AssertionError(day)

    order = {
        "disbursement": 0,
        "rate_change": 1,
        "interest": 2,
        "repayment": 3,
        "delinquency": 4,
        "recovery": 5,
        "settlement": 6,
    }
    for loan in loans:
        month_of(max(loan.start, start)).loans.setdefault(loan.bank_code, []).append(loan.body())
        for event in loan.events:
            month_of(max(_event_day(event), start)).events.setdefault(loan.bank_code, []).append(
                event
            )
    for month in run_months:
        for events in month.events.values():
            events.sort(
                key=lambda e: (_event_day(e), order[e["type"]], e["contract_no"], e["event_id"])
            )

    # ---- money: budgets cover the year's interest with room; the pool covers its leverage
    interest_by_year: dict[int, int] = {}
    for loan in loans:
        for event in loan.events:
            if event["type"] == "interest":
                year = dt.date.fromisoformat(event["paid_on"]).year
                interest_by_year[year] = interest_by_year.get(year, 0) + _fen(event["interest"])
    # An approval is charged to the year it happens in (domain.md §7 v2): the last months'
    # batches are approved in the next year, which needs its own appropriation.
    if interest_by_year:
        last = max(interest_by_year)
        interest_by_year[last + 1] = interest_by_year[last]
    budgets = [
        {
            "year": year,
            "amount": format_fen(_round_to(amount * 13 // 10 + 100_000_000, 100_000_000)),
            "reference": f"中财〔{year}〕{7 + index}号",
        }
        for index, (year, amount) in enumerate(sorted(interest_by_year.items()))
    ]
    covered = sum(x.principal_fen for x in loans if x.covered_product)
    deposit = {
        "pool_code": "SZD",
        "amount": format_fen(_round_to(covered * 12 // 100 + 1_000_000_000, 100_000_000)),
        "deposited_on": start.isoformat(),
        "reference": f"风险补偿资金池{start.year}年度注资",
    }
    zbd = sum(x.principal_fen for x in loans if x.contract_no in showcase.zbd_listed)
    showcase.deposits.append(
        {
            "pool_code": ZBD_POOL,
            "amount": format_fen(_round_to(zbd * 15 // 100 + 100_000_000, 10_000_000)),
            "deposited_on": start.isoformat(),
            "reference": f"助保贷担保金{start.year}年度存入",
        }
    )
    showcase.ordinary_loans = [x.contract_no for x in loans if x.product_code in ORDINARY]
    return Programme(
        seed,
        profile,
        banks,
        products,
        enterprises,
        filings,
        loans,
        run_months,
        budgets,
        deposit,
        objector,
        showcase,
    )


def _showcase(
    rng: random.Random,
    start: dt.date,
    months: list[Month],
    products: list[dict[str, Any]],
    enterprises: list[dict[str, Any]],
    filings: list[dict[str, Any]],
    loans: list[Loan],
    protected: set[str],
) -> Showcase:
    """Version 2's part of the run, added to `products`, `enterprises`, `filings` and `loans`
    (each new loan with its facts): see `Showcase`."""
    run_end = months[-1].last
    taken = {e["uscc"] for e in enterprises}
    codes = {p["bank_code"] for p in products}
    digital = [p for p in products if p["subsidy_eligible"]]
    serial = 9000

    def enterprise(word: str, trade: str, industry: str, code: str, established: int) -> str:
        name = f"中山市{word}{trade}有限公司"
        uscc = _uscc(rng, taken)
        enterprises.append(
            {
                "uscc": uscc,
                "name": name,
                "established_on": dt.date(established, 3, 18).isoformat(),
                "town": rng.choice(TOWNS),
                "industry": industry,
                "industry_code": code,
                "account": {
                    "holder": name,
                    "number": "6222" + "".join(rng.choice("0123456789") for _ in range(15)),
                    "bank_name": rng.choice(BANKS)[1],
                },
            }
        )
        return uscc

    def filing(uscc: str, approved_on: dt.date, principal_fen: int, suffix: str = "") -> str:
        number = next(i for i, e in enumerate(enterprises, start=1) if e["uscc"] == uscc)
        filing_no = f"ZSGX-{start.year - 1}-{number:04d}{suffix}"
        name = next(e["name"] for e in enterprises if e["uscc"] == uscc)
        filings.append(
            {
                "filing_no": filing_no,
                "uscc": uscc,
                "project_name": f"{name.removeprefix('中山市').removesuffix('有限公司')}"
                + ("数字化车间二期项目" if suffix else "数字化改造项目"),
                "eligible_investment": format_fen(principal_fen * 3 // 2),
                "approved_on": approved_on.isoformat(),
            }
        )
        return filing_no

    def loan(
        product: dict[str, Any],
        uscc: str,
        begin: dt.date,
        principal_yuan: int,
        *,
        filing_no: str | None = None,
        term: int = 24,
        npl_as_of: dt.date | None = None,
    ) -> Loan:
        nonlocal serial
        serial += 1
        made = Loan(
            bank_code=product["bank_code"],
            contract_no=f"{product['bank_code']}-{begin.year}-{serial:04d}",
            product_code=product["product_code"],
            covered_product=product["risk_covered"],
            subsidy_eligible=product["subsidy_eligible"],
            uscc=uscc,
            filing_no=filing_no,
            principal_fen=principal_yuan * 100,
            rate_e4=rng.randrange(33000, 42001, 500),
            start=begin,
            maturity=add_months(begin, term),
            repayment_method="interest_only",
            settlement="monthly",
            npl_as_of=npl_as_of,
        )
        loans.append(made)
        return made

    def facts(made: Loan) -> None:
        _facts(rng, made, start, run_end, plain=True, recovery=False, months=months)

    # ---- a wholesaler (F5137, 家用电器批发) with a filing and a 数字贷 loan: earns nothing
    wholesaler = enterprise(rng.choice(WORDS), "电器贸易", "批发业", "F5137", 2014)
    begin = start - dt.timedelta(days=40)
    sold = loan(digital[0], wholesaler, begin, 3_000_000)
    sold.filing_no = filing(wholesaler, begin - dt.timedelta(days=30), sold.principal_fen)
    facts(sold)

    # ---- two projects: the window opens at the first loan's disbursement (backdated before
    # the run) and ends half-way through the run; the second loan's subsidy stops there
    span = (run_end - start).days
    window_end = start + dt.timedelta(days=span // 2)
    w0 = add_years(window_end, -3)
    twice = enterprise(rng.choice(WORDS), "精密机械", "通用设备制造业", "C34", w0.year - 8)
    product = digital[1 % len(digital)]
    first = loan(product, twice, w0, 2_000_000)
    first.filing_no = filing(twice, w0 - dt.timedelta(days=30), first.principal_fen)
    cid = first.contract_no
    ends = first.maturity
    first.events = [
        {"contract_no": cid, "event_id": f"{cid}-D1", "type": "disbursement"}
        | {"date": w0.isoformat(), "amount": format_fen(first.principal_fen)},
        {"contract_no": cid, "event_id": f"{cid}-R1", "type": "repayment"}
        | {"date": ends.isoformat(), "principal": format_fen(first.principal_fen)},
        {
            "contract_no": cid,
            "event_id": f"{cid}-S",
            "type": "settlement",
            "date": ends.isoformat(),
        },
    ]
    begin = start - dt.timedelta(days=45)
    second = loan(product, twice, begin, 4_000_000)
    second.filing_no = filing(
        twice, begin - dt.timedelta(days=30), second.principal_fen, suffix="-2"
    )
    facts(second)

    # ---- 助保贷: pool ZBD, its list (名录库) from the run's start, products, loans
    list_code = f"ZS-PY-{start.year}"
    others = [e["uscc"] for e in enterprises[:-2] if e["uscc"] not in protected]
    chosen = rng.sample(others, min(5, len(others) - 1))
    outsider = next(u for u in others if u not in chosen)
    zbd_products = []
    for bank_code, code in ZBD_PRODUCTS:
        if bank_code in codes:
            zbd_products.append(
                {
                    "product_code": code,
                    "bank_code": bank_code,
                    "name": "助保贷",
                    "risk_pool": ZBD_POOL,
                    "subsidy_eligible": False,
                    "risk_covered": False,  # not SZD (for the generator; not sent)
                }
            )
    products.extend(zbd_products)
    # an NPL when a month ends far enough after the start for 90+ days past due
    npl_month = next((m for m in months if (m.last - start).days >= NPL_DPD + 50), None)
    listed = []
    for index, uscc in enumerate(chosen[:3]):
        product = zbd_products[index % len(zbd_products)]
        begin = start if index == 0 else start + dt.timedelta(days=rng.randint(0, min(20, span)))
        made = loan(
            product,
            uscc,
            begin,
            rng.choice((1_000_000, 1_500_000, 2_000_000)),
            term=12 if index else 24,
            npl_as_of=npl_month.last if index == 0 and npl_month else None,
        )
        if made.npl_as_of is not None:
            made.maturity = max(made.maturity, add_months(run_end, 6))
            _facts(rng, made, start, run_end, plain=True, recovery=False, months=months)
        else:
            facts(made)
        listed.append(made)
    unlisted = loan(zbd_products[-1], outsider, start + dt.timedelta(days=5), 800_000, term=12)
    facts(unlisted)
    return Showcase(
        pools=[
            {
                "pool_code": ZBD_POOL,
                "name": "助保贷担保金",
                "operator": "中山市财政局",
                "eligibility": "enterprise_list",
                "list_code": list_code,
            }
        ],
        lists=[
            {"list_code": list_code, "name": f"中山市上规上限培育企业名录库（{start.year}年度）"}
        ],
        members=[(list_code, uscc, {"from": start.isoformat()}) for uscc in chosen],
        deposits=[],
        zbd_listed=[x.contract_no for x in listed],
        zbd_unlisted=unlisted.contract_no,
        zbd_npl=listed[0].contract_no if listed[0].npl_as_of else None,
        wholesaler=wholesaler,
        wholesaler_loan=sold.contract_no,
        second_project=twice,
        first_loan=first.contract_no,
        second_loan=second.contract_no,
        window_end=window_end,
    )


def _fen(yuan: str) -> int:
    whole, _, frac = yuan.partition(".")
    return (
        int(whole) * 100 + int((frac + "00")[:2]) if not whole.startswith("-") else -_fen(yuan[1:])
    )


def _event_day(event: dict[str, Any]) -> dt.date:
    for name in ("date", "paid_on", "as_of", "effective_on"):
        if event.get(name):
            return dt.date.fromisoformat(event[name])
    raise AssertionError(event)


def _facts(
    rng: random.Random,
    loan: Loan,
    run_start: dt.date,
    run_end: dt.date,
    *,
    plain: bool,
    recovery: bool,
    months: list[Month],
) -> None:
    """Disbursements, repayments, rate changes, interest records, delinquency and recovery of
    one loan, each dated; only what falls on or before `run_end` (interest: within the run)."""
    cid = loan.contract_no
    flows: list[tuple[dt.date, int]] = []
    events: list[dict[str, Any]] = []
    terminal = loan.maturity if loan.maturity <= run_end else None
    partial = False
    window_start = max(run_start, loan.start + dt.timedelta(days=20))
    if not plain and window_start < run_end:
        span = (run_end - window_start).days
        roll = rng.random()
        if roll < 0.15:
            partial = True
        elif roll < 0.19:
            early = window_start + dt.timedelta(days=rng.randint(0, span))
            terminal = min(terminal or early, early)
    # tranches
    if not plain and loan.npl_as_of is None and rng.random() < 0.2:
        first = _round_to(loan.principal_fen * 6 // 10, 1_000_000)
        second_day = loan.start + dt.timedelta(days=rng.randint(30, 75))
        tranches = [(loan.start, first), (second_day, loan.principal_fen - first)]
    else:
        tranches = [(loan.start, loan.principal_fen)]
    for number, (day, amount) in enumerate(tranches, start=1):
        if day <= run_end and day < loan.maturity and (terminal is None or day < terminal):
            flows.append((day, amount))
            events.append(
                {
                    "contract_no": cid,
                    "event_id": f"{cid}-D{number}",
                    "type": "disbursement",
                    "date": day.isoformat(),
                    "amount": format_fen(amount),
                }
            )
    # candidate repayments: equal principal each quarter, a prepayment, an early settlement
    planned: list[tuple[dt.date, int | None]] = []  # None: whatever is left
    if loan.repayment_method == "equal_principal":
        term_quarters = max(
            1,
            ((loan.maturity.year - loan.start.year) * 12 + loan.maturity.month - loan.start.month)
            // 3,
        )
        step = _round_to(loan.principal_fen // term_quarters, 100)
        planned += [(day, step) for day in settlement_dates("quarterly", loan.start, run_end)]
    if partial:
        span = (run_end - window_start).days
        planned.append((window_start + dt.timedelta(days=rng.randint(0, span)), -1))
    if terminal is not None:
        planned.append((terminal, None))
    planned.sort(key=lambda p: p[0])
    repaid = 0
    for day, amount in planned:
        if terminal is not None and day > terminal:
            continue
        balance = sum(a for d, a in flows if d <= day)
        if amount is None:
            amount = balance
        elif amount == -1:
            amount = _round_to(balance * rng.randint(10, 40) // 100, 100_000)
        amount = min(amount, balance)
        if amount <= 0:
            continue
        repaid += 1
        flows.append((day, -amount))
        events.append(
            {
                "contract_no": cid,
                "event_id": f"{cid}-R{repaid}",
                "type": "repayment",
                "date": day.isoformat(),
                "principal": format_fen(amount),
            }
        )
    # rate changes: a quarter of the loans follow an LPR cut
    rates = [(loan.start, loan.rate_e4)]
    if (
        not plain
        and loan.npl_as_of is None
        and rng.random() < 0.25
        and run_start + dt.timedelta(days=31) < run_end
    ):
        effective = run_start + dt.timedelta(days=rng.randint(31, (run_end - run_start).days))
        if loan.start < effective < (terminal or loan.maturity):
            new_rate = loan.rate_e4 - rng.choice((1000, 1500, 2000, 2500))
            rates.append((effective, new_rate))
            events.append(
                {
                    "contract_no": cid,
                    "event_id": f"{cid}-RC1",
                    "type": "rate_change",
                    "effective_on": effective.isoformat(),
                    "annual_rate": format_rate(new_rate),
                }
            )
    # delinquency: unpaid from `overdue_from`; reported at each month end, NPL at the last one
    paid_until = terminal or run_end
    if loan.npl_as_of is not None:
        dpd = NPL_DPD + rng.randint(0, 20)
        overdue_from = loan.npl_as_of - dt.timedelta(days=dpd - 1)
        paid_until = overdue_from
        reports = [m.last for m in months if overdue_from <= m.last < loan.npl_as_of] + [
            loan.npl_as_of
        ]
        for number, as_of in enumerate(reports, start=1):
            days = (as_of - overdue_from).days + 1
            events.append(
                {
                    "contract_no": cid,
                    "event_id": f"{cid}-DQ{number}",
                    "type": "delinquency",
                    "as_of": as_of.isoformat(),
                    "days_past_due": days,
                    "classification": "substandard" if days >= NPL_DPD else "special_mention",
                }
            )
        if recovery:
            after = next(m for m in months if m.first > loan.npl_as_of)
            balance = sum(a for d, a in flows)
            day = after.last - dt.timedelta(days=rng.randint(3, 15))
            events.append(
                {
                    "contract_no": cid,
                    "event_id": f"{cid}-RV1",
                    "type": "recovery",
                    "date": day.isoformat(),
                    "amount": format_fen(_round_to(balance * rng.randint(15, 35) // 100, 100_000)),
                }
            )
    # interest: one record per settlement period ending in the run, while the loan pays
    if flows:
        first_day = flows[0][0]
        ends = [
            d
            for d in settlement_dates(loan.settlement, first_day, min(paid_until, run_end))
            if d < loan.maturity
        ]
        if terminal is not None and terminal <= paid_until and (not ends or ends[-1] < terminal):
            ends.append(terminal)
        begin = first_day
        for end in ends:
            if end >= run_start:
                amount = interest_fen(flows, rates, begin, end)
                if amount > 0:
                    events.append(
                        {
                            "contract_no": cid,
                            "event_id": f"{cid}-I{end:%Y%m%d}",
                            "type": "interest",
                            "period_start": begin.isoformat(),
                            "period_end": end.isoformat(),
                            "paid_on": end.isoformat(),
                            "interest": format_fen(amount),
                        }
                    )
            begin = end
        if terminal is not None and sum(a for _, a in flows) == 0:
            events.append(
                {
                    "contract_no": cid,
                    "event_id": f"{cid}-S",
                    "type": "settlement",
                    "date": terminal.isoformat(),
                }
            )
    loan.events = [e for e in events if _event_day(e) <= run_end]
