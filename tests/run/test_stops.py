"""A stop (Ctrl-C, SIGTERM) that arrives while a kernel is being launched waits until the kernel is recorded."""

from __future__ import annotations

import threading

import pytest

from itud.errors import stop, uninterrupted


class Stop(BaseException):
    pass


def test_a_stop_inside_an_uninterrupted_block_is_raised_when_it_ends():
    done = []
    with pytest.raises(Stop), uninterrupted():
        stop(Stop())  # as a signal handler would, in the middle of the block
        done.append("the block went on to its end")
    assert done == ["the block went on to its end"]
    with pytest.raises(Stop):  # outside a block: at once
        stop(Stop())


def test_nested_blocks_raise_once_at_the_outermost_end():
    steps = []
    with pytest.raises(Stop), uninterrupted():
        with uninterrupted():
            stop(Stop())
            steps.append("inner")
        steps.append("outer")
    assert steps == ["inner", "outer"]


def test_a_block_in_another_thread_does_not_hold_back_the_main_thread():
    inside, release = threading.Event(), threading.Event()

    def worker():
        with uninterrupted():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(10)
    try:
        with pytest.raises(Stop):
            stop(Stop())  # the main thread is in no block: at once
    finally:
        release.set()
        thread.join()
