"""HTTP/1.1 on a connection meshctl already holds: a request head written, its answer read, every
part bounded.

What the pod path needs and no more: the API server's GETs (`meshctl.sources.kubehttp`), the
answer to a websocket upgrade (`meshctl.sources.kubews`) and Envoy's admin API through a
port-forward (`meshctl.sources.portforward.ForwardedHTTP`): a GET or a POST without a body,
keep-alive, and the three ways a body ends (Content-Length, chunks, the connection's end).

Why not http.client: importing it imports `email` (its header parser) and `ssl`, ~60 M of the
~400 M instructions of `meshctl pc cluster POD` on a plain-HTTP API server (~35 M beside the TLS
that an https server needs anyway), for features none of these use (header folding, 100-continue,
pipelining, bodies to send). What is kept of http.client: its bounds (a line of 64 KiB, 100
headers), the request head it writes (Host, Accept-Encoding: identity, Content-Length: 0 for a
body-less POST, then the caller's headers), and the names and words of its errors, which meshctl's
messages quote.
"""

from __future__ import annotations

MAX_LINE = 65536  # a status, header or chunk-size line (http.client's _MAXLINE)
MAX_HEADERS = 100  # header (or trailer) lines of one answer (http.client's _MAXHEADERS)
_BLOCK = 1 << 16  # one read of the connection while looking for a line's end
_HEX = frozenset(b"0123456789abcdefABCDEF")


class HTTPException(Exception):
    """An answer that is not HTTP/1.x or breaks its framing."""


class BadStatusLine(HTTPException):
    """The first line is not ``HTTP/1.x NNN reason`` (the message is the line, as http.client's)."""

    def __init__(self, line: str) -> None:
        super().__init__(line or repr(line))


class LineTooLong(HTTPException):
    """A status, header or chunk-size line over MAX_LINE."""

    def __init__(self, what: str) -> None:
        super().__init__(f"got more than {MAX_LINE} bytes when reading {what}")


class IncompleteRead(HTTPException):
    """The connection ended inside a body (before its Content-Length, or its last chunk)."""

    def __init__(self, expected: int | None = None) -> None:
        more = f", {expected} more bytes expected" if expected else ""
        super().__init__(f"the answer was cut short{more}")
        self.expected = expected


class NotConnected(HTTPException):
    """A request on a connection that has ended (http.client's name: messages show it)."""


class RemoteDisconnected(ConnectionResetError, HTTPException):
    """The connection ended before any byte of an answer (a kept-alive one the server had closed)."""

    def __init__(self, message: str = "Remote end closed connection without response") -> None:
        super().__init__(message)


def request_head(method: str, target: str, host: str, headers: dict[str, str]) -> bytes:
    """The head of a request without a body, as http.client writes it.

    Raises:
        ValueError: a line break or NUL in any part (a header must not start another).
    """
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Accept-Encoding: identity"]
    if method == "POST":
        lines.append("Content-Length: 0")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if any(char in line for line in lines for char in "\r\n\0"):
        raise ValueError("a request line or header holds a line break")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Reader:
    """One connection's incoming bytes: lines (bounded) for heads, else straight into the caller's
    buffer. Bytes read past one answer stay for what follows (the next answer, websocket frames).

    `readinto` is the connection's (``sock.recv_into``, a stream's ``readinto``): 0 at its end.
    """

    def __init__(self, readinto, received: bytes = b"") -> None:
        self._readinto = readinto
        self._buffer = bytearray(received)
        self._start = 0

    def readline(self, what: str) -> bytes:
        """The next line with its end (b"" at the connection's end; what is left if it ends in the line).

        Raises:
            LineTooLong: no line end within MAX_LINE bytes (`what` names the line).
        """
        while True:
            end = self._buffer.find(b"\n", self._start, self._start + MAX_LINE)
            if end >= 0:
                line = bytes(self._buffer[self._start : end + 1])
                self._start = end + 1
                return line
            if len(self._buffer) - self._start >= MAX_LINE:
                raise LineTooLong(what)
            block = bytearray(_BLOCK)
            count = self._readinto(block)
            if not count:
                line = bytes(self._buffer[self._start :])
                self._buffer, self._start = bytearray(), 0
                return line
            del self._buffer[: self._start]
            self._start = 0
            self._buffer += memoryview(block)[:count]

    def readinto(self, view) -> int:
        """Bytes into `view`: those already read first, else one read of the connection (0 at its end)."""
        held = len(self._buffer) - self._start
        if not held:
            return self._readinto(view)
        count = min(held, len(view))
        view[:count] = self._buffer[self._start : self._start + count]
        self._start += count
        if self._start == len(self._buffer):
            self._buffer, self._start = bytearray(), 0
        return count

    def take(self) -> bytes:
        """The bytes read but not yet consumed, handed over (the reader keeps none)."""
        held = bytes(self._buffer[self._start :])
        self._buffer, self._start = bytearray(), 0
        return held


