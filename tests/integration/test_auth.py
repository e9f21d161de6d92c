"""Bank signatures, staff tokens, roles, body limits and idempotent bank writes."""

from __future__ import annotations

import dataclasses
import time

import pytest

from loanledger.client import TestClientBank, new_nonce, sign
from loanledger.services.identity import IdentityError
from tests.support.api import error_code
from tests.support.probe import PROBE


def _send_with(bank_client: TestClientBank, method: str, path: str, **changes):
    """A signed request whose headers are then altered (or dropped, with None)."""
    prepared = bank_client.prepare(method, path, json={"a": 1} if method == "POST" else None)
    for name, value in changes.items():
        header = name.replace("_", "-")
        if value is None:
            prepared.headers.pop(header)
        else:
            prepared.headers[header] = value
    return bank_client.send(prepared)


# ---------------------------------------------------------------- signatures
def test_signed_get_and_post_are_accepted(bank):
    bk = bank("BK1")
    got = bk.get(f"{PROBE}/bank")
    assert got.status_code == 200 and got.get_json()["bank_code"] == "BK1"
    posted = bk.post(f"{PROBE}/bank", json={"x": "1.00"})
    assert posted.status_code == 201 and posted.get_json()["echo"] == {"x": "1.00"}


def test_query_and_utf8_path_are_signed_as_sent(bank):
    bk = bank("BK1")
    answer = bk.get(
        f"{PROBE}/bank/合同 No.7", params={"status": "active", "b": ["2", "1"], "a": "x y"}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["rest"] == "合同 No.7"
    assert answer.get_json()["args"] == {"a": ["x y"], "b": ["2", "1"], "status": ["active"]}


def test_unknown_key(bank, client):
    real = bank("BK1")
    stranger = TestClientBank(client, "k_0000000000000000", real.secret)
    answer = stranger.get(f"{PROBE}/bank")
    assert answer.status_code == 401 and error_code(answer) == "unknown_key"
    assert answer.mimetype == "application/problem+json"


def test_bad_signature(bank, client):
    real = bank("BK1")
    forger = TestClientBank(client, real.key_id, real.secret + "x")
    answer = forger.get(f"{PROBE}/bank")
    assert answer.status_code == 401 and error_code(answer) == "bad_signature"


def test_tampered_body_is_a_bad_signature(bank):
    bk = bank("BK1")
    prepared = bk.prepare("POST", f"{PROBE}/bank", json={"amount": "1.00"})
    prepared.body = b'{"amount": "9.00"}'
    answer = bk.send(prepared)
    assert answer.status_code == 401 and error_code(answer) == "bad_signature"


@pytest.mark.parametrize("offset", [-301, 301])
def test_timestamp_skew(bank, offset):
    bk = bank("BK1")
    path, timestamp, nonce = f"{PROBE}/bank", str(int(time.time()) + offset), new_nonce()
    answer = _send_with(
        bk,
        "GET",
        path,
        X_LL_Timestamp=timestamp,
        X_LL_Nonce=nonce,
        X_LL_Signature=sign(bk.secret, "GET", path, "", timestamp, nonce, b""),
    )
    assert answer.status_code == 401 and error_code(answer) == "timestamp_skew"


def test_timestamp_within_skew_is_accepted(bank):
    bk = bank("BK1")
    path, timestamp, nonce = f"{PROBE}/bank", str(int(time.time()) - 290), new_nonce()
    answer = _send_with(
        bk,
        "GET",
        path,
        X_LL_Timestamp=timestamp,
        X_LL_Nonce=nonce,
        X_LL_Signature=sign(bk.secret, "GET", path, "", timestamp, nonce, b""),
    )
    assert answer.status_code == 200


def test_nonce_reused(bank):
    bk = bank("BK1")
    prepared = bk.prepare("GET", f"{PROBE}/bank")
    assert bk.send(prepared).status_code == 200
    again = bk.send(dataclasses.replace(prepared))
    assert again.status_code == 401 and error_code(again) == "nonce_reused"


@pytest.mark.parametrize("header", ["X-LL-Key", "X-LL-Timestamp", "X-LL-Nonce", "X-LL-Signature"])
def test_missing_header(bank, header):
    bk = bank("BK1")
    answer = _send_with(bk, "GET", f"{PROBE}/bank", **{header.replace("-", "_"): None})
    assert answer.status_code == 400 and error_code(answer) == "missing_header"


def test_missing_idempotency_key_on_a_write(bank):
    bk = bank("BK1")
    answer = _send_with(bk, "POST", f"{PROBE}/bank", Idempotency_Key=None)
    assert answer.status_code == 400 and error_code(answer) == "missing_header"


def test_revoked_key_is_refused_at_once(bank):
    bk = bank("BK1")
    assert bk.get(f"{PROBE}/bank").status_code == 200
    bank.revoke(bk)
    answer = bk.get(f"{PROBE}/bank")
    assert answer.status_code == 401 and error_code(answer) == "unknown_key"


def test_two_active_keys_both_sign(bank):
    first = bank("BK1")
    second = bank.rotate(first)
    assert second.key_id != first.key_id
    assert first.get(f"{PROBE}/bank").status_code == 200
    assert second.get(f"{PROBE}/bank").status_code == 200
    with pytest.raises(IdentityError, match="active keys"):
        bank.rotate(first)
    bank.revoke(first)
    assert first.get(f"{PROBE}/bank").status_code == 401
    assert second.get(f"{PROBE}/bank").json["bank_code"] == "BK1"


# ---------------------------------------------------------------- staff tokens and roles
def test_token_for_good_password(staff, client):
    password = staff.create("alice", "clerk")
    answer = client.post("/api/v1/auth/tokens", json={"username": "alice", "password": password})
    assert answer.status_code == 201
    assert answer.get_json()["role"] == "clerk" and answer.get_json()["token"]


def test_wrong_password_is_refused(staff, client):
    staff.create("alice", "clerk")
    answer = client.post(
        "/api/v1/auth/tokens", json={"username": "alice", "password": "wrong-password"}
    )
    assert answer.status_code == 401 and error_code(answer) == "invalid_token"


@pytest.mark.parametrize(
    "header", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eA=="}]
)
def test_invalid_token(client, header):
    answer = client.get("/api/v1/admin/business-date", headers=header)
    assert answer.status_code == 401 and error_code(answer) == "invalid_token"


def test_forbidden_role(staff):
    answer = staff.request("clerk", "PUT", "/admin/business-date", {"date": "2025-01-02"})
    assert answer.status_code == 403 and error_code(answer) == "forbidden"


def test_bank_signature_does_not_open_staff_endpoints(bank):
    answer = bank("BK1").get("/api/v1/admin/business-date")
    assert answer.status_code == 401


# ---------------------------------------------------------------- body limit
LIMIT = 1024


def test_settings_set_the_body_limit(settings, engine):
    from loanledger.app import create_app

    app = create_app(dataclasses.replace(settings, max_body_bytes=LIMIT), engine=engine)
    assert app.config["MAX_CONTENT_LENGTH"] == LIMIT


def _body_of(size: int) -> dict:
    return {"pad": "x" * (size - len('{"pad": ""}'))}


@pytest.mark.parametrize("size, status", [(LIMIT, 201), (LIMIT + 1, 413)])
def test_bank_body_limit(app, bank, size, status):
    app.config["MAX_CONTENT_LENGTH"] = LIMIT
    bk = bank("BK1")
    prepared = bk.prepare("POST", f"{PROBE}/bank", json=_body_of(size))
    assert len(prepared.body) == size
    answer = bk.send(prepared)
    assert answer.status_code == status
    if status == 413:
        assert (
            answer.mimetype == "application/problem+json" and error_code(answer) == "body_too_large"
        )


def test_staff_body_limit(app, staff):
    staff.token("admin")
    app.config["MAX_CONTENT_LENGTH"] = LIMIT
    answer = staff.request(
        "admin", "PUT", "/admin/business-date", {"date": "2025-01-02", **_body_of(LIMIT + 10)}
    )
    assert answer.status_code == 413 and error_code(answer) == "body_too_large"
    assert answer.mimetype == "application/problem+json"


# ---------------------------------------------------------------- idempotency
def test_replay_returns_the_first_answer(bank, probe):
    bk = bank("BK1")
    first = bk.post(f"{PROBE}/bank", json={"n": 1}, idempotency_key="key-1")
    again = bk.post(f"{PROBE}/bank", json={"n": 1}, idempotency_key="key-1")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(probe.runs) == 1


def test_same_key_other_body_is_refused(bank, probe):
    bk = bank("BK1")
    assert bk.post(f"{PROBE}/bank", json={"n": 1}, idempotency_key="key-1").status_code == 201
    other = bk.post(f"{PROBE}/bank", json={"n": 2}, idempotency_key="key-1")
    assert other.status_code == 422 and error_code(other) == "idempotency_key_reused"
    assert len(probe.runs) == 1


def test_keys_are_scoped_to_the_bank(bank, probe):
    one, two = bank("BK1"), bank("BK2")
    assert one.post(f"{PROBE}/bank", json={"n": 1}, idempotency_key="shared").status_code == 201
    answer = two.post(f"{PROBE}/bank", json={"n": 1}, idempotency_key="shared")
    assert answer.status_code == 201 and answer.get_json()["bank_code"] == "BK2"
    assert "Idempotent-Replayed" not in answer.headers


def test_refused_writes_are_replayed(bank, probe):
    """A refusal changed nothing and is the key's answer: the repeat gets it again, unrun."""
    bk = bank("BK1")
    first = bk.post(f"{PROBE}/refuse", json={}, idempotency_key="key-r")
    again = bk.post(f"{PROBE}/refuse", json={}, idempotency_key="key-r")
    assert first.status_code == again.status_code == 422
    assert first.mimetype == again.mimetype == "application/problem+json"
    assert again.get_data() == first.get_data()
    assert (
        "Idempotent-Replayed" not in first.headers
        and again.headers["Idempotent-Replayed"] == "true"
    )
    assert probe.runs == ["refused"]


@pytest.mark.parametrize("key", ["", "x" * 256, "ключ"])
def test_malformed_idempotency_key(bank, key):
    answer = _send_with(bank("BK1"), "POST", f"{PROBE}/bank", Idempotency_Key=key or None)
    assert answer.status_code == 400 and error_code(answer) == "missing_header"


def test_longest_idempotency_key_is_accepted(bank):
    assert bank("BK1").post(f"{PROBE}/bank", json={}, idempotency_key="x" * 255).status_code == 201


# ---------------------------------------------------------------- the real bank endpoint
def test_signed_list_of_loans(bank):
    answer = bank("BK1").get("/api/v1/loans")
    assert answer.status_code == 200
    assert answer.get_json() == {"items": [], "next_cursor": None}


def test_unsigned_list_of_loans_is_refused(client):
    answer = client.get("/api/v1/loans")
    assert answer.status_code == 400 and error_code(answer) == "missing_header"


@pytest.mark.parametrize("size, status", [(LIMIT, 201), (LIMIT + 1, 413)])
def test_a_chunked_body_over_the_limit_is_413_not_a_bad_signature(app, client, bank, size, status):
    """Without Content-Length (Transfer-Encoding: chunked, as gunicorn passes it on with
    wsgi.input_terminated), the limit is found while reading: 413, never 401 for a body
    that was cut short before its signature was checked."""
    import io

    app.config["MAX_CONTENT_LENGTH"] = LIMIT
    bk = bank("BK1")
    prepared = bk.prepare("POST", f"{PROBE}/bank", json=_body_of(size))
    headers = {k: v for k, v in prepared.headers.items() if k.lower() != "content-length"}
    answer = client.open(
        prepared.path,
        method="POST",
        headers={**headers, "Transfer-Encoding": "chunked"},
        input_stream=io.BytesIO(prepared.body),
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert answer.status_code == status, answer.get_data(as_text=True)
    if status == 413:
        assert error_code(answer) == "body_too_large"
