"""meshctl.sources.deadline's shared watchdog pinned: nested and concurrent guards each fire at their own
deadline and never before it, refires come REFIRE_SECONDS apart (not sooner), ties fire in the order they
were armed, the thread starts with the first guard, and `watch` in a thread that never ran a guard.

A watchdog of a test's own (`_Watchdog()`) runs its thread for good (a daemon that waits): it is renamed
when the test ends, so that the process's one named watchdog stays the only one
(tests/kube/test_deadline.py counts them by name). Timers may fire late on a loaded machine, never early:
lower bounds are exact, upper bounds generous.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from meshctl.sources import deadline as deadlines
from meshctl.sources.deadline import Deadline, shut, watch

WAIT = 10.0
NAME = "meshctl deadline watchdog"


@pytest.fixture
def watchdog():
    """A `_Watchdog` of the test's own; its thread (if started) renamed at the end."""
    dog = deadlines._Watchdog()
    yield dog
    if dog._thread is not None:
        dog._thread.name = "retired test watchdog"


def guard_of(seconds: float, cancel) -> deadlines._Guard:
    return deadlines._Guard(Deadline(seconds), cancel)


def test_a_watchdog_starts_its_thread_with_the_first_guard(watchdog):
    assert watchdog._thread is None  # made at import: no thread until a guard needs one
    fired = threading.Event()
    guard = guard_of(0.05, fired.set)
    watchdog.arm(guard, guard.deadline.end)
    thread = watchdog._thread
    assert thread is not None and thread.is_alive() and thread.daemon and thread.name == NAME
    assert fired.wait(WAIT) and guard.deadline.fired
    guard.close()
    other = guard_of(0.05, threading.Event().set)
    watchdog.arm(other, other.deadline.end)
    assert watchdog._thread is thread  # the same thread for the next guard
    other.close()


def test_guards_due_at_the_same_time_fire_in_the_order_armed(watchdog):
    order: list[int] = []
    done = threading.Semaphore(0)
    at = time.monotonic() + 0.2
    guards = []
    for index in range(4):
        guard = guard_of(60, lambda index=index: (order.append(index), done.release()))
        guards.append(guard)
        watchdog.arm(guard, at)  # one time for all: the heap orders them by when they were armed
    for _ in guards:
        assert done.acquire(timeout=WAIT)
    for guard in guards:
        guard.close()
    assert order[:4] == [0, 1, 2, 3]


def test_a_guard_armed_for_an_earlier_time_wakes_the_watchdog(watchdog):
    late, early = guard_of(60, lambda: None), threading.Event()
    watchdog.arm(late, late.deadline.end)
    time.sleep(0.1)  # the thread now waits for a time a minute away
    guard = guard_of(0.05, early.set)
    started = time.monotonic()
    watchdog.arm(guard, guard.deadline.end)
    assert early.wait(WAIT) and time.monotonic() - started < WAIT
    guard.close()
    late.close()


def test_a_guard_that_ended_is_dropped_and_the_next_one_fires(watchdog):
    ended, later = threading.Event(), threading.Event()
    first = guard_of(0.05, ended.set)
    watchdog.arm(first, first.deadline.end)
    first.close()  # its block ended before its time
    second = guard_of(0.3, later.set)
    watchdog.arm(second, second.deadline.end)
    assert later.wait(WAIT)
    second.close()
    assert not ended.is_set() and not first.deadline.fired


def test_nested_guards_each_fire_at_their_own_deadline():
    calls: list[tuple[str, float]] = []
    outer, inner = Deadline(1.2), Deadline(0.3)
    started = time.monotonic()
    with outer.guard(lambda: calls.append(("outer", time.monotonic() - started))):
        with inner.guard(lambda: calls.append(("inner", time.monotonic() - started))):
            while not inner.fired:
                time.sleep(0.01)
            assert not outer.fired  # the inner deadline is not the outer one's
        while not outer.fired:
            time.sleep(0.01)
    names = [name for name, _ in calls]
    assert names[0] == "inner" and "outer" in names
    assert min(when for name, when in calls if name == "inner") >= 0.3
    assert min(when for name, when in calls if name == "outer") >= 1.2  # never before its deadline
    # once its block ended the inner guard fired no more, though the outer block ran on
    inner_last = max(when for name, when in calls if name == "inner")
    outer_first = min(when for name, when in calls if name == "outer")
    assert inner_last < outer_first


