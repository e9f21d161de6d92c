"""All policy versions, loaded once per use case: 'which version is in force on d'."""

from __future__ import annotations

import bisect
import datetime as dt

from sqlalchemy import select
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
        rows = db.scalars(select(PolicyVersion)).all()
        return cls([(r.version, r.in_force_from, policy_from_doc(r.document)) for r in rows])

    def on(self, d: dt.date) -> tuple[int, Policy]:
        i = bisect.bisect_right(self._starts, d) - 1
        version = self._versions[max(i, 0)]
        return version[0], version[2]

    def version(self, number: int) -> Policy:
        return self._by_number[number]
