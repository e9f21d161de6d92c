"""loanledger.client.BankClient: retries (what, how long, how many times, with which key) and
bulk uploads cut into requests, against scripted answers, the test client and a real
`loanledger serve` process."""

from __future__ import annotations

import json
import time
import urllib.error

import pytest

from loanledger.client import BankClient, BulkError, Response, RetryPolicy
from tests.support.api import API
from tests.support.cli import run, serve
from tests.support.world import loan_body


def problem(status: int, code: str, headers: dict | None = None) -> Response:
    body = {
        "type": "t",
        "title": "t",
        "status": status,
        "detail": "d",
        "errors": [{"field": None, "code": code, "message": "m"}],
    }
    return Response(status, headers or {}, json.dumps(body).encode())


class Scripted(BankClient):
    """Answers from a script; records what was sent and how long it waited."""

    def __init__(self, answers, **options):
        options.setdefault("jitter", lambda: 0.5)
        super().__init__("http://bank.test", "k_1", "secret", sleep=self.waits_append, **options)
        self.answers, self.sent, self.waits = list(answers), [], []

    def waits_append(self, seconds: float) -> None:
        self.waits.append(seconds)

    def send(self, prepared):
        self.sent.append(prepared)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


OK = Response(201, {}, b'{"ok": true}')


# ---------------------------------------------------------------- what is retried
def test_429_waits_retry_after_and_keeps_the_idempotency_key():
    client = Scripted([problem(429, "rate_limited", {"Retry-After": "3"}), OK])
    assert client.post(f"{API}/loans", json={"a": 1}).status_code == 201
    assert client.waits == [3 + 0.5 * 0.5]  # Retry-After plus jitter of up to base_delay
    first, second = client.sent
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.headers["X-LL-Nonce"] != second.headers["X-LL-Nonce"]
    assert first.body == second.body


def test_retry_after_is_capped_by_max_delay():
    client = Scripted(
        [problem(429, "rate_limited", {"Retry-After": "600"}), OK],
        retry=RetryPolicy(max_delay=10, base_delay=0),
    )
    client.get(f"{API}/loans")
    assert client.waits == [10]


@pytest.mark.parametrize(
    "answer",
    [
        problem(409, "request_in_flight"),
        problem(500, "internal"),
        problem(503, "unavailable"),
        urllib.error.URLError("refused"),
        ConnectionResetError(),
        TimeoutError(),
    ],
)
def test_retried_answers(answer):
    client = Scripted([answer, OK])
    assert client.post(f"{API}/loans", json={}).status_code == 201
    assert len(client.sent) == 2 and client.waits == [0.5 * 0.5]


@pytest.mark.parametrize(
    "answer",
    [
        problem(409, "invalid_state"),
        problem(422, "invalid_format"),
        problem(400, "missing_header"),
        problem(401, "bad_signature"),
        problem(404, "not_found"),
        problem(413, "body_too_large"),
        problem(422, "idempotency_key_reused"),
    ],
)
def test_refusals_are_final(answer):
    client = Scripted([answer, OK])
    assert client.post(f"{API}/loans", json={}).status_code == answer.status_code
    assert len(client.sent) == 1 and client.waits == []


def test_backoff_doubles_up_to_max_delay_and_attempts_are_bounded():
    client = Scripted(
        [problem(503, "unavailable")] * 6,
        retry=RetryPolicy(attempts=6, base_delay=1, max_delay=5),
        jitter=lambda: 1.0,
    )
    assert client.get(f"{API}/loans").status_code == 503
    assert len(client.sent) == 6 and client.waits == [1, 2, 4, 5, 5]


def test_full_jitter_spreads_the_wait():
    draws = iter([0.0, 0.25])
    client = Scripted(
        [problem(500, "internal")] * 3,
        retry=RetryPolicy(attempts=3, base_delay=2),
        jitter=lambda: next(draws),
    )
    client.get(f"{API}/loans")
    assert client.waits == [0.0, 0.25 * 4]


def test_the_last_network_error_is_raised():
    client = Scripted([ConnectionResetError()] * 3, retry=RetryPolicy(attempts=3))
    with pytest.raises(ConnectionResetError):
        client.get(f"{API}/loans")
    assert len(client.sent) == 3


def test_no_retry_policy_sends_once():
    client = Scripted([problem(503, "unavailable"), OK], retry=RetryPolicy(attempts=1))
    assert client.get(f"{API}/loans").status_code == 503 and client.waits == []


def test_a_given_idempotency_key_is_kept():
    client = Scripted([problem(500, "internal"), OK])
    client.post(f"{API}/loans", json={}, idempotency_key="mine")
    assert [p.headers["Idempotency-Key"] for p in client.sent] == ["mine", "mine"]


def test_reads_carry_no_idempotency_key():
    client = Scripted([OK])
    client.get(f"{API}/loans")
    assert "Idempotency-Key" not in client.sent[0].headers


# ---------------------------------------------------------------- bulk
def _bulk_answer(items_key: str):
    def answer(prepared):
        items = json.loads(prepared.body)[items_key]
        results = [
            {"index": i, "event_id": item.get("event_id"), "status": item.get("want", "created")}
            for i, item in enumerate(items)
        ]
        counts = {
            s: sum(r["status"] == s for r in results) for s in ("created", "duplicate", "rejected")
        }
        body = {
            "accepted": counts["created"],
            "duplicates": counts["duplicate"],
            "rejected": counts["rejected"],
            "results": results,
        }
        return Response(200, {}, json.dumps(body).encode())

    return answer


class BulkScripted(Scripted):
    def __init__(self, answer, **options):
        super().__init__([], **options)
        self.answer = answer

    def send(self, prepared):
        self.sent.append(prepared)
        return self.answer(prepared)


