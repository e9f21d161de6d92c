"""Errors the domain raises for business-rule refusals (adapters map them to HTTP)."""
from __future__ import annotations


class DomainError(Exception):
    """A refusal with a stable machine code (api.md error codes) and an optional field path."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, message={self.message!r})"


FieldError = tuple[str | None, str, str]  # (field path, code, message)


class PolicyInvalid(DomainError):
    """A policy document failed validation; `errors` lists every problem, sorted by field path."""

    def __init__(self, errors: list[FieldError]) -> None:
        if not errors:
            raise ValueError("PolicyInvalid needs at least one error")
        self.errors = list(errors)
        field, code, message = self.errors[0]
        super().__init__(code, message, field)
