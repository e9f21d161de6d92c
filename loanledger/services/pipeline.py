"""Computing the next chunk of a close while the database writes the last one.

A close on PostgreSQL spends about as long waiting for its COPYs as computing: the server
checks every row's foreign keys and indexes while Python waits. With two cores the two can
overlap: the caller computes chunk n+1, reading through a second, read-only connection,
while one background thread writes chunk n through the close's own transaction. The
writes stay in that one transaction, in the order the chunks were computed; the thread is
the only user of the close's session until it is joined.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

_DONE = object()


class BackgroundWriter:
    """Calls `write(*item)` for each item put, in order, in one thread; at most `depth`
    items wait, so memory stays a few chunks whatever the close's size. The first error
    stops the writing and is raised to the caller at its next put or at `join`."""

    def __init__(self, write: Callable[..., None], depth: int = 1):
        self._write = write
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="close-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not _DONE:
            if self._error is None:  # after an error, drain without writing
                try:
                    self._write(*item)
                except BaseException as error:  # handed to the caller's thread
                    self._error = error

    def __call__(self, *item: Any) -> None:
        self._raise()
        self._queue.put(item)

    def join(self) -> None:
        """Wait until everything put is written (or the first error), then raise it."""
        if self._thread.is_alive():
            self._queue.put(_DONE)
            self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


@contextlib.contextmanager
def writing_behind(write: Callable[..., None]) -> Iterator[BackgroundWriter]:
    """A BackgroundWriter that is always joined: on an error in the caller too, so the
    close's session is never rolled back while the thread still uses it."""
    writer = BackgroundWriter(write)
    try:
        yield writer
    except BaseException:
        with contextlib.suppress(BaseException):
            writer.join()
        raise
    writer.join()


@contextlib.contextmanager
def read_only_session(db: Session) -> Iterator[Session]:
    """A second session on its own connection, reading one snapshot (REPEATABLE READ, READ
    ONLY). It sees what was committed before it started, not the close's own writes. The
    caller holds the close lock, and every change a close depends on takes it shared (with
    its dirty mark), so nothing the reader reads changes while the close runs."""
    reader = Session(bind=db.get_bind(), autoflush=False)
    try:
        reader.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        reader.execute(text("SET TRANSACTION READ ONLY"))
        yield reader
    finally:
        reader.rollback()
        reader.close()
