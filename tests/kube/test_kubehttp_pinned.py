"""meshctl.sources.kubehttp pinned: the connect timeout of both schemes (a TCP connect and a TLS handshake
that never complete), the kept-alive connection replaced once when the server closed it (for a GET and
for an upgrade, and only for a kept-alive one), and the proxy a configuration and the environment name.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time

import pytest

from meshctl.errors import SourceError
from meshctl.sources.kubeconfig import ClusterConfig
from meshctl.sources.kubehttp import Connections

from helpers.slowserver import read_request
from helpers.threads import in_thread

TIMEOUT = 0.3  # the connect timeout these tests give


@pytest.fixture
def full_backlog():
    """A port whose accept queue is full: a connect to it waits (the SYN is dropped) until its timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    filler = socket.create_connection(listener.getsockname(), timeout=5)  # takes the one place in the queue
    yield listener.getsockname()[1]
    filler.close()
    listener.close()


@pytest.fixture
def silent_server():
    """A port that accepts connections and never says anything (a TLS handshake there never completes)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    listener.close()


def tls_config(port: int) -> ClusterConfig:
    return ClusterConfig(server=f"https://127.0.0.1:{port}", ssl_context=ssl.create_default_context())


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_connect_that_never_completes_ends_at_the_connect_timeout(full_backlog, scheme):
    config = tls_config(full_backlog) if scheme == "https" else ClusterConfig(server=f"http://127.0.0.1:{full_backlog}")
    started = time.monotonic()
    status, exc = in_thread(lambda: Connections(config, TIMEOUT).get("/api", {}, 30.0))
    assert status == "raised" and isinstance(exc, TimeoutError), (status, exc)
    assert time.monotonic() - started < 8  # the read timeout (30 s) is not what ended it


def test_a_tls_handshake_that_never_completes_ends_at_the_connect_timeout(silent_server):
    status, exc = in_thread(lambda: Connections(tls_config(silent_server), TIMEOUT).get("/api", {}, 30.0))
    assert status == "raised" and isinstance(exc, TimeoutError), (status, exc)


def test_an_upgrades_tls_handshake_that_never_completes_ends_at_the_connect_timeout(silent_server):
    status, exc = in_thread(lambda: Connections(tls_config(silent_server), TIMEOUT).upgrade("/x", {}, ["v5.channel.k8s.io"], 30.0))
    assert status == "raised" and isinstance(exc, TimeoutError), (status, exc)


# -- kept-alive connections ------------------------------------------------------------------------


class Script:
    """An HTTP server on 127.0.0.1 whose n-th connection (from 0) does `plans[n]`: a list of steps, each
    "answer" (200 with a body, kept alive), "close" (close without answering the request read) or
    "refuse" (a 403 to an upgrade); after the steps the connection is closed. `closed` is set each time
    the server has closed a connection; `requests` has each request's first line."""

    def __init__(self, plans: list[list[str]]) -> None:
        self.plans = plans
        self.requests: list[str] = []
        self.connections = 0
        self.closed = threading.Semaphore(0)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            plan = self.plans[self.connections] if self.connections < len(self.plans) else ["close"]
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn, plan), daemon=True).start()

    def _serve(self, conn: socket.socket, plan: list[str]) -> None:
        conn.settimeout(10)
        with conn:
            for step in plan:
                head = read_request(conn)
                if not head:
                    break
                self.requests.append(head.split(b"\r\n", 1)[0].decode())
                if step == "answer":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
                elif step == "refuse":
                    body = b'{"kind": "Status", "message": "no"}'
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                else:
                    break
            conn.shutdown(socket.SHUT_RDWR)
        self.closed.release()

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def script(request):
    server = Script(request.param)
    yield server
    server.close()


def config_of(server: Script) -> ClusterConfig:
    return ClusterConfig(server=f"http://127.0.0.1:{server.port}")


def get(conns: Connections, path: str = "/api") -> bytes:
    response = conns.get(path, {}, 10.0)
    return response.read()


