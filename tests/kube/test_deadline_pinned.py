"""meshctl.sources.deadline pinned on socket pairs: what a guard shuts at its deadline (its cancel, the
sockets `watch`ed in its block, one made after the deadline, one looked up when it fires), what it leaves
alone (anything once the block has ended, sockets outside any guard), and how both ways are shut.

Time bounds are generous (a loaded machine may run a timer late, never early): "at the deadline" is
asserted as "within a few seconds", "not shut" after waiting past the deadline.
"""

from __future__ import annotations

import socket
import threading
import time

from meshctl.sources import deadline as deadlines
from meshctl.sources.deadline import Deadline, shut, watch

LATE = 5.0  # how late a timer may fire on a loaded machine


def is_shut(sock: socket.socket) -> bool:
    """Both ways: a read ends at once and a write fails."""
    sock.settimeout(0)
    try:
        read_ended = sock.recv(1) == b""
    except BlockingIOError:
        read_ended = False
    try:
        sock.send(b"x")
        write_failed = False
    except OSError:
        write_failed = True
    return read_ended and write_failed


def test_remaining_and_expired():
    later = Deadline(60)
    assert 59 < later.remaining() <= 60 and not later.expired
    assert later.seconds == 60
    for past in (Deadline(0), Deadline(-5)):
        assert past.remaining() == 0.0 and past.expired
    later.fired = True  # the watchdog fired: expired whatever the clock says
    assert later.expired


def test_a_blocked_read_ends_at_the_deadline(pair):
    ours, theirs = pair
    deadline = Deadline(0.3)
    started = time.monotonic()
    with deadline.guard(shut(ours)):
        assert ours.recv(10) == b""  # blocked until the watchdog shut the socket
    assert 0.25 < time.monotonic() - started < 0.3 + LATE
    assert deadline.fired and deadline.expired


def test_the_cancel_runs_once_at_the_deadline_and_again_while_the_block_runs():
    calls = []
    deadline = Deadline(0.2)
    with deadline.guard(lambda: calls.append(time.monotonic())):
        time.sleep(0.2 + 2 * deadlines.REFIRE_SECONDS + 0.1)
        assert deadline.fired
    assert len(calls) >= 2  # at the deadline, then again every REFIRE_SECONDS until the block ended
    ended = len(calls)
    time.sleep(2 * deadlines.REFIRE_SECONDS)
    assert len(calls) == ended  # nothing once the block has ended


def test_a_block_that_ends_in_time_shuts_nothing(pair):
    ours, theirs = pair
    called = []
    deadline = Deadline(0.3)
    with deadline.guard(lambda: called.append(1)):
        watch(ours)
    time.sleep(0.6)
    assert not called and not deadline.fired and deadline.expired  # the clock passed the deadline; nothing fired
    theirs.sendall(b"ok")
    assert ours.recv(2) == b"ok"  # the socket still works: it may serve another request by now


def test_sockets_watched_in_the_block_are_shut_at_the_deadline(pair):
    ours, theirs = pair
    other, other_peer = socket.socketpair()
    with other, other_peer:
        with Deadline(0.2).guard():
            watch(ours)
            watch(other)
            assert ours.recv(10) == b""
        assert is_shut(ours) and is_shut(other)


def test_watch_outside_a_guard_does_nothing(pair):
    ours, theirs = pair
    watch(ours)
    with Deadline(0.2).guard():
        time.sleep(0.5)
    theirs.sendall(b"ok")
    assert ours.recv(2) == b"ok"


def test_a_socket_watched_after_the_deadline_is_shut_at_once(pair):
    ours, theirs = pair
    deadline = Deadline(0.1)
    with deadline.guard():
        while not deadline.fired:
            time.sleep(0.01)
        watch(ours)  # a connection made after the deadline (it was still being connected)
        assert is_shut(ours)


def test_a_cancel_that_fails_does_not_stop_the_others(pair):
    ours, theirs = pair

    def fails():
        raise OSError("already closed")

    with Deadline(0.2).guard(fails):
        watch(ours)
        assert ours.recv(10) == b""


def test_shut_looks_the_socket_up_when_the_deadline_fires(pair):
    ours, theirs = pair
    holder: list[socket.socket | None] = [None]
    deadline = Deadline(0.1)
    with deadline.guard(shut(lambda: holder[0])):
        while not deadline.fired:  # fired with no socket yet: nothing to shut, no error
            time.sleep(0.01)
        holder[0] = ours  # made after the deadline: shut when the watchdog fires again
        assert ours.recv(10) == b""


def test_a_guard_inside_another_gives_watch_back_to_the_outer_one(pair):
    ours, theirs = pair
    outer = Deadline(0.3)
    with outer.guard():
        with Deadline(60).guard():
            pass
        watch(ours)
        assert ours.recv(10) == b""
    assert outer.fired


def test_a_guard_in_another_thread_is_not_this_threads(pair):
    ours, theirs = pair
    entered, leave = threading.Event(), threading.Event()

    def other_thread():
        with Deadline(0.1).guard():
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=other_thread, daemon=True)
    thread.start()
    assert entered.wait(10)
    watch(ours)  # this thread runs no guard
    time.sleep(0.5)
    leave.set()
    thread.join(10)
    theirs.sendall(b"ok")
    assert ours.recv(2) == b"ok"


def test_shut_ends_both_ways(pair):
    ours, theirs = pair
    shut(ours)()
    assert is_shut(ours)
    assert theirs.recv(1) == b""  # the peer sees the end too
