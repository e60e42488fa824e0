"""meshctl.sources.kubehttp pinned through a scripted HTTP proxy and on the connection pool: the CONNECT
request's exact bytes (RFC 9110 9.3.6: authority-form target, Host; RFC 7617's Basic credentials), the
tunnel refused, trickled, oversized or followed by bytes the server cannot have sent, the Host header
of requests inside the tunnel (the port left out when it is the scheme's default, as http.client and
Go's net/http write it), the read timeout of `get` and `upgrade`, and what the pool keeps.

The proxy and the servers here listen on 127.0.0.2, not 127.0.0.1: a connection that went to the
wrong host (none: getaddrinfo's loopback) finds nothing there.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time

import pytest

from meshctl.errors import SourceError
from meshctl.model.options import KubeOptions
from meshctl.sources.deadline import Deadline
from meshctl.sources.http11 import HTTPException, LineTooLong
from meshctl.sources.kube import KubeClient
from meshctl.sources.kubeconfig import ClusterConfig
from meshctl.sources.kubehttp import Connections

from helpers.slowserver import read_request
from helpers.tcprelay import serve_each
from helpers.threads import in_thread

HOST = "127.0.0.2"
ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
LATE = 8.0  # how late a timer may fire on a loaded machine


class TunnelProxy:
    """An HTTP proxy on 127.0.0.2 that reads a CONNECT head, records it (`connects`), sends `answer`
    (one byte every `trickle` seconds when set), and then, when `inner` is set, is itself the server at
    the tunnel's end: TLS with `tls` when given, then each request's head recorded (`requests`) and
    answered with `inner`. `ended` is set once the client has closed a connection."""

    def __init__(self, answer: bytes, *, inner: bytes | None = None, tls: ssl.SSLContext | None = None, trickle: float = 0.0) -> None:
        self.answer, self.inner, self.tls, self.trickle = answer, inner, tls, trickle
        self.connects: list[bytes] = []
        self.requests: list[bytes] = []
        self.ended = threading.Event()
        self._stop = threading.Event()
        self._listener = socket.create_server((HOST, 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        serve_each(self._listener, self._serve)

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(20)
            self.connects.append(read_request(conn))
            if self.trickle:
                for index in range(len(self.answer)):
                    if self._stop.wait(self.trickle):
                        return
                    conn.sendall(self.answer[index : index + 1])
            else:
                conn.sendall(self.answer)
            if self.inner is not None:
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                while head := read_request(conn):
                    self.requests.append(head)
                    conn.sendall(self.inner)
            while conn.recv(65536):
                pass
            self.ended.set()
        except OSError:
            self.ended.set()
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()


@pytest.fixture
def no_proxy_environment(monkeypatch):
    import os

    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def proxies(no_proxy_environment):
    made: list[TunnelProxy] = []

    def make(*args, **kwargs) -> TunnelProxy:
        made.append(TunnelProxy(*args, **kwargs))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()


def through(proxy: TunnelProxy, server: str, *, userinfo: str = "", **config) -> Connections:
    url = proxy.url.replace("http://", f"http://{userinfo}@") if userinfo else proxy.url
    return Connections(ClusterConfig(server=server, proxy=url, **config), 5.0)


# -- the CONNECT request -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "path", "headers", "connect", "request_head"),
    [
        # the authority form, with a Host header
        ("http://api.example:8080", "/api/v1/pods", {"Accept": "application/json"},
         b"CONNECT api.example:8080 HTTP/1.1\r\nHost: api.example:8080\r\n\r\n",
         b"GET /api/v1/pods HTTP/1.1\r\nHost: api.example:8080\r\nAccept-Encoding: identity\r\nAccept: application/json\r\n\r\n"),
        # an IPv6 API server in brackets
        ("http://[fd00::1]:8080", "/api", {},
         b"CONNECT [fd00::1]:8080 HTTP/1.1\r\nHost: [fd00::1]:8080\r\n\r\n",
         b"GET /api HTTP/1.1\r\nHost: [fd00::1]:8080\r\nAccept-Encoding: identity\r\n\r\n"),
        # its default port asked for, and left out of the GET's Host header
        ("http://[fd00::1]", "/api", {},
         b"CONNECT [fd00::1]:80 HTTP/1.1\r\nHost: [fd00::1]:80\r\n\r\n",
         b"GET /api HTTP/1.1\r\nHost: [fd00::1]\r\nAccept-Encoding: identity\r\n\r\n"),
    ],
    ids=["authority-form", "ipv6-in-brackets", "ipv6-default-port"],
)  # fmt: skip
def test_the_tunnel_is_asked_for_in_authority_form_with_a_host(proxies, server, path, headers, connect, request_head):
    proxy = proxies(ESTABLISHED, inner=OK)
    conns = through(proxy, server)
    assert conns.get(path, headers, 10.0).read() == b"{}"
    assert proxy.connects == [connect]
    assert proxy.requests == [request_head]


@pytest.mark.parametrize(
    ("userinfo", "authorization"),
    [
        # RFC 7617 2: "Aladdin" and "open sesame"
        ("Aladdin:open%20sesame", b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        # RFC 7617 2.1 (charset="UTF-8"): "test" and "123\u00a3"
        ("test:123%C2%A3", b"Basic dGVzdDoxMjPCow=="),
        # a user without a password: "alice:" (RFC 7617 2: the colon is always there)
        ("alice", b"Basic YWxpY2U6"),
    ],
)
def test_the_proxys_credentials_are_sent_as_basic_authorization(proxies, userinfo, authorization):
    proxy = proxies(ESTABLISHED, inner=OK)
    conns = through(proxy, "http://api.example:8080", userinfo=userinfo)
    assert conns.get("/api", {}, 10.0).read() == b"{}"
    assert proxy.connects == [b"CONNECT api.example:8080 HTTP/1.1\r\nHost: api.example:8080\r\nProxy-Authorization: " + authorization + b"\r\n\r\n"]
    # the credentials are the proxy's: the API server never sees them
    assert b"Proxy-Authorization" not in b"".join(proxy.requests)


def test_userinfo_with_an_empty_user_still_sends_credentials_as_go_does(proxies):
    # net/http transport.go (connectMethod.proxyAuth): any userinfo in the proxy URL, even an empty one
    proxy = proxies(ESTABLISHED, inner=OK)
    conns = through(proxy, "http://api.example:8080", userinfo=":s3cret")
    assert conns.get("/api", {}, 10.0).read() == b"{}"
    assert proxy.connects == [b"CONNECT api.example:8080 HTTP/1.1\r\nHost: api.example:8080\r\nProxy-Authorization: Basic OnMzY3JldA==\r\n\r\n"]


def test_a_proxy_url_without_userinfo_sends_no_credentials(proxies):
    proxy = proxies(ESTABLISHED, inner=OK)
    conns = through(proxy, "http://api.example:8080")
    assert conns.proxy_auth is None
    assert conns.get("/api", {}, 10.0).read() == b"{}"
    assert b"Proxy-Authorization" not in proxy.connects[0]


def test_a_tunnel_serves_the_next_get_too(proxies):
    proxy = proxies(ESTABLISHED, inner=OK)
    conns = through(proxy, "http://api.example")
    assert conns.get("/a", {}, 10.0).read() == b"{}"
    assert conns.get("/b", {}, 10.0).read() == b"{}"
    assert proxy.connects == [b"CONNECT api.example:80 HTTP/1.1\r\nHost: api.example:80\r\n\r\n"]
    assert proxy.requests == [
        b"GET /a HTTP/1.1\r\nHost: api.example\r\nAccept-Encoding: identity\r\n\r\n",
        b"GET /b HTTP/1.1\r\nHost: api.example\r\nAccept-Encoding: identity\r\n\r\n",
    ]


@pytest.mark.parametrize(
    ("server", "port", "host"),
    [("http://api.example:443", 443, b"api.example:443"), ("http://api.example:80", 80, b"api.example")],
)
def test_the_host_header_leaves_out_only_the_schemes_default_port(proxies, server, port, host):
    proxy = proxies(ESTABLISHED, inner=OK)
    assert through(proxy, server).get("/api", {}, 10.0).read() == b"{}"
    assert proxy.connects == [b"CONNECT api.example:%d HTTP/1.1\r\nHost: api.example:%d\r\n\r\n" % (port, port)]
    assert proxy.requests == [b"GET /api HTTP/1.1\r\nHost: " + host + b"\r\nAccept-Encoding: identity\r\n\r\n"]


@pytest.fixture
def tls_server(tmp_path):
    """(the server's context, a client context trusting it): its certificate names localhost and 127.0.0.1."""
    from fakekube.tls import make_server_context

    server, ca_pem = make_server_context(tmp_path)
    return server, ssl.create_default_context(cadata=ca_pem.decode())


@pytest.mark.parametrize(
    ("server", "port", "host"),
    [("https://localhost", 443, b"localhost"), ("https://localhost:80", 80, b"localhost:80")],
)
def test_tls_inside_the_tunnel_and_its_host_header(proxies, tls_server, server, port, host):
    server_context, client_context = tls_server
    proxy = proxies(ESTABLISHED, inner=OK, tls=server_context)
    conns = through(proxy, server, ssl_context=client_context)
    assert conns.https and conns.get("/api", {}, 10.0).read() == b"{}"
    assert proxy.connects == [b"CONNECT localhost:%d HTTP/1.1\r\nHost: localhost:%d\r\n\r\n" % (port, port)]
    assert proxy.requests == [b"GET /api HTTP/1.1\r\nHost: " + host + b"\r\nAccept-Encoding: identity\r\n\r\n"]


def test_tls_inside_the_tunnel_checks_the_tls_server_name(proxies, tls_server):
    server_context, client_context = tls_server
    proxy = proxies(ESTABLISHED, inner=OK, tls=server_context)
    # the tunnel goes to api.example; the certificate is checked against tls-server-name, which it names
    conns = through(proxy, "https://api.example:6443", ssl_context=client_context, tls_server_name="localhost")
    assert conns.get("/api", {}, 10.0).read() == b"{}"
    assert proxy.connects == [b"CONNECT api.example:6443 HTTP/1.1\r\nHost: api.example:6443\r\n\r\n"]
    assert proxy.requests == [b"GET /api HTTP/1.1\r\nHost: api.example:6443\r\nAccept-Encoding: identity\r\n\r\n"]


# -- the tunnel refused, or not HTTP ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\n",
         "Tunnel connection failed: 407 Proxy Authentication Required"),
        (b"HTTP/1.0 403 Forbidden  \r\n\r\n", "Tunnel connection failed: 403 Forbidden"),
        # any status but 200 is a refusal (http.client's rule), a 2xx other than 200 included
        (b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", "Tunnel connection failed: 201 Created"),
        (b"HTTP/1.1 502 \r\n\r\n", "Tunnel connection failed: 502 "),
    ],
)  # fmt: skip
def test_a_refused_tunnel_is_an_oserror_with_the_status(proxies, answer, message):
    proxy = proxies(answer)
    status, exc = in_thread(lambda: through(proxy, "http://api.example:8080").get("/api", {}, 10.0))
    assert status == "raised" and type(exc) is OSError and str(exc) == message, (status, exc)
    assert proxy.ended.wait(10)  # the connection to the proxy is closed


