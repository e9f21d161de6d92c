"""Reading form and query fields: anything malformed becomes a FormError (a flash message),
never a 500. And `perform`, the one way a page runs a use case."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable

from flask import flash, request
from sqlalchemy.exc import IntegrityError, OperationalError

from loanledger.domain.errors import Refusal
from loanledger.request_context import session as db_session
from loanledger.services.unit_of_work import unit_of_work
from loanledger.web.i18n import error_text, field_text, t

log = logging.getLogger(__name__)

PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$", re.ASCII)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
INT_RE = re.compile(r"^\d{1,9}$", re.ASCII)
MAX_TEXT = 2000
# Codes whose sentence is general: the service's own message says which thing and why.
GENERAL_CODES = (
    "invalid_state",
    "required",
    "invalid_format",
    "future_date",
    "unknown_target",
    "file_refused",
    "results_file_refused",
)


class FormError(Refusal):
    """A form or query field the page cannot use; `code` names its sentence (web/i18n.py)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code, detail)


def text(value: str | None, *, required: bool = False, max_length: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise FormError("invalid_format")
    if required and not value:
        raise FormError("required")
    if len(value) > max_length:
        raise FormError("too_long")
    return value


def period(value: str | None) -> str:
    value = (value or "").strip()
    if not PERIOD_RE.fullmatch(value) or value[:4] == "0000":
        raise FormError("bad_period")
    return value


def date(value: str | None, *, required: bool = True) -> dt.date | None:
    value = (value or "").strip()
    if not value and not required:
        return None
    if not DATE_RE.fullmatch(value):
        raise FormError("bad_date")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FormError("bad_date") from None


def page_number(value: str | None) -> int:
    if value in (None, ""):
        return 1
    if not INT_RE.fullmatch(value) or int(value) < 1:
        raise FormError("bad_int")
    return int(value)


def choice(value: str | None, options: tuple[str, ...], *, required: bool = False) -> str | None:
    value = (value or "").strip()
    if not value and not required:
        return None
    if value not in options:
        raise FormError("bad_choice")
    return value


# An irreversible step (close, submit, approve, reject, record payments) is posted with this
# box ticked ("我已核对…", required in the form): a POST without it changes nothing.
CONFIRM_FIELD = "confirmed"
CONFIRM_VALUE = "yes"


def confirmed() -> bool:
    """True when the request's form carries the confirmation; else a flash message saying so
    (the caller redirects back, nothing done)."""
    if request.form.get(CONFIRM_FIELD) == CONFIRM_VALUE:
        return True
    flash(error_text("not_confirmed"), "error")
    return False


CJK = re.compile(r"[\u4e00-\u9fff]")


def refusal_message(code: str | None, message: str, field: str | None = None) -> str:
    """The refusal in words. A general sentence gets the service's detail, which says which
    thing and why; on a Chinese page a detail in English gives way to the field's caption
    (field_text), so a Chinese page shows no English sentence."""
    words = error_text(code, message)
    if code in GENERAL_CODES and message and message != words:
        if not _zh():
            return f"{words} ({message})"
        if CJK.search(message):
            return f"{words}（{message}）"
        caption = field_text(field)
        return f"{words}（{caption}）" if caption else words
    return words


def _zh() -> bool:
    from loanledger.web.i18n import current_language

    return current_language() == "zh"


def flash_form_error(error: FormError) -> None:
    flash(refusal_message(error.code, error.detail), "error")


def attempt(action: Callable[[], object]) -> Refusal | None:
    """Run one use case in the request's unit of work: None when it was done (committed),
    else the refusal (rolled back), for a page that shows more of it than a flash message."""
    try:
        with unit_of_work(db_session()):
            action()
    except Refusal as error:
        return error
    except (IntegrityError, OperationalError):
        # A concurrent change won (a unique index, a lock): nothing of this request is kept.
        log.warning("web action refused by the database", exc_info=True)
        return Refusal("invalid_state", "")
    return None


def flash_refusal(error: Refusal) -> None:
    flash(refusal_message(error.code, error.message, error.field), "error")


def perform(action: Callable[[], object], success_key: str, **values) -> bool:
    """Run one use case in the request's unit of work: commit and say so, or roll back and
    show the refusal. True when it was done."""
    refusal = attempt(action)
    if refusal is not None:
        flash_refusal(refusal)
        return False
    flash(t(success_key, **values), "success")
    return True
