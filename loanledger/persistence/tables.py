"""The database schema: typed SQLAlchemy 2 models.

Money is integer fen (`*_fen`), rates are integer percent × 10^4 (`*_e4`): SQLite keeps
NUMERIC as REAL, so nothing here is stored as a decimal. Invariants that a bug could break
are CHECK constraints; natural keys are UNIQUE so a retried write cannot duplicate a row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from loanledger.domain.vocabulary import (
    AccountKind,
    BatchKind,
    BatchStatus,
    Coverage,
    InterestSettlement,
    LineKind,
    LineStatus,
    NoticeKind,
    ObjectionStatus,
    OutboxStatus,
    PayeeType,
    PaymentStatus,
    PeriodStatus,
    PoolEligibility,
    RepaymentMethod,
    Role,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT ids on PostgreSQL; SQLite only autoincrements INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer, "sqlite")
Fen = BigInteger


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def in_list(column: str, words: Iterable[str]) -> str:
    """`column IN ('a','b')`, the SQL of a CHECK that a column holds one of `words`."""
    return f"{column} IN (" + ",".join(f"'{word}'" for word in words) + ")"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012 (SQLAlchemy's hook)

    if TYPE_CHECKING:
        # Every model here is mapped to a Table of its own (DeclarativeBase types it as any
        # FromClause), so `Model.__table__` serves insert() and write_rows as it is.
        __table__: ClassVar[Table]


Timestamp = DateTime(timezone=True)


# ---------------------------------------------------------------- system state
class BusinessDate(Base):
    """One row: the service's 'today' (domain dates never come from the wall clock)."""

    __tablename__ = "business_date"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    today: Mapped[dt.date] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class Lock(Base):
    """Lock rows for SQLite, where there are no advisory locks (PostgreSQL uses those)."""

    __tablename__ = "locks"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(128))
    acquired_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(255))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# ---------------------------------------------------------------- identities
