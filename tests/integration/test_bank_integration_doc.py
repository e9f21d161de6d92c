"""docs/bank-integration.md shows the truth: its worked example is recomputed here (by the
client's and the server's code and by a plain HMAC), its openssl snippet is run in bash, its
Python snippet is executed, and its curl command is sent to a live server."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from loanledger.api import auth
from loanledger.api.errors import ERROR_CODES
from loanledger.client import sign, string_to_sign
from tests.support.servers import serving

DOC = Path(__file__).resolve().parents[2] / "docs" / "bank-integration.md"
BLOCK = re.compile(r"<!-- (example|snippet):(\w+) -->\n```\w*\n(.*?)\n```", re.S)


def _blocks() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for _kind, name, text in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        found.setdefault(name, []).append(text)
    return found


@pytest.fixture(scope="module")
def example() -> dict[str, str]:
    """Each example value, after checking that both halves of the page show the same."""
    values = {}
    for name, texts in _blocks().items():
        assert len(set(texts)) == 1, f"{name}: the two halves differ"
        values[name] = texts[0]
    return values


def test_both_halves_show_the_worked_example(example):
    blocks = _blocks()
    for name in (
        "key_id",
        "secret",
        "timestamp",
        "nonce",
        "body",
        "body_sha256",
        "string_to_sign",
        "signature",
        "get_string_to_sign",
        "get_signature",
    ):
        assert len(blocks[name]) == 2, f"{name} should be in the Chinese and the English half"


def test_the_body_hash_string_to_sign_and_signature_are_right(example):
    body = example["body"].encode("utf-8")
    assert hashlib.sha256(body).hexdigest() == example["body_sha256"]
    path = "/api/v1/loans/%E5%90%88%E5%90%8C-1/events"
    args = ("POST", path, "", example["timestamp"], example["nonce"], body)
    assert string_to_sign(*args) == auth.string_to_sign(*args) == example["string_to_sign"]
    plain = hmac.new(
        example["secret"].encode(), example["string_to_sign"].encode(), hashlib.sha256
    ).hexdigest()
    assert sign(example["secret"], *args) == plain == example["signature"]
    assert json.loads(body)["interest"] == "14375.00"  # money as a string, as api.md wants


def test_the_get_example_sorts_its_query(example):
    args = (
        "GET",
        "/api/v1/loans",
        "status=active&limit=2",
        example["timestamp"],
        "Ab12Cd34Ef56Gh78",
        b"",
    )
    assert string_to_sign(*args) == example["get_string_to_sign"]
    assert example["get_string_to_sign"].splitlines()[2] == "limit=2&status=active"
    assert sign(example["secret"], *args) == example["get_signature"]


def test_the_python_snippet_computes_the_example(example):
    namespace: dict = {}
    exec(compile(example["python"], "bank-integration.md", "exec"), namespace)
    path = "/api/v1/loans/%E5%90%88%E5%90%8C-1/events"
    got = namespace["signature"](
        example["secret"],
        "POST",
        path,
        "",
        example["timestamp"],
        example["nonce"],
        example["body"].encode(),
    )
    assert got == example["signature"]
    assert (
        namespace["signature"](
            example["secret"],
            "GET",
            "/api/v1/loans",
            "status=active&limit=2",
            example["timestamp"],
            "Ab12Cd34Ef56Gh78",
            b"",
        )
        == example["get_signature"]
    )


needs_tools = pytest.mark.skipif(
    not (shutil.which("bash") and shutil.which("openssl") and shutil.which("curl")),
    reason="needs bash, openssl and curl",
)


@needs_tools
def test_the_openssl_snippet_computes_the_example(example):
    script = example["openssl"] + '\nprintf "%s\\n%s" "$BODY_SHA" "$SIG"\n'
    env = {"PATH": "/usr/bin:/bin", "TS": example["timestamp"], "NONCE": example["nonce"]}
    out = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == [example["body_sha256"], example["signature"]]


@pytest.fixture
def live(app):
    with serving(app) as url:
        yield url


@needs_tools
def test_the_curl_command_is_accepted_by_a_live_server(example, world, staff, live):
    boc = world["boc"]
    loan = {
        "contract_no": "合同-1",
        "product_code": "BOC-SZD",
        "uscc": "914420006FA300000G",
        "principal": "5000000.00",
        "annual_rate": "3.4500",
        "start_date": "2023-02-01",
        "maturity_date": "2025-02-01",
        "repayment_method": "interest_only",
        "interest_settlement": "monthly",
    }
    assert boc.post("/api/v1/loans", json=loan).status_code == 201
    disbursed = boc.post(
        "/api/v1/loans/合同-1/events",
        json={
            "event_id": "D-1",
            "type": "disbursement",
            "date": "2023-02-01",
            "amount": "5000000.00",
        },
    )
    assert disbursed.status_code == 201, disbursed.get_data(as_text=True)
    staff.set_business_date("2023-03-31")
    script = example["openssl"] + "\n" + example["curl"] + ' -o /dev/stdout -w "\\n%{http_code}"\n'
    env = {
        "PATH": "/usr/bin:/bin",
        "KEY_ID": boc.key_id,
        "SECRET": boc.secret,
        "BASE": live,
        "IDEMPOTENCY_KEY": "doc-example-1",
    }
    first = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    body, status = first.rsplit("\n", 1)
    assert status == "201", body
    assert json.loads(body)["event_id"] == "I-2023-03"
    again = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert again.rsplit("\n", 1) == [body, "201"]  # the same answer, replayed


def test_every_error_code_of_api_md_is_explained():
    text = DOC.read_text(encoding="utf-8")
    chinese, english = text.split('<a id="english"></a>')
    for half in (chinese, english):
        for codes in ERROR_CODES.values():
            for code in codes:
                assert f"`{code}`" in half, code
