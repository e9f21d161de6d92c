"""loanledger.client agrees with the server's signature check, in-process and over TCP."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from loanledger.api import auth
from loanledger.client import BankClient, canonical_query, sign, string_to_sign
from tests.support.servers import serving

BODY = '{"contract_no": "合同-1"}'.encode()


def test_sign_is_hmac_sha256_of_the_documented_string():
    expected_message = "\n".join(
        [
            "POST",
            "/api/v1/loans",
            "a=1&b=2",
            "1700000000",
            "n" * 16,
            hashlib.sha256(BODY).hexdigest(),
        ]
    )
    expected = hmac.new(b"s3cret", expected_message.encode(), hashlib.sha256).hexdigest()
    assert (
        sign("s3cret", "POST", "/api/v1/loans", "b=2&a=1", "1700000000", "n" * 16, BODY) == expected
    )


def test_string_to_sign_matches_the_server():
    args = ("GET", "/api/v1/loans", "status=active", "1700000000", "n" * 16, b"")
    assert string_to_sign(*args) == auth.string_to_sign(*args)


@pytest.mark.parametrize(
    "query", ["", "b=2&a=1", "a=2&a=10&a=1", "flag&a=1&flag=", "x=%E5%90%88&x=A"]
)
def test_canonical_query_matches_the_server(app, query):
    with app.test_request_context("/api/v1/loans", query_string=query):
        assert canonical_query(query) == auth.signing_query()


@pytest.fixture
def live_server(app, probe):
    """The app on a real socket (127.0.0.1, a free port), for the urllib transport."""
    with serving(app) as url:
        yield url


def test_bank_client_over_http(live_server, bank):
    issued = bank("BK1")
    remote = BankClient(live_server, issued.key_id, issued.secret)
    answer = remote.get("/api/v1/_probe/bank/合同 1", params={"z": "1", "a": "é"})
    assert answer.status_code == 200, answer.data
    assert answer.json["rest"] == "合同 1" and answer.json["bank_code"] == "BK1"
    written = remote.post("/api/v1/_probe/bank", json={"amount": "1.00"}, idempotency_key="k-1")
    replayed = remote.post("/api/v1/_probe/bank", json={"amount": "1.00"}, idempotency_key="k-1")
    assert written.status_code == replayed.status_code == 201
    assert replayed.json == written.json and replayed.headers["Idempotent-Replayed"] == "true"
    refused = BankClient(live_server, issued.key_id, "wrong").get("/api/v1/_probe/bank")
    assert refused.status_code == 401 and refused.json["errors"][0]["code"] == "bad_signature"
