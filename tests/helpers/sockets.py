"""Local sockets for tests against a real Envoy: a port nothing listens on, and waiting for a client."""

from __future__ import annotations

import os
import socket
import time

import pytest


def closed_port() -> int:
    """A local port that nothing listens on (bound then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_connection_to(port: int, timeout: float = 20.0) -> None:
    """Wait until some client has an established TCP connection to 127.0.0.1:`port`.

    Read from /proc/net/tcp: with Envoy frozen (SIGSTOP) the kernel still completes the
    handshake, so this tells us a request is in flight before the test kills Envoy.
    """
    if not os.path.exists("/proc/net/tcp"):
        pytest.skip("needs Linux /proc/net/tcp to see connections")
    wanted = f"0100007F:{port:04X}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open("/proc/net/tcp") as table:
            for line in table.readlines()[1:]:
                fields = line.split()
                if fields[2] == wanted and fields[3] == "01":  # remote address, state ESTABLISHED
                    return
        time.sleep(0.02)
    raise AssertionError(f"no client connected to port {port} within {timeout}s")
