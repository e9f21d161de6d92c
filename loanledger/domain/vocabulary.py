"""The service's words, each set defined once (design.md "One vocabulary").

Statuses, kinds and roles that the database, the API, the pages and the CLI all spell the
same way. Each is a `StrEnum`: a member is the string itself (`BatchStatus.PAID == "paid"`,
`f"{BatchStatus.PAID}"` is `paid`, JSON writes `"paid"`), so what goes on the wire and into
the database is unchanged. The CHECK constraints (persistence.tables), the validators and
the form and CLI choices are built from these; a member's order is the order those lists
keep. The ledger's account codes and names live beside the ledger (domain.ledger).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


def words(vocabulary: Iterable[StrEnum]) -> tuple[str, ...]:
    """The plain strings of a vocabulary or a subset of one, in order (for validators,
    choices and SQL)."""
    return tuple(member.value for member in vocabulary)


# ---------------------------------------------------------------- people
class Role(StrEnum):
    ADMIN = "admin"
    CLERK = "clerk"
    APPROVER = "approver"
    AUDITOR = "auditor"
    ENTERPRISE = "enterprise"
    BANK = "bank"  # a partner bank's data officer in the pages: its own bank only


STAFF_ROLES: tuple[Role, ...] = (Role.ADMIN, Role.CLERK, Role.APPROVER, Role.AUDITOR)


def role_may_act_as(role: str, wanted_roles: Iterable[str]) -> bool:
    """A user of `role` may do what any of `wanted_roles` may; an admin may act in every
    staff role (still bound by maker-checker), never as an enterprise."""
    wanted = tuple(wanted_roles)
    return role in wanted or (role == Role.ADMIN and any(r in STAFF_ROLES for r in wanted))


# ---------------------------------------------------------------- batches and lines (domain.md §7)
class BatchKind(StrEnum):
    SUBSIDY = "subsidy"
    COMPENSATION = "compensation"


class BatchStatus(StrEnum):
    """publicity → ready → submitted → approved → paid | partially_paid (api.md)."""

    PUBLICITY = "publicity"
    READY = "ready"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"


class LineKind(StrEnum):
    INTEREST = "interest"
    ADJUSTMENT = "adjustment"
    CARRIED = "carried"
    CLAIM = "claim"
    SHORTFALL = "shortfall"
    RECOVERY_SHARE = "recovery_share"


# The lines an enterprise may object to: those about an interest record (carried lines only
# move receivables and payments between batches).
OBJECTABLE_LINE_KINDS: tuple[LineKind, ...] = (LineKind.INTEREST, LineKind.ADJUSTMENT)


class LineStatus(StrEnum):
    ACTIVE = "active"
    HELD = "held"  # after an upheld objection


class PayeeType(StrEnum):
    ENTERPRISE = "enterprise"
    BANK = "bank"


class PaymentStatus(StrEnum):
    """A batch payee's payment: none (nothing to pay), pending, then paid or failed."""

    NONE = "none"
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"


# What a clerk records for a payee (POST /batches/{id}/payments).
PAYMENT_RESULTS: tuple[PaymentStatus, ...] = (PaymentStatus.PAID, PaymentStatus.FAILED)


class ObjectionStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


# How a clerk resolves an open objection.
OBJECTION_RESOLUTIONS: tuple[ObjectionStatus, ...] = (
    ObjectionStatus.UPHELD,
    ObjectionStatus.DISMISSED,
)


class ClaimStatus(StrEnum):
    """A claim as shown (GET /claims): computed from its lines and their payments."""

    LINED = "lined"  # fully lined, not all paid yet
    SHORTFALL = "shortfall"  # the pool's cash did not cover it all yet
    PAID = "paid"


class PeriodStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


# ---------------------------------------------------------------- notices to enterprises
class NoticeKind(StrEnum):
    """What a notice (站内信, and its e-mail) tells an enterprise (api.md, `GET /me/notices`)."""

    PUBLICITY = "publicity"  # its lines entered 公示
    PAID = "paid"
    PAYMENT_FAILED = "payment_failed"
    OBJECTION_RESOLVED = "objection_resolved"
    FILING_LAPSE_SOON = "filing_lapse_soon"  # 30 days before a filing of its lapses


class OutboxStatus(StrEnum):
    """An e-mail of a notice: pending (due at next_attempt_at) → sent | failed_permanently."""

    PENDING = "pending"
    SENT = "sent"
    FAILED_PERMANENTLY = "failed_permanently"


# ---------------------------------------------------------------- loans and filings
class LoanStatus(StrEnum):
    """A loan as of the business date (GET /loans): computed, not stored."""

    ACTIVE = "active"
    SETTLED = "settled"
    NPL = "npl"


class Coverage(StrEnum):
    """Whether a loan is covered by the risk pool (domain.md §5), fixed at registration."""

    COVERED = "covered"
    NOT_COVERED = "not_covered"
    NOT_COVERED_CAPACITY = "not_covered_capacity"
    NOT_COVERED_ELIGIBILITY = "not_covered_eligibility"  # (v2) the pool's eligibility failed


class PoolEligibility(StrEnum):
    """Which loans a risk pool can cover (domain.md §2, §5, v2)."""

    FILING = "filing"  # linked at registration to a filing neither revoked nor lapsed
    ENTERPRISE_LIST = "enterprise_list"  # the enterprise is on the pool's list on start_date
    ANY = "any"


class RepaymentMethod(StrEnum):
    BULLET = "bullet"
    EQUAL_INSTALLMENT = "equal_installment"
    EQUAL_PRINCIPAL = "equal_principal"
    INTEREST_ONLY = "interest_only"


class InterestSettlement(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class WindowAnchor(StrEnum):
    """Whose first subsidised disbursement opens a loan's subsidy window (domain.md §3, §4.2
    item 3, v2): the enterprise's, the filing's, or the loan's own (version 1's rule)."""

    ENTERPRISE = "enterprise"
    FILING = "filing"
    LOAN = "loan"


class FilingStatus(StrEnum):
    """A filing on a date: computed from its revocation, its completion (验收, v2) and the
    lapse rule, not stored."""

    ACTIVE = "active"
    REVOKED = "revoked"
    LAPSED = "lapsed"
    COMPLETED = "completed"


# ---------------------------------------------------------------- ledger (domain.md §10)
class AccountKind(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    NET_ASSETS = "net_assets"
    EXPENSE = "expense"