@pytest.mark.parametrize("script", [[["answer", "answer"]]], indirect=True)
def test_a_kept_alive_connection_serves_the_next_get(script):
    conns = Connections(config_of(script), 5.0)
    assert get(conns, "/a") == b"{}" and get(conns, "/b") == b"{}"
    assert script.connections == 1 and script.requests == ["GET /a HTTP/1.1", "GET /b HTTP/1.1"]


@pytest.mark.parametrize("script", [[["answer", "answer"], ["answer"]]], indirect=True)
def test_a_connection_whose_answer_was_read_half_is_not_used_again(script):
    # the rest of the first body would be read as the head of the second answer
    conns = Connections(config_of(script), 5.0)
    assert conns.get("/a", {}, 10.0).read(1) == b"{"
    assert get(conns, "/b") == b"{}"
    assert script.connections == 2 and script.requests == ["GET /a HTTP/1.1", "GET /b HTTP/1.1"]


@pytest.mark.parametrize("script", [[["answer"], ["answer"]]], indirect=True)
def test_a_kept_alive_connection_the_server_closed_is_replaced_for_a_get(script):
    conns = Connections(config_of(script), 5.0)
    assert get(conns, "/a") == b"{}"
    assert script.closed.acquire(timeout=10)  # the server closed the kept-alive connection
    assert get(conns, "/b") == b"{}"
    assert script.connections == 2 and script.requests == ["GET /a HTTP/1.1", "GET /b HTTP/1.1"]


@pytest.mark.parametrize("script", [[["close"], ["close"], ["answer"]]], indirect=True)
def test_a_get_is_tried_on_two_connections_at_most(script):
    conns = Connections(config_of(script), 5.0)
    with pytest.raises(ConnectionError):  # http.client.RemoteDisconnected, or a reset
        get(conns, "/a")
    assert script.connections == 2 and script.requests == ["GET /a HTTP/1.1"] * 2


@pytest.mark.parametrize("script", [[["answer"], ["refuse"]]], indirect=True)
def test_a_kept_alive_connection_the_server_closed_is_replaced_for_an_upgrade(script):
    from meshctl.sources.kubews import UpgradeRefused

    conns = Connections(config_of(script), 5.0)
    assert get(conns, "/a") == b"{}"
    assert script.closed.acquire(timeout=10)
    with pytest.raises(UpgradeRefused) as caught:  # the answer of the second connection
        conns.upgrade("/b", {}, ["v5.channel.k8s.io"], 10.0)
    assert caught.value.status == 403
    assert script.connections == 2 and script.requests == ["GET /a HTTP/1.1", "GET /b HTTP/1.1"]


@pytest.mark.parametrize("script", [[["close"], ["refuse"]]], indirect=True)
def test_an_upgrade_on_a_new_connection_is_not_tried_again(script):
    conns = Connections(config_of(script), 5.0)
    with pytest.raises(ConnectionError):
        conns.upgrade("/b", {}, ["v5.channel.k8s.io"], 10.0)
    assert script.connections == 1


@pytest.mark.parametrize("script", [[["answer", "refuse"], ["answer"]]], indirect=True)
def test_an_upgrade_takes_the_connection_out_of_the_pool(script):
    from meshctl.sources.kubews import UpgradeRefused

    conns = Connections(config_of(script), 5.0)
    assert get(conns, "/a") == b"{}"
    with pytest.raises(UpgradeRefused):
        conns.upgrade("/b", {}, ["v5.channel.k8s.io"], 10.0)  # on the kept-alive connection
    assert get(conns, "/c") == b"{}"  # on a new one
    assert script.connections == 2 and script.requests == ["GET /a HTTP/1.1", "GET /b HTTP/1.1", "GET /c HTTP/1.1"]


@pytest.mark.parametrize("script", [[["answer"], ["answer"]]], indirect=True)
def test_discard_closes_the_kept_alive_connection(script):
    conns = Connections(config_of(script), 5.0)
    assert get(conns, "/a") == b"{}"
    conns.discard()
    conns.discard()  # nothing left to close: no error
    assert get(conns, "/b") == b"{}"
    assert script.connections == 2


# -- proxies ------------------------------------------------------------------------------------


