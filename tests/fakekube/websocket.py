"""Server side of RFC 6455 websockets over a blocking socket: handshake and binary framing.

Written against the RFC rather than a library because the fake must also hand the same
connection to its SPDY engine (kubectl tunnels SPDY inside websocket binary messages).
"""

from __future__ import annotations

import base64
import hashlib
import struct
import threading
import time

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
# How long finish() waits for the client's CLOSE before dropping the connection anyway.
LINGER_SECONDS = 5.0


def accept_key(client_key: str) -> str:
    """The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key (RFC 6455 4.2.2)."""
    return base64.b64encode(hashlib.sha1(client_key.encode() + _GUID).digest()).decode()


def handshake_response(client_key: str, protocol: str | None) -> bytes:
    """The 101 response that completes the upgrade, choosing `protocol` when not None."""
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {accept_key(client_key)}",
    ]
    if protocol:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _unmask(payload: bytes, mask: bytes) -> bytes:
    if not payload:
        return payload
    # XOR with the 4-byte key repeated, done as one big-int operation: fast enough for MB-sized frames.
    key = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(len(payload), "little")


class ConnectionClosed(Exception):
    """The peer closed the websocket (close frame or EOF)."""


class WebSocket:
    """A server-side websocket on an already upgraded connection.

    `reader` is the buffered file the HTTP handler read the request from (it may already hold
    bytes of the first frames); `sock` is the raw socket used for writing. Writes are serialized
    with a lock so several threads (one per forwarded port) can send.
    """

    def __init__(self, reader, sock, protocol: str | None):
        self._reader = reader
        self._sock = sock
        self.protocol = protocol
        self._write_lock = threading.Lock()
        self.closed = False

    def _read_exact(self, n: int) -> bytes:
        data = self._reader.read(n)
        if data is None or len(data) < n:
            raise ConnectionClosed("connection closed by peer")
        return data

    def recv_frame(self) -> tuple[int, bool, bytes]:
        """One raw frame: (opcode, fin, payload)."""
        b0, b1 = self._read_exact(2)
        fin = bool(b0 & 0x80)
        opcode = b0 & 0x0F
        length = b1 & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._read_exact(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._read_exact(8))
        mask = self._read_exact(4) if b1 & 0x80 else None
        payload = self._read_exact(length) if length else b""
        if mask:
            payload = _unmask(payload, mask)
        return opcode, fin, payload

    def recv_message(self) -> tuple[int, bytes]:
        """The next data message (text or binary), answering pings on the way.

        Raises ConnectionClosed on a close frame or EOF.
        """
        opcode_first = None
        parts: list[bytes] = []
        while True:
            opcode, fin, payload = self.recv_frame()
            if opcode == OP_CLOSE:
                self.close()
                raise ConnectionClosed("close frame received")
            if opcode == OP_PING:
                self.send(payload, OP_PONG)
                continue
            if opcode == OP_PONG:
                continue
            if opcode != OP_CONTINUATION:
                opcode_first = opcode
            parts.append(payload)
            if fin:
                return opcode_first or OP_BINARY, b"".join(parts)

    def send(self, payload: bytes, opcode: int = OP_BINARY) -> None:
        """Send one unmasked frame (servers never mask, RFC 6455 5.1)."""
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        with self._write_lock:
            if self.closed and opcode != OP_CLOSE:
                raise ConnectionClosed("websocket already closed")
            self._sock.sendall(header + payload)

    def close(self, code: int = 1000) -> None:
        """Send a close frame once; errors on an already broken connection are ignored."""
        if self.closed:
            return
        try:
            self.send(struct.pack("!H", code), OP_CLOSE)
        except OSError:
            pass
        self.closed = True

    def finish(self, linger: float = LINGER_SECONDS) -> None:
        """End the session as RFC 6455 7.1.1 asks of a server: send CLOSE, then read (and drop) what
        the client still sends until its CLOSE or EOF, and only then let the TCP connection close.

        Only for the thread that owns reading. Closing a socket with unread bytes in its receive
        buffer (kubectl's 5 s heartbeat ping, stdin the command never read) makes the kernel answer
        RST and discard output still queued in the send buffer: the client loses the end of stdout
        and the status. The kubelet never has unread bytes: its wsstream reads the whole session.
        """
        self.close()
        deadline = time.monotonic() + linger
        try:
            while (remaining := deadline - time.monotonic()) > 0:
                self._sock.settimeout(remaining)
                if self.recv_frame()[0] == OP_CLOSE:
                    return
        except (ConnectionClosed, OSError):
            pass
