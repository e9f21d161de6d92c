"""One file uploaded from a page's form (名录, the bank's return file, a bank's loan file): the
request's `file`, spooled to disk and its name cleaned, through one use case in the request's
unit of work; and a refused file's row errors as the page's table shows them (the macro
`row_errors` in templates/_macros.html)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any, Generic, TypeVar

from flask import Response, flash, request

from loanledger.domain.errors import Refusal
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import imports
from loanledger.services.spreadsheets import FileRefused
from loanledger.web import forms
from loanledger.web.auth import current_user
from loanledger.web.i18n import t

ERRORS_SHOWN = 1000  # refused rows' errors shown under an upload form; the rest are counted

T = TypeVar("T")


@dataclass(frozen=True)
class Uploaded(Generic[T]):
    """What the use case returned (committed), or its refusal (rolled back)."""

    result: T | None
    refusal: Refusal | None


def attempt_upload(use_case: Callable[[IO[bytes], str], T]) -> Uploaded[T] | None:
    """Run `use_case(spooled_file, clean_filename)` on the form's file in one unit of work.
    None, with the message said, when no file was chosen."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        forms.flash_form_error(forms.FormError("no_file"))
        return None
    filename = imports.clean_filename(upload.filename)
    done: list[T] = []

    def call() -> None:
        with imports.spool(upload.stream) as spooled:
            done.append(use_case(spooled, filename))

    refusal = forms.attempt(call)
    return Uploaded(done[0] if refusal is None else None, refusal)


@dataclass(frozen=True)
class RowErrors:
    """A refused file's errors for the page: how many rows were refused, how many errors in
    all, and the first ERRORS_SHOWN of them in words."""

    rows_refused: int = 0
    count: int = 0
    shown: list[dict[str, Any]] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return self.count - len(self.shown)


def row_errors(
    errors: Iterable[Any],
    column_text: Callable[[str | None], str],
    sentence: Callable[[Any], str],
) -> RowErrors:
    """Each error (with `row` and `column`) as {row, column, text}: the column in words by
    `column_text`, the problem by `sentence(error)`."""
    errors = list(errors)
    return RowErrors(
        rows_refused=len({e.row for e in errors}),
        count=len(errors),
        shown=[
            {"row": e.row, "column": column_text(e.column), "text": sentence(e)}
            for e in errors[:ERRORS_SHOWN]
        ],
    )


def flash_refused(refusal: Refusal, file_refused_key: str) -> None:
    """A refusal other than the rows' errors: the file itself (unreadable, too big, not a
    spreadsheet) in the page's words for it, anything else as every form says it."""
    if isinstance(refusal, FileRefused):
        flash(forms.refusal_message(file_refused_key, refusal.message), "error")
    else:
        forms.flash_refusal(refusal)


@dataclass(frozen=True)
class RowsForm:
    """An upload form whose use case refuses a file row by row (`refused_as`, with `errors`
    that name a row and a column): how the page says the rows, the count and the file."""

    refused_as: type[Refusal]
    column_text: Callable[[str | None], str]
    sentence: Callable[[Any], str]  # one row error in words
    rows_refused_key: str  # "…：%(rows)s 行有错误" in a flash message
    file_refused_key: str  # the file itself unreadable


def take_rows_file(
    form: RowsForm,
    use_case: Callable[..., T],
    target: object,
    *,
    said: Callable[[T], str],
    back: Callable[[], Response],
    show_errors: Callable[[RowErrors], str],
) -> Response | str:
    """The form's file through `use_case(db, target, file, filename, actor, business_date)`
    in one unit of work: done, `said(result)` and back to the page; its rows refused, the
    page again from `show_errors` with each row's error; else the refusal in words and back."""
    actor = current_user().actor
    uploaded = attempt_upload(
        lambda spooled, filename: use_case(
            db_session(), target, spooled, filename, actor, business_date()
        )
    )
    if uploaded is None:
        return back()
    if uploaded.refusal is None:
        flash(said(uploaded.result), "success")
        return back()
    if isinstance(uploaded.refusal, form.refused_as):
        errors = row_errors(uploaded.refusal.errors, form.column_text, form.sentence)
        flash(t(form.rows_refused_key, rows=errors.rows_refused), "error")
        return show_errors(errors)
    flash_refused(uploaded.refusal, form.file_refused_key)
    return back()
