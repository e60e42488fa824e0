"""A client websocket (RFC 6455) to the API server, opened on a connection that is already there.

What a pod's port-forward stream needs, and no more: the upgrade, its answer read in one bounded
buffer and parsed by `meshctl.sources.http11`; masked frames out (data, pong, close); the socket, and the bytes
already read past the answer, for `meshctl.sources.portforward`'s frame reader, which parses what
comes in. The caller bounds it in time (`meshctl.sources.deadline`: the socket is watched).

Why not websocket-client here (exec and the local listener of `forward` still use it): it opens a
connection of its own, a second TCP connect and TLS handshake after the GET of the pod (that
handshake outside the request's deadline), reads the upgrade's answer one byte per ``recv``
(~460 system calls), and costs ~6.5 ms to import: together ~8 % of `meshctl pc cluster POD`.
"""

from __future__ import annotations

import base64
import os
import socket

from meshctl.sources.http11 import Reader, RemoteDisconnected, Response

# RFC 6455 1.3: the GUID appended to the client's key in the server's Sec-WebSocket-Accept.
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD = 64 << 10  # the upgrade's answer: status line and headers (the API server's are < 1 KB)
MAX_ERROR_BODY = 64 << 10  # the body of a refusal (a metav1.Status), as much as an error line needs
_OP_BINARY, _OP_CLOSE, _OP_PONG = 0x2, 0x8, 0xA


class UpgradeRefused(Exception):
    """The API server answered the upgrade with another status than 101 (RBAC, no such pod ...)."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body


class KubeWebSocket:
    """An open client websocket: `sock`, and `received`, the bytes read past the upgrade's answer.

    The names are websocket-client's (`send_binary`, `pong`, `settimeout`, `shutdown`, `close`),
    which `meshctl.sources.portforward` uses of either.
    """

    def __init__(self, sock, received: bytes) -> None:
        self.sock = sock
        self.received = received

    def send_binary(self, payload: bytes) -> None:
        """Send one binary message (one frame)."""
        self.sock.sendall(frame(_OP_BINARY, payload))

    def pong(self, payload: bytes) -> None:
        """Answer a ping."""
        self.sock.sendall(frame(_OP_PONG, payload))

    def settimeout(self, seconds: float | None) -> None:
        """The socket's per-read timeout (the deadline's watchdog bounds the whole)."""
        self.sock.settimeout(seconds)

    def shutdown(self) -> None:
        """End the connection now, without a closing handshake."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def close(self) -> None:
        """Send a close frame (status 1000) and close the connection: nothing more is read, so the
        server's answering close frame is not waited for (websocket-client waits up to 3 s)."""
        if self.sock.fileno() < 0:  # closed already (ForwardedHTTP closes its HTTP side, then this)
            return
        try:
            self.sock.sendall(frame(_OP_CLOSE, (1000).to_bytes(2, "big")))
        except OSError:
            pass
        self.shutdown()


def handshake(sock, host: str, target: str, headers: dict[str, str], protocols: list[str]) -> KubeWebSocket:
    """Upgrade the HTTP/1.1 connection `sock` to a websocket: ``GET target`` with `headers`,
    offering `protocols`; the socket is closed if it fails.

    Raises:
        UpgradeRefused: another answer than 101 (with the start of its body).
        RemoteDisconnected: the connection closed before any answer (a kept-alive connection the
            server had closed: the caller may retry on a new one).
        ConnectionError, OSError, meshctl.sources.http11.HTTPException: no websocket answer (cut short,
            headers over MAX_HEAD, a wrong Sec-WebSocket-Accept, Upgrade or Connection, no
            sub-protocol of `protocols` chosen, a malformed answer).
    """
    try:
        return _handshake(sock, host, target, headers, protocols)
    except BaseException:
        sock.close()
        raise


def _handshake(sock, host: str, target: str, headers: dict[str, str], protocols: list[str]) -> KubeWebSocket:
    key = base64.b64encode(os.urandom(16))
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key.decode()}", "Sec-WebSocket-Version: 13",
             f"Sec-WebSocket-Protocol: {','.join(protocols)}"]  # fmt: skip
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if any(char in line for line in lines for char in "\r\n\0"):  # a header must not start another
        raise ValueError("a request header holds a line break")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    answer = bytearray()
    while (end := answer.find(b"\r\n\r\n")) < 0:
        if len(answer) >= MAX_HEAD:
            raise ConnectionError(f"the answer to the websocket upgrade has over {MAX_HEAD >> 10} KiB of headers")
        chunk = sock.recv(MAX_HEAD - len(answer))
        if not chunk:
            if not answer:
                raise RemoteDisconnected("the API server closed the connection without an answer")
            raise ConnectionError("the API server closed the connection in the answer to the websocket upgrade")
        answer += chunk
    head, received = bytes(answer[: end + 4]), bytes(answer[end + 4 :])
    response = Response(Reader(_nothing_more, head))
    if response.status != 101:
        # the refusal again, its body this time: after the head, the bytes read, then the socket
        refusal = Response(Reader(sock.recv_into, head + received))
        raise UpgradeRefused(response.status, refusal.read(MAX_ERROR_BODY))
    # RFC 6455 4.1: the client MUST fail the connection without these (websocket-client checked them too)
    accept = base64.b64encode(_sha1(key + _GUID)).decode()
    connection = [token.strip().lower() for token in response.getheader("Connection", "").split(",")]
    if response.getheader("Sec-WebSocket-Accept", "").strip() != accept or response.getheader("Upgrade", "").lower() != "websocket" or "upgrade" not in connection:
        raise ConnectionError("the API server's answer to the websocket upgrade is not a websocket handshake")
    if response.getheader("Sec-WebSocket-Protocol", "").strip() not in protocols:  # none, or one not offered
        raise ConnectionError(f"the API server's answer to the websocket upgrade chose no sub-protocol it was offered ({', '.join(protocols)})")
    return KubeWebSocket(sock, received)


def _sha1(data: bytes) -> bytes:
    """SHA-1 of `data` by CPython's own implementation when it has one: hashlib's is OpenSSL's, whose
    library costs ~3 ms to load on a plain-HTTP connection (11 M instructions, 3 % of `pc cluster POD`)
    for one 60-byte digest that checks no secret (RFC 6455's accept key)."""
    try:
        from _sha1 import sha1
    except ImportError:  # a Python built without it
        from hashlib import sha1
    return sha1(data).digest()


def _nothing_more(buffer) -> int:
    """The end of a connection that holds only the bytes already read (the head)."""
    return 0


def frame(opcode: int, payload: bytes) -> bytes:
    """One final client frame: masked, as RFC 6455 5.3 requires of a client."""
    size = len(payload)
    if size < 126:
        head = bytes((0x80 | opcode, 0x80 | size))
    elif size < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    mask = os.urandom(4)
    return head + mask + masked(payload, mask)


def masked(payload: bytes, mask: bytes) -> bytes:
    """`payload` XOR the 4-byte `mask` repeated, as one integer operation (no Python loop per byte)."""
    size = len(payload)
    if not size:
        return b""
    key = (mask * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(size, "little")
