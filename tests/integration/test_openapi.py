"""The OpenAPI document is served, browsable, and names every endpoint api.md lists."""

from __future__ import annotations

API_PATHS = {
    ("post", "/api/v1/auth/tokens"),
    ("get", "/api/v1/admin/business-date"),
    ("put", "/api/v1/admin/business-date"),
    ("post", "/api/v1/products"),
    ("get", "/api/v1/products"),
    ("post", "/api/v1/enterprises"),
    ("get", "/api/v1/enterprises"),
    ("get", "/api/v1/enterprises/{uscc}"),
    ("patch", "/api/v1/enterprises/{uscc}"),
    ("post", "/api/v1/enterprises/{uscc}/blacklist"),
    ("post", "/api/v1/enterprises/{uscc}/blacklist/{entry_id}/lift"),
    ("post", "/api/v1/filings"),
    ("get", "/api/v1/filings"),
    ("get", "/api/v1/filings/{filing_no}"),
    ("post", "/api/v1/filings/{filing_no}/revoke"),
    ("get", "/api/v1/loans/{bank_code}/{contract_no}"),
    ("put", "/api/v1/loans/{bank_code}/{contract_no}/filing"),
    ("get", "/api/v1/policy"),
    ("put", "/api/v1/policy"),
    ("get", "/api/v1/reference/lpr"),
    ("post", "/api/v1/reference/lpr"),
    ("post", "/api/v1/budgets"),
    ("get", "/api/v1/budgets"),
    ("post", "/api/v1/risk-pool/deposits"),
    ("get", "/api/v1/risk-pool"),
    ("post", "/api/v1/receivables/{payee_id}/settlements"),
    ("post", "/api/v1/loans"),
    ("get", "/api/v1/loans"),
    ("get", "/api/v1/loans/{contract_no}"),
    ("patch", "/api/v1/loans/{contract_no}"),
    ("post", "/api/v1/loans/{contract_no}/events"),
    ("post", "/api/v1/periods/{period}/close"),
    ("get", "/api/v1/periods"),
    ("get", "/api/v1/periods/{period}"),
    ("get", "/api/v1/batches"),
    ("get", "/api/v1/batches/{batch_id}"),
    ("get", "/api/v1/batches/{batch_id}/lines"),
    ("get", "/api/v1/batches/{batch_id}/payees"),
    ("get", "/api/v1/lines/{line_id}"),
    ("get", "/api/v1/claims"),
    ("get", "/api/v1/ledger/trial-balance"),
    ("get", "/api/v1/ledger/accounts/{code}/entries"),
    ("get", "/api/v1/public/publicity"),
    ("get", "/api/v1/public/publicity/{batch_id}"),
    ("get", "/api/v1/public/publicity/{batch_id}.xlsx"),
}


def test_openapi_document_lists_every_endpoint(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    served = {
        (method, path)
        for path, ops in doc["paths"].items()
        for method in ops
        if method != "parameters"
    }
    assert API_PATHS - served == set()


def test_money_is_documented_as_a_patterned_string(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    principal = schemas["LoanIn"]["properties"]["principal"]
    assert principal["type"] == "string" and principal["pattern"].startswith("^\\d{1,13}")


def test_docs_page_is_served(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and b"swagger" in response.data.lower()


def test_docs_assets_are_served_locally(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/docs/static/swagger-ui-bundle.js" in page
    with client.get("/api/v1/docs/static/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and len(asset.data) > 100_000
