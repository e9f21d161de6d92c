"""Refusals a use case raises; the API maps them to 404 and 409 problem+json."""
from __future__ import annotations


class Conflict(Exception):
    """A state conflict (409) with a code from api.md."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


class NotFound(Exception):
    def __init__(self, what: str):
        super().__init__(f"{what} not found")
        self.message = f"{what} not found"
