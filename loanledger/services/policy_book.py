"""All policy versions, loaded once per use case: 'which version is in force on d'."""

from __future__ import annotations

import bisect
import datetime as dt
import json

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from loanledger.domain.policy import Policy, policy_from_doc
from loanledger.persistence.tables import PolicyVersion


class PolicyBook:
    def __init__(self, versions: list[tuple[int, dt.date, Policy]]):
        if not versions:
            raise RuntimeError("no policy: run `loanledger init`")
        # In force: the latest version whose in_force_from ≤ d; same day → higher version.
        self._versions = sorted(versions, key=lambda v: (v[1], v[0]))
        self._starts = [v[1] for v in self._versions]
        self._by_number = {v[0]: v[2] for v in versions}

    @classmethod
    def load(cls, db: Session) -> PolicyBook:
        """The versions as the database holds them now. Each document is read as its text
        and parsed once per process (see _PARSED): a signed GET reads the book, and parsing
        every document every time was a tenth of its CPU."""
        rows = db.execute(_VERSIONS).all()
        return cls(
            [(version, start, _parsed(version, start, text)) for version, start, text in rows]
        )

    def on(self, d: dt.date) -> tuple[int, Policy]:
        i = bisect.bisect_right(self._starts, d) - 1
        version = self._versions[max(i, 0)]
        return version[0], version[2]

    def version(self, number: int) -> Policy:
        return self._by_number[number]


_VERSIONS = select(
    PolicyVersion.version, PolicyVersion.in_force_from, cast(PolicyVersion.document, Text)
)

# Parsed policies by (version, in_force_from, document text): the whole row is the key, so a
# new version, a changed one or a database rebuilt with another version 1 (tests) is parsed
# anew, never mistaken for one seen before. A Policy is frozen, so sharing one is safe.
_PARSED: dict[tuple[int, dt.date, str], Policy] = {}
_PARSED_BOUND = 64


def _parsed(version: int, in_force_from: dt.date, text: str) -> Policy:
    key = (version, in_force_from, text)
    policy = _PARSED.get(key)
    if policy is None:
        policy = policy_from_doc(json.loads(text))
        if len(_PARSED) >= _PARSED_BOUND:
            _PARSED.clear()  # many databases in one process (a test run): start over
        _PARSED[key] = policy
    return policy
