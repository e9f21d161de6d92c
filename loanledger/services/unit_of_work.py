"""The unit of work: one transaction around a use case.

The use cases take a session and only flush; whoever calls them decides where a transaction
ends. Every adapter ends it here: the api's `endpoint` (api/auth.py), the web's `perform`
(web/forms.py) and sign-in, the command line (cli.py) and the scheduler's jobs
(services/housekeeping.py). What does not go through it, and why, is said where it happens:
the idempotency claim of a bank write and the spent nonce (api/auth.py), the job locks
(housekeeping.job_lock), an import refused as a whole (api/resources/imports.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from sqlalchemy.orm import Session


@contextlib.contextmanager
def unit_of_work(source: Session | Callable[[], Session]) -> Iterator[Session]:
    """Yields a session: committed when the block ends normally, rolled back when it raises.

    `source` is a session already open (a request's: it stays open for the rest of the
    request, which closes it) or a sessionmaker (a new session, closed at the end)."""
    if isinstance(source, Session):
        with _transaction(source) as db:
            yield db
        return
    with source() as db, _transaction(db):
        yield db


@contextlib.contextmanager
def _transaction(db: Session) -> Iterator[Session]:
    try:
        yield db
        db.commit()
    except BaseException:  # a refusal, a failed commit, an interrupt: nothing of it is kept
        db.rollback()
        raise
