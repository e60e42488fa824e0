"""HTTP/1.1 to the API server over the standard library (http.client, ssl), one kept-alive
connection per thread, with the connection's `meshctl.sources.kubeconfig.ClusterConfig`.

The official client's REST layer (urllib3 behind generated code) is not imported: it came with the
whole client (~0.5 s). What is needed is a GET with headers, TLS as the kubeconfig says (its CA,
client certificate, tls-server-name), an http proxy (CONNECT: the kubeconfig's proxy-url, else
``HTTPS_PROXY``/``HTTP_PROXY`` unless ``NO_PROXY`` names the server, as client-go and the official
client do), a connect timeout, and a body read under a wall clock and a size limit
(`meshctl.sources.kube.KubeClient.get`).
"""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlsplit

from meshctl.errors import SourceError
from meshctl.sources.deadline import watch
from meshctl.sources.kubeconfig import ClusterConfig


class _Connection(http.client.HTTPSConnection):
    """An HTTPS connection whose certificate check uses the kubeconfig's tls-server-name."""

    def __init__(self, host: str, port: int, *, timeout: float, context, server_hostname: str) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._server_hostname = server_hostname

    def connect(self) -> None:
        """TCP (through the proxy's tunnel, if any), then TLS checked against `server_hostname`."""
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._server_hostname)


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

    def connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        """This thread's connection (a new one when `fresh` or none yet)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and not fresh:
            return conn
        if conn is not None:
            conn.close()
        config = self.config
        host, port = self.proxy or (config.host, config.port)
        if self.https:
            conn = _Connection(host, port, timeout=self.connect_timeout, context=config.ssl_context,
                               server_hostname=config.tls_server_name or config.host)  # fmt: skip
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self.connect_timeout)
        conn._create_connection = _open_watched  # (http.client's hook for making the TCP socket)
        if self.proxy:
            credentials = {"Proxy-Authorization": _basic(*self.proxy_auth)} if self.proxy_auth else None
            conn.set_tunnel(config.host, config.port, headers=credentials)
        self._local.conn = conn
        return conn

    def get(self, target: str, headers: dict[str, str], read_timeout: float) -> http.client.HTTPResponse:
        """Send a GET of `target` (path and query); return the response (headers read, body not).

        Under a `Deadline.guard`, its sockets are `watch`ed: a new one as soon as it is connected
        (before a proxy's CONNECT and the TLS handshake), a kept-alive one when it is used again. A
        kept-alive connection the server closed meanwhile is replaced once, before any answer.
        """
        for attempt in (0, 1):
            conn = self.connection(fresh=attempt == 1)
            try:
                if conn.sock is None:
                    conn.connect()
                else:
                    watch(conn.sock)
                conn.sock.settimeout(read_timeout)
                conn.request("GET", target, headers=headers)
                return conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, http.client.CannotSendRequest):
                conn.close()
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
            conn = self.connection(fresh=attempt == 1)
            reused = conn.sock is not None
            if reused:
                watch(conn.sock)
            else:
                conn.connect()
            sock, conn.sock, self._local.conn = conn.sock, None, None  # the websocket's socket now
            sock.settimeout(read_timeout)
            try:
                return handshake(sock, f"{host}:{config.port}", target, headers, protocols)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                if attempt or not reused:
                    raise
        raise AssertionError("unreachable")

    def discard(self) -> None:
        """Close this thread's connection (after an error or a body not read to its end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _open_watched(address, timeout, source_address=None):
    """socket.create_connection, the socket then `watch`ed by the deadline guarding this thread's request."""
    import socket

    host, port = address
    if isinstance(host, str) and host.isascii():
        # getaddrinfo encodes a str host with the idna codec, whose import (encodings.idna,
        # stringprep, unicodedata) costs ~1.5 ms; an ASCII name or address is the same as bytes
        host = host.encode("ascii")
    sock = socket.create_connection((host, port), timeout, source_address)
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
        if not url or proxy_bypass_environment(config.host, proxies):
            return None, None
    proxy = urlsplit(url if "://" in url else f"http://{url}")
    if proxy.scheme != "http" or not proxy.hostname:
        from meshctl.model.urls import without_userinfo

        raise SourceError(f"proxy {without_userinfo(url)}: only http:// proxies (CONNECT) are supported")
    credentials = (unquote(proxy.username or ""), unquote(proxy.password or "")) if proxy.username else None
    return (proxy.hostname, proxy.port or 80), credentials


def _basic(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
