"""Whole-operation wall clocks for reads from servers meshctl does not control.

A socket timeout bounds one ``recv``: a server that sends one byte per second never trips it, and
a read loop that checks the clock between reads waits for each read to end. A `Deadline` instead
arms a watchdog (a timer thread) that shuts the connection down when the time is up, whatever the
reader is blocked in (connect, headers, a websocket frame, a body); the reader then sees the
connection end and asks ``deadline.expired`` to tell a timeout from a real end.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator


class Deadline:
    """`seconds` from now; ``with deadline.guard(cancel):`` runs `cancel()` if the block outlives it."""

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
    def guard(self, cancel: Callable[[], None]) -> Iterator[Deadline]:
        """Run `cancel()` from a timer thread if the block is still running at the deadline."""
        def fire() -> None:
            self.fired = True
            with contextlib.suppress(Exception):  # the connection may already be gone
                cancel()

        timer = threading.Timer(self.remaining(), fire)
        timer.daemon = True
        timer.start()
        try:
            yield self
        finally:
            timer.cancel()


def shut(sock) -> Callable[[], None]:
    """A `Deadline.guard` cancel for a socket: shut it down both ways (a blocked recv returns at once)."""
    return lambda: sock.shutdown(socket.SHUT_RDWR)
