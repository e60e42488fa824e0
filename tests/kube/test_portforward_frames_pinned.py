"""The port-forward websocket reader (meshctl/sources/portforward.py _ForwardedStream, _FrameReader)
pinned on a real socket pair with frames as RFC 6455 allows an API server to send them: fragments,
empty frames, control frames between fragments, the length bound, frames that straddle reads.

Port-forward's channel protocol (kubelet portforward/websocket.go): data channel 0, error channel 1,
each channel's first message the port number; every later message of channel 0 is data.
"""

from __future__ import annotations

import io
import socket
import struct
import threading
import time

import pytest

from meshctl.sources.portforward import _MAX_FRAME, _READ_BLOCK, _ForwardedStream, _FrameReader

from helpers.wsframes import BINARY, CLOSE, CONTINUATION, PING, PONG, frame, websocket_pair

PORT = struct.pack("<H", 15000)
START = frame(BINARY, b"\x00" + PORT) + frame(BINARY, b"\x01" + PORT)  # both channels' port messages
END = frame(CLOSE, struct.pack("!H", 1000))


@pytest.fixture
def pair():
    with websocket_pair() as ends:
        yield ends


def send_later(server: socket.socket, *parts: bytes, pause: float = 0.2) -> threading.Thread:
    """Send each part after a pause: each arrives when the reader has used up what came before."""

    def run():
        for part in parts:
            time.sleep(pause)
            server.sendall(part)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def read_all(client) -> bytes:
    return io.BufferedReader(_ForwardedStream(client)).read()


def test_an_empty_continuation_frame_does_not_end_the_stream(pair):
    # RFC 6455 5.4: a fragment may be empty. Arriving as the first frame of a read, it is not the end.
    client, server = pair
    server.sendall(START + frame(BINARY, b"\x00abc", fin=False))
    sender = send_later(server, frame(CONTINUATION, b"", fin=False), frame(CONTINUATION, b"def") + frame(BINARY, b"\x00ghi") + END)
    assert read_all(client) == b"abcdefghi"
    sender.join()


def test_empty_messages_and_control_frames_between_fragments(pair):
    client, server = pair
    server.sendall(
        START
        + frame(BINARY, b"")  # no channel byte at all
        + frame(BINARY, b"\x00")  # channel 0, no data
        + frame(BINARY, b"\x00ab", fin=False) + frame(PING, b"p") + frame(CONTINUATION, b"cd")  # a ping inside a message
        + frame(BINARY, b"\x02xx", fin=False) + frame(CONTINUATION, b"yy")  # another channel's message, in two frames
        + frame(BINARY, b"\x00ef")
        + END
        + frame(BINARY, b"\x00after the close")  # nothing is read past a close frame
    )  # fmt: skip
    assert read_all(client) == b"abcdef"
    assert server.recv(2) == bytes([0x80 | PONG, 0x80 | 1])  # the ping answered (masked, as clients must)


def test_the_port_messages_are_not_data(pair):
    client, server = pair
    # the error channel's port message arrives after data: it is still not an error
    server.sendall(frame(BINARY, b"\x00" + PORT) + frame(BINARY, b"\x00one") + frame(BINARY, b"\x01" + PORT) + frame(BINARY, b"\x00two") + END)
    stream = _ForwardedStream(client)
    assert io.BufferedReader(stream).read() == b"onetwo"
    assert stream.error == ""


def test_the_error_channels_words_end_the_read(pair):
    client, server = pair
    server.sendall(START + frame(BINARY, b"\x00partial") + frame(BINARY, b"\x01  an error\n"))
    stream = _ForwardedStream(client)
    assert stream.read(7) == b"partial"
    with pytest.raises(ConnectionError) as caught:
        stream.read(100)
    assert str(caught.value) == "an error" and stream.error == "an error"


@pytest.mark.parametrize(("length", "error"), [
    (_MAX_FRAME, "the port-forward connection closed in the middle of a frame"),  # allowed, then cut short
    (_MAX_FRAME + 1, f"the port-forward stream sent a websocket frame of {_MAX_FRAME + 1} bytes"),
])  # fmt: skip
def test_the_frame_length_bound(pair, length, error):
    client, server = pair
    server.sendall(bytes([0x82, 127]) + struct.pack("!Q", length) + b"\x00" + b"x" * 1000)
    server.shutdown(socket.SHUT_WR)
    with pytest.raises(ConnectionError) as caught:
        _FrameReader(client.sock).next(block=True)
    assert str(caught.value) == error


