"""Fixtures for tests against a real Envoy: a private rig a test may kill, and helpers."""

from __future__ import annotations

import os
import signal
import socket
import time

import pytest

from tests.conftest import start_rig


@pytest.fixture
def own_rig():
    """A rig only this test uses, so that it can stop, freeze or kill Envoy."""
    with start_rig(max_seconds=120) as rig:
        yield rig
        if rig.envoy_running():
            os.kill(rig.envoy_pid, signal.SIGCONT)  # a frozen Envoy cannot handle the SIGTERM of stop()


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
