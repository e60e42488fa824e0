"""Port-forward to a pod: HTTP straight over the websocket, or a local TCP port for other clients.

`ForwardedHTTP` speaks HTTP/1.1 over ONE port-forward websocket's data channel, reading a frame
only when the caller wants more bytes: memory holds a chunk, not the pod's whole answer. This is
how pod sources (`meshctl.sources.pod`) and snapshots read Envoy's admin API and istiod's debug
paths. The kubernetes client's PortForward buffers everything the pod sends without limit
(``port.data += ...``, quadratic when the local reader falls behind), so it serves only
`forward()`, which clients that need a real socket (TLS to a webhook) use.

`forward()` is a context manager: ``with forward(kube, pod, 15000) as fwd: fwd.port``. The
kubernetes client's PortForward carries ONE connection per websocket (a socket pair), so a
local listener on 127.0.0.1 opens one websocket per accepted connection, as kubectl opens one
stream pair per connection. The first websocket is opened before the listener is returned:
a refused port-forward (RBAC, no support, pod gone) fails here, not in the HTTP client later.
"""

from __future__ import annotations

import contextlib
import io
import selectors
import socket
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from meshctl.errors import SourceError, short_reason
from meshctl.sources.http11 import HTTPException, IncompleteRead, NotConnected, Reader, RemoteDisconnected, Response, request_head

if TYPE_CHECKING:  # the live client opens the websockets; it imports this module (lazily), not the reverse
    from meshctl.sources.kube import KubeClient

_CHUNK = 1 << 16  # 64 KB reads: 16 snapshot threads x a few chunks stay a few MB


class ForwardedHTTP:
    """HTTP requests (GET, and POST for Envoy's /logging) to `port` of `pod` over one port-forward
    websocket (keep-alive, one at a time).

    Use as a context manager, or call `close()`. Opening fails like `KubeClient.open_stream`
    (SourceError naming the verb/resource RBAC denied, or the unreachable API server).
    """

    def __init__(self, kube: KubeClient, pod: dict, port: int) -> None:
        meta = pod.get("metadata") or {}
        name = f"{meta.get('name')}.{meta.get('namespace')}"
        self.where = f"Envoy admin API at {name}:{port}"  # the words AdminSource uses, with the pod for the URL
        self.timeout = kube.timeout
        self.max_body = kube.max_body
        websocket = kube.open_stream(pod, "portforward", [("ports", str(port))], f"port-forward to {name}:{port}")
        websocket.settimeout(kube.timeout)
        self._websocket = websocket
        self._stream = _ForwardedStream(websocket, websocket.received)
        self._reader = Reader(self._stream.readinto)
        self._host = f"127.0.0.1:{port}"  # the Host http.client wrote for a connection to the local end
        # once the pod has closed the connection (an answer delimited by closing it, or one not read
        # to its end), the next request fails (NotConnected): no new connection behind the caller's back
        self._ended = False

    def __enter__(self) -> ForwardedHTTP:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection and its websocket."""
        self._end()

    def _end(self) -> None:
        self._ended = True
        self._websocket.close()

    def get(self, path: str) -> bytes:
        """The body of ``GET /<path>``, read in chunks into one buffer (handed out without a copy).

        Raises:
            SourceError: as `get_into`; LimitExceeded: a body over --max-body-size.
        """
        return self.request("GET", path)

    def request(self, method: str, path: str) -> bytes:
        """The body of ``METHOD /<path>`` (see `get`)."""
        from meshctl.model.limits import BoundedBuffer

        buffer = BoundedBuffer(self.max_body, f"the answer of {self.where} to /{path}")
        self.request_into(method, path, buffer, chunk=1 << 20)
        return buffer.getvalue()

    def get_into(self, path: str, sink, *, chunk: int = _CHUNK) -> None:
        """``GET /<path>``, writing the body to ``sink.write`` a chunk at a time; `timeout` bounds it all.

        Raises:
            SourceError: the pod side's error (nothing listens on the port ...), no answer in time,
                the connection cut short, or an answer other than 200.
        """
        self.request_into("GET", path, sink, chunk=chunk)

    def request_into(self, method: str, path: str, sink, *, chunk: int = _CHUNK) -> None:
        """``METHOD /<path>`` (no body), the answer's body written to `sink` as `get_into` does."""
        from meshctl.sources.deadline import Deadline, shut

        deadline = Deadline(self.timeout)
        settled = False  # the connection is between exchanges again (or ended on purpose)
        try:
            # the watchdog ends the exchange at the deadline, however slowly frames trickle in
            with deadline.guard(shut(self._websocket.sock)):
                if self._ended:
                    raise NotConnected
                self._websocket.send_binary(b"\x00" + request_head(method, f"/{path.lstrip('/')}", self._host, {"Accept": "application/json"}))
                response = Response(self._reader, method)
                if response.status != 200:
                    body = response.read(64 << 10)  # an error page, or its start: then the connection is dropped
                    if not response.complete or response.will_close:
                        self._end()
                    settled = True
                    lines = body[:200].decode("utf-8", "replace").strip().splitlines()
                    raise SourceError(f"{self.where} answered /{path} with HTTP {response.status}" + (f": {lines[0]}" if lines else ""))
                # one buffer per response, filled in place: a body passes through memory once, not per read
                buffer = memoryview(bytearray(chunk))
                while count := response.readinto(buffer):
                    sink.write(buffer[:count])
                if response.will_close:  # the pod ended the connection with the body
                    self._end()
                settled = True
            if deadline.fired:  # the watchdog ended the body: what came is not all
                raise TimeoutError
        except (OSError, HTTPException) as exc:
            # after the watchdog fired, whatever the read saw is its doing
            raise SourceError(self._failure(TimeoutError() if deadline.fired else exc, path)) from None
        finally:
            if not settled:
                # left in the middle of an answer (an error, a body over --max-body-size): the rest of
                # it must never be read as the answer to a next request
                self._ended = True

    def _failure(self, exc: BaseException, path: str) -> str:
        """One line for a failed GET: the pod side's own words (e.g. kubelet's "connection refused") first."""
        if self._stream.error:
            return self._stream.error
        if isinstance(exc, TimeoutError):
            return f"{self.where} did not answer /{path} within {self.timeout:g}s (raise --timeout?)"
        if isinstance(exc, (IncompleteRead, RemoteDisconnected, ConnectionError)):
            reason = "response truncated" if isinstance(exc, IncompleteRead) else short_reason(exc)
            return f"{self.where} closed the connection before sending all of /{path} ({reason})"
        # the pod's bytes may be anything (a status line of 64 KiB ending in CRLF): one short line of them
        return f"{self.where} failed for /{path}: {short_reason(exc)}"