def test_a_refused_tunnel_is_one_line_of_kube_client_get(proxies, tmp_path):
    proxy = proxies(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
    client = kube_client(tmp_path, "http://api.example:8080", proxy.url)
    with pytest.raises(SourceError) as caught:
        client.get("/api/v1/namespaces/default/pods", verb="list", resource="pods", namespace="default")
    assert str(caught.value) == ("cannot reach the API server at http://api.example:8080: Tunnel connection failed: 407 Proxy Authentication Required")


def test_bytes_past_the_proxys_answer_end_the_connection(proxies):
    # an API server speaks only after our request: an answer sent before it is forged (by the proxy or
    # whoever sits in front of it), so the tunnel is not used
    proxy = proxies(ESTABLISHED + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    status, exc = in_thread(lambda: through(proxy, "http://api.example:8080").get("/api", {}, 10.0))
    assert status == "raised" and type(exc) is HTTPException, (status, exc)
    assert str(exc) == "the proxy sent bytes past its answer to CONNECT"
    assert proxy.ended.wait(10)


def test_a_proxy_answer_with_a_header_line_over_the_bound_is_refused(proxies):
    proxy = proxies(b"HTTP/1.1 200 Connection established\r\nX-Pad: " + b"a" * 70000 + b"\r\n\r\n")
    status, exc = in_thread(lambda: through(proxy, "http://api.example:8080").get("/api", {}, 10.0))
    assert status == "raised" and type(exc) is LineTooLong, (status, exc)
    assert str(exc) == "got more than 65536 bytes when reading header line"
    assert proxy.ended.wait(10)


def test_a_proxy_that_is_not_http_is_refused(proxies):
    proxy = proxies(b"SSH-2.0-OpenSSH_9.6\r\n")
    status, exc = in_thread(lambda: through(proxy, "http://api.example:8080").get("/api", {}, 10.0))
    assert status == "raised" and isinstance(exc, HTTPException), (status, exc)
    assert proxy.ended.wait(10)


def kube_client(tmp_path, server: str, proxy: str, timeout: str = "30s") -> KubeClient:
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "ctx",
        "clusters": [{"name": "c", "cluster": {"server": server, "proxy-url": proxy}}],
        "users": [{"name": "u", "user": {}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
    }  # fmt: skip
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(config))
    return KubeClient(KubeOptions(kubeconfig=str(path), request_timeout=timeout))


def test_a_proxy_that_trickles_its_answer_ends_at_the_request_timeout(proxies, tmp_path):
    # one byte every 0.2 s never trips a per-read timeout: the request's deadline shuts the socket
    # to the proxy, which was watched as soon as it was connected
    # (the whole answer would take 30 s: far past the deadline and its lateness)
    proxy = proxies(b"HTTP/1.1 200 Connection established\r\nX-Pad: " + b"a" * 100 + b"\r\n\r\n", inner=OK, trickle=0.2)
    client = kube_client(tmp_path, "http://api.example:8080", proxy.url, timeout="1s")
    started = time.monotonic()
    status, exc = in_thread(lambda: client.get("/api", verb="get", resource="api"), wait=40)
    assert status == "raised" and type(exc) is SourceError, (status, exc)
    assert str(exc) == "the API server at http://api.example:8080 did not answer get api within 1s (--request-timeout)"
    assert time.monotonic() - started < 1 + LATE


# -- read timeouts and the pool ----------------------------------------------------------------


@pytest.fixture
def silent_server():
    """127.0.0.2: accepts connections, reads what comes and never answers."""
    listener = socket.create_server((HOST, 0))
    accepted: list[socket.socket] = []

    def accept():
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for conn in accepted:
        conn.close()


def test_a_get_that_gets_no_answer_ends_at_its_read_timeout(silent_server, no_proxy_environment):
    conns = Connections(ClusterConfig(server=f"http://{HOST}:{silent_server}"), 5.0)
    started = time.monotonic()
    status, exc = in_thread(lambda: conns.get("/api", {}, 0.3))
    assert status == "raised" and isinstance(exc, TimeoutError), (status, exc)
    assert time.monotonic() - started < 0.3 + LATE


def test_an_upgrade_that_gets_no_answer_ends_at_its_read_timeout(silent_server, no_proxy_environment):
    conns = Connections(ClusterConfig(server=f"http://{HOST}:{silent_server}"), 5.0)
    status, exc = in_thread(lambda: conns.upgrade("/x", {}, ["v5.channel.k8s.io"], 0.3))
    assert status == "raised" and isinstance(exc, TimeoutError), (status, exc)


@pytest.mark.parametrize("server", ["ftp://api.example:21", "unix:///var/run/api.sock", "HTTPS-ish://api.example"])
def test_an_api_server_url_that_is_neither_http_nor_https(server):
    with pytest.raises(SourceError) as caught:
        Connections(ClusterConfig(server=server), 5.0)
    assert str(caught.value) == f"the API server URL {server} is neither http nor https"


def test_the_api_server_urls_credentials_stay_out_of_its_error():
    with pytest.raises(SourceError) as caught:
        Connections(ClusterConfig(server="ftp://user:pa55@api.example:21"), 5.0)
    assert str(caught.value) == "the API server URL ftp://api.example:21 is neither http nor https"


def test_a_proxy_urls_credentials_stay_out_of_its_error(no_proxy_environment):
    with pytest.raises(SourceError) as caught:
        Connections(ClusterConfig(server="https://api:6443", proxy="socks5://user:pa55@proxy.example:1080"), 5.0)
    assert str(caught.value) == "proxy socks5://proxy.example:1080: only http:// proxies (CONNECT) are supported"


class Counting:
    """A server on 127.0.0.2 that answers every request with `answer` (the first with `first`, when
    given) and counts its connections."""

    def __init__(self, answer: bytes, first: bytes | None = None) -> None:
        self.answer, self.first = answer, first
        self.connections = 0
        self.requests: list[bytes] = []
        self._listener = socket.create_server((HOST, 0))
        self.port = self._listener.getsockname()[1]
        serve_each(self._listener, self._serve)

    def _serve(self, conn: socket.socket) -> None:
        self.connections += 1  # before any answer on it: a client that has one sees the count
        conn.settimeout(20)
        with conn:
            try:
                while head := read_request(conn):
                    self.requests.append(head)
                    conn.sendall(self.first if self.first is not None and len(self.requests) == 1 else self.answer)
            except OSError:
                pass

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def counting(request, no_proxy_environment):
    server = Counting(*request.param) if isinstance(request.param, tuple) else Counting(request.param)
    yield server
    server.close()


@pytest.mark.parametrize("counting", [OK], indirect=True)
def test_discard_ends_only_this_threads_connection(counting):
    conns = Connections(ClusterConfig(server=f"http://{HOST}:{counting.port}"), 5.0)
    assert conns.get("/a", {}, 10.0).read() == b"{}"
    other = in_thread(lambda: (conns.get("/b", {}, 10.0).read(), conns.discard()))  # another thread's, discarded
    assert other == ("returned", (b"{}", None))
    assert conns.get("/c", {}, 10.0).read() == b"{}"  # this thread's is still kept
    assert counting.connections == 2
    conns.discard()
    assert conns.get("/d", {}, 10.0).read() == b"{}"
    assert counting.connections == 3


@pytest.mark.parametrize("counting", [OK], indirect=True)
def test_discard_closes_the_socket(counting):
    conns = Connections(ClusterConfig(server=f"http://{HOST}:{counting.port}"), 5.0)
    assert conns.get("/a", {}, 10.0).read() == b"{}"
    sock = conns._local.conn.sock
    conns.discard()
    assert sock.fileno() == -1  # closed, not only forgotten: no descriptor is left behind
    assert getattr(conns._local, "conn", "unset") is None


@pytest.mark.parametrize(
    "counting",
    [b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"],
    indirect=True,
)
def test_an_answer_that_ends_its_connection_is_not_kept(counting):
    conns = Connections(ClusterConfig(server=f"http://{HOST}:{counting.port}"), 5.0)
    assert conns.get("/a", {}, 10.0).read() == b"{}"
    kept = conns._local.conn.sock
    assert conns.get("/b", {}, 10.0).read() == b"{}"
    assert counting.connections == 2 and kept.fileno() == -1  # the first closed when it was found unusable


@pytest.mark.parametrize("counting", [OK], indirect=True)
def test_a_guarded_get_shuts_its_kept_alive_socket_at_the_deadline(counting):
    conns = Connections(ClusterConfig(server=f"http://{HOST}:{counting.port}"), 5.0)
    assert conns.get("/a", {}, 10.0).read() == b"{}"
    kept = conns._local.conn.sock
    deadline = Deadline(0.2)
    with deadline.guard():
        assert conns.get("/b", {}, 10.0).read() == b"{}"
        while not deadline.fired:
            time.sleep(0.02)
        assert kept.recv(1) == b""  # shut by the watchdog: it was watched when the GET used it again
    assert counting.connections == 1


@pytest.mark.parametrize(
    "counting",
    [(OK, b"SSH-2.0-OpenSSH_9.6\r\n\r\n"), (OK, b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")],
    indirect=True,
)
def test_a_connection_whose_answer_was_not_http_is_not_used_again(counting):
    # the server answered the first request with something that is not an HTTP head: what it sends
    # next on that connection is in no known state, whoever called get (KubeClient.get discards it too)
    conns = Connections(ClusterConfig(server=f"http://{HOST}:{counting.port}"), 5.0)
    with pytest.raises(HTTPException):
        conns.get("/a", {}, 10.0)
    assert conns.get("/b", {}, 10.0).read() == b"{}"
    assert counting.connections == 2


class TrickledTLS:
    """A TLS server on 127.0.0.2 behind a relay that passes the server's bytes on one every `interval`
    seconds: a TLS handshake (~1 KiB from the server) that takes a minute, never idle long enough
    for a per-read timeout."""

    def __init__(self, context: ssl.SSLContext, interval: float = 0.05) -> None:
        self.context, self.interval = context, interval
        self._stop = threading.Event()
        self._server = socket.create_server((HOST, 0))
        self._relay = socket.create_server((HOST, 0))
        self.port = self._relay.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()
        threading.Thread(target=self._accept, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    if read_request(tls):
                        tls.sendall(OK)
            except OSError:
                pass

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._relay.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._server.getsockname())
            threading.Thread(target=self._copy, args=(client, upstream, 0.0), daemon=True).start()
            threading.Thread(target=self._copy, args=(upstream, client, self.interval), daemon=True).start()

    def _copy(self, source: socket.socket, sink: socket.socket, interval: float) -> None:
        try:
            while chunk := source.recv(65536):
                for index in range(len(chunk)) if interval else [None]:
                    if interval and self._stop.wait(interval):
                        return
                    sink.sendall(chunk if index is None else chunk[index : index + 1])
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        self._relay.close()


def test_a_trickled_tls_handshake_ends_at_the_deadline(tls_server, no_proxy_environment):
    # the TLS socket is a new object that takes the TCP socket's descriptor: it is watched again before
    # the handshake, so the deadline shuts the handshake too
    server_context, client_context = tls_server
    trickled = TrickledTLS(server_context)
    try:
        config = ClusterConfig(server=f"https://{HOST}:{trickled.port}", ssl_context=client_context, tls_server_name="localhost")
        conns = Connections(config, 60.0)  # (ssl bounds a whole handshake by the socket's timeout: not that)
        deadline = Deadline(1.0)

        def guarded():
            with deadline.guard():
                return conns.get("/api", {}, 30.0)

        started = time.monotonic()
        status, exc = in_thread(guarded, wait=1.0 + LATE + 5)
        assert status == "raised" and isinstance(exc, OSError), (status, exc)
        assert deadline.fired and time.monotonic() - started < 1.0 + LATE + 5
    finally:
        trickled.close()
