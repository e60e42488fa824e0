"""HTTP servers that misbehave on purpose, on 127.0.0.1, for the hostile tests.

`SlowServer(answer)` accepts connections and runs ``answer(sock, deadline, request)`` for each in a
thread (`request`: the request's head, as bytes); the answers here send a valid response in the
slowest or longest ways a server can: one byte per second (headers or body), a body without end, a
body delimited only by closing the connection. `by_path` picks an answer by the request's path, so a
server can answer some requests well and trickle others. Every answer stops by itself after `limit`
seconds, so no test can leave a server running.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable

LIMIT = 120.0  # seconds an answer may run at most, whatever the client does


Answer = Callable[[socket.socket, float, bytes], None]


class SlowServer:
    def __init__(self, answer: Answer) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.address = ("127.0.0.1", self.port)
        self._answer = answer
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> SlowServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        deadline = time.monotonic() + LIMIT
        with contextlib.suppress(OSError), conn:
            conn.settimeout(5)
            request = read_request(conn)
            self._answer(conn, deadline, request)


def read_request(conn: socket.socket) -> bytes:
    """A request's head (up to its empty line), or what came before the connection closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def by_path(routes: dict[str, Answer], default: Answer) -> Answer:
    """The answer of the first route whose text is in the request's path (its first line), else `default`."""

    def answer(conn: socket.socket, deadline: float, request: bytes) -> None:
        path = request.split(b"\r\n", 1)[0].decode("latin-1")
        chosen = next((routed for part, routed in routes.items() if part in path), default)
        chosen(conn, deadline, request)

    return answer


def whole(status: str, body: bytes, content_type: str = "application/json") -> Answer:
    """A complete answer at once (Content-Length), the connection then closed."""

    def answer(conn: socket.socket, deadline: float, request: bytes) -> None:
        conn.sendall(f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                     f"Connection: close\r\n\r\n".encode() + body)  # fmt: skip

    return answer


def trickle(data: bytes, every: float = 1.0):
    """An answer that sends `data` one byte per `every` seconds (headers included)."""

    def answer(conn: socket.socket, deadline: float, request: bytes = b"") -> None:
        for byte in data:
            if time.monotonic() > deadline:
                return
            conn.sendall(bytes([byte]))
            time.sleep(every)

    return answer


def trickled_body(size: int = 10 << 20, every: float = 1.0):
    """Headers at once (Content-Length `size`), then the body one byte per `every` seconds."""
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode()

    def answer(conn: socket.socket, deadline: float, request: bytes) -> None:
        conn.sendall(head + b"{")
        trickle(b" " * size, every)(conn, deadline)

    return answer


def endless(head: bytes = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n", prefix: bytes = b'{"configs": ['):
    """Headers (no length: the body ends when the connection closes), then a body without end, fast."""
    block = b" " * (1 << 20)

    def answer(conn: socket.socket, deadline: float, request: bytes) -> None:
        conn.sendall(head + prefix)
        while time.monotonic() < deadline:
            conn.sendall(block)

    return answer


def close_delimited(body: bytes):
    """A whole answer whose body has no Content-Length and is not chunked: it ends when the connection closes."""

    def answer(conn: socket.socket, deadline: float, request: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + body)
        conn.shutdown(socket.SHUT_WR)

    return answer
