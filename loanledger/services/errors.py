"""Refusals a use case raises besides the domain's `DomainError` (422): a state conflict
(409) and a thing that does not exist (404). Both are `domain.errors.Refusal`s, answered
by every adapter from their status, code and message."""

from __future__ import annotations

from loanledger.domain.errors import Refusal


class Conflict(Refusal):
    """A state conflict (409) with a code from api.md."""

    status = 409


class NotFound(Refusal):
    """What was asked for does not exist (404 not_found)."""

    status = 404

    def __init__(self, what: str):
        super().__init__("not_found", f"{what} not found")
