"""Refusals: one exception type for every request the service says no to.

A `Refusal` carries what every adapter answers from: the HTTP `status` (fixed on each
subclass), a stable `code` (api.md's error table), a `message` in words and the offending
`field` path. The api turns any refusal into problem+json (api/errors.py), the web pages
into a flash message or an error page (web/forms.py, web/errors.py), the command line into
one line on stderr (cli.py). The domain raises `DomainError` (422); the use cases also
`Conflict` (409) and `NotFound` (404) (services/errors.py).
"""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """A request refused for a reason its sender can act on.

    `problems` lists every refused field as {field, code, message} (by default this one);
    `detail` is the answer's one-sentence summary (by default the message); `headers` and
    `members` (RFC 9457 extension members, e.g. `import_id`) go into the HTTP answer as
    they are. `code` is None only for the command line's own set-up refusals (users, banks,
    keys: services/identity.py), which no HTTP answer carries and which are shown as the
    sentence alone."""

    status = 422

    def __init__(
        self,
        code: str | None,
        message: str,
        field: str | None = None,
        *,
        problems: list[dict[str, Any]] | None = None,
        detail: str | None = None,
        headers: dict[str, str] | None = None,
        members: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.problems = (
            list(problems)
            if problems is not None
            else [{"field": field, "code": code, "message": message}]
        )
        self.detail = message if detail is None else detail
        self.headers = dict(headers or {})
        self.members = dict(members or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, message={self.message!r})"


class DomainError(Refusal):
    """A business rule refused the request (422)."""

    status = 422


FieldError = tuple[str | None, str, str]  # (field path, code, message)


class PolicyInvalid(DomainError):
    """A policy document failed validation; `errors` lists every problem, sorted by field path."""

    def __init__(self, errors: list[FieldError]) -> None:
        if not errors:
            raise ValueError("PolicyInvalid needs at least one error")
        self.errors = list(errors)
        field, code, message = self.errors[0]
        problems = [{"field": f, "code": c, "message": m} for f, c, m in self.errors]
        super().__init__(
            code, message, field, problems=problems, detail="the policy document is not valid"
        )
