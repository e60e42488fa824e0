"""The port-forward websocket frame reader (meshctl/sources/portforward.py) on a real socket pair:
RFC 6455 frames as an API server sends them (port frames, fragments, pings, every length form)."""

from __future__ import annotations

import io
import socket
import struct
import threading

import pytest

from meshctl.sources.portforward import _READ_BLOCK, _ForwardedStream

from helpers.wsframes import BINARY, CLOSE, CONTINUATION, PING, PONG, frame, websocket_pair

PORT = struct.pack("<H", 15000)


@pytest.fixture
def pair():
    """(websocket-client WebSocket over our end, the server's end)."""
    with websocket_pair() as ends:
        yield ends


def serve(server: socket.socket, data: bytes, *, close: bool = True) -> threading.Thread:
    """Send `data` in small, uneven writes (frames cut anywhere), from a thread."""

    def run():
        for offset in range(0, len(data), 997):
            server.sendall(data[offset : offset + 997])
        if close:
            server.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_data_channel_bytes_across_fragments_pings_and_all_length_forms(pair):
    client, server = pair
    body = bytes(range(256)) * 1200  # 300 KB: one frame larger than the read buffer
    assert len(body) > _READ_BLOCK
    stream = (
        frame(BINARY, b"\x00" + PORT) + frame(BINARY, b"\x01" + PORT)  # each channel's port first
        + frame(BINARY, b"\x00" + b"a" * 100)  # 7-bit length
        + frame(BINARY, b"\x00" + b"b" * 1000)  # 16-bit length
        + frame(PING, b"hi")
        + frame(BINARY, b"\x00" + body)  # 64-bit length
        + frame(BINARY, b"\x00" + b"c" * 10, fin=False) + frame(CONTINUATION, b"d" * 20)  # one message, two frames
        + frame(BINARY, b"\x02" + b"ignored")  # a channel this forward does not use
        + frame(CLOSE, struct.pack("!H", 1000))
    )  # fmt: skip
    sender = serve(server, stream)
    received = io.BufferedReader(_ForwardedStream(client)).read()
    sender.join()
    assert received == b"a" * 100 + b"b" * 1000 + body + b"c" * 10 + b"d" * 20
    pong = server.recv(64)  # the client answered the ping (masked, as clients must)
    assert pong[0] == 0x80 | PONG and pong[1] == 0x80 | 2


def test_a_read_returns_what_is_buffered_without_waiting_for_more(pair):
    client, server = pair
    server.sendall(frame(BINARY, b"\x00" + PORT) + frame(BINARY, b"\x01" + PORT) + frame(BINARY, b"\x00HTTP/1.1 200"))
    # the server now waits for our next request: the read must not block for more
    assert _ForwardedStream(client).read(1 << 16) == b"HTTP/1.1 200"


def test_error_channel_text_is_raised(pair):
    client, server = pair
    sender = serve(server, frame(BINARY, b"\x00" + PORT) + frame(BINARY, b"\x01" + PORT) + frame(BINARY, b"\x01connection refused "))
    stream = _ForwardedStream(client)
    with pytest.raises(ConnectionError, match="^connection refused$"):
        stream.read(100)
    sender.join()
    assert stream.error == "connection refused"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (frame(BINARY, b"\x00abc", mask=b"\x01\x02\x03\x04"), "masked websocket frame"),
        (frame(BINARY, b"\x00" + b"x" * 500)[:300], "closed in the middle of a frame"),
    ],
)
def test_protocol_errors(pair, data, message):
    client, server = pair
    sender = serve(server, frame(BINARY, b"\x00" + PORT) + data)
    with pytest.raises(ConnectionError, match=message):
        _ForwardedStream(client).read(1000)
    sender.join()


def test_closed_between_frames_is_the_end(pair):
    client, server = pair
    sender = serve(server, frame(BINARY, b"\x00" + PORT) + frame(BINARY, b"\x00done"))
    assert io.BufferedReader(_ForwardedStream(client)).read() == b"done"
    sender.join()
