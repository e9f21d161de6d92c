"""How the demo reaches the service: a live server over urllib, or the app in this process
through Flask's test client. Both answer with `loanledger.client.Response`; banks use the
BankClient's own signing and transport (`BankClient` / `TestClientBank`)."""

from __future__ import annotations

import json as jsonlib
import urllib.error
import urllib.request
from typing import Any

from loanledger.client import BankClient, Response, RetryPolicy, TestClientBank


class InProcess:
    def __init__(self, app: Any):
        self.app = app
        self.client = app.test_client()

    def request(
        self, method: str, path: str, json: Any = None, token: str | None = None
    ) -> Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = self.client.open(path, method=method, json=json, headers=headers)
        return Response(answer.status_code, dict(answer.headers), answer.get_data())

    def bank(self, key_id: str, secret: str, bank_code: str) -> BankClient:
        return TestClientBank(self.client, key_id, secret, bank_code, retry=RetryPolicy())


class Http:
    def __init__(self, base_url: str, timeout: float = 120.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(
        self, method: str, path: str, json: Any = None, token: str | None = None
    ) -> Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None
        if json is not None:
            data = jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return Response(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, dict(error.headers), error.read())

    def bank(self, key_id: str, secret: str, bank_code: str) -> BankClient:
        return BankClient(self.base_url, key_id, secret, timeout=self.timeout)
