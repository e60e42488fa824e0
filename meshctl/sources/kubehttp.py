"""HTTP/1.1 to the API server (`meshctl.sources.http11`, TLS by ssl), one kept-alive connection per
thread, with the connection's `meshctl.sources.kubeconfig.ClusterConfig`.

The official client's REST layer (urllib3 behind generated code) is not imported: it came with the
whole client (~0.5 s); nor is http.client (email and ssl: ~15 % of `meshctl pc cluster POD`). What
is needed is a GET with headers, TLS as the kubeconfig says (its CA, client certificate,
tls-server-name), an http proxy (CONNECT: the kubeconfig's proxy-url, else
``HTTPS_PROXY``/``HTTP_PROXY`` unless ``NO_PROXY`` names the server, as client-go and the official
client do), a connect timeout, and a body read under a wall clock and a size limit
(`meshctl.sources.kube.KubeClient.get`).
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from meshctl.errors import SourceError
from meshctl.sources.deadline import watch
from meshctl.sources.http11 import HTTPException, Reader, RemoteDisconnected, Response, request_head
from meshctl.sources.kubeconfig import ClusterConfig


class _Connection:
    """One open connection to the API server (TLS included), its reader, and its last answer."""

    def __init__(self, sock) -> None:
        self.sock = sock
        self.reader = Reader(sock.recv_into)
        self.response: Response | None = None

    def reusable(self) -> bool:
        """The last answer was read to its end and did not end the connection (a connection whose
        request got no answer, a timeout or a head that was not HTTP, is in no known state)."""
        return self.response is not None and self.response.complete and not self.response.will_close

    def close(self) -> None:
        self.sock.close()


class Connections:
    """A kept-alive connection to the API server per thread (fleet commands read from many)."""

    def __init__(self, config: ClusterConfig, connect_timeout: float) -> None:
        self.config = config
        self.connect_timeout = connect_timeout
        self._local = threading.local()
        parts = urlsplit(config.server)
        self.https = parts.scheme == "https"
        if parts.scheme not in ("http", "https"):
            from meshctl.model.urls import without_userinfo

            raise SourceError(f"the API server URL {without_userinfo(config.server)} is neither http nor https")
        self.proxy, self.proxy_auth = _proxy(config, "https" if self.https else "http")
        host = f"[{config.host}]" if ":" in config.host else config.host
        # the Host header, as http.client wrote it: the port only when it is not the scheme's default
        self.authority = host if config.port == (443 if self.https else 80) else f"{host}:{config.port}"

    def _kept(self) -> _Connection | None:
        """This thread's kept-alive connection, if it can carry another request."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and not conn.reusable():
            conn.close()
            conn = self._local.conn = None
        return conn

    def _open(self) -> _Connection:
        """A new connection: TCP (`watch`ed at once), the proxy's tunnel, TLS checked against
        tls-server-name; each step bounded by the connect timeout."""
        config = self.config
        sock = _open_watched(self.proxy or (config.host, config.port), self.connect_timeout)
        try:
            if self.proxy:
                _tunnel(sock, config.host, config.port, self.proxy_auth)
            if self.https:
                sock = config.ssl_context.wrap_socket(sock, server_hostname=config.tls_server_name or config.host, do_handshake_on_connect=False)
                # a new object, and the one watched above has lost its descriptor to it: watched again
                # before the handshake, or the deadline could shut neither the handshake nor the body
                watch(sock)
                sock.do_handshake()
        except BaseException:
            sock.close()
            raise
        return _Connection(sock)

    def get(self, target: str, headers: dict[str, str], read_timeout: float) -> Response:
        """Send a GET of `target` (path and query); return the response (headers read, body not).

        Under a `Deadline.guard`, its sockets are `watch`ed: a new one as soon as it is connected
        (before a proxy's CONNECT and the TLS handshake), a kept-alive one when it is used again. A
        connection that ends before any answer (a kept-alive one the server closed meanwhile) is
        replaced once.
        """
        head = request_head("GET", target, self.authority, headers)
        for attempt in (0, 1):
            conn = self._kept()  # none on the second pass: the first discarded it
            if conn is None:
                conn = self._local.conn = self._open()
            else:
                watch(conn.sock)
            conn.sock.settimeout(read_timeout)
            try:
                conn.sock.sendall(head)
                conn.response = Response(conn.reader)
                return conn.response
            except (RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.discard()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def upgrade(self, target: str, headers: dict[str, str], protocols: list[str], read_timeout: float):
        """Upgrade this thread's connection (kept alive from a GET, else a new one) to a websocket on
        `target` (`meshctl.sources.kubews.handshake`): one TCP connection and TLS handshake serve the
        GET of a pod and its port-forward. The connection leaves the pool; its socket is `watch`ed
        as in `get`. A kept-alive connection the server closed meanwhile is replaced once.
        """
        from meshctl.sources.kubews import handshake

        config = self.config
        host = f"[{config.host}]" if ":" in config.host else config.host
        for attempt in (0, 1):
            conn = self._kept()  # none on the second pass: the first took it out of the pool
            reused = conn is not None
            if reused:
                watch(conn.sock)
            else:
                conn = self._open()
            self._local.conn = None  # the websocket's connection now
            conn.sock.settimeout(read_timeout)
            try:
                return handshake(conn.sock, f"{host}:{config.port}", target, headers, protocols)
            except (RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                if attempt or not reused:
                    raise
        raise AssertionError("unreachable")

    def discard(self) -> None:
        """Close this thread's connection (after an error or a body not read to its end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _tunnel(sock, host: str, port: int, credentials: tuple[str, str] | None) -> None:
    """Ask the proxy on `sock` for a tunnel to host:port (CONNECT), as http.client's set_tunnel did.

    Raises:
        OSError: the proxy refused ("Tunnel connection failed: 407 ...").
        HTTPException: its answer is not HTTP, or came with bytes past it.
    """
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    extra = {"Proxy-Authorization": _basic(*credentials)} if credentials else {}
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"] + [f"{name}: {value}" for name, value in extra.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    reader = Reader(sock.recv_into)
    answer = Response(reader)  # its body is never read (a 2xx answer to CONNECT has none: RFC 9112 6.3)
    if answer.status != 200:
        raise OSError(f"Tunnel connection failed: {answer.status} {answer.reason}")
    if reader.take():  # the server speaks only after our first bytes: anything here is not the server's
        raise HTTPException("the proxy sent bytes past its answer to CONNECT")


def _open_watched(address, timeout):
    """socket.create_connection, the socket then `watch`ed by the deadline guarding this thread's request."""
    import socket

    host, port = address
    if isinstance(host, str) and host.isascii():
        # getaddrinfo encodes a str host with the idna codec, whose import (encodings.idna,
        # stringprep, unicodedata) costs ~1.5 ms; an ASCII name or address is the same as bytes
        host = host.encode("ascii")
    sock = socket.create_connection((host, port), timeout)
    watch(sock)
    return sock


def _proxy(config: ClusterConfig, scheme: str) -> tuple[tuple[str, int] | None, tuple[str, str] | None]:
    """The proxy (host, port) to tunnel through and its credentials, or (None, None) for none.

    Only http:// proxies: exec's websocket goes through websocket-client, which tunnels through
    http proxies only (socks would need a package meshctl does not install).
    """
    import os
    from urllib.parse import unquote

    url = config.proxy
    if not url:
        if not any(name[-6:].lower() == "_proxy" for name in os.environ):
            return None, None  # (urllib.request, which reads them, costs a few ms to import)
        from urllib.request import getproxies_environment, proxy_bypass_environment

        proxies = getproxies_environment()
        url = proxies.get(scheme) or proxies.get("all")
        if not url or proxy_bypass_environment(config.host):  # (it reads the environment's no_proxy again)
            return None, None
    proxy = urlsplit(url if "://" in url else f"http://{url}")
    if proxy.scheme != "http" or not proxy.hostname:
        from meshctl.model.urls import without_userinfo

        raise SourceError(f"proxy {without_userinfo(url)}: only http:// proxies (CONNECT) are supported")
    # net/http transport.go (connectMethod.proxyAuth): credentials whenever the URL has userinfo, an
    # empty user (``http://:pass@proxy``, ``http://@proxy``) included; urlsplit's username is None without
    credentials = (unquote(proxy.username), unquote(proxy.password or "")) if proxy.username is not None else None
    return (proxy.hostname, proxy.port or 80), credentials


def _basic(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