class Forwarding:
    """A running forward: the local port, and errors the pod side reported (port not listening ...).

    A plain class: a dataclass is compiled at import, and every pod command imports this module.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.errors: list[str] = []


@contextlib.contextmanager
def forward(kube: KubeClient, pod: dict, remote_port: int) -> Iterator[Forwarding]:
    """Forward 127.0.0.1:<ephemeral> to `remote_port` of `pod` while the block runs.

    Raises:
        SourceError: the API server refused the port-forward (message names verb/resource).
    """
    first = [kube.open_port_forward(pod, remote_port)]
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    forwarding = Forwarding(listener.getsockname()[1])
    stop = threading.Event()
    pumps: list[threading.Thread] = []

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if stop.is_set():
                conn.close()
                return
            try:
                port_forward = first.pop() if first else kube.open_port_forward(pod, remote_port)
            except Exception as exc:  # report through the HTTP client's failure, not a thread traceback
                forwarding.errors.append(str(exc))
                conn.close()
                continue
            pump = threading.Thread(target=_pump, args=(conn, port_forward, remote_port, forwarding, stop), daemon=True)
            pump.start()
            pumps.append(pump)

    acceptor = threading.Thread(target=accept_loop, name=f"meshctl port-forward :{forwarding.port}", daemon=True)
    acceptor.start()
    try:
        yield forwarding
    finally:
        stop.set()
        with contextlib.suppress(OSError):  # wake accept() so the thread sees `stop` now
            socket.create_connection(("127.0.0.1", forwarding.port), timeout=1).close()
        acceptor.join(timeout=2)
        listener.close()
        for port_forward in first:
            port_forward.close()
        for pump in pumps:
            pump.join(timeout=2)


def _pump(conn: socket.socket, port_forward, remote_port: int, forwarding: Forwarding, stop: threading.Event) -> None:
    """Copy bytes both ways between a local connection and the websocket's socket until either closes."""
    remote = port_forward.socket(remote_port)
    remote.setblocking(True)
    peers = {conn: remote, remote._socket: conn}
    with selectors.DefaultSelector() as selector:
        selector.register(conn, selectors.EVENT_READ)
        selector.register(remote._socket, selectors.EVENT_READ)
        try:
            open_ends = 2
            while open_ends and not stop.is_set():
                for key, _ in selector.select(timeout=0.2):
                    data = key.fileobj.recv(_CHUNK)
                    if data:
                        peers[key.fileobj].sendall(data)
                        continue
                    # one side finished: pass the half-close on and stop reading it
                    selector.unregister(key.fileobj)
                    open_ends -= 1
                    with contextlib.suppress(OSError):
                        peers[key.fileobj].shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            error = port_forward.error(remote_port)
            if error:
                forwarding.errors.append(error.strip())
            conn.close()
            port_forward.close()


