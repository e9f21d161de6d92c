"""The HTTP API as the tests call it, and what they check of its answers."""

from __future__ import annotations

from typing import Any

API = "/api/v1"


def ok(response, *statuses: int):
    statuses = statuses or (200, 201)
    assert response.status_code in statuses, (
        f"{response.status_code} {response.get_data(as_text=True)}"
    )
    return response.get_json()


def error_code(response) -> str:
    """The code of the first error of a problem+json answer."""
    return response.get_json()["errors"][0]["code"]


def staff_post(staff, path: str, body: dict, role: str = "clerk"):
    return ok(staff.request(role, "POST", path, body))


def put_policy(staff, changes: dict[str, Any]):
    current = ok(staff.request("admin", "GET", "/policy"))
    return staff.request("admin", "PUT", "/policy", {**current, **changes})


def paged(staff, path: str) -> list[dict]:
    items, cursor = [], None
    sep = "&" if "?" in path else "?"
    while True:
        page = ok(
            staff.request(
                "auditor", "GET", f"{path}{sep}limit=1000" + (f"&cursor={cursor}" if cursor else "")
            )
        )
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return items


def refused(response, status, code, field=None):
    """A problem+json refusal with this status, and this code (and field) first."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    error = response.get_json()["errors"][0]
    assert error["code"] == code, response.get_json()
    if field is not None:
        assert error["field"] == field, response.get_json()
