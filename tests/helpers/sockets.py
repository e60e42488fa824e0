"""Local sockets for tests: a port nothing listens on, waiting for a client, a GET through a local port."""

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


def get_through(port: int, path: str) -> tuple[int, bytes]:
    """GET `path` from 127.0.0.1:`port` on a fresh connection: (status, body)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()
