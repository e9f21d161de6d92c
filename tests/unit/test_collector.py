"""The close pauses CPython's cyclic collector and always gives it back."""

from __future__ import annotations

import gc

import pytest

from loanledger.services import collector


def test_the_collector_is_paused_inside_and_back_afterwards_even_after_an_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector.paused():
        assert not gc.isenabled()
        with collector.paused():  # nested: the inner pause must not switch it back on
            assert not gc.isenabled()
        assert not gc.isenabled()
        raise RuntimeError("the close failed")
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_host_stays_off():
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_cyclic_garbage_of_a_chunk_is_collected_between_chunks():
    class Node:
        pass

    with collector.paused():
        before = sum(1 for o in gc.get_objects() if isinstance(o, Node))
        for _ in range(1000):
            a, b = Node(), Node()
            a.other, b.other = b, a  # a cycle: reference counting alone never frees it
        del a, b
        assert sum(1 for o in gc.get_objects() if isinstance(o, Node)) == before + 2000
        collector.between_chunks()
        assert sum(1 for o in gc.get_objects() if isinstance(o, Node)) == before
