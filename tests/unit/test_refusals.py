"""One refusal type: every exception a request can be refused with is a `Refusal`, its
status fixed on its class, and answered from the same members everywhere."""

from __future__ import annotations

import pytest

from loanledger.api.errors import ApiError
from loanledger.domain.errors import DomainError, PolicyInvalid, Refusal
from loanledger.services.bulk import BulkOutcome, BulkRefused
from loanledger.services.clock import BackwardsDate
from loanledger.services.errors import Conflict, NotFound
from loanledger.services.identity import IdentityError
from loanledger.services.sign_in import TooManyAttempts
from loanledger.services.spreadsheets import CellError, FileRefused
from loanledger.web.forms import FormError


@pytest.mark.parametrize(
    "refusal, status, code, field",
    [
        (DomainError("invalid_uscc", "not a valid USCC", "uscc"), 422, "invalid_uscc", "uscc"),
        (
            Conflict("invalid_state", "P exists", "product_code"),
            409,
            "invalid_state",
            "product_code",
        ),
        (NotFound("loan C-1"), 404, "not_found", None),
        (BackwardsDate("it cannot move back"), 409, "business_date_backwards", "date"),
        (TooManyAttempts(60), 429, "rate_limited", "username"),
        (FileRefused("invalid_format", "the file is empty"), 422, "invalid_format", None),
        (CellError("a time cell"), 422, "invalid_format", None),
        (FormError("bad_date"), 422, "bad_date", None),
        (ApiError(401, "invalid_token", "the token is unknown"), 401, "invalid_token", None),
    ],
)
def test_every_refusal_has_a_status_code_message_and_field(refusal, status, code, field):
    assert isinstance(refusal, Refusal)
    assert (refusal.status, refusal.code, refusal.field) == (status, code, field)
    assert refusal.problems[0]["code"] == code and refusal.detail == refusal.message == str(refusal)


def test_a_refusal_lists_itself_unless_told_otherwise():
    refusal = DomainError("future_date", "too late", "date")
    assert refusal.problems == [{"field": "date", "code": "future_date", "message": "too late"}]
    assert (refusal.headers, refusal.members) == ({}, {})


def test_the_policy_lists_every_problem_under_one_detail():
    refusal = PolicyInvalid(
        [("close_day", "invalid_format", "too late"), ("payee", "invalid_format", "nobody")]
    )
    assert (refusal.code, refusal.field) == ("invalid_format", "close_day")
    assert refusal.message == "too late"
    assert refusal.detail == "the policy document is not valid"
    assert [p["field"] for p in refusal.problems] == ["close_day", "payee"]


def test_a_throttled_sign_in_says_when_to_retry():
    assert TooManyAttempts(42).headers == {"Retry-After": "42"}


def test_a_refused_file_answers_by_field():
    refusal = FileRefused("required", "no uscc column", "uscc")
    assert refusal.errors == [{"column": "uscc", "code": "required", "message": "no uscc column"}]
    assert refusal.problems == [{"field": "uscc", "code": "required", "message": "no uscc column"}]
    assert FileRefused("invalid_format", "the file is empty").problems[0]["field"] == "file"


def test_an_atomic_bulk_refusal_lists_every_rejected_item():
    outcome = BulkOutcome(
        accepted=1,
        rejected=1,
        results=[
            {"index": 0, "status": "created"},
            {
                "index": 1,
                "status": "rejected",
                "errors": [
                    {"field": "events[1].date", "code": "future_date", "message": "too late"}
                ],
            },
        ],
    )
    refusal = BulkRefused(outcome)
    assert (refusal.status, refusal.code) == (422, "future_date")
    assert refusal.message == "1 of 2 items were rejected; nothing was kept (atomic=true)"
    assert refusal.problems == outcome.errors()


def test_identity_refusals_are_the_sentence_alone():
    refusal = IdentityError("user ann exists")
    assert refusal.code is None and refusal.message == "user ann exists"
