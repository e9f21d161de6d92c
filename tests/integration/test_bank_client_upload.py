"""BankClient.upload_import: a signed multipart upload, as the integration guide shows."""

from __future__ import annotations

from tests.support.api import API

CSV = (
    "contract_no,product_code,uscc,filing_no,principal,annual_rate,start_date,maturity_date,"
    "repayment_method,interest_settlement\n"
    "U-1,BOC-SZD,914420006FA300000G,,5000000.00,3.4500,2023-02-01,2025-02-01,interest_only,quarterly\n"
    "U-2,BOC-SZD,914420006FA300000G,,5000000.00,3.4500,2023-02-01,2023-01-01,interest_only,quarterly\n"
)


def test_a_bank_uploads_a_file_and_reads_the_row_errors(world):
    boc = world["boc"]
    response = boc.upload_import("loans", "贷款.csv", CSV.encode("gb18030"))
    assert response.status_code == 202, response.get_data(as_text=True)
    job = boc.get(f"{API}/imports/{response.get_json()['import_id']}").get_json()
    assert (job["accepted"], job["rejected"]) == (1, 1)
    assert job["errors"][0]["row"] == 3 and job["errors"][0]["code"] == "maturity_not_after_start"
    again = boc.upload_import("loans", "贷款.csv", CSV.encode("gb18030"))
    assert again.status_code == 200 and again.get_json()["duplicate_of"] == job["import_id"]