def test_bulk_cuts_the_list_and_adds_up_the_results():
    events = [
        {"event_id": f"E{i}", "want": "duplicate" if i % 5 == 0 else "created"} for i in range(12)
    ]
    client = BulkScripted(_bulk_answer("events"))
    total = client.post_events_bulk(events, chunk=5)
    assert [len(json.loads(p.body)["events"]) for p in client.sent] == [5, 5, 2]
    assert all(p.path == "/api/v1/events:bulk" and p.query == "" for p in client.sent)
    assert (total["accepted"], total["duplicates"], total["rejected"]) == (9, 3, 0)
    assert [r["index"] for r in total["results"]] == list(range(12))
    assert [r["event_id"] for r in total["results"]] == [e["event_id"] for e in events]
    assert len({p.headers["Idempotency-Key"] for p in client.sent}) == 3


def test_bulk_atomic_and_named_uploads():
    client = BulkScripted(_bulk_answer("loans"))
    client.post_loans_bulk(
        [{"contract_no": f"C{i}"} for i in range(3)],
        chunk=2,
        atomic=True,
        idempotency_key="upload-7",
    )
    assert [p.path for p in client.sent] == ["/api/v1/loans:bulk"] * 2
    assert [p.query for p in client.sent] == ["atomic=true"] * 2
    assert [p.headers["Idempotency-Key"] for p in client.sent] == ["upload-7/0", "upload-7/1"]


@pytest.mark.parametrize("chunk", [0, 5001])
def test_bulk_chunk_limits(chunk):
    with pytest.raises(ValueError):
        BulkScripted(_bulk_answer("events")).post_events_bulk([{}], chunk=chunk)


def test_bulk_chunk_of_5000_is_allowed():
    client = BulkScripted(_bulk_answer("events"))
    assert client.post_events_bulk([{"event_id": str(i)} for i in range(5001)])["accepted"] == 5001
    assert [len(json.loads(p.body)["events"]) for p in client.sent] == [5000, 1]


def test_a_refused_bulk_request_stops_the_upload():
    answers = iter([_bulk_answer("events"), lambda prepared: problem(422, "invalid_format")])
    client = BulkScripted(lambda prepared: next(answers)(prepared))
    with pytest.raises(BulkError) as raised:
        client.post_events_bulk([{"event_id": str(i)} for i in range(4)], chunk=2)
    assert raised.value.offset == 2 and raised.value.response.status_code == 422
    assert raised.value.partial["accepted"] == 2 and len(client.sent) == 2


# ---------------------------------------------------------------- the real endpoints
def test_bulk_through_the_test_client(world):
    boc = world["boc"]
    loans = [loan_body(contract_no=f"C-{i}") for i in range(7)] + [loan_body(contract_no="C-0")]
    total = boc.post_loans_bulk(loans, chunk=3)
    assert (total["accepted"], total["duplicates"], total["rejected"]) == (7, 1, 0)
    assert [r["index"] for r in total["results"]] == list(range(8))
    events = [
        {
            "contract_no": "C-1",
            "event_id": f"D{i}",
            "type": "disbursement",
            "date": "2023-02-01",
            "amount": "1200000.00",
        }
        for i in range(6)
    ]
    events[4]["amount"] = 100  # a JSON number: rejected
    total = boc.post_events_bulk(events, chunk=4)
    assert (total["accepted"], total["rejected"]) == (4, 2)  # D4 refused; D5 exceeds the principal
    assert [r["status"] for r in total["results"]] == ["created"] * 4 + ["rejected", "rejected"]
    again = boc.post_events_bulk(events[:4], chunk=4)
    assert again["duplicates"] == 4


def test_an_atomic_bulk_refusal_raises(world):
    boc = world["boc"]
    loans = [loan_body(contract_no="C-1"), loan_body(contract_no="C-2", product_code="NOPE")]
    with pytest.raises(BulkError) as raised:
        boc.post_loans_bulk(loans, atomic=True)
    assert raised.value.response.status_code == 422 and raised.value.partial["accepted"] == 0
    assert boc.get(f"{API}/loans").get_json()["items"] == []


@pytest.fixture
def served(database_url):
    """`loanledger serve` (gunicorn, one worker) on this test's database, a low rate limit."""
    issued = json.loads(
        run(database_url, "bank", "create", "--code", "BK1", "--name", "One").stdout
    )
    with serve(
        database_url, LOANLEDGER_RATE_LIMIT_PER_SECOND="2", LOANLEDGER_RATE_LIMIT_BURST="2"
    ) as url:
        yield url, issued


@pytest.mark.slow
def test_a_real_server_rate_limits_and_the_client_waits(served):
    url, issued = served
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        time.sleep(seconds)

    patient = BankClient(
        url,
        issued["key_id"],
        issued["secret"],
        sleep=sleep,
        retry=RetryPolicy(attempts=10, base_delay=0.1),
    )
    answers = [patient.get(f"{API}/loans") for _ in range(4)]
    assert [a.status_code for a in answers] == [200] * 4
    assert waits and all(
        w >= 1 for w in waits
    )  # Retry-After: 1 s (a token every 0.5 s, whole seconds)
    impatient = BankClient(url, issued["key_id"], issued["secret"], retry=None)
    statuses = [impatient.get(f"{API}/loans").status_code for _ in range(3)]
    assert 429 in statuses
    refused = next(
        a for a in (impatient.get(f"{API}/loans") for _ in range(3)) if a.status_code == 429
    )
    assert (
        refused.headers["Retry-After"].isdigit()
        and refused.json["errors"][0]["code"] == "rate_limited"
    )
