"""`--admin` when Envoy is gone, frozen or dies mid-request: exit 69 and one line, never a traceback."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc

import pytest

from meshctl.errors import SourceError
from meshctl.sources.admin import AdminSource

from helpers import ROOT, Result, run_meshctl
from helpers.sockets import closed_port, wait_for_connection_to


def assert_one_line_error(result, *phrases: str) -> None:
    assert result.exit_code == 69, result
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("meshctl: error: "), result.stderr
    for phrase in phrases:
        assert phrase in lines[0]


def test_admin_port_closed():
    result = run_meshctl("pc", "cluster", "--admin", f"http://127.0.0.1:{closed_port()}")
    assert_one_line_error(result, "refused the connection")


@pytest.mark.envoy
def test_admin_port_closed_after_envoy_stopped():
    from meshctl.sandbox.rig import Rig

    with Rig.start(max_seconds=60) as rig:
        url = rig.admin_url
    assert_one_line_error(run_meshctl("pc", "secret", "--admin", url), "refused the connection")


def _meshctl_process(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "meshctl", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )


def _finish(proc: subprocess.Popen):
    out, err = proc.communicate(timeout=60)
    return Result(proc.returncode, out.decode(), err.decode())


@pytest.mark.envoy
def test_envoy_killed_mid_request(own_rig):
    os.kill(own_rig.envoy_pid, signal.SIGSTOP)  # the request reaches the socket, Envoy cannot answer
    proc = _meshctl_process("pc", "cluster", "--admin", own_rig.admin_url, "--timeout", "60")
    try:
        wait_for_connection_to(own_rig.admin_port)
        os.kill(own_rig.envoy_pid, signal.SIGKILL)
        result = _finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert_one_line_error(result, own_rig.admin_url)


@pytest.mark.envoy
def test_envoy_frozen_hits_the_timeout(own_rig):
    os.kill(own_rig.envoy_pid, signal.SIGSTOP)
    started = time.monotonic()
    result = run_meshctl("pc", "listener", "--admin", own_rig.admin_url, "--timeout", "1s")
    assert_one_line_error(result, "did not answer", "within 1s")
    assert time.monotonic() - started < 30


@pytest.mark.envoy
def test_unknown_admin_path_is_a_source_error(envoy_rig):
    with pytest.raises(SourceError, match="HTTP 404"):
        envoy_rig.admin().fetch("no_such_handler")


class _Handler(http.server.BaseHTTPRequestHandler):
    """A real HTTP server whose answers stand in for an Envoy cut off mid-body."""

    body = b""

    def do_GET(self):
        self.send_response(200)
        if self.path == "/short":
            self.send_header("Content-Length", str(len(self.body) + 1000))
            self.end_headers()
            self.wfile.write(self.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        step = 1 << 20
        for start in range(0, len(self.body), step):
            piece = self.body[start:start + step]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        if self.path != "/unterminated":
            self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    _Handler.body = b"x" * (32 << 20)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["short", "unterminated"])
def test_body_cut_short_is_a_source_error(http_server, path):
    with pytest.raises(SourceError, match="closed the connection before sending all"):
        AdminSource(http_server, timeout=10).fetch(path)


def test_large_body_is_not_held_twice(http_server):
    size = len(_Handler.body)
    tracemalloc.start()
    try:
        body = AdminSource(http_server, timeout=30).fetch("config_dump")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(body) == size and body[:1] == b"x"
    assert peak < 1.5 * size, f"peak {peak / size:.2f}x the body"
