"""Whole-operation wall clocks for reads from servers meshctl does not control.

A socket timeout bounds one ``recv``: a server that sends one byte per second never trips it, and
a read loop that checks the clock between reads waits for each read to end. A `Deadline` instead
has a watchdog shut the connection down when the time is up, whatever the reader is blocked in
(connect, a TLS handshake, headers, a websocket frame, a body); the reader then sees the
connection end and asks ``deadline.expired`` to tell a timeout from a real end.

What to shut is known in two ways: the code that owns the connection passes a ``cancel`` to
`Deadline.guard`, or, where the connection is made inside the guarded call (API requests, in
meshctl.sources.kubehttp), the connection calls `watch(sock)` when it opens or reuses a socket,
which registers it with the guard running in that thread.

One watchdog thread serves every guard of the process (`_Watchdog`): a guarded block costs a
heap entry, not a thread of its own (a timer thread per request made three threads for
`meshctl pc cluster POD` and ~1500 for `check -A` over 500 pods).
"""

from __future__ import annotations

import contextlib
import heapq
import socket
import threading
import time
from collections.abc import Callable, Iterator

# While the guarded block still runs after the deadline, the watchdog fires again this often: a
# socket that did not exist yet at the deadline (a connection still being made) is shut when it does.
REFIRE_SECONDS = 0.25

_ACTIVE = threading.local()  # the guard running in this thread, for `watch`


class Deadline:
    """`seconds` from now; ``with deadline.guard(cancel):`` ends the block's I/O if it outlives it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.fired = False

    def remaining(self) -> float:
        """Seconds left (0 when past)."""
        return max(0.0, self.end - time.monotonic())

    @property
    def expired(self) -> bool:
        """The watchdog fired, or the time is up."""
        return self.fired or time.monotonic() >= self.end

    @contextlib.contextmanager
    def guard(self, cancel: Callable[[], None] | None = None) -> Iterator[Deadline]:
        """At the deadline, run `cancel()` and shut the sockets the block `watch`ed, until the block ends."""
        guard = _Guard(self, cancel)
        previous = getattr(_ACTIVE, "guard", None)
        _ACTIVE.guard = guard
        _WATCHDOG.arm(guard, self.end)
        try:
            yield self
        finally:
            _ACTIVE.guard = previous
            guard.close()


class _Guard:
    """One guarded block: its cancels, and a lock so that nothing is shut once the block has ended
    (a socket a finished request gave back to its pool may serve another request by then)."""

    def __init__(self, deadline: Deadline, cancel: Callable[[], None] | None) -> None:
        self.deadline = deadline
        self.cancels: list[Callable[[], None]] = [cancel] if cancel else []
        self.lock = threading.Lock()
        self.done = False

    def fire(self) -> None:
        """The deadline (or a refire time) has come: cancel everything, then again in REFIRE_SECONDS."""
        with self.lock:
            if self.done:
                return
            self.deadline.fired = True
            for cancel in self.cancels:
                with contextlib.suppress(Exception):  # the connection may already be gone
                    cancel()
        _WATCHDOG.arm(self, time.monotonic() + REFIRE_SECONDS)

    def add(self, cancel: Callable[[], None]) -> None:
        with self.lock:
            if self.done:
                return
            self.cancels.append(cancel)
            if self.deadline.fired:  # opened after the deadline: end it now
                with contextlib.suppress(Exception):
                    cancel()

    def close(self) -> None:
        with self.lock:
            self.done = True
            self.cancels.clear()  # what they hold (sockets) is not kept until the watchdog drops the entry


class _Watchdog:
    """The thread that fires each armed guard at its time: a heap of (time, order, guard), the
    earliest first; guards that ended before their time are dropped when they come up. Started
    on the first guard, a daemon: it never holds the process at exit."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, _Guard]] = []
        self._order = 0  # ties in time fire in the order armed (and guards are never compared)
        self._thread: threading.Thread | None = None

    def arm(self, guard: _Guard, at: float) -> None:
        """Fire `guard` at monotonic time `at` (unless it has ended by then)."""
        with self._condition:
            self._order += 1
            heapq.heappush(self._heap, (at, self._order, guard))
            if self._thread is None or not self._thread.is_alive():  # the first guard (or after a fork)
                self._thread = threading.Thread(target=self._run, name="meshctl deadline watchdog", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is guard:  # earlier than what the thread waits for
                self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                while True:
                    while self._heap and self._heap[0][2].done:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._condition.wait()
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        break
                    self._condition.wait(wait)
                _, _, guard = heapq.heappop(self._heap)
            guard.fire()  # outside the heap's lock: a cancel may block on its socket for a moment


_WATCHDOG = _Watchdog()


def watch(sock) -> None:
    """`sock` is about to carry this thread's guarded exchange: shut it at the guard's deadline.

    Called by connections made inside the guarded call (meshctl.sources.kubehttp's) when they open
    or reuse a socket; outside a guarded block it does nothing.
    """
    guard = getattr(_ACTIVE, "guard", None)
    if guard is not None:
        guard.add(shut(sock))


def shut(sock) -> Callable[[], None]:
    """A cancel that shuts `sock` down both ways (a blocked recv returns at once).

    `sock` may be a function returning the socket (or None), for a connection whose socket is made
    inside the guarded block: it is looked up when the deadline fires.
    """

    def cancel() -> None:
        current = sock() if callable(sock) else sock
        if current is not None:
            current.shutdown(socket.SHUT_RDWR)

    return cancel
