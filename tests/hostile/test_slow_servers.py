"""Slow and endless servers: every read ends within its timeout plus a few seconds, at bounded memory.

Each runs meshctl as a fresh process under a 2 GiB address space (`run_limited`) against a server
that sends one byte per second, or a body without end (tests/helpers/slowserver.py): an Envoy
admin URL, a pod's admin API over the fake cluster's port-forward and exec, and the API server.
A trickle must hit the wall clock (--timeout/--request-timeout), not a per-read timeout it always
beats; an endless body must hit --max-body-size (exit 65), never MemoryError.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import pytest

from fakekube import endless as exec_endless
from fakekube import istio_pod
from fakekube import trickle as exec_trickle
from helpers.hostile import one_error_line, run_limited
from helpers.slowserver import SlowServer, by_path, close_delimited, endless, trickle, trickled_body, whole

SMALL_DUMP = json.dumps({"configs": []}).encode()


def _timed(*args, **kwargs):
    started = time.monotonic()
    run = run_limited(*args, **kwargs)
    return run, time.monotonic() - started


@pytest.mark.parametrize("answer", [trickled_body(), trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")],
                         ids=["body", "status-line"])  # fmt: skip
def test_admin_url_trickle_ends_at_the_timeout(answer):
    with SlowServer(answer) as server:
        run, seconds = _timed("pc", "cluster", "--admin", server.url, "--timeout", "2s", timeout=60)
    assert run.exit_code == 69
    assert "within 2s" in one_error_line(run)
    assert seconds < 2 + 8  # the timeout plus a process start under load


def test_admin_url_tls_handshake_trickle_ends_at_the_timeout():
    # a TLS handshake trickled a byte a second: each read beats the per-read timeout, only the deadline ends it
    with tls_trickler() as url:
        run, seconds = _timed("pc", "cluster", "--admin", url, "--timeout", "2s", timeout=90)
    assert run.exit_code == 69
    assert "within 2s" in one_error_line(run)
    assert seconds < 2 + 8


def test_endless_admin_body_stops_at_the_default_limit():
    with SlowServer(endless()) as server:
        run, seconds = _timed("pc", "cluster", "--admin", server.url, "--timeout", "5m", timeout=120)
    assert run.exit_code == 65, run.stderr[-500:]
    line = one_error_line(run)
    assert "larger than 1Gi" in line and "--max-body-size" in line


def test_endless_admin_body_stops_at_a_lower_limit_quickly():
    with SlowServer(endless()) as server:
        run, seconds = _timed("pc", "cluster", "--admin", server.url, "--max-body-size", "32Mi", timeout=60)
    assert run.exit_code == 65 and "larger than 32Mi" in one_error_line(run)
    assert seconds < 15


def test_a_body_delimited_by_connection_close_is_read_whole():
    with SlowServer(close_delimited(SMALL_DUMP)) as server:
        run = run_limited("pc", "cluster", "--admin", server.url, "-o", "json", timeout=60)
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout) == []


# -- the cluster: port-forward, exec, API server ------------------------------------------------


@pytest.mark.kube
@pytest.mark.slow
def test_port_forward_trickle_ends_at_the_timeout(fake_kube):
    fake_kube.add(istio_pod("app", "default"))
    with SlowServer(trickled_body()) as server:
        fake_kube.forward_port(15000, server.address)
        # exec is the fallback when port-forward fails: make it stall as well (a handler that never ends)
        fake_kube.on_exec(["pilot-agent", "request"], lambda req: time.sleep(60) or b"{}")
        run, seconds = _timed("pc", "cluster", "app.default", "--request-timeout", "2s", env=fake_kube.env(), timeout=90)
    assert run.exit_code == 69
    line = one_error_line(run)
    assert "within 2s" in line
    assert seconds < 2 * 2 + 10  # port-forward's clock, then exec's, plus process start under load


@pytest.mark.kube
def test_port_forward_body_delimited_by_connection_close_is_read_whole(fake_kube):
    fake_kube.add(istio_pod("app", "default"))
    with SlowServer(close_delimited(SMALL_DUMP)) as server:
        fake_kube.forward_port(15000, server.address)
        run = run_limited("pc", "cluster", "app.default", "-o", "json", "-v", env=fake_kube.env(), timeout=60)
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout) == [] and "port-forward to app.default" in run.stderr


@pytest.mark.kube
def test_endless_port_forward_and_exec_output_stop_at_the_limit(fake_kube):
    fake_kube.add(istio_pod("app", "default"))
    with SlowServer(endless()) as server:
        fake_kube.forward_port(15000, server.address)
        run = run_limited("pc", "cluster", "app.default", "--max-body-size", "16Mi", env=fake_kube.env(), timeout=60)
    assert run.exit_code == 65 and "larger than 16Mi" in one_error_line(run)
    fake_kube.refuse_port_forward("upgrade")
    fake_kube.on_exec(["pilot-agent", "request"], b" " * (40 << 20))
    run = run_limited("pc", "cluster", "app.default", "--max-body-size", "16Mi", env=fake_kube.env(), timeout=60)
    assert run.exit_code == 65
    assert "the output of exec" in one_error_line(run) and "--max-body-size" in one_error_line(run)


@pytest.mark.kube
def test_trickling_exec_ends_at_the_request_timeout(fake_kube):
    # port-forward refused: exec is the way in, and its command writes one frame per second, for ever
    fake_kube.add(istio_pod("app", "default"))
    fake_kube.refuse_port_forward("upgrade")
    fake_kube.on_exec(["pilot-agent", "request"], exec_trickle())
    run, seconds = _timed("pc", "cluster", "app.default", "--request-timeout", "2s", env=fake_kube.env(), timeout=60)
    assert run.exit_code == 69
    assert "exec failed" in one_error_line(run) and "no answer within 2s" in one_error_line(run)
    assert seconds < 2 + 8


@pytest.mark.kube
@pytest.mark.slow
def test_endless_exec_output_stops_at_the_default_limit(fake_kube):
    # frames as fast as they are read: the answer stops at --max-body-size (1Gi), within the 2 GiB address space
    fake_kube.add(istio_pod("app", "default"))
    fake_kube.refuse_port_forward("upgrade")
    fake_kube.on_exec(["pilot-agent", "request"], exec_endless())
    run = run_limited("pc", "cluster", "app.default", "--request-timeout", "5m", env=fake_kube.env(), timeout=240)
    assert run.exit_code == 65, run.stderr[-500:]
    line = one_error_line(run)
    assert "the output of exec" in line and "larger than 1Gi" in line and "--max-body-size" in line


def _kubeconfig(tmp_path, server: str) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "slow",
        "clusters": [{"name": "slow", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "slow", "context": {"cluster": "slow", "user": "u", "namespace": "default"}}],
    }))  # fmt: skip
    return str(path)


POD_JSON = json.dumps(istio_pod("app", "default")).encode()
# A server that accepts, then sends its status line and headers one byte per second: urllib3 (API
# requests), websocket-client (exec upgrades) and meshctl.sources.kubews (port-forward upgrades, on
# the API connection) would read them with a per-read timeout
# that such a server never trips. Before the watchdog covered them, `pc cluster app` ran 72 s here.
TRICKLED_HEADERS = trickle(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"kind\":\"Pod\"}")
TRICKLED_UPGRADE = trickle(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           b"Sec-WebSocket-Accept: x\r\n\r\n")


@pytest.mark.parametrize("answer", [trickled_body(), TRICKLED_HEADERS], ids=["body", "headers"])
def test_api_server_trickle_ends_at_the_request_timeout(tmp_path, answer):
    with SlowServer(answer) as server:
        kubeconfig = _kubeconfig(tmp_path, server.url)
        run, seconds = _timed("pc", "cluster", "app", "--kubeconfig", kubeconfig, "--request-timeout", "2s", timeout=60)
    assert run.exit_code == 69
    assert "did not answer get pods within 2s" in one_error_line(run)
    assert seconds < 2 + 8


@contextlib.contextmanager
def tls_trickler(seconds: float = 40):
    """A server that, on each connection, sends a TLS record header announcing a 4 KB handshake
    message, then its bytes one per second, without reading: each read a client makes of it beats
    a per-read timeout (SlowServer reads a request first, 5 s at most, which a TLS client never sends)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            for byte in (b"\x16\x03\x03\x10\x00" + b"\x02" * 4096)[: int(seconds)]:
                if stop.is_set():
                    return
                conn.sendall(bytes([byte]))
                time.sleep(1)

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_an_https_api_servers_trickled_tls_handshake_ends_at_the_request_timeout(tmp_path):
    # the request's clock covers the TLS handshake of a new connection (the TLS socket is watched)
    with tls_trickler() as url:
        kubeconfig = _kubeconfig(tmp_path, url)
        run, seconds = _timed("pc", "cluster", "app", "--kubeconfig", kubeconfig, "--request-timeout", "2s", timeout=90)
    assert run.exit_code == 69
    assert "did not answer get pods within 2s" in one_error_line(run)
    assert seconds < 2 + 8  # the connect timeout (10 s) would be beaten by each byte


