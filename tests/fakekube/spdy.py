"""kubectl's port-forward: SPDY/3.1 streams (moby/spdystream framing), raw or tunnelled in websocket.

kubectl >= 1.31 dials `GET .../portforward` as a websocket with sub-protocol
`SPDY/3.1+portforward.k8s.io` and writes the SPDY byte stream inside binary messages
(client-go tools/portforward/tunneling_dialer.go); with KUBECTL_PORT_FORWARD_WEBSOCKETS=false it
sends `POST` with `Upgrade: SPDY/3.1` and speaks SPDY on the bare connection.

Per forwarded connection the client opens two streams carrying the headers `streamtype`
(`error` then `data`), `port` and `requestid`; the server replies SYN_REPLY to each, then copies
bytes between the data stream and the target, and writes failures as text on the error stream
(kubelet cri/streaming/portforward/httpstream.go). Header blocks are zlib-compressed with the SPDY/3
dictionary, one compression context per direction for the whole connection.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import zlib

from .exec import FRAME_BYTES, ExecRegistry, ExecRequest, frames, is_true, run_exec
from .portforward import PortForwardRegistry, shutdown_quietly
from .websocket import ConnectionClosed, WebSocket

TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io"

# SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00 section 2.6.10.1).
SPDY_DICTIONARY = (
    b'\x00\x00\x00\x07options\x00\x00\x00\x04head\x00\x00\x00\x04post\x00\x00\x00\x03put\x00\x00\x00\x06delete\x00\x00\x00\x05'
    b'trace\x00\x00\x00\x06accept\x00\x00\x00\x0eaccept-charset\x00\x00\x00\x0faccept-enco'
    b'ding\x00\x00\x00\x0faccept-language\x00\x00\x00\raccept-ranges\x00\x00\x00\x03age\x00'
    b'\x00\x00\x05allow\x00\x00\x00\rauthorization\x00\x00\x00\rcache-control\x00\x00\x00\nco'
    b'nnection\x00\x00\x00\x0ccontent-base\x00\x00\x00\x10content-encoding\x00\x00\x00\x10'
    b'content-language\x00\x00\x00\x0econtent-length\x00\x00\x00\x10content-lo'
    b'cation\x00\x00\x00\x0bcontent-md5\x00\x00\x00\rcontent-range\x00\x00\x00\x0cconten'
    b't-type\x00\x00\x00\x04date\x00\x00\x00\x04etag\x00\x00\x00\x06expect\x00\x00\x00\x07expires\x00\x00\x00\x04f'
    b'rom\x00\x00\x00\x04host\x00\x00\x00\x08if-match\x00\x00\x00\x11if-modified-since\x00\x00\x00\r'
    b'if-none-match\x00\x00\x00\x08if-range\x00\x00\x00\x13if-unmodified-since'
    b'\x00\x00\x00\rlast-modified\x00\x00\x00\x08location\x00\x00\x00\x0cmax-forwards\x00\x00\x00'
    b'\x06pragma\x00\x00\x00\x12proxy-authenticate\x00\x00\x00\x13proxy-authoriza'
    b'tion\x00\x00\x00\x05range\x00\x00\x00\x07referer\x00\x00\x00\x0bretry-after\x00\x00\x00\x06serve'
    b'r\x00\x00\x00\x02te\x00\x00\x00\x07trailer\x00\x00\x00\x11transfer-encoding\x00\x00\x00\x07upgra'
    b'de\x00\x00\x00\nuser-agent\x00\x00\x00\x04vary\x00\x00\x00\x03via\x00\x00\x00\x07warning\x00\x00\x00\x10ww'
    b'w-authenticate\x00\x00\x00\x06method\x00\x00\x00\x03get\x00\x00\x00\x06status\x00\x00\x00\x06200'
    b' OK\x00\x00\x00\x07version\x00\x00\x00\x08HTTP/1.1\x00\x00\x00\x03url\x00\x00\x00\x06public\x00\x00\x00\ns'
    b'et-cookie\x00\x00\x00\nkeep-alive\x00\x00\x00\x06origin100101201202205'
    b'206300302303304305306307402405406407408409410411'
    b'412413414415416417502504505203 Non-Authoritative'
    b' Information204 No Content301 Moved Permanently4'
    b'00 Bad Request401 Unauthorized403 Forbidden404 N'
    b'ot Found500 Internal Server Error501 Not Impleme'
    b'nted503 Service UnavailableJan Feb Mar Apr May J'
    b'un Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, W'
    b'ed, Thu, Fri, Sat, Sun, GMTchunked,text/html,ima'
    b'ge/png,image/jpg,image/gif,application/xml,appli'
    b'cation/xhtml+xml,text/plain,text/javascript,publ'
    b'icprivatemax-age=gzip,deflate,sdchcharset=utf-8c'
    b'harset=iso-8859-1,utf-,*,enq=0.'
)

_VERSION = 3
# Control frame types handled (SETTINGS=4 and WINDOW_UPDATE=9 are read and ignored).
SYN_STREAM, SYN_REPLY, RST_STREAM, PING, GOAWAY, HEADERS = 1, 2, 3, 6, 7, 8
FLAG_FIN = 0x01
_COPY_GRACE = 1.0  # containerd portforward: after one direction ends, wait 1 s for the other


class _Transport:
    """Bytes in and out, over a websocket (one binary message per write) or a raw socket."""

    def __init__(self, conn):
        if isinstance(conn, WebSocket):
            self._ws, self._reader, self._sock = conn, None, None
        else:
            self._ws, (self._reader, self._sock) = None, conn
        self._buffer = bytearray()

    def _more(self) -> bytes:
        if self._ws is not None:
            return self._ws.recv_message()[1]  # may be empty; a close raises ConnectionClosed
        chunk = self._reader.read1(256 * 1024)
        if not chunk:
            raise ConnectionClosed("connection closed by peer")
        return chunk

    def read_exact(self, n: int) -> bytes:
        while len(self._buffer) < n:
            self._buffer += self._more()
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def write(self, data: bytes) -> None:
        if self._ws is not None:
            self._ws.send(data)
        else:
            self._sock.sendall(data)

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
        else:
            shutdown_quietly(self._sock)


class _Stream:
    def __init__(self, stream_id: int, headers: dict[str, str]):
        self.id = stream_id
        self.headers = headers
        self.type = headers.get("streamtype", "")
        self.target: socket.socket | None = None  # port-forward: where client bytes go
        self.inbox = bytearray()  # exec stdin: client bytes kept until FIN
        self.remote_closed = threading.Event()  # client sent FIN or RST


class SpdySession:
    """The server half of one SPDY connection: framing, header compression, stream bookkeeping.

    Subclasses decide what a new stream means (`_on_stream`).
    """

    def __init__(self, transport: _Transport):
        self._t = transport
        self._inflate = zlib.decompressobj(zdict=SPDY_DICTIONARY)
        self._deflate = zlib.compressobj(zdict=SPDY_DICTIONARY)
        self._write_lock = threading.Lock()
        self._streams: dict[int, _Stream] = {}
        self._threads: list[threading.Thread] = []

    # -- framing
    def _control(self, ftype: int, flags: int, payload: bytes) -> bytes:
        return struct.pack("!HHI", 0x8000 | _VERSION, ftype, (flags << 24) | len(payload)) + payload

    def _send(self, frame: bytes) -> None:
        with self._write_lock:
            self._t.write(frame)

    def _header_block(self, headers: dict[str, str]) -> bytes:
        raw = struct.pack("!I", len(headers))
        for name, value in headers.items():
            raw += struct.pack("!I", len(name)) + name.encode() + struct.pack("!I", len(value)) + value.encode()
        return self._deflate.compress(raw) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    def _parse_headers(self, block: bytes) -> dict[str, str]:
        raw = self._inflate.decompress(block)
        (count,) = struct.unpack_from("!I", raw, 0)
        offset, headers = 4, {}
        for _ in range(count):
            (n,) = struct.unpack_from("!I", raw, offset)
            name = raw[offset + 4: offset + 4 + n].decode()
            offset += 4 + n
            (n,) = struct.unpack_from("!I", raw, offset)
            headers[name.lower()] = raw[offset + 4: offset + 4 + n].decode()
            offset += 4 + n
        return headers

    def send_reply(self, stream_id: int) -> None:
        # The compression context is shared, so compress and write under one lock.
        with self._write_lock:
            payload = struct.pack("!I", stream_id) + self._header_block({})
            self._t.write(self._control(SYN_REPLY, 0, payload))

    def send_data(self, stream_id: int, data: bytes, fin: bool = False) -> None:
        self._send(struct.pack("!II", stream_id & 0x7FFFFFFF, ((FLAG_FIN if fin else 0) << 24) | len(data)) + data)

    def _start(self, target, *args, name: str) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name=name)
        thread.start()
        self._threads.append(thread)

    # -- session
    def serve(self) -> None:
        try:
            while True:
                head = self._t.read_exact(8)
                word, flags_len = struct.unpack("!II", head)
                flags, length = flags_len >> 24, flags_len & 0xFFFFFF
                payload = self._t.read_exact(length) if length else b""
                if word & 0x80000000:
                    self._on_control(word & 0xFFFF, flags, payload)
                else:
                    self._on_data(word & 0x7FFFFFFF, flags, payload)
        except (ConnectionClosed, OSError):
            pass
        finally:
            self._teardown()

    def _on_control(self, ftype: int, flags: int, payload: bytes) -> None:
        if ftype == SYN_STREAM:
            stream_id = struct.unpack_from("!I", payload, 0)[0] & 0x7FFFFFFF
            stream = _Stream(stream_id, self._parse_headers(payload[10:]))
            self._streams[stream_id] = stream
            self.send_reply(stream_id)
            if flags & FLAG_FIN:
                stream.remote_closed.set()
            self._on_stream(stream)
        elif ftype in (HEADERS, SYN_REPLY):
            self._parse_headers(payload[4:])  # keep the shared inflate context in step
        elif ftype == RST_STREAM:
            stream = self._streams.get(struct.unpack_from("!I", payload, 0)[0] & 0x7FFFFFFF)
            if stream is not None:
                stream.remote_closed.set()
                self._close_target(stream)
        elif ftype == PING:
            self._send(self._control(PING, 0, payload))
        elif ftype == GOAWAY:
            raise ConnectionClosed("GOAWAY")
        # SETTINGS and WINDOW_UPDATE: spdystream does no flow control, nor do we.

    def _on_data(self, stream_id: int, flags: int, data: bytes) -> None:
        stream = self._streams.get(stream_id)
        if stream is None:
            return
        target = stream.target
        try:
            if data:
                if target is not None:
                    target.sendall(data)
                else:
                    stream.inbox += data
            if flags & FLAG_FIN:
                stream.remote_closed.set()
                if target is not None:
                    target.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _on_stream(self, stream: _Stream) -> None:
        raise NotImplementedError

    def _close_target(self, stream: _Stream) -> None:
        """Port-forward sessions release their target socket here."""

    def _teardown(self) -> None:
        for stream in list(self._streams.values()):
            stream.remote_closed.set()
            self._close_target(stream)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)
        self._t.close()


class PortForwardSession(SpdySession):
    """portforward.k8s.io: pair the error and data streams of each request id, then copy bytes."""

    def __init__(self, transport: _Transport, registry: PortForwardRegistry, pod: dict):
        super().__init__(transport)
        self._registry = registry
        self._pod = pod
        self._pending: dict[str, dict[str, _Stream]] = {}  # requestid -> streamtype -> stream

    def _on_stream(self, stream: _Stream) -> None:
        request_id = stream.headers.get("requestid", "")
        slot = self._pending.setdefault(request_id, {})
        slot[stream.type] = stream
        if "data" in slot and "error" in slot:
            del self._pending[request_id]
            self._forward(slot["data"], slot["error"])

    def _forward(self, data: _Stream, error: _Stream) -> None:
        port = int(data.headers.get("port", "0"))
        try:
            data.target = self._registry.connect(self._pod, port)
        except OSError as err:
            self.send_data(error.id, str(err).encode())
            self.send_data(data.id, b"", fin=True)
            self.send_data(error.id, b"", fin=True)
            return
        self._start(self._pump, data, error, name=f"fakekube-spdy-{port}")

    def _pump(self, data: _Stream, error: _Stream) -> None:
        sock = data.target
        try:
            while chunk := sock.recv(FRAME_BYTES):
                self.send_data(data.id, chunk)
            self.send_data(data.id, b"", fin=True)
            self.send_data(error.id, b"", fin=True)
        except (OSError, ConnectionClosed):
            pass
        data.remote_closed.wait(_COPY_GRACE)
        self._close_target(data)

    def _close_target(self, stream: _Stream) -> None:
        sock, stream.target = stream.target, None
        if sock is not None:
            shutdown_quietly(sock)
            self._registry.release(sock)


class ExecSession(SpdySession):
    """remotecommand v4.channel.k8s.io over SPDY (kubelet cri/streaming/remotecommand/httpstream.go):
    wait for the error/stdin/stdout/stderr/resize streams the query asked for, run, write stdout and
    stderr, then the status JSON on the error stream, and close."""

    def __init__(self, transport: _Transport, registry: ExecRegistry, pod: dict, container: str,
                 argv: list[str], query: dict):
        super().__init__(transport)
        self._registry = registry
        self._request = ExecRequest(pod, container, argv, tty=is_true(query, "tty"),
                                    _stdin=self._read_stdin if is_true(query, "stdin") else None)
        self._expected = {"error"} | {name for name in ("stdin", "stdout", "stderr") if is_true(query, name)}
        if self._request.tty:
            self._expected = (self._expected - {"stderr"}) | {"resize"}
        self._by_type: dict[str, _Stream] = {}

    def _on_stream(self, stream: _Stream) -> None:
        self._by_type[stream.type] = stream
        if set(self._by_type) >= self._expected:
            self._start(self._run, name="fakekube-spdy-exec")

    def _read_stdin(self) -> bytes:
        stdin = self._by_type["stdin"]
        stdin.remote_closed.wait()
        return bytes(stdin.inbox)

    def _run(self) -> None:
        try:
            stdout, stderr, doc = run_exec(self._registry, self._request)
            for name, data in (("stdout", stdout), ("stderr", stderr)):
                if name in self._by_type:
                    for frame in frames(data):
                        self.send_data(self._by_type[name].id, frame)
            # v4 writes the status document for success too; older protocols only on failure.
            self.send_data(self._by_type["error"].id, json.dumps(doc, separators=(",", ":")).encode())
            for stream in self._by_type.values():
                self.send_data(stream.id, b"", fin=True)
        except (OSError, ConnectionClosed):
            pass
        self._t.close()


def serve_spdy_portforward(conn, registry: PortForwardRegistry, pod: dict) -> None:
    """Serve SPDY port-forward on `conn`: a WebSocket (tunnelled) or (reader, socket) for raw SPDY."""
    PortForwardSession(_Transport(conn), registry, pod).serve()


def serve_spdy_exec(conn, registry: ExecRegistry, pod: dict, container: str, argv: list[str], query: dict) -> None:
    """Serve one exec over raw SPDY (kubectl's fallback, or KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false)."""
    ExecSession(_Transport(conn), registry, pod, container, argv, query).serve()