def test_frames_that_straddle_the_read_buffer(pair):
    # frames of 30001 bytes against a 64 KiB buffer: most straddle its end and are moved to the front
    client, server = pair
    chunks = [bytes([i]) * 30000 for i in range(40)]
    data = START + b"".join(frame(BINARY, b"\x00" + chunk) for chunk in chunks) + END
    sender = threading.Thread(target=lambda: [server.sendall(data[i : i + 7001]) for i in range(0, len(data), 7001)], daemon=True)
    sender.start()
    assert read_all(client) == b"".join(chunks)
    sender.join()
    assert _READ_BLOCK == 1 << 16


def test_without_blocking_only_whole_buffered_frames_are_returned(pair):
    client, server = pair
    reader = _FrameReader(client.sock)
    server.sendall(frame(BINARY, b"\x00abc") + frame(BINARY, b"\x00" + b"d" * 300)[:3])  # a whole frame and a partial header
    assert bytes(reader.next(block=True)[1]) == b"\x00abc"
    assert reader.next(block=False) is None  # the 16-bit length is not all here
    server.sendall(frame(BINARY, b"\x00" + b"d" * 300)[3:10])
    time.sleep(0.1)
    assert reader.next(block=False) is None  # the header, but not the payload
    server.sendall(frame(BINARY, b"\x00" + b"d" * 300)[10:])
    opcode, payload = reader.next(block=True)
    assert (opcode, bytes(payload)) == (BINARY, b"\x00" + b"d" * 300)
    server.shutdown(socket.SHUT_WR)
    opcode, payload = reader.next(block=True)  # closed between frames: the end, as a close frame
    assert (opcode, bytes(payload)) == (CLOSE, b"")


def test_a_read_takes_every_frame_already_here_but_waits_for_none(pair):
    client, server = pair
    server.sendall(START + frame(BINARY, b"\x00one") + frame(BINARY, b"\x00two") + frame(BINARY, b"\x00three", fin=False))
    stream = _ForwardedStream(client)
    assert stream.read(100) == b"onetwothree"  # all three, and no wait for the rest of the message
    server.sendall(frame(CONTINUATION, b"four") + END)
    assert stream.read(100) == b"four"
    assert stream.read(100) == b""


def test_a_message_of_another_channel_arriving_alone_does_not_end_the_stream(pair):
    client, server = pair
    server.sendall(START + frame(BINARY, b"\x00abc"))
    sender = send_later(server, frame(BINARY, b"\x02other") + frame(PONG, b"\x00pong"), frame(BINARY, b"\x00def") + END)
    assert read_all(client) == b"abcdef"  # an unsolicited pong (RFC 6455 5.5.3) is not data either
    sender.join()


def test_frames_arriving_a_byte_at_a_time(pair):
    client, server = pair
    data = START + frame(BINARY, b"\x00" + b"a" * 200) + frame(BINARY, b"\x00" + b"b" * 70000) + frame(BINARY, b"\x00" + b"c" * 200) + frame(PING, b"")

    def send():  # the last 300 bytes (the big frame's end, a 16-bit length frame, a ping) byte by byte; then the end, no close frame
        server.sendall(data[:-300])
        for byte in data[-300:]:
            time.sleep(0.002)
            server.sendall(bytes([byte]))
        server.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    assert read_all(client) == b"a" * 200 + b"b" * 70000 + b"c" * 200
    sender.join()


def test_a_masked_frame_is_refused():
    ours, server = socket.socketpair()
    with ours, server:
        server.sendall(bytes([0x82, 0x80 | 3]) + b"\x01\x02\x03\x04" + b"abc")
        with pytest.raises(ConnectionError) as caught:
            _FrameReader(ours).next(block=True)
    assert str(caught.value) == "the API server sent a masked websocket frame"  # RFC 6455 5.1: servers never mask


def test_a_fresh_reader_without_blocking_has_nothing(pair):
    client, server = pair
    server.sendall(frame(BINARY, b"\x00abc"))
    reader = _FrameReader(client.sock)
    assert reader.next(block=False) is None  # nothing read yet: reading is only done when blocking
    assert bytes(reader.next(block=True)[1]) == b"\x00abc"


def test_error_channel_text_that_is_not_utf8(pair):
    client, server = pair
    server.sendall(START + frame(BINARY, b"\x01caf\xe9 down"))
    stream = _ForwardedStream(client)
    with pytest.raises(ConnectionError):
        stream.read(10)
    assert stream.error == "caf\ufffd down"