def proxy_of(server: str, proxy: str | None = None) -> tuple:
    conns = Connections(ClusterConfig(server=server, proxy=proxy), 5.0)
    return conns.proxy, conns.proxy_auth


@pytest.fixture
def no_proxy_environment(monkeypatch):
    import os

    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_a_proxy_url_gives_the_tunnel_and_its_credentials(no_proxy_environment):
    assert proxy_of("https://api:6443", "http://proxy.example:3128") == (("proxy.example", 3128), None)
    assert proxy_of("https://api:6443", "http://proxy.example") == (("proxy.example", 80), None)
    assert proxy_of("https://api:6443", "proxy.example:3128") == (("proxy.example", 3128), None)  # http:// is the default scheme
    assert proxy_of("https://api:6443", "http://al%40ice:p%3Ass@proxy.example:3128") == (("proxy.example", 3128), ("al@ice", "p:ss"))
    assert proxy_of("https://api:6443", "http://alice@proxy.example:3128") == (("proxy.example", 3128), ("alice", ""))
    assert proxy_of("https://api:6443") == (None, None)


@pytest.mark.parametrize("url", ["https://proxy.example:3128", "socks5://proxy.example:1080", "http://:3128"])
def test_only_http_proxies_with_a_host(no_proxy_environment, url):
    with pytest.raises(SourceError) as caught:
        proxy_of("https://api:6443", url)
    assert str(caught.value) == f"proxy {url}: only http:// proxies (CONNECT) are supported"


def test_the_environment_names_the_proxy_by_the_servers_scheme(no_proxy_environment):
    env = no_proxy_environment
    env.setenv("HTTPS_PROXY", "http://secure.example:1")
    env.setenv("HTTP_PROXY", "http://plain.example:2")
    assert proxy_of("https://api:6443")[0] == ("secure.example", 1)
    assert proxy_of("http://api:8080")[0] == ("plain.example", 2)
    env.delenv("HTTPS_PROXY")
    assert proxy_of("https://api:6443") == (None, None)
    env.setenv("ALL_PROXY", "http://every.example:3")
    assert proxy_of("https://api:6443")[0] == ("every.example", 3)
    assert proxy_of("http://api:8080")[0] == ("plain.example", 2)
    env.setenv("https_proxy", "http://u:p@lower.example:4")  # lower case, as curl and client-go read it too
    assert proxy_of("https://api:6443") == (("lower.example", 4), ("u", "p"))


def test_no_proxy_names_servers_reached_directly(no_proxy_environment):
    env = no_proxy_environment
    env.setenv("HTTPS_PROXY", "http://secure.example:1")
    env.setenv("NO_PROXY", "internal.example,10.0.0.1")
    assert proxy_of("https://api.internal.example:6443") == (None, None)
    assert proxy_of("https://10.0.0.1:6443") == (None, None)
    assert proxy_of("https://api.example:6443")[0] == ("secure.example", 1)
    # the kubeconfig's proxy-url is used whatever NO_PROXY says, as client-go does
    assert proxy_of("https://10.0.0.1:6443", "http://named.example:5")[0] == ("named.example", 5)


def test_a_variable_that_only_contains_proxy_is_not_a_proxy(no_proxy_environment):
    env = no_proxy_environment
    env.setenv("MY_PROXY_HOME", "http://not.a.proxy:1")
    assert proxy_of("https://api:6443") == (None, None)


def test_discard_before_any_connection_does_nothing():
    conns = Connections(ClusterConfig(server="http://127.0.0.1:1"), 5.0)
    status, value = in_thread(conns.discard)  # a thread that never connected
    assert (status, value) == ("returned", None)


def test_an_api_server_named_in_unicode_is_looked_up_as_such():
    # a non-ASCII name goes to getaddrinfo as str (IDNA), not encoded as ASCII: a lookup failure, one OSError
    conns = Connections(ClusterConfig(server="http://b\u00fccher.invalid:8080"), TIMEOUT)
    status, exc = in_thread(lambda: conns.get("/api", {}, 5.0))
    assert status == "raised" and isinstance(exc, OSError) and not isinstance(exc, UnicodeError), (status, exc)