class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(in_list("role", Role), name="role"),
        CheckConstraint(f"role <> '{Role.ENTERPRISE}' OR uscc IS NOT NULL", name="enterprise_uscc"),
        CheckConstraint(f"role <> '{Role.BANK}' OR bank_code IS NOT NULL", name="bank_code"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    uscc: Mapped[str | None] = mapped_column(String(18))
    # A bank's data officer signs in to the pages and sees only this bank (Role.BANK).
    bank_code: Mapped[str | None] = mapped_column(ForeignKey("banks.bank_code"), index=True)
    # The person's name as the pages show it (submitter, signatory); the username if unset.
    display_name: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Every signed-in page session carries the version it began under; signing out (or an
    # administrator's "sign out everywhere") moves it on, so a copied cookie stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class ApiToken(Base):
    """Bearer tokens, stored as SHA-256 of the token: a leaked table grants nothing."""

    __tablename__ = "api_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class Bank(Base):
    __tablename__ = "banks"
    bank_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class BankKey(Base):
    """HMAC keys. The secret must be recoverable to verify signatures, so it is encrypted
    (Fernet, keyed from the app secret), never stored in clear."""

    __tablename__ = "bank_keys"
    __table_args__ = (CheckConstraint("status IN ('active','revoked')", name="status"),)
    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bank_code: Mapped[str] = mapped_column(ForeignKey("banks.bank_code"), index=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)


class Nonce(Base):
    __tablename__ = "nonces"
    __table_args__ = (UniqueConstraint("key_id", "nonce"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)


class SignInFailure(Base):
    """A failed password sign-in (API or web), kept for the throttle's window (services.sign_in).
    The name as typed: unknown names count too, so the answer tells nothing about who exists."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_username_failed_at", "username", "failed_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("bank_code", "key"),
        CheckConstraint("state IN ('in_flight','done')", name="state"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    bank_code: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="done")
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)


# ---------------------------------------------------------------- reference data
class PolicyVersion(Base):
    __tablename__ = "policy_versions"
    __table_args__ = (CheckConstraint("version >= 1", name="version_positive"),)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    in_force_from: Mapped[dt.date] = mapped_column(Date)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class LprRate(Base):
    __tablename__ = "lpr_rates"
    __table_args__ = (CheckConstraint("lpr_1y_e4 > 0 AND lpr_5y_e4 > 0", name="positive"),)
    published_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    lpr_1y_e4: Mapped[int] = mapped_column(Integer)
    lpr_5y_e4: Mapped[int] = mapped_column(Integer)


class Account(Base):
    """Chart of accounts by base code (payee-level accounts add ':{payee}')."""

    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint(in_list("kind", AccountKind), name="kind"),)
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    name_zh: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))


class EnterpriseList(Base):
    """A named list of enterprises such as 《上规上限培育企业名录库》 (domain.md §2, v2)."""

    __tablename__ = "enterprise_lists"
    list_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class EnterpriseListMember(Base):
    """One membership of an enterprise in a list: from `from_on` to `to_on`, both inclusive."""

    __tablename__ = "enterprise_list_members"
    __table_args__ = (
        UniqueConstraint("list_code", "uscc", "from_on"),
        CheckConstraint("to_on IS NULL OR to_on >= from_on", name="interval"),
        Index("ix_enterprise_list_members_uscc", "uscc", "list_code"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    list_code: Mapped[str] = mapped_column(ForeignKey("enterprise_lists.list_code"))
    uscc: Mapped[str] = mapped_column(ForeignKey("enterprises.uscc"))
    from_on: Mapped[dt.date] = mapped_column(Date)
    to_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class RiskPool(Base):
    """A risk pool with its own cash, rules and batches (domain.md §2, §5, v2). `SZD` is
    made by the first migration that knows pools, so every database has it."""

    __tablename__ = "risk_pools"
    __table_args__ = (
        CheckConstraint(in_list("eligibility", PoolEligibility), name="eligibility"),
        CheckConstraint(
            f"(eligibility = '{PoolEligibility.ENTERPRISE_LIST}') = (list_code IS NOT NULL)",
            name="list_when_listed",
        ),
    )
    pool_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    operator: Mapped[str] = mapped_column(String(255))
    eligibility: Mapped[str] = mapped_column(String(16))
    list_code: Mapped[str | None] = mapped_column(ForeignKey("enterprise_lists.list_code"))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class Product(Base):
    __tablename__ = "products"
    product_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    bank_code: Mapped[str] = mapped_column(ForeignKey("banks.bank_code"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    risk_covered: Mapped[bool] = mapped_column(Boolean)  # kept: risk_pool IS NOT NULL
    # domain.md §2 (v2): the pool that can cover this product's loans, or none.
    risk_pool: Mapped[str | None] = mapped_column(ForeignKey("risk_pools.pool_code"))
    # domain.md §2 (v2): a 数字贷 product's loans can be subsidised; an ordinary one's cannot.
    subsidy_eligible: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true")
    )


class Enterprise(Base):
    __tablename__ = "enterprises"
    __table_args__ = (CheckConstraint("length(uscc) = 18", name="uscc_length"),)
    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    established_on: Mapped[dt.date] = mapped_column(Date)
    town: Mapped[str | None] = mapped_column(String(128))
    industry: Mapped[str | None] = mapped_column(String(128))
    # domain.md §2 (v2): GB/T 4754-2017, a section letter and up to four digits ('C3879').
    industry_code: Mapped[str | None] = mapped_column(String(5))
    account_holder: Mapped[str | None] = mapped_column(String(255))
    account_number: Mapped[str | None] = mapped_column(String(64))
    account_bank_name: Mapped[str | None] = mapped_column(String(255))
    # Where its notices are e-mailed (domain.notices.email_valid); none: the portal only.
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class BlacklistEntry(Base):
    __tablename__ = "blacklist_entries"
    __table_args__ = (
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="interval"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    uscc: Mapped[str] = mapped_column(ForeignKey("enterprises.uscc"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class Filing(Base):
    __tablename__ = "filings"
    __table_args__ = (
        CheckConstraint("eligible_investment_fen > 0", name="investment_positive"),
        CheckConstraint(
            "(revoked_on IS NULL) = (revoke_reason IS NULL)", name="revocation_complete"
        ),
        CheckConstraint(
            "completion_note IS NULL OR completed_on IS NOT NULL", name="completion_note_dated"
        ),
    )
    filing_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    uscc: Mapped[str] = mapped_column(ForeignKey("enterprises.uscc"), index=True)
    project_name: Mapped[str] = mapped_column(String(255))
    eligible_investment_fen: Mapped[int] = mapped_column(Fen)
    approved_on: Mapped[dt.date] = mapped_column(Date)
    revoked_on: Mapped[dt.date | None] = mapped_column(Date)
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    clawback: Mapped[bool] = mapped_column(Boolean, default=False)
    # domain.md §2 (v2): 验收. Who completed it and when is in the audit, as for a revocation.
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    completion_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class Budget(Base):
    """An appropriation (拨款) for one year; a year may get several."""

    __tablename__ = "budgets"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    amount_fen: Mapped[int] = mapped_column(Fen)
    reference: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class PoolDeposit(Base):
    __tablename__ = "pool_deposits"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    pool_code: Mapped[str] = mapped_column(ForeignKey("risk_pools.pool_code"), index=True)
    amount_fen: Mapped[int] = mapped_column(Fen)
    deposited_on: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


# ---------------------------------------------------------------- loans and events
class Loan(Base):
    __tablename__ = "loans"
    __table_args__ = (
        UniqueConstraint("bank_code", "contract_no"),
        CheckConstraint("principal_fen > 0", name="principal_positive"),
        CheckConstraint("annual_rate_e4 > 0 AND annual_rate_e4 <= 240000", name="rate_range"),
        CheckConstraint("maturity_date > start_date", name="maturity_after_start"),
        CheckConstraint(in_list("coverage", Coverage), name="coverage"),
        CheckConstraint(
            "link_problem IS NULL OR link_problem IN ('no_filing','ambiguous_filing')",
            name="link_problem",
        ),
        CheckConstraint(in_list("repayment_method", RepaymentMethod), name="repayment_method"),
        CheckConstraint(in_list("interest_settlement", InterestSettlement), name="settlement"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    bank_code: Mapped[str] = mapped_column(ForeignKey("banks.bank_code"))
    contract_no: Mapped[str] = mapped_column(String(64))
    product_code: Mapped[str] = mapped_column(ForeignKey("products.product_code"))
    uscc: Mapped[str] = mapped_column(ForeignKey("enterprises.uscc"), index=True)
    filing_no: Mapped[str | None] = mapped_column(ForeignKey("filings.filing_no"), index=True)
    link_problem: Mapped[str | None] = mapped_column(String(32))
    principal_fen: Mapped[int] = mapped_column(Fen)
    annual_rate_e4: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    maturity_date: Mapped[dt.date] = mapped_column(Date)
    original_maturity_date: Mapped[dt.date] = mapped_column(Date)
    repayment_method: Mapped[str] = mapped_column(String(32))
    interest_settlement: Mapped[str] = mapped_column(String(16))
    coverage: Mapped[str] = mapped_column(String(32))
    # The pool its product named at registration (v2: coverage is decided then, and stays).
    risk_pool: Mapped[str | None] = mapped_column(ForeignKey("risk_pools.pool_code"))
    registered_on: Mapped[dt.date] = mapped_column(Date)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


EVENT_TYPES = (
    "disbursement",
    "repayment",
    "interest",
    "rate_change",
    "delinquency",
    "recovery",
    "settlement",
    "void",
)


# What each type cannot do without (domain.events.EVENT_FIELDS, in columns): a row missing one
# would stop every close of its loan (issue 14 item 1), so the database refuses it too.
EVENT_REQUIRED_COLUMNS = (
    "(type NOT IN ('disbursement','repayment','recovery')"
    " OR (on_date IS NOT NULL AND amount_fen IS NOT NULL))"
    " AND (type <> 'interest' OR (on_date IS NOT NULL AND interest_fen IS NOT NULL"
    " AND period_start IS NOT NULL AND period_end IS NOT NULL))"
    " AND (type <> 'rate_change' OR (on_date IS NOT NULL AND rate_e4 IS NOT NULL))"
    " AND (type <> 'delinquency' OR (on_date IS NOT NULL AND days_past_due IS NOT NULL))"
    " AND (type <> 'settlement' OR on_date IS NOT NULL)"
    " AND (type <> 'void' OR (target_event_id IS NOT NULL AND reason IS NOT NULL))"
)


class LoanEvent(Base):
    """One bank-reported fact. Append-only: a correction is a `void` event, never an UPDATE.
    The id is the order received (ties in the rules go to the later-received event)."""

    __tablename__ = "loan_events"
    __table_args__ = (
        UniqueConstraint("bank_code", "event_id"),
        CheckConstraint(in_list("type", EVENT_TYPES), name="type"),
        CheckConstraint("amount_fen IS NULL OR amount_fen > 0", name="amount_positive"),
        CheckConstraint(EVENT_REQUIRED_COLUMNS, name="required_columns"),
        CheckConstraint("interest_fen IS NULL OR interest_fen >= 0", name="interest_sign"),
        CheckConstraint("penalty_fen IS NULL OR penalty_fen >= 0", name="penalty_sign"),
        CheckConstraint("compound_fen IS NULL OR compound_fen >= 0", name="compound_sign"),
        CheckConstraint("days_past_due IS NULL OR days_past_due >= 0", name="dpd_sign"),
        CheckConstraint("period_end IS NULL OR period_end > period_start", name="period_order"),
        Index("ix_loan_events_loan_type", "loan_id", "type"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    bank_code: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(64))
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    type: Mapped[str] = mapped_column(String(16))
    # `date` of disbursement/repayment/recovery/settlement, `effective_on`, `as_of`, `paid_on`
    # all land in `on_date` so one index serves "facts dated ≤ d".
    on_date: Mapped[dt.date | None] = mapped_column(Date)
    amount_fen: Mapped[int | None] = mapped_column(Fen)
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    interest_fen: Mapped[int | None] = mapped_column(Fen)
    penalty_fen: Mapped[int | None] = mapped_column(Fen)
    compound_fen: Mapped[int | None] = mapped_column(Fen)
    rate_e4: Mapped[int | None] = mapped_column(Integer)
    days_past_due: Mapped[int | None] = mapped_column(Integer)
    classification: Mapped[str | None] = mapped_column(String(32))
    target_event_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class LoanAmendment(Base):
    """PATCH /loans/{contract_no}: an extension or a principal amendment, kept as history."""

    __tablename__ = "loan_amendments"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class DirtyMark(Base):
    """What changed since the last close: the close recomputes only these scopes.
    scope: 'loan' (key = loan id), 'filing', 'enterprise', or 'all'."""

    __tablename__ = "dirty_marks"
    __table_args__ = (
        CheckConstraint("scope IN ('loan','filing','enterprise','all')", name="scope"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))


# ---------------------------------------------------------------- close results
class Period(Base):
    __tablename__ = "periods"
    __table_args__ = (CheckConstraint(in_list("status", PeriodStatus), name="status"),)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    closed_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    business_date: Mapped[dt.date | None] = mapped_column(Date)


class RecordState(Base):
    """Per interest record: the last computed figures and the total granted so far.
    Derived (rebuildable from lines); kept so an incremental close need not recompute
    records that no new data can change."""

    __tablename__ = "record_states"
    __table_args__ = (
        CheckConstraint("computed_fen >= 0", name="computed_sign"),
        CheckConstraint("capped_fen >= 0", name="capped_sign"),
        CheckConstraint("owed_fen >= 0", name="owed_sign"),
        Index("ix_record_states_uscc_year", "uscc", "year"),
    )
    event_pk: Mapped[int] = mapped_column(ForeignKey("loan_events.id"), primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    uscc: Mapped[str] = mapped_column(String(18))
    year: Mapped[int] = mapped_column(Integer)
    computed_fen: Mapped[int] = mapped_column(Fen)
    capped_fen: Mapped[int] = mapped_column(Fen)
    owed_fen: Mapped[int] = mapped_column(Fen)
    granted_fen: Mapped[int] = mapped_column(Fen)
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    policy_version: Mapped[int] = mapped_column(Integer)


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (
        CheckConstraint(in_list("kind", BatchKind), name="kind"),
        # v2: one subsidy batch per period, one compensation batch per pool per period.
        CheckConstraint(
            f"(kind = '{BatchKind.COMPENSATION}') = (pool_code IS NOT NULL)", name="pool_when_paid"
        ),
        Index(
            "uq_batches_subsidy_period",
            "period",
            unique=True,
            sqlite_where=text(f"kind = '{BatchKind.SUBSIDY}'"),
            postgresql_where=text(f"kind = '{BatchKind.SUBSIDY}'"),
        ),
        Index(
            "uq_batches_compensation_period_pool",
            "period",
            "pool_code",
            unique=True,
            sqlite_where=text(f"kind = '{BatchKind.COMPENSATION}'"),
            postgresql_where=text(f"kind = '{BatchKind.COMPENSATION}'"),
        ),
        CheckConstraint(in_list("status", BatchStatus), name="status"),
        CheckConstraint("total_fen >= 0", name="total_sign"),
        CheckConstraint(
            "approved_by IS NULL OR submitted_by IS NULL OR approved_by <> submitted_by",
            name="maker_checker",
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"))
    kind: Mapped[str] = mapped_column(String(16))
    pool_code: Mapped[str | None] = mapped_column(ForeignKey("risk_pools.pool_code"))
    status: Mapped[str] = mapped_column(String(16))
    total_fen: Mapped[int] = mapped_column(Fen)
    line_count: Mapped[int] = mapped_column(Integer)
    payee_count: Mapped[int] = mapped_column(Integer)
    publicity_ends_on: Mapped[dt.date | None] = mapped_column(Date)
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    # The business date of the submission (migration 0019); a rejection clears it.
    submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    # The business date of the approval: no payment of the batch is dated before it.
    approved_on: Mapped[dt.date | None] = mapped_column(Date)
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    rejected_by: Mapped[str | None] = mapped_column(String(64))
    rejected_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    # domain.md §7 (v2): the year whose budget the approval was charged to (its business date).
    budget_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class Line(Base):
    """One line of a batch. `record_key` names what the line is about, so one record gets
    at most one line per close: 'i:{event pk}', 'c:{claim id}', 's:{claim id}',
    'r:{event pk}', 'k:{kind}:{payee}' (a receivable netted), 'f:{batch payee id}' (a failed
    payment carried)."""

    __tablename__ = "lines"
    __table_args__ = (
        UniqueConstraint("period", "record_key"),
        CheckConstraint(in_list("kind", LineKind), name="kind"),
        CheckConstraint("amount_fen <> 0", name="amount_nonzero"),
        CheckConstraint(in_list("payee_type", PayeeType), name="payee_type"),
        CheckConstraint(in_list("status", LineStatus), name="status"),
        Index("ix_lines_batch_payee", "batch_id", "payee_id"),
        # A loan's lines (the loan view, services/read/loans.loan_lines): without it every
        # view scanned the table (25 ms at 100,000 lines on PostgreSQL).
        Index("ix_lines_bank_contract", "bank_code", "contract_no"),
        # A batch's lines page (keyset on id, services/read/batches.batch_lines): the range
        # of one batch in id order, however many batches came before it.
        Index("ix_lines_batch_line", "batch_id", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    period: Mapped[str] = mapped_column(String(7))
    record_key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    payee_type: Mapped[str] = mapped_column(String(16))
    payee_id: Mapped[str] = mapped_column(String(32))
    bank_code: Mapped[str | None] = mapped_column(String(32))
    contract_no: Mapped[str | None] = mapped_column(String(64))
    event_id: Mapped[str | None] = mapped_column(String(64))
    event_pk: Mapped[int | None] = mapped_column(ForeignKey("loan_events.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    interest_fen: Mapped[int | None] = mapped_column(Fen)
    computed_fen: Mapped[int | None] = mapped_column(Fen)
    capped_fen: Mapped[int | None] = mapped_column(Fen)
    amount_fen: Mapped[int] = mapped_column(Fen)
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    policy_version: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=LineStatus.ACTIVE.value)
    breakdown: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class BatchPayee(Base):
    __tablename__ = "batch_payees"
    __table_args__ = (
        UniqueConstraint("batch_id", "payee_id"),
        CheckConstraint("pays_fen >= 0", name="pays_sign"),
        CheckConstraint("carried_out_fen <= 0", name="carried_sign"),
        CheckConstraint("pays_fen + carried_out_fen = total_fen", name="split"),
        CheckConstraint(in_list("payment_status", PaymentStatus), name="payment_status"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    payee_type: Mapped[str] = mapped_column(String(16))
    payee_id: Mapped[str] = mapped_column(String(32))
    total_fen: Mapped[int] = mapped_column(Fen)
    pays_fen: Mapped[int] = mapped_column(Fen)
    carried_out_fen: Mapped[int] = mapped_column(Fen)
    payment_status: Mapped[str] = mapped_column(String(16))
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(255))
    # A failed payment is carried into the next batch of the same kind that has lines for
    # the payee; this names that batch, so it is carried once.
    carried_to_batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    # What is paid, and where, as it was at submission (domain.md §7 v2): copied by
    # services.payouts.submit (again on a resubmission); a bank payee has a name, no account.
    payee_name: Mapped[str | None] = mapped_column(String(255))
    account_holder: Mapped[str | None] = mapped_column(String(255))
    account_number: Mapped[str | None] = mapped_column(String(64))
    account_bank_name: Mapped[str | None] = mapped_column(String(255))


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("loan_id"),
        CheckConstraint("loss_base_fen > 0", name="loss_base_positive"),
        CheckConstraint("compensation_fen >= 0", name="compensation_sign"),
        CheckConstraint("lined_fen >= 0 AND lined_fen <= compensation_fen", name="lined_range"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    period: Mapped[str] = mapped_column(ForeignKey("periods.period"))
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"))
    pool_code: Mapped[str] = mapped_column(ForeignKey("risk_pools.pool_code"), index=True)
    bank_code: Mapped[str] = mapped_column(String(32), index=True)
    contract_no: Mapped[str] = mapped_column(String(64))
    npl_date: Mapped[dt.date] = mapped_column(Date)
    loss_base_fen: Mapped[int] = mapped_column(Fen)
    ratio: Mapped[str] = mapped_column(String(8))
    compensation_fen: Mapped[int] = mapped_column(Fen)
    lined_fen: Mapped[int] = mapped_column(Fen, default=0)
    policy_version: Mapped[int] = mapped_column(Integer)


class RecoveryShare(Base):
    """The pool's share of one recovery event, as lined so far (state, like RecordState)."""

    __tablename__ = "recovery_shares"
    event_pk: Mapped[int] = mapped_column(ForeignKey("loan_events.id"), primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    lined_fen: Mapped[int] = mapped_column(Fen)


# ---------------------------------------------------------------- ledger
class JournalEntry(Base):
    __tablename__ = "journal_entries"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    memo: Mapped[str] = mapped_column(Text)
    posted_on: Mapped[dt.date] = mapped_column(Date, index=True)
    period: Mapped[str | None] = mapped_column(String(7))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class Posting(Base):
    """Debit positive, credit negative. Σ per entry = 0 is checked in code (domain.ledger)
    and, on PostgreSQL, by a deferred constraint trigger (see migrations)."""

    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("amount_fen <> 0", name="amount_nonzero"),
        Index("ix_postings_account", "account", "entry_id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(48))
    base_account: Mapped[str] = mapped_column(ForeignKey("accounts.code"))
    amount_fen: Mapped[int] = mapped_column(Fen)


# ---------------------------------------------------------------- bank control totals
class ControlTotal(Base):
    """A bank's own count and sum of its `interest` events paid in a period (POST
    /control-totals). Every submission is kept; the latest (highest id) for a bank and
    period is the one that counts."""

    __tablename__ = "control_totals"
    __table_args__ = (
        CheckConstraint("interest_records >= 0", name="records_sign"),
        CheckConstraint("interest_total_fen >= 0", name="total_sign"),
        Index("ix_control_totals_bank_period", "bank_code", "period", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    bank_code: Mapped[str] = mapped_column(ForeignKey("banks.bank_code"))
    period: Mapped[str] = mapped_column(String(7), index=True)
    interest_records: Mapped[int] = mapped_column(Integer)
    interest_total_fen: Mapped[int] = mapped_column(Fen)
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


# ---------------------------------------------------------------- file imports
IMPORT_STATUSES = ("pending", "running", "done", "failed")


class ImportJob(Base):
    """One uploaded file (POST /imports). `pending` → `running` → `done`, or `failed` when
    the file was refused as a whole (then nothing but this row and its error was kept).
    `file_key` is the sha256 while the import counts (NULL once failed): the same file from
    the same bank is recognised, and a refused one may be sent again.

    A file left to the worker (services/import_worker.py) waits in `import_files`;
    `received_on` is the business date it is judged by, `attempts` counts the claims (the
    claimant's token), `lines_done` the rows already committed chunk by chunk (where a
    retaken job resumes), `heartbeat_at` the last sign of life of its worker."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        UniqueConstraint("bank_code", "file_key"),
        CheckConstraint("kind IN ('loans','events')", name="kind"),
        CheckConstraint(in_list("status", IMPORT_STATUSES), name="status"),
        CheckConstraint(
            "status <> 'done' OR accepted + duplicates + rejected = rows", name="counts_add_up"
        ),
        CheckConstraint("(status = 'failed') = (file_key IS NULL)", name="failed_has_no_key"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    bank_code: Mapped[str] = mapped_column(ForeignKey("banks.bank_code"))
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    file_key: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    file_format: Mapped[str | None] = mapped_column(String(8))
    encoding: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    header_row: Mapped[int | None] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    lines_done: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    worker: Mapped[str | None] = mapped_column(String(128))


class ImportFile(Base):
    """The uploaded bytes of an import left to the worker, in the database so that a worker
    on any machine can take it; deleted when the import is done or failed."""

    __tablename__ = "import_files"
    import_id: Mapped[int] = mapped_column(
        Id, ForeignKey("import_jobs.id"), primary_key=True, autoincrement=False
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ImportRowError(Base):
    """One problem of an import: `row` as a spreadsheet shows it (NULL for the file as a
    whole), `column_name` the field (NULL for the row as a whole)."""

    __tablename__ = "import_errors"
    __table_args__ = (Index("ix_import_errors_import", "import_id", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id"))
    row: Mapped[int | None] = mapped_column(Integer)
    column_name: Mapped[str | None] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)


# ---------------------------------------------------------------- payout month
CLOSE_JOB_STATUSES = ("pending", "running", "done", "failed")
CLOSE_JOB_OPEN = ("pending", "running")


class CloseJob(Base):
    """A month's close asked for on the pages (services/close_jobs.py): `pending` → `running`
    → `done`, or `failed` with the reason (`error_code`, `error`). A worker (the scheduler or
    `loanledger worker`) claims it like an import (services/leases.py): `attempts` is the
    claimant's token, `heartbeat_at` its last sign of life. `requested_on` is the business
    date the close is judged by; `loans_done` of `loans_total` is the progress (PostgreSQL
    shows it while the close runs; SQLite has one writer, so there it jumps to the end).
    One open job per period, enforced by a partial unique index."""

    __tablename__ = "close_jobs"
    __table_args__ = (
        CheckConstraint(in_list("status", CLOSE_JOB_STATUSES), name="status"),
        CheckConstraint("loans_done >= 0 AND loans_total >= 0", name="progress_sign"),
        Index(
            "uq_close_jobs_open_period",
            "period",
            unique=True,
            sqlite_where=text(in_list("status", CLOSE_JOB_OPEN)),
            postgresql_where=text(in_list("status", CLOSE_JOB_OPEN)),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    loans_done: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    loans_total: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    worker: Mapped[str | None] = mapped_column(String(128))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)


class Objection(Base):
    """An enterprise's objection to one of its lines during 公示 (domain.md §7)."""

    __tablename__ = "objections"
    __table_args__ = (
        CheckConstraint(in_list("status", ObjectionStatus), name="status"),
        CheckConstraint(
            f"(status = '{ObjectionStatus.OPEN}') = (resolved_by IS NULL)",
            name="resolved_when_closed",
        ),
        # One open objection per line, also when two arrive at once.
        Index(
            "uq_objections_open_line",
            "line_id",
            unique=True,
            sqlite_where=text(f"status = '{ObjectionStatus.OPEN}'"),
            postgresql_where=text(f"status = '{ObjectionStatus.OPEN}'"),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ObjectionStatus.OPEN.value)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)


class Notice(Base):
    """A notice to an enterprise (站内信, api.md `GET /me/notices`), written in the transaction
    of the change it tells of. `key` names that change (domain.notices): a second write of
    the same notice is a conflict that adds nothing."""

    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint(in_list("kind", NoticeKind), name="kind"),
        Index("ix_notices_uscc_id", "uscc", "id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    uscc: Mapped[str] = mapped_column(ForeignKey("enterprises.uscc"))
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(255), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)


class OutboxMessage(Base):
    """The e-mail of one notice (services/mailer.py): due at `next_attempt_at`; a sender
    claims it by moving that forward (a lease), then marks it sent or schedules a retry.
    One row per notice (UNIQUE), so a notice is never queued twice."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(in_list("status", OutboxStatus), name="status"),
        CheckConstraint("attempts >= 0", name="attempts_sign"),
        CheckConstraint(
            f"(status = '{OutboxStatus.SENT}') = (sent_at IS NOT NULL)", name="sent_when_dated"
        ),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(32), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class CalendarDay(Base):
    """An administrator's correction to the working-day calendar: a holiday, or a 调休
    make-up working day. It overrides chinese-calendar's data and the Monday–Friday fallback."""

    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("kind IN ('holiday','workday')", name="kind"),)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class IntegrityCheck(Base):
    """The scheduler's daily integrity check (trial balance, reconciliation of the latest
    closed period): kept so every API process's /readyz can report the latest one."""

    __tablename__ = "integrity_checks"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    checked_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
