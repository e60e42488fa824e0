"""meshctl.sources.deadline: one watchdog thread fires every guard at its deadline, again while the
block runs, never after it ended; a watched socket is shut. Events, not sleeps, tell what happened:
the bounds (10 s) are far above the deadlines (0.05-0.2 s) and far below the long ones (60 s)."""

from __future__ import annotations

import socket
import threading

from meshctl.sources.deadline import Deadline, watch

WAIT = 10.0


def watchdogs() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "meshctl deadline watchdog"]


def test_one_watchdog_thread_serves_every_guard():
    for _ in range(50):
        with Deadline(60).guard(lambda: None):
            pass
    assert len(watchdogs()) == 1 and watchdogs()[0].daemon


def test_a_guard_fires_at_its_deadline_and_again_until_the_block_ends():
    calls = threading.Semaphore(0)
    deadline = Deadline(0.05)
    with deadline.guard(calls.release):
        assert calls.acquire(timeout=WAIT)  # at the deadline
        assert deadline.fired and deadline.expired
        assert calls.acquire(timeout=WAIT)  # REFIRE_SECONDS later, the block still running


def test_a_block_that_ended_is_never_cancelled():
    cancelled = threading.Event()
    deadline = Deadline(0.05)
    with deadline.guard(cancelled.set):
        pass
    later = threading.Event()
    with Deadline(0.2).guard(later.set):  # a later guard fires: the first one's time has long passed
        assert later.wait(WAIT)
    assert not cancelled.is_set() and not deadline.fired


def test_an_earlier_deadline_armed_after_a_later_one_fires_first():
    long_started, long_done, short_fired = threading.Event(), threading.Event(), threading.Event()

    def long_guard():
        with Deadline(60).guard(lambda: None):
            long_started.set()
            long_done.wait(WAIT)

    thread = threading.Thread(target=long_guard, daemon=True)
    thread.start()
    assert long_started.wait(WAIT)  # the watchdog now waits for a deadline a minute away
    with Deadline(0.05).guard(short_fired.set):
        assert short_fired.wait(WAIT)
    long_done.set()
    thread.join(WAIT)


def test_a_watched_socket_is_shut_at_the_deadline():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.settimeout(WAIT)
        deadline = Deadline(0.05)
        with deadline.guard():
            watch(ours)
            assert ours.recv(10) == b""  # blocked until the watchdog shut it
        assert deadline.fired


def test_watch_outside_a_guard_does_nothing():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        watch(ours)
        theirs.sendall(b"x")
        assert ours.recv(10) == b"x"