class Response:
    """One answer, its head read at creation (http.client.HTTPResponse's names: `status`,
    `getheader`, `length`, `read`, `readinto`, `will_close`).

    Raises (at creation):
        RemoteDisconnected: the connection ended before the status line.
        BadStatusLine, LineTooLong, HTTPException: not an HTTP/1.x head within the bounds.
    """

    def __init__(self, reader: Reader, method: str = "GET") -> None:
        self._reader = reader
        while True:
            self.status, self.reason, http10 = _status_line(reader)
            self.headers = _header_lines(reader, "header line")
            if self.status != 100:  # a 100 Continue nobody asked for comes before the answer: skipped, as http.client does
                break
        connection = {token.strip().lower() for token in self.getheader("Connection", "").split(",")}
        self.will_close = "close" in connection or (http10 and "keep-alive" not in connection)
        self._chunked = False
        self._chunk_left = 0
        self.length: int | None = None  # body bytes still to come, when the head says how many
        encoding = self.getheader("Transfer-Encoding", "").lower()
        if method == "HEAD" or self.status in (204, 304) or 100 <= self.status < 200:
            self.length = 0
        elif encoding:
            if encoding.split(",")[-1].strip() != "chunked":  # RFC 9112 6.3: read to the end
                self.will_close = True
            else:
                self._chunked = True
            # RFC 9112 6.1 and 6.3: with a Content-Length too, or in HTTP/1.0, the framing is suspect (a
            # smuggled answer could start where another reader thinks this one ends): never reused
            if http10 or self.getheader("Content-Length") is not None:
                self.will_close = True
        elif (declared := self.getheader("Content-Length")) is not None:
            if not declared.strip().isdigit() or not declared.strip().isascii():
                raise HTTPException(f"invalid Content-Length {declared[:40]!r}")
            self.length = int(declared)
        else:
            self.will_close = True  # the body ends with the connection
        self.complete = self.length == 0

    def getheader(self, name: str, default: str | None = None) -> str | None:
        """A header's value (repeated ones joined with ", "), or `default`."""
        return self.headers.get(name.lower(), default)

    def isclosed(self) -> bool:
        """The body has been read to its end."""
        return self.complete

    def close(self) -> None:
        """Nothing to release: the connection belongs to whoever made the request."""

    def read(self, amount: int | None = None) -> bytes:
        """Up to `amount` bytes of the body (fewer only at its end); all that is left when None."""
        if amount is None:
            parts = []
            while part := self.read(1 << 20):
                parts.append(part)
            return b"".join(parts)
        buffer = bytearray(amount if self.length is None else min(amount, self.length))
        count = self.readinto(buffer)
        del buffer[count:]
        return bytes(buffer)

    def readinto(self, buffer) -> int:
        """Fill `buffer` with the body's next bytes (fewer only at its end; 0 after it).

        Raises:
            IncompleteRead: the connection ended inside the body.
            HTTPException, LineTooLong: a malformed chunk.
        """
        view = memoryview(buffer)
        count = 0
        while count < len(view) and not self.complete:
            count += self._read_some(view[count:])
        return count

    def _read_some(self, view) -> int:
        if self._chunked:
            if not self._chunk_left:
                self._chunk_left = self._chunk_size()
                if not self._chunk_left:
                    _header_lines(self._reader, "trailer line")
                    self.complete = True
                    return 0
            count = self._reader.readinto(view[: self._chunk_left])
            if not count:
                raise IncompleteRead(self._chunk_left)
            self._chunk_left -= count
            if not self._chunk_left and self._reader.readline("chunk end").strip():
                raise HTTPException("a chunk is longer than its size says")
            return count
        if self.length is None:
            count = self._reader.readinto(view)
            self.complete = not count
            return count
        count = self._reader.readinto(view[: self.length])
        if not count:
            raise IncompleteRead(self.length)
        self.length -= count
        self.complete = not self.length
        return count

    def _chunk_size(self) -> int:
        line = self._reader.readline("chunk size")
        if not line:
            raise IncompleteRead()
        size = line.split(b";", 1)[0].strip()  # chunk extensions are ignored
        if not size or len(size) > 16 or not _HEX.issuperset(size):
            raise HTTPException(f"invalid chunk size {line[:40]!r}")
        return int(size, 16)


def _status_line(reader: Reader) -> tuple[int, str, bool]:
    """(status, reason, HTTP/1.0) of the answer's first line."""
    line = reader.readline("status line")
    if not line:
        raise RemoteDisconnected
    text = line.decode("iso-8859-1")
    parts = text.split(None, 2)
    version, status = (parts + ["", ""])[:2]
    if not version.startswith("HTTP/1.") or len(status) != 3 or not status.isdigit() or not status.isascii() or status < "100":
        raise BadStatusLine(text)
    return int(status), (parts[2] if len(parts) > 2 else "").strip(), version == "HTTP/1.0"


def _header_lines(reader: Reader, what: str) -> dict[str, str]:
    """Header (or trailer) lines up to the empty one (or the connection's end), names in lower case."""
    headers: dict[str, str] = {}
    last = None
    for _ in range(MAX_HEADERS + 1):
        line = reader.readline(what)
        if line in (b"\r\n", b"\n", b""):
            return headers
        text = line.decode("iso-8859-1").rstrip("\r\n")
        if text[:1] in (" ", "\t") and last is not None:  # an obsolete folded line continues the last value
            headers[last] = f"{headers[last]} {text.strip()}"
            continue
        name, colon, value = text.partition(":")
        name = name.strip().lower()
        if not colon or not name:
            raise HTTPException(f"a header line without a name: {text[:40]!r}")
        value = value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
        last = name
    raise HTTPException(f"got more than {MAX_HEADERS} headers")