@pytest.mark.slow
def test_exec_and_port_forward_upgrades_trickled_end_at_the_request_timeout(tmp_path):
    # the pod is read at once; both ways into it (port-forward, then exec) get a trickled 101
    answer = by_path({"/portforward": TRICKLED_UPGRADE, "/exec": TRICKLED_UPGRADE}, whole("200 OK", POD_JSON))
    with SlowServer(answer) as server:
        kubeconfig = _kubeconfig(tmp_path, server.url)
        run, seconds = _timed("pc", "cluster", "app", "--kubeconfig", kubeconfig, "--request-timeout", "2s", timeout=90)
    assert run.exit_code == 69
    line = one_error_line(run)
    assert "port-forward failed" in line and "exec failed" in line and line.count("did not answer within 2s") == 2
    assert seconds < 2 * 2 + 10  # port-forward's clock, then exec's, plus process start under load


def test_endless_api_list_stops_at_the_limit(tmp_path):
    with SlowServer(endless(prefix=b'{"kind": "PodList", "items": [')) as server:
        kubeconfig = _kubeconfig(tmp_path, server.url)
        run = run_limited("pc", "cluster", "-A", "--kubeconfig", kubeconfig, "--max-body-size", "16Mi", timeout=60)
    assert run.exit_code == 65
    assert "larger than 16Mi" in one_error_line(run) and "list pods" in one_error_line(run)


def test_credentials_in_a_kubeconfig_server_url_are_never_printed(tmp_path):
    kubeconfig = _kubeconfig(tmp_path, "http://admin:hunter2@127.0.0.1:9")  # nothing listens on port 9
    run = run_limited("pc", "cluster", "app", "--kubeconfig", kubeconfig, "--request-timeout", "2s", timeout=60)
    assert run.exit_code == 69
    assert "hunter2" not in run.stderr and "admin:" not in run.stderr and "127.0.0.1:9" in run.stderr
    run = run_limited("pc", "cluster", "--admin", "http://user:hunter2@127.0.0.1:9", timeout=60)
    assert run.exit_code == 69 and "hunter2" not in run.stderr
