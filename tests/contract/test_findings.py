"""Regressions of what the contract run (and probing around it) found in the API."""

from __future__ import annotations

import pytest

from tests.support.api import error_code


@pytest.mark.parametrize(
    "path", ["/batches/{}", "/batches/{}/lines", "/batches/{}/payees", "/lines/{}"]
)
@pytest.mark.parametrize("number", [2**63, 10**30])
def test_an_id_beyond_bigint_is_not_found(staff, path, number):
    """It reached the driver (SQLite: OverflowError; PostgreSQL: out of range) and answered 500."""
    answer = staff.request("auditor", "GET", path.format(number))
    assert answer.status_code == 404 and error_code(answer) == "not_found"


def test_the_largest_bigint_id_is_looked_up(staff):
    answer = staff.request("auditor", "GET", f"/batches/{2**63 - 1}")
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "method, path", [("POST", "/periods/0000-01/close"), ("GET", "/periods/0000-01")]
)
def test_year_zero_is_no_period(staff, method, path):
    """POST /periods/0000-01/close answered 500 (the date of year 0 cannot be built)."""
    staff.set_business_date("2023-04-03")
    answer = staff.request("clerk" if method == "POST" else "auditor", method, path)
    assert answer.status_code == 404 and error_code(answer) == "not_found"


def test_open_documents_are_documented_as_open_objects(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["Open"].get("additionalProperties") is not False
    assert schemas["Problem"].get("additionalProperties") is not False  # RFC 9457 extension members
