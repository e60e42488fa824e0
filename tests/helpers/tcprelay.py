"""TCP middlemen on the loopback for tests of how meshctl reaches an API server: an HTTP CONNECT proxy
that records what it was asked, and a relay from another address (IPv6 ``::1``) to a server on 127.0.0.1.
"""

from __future__ import annotations

import socket
import threading


class ConnectProxy:
    """A minimal HTTP CONNECT proxy on 127.0.0.1 that records what it was asked to reach."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self.authorizations: list[str | None] = []
        self.downstream: list[int] = []  # sizes of the chunks relayed from the targets to meshctl
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        serve_each(self._listener, self._tunnel)

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                return client.close()
            head += chunk
        lines = head.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
        self.targets.append(lines[0].split()[1])
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        self.authorizations.append(headers.get("Proxy-Authorization"))
        host, port = lines[0].split()[1].rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        splice(client, upstream, downstream=lambda chunk: self.downstream.append(len(chunk)))

    def close(self) -> None:
        self._listener.close()


class Relay:
    """Listens on `host` (default ``::1``: an API server URL with an IPv6 literal) and relays each
    connection to `target` (host, port); `connections` counts them, `sent` has what clients sent."""

    def __init__(self, target: tuple[str, int], host: str = "::1") -> None:
        self.target = target
        self.connections = 0
        self.sent = bytearray()
        self._listener = socket.create_server((host, 0), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.port = self._listener.getsockname()[1]
        serve_each(self._listener, self._relay)

    def _relay(self, client: socket.socket) -> None:
        self.connections += 1
        splice(client, socket.create_connection(self.target), upstream_seen=self.sent.extend)

    def close(self) -> None:
        self._listener.close()


def serve_each(listener: socket.socket, handle) -> None:
    """Call `handle(connection)` in a thread of its own for each connection `listener` accepts, until it is closed."""
    threading.Thread(target=_accept, args=(listener, handle), daemon=True).start()


def _accept(listener: socket.socket, handle) -> None:
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=handle, args=(client,), daemon=True).start()


def splice(client: socket.socket, upstream: socket.socket, *, upstream_seen=None, downstream=None) -> None:
    """Copy both ways between `client` and `upstream`, each in a thread; `upstream_seen(chunk)` and
    `downstream(chunk)` see each chunk copied to the upstream and to the client."""
    for source, sink, seen in ((client, upstream, upstream_seen), (upstream, client, downstream)):
        threading.Thread(target=_pump, args=(source, sink, seen or (lambda chunk: None)), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket, seen) -> None:
    try:
        while chunk := source.recv(65536):
            seen(chunk)
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
