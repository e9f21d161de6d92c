"""The close's background writer: order, errors, and never outliving its caller."""

from __future__ import annotations

import threading
import time

import pytest

from loanledger.services.pipeline import BackgroundWriter, writing_behind


def test_items_are_written_in_order_in_another_thread():
    written, threads = [], set()

    def write(n, text):
        time.sleep(0.001 * (n % 3))  # uneven work must not reorder
        threads.add(threading.current_thread().name)
        written.append((n, text))

    with writing_behind(write) as put:
        for n in range(50):
            put(n, str(n))
    assert written == [(n, str(n)) for n in range(50)]
    assert threads == {"close-writer"}


def test_a_write_error_stops_the_writing_and_reaches_the_caller():
    written = []

    def write(n):
        if n == 3:
            raise ValueError("COPY refused row 3")
        written.append(n)

    writer = BackgroundWriter(write)
    with pytest.raises(ValueError, match="row 3"):
        for n in range(100):
            writer(n)
        writer.join()
    with pytest.raises(ValueError, match="row 3"):
        writer.join()
    assert written == [0, 1, 2]  # nothing after the error, even what was already queued


def test_an_error_in_the_caller_waits_for_the_writer_before_it_propagates():
    """The caller's transaction is rolled back after the error: the thread must be done with
    the session by then, and what was put before the error was written."""
    written, release = [], threading.Event()

    def write(n):
        release.wait(5)
        written.append(n)

    with pytest.raises(RuntimeError, match="compute failed"), writing_behind(write) as put:
        put(1)
        threading.Timer(0.05, release.set).start()
        raise RuntimeError("compute failed")
    assert written == [1]


def test_at_most_one_item_waits_while_one_is_written():
    """Memory stays a few chunks: the caller blocks while the writer is behind."""
    release, started = threading.Event(), threading.Event()

    def write(n):
        started.set()
        release.wait(5)

    writer = BackgroundWriter(write)
    writer(1)
    assert started.wait(5)  # item 1 is being written
    writer(2)  # waits in the queue
    blocked = threading.Thread(target=writer, args=(3,))
    blocked.start()
    blocked.join(0.1)
    assert blocked.is_alive()
    release.set()
    blocked.join(5)
    writer.join()