def test_concurrent_guards_fire_each_at_its_deadline():
    # threads with deadlines 0.2 s to 1.0 s apart: each guard's cancel comes at or after its own
    # deadline, and only its own sockets are shut
    seconds = [1.0, 0.2, 0.6, 0.4, 0.8]
    fired_after: dict[int, float] = {}
    peers: dict[int, bytes] = {}
    barrier = threading.Barrier(len(seconds))

    def run(index: int) -> None:
        ours, theirs = socket.socketpair()
        with ours, theirs:
            ours.settimeout(WAIT + 5)
            barrier.wait(WAIT)
            started = time.monotonic()
            with Deadline(seconds[index]).guard():
                watch(ours)
                peers[index] = ours.recv(10)  # b"" once the watchdog shut it
                fired_after[index] = time.monotonic() - started

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(len(seconds))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT + 10)
    assert peers == {index: b"" for index in range(len(seconds))}
    for index, limit in enumerate(seconds):
        assert fired_after[index] >= limit, (index, fired_after[index])


def test_refires_come_refire_seconds_apart():
    calls: list[float] = []
    deadline = Deadline(0.1)
    with deadline.guard(lambda: calls.append(time.monotonic())):
        time.sleep(0.1 + 4 * deadlines.REFIRE_SECONDS + 0.1)
    assert len(calls) >= 2
    gaps = [later - earlier for earlier, later in zip(calls, calls[1:])]
    assert all(gap >= deadlines.REFIRE_SECONDS - 0.005 for gap in gaps), gaps  # never sooner
    assert calls[0] >= deadline.end


def test_a_guard_does_not_fire_before_its_deadline():
    fired_at: list[float] = []
    deadline = Deadline(1.5)
    with deadline.guard(lambda: fired_at.append(time.monotonic())):
        while not fired_at and time.monotonic() < deadline.end + WAIT:
            time.sleep(0.01)
    assert fired_at and fired_at[0] >= deadline.end


def test_watch_in_a_thread_that_never_ran_a_guard_does_nothing(pair):
    ours, theirs = pair
    outcome: list = []

    def fresh_thread():
        try:
            watch(ours)
            outcome.append("watched")
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            outcome.append(exc)

    thread = threading.Thread(target=fresh_thread, daemon=True)
    thread.start()
    thread.join(WAIT)
    assert outcome == ["watched"]
    theirs.sendall(b"ok")
    assert ours.recv(2) == b"ok"


def test_a_guard_releases_its_cancels_when_its_block_ends(pair):
    import gc
    import weakref

    ours, theirs = pair

    class Cancel:
        def __call__(self) -> None:
            shut(ours)()

    cancel = Cancel()
    alive = weakref.ref(cancel)
    deadline = Deadline(60)
    with deadline.guard(cancel):
        pass
    del cancel
    gc.collect()
    assert alive() is None  # not held until the watchdog drops the guard, a minute from now


def test_an_idle_watchdog_fires_the_next_guard_at_its_time_not_before(watchdog):
    # the watchdog's own thread (`_run`, entered once per watchdog) decides when a guard is due
    first = threading.Event()
    guard = guard_of(0.05, first.set)
    watchdog.arm(guard, guard.deadline.end)
    assert first.wait(WAIT)
    guard.close()  # its refire went to the module's watchdog: this one's heap is empty, its thread waits
    time.sleep(0.1)
    fired: list[float] = []
    later = guard_of(0.6, lambda: fired.append(time.monotonic()))
    watchdog.arm(later, later.deadline.end)  # wakes the idle thread, which must wait for the time
    while not fired and time.monotonic() < later.deadline.end + WAIT:
        time.sleep(0.01)
    later.close()
    assert fired and fired[0] >= later.deadline.end