class _ForwardedStream(io.RawIOBase):
    """The pod side's bytes of a port-forward websocket (channel.k8s.io: data channel 0, errors 1).

    Each channel's first frame carries the port number, not data (kubelet portforward/websocket.go).
    Frames are parsed here from large reads of the websocket's own socket: websocket-client's
    recv_data_frame costs ~6 Python-level recv calls per frame, which was a third of a pod's CPU.
    """

    def __init__(self, socket, received: bytes = b"") -> None:
        self._socket = socket
        self._frames = _FrameReader(socket.sock, received)
        self._pending = memoryview(b"")
        self._started = {0: False, 1: False}
        self._channel = None  # channel of the message whose continuation frames may follow
        self._ended = False
        self.error = ""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        # Copy every data frame already received, blocking only while nothing is copied: the
        # reply may be complete, and the pod then waits for our next request.
        count = 0
        while count < len(buffer):
            if not self._pending and not self._next_data(block=not count):
                break
            taken = min(len(buffer) - count, len(self._pending))
            buffer[count : count + taken] = self._pending[:taken]
            self._pending = self._pending[taken:]
            count += taken
        return count

    def _next_data(self, *, block: bool) -> bool:
        """Make the next data-channel payload pending; False at the end or if it is not yet here."""
        while not self._ended:
            frame = self._frames.next(block=block)
            if frame is None:
                return False
            opcode, payload = frame
            if opcode == _OP_CLOSE:
                self._ended = True
            elif opcode == _OP_PING:
                self._socket.pong(bytes(payload))
            elif opcode == _OP_CONTINUATION and self._channel == 0:
                # an empty fragment (RFC 6455 5.4 allows it) is not the end: read on
                self._pending = payload
                if payload:
                    return True
            elif opcode == _OP_BINARY and payload:
                channel, self._channel = payload[0], None
                if channel not in self._started:
                    continue
                if not self._started[channel]:
                    self._started[channel] = True
                elif channel == 1:  # the pod side's error (kubelet's words): the end of this forward
                    self.error = bytes(payload[1:]).decode("utf-8", "replace").strip()
                    raise ConnectionError(self.error)
                else:
                    self._channel = channel
                    self._pending = payload[1:]
                    if self._pending:
                        return True
        return False


_OP_CONTINUATION, _OP_BINARY, _OP_CLOSE, _OP_PING = 0x0, 0x2, 0x8, 0x9
_MAX_FRAME = 64 << 20  # kubelet and the API server send frames of at most a few tens of KB
_READ_BLOCK = 1 << 16


class _FrameReader:
    """Websocket frames (RFC 6455 5.2) from a socket: (opcode, payload view valid until the next call)."""

    def __init__(self, sock, received: bytes = b"") -> None:
        self._sock = sock
        # bytes already read from `sock` (past the upgrade's answer) come first
        self._buffer = bytearray(received) + bytearray(max(0, _READ_BLOCK - len(received)))
        self._view = memoryview(self._buffer)
        self._start, self._end = 0, len(received)

    def next(self, *, block: bool):
        """The next frame; None if `block` is false and no whole frame is buffered."""
        if block and self._start == self._end and not self._receive():
            return _OP_CLOSE, memoryview(b"")  # closed between frames: the end, as a close frame
        header = self._need(2, block)
        if header is None:
            return None
        first, second = header[0], header[1]
        if second & 0x80:
            raise ConnectionError("the API server sent a masked websocket frame")  # RFC 6455 5.1
        length, size = second & 0x7F, 2
        if length >= 126:
            size = 4 if length == 126 else 10
            header = self._need(size, block)
            if header is None:
                return None
            length = int.from_bytes(header[2:size], "big")
            if length > _MAX_FRAME:  # a length no kubelet sends: do not grow a buffer to it
                raise ConnectionError(f"the port-forward stream sent a websocket frame of {length} bytes")
        frame = self._need(size + length, block)
        if frame is None:
            return None
        self._start += size + length
        return first & 0x0F, frame[size:]

    def _need(self, count: int, block: bool):
        """A view of the next `count` buffered bytes (reading more if `block`), or None."""
        while self._end - self._start < count:
            if not block:
                return None
            if self._start + count > len(self._buffer):
                # move the partial frame to the front; grow only for a frame larger than the buffer
                kept = self._end - self._start
                if count > len(self._buffer):
                    self._buffer = self._buffer[self._start : self._end] + bytearray(count - kept)
                    self._view = memoryview(self._buffer)
                else:
                    self._buffer[:kept] = self._buffer[self._start : self._end]
                self._start, self._end = 0, kept
            if not self._receive():
                raise ConnectionError("the port-forward connection closed in the middle of a frame")
        return self._view[self._start : self._start + count]

    def _receive(self) -> int:
        if self._start == self._end:  # nothing buffered: read from the front
            self._start = self._end = 0
        received = self._sock.recv_into(self._view[self._end :])
        self._end += received
        return received
