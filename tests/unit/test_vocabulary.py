"""One vocabulary (domain.vocabulary): the database's CHECK lists, the validators and the
pages spell each set as its enum does, and the admin rule in one function."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest
from sqlalchemy import CheckConstraint

from loanledger.domain import ledger
from loanledger.domain.vocabulary import (
    OBJECTION_RESOLUTIONS,
    PAYMENT_RESULTS,
    STAFF_ROLES,
    AccountKind,
    BatchKind,
    BatchStatus,
    Coverage,
    FilingStatus,
    InterestSettlement,
    LineKind,
    LineStatus,
    LoanStatus,
    NoticeKind,
    ObjectionStatus,
    OutboxStatus,
    PayeeType,
    PaymentStatus,
    PeriodStatus,
    PoolEligibility,
    RepaymentMethod,
    Role,
    role_may_act_as,
    words,
)
from loanledger.persistence.tables import Base

IN_LIST = re.compile(r"^(\w+) IN \(((?:'[a-z_]+',)*'[a-z_]+')\)$")

# Every CHECK that a column holds one of a list, and the vocabulary the list comes from.
CHECK_VOCABULARY: dict[str, type[StrEnum]] = {
    "ck_users_role": Role,
    "ck_accounts_kind": AccountKind,
    "ck_loans_coverage": Coverage,
    "ck_loans_repayment_method": RepaymentMethod,
    "ck_loans_settlement": InterestSettlement,
    "ck_periods_status": PeriodStatus,
    "ck_batches_kind": BatchKind,
    "ck_batches_status": BatchStatus,
    "ck_lines_kind": LineKind,
    "ck_lines_payee_type": PayeeType,
    "ck_lines_status": LineStatus,
    "ck_batch_payees_payment_status": PaymentStatus,
    "ck_objections_status": ObjectionStatus,
    "ck_risk_pools_eligibility": PoolEligibility,
    "ck_notices_kind": NoticeKind,
    "ck_outbox_status": OutboxStatus,
}
# IN lists that name a set no other module spells (see the report of the vocabulary change).
OWN_LISTS = {
    "ck_bank_keys_status": ("active", "revoked"),
    "ck_idempotency_keys_state": ("in_flight", "done"),
    "ck_loan_events_type": (
        "disbursement",
        "repayment",
        "interest",
        "rate_change",
        "delinquency",
        "recovery",
        "settlement",
        "void",
    ),
    "ck_dirty_marks_scope": ("loan", "filing", "enterprise", "all"),
    "ck_import_jobs_kind": ("loans", "events"),
    "ck_import_jobs_status": ("pending", "running", "done", "failed"),
    "ck_close_jobs_status": ("pending", "running", "done", "failed"),
    "ck_calendar_days_kind": ("holiday", "workday"),
}


def _in_lists() -> dict[str, tuple[str, ...]]:
    found = {}
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint):
                match = IN_LIST.match(str(constraint.sqltext))
                if match:
                    found[constraint.name] = tuple(w.strip("'") for w in match.group(2).split(","))
    return found


def test_every_check_list_is_its_vocabulary_in_order():
    lists = _in_lists()
    assert set(lists) == set(CHECK_VOCABULARY) | set(OWN_LISTS)
    for name, vocabulary in CHECK_VOCABULARY.items():
        assert lists[name] == words(vocabulary), name
    for name, spelled in OWN_LISTS.items():
        assert lists[name] == spelled, name


def test_a_member_is_its_string():
    assert BatchStatus.SUBMITTED == "submitted" and isinstance(BatchStatus.SUBMITTED, str)
    assert f"{BatchStatus.PARTIALLY_PAID}" == str(BatchStatus.PARTIALLY_PAID) == "partially_paid"
    assert "paid" in {PaymentStatus.PAID} and {BatchStatus.PAID: 1}.get("paid") == 1
    assert words(PeriodStatus) == ("open", "closed") and all(
        type(w) is str for w in words(PeriodStatus)
    )


def test_the_subsets_are_members():
    assert STAFF_ROLES == (Role.ADMIN, Role.CLERK, Role.APPROVER, Role.AUDITOR)
    assert PAYMENT_RESULTS == ("paid", "failed")
    assert OBJECTION_RESOLUTIONS == ("upheld", "dismissed")


@pytest.mark.parametrize(
    "role,wanted,may",
    [
        ("clerk", ("clerk",), True),
        ("clerk", ("approver",), False),
        ("approver", ("clerk", "approver"), True),
        ("auditor", ("auditor", "admin"), True),
        ("admin", ("clerk",), True),  # admin acts in every staff role
        ("admin", ("approver",), True),
        ("admin", ("auditor",), True),
        ("admin", ("admin",), True),
        ("admin", ("enterprise",), False),  # but never as an enterprise
        ("admin", ("clerk", "enterprise"), True),
        ("enterprise", ("enterprise",), True),
        ("enterprise", STAFF_ROLES, False),
        ("clerk", ("admin",), False),
        ("clerk", (), False),
        ("admin", (), False),
        ("stranger", ("clerk",), False),
    ],
)
def test_role_may_act_as(role, wanted, may):
    assert role_may_act_as(role, wanted) is may
    assert role_may_act_as(Role(role) if role in words(Role) else role, iter(wanted)) is may


def test_the_chart_of_accounts_uses_the_account_kinds():
    assert set(ledger.ACCOUNT_KINDS.values()) == set(AccountKind)
    assert set(ledger.ACCOUNT_KINDS) == set(ledger.ACCOUNT_NAMES) == set(ledger.ACCOUNT_NAMES_ZH)
    assert ledger.PAYABLE_BASE == {BatchKind.SUBSIDY: "2001", BatchKind.COMPENSATION: "2002"}
    assert ledger.RECEIVABLE_BASE == {BatchKind.SUBSIDY: "1201", BatchKind.COMPENSATION: "1202"}


@pytest.mark.parametrize(
    "vocabulary",
    [
        BatchKind,
        BatchStatus,
        LineKind,
        LineStatus,
        PayeeType,
        PaymentStatus,
        ObjectionStatus,
        PeriodStatus,
        LoanStatus,
        Coverage,
        FilingStatus,
        STAFF_ROLES,
    ],
)
def test_the_pages_have_a_name_for_every_word(vocabulary):
    from loanledger.web.i18n import status_text

    for word in vocabulary:
        assert status_text(word) != word, word
