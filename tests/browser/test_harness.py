"""The harness itself: chromium reaches the live server, which serves this test's database."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_chromium_reads_the_live_server(page, shots):
    response = page.goto("/api/v1/docs")
    assert response is not None and response.status == 200
    # Swagger UI is drawn by script from the local static files and openapi.json: the title
    # shows that chromium ran it against the live server.
    title = page.locator("#swagger-ui-container .info .title")
    title.wait_for()
    assert "LoanLedger" in title.inner_text()
    shots(page, "api-docs", full_page=False)


def test_the_programme_has_a_batch_in_publicity(programme, live_server):
    """The data every flow starts from, as the live server sees it: a subsidy batch in 公示
    holding the borrower's line, on the database of this test."""
    import json
    import urllib.request

    with urllib.request.urlopen(f"{live_server.url}/api/v1/openapi.json", timeout=10) as answer:
        assert json.load(answer)["info"]["title"] == "LoanLedger"
    assert programme.batch_id and programme.line_ids
    assert programme.publicity_ends_on.isoformat() > "2025-02-01"
