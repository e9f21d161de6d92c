"""The HTTP API as the tests call it, and what they check of its answers."""
from __future__ import annotations

API = "/api/v1"


def refused(response, status, code, field=None):
    """A problem+json refusal with this status, and this code (and field) first."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    error = response.get_json()["errors"][0]
    assert error["code"] == code, response.get_json()
    if field is not None:
        assert error["field"] == field, response.get_json()
