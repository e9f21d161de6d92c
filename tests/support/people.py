"""Who calls the API in a test: staff users signed in by role, and banks with signing keys."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from loanledger.client import TestClientBank
from loanledger.services import identity
from tests.support.api import API


@dataclass
class Staff:
    """Creates users on demand and signs them in; `headers(role)` for a request as that role."""

    app: object
    client: object
    tokens: dict[str, str] = field(default_factory=dict)

    def create(
        self,
        username: str,
        role: str,
        password: str | None = None,
        uscc: str | None = None,
        bank_code: str | None = None,
    ) -> str:
        password = password or f"{username}-password"
        with self.app.extensions["loanledger"].sessionmaker() as session:
            identity.create_user(
                session, username, role, password, uscc=uscc, actor="test", bank_code=bank_code
            )
            session.commit()
        return password

    def login(self, username: str, password: str) -> str:
        response = self.client.post(
            f"{API}/auth/tokens", json={"username": username, "password": password}
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()["token"]

    def token(self, role: str = "admin", uscc: str | None = None) -> str:
        if role not in self.tokens:
            username = f"{role}-{uuid.uuid4().hex[:6]}"
            self.tokens[role] = self.login(username, self.create(username, role, uscc=uscc))
        return self.tokens[role]

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role)}"}

    def request(self, role: str, method: str, path: str, json=None, **kwargs):
        return self.client.open(
            API + path, method=method, json=json, headers=self.headers(role), **kwargs
        )

    def set_business_date(self, day: dt.date | str):
        response = self.request("admin", "PUT", "/admin/business-date", {"date": str(day)})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response


class BankFactory:
    """`bank("BK1")` → a signed client for a new bank; `bank.rotate(c)` adds a key."""

    def __init__(self, app, client):
        self.app, self.client = app, client

    def _unit(self, action):
        ext = self.app.extensions["loanledger"]
        with ext.sessionmaker() as session:
            issued = action(session, ext.settings.secret_key)
            session.commit()
        return TestClientBank(self.client, issued["key_id"], issued["secret"], issued["bank_code"])

    def __call__(self, code: str = "BK1", name: str | None = None) -> TestClientBank:
        return self._unit(
            lambda s, key: identity.create_bank(s, code, name or f"Bank {code}", key, actor="test")
        )

    def rotate(self, bank_client: TestClientBank) -> TestClientBank:
        return self._unit(
            lambda s, key: identity.rotate_key(s, bank_client.bank_code, key, actor="test")
        )

    def revoke(self, bank_client: TestClientBank) -> None:
        with self.app.extensions["loanledger"].sessionmaker() as session:
            identity.revoke_key(session, bank_client.key_id, actor="test")
            session.commit()
