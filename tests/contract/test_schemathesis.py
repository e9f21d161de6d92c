"""The OpenAPI document is the contract: schemathesis generates requests for every operation
of /api/v1/openapi.json and sends them in-process (WSGI) to the app.

Every answer must be no 5xx, and must conform to the document: its status code documented,
its content type the documented one, its body valid against the documented schema, its
documented headers well-formed.

Who calls: the operation's `security` (set by loanledger.api.auth.endpoint) decides.
`bankHmac` operations are signed by a WSGI middleware with a bank's key (fresh nonce and
timestamp, the exact body bytes), and a valid `Idempotency-Key` is replaced by a fresh one
so that generated bodies never collide on a key; `bearer` operations carry an admin token.
Operations open to both alternate.

Bounded: LOANLEDGER_CONTRACT_EXAMPLES (default 10) examples per operation, no shrinking, a
fixed seed (LOANLEDGER_CONTRACT_SEED to explore others; LOANLEDGER_CONTRACT_STATS=1 prints the
statuses each operation got, with -s). Each operation gets a fresh database with a small world
(a bank, a product, an enterprise, a filing, a loan with events, a closed period). The whole
run takes about 45 s on either engine on the 2-core machine, so it runs on both.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import os
import re
import time
import uuid
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config import load_settings
from loanledger.app import create_app
from loanledger.client import canonical_query, new_nonce, sign
from loanledger.persistence.db import make_engine
from tests.support.api import API
from tests.support.people import Staff

EXAMPLES = int(os.environ.get("LOANLEDGER_CONTRACT_EXAMPLES", "10"))
SEED = int(os.environ.get("LOANLEDGER_CONTRACT_SEED", "20261123"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
IDEMPOTENCY_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")
USCC = "914420006FA300000G"

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": EXAMPLES, "no-shrink": True, "mode": "all"},
        "phases": {"stateful": {"enabled": False}},
    }
)


class Signer:
    """WSGI middleware: signs the requests marked `X-Test-Sign` as the bank would send them."""

    def __init__(self, app, key_id: str, secret: str):
        self.app, self.key_id, self.secret = app, key_id, secret
        self.statuses: Counter[int] = Counter()

    def __call__(self, environ, start_response):
        def counting(status, headers, exc_info=None):
            self.statuses[int(status.split()[0])] += 1
            return start_response(status, headers, exc_info)

        return self._signed(environ, counting)

    def _signed(self, environ, start_response):
        if environ.pop("HTTP_X_TEST_SIGN", None):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]
            path = raw.split("?", 1)[0]
            query = environ.get("QUERY_STRING", "")
            timestamp, nonce = str(int(time.time())), new_nonce()
            environ.update(
                {
                    "HTTP_X_LL_KEY": self.key_id,
                    "HTTP_X_LL_TIMESTAMP": timestamp,
                    "HTTP_X_LL_NONCE": nonce,
                    "HTTP_X_LL_SIGNATURE": sign(
                        self.secret,
                        environ["REQUEST_METHOD"],
                        path,
                        canonical_query(query),
                        timestamp,
                        nonce,
                        body,
                    ),
                }
            )
            key = environ.get("HTTP_IDEMPOTENCY_KEY")
            if key is not None and IDEMPOTENCY_KEY.match(key):
                environ["HTTP_IDEMPOTENCY_KEY"] = str(uuid.uuid4())
        return self.app(environ, start_response)


def _world(staff: Staff, bank_client) -> None:
    """A little of everything, so generated requests sometimes find what they name."""
    staff.set_business_date("2023-04-03")
    for path, body in (
        (
            "/products",
            {"product_code": "BK1-P", "bank_code": "BK1", "name": "数智贷", "risk_covered": True},
        ),
        (
            "/enterprises",
            {
                "uscc": USCC,
                "name": "灯都照明",
                "established_on": "2015-06-01",
                "industry_code": "C3879",
            },
        ),
        (
            "/filings",
            {
                "filing_no": "F1",
                "uscc": USCC,
                "project_name": "MES",
                "eligible_investment": "8000000.00",
                "approved_on": "2023-01-02",
            },
        ),
        (
            "/risk-pool/deposits",
            {"amount": "20000000.00", "deposited_on": "2023-01-03", "reference": "首期"},
        ),
    ):
        answer = staff.request("admin", "POST", path, body)
        assert answer.status_code == 201, answer.get_data(as_text=True)
    loan = {
        "contract_no": "C-1",
        "product_code": "BK1-P",
        "uscc": USCC,
        "principal": "5000000.00",
        "annual_rate": "3.4500",
        "start_date": "2023-01-03",
        "maturity_date": "2025-01-03",
        "repayment_method": "interest_only",
        "interest_settlement": "monthly",
    }
    assert bank_client.post(f"{API}/loans", json=loan).status_code == 201
    for event in (
        {"event_id": "D1", "type": "disbursement", "date": "2023-01-03", "amount": "5000000.00"},
        {
            "event_id": "I1",
            "type": "interest",
            "period_start": "2023-01-03",
            "period_end": "2023-02-03",
            "paid_on": "2023-02-03",
            "interest": "14375.00",
        },
    ):
        answer = bank_client.post(f"{API}/loans/C-1/events", json=event)
        assert answer.status_code == 201, answer.get_data(as_text=True)
    assert staff.request("admin", "POST", "/periods/2023-02/close").status_code == 200


@dataclasses.dataclass
class Callers:
    admin_token: str
    turns: itertools.count = dataclasses.field(default_factory=itertools.count)

    def headers(self, case) -> dict[str, str]:
        security = {
            name
            for requirement in case.operation.definition.raw.get("security", [])
            for name in requirement
        }
        bank = "bankHmac" in security
        if bank and "bearer" in security:
            bank = next(self.turns) % 2 == 0
        if bank:
            return {"X-Test-Sign": "1"}
        if "bearer" in security:
            return {"Authorization": f"Bearer {self.admin_token}"}
        return {}


def _document() -> dict:
    """The app's OpenAPI document, read once at collection (it needs no database)."""
    placeholder = make_engine("sqlite://")
    try:
        app = create_app(
            load_settings(env="testing", environ={}, database_url="sqlite://"), engine=placeholder
        )
        return app.test_client().get(f"{API}/openapi.json").get_json()
    finally:
        placeholder.dispose()


schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)


@pytest.fixture
def contract(app, staff, bank, request):
    """This test's app, signed by BK1's key, with a little world in its database."""
    bank_client = bank("BK1")
    _world(staff, bank_client)
    signer = Signer(app, bank_client.key_id, bank_client.secret)
    yield signer, Callers(staff.token("admin"))
    if os.environ.get("LOANLEDGER_CONTRACT_STATS"):
        print(f"\n{request.node.name}: {dict(sorted(signer.statuses.items()))}")
    # Were the requests authenticated at all? Else every answer is a (documented) 401.
    assert set(signer.statuses) - {401}, f"only 401s: {signer.statuses}"


@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_every_operation_keeps_the_contract(case, contract):
    signed_app, callers = contract
    case.call_and_validate(app=signed_app, headers=callers.headers(case), checks=CHECKS)
