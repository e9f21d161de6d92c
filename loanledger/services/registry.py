"""Reference data use cases: products, enterprises, blacklist, filings, policy, LPR,
budgets, the risk pool and receivable settlements.

Each function takes the request's Session (and the actor and business date where it
needs them), flushes, never commits: the caller's unit of work (the api's `endpoint`, the
web's `perform`) commits on success, so a refused request changes nothing. Every state
change is audited; a change that can move a subsidy also marks its scope dirty for the next
close.

Refusals: `DomainError` (→ 422 with its code and field), `NotFound` (→ 404) and
`Conflict` (→ 409).

What the API and the pages show of the reference data (an enterprise with everything about
it, the filings' documents, the budget per year, the risk pool) is read in
`services.read.registry`; the loaders here (`get_enterprise`, `get_filing`, `pool_cash`,
`filing_statuses`, …) serve the use cases, and the read side calls them too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Row, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from loanledger.domain import ledger as ledger_rules
from loanledger.domain.errors import DomainError, FieldError, PolicyInvalid
from loanledger.domain.facts import filing_lapsed
from loanledger.domain.money import format_fen, format_rate
from loanledger.domain.policy import Policy, policy_from_doc, policy_to_doc
from loanledger.domain.pools import SZD
from loanledger.domain.vocabulary import (
    BatchKind,
    FilingStatus,
)
from loanledger.persistence.tables import (
    Bank,
    BlacklistEntry,
    Budget,
    Enterprise,
    Filing,
    Loan,
    LoanEvent,
    LprRate,
    PolicyVersion,
    Product,
)
from loanledger.services import audit, dirty, ledger, pools
from loanledger.services.errors import Conflict, NotFound
from loanledger.services.policy_book import PolicyBook


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _jsonable(doc: dict[str, Any]) -> dict[str, Any]:
    """An audit image: dates as ISO text (nested one level, as in `account`)."""

    def plain(v: Any) -> Any:
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return {k: plain(v) for k, v in doc.items()}


def _savepoint_insert(db: Session, row: Any, conflict: Conflict) -> None:
    """Insert and flush; a concurrent insert of the same key becomes `conflict`, not a 500."""
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:
        raise conflict from None


def _not_future(value: dt.date, today: dt.date, field: str) -> None:
    if value > today:
        raise DomainError("future_date", f"{value} is after the business date {today}", field)


# ====================================================================== events
def _live(event: type[LoanEvent]):
    """A loan event that no `void` event (same bank, target_event_id = its event_id) cancels."""
    void = aliased(LoanEvent)
    return ~exists().where(
        void.type == "void",
        void.bank_code == event.bank_code,
        void.target_event_id == event.event_id,
    )


# ====================================================================== policy
@dataclass(frozen=True)
class PolicyRecord:
    version: int
    in_force_from: dt.date
    policy: Policy

    def document(self) -> dict[str, Any]:
        """The wire document of GET /policy: domain.md §3 plus version and in_force_from."""
        return {
            **policy_to_doc(self.policy),
            "version": self.version,
            "in_force_from": self.in_force_from.isoformat(),
        }


def policy_versions(db: Session) -> list[tuple[int, dt.date, Policy]]:
    """Every version as (version, in_force_from, Policy), ordered by (in_force_from, version):
    the one in force on d is the last whose in_force_from ≤ d (services.policy_book)."""
    rows = db.scalars(
        select(PolicyVersion).order_by(PolicyVersion.in_force_from, PolicyVersion.version)
    )
    return [(r.version, r.in_force_from, policy_from_doc(r.document)) for r in rows]


def policy_in_force(db: Session, on: dt.date) -> tuple[int, Policy]:
    """(version, Policy) in force on `on`: the latest version whose in_force_from ≤ on."""
    return PolicyBook.load(db).on(on)


def current_policy(db: Session) -> PolicyRecord:
    """The newest version (highest number): what GET /policy shows and PUT must name."""
    row = db.scalar(select(PolicyVersion).order_by(PolicyVersion.version.desc()).limit(1))
    if row is None:
        raise RuntimeError("no policy: run `loanledger init`")
    return PolicyRecord(row.version, row.in_force_from, policy_from_doc(row.document))


def save_policy(
    db: Session, doc: dict[str, Any], expected_version: Any, today: dt.date, actor: str
) -> PolicyRecord:
    """PUT /policy: validate the whole document (PolicyInvalid → 422 listing every problem),
    then refuse a stale `version` (409), then store version + 1 in force from today."""
    version_errors: list[FieldError] = (
        []
        if type(expected_version) is int
        else [
            (
                "version",
                "required" if expected_version is None else "invalid_format",
                "version must be the integer version this document was read at",
            )
        ]
    )
    try:
        policy = policy_from_doc(doc, ignore_fields=("version", "in_force_from"))
    except PolicyInvalid as exc:
        raise PolicyInvalid(
            sorted(exc.errors + version_errors, key=lambda e: (e[0] or "", e[1]))
        ) from None
    if version_errors:
        raise PolicyInvalid(version_errors)
    current = current_policy(db)
    if expected_version != current.version:
        raise Conflict(
            "version_conflict",
            f"the policy is at version {current.version}, not {expected_version}; read it again",
        )
    saved = PolicyRecord(current.version + 1, today, policy)
    _savepoint_insert(
        db,
        PolicyVersion(
            version=saved.version,
            in_force_from=today,
            document=policy_to_doc(policy),
            created_by=actor[:64],
        ),
        Conflict("version_conflict", "the policy changed meanwhile; read it again"),
    )
    audit.record(
        db,
        actor,
        "policy.update",
        "policy",
        str(saved.version),
        current.document(),
        saved.document(),
    )
    dirty.mark(db, "all", "policy")
    return saved


def policy_draft(doc: dict[str, Any]) -> dict[str, Any]:
    """A document as PUT /policy would store it, checked the same way but not saved (the
    administrator's page shows what would change before saving): PolicyInvalid lists every
    problem."""
    return policy_to_doc(policy_from_doc(doc, ignore_fields=("version", "in_force_from")))


# ====================================================================== LPR
def lpr_table(db: Session) -> list[tuple[dt.date, int]]:
    """[(published_on, lpr_1y_e4)] in date order: LPR1Y(d) is the last entry dated ≤ d."""
    return [
        (d, r)
        for d, r in db.execute(
            select(LprRate.published_on, LprRate.lpr_1y_e4).order_by(LprRate.published_on)
        )
    ]


def add_lpr(
    db: Session, published_on: dt.date, lpr_1y_e4: int, lpr_5y_e4: int, today: dt.date, actor: str
) -> tuple[LprRate, bool]:
    """(row, created). The same figures again are a no-op; other figures for a listed date
    are refused (409 invalid_state): a published rate is never rewritten."""
    _not_future(published_on, today, "published_on")
    existing = db.get(LprRate, published_on)
    if existing is not None:
        if (existing.lpr_1y_e4, existing.lpr_5y_e4) == (lpr_1y_e4, lpr_5y_e4):
            return existing, False
        raise Conflict(
            "invalid_state", f"the LPR of {published_on} is already recorded with other figures"
        )
    row = LprRate(published_on=published_on, lpr_1y_e4=lpr_1y_e4, lpr_5y_e4=lpr_5y_e4)
    _savepoint_insert(
        db, row, Conflict("invalid_state", f"the LPR of {published_on} is already recorded")
    )
    audit.record(
        db,
        actor,
        "lpr.create",
        "lpr",
        published_on.isoformat(),
        None,
        {"lpr_1y": format_rate(lpr_1y_e4), "lpr_5y": format_rate(lpr_5y_e4)},
    )
    dirty.mark(db, "all", "lpr")
    return row, True


# ====================================================================== products
def product_doc(p: Product) -> dict[str, Any]:
    return {
        "product_code": p.product_code,
        "bank_code": p.bank_code,
        "name": p.name,
        "risk_covered": p.risk_covered,
        "risk_pool": p.risk_pool,
        "subsidy_eligible": p.subsidy_eligible,
    }


_NOT_GIVEN: Any = object()


def create_product(
    db: Session,
    product_code: str,
    bank_code: str,
    name: str,
    actor: str,
    *,
    risk_covered: bool | None = None,
    risk_pool: str | None = _NOT_GIVEN,
    subsidy_eligible: bool = True,
) -> tuple[Product, bool]:
    """(product, created). A repeat with the same content is a no-op; other content → 409.
    The pool is `risk_pool`, or SZD when only `risk_covered: true` names it (v2, §2)."""
    if db.get(Bank, bank_code) is None:
        raise DomainError("invalid_format", f"no bank {bank_code}", "bank_code")
    pool = _product_pool(db, risk_covered, risk_pool)
    wanted = {
        "product_code": product_code,
        "bank_code": bank_code,
        "name": name,
        "risk_covered": pool is not None,  # kept for version 1 readers: risk_pool IS NOT NULL
        "risk_pool": pool,
        "subsidy_eligible": subsidy_eligible,
    }
    existing = db.get(Product, product_code)
    if existing is not None:
        if product_doc(existing) == wanted:
            return existing, False
        raise Conflict(
            "invalid_state", f"product {product_code} exists with other content", "product_code"
        )
    product = Product(**wanted)
    _savepoint_insert(
        db, product, Conflict("invalid_state", f"product {product_code} exists", "product_code")
    )
    audit.record(db, actor, "product.create", "product", product_code, None, wanted)
    return product, True


def _product_pool(db: Session, risk_covered: bool | None, risk_pool: str | None) -> str | None:
    """`risk_pool` (a pool code or null) as given; else `risk_covered: true` means SZD, false
    none. Both given must agree: a pool exactly when covered."""
    if risk_pool is _NOT_GIVEN:
        if risk_covered is None:
            raise DomainError(
                "required", "give risk_pool (a pool code or null) or risk_covered", "risk_pool"
            )
        return SZD if risk_covered else None
    if risk_covered is not None and risk_covered != (risk_pool is not None):
        raise DomainError(
            "invalid_format",
            f"risk_covered {str(risk_covered).lower()} contradicts risk_pool {risk_pool}",
            "risk_covered",
        )
    return None if risk_pool is None else pools.get_pool(db, risk_pool, "risk_pool").pool_code


# ====================================================================== enterprises
def enterprise_doc(e: Enterprise | Row) -> dict[str, Any]:
    """The enterprise's own fields under their wire names."""
    account = None
    if e.account_number is not None:
        account = {
            "holder": e.account_holder,
            "number": e.account_number,
            "bank_name": e.account_bank_name,
        }
    return {
        "uscc": e.uscc,
        "name": e.name,
        "established_on": e.established_on,
        "town": e.town,
        "industry": e.industry,
        "industry_code": e.industry_code,
        "email": e.email,
        "account": account,
    }


def _set_account(e: Enterprise, account: dict[str, str] | None) -> None:
    account = account or {}
    e.account_holder = account.get("holder")
    e.account_number = account.get("number")
    e.account_bank_name = account.get("bank_name")


def get_enterprise(db: Session, uscc: str) -> Enterprise:
    enterprise = db.get(Enterprise, uscc)
    if enterprise is None:
        raise NotFound(f"enterprise {uscc}")
    return enterprise


def create_enterprise(
    db: Session, data: dict[str, Any], actor: str, today: dt.date
) -> tuple[Enterprise, bool]:
    """data: uscc, name, established_on, town?, industry?, industry_code? (v2, GB/T 4754,
    validated by the wire schema), email? (where notices are e-mailed; the wire schema checks
    domain.notices.email_valid), account? {holder, number, bank_name}.
    (enterprise, created); the same content again is a no-op, other content → 409.
    An enterprise established after the business date is a typing error (422 future_date):
    its age decides eligibility (§4.2 item 2)."""
    if data["established_on"] > today:
        raise DomainError(
            "future_date",
            f"established_on {data['established_on']} is after the business date {today}",
            "established_on",
        )
    enterprise = Enterprise(
        uscc=data["uscc"],
        name=data["name"],
        established_on=data["established_on"],
        town=data.get("town"),
        industry=data.get("industry"),
        industry_code=data.get("industry_code"),
        email=data.get("email"),
    )
    _set_account(enterprise, data.get("account"))
    wanted = enterprise_doc(enterprise)
    existing = db.get(Enterprise, data["uscc"])
    if existing is not None:
        if enterprise_doc(existing) == wanted:
            return existing, False
        raise Conflict(
            "invalid_state", f"enterprise {data['uscc']} exists with other content", "uscc"
        )
    _savepoint_insert(
        db, enterprise, Conflict("invalid_state", f"enterprise {data['uscc']} exists", "uscc")
    )
    audit.record(
        db, actor, "enterprise.create", "enterprise", enterprise.uscc, None, _jsonable(wanted)
    )
    return enterprise, True


def update_enterprise(db: Session, uscc: str, changes: dict[str, Any], actor: str) -> Enterprise:
    """PATCH: name, town, industry, industry_code, email, account (null clears it). established_on
    never changes. A new industry_code can move the subsidy of every loan of the enterprise
    (domain.md §4.2 item 0): it marks the enterprise for the next close."""
    enterprise = get_enterprise(db, uscc)
    before = enterprise_doc(enterprise)
    for name in ("name", "town", "industry", "industry_code", "email"):
        if name in changes:
            setattr(enterprise, name, changes[name])
    if "account" in changes:
        _set_account(enterprise, changes["account"])
    after = enterprise_doc(enterprise)
    if after != before:
        db.flush()
        audit.record(
            db,
            actor,
            "enterprise.update",
            "enterprise",
            uscc,
            _jsonable({k: v for k, v in before.items() if after[k] != v}),
            _jsonable({k: v for k, v in after.items() if before[k] != v}),
        )
        if after["industry_code"] != before["industry_code"]:
            dirty.mark(db, "enterprise", uscc)
    return enterprise


def blacklist_doc(b: BlacklistEntry | Row) -> dict[str, Any]:
    return {
        "entry_id": b.id,
        "uscc": b.uscc,
        "reason": b.reason,
        "effective_from": b.effective_from,
        "effective_to": b.effective_to,
        "note": b.note,
    }


def add_blacklist_entry(
    db: Session,
    uscc: str,
    reason: str,
    effective_from: dt.date,
    effective_to: dt.date | None,
    actor: str,
) -> BlacklistEntry:
    get_enterprise(db, uscc)
    if effective_to is not None and effective_to < effective_from:
        raise DomainError("invalid_format", "effective_to is before effective_from", "effective_to")
    entry = BlacklistEntry(
        uscc=uscc, reason=reason, effective_from=effective_from, effective_to=effective_to
    )
    db.add(entry)
    db.flush()
    audit.record(
        db,
        actor,
        "blacklist.create",
        "blacklist_entry",
        str(entry.id),
        None,
        _jsonable(blacklist_doc(entry)),
    )
    dirty.mark(db, "enterprise", uscc)
    return entry


def lift_blacklist_entry(
    db: Session, uscc: str, entry_id: int, effective_to: dt.date, note: str, actor: str
) -> BlacklistEntry:
    """Sets the entry's last day (inclusive) and the note; nothing is deleted.

    A lift may only end the entry earlier (or end an open one); the same lift again is a
    no-op; a second, different lift is 409 invalid_state.
    """
    get_enterprise(db, uscc)
    entry = db.get(BlacklistEntry, entry_id)
    if entry is None or entry.uscc != uscc:
        raise NotFound(f"blacklist entry {entry_id} of {uscc}")
    if entry.note is not None:
        if (entry.effective_to, entry.note) == (effective_to, note):
            return entry
        raise Conflict("invalid_state", f"blacklist entry {entry_id} was already lifted")
    if effective_to < entry.effective_from:
        raise DomainError(
            "invalid_format",
            f"effective_to is before the entry's effective_from {entry.effective_from}",
            "effective_to",
        )
    if entry.effective_to is not None and effective_to > entry.effective_to:
        raise DomainError(
            "invalid_format",
            f"a lift can only end the entry earlier than its effective_to {entry.effective_to}",
            "effective_to",
        )
    before = _jsonable(blacklist_doc(entry))
    entry.effective_to, entry.note = effective_to, note
    db.flush()
    audit.record(
        db,
        actor,
        "blacklist.lift",
        "blacklist_entry",
        str(entry.id),
        before,
        _jsonable(blacklist_doc(entry)),
    )
    dirty.mark(db, "enterprise", uscc)
    return entry


# ====================================================================== filings
def earliest_starts(db: Session, filing_nos: Iterable[str]) -> dict[str, dt.date]:
    """filing_no → the earliest contract start_date among the loans linked to it (filings
    without a loan are absent): what the lapse rule reads (domain.md §4.2 item 1, v2)."""
    filing_nos = list(set(filing_nos))
    if not filing_nos:
        return {}
    rows = db.execute(
        select(Loan.filing_no, func.min(Loan.start_date))
        .where(Loan.filing_no.in_(filing_nos))
        .group_by(Loan.filing_no)
    )
    # Loan.filing_no is nullable, but the IN list leaves only loans linked to a filing.
    return {cast(str, filing_no): start for filing_no, start in rows if start is not None}


def status_on(
    filing: Filing | Row, on: dt.date, earliest_start: dt.date | None, policy: Policy
) -> FilingStatus:
    """`earliest_start`: the earliest start_date of the filing's loans (earliest_starts)."""
    if filing.revoked_on is not None and filing.revoked_on <= on:
        return FilingStatus.REVOKED
    if filing.completed_on is not None and filing.completed_on <= on:
        return FilingStatus.COMPLETED  # only an active filing is completed: it no longer lapses
    starts = [earliest_start] if earliest_start else []
    if filing_lapsed(filing.approved_on, starts, policy.filing_lapse_days, on):
        return FilingStatus.LAPSED
    return FilingStatus.ACTIVE


def filing_statuses(
    db: Session, filings: Sequence[Filing | Row], on: dt.date, policy: Policy | None = None
) -> dict[str, str]:
    """filing_no → 'active' | 'revoked' | 'completed' | 'lapsed' on date `on` (one query for
    the lot).

    revoked: revoked_on ≤ on (a revocation outranks a completion). completed: completed_on ≤
    on. lapsed: on > approved_on + filing_lapse_days and no loan of the filing has a
    start_date by then (domain.facts.filing_lapsed). `policy` defaults to the one in force
    on `on`."""
    policy = policy or policy_in_force(db, on)[1]
    starts = earliest_starts(db, [f.filing_no for f in filings])
    return {f.filing_no: status_on(f, on, starts.get(f.filing_no), policy) for f in filings}


def filing_status(
    db: Session, filing: Filing | str, on: dt.date, policy: Policy | None = None
) -> str:
    """'active' | 'revoked' | 'completed' | 'lapsed' of one filing on `on` (domain.md §3, §4.2)."""
    if isinstance(filing, str):
        filing = get_filing(db, filing)
    return filing_statuses(db, [filing], on, policy)[filing.filing_no]


def get_filing(db: Session, filing_no: str) -> Filing:
    filing = db.get(Filing, filing_no)
    if filing is None:
        raise NotFound(f"filing {filing_no}")
    return filing


def _filing_audit(f: Filing) -> dict[str, Any]:
    completion = (
        {}
        if f.completed_on is None
        else {"completed_on": _iso(f.completed_on), "completion_note": f.completion_note}
    )
    return completion | {
        "uscc": f.uscc,
        "project_name": f.project_name,
        "eligible_investment": format_fen(f.eligible_investment_fen),
        "approved_on": _iso(f.approved_on),
        "revoked_on": _iso(f.revoked_on),
        "revoke_reason": f.revoke_reason,
        "clawback": bool(f.clawback),
    }


def create_filing(
    db: Session,
    filing_no: str,
    uscc: str,
    project_name: str,
    eligible_investment_fen: int,
    approved_on: dt.date,
    today: dt.date,
    actor: str,
) -> tuple[Filing, bool]:
    """(filing, created). Refused: unknown enterprise (422 unknown_enterprise), the enterprise
    already at max_active_filings active filings today (422 max_active_filings); the same
    content again is a no-op, other content for the same filing_no → 409 invalid_state."""
    existing = db.get(Filing, filing_no)
    if existing is not None:
        same = (
            existing.uscc,
            existing.project_name,
            existing.eligible_investment_fen,
            existing.approved_on,
        ) == (uscc, project_name, eligible_investment_fen, approved_on)
        if same:
            return existing, False
        raise Conflict(
            "invalid_state", f"filing {filing_no} exists with other content", "filing_no"
        )
    if db.get(Enterprise, uscc) is None:
        raise DomainError("unknown_enterprise", f"no enterprise {uscc}", "uscc")
    policy = policy_in_force(db, today)[1]
    others = list(db.scalars(select(Filing).where(Filing.uscc == uscc)))
    active = sum(
        1 for s in filing_statuses(db, others, today, policy).values() if s == FilingStatus.ACTIVE
    )
    if active >= policy.max_active_filings:
        raise DomainError(
            "max_active_filings",
            f"enterprise {uscc} already has {active} active filings "
            f"(at most {policy.max_active_filings})",
            "uscc",
        )
    filing = Filing(
        filing_no=filing_no,
        uscc=uscc,
        project_name=project_name,
        eligible_investment_fen=eligible_investment_fen,
        approved_on=approved_on,
        clawback=False,
    )
    _savepoint_insert(
        db, filing, Conflict("invalid_state", f"filing {filing_no} exists", "filing_no")
    )
    audit.record(db, actor, "filing.create", "filing", filing_no, None, _filing_audit(filing))
    return filing, True


def revoke_filing(
    db: Session,
    filing_no: str,
    reason: str,
    effective_on: dt.date,
    clawback: bool,
    today: dt.date,
    actor: str,
) -> Filing:
    """Revoked from effective_on (≤ today, else 422 future_date); clawback zeroes every
    record of its loans from the start. A second revocation → 409 invalid_state."""
    filing = get_filing(db, filing_no)
    if filing.revoked_on is not None:
        raise Conflict(
            "invalid_state", f"filing {filing_no} was already revoked on {filing.revoked_on}"
        )
    _not_future(effective_on, today, "effective_on")
    before = _filing_audit(filing)
    filing.revoked_on, filing.revoke_reason, filing.clawback = effective_on, reason, clawback
    db.flush()
    audit.record(db, actor, "filing.revoke", "filing", filing_no, before, _filing_audit(filing))
    dirty.mark(db, "filing", filing_no)
    return filing


def complete_filing(
    db: Session,
    filing_no: str,
    completed_on: dt.date,
    note: str | None,
    today: dt.date,
    actor: str,
) -> Filing:
    """验收 (domain.md §2, §6 v2): the filing takes no loan starting after completed_on; its
    loans keep their subsidy. Only a filing active on the business date can be completed
    (revoked, lapsed or already completed → 409 invalid_state); completed_on is on or
    after approved_on and not after the business date (422 invalid_format, future_date).
    Nothing the close computes changes, so no scope is marked dirty."""
    filing = get_filing(db, filing_no)
    status = filing_status(db, filing, today)
    if status != FilingStatus.ACTIVE:
        raise Conflict("invalid_state", f"filing {filing_no} is {status}, not active")
    _not_future(completed_on, today, "completed_on")
    if completed_on < filing.approved_on:
        raise DomainError(
            "invalid_format",
            f"completed_on {completed_on} is before approved_on {filing.approved_on}",
            "completed_on",
        )
    before = _filing_audit(filing)
    filing.completed_on, filing.completion_note = completed_on, note
    db.flush()
    audit.record(db, actor, "filing.complete", "filing", filing_no, before, _filing_audit(filing))
    return filing


# ====================================================================== budgets
def add_budget(
    db: Session, year: int, amount_fen: int, reference: str, today: dt.date, actor: str
) -> tuple[Budget, int]:
    """An appropriation: stored and posted Dr 1001 / Cr 3001:{year} on the business date.
    Returns (budget, journal entry id)."""
    budget = Budget(year=year, amount_fen=amount_fen, reference=reference)
    db.add(budget)
    db.flush()
    entry = ledger_rules.appropriation_entry(year, amount_fen, f"appropriation {year}: {reference}")
    entry_id = ledger.post(db, entry, posted_on=today)
    audit.record(
        db,
        actor,
        "budget.create",
        "budget",
        str(budget.id),
        None,
        {
            "year": year,
            "amount": format_fen(amount_fen),
            "reference": reference,
            "entry_id": entry_id,
        },
    )
    return budget, entry_id


# ====================================================================== receivables
def _payee_exists(db: Session, kind: str, payee_id: str) -> bool:
    if db.get(Bank, payee_id) is not None:
        return True
    return kind == BatchKind.SUBSIDY and db.get(Enterprise, payee_id) is not None


@dataclass(frozen=True)
class Settlement:
    entry_id: int
    payee_id: str
    kind: str
    amount_fen: int
    settled_on: dt.date
    reference: str
    balance_fen: int  # what is still receivable after this settlement
    pool_code: str | None = None  # a compensation receivable's pool (v2)


def settle_receivable(
    db: Session,
    payee_id: str,
    kind: str,
    amount_fen: int,
    settled_on: dt.date,
    reference: str,
    today: dt.date,
    actor: str,
    pool_code: str | None = None,
) -> Settlement:
    """A receivable paid back in cash: Dr 1001 / Cr 1201:{payee} (subsidy) or Dr 1101:{pool} /
    Cr 1202:{pool}:{bank} (compensation; pool SZD unless named), on settled_on (≤ today).
    More than the receivable's balance → 422 balance_negative."""
    if not _payee_exists(db, kind, payee_id):
        raise NotFound(f"{'bank' if kind == 'compensation' else 'payee'} {payee_id}")
    pool = pools.receivable_pool(db, kind, pool_code)
    _not_future(settled_on, today, "settled_on")
    account = ledger_rules.receivable_account(kind, payee_id, pool=pool)
    balance = ledger.balance(db, account)
    if amount_fen > balance:
        raise DomainError(
            "balance_negative",
            f"{payee_id} owes {format_fen(max(0, balance))} on {account}; "
            f"{format_fen(amount_fen)} would make the receivable negative",
            "amount",
        )
    entry = ledger_rules.receivable_settlement_entry(
        kind,
        payee_id,
        amount_fen,
        f"{kind} receivable settled by {payee_id}: {reference}",
        pool=pool,
    )
    entry_id = ledger.post(db, entry, posted_on=settled_on)
    settlement = Settlement(
        entry_id, payee_id, kind, amount_fen, settled_on, reference, balance - amount_fen, pool
    )
    audit.record(
        db,
        actor,
        "receivable.settle",
        "receivable",
        account,
        {"balance": format_fen(balance)},
        {
            "balance": format_fen(settlement.balance_fen),
            "amount": format_fen(amount_fen),
            "settled_on": settled_on.isoformat(),
            "reference": reference,
            "entry_id": entry_id,
        },
    )
    return settlement
