"""CPython's cyclic garbage collector, paused while a close works through its chunks.

A chunk is tens of thousands of short-lived objects per 10,000 loans (rows, facts, segments,
lines); the collector's automatic runs traverse all of them, and every full run the whole
heap besides: 9–10 s of a 50 s close at 100,000 loans. What the close builds is freed by
reference counting as each chunk is dropped. Whatever cyclic garbage a chunk leaves (the
driver's, the ORM's) is collected between chunks, where only the young generations are
traversed and little is alive in them.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic collections inside; the collector as it was afterwards (nested: the
    outermost pause decides)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def between_chunks() -> None:
    """Collect the young generations: the last chunk's cyclic garbage, without the heap."""
    gc.collect(1)
