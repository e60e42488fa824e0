"""The port-forward websocket client (meshctl/sources/kubews.py) against a scripted server on a
socket pair: the upgrade's answer (accepted, refused, malformed, too big), bytes past it, and the
frames it sends, checked with the fake API server's own frame reader (tests/fakekube/websocket.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading

import pytest

from meshctl.sources.http11 import HTTPException, RemoteDisconnected
from meshctl.sources.kubews import MAX_HEAD, UpgradeRefused, frame, handshake, masked

from fakekube.websocket import WebSocket as ServerSide
from fakekube.websocket import accept_key

TARGET = "/api/v1/namespaces/ns/pods/p/portforward?ports=15000"
PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"]


def serve(server: socket.socket, answer, *, close: bool = False) -> tuple[threading.Thread, dict]:
    """Read the upgrade request on `server`, then send `answer(key)` (the client's key given), then
    close the sending side if `close`."""
    seen: dict = {}

    def run():
        request = b""
        while b"\r\n\r\n" not in request:
            request += server.recv(4096)
        lines = request.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
        seen["request_line"] = lines[0]
        seen["headers"] = dict(line.split(": ", 1) for line in lines[1:])
        try:
            server.sendall(answer(seen["headers"]["Sec-WebSocket-Key"]))
            if close:
                server.shutdown(socket.SHUT_WR)
        except OSError:  # the client stopped reading (an answer past the bound)
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, seen


def switching(key: str, extra: bytes = b"") -> bytes:
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept_key(key).encode() + b"\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n" + extra)  # fmt: skip


def test_upgrade_sends_the_request_and_keeps_the_bytes_past_the_answer(pair):
    ours, server = pair
    port_frames = b"\x82\x03\x00\x98\x3a\x82\x03\x01\x98\x3a"  # what kubelet sends first: each channel's port
    thread, seen = serve(server, lambda key: switching(key, port_frames))
    websocket = handshake(ours, "api:6443", TARGET, {"Authorization": "Bearer t", "Impersonate-User": "alice"}, PROTOCOLS)
    thread.join(10)
    assert websocket.received == port_frames
    assert seen["request_line"] == f"GET {TARGET} HTTP/1.1"
    headers = seen["headers"]
    assert headers["Host"] == "api:6443" and headers["Upgrade"] == "websocket" and headers["Connection"] == "Upgrade"
    assert headers["Sec-WebSocket-Version"] == "13" and headers["Sec-WebSocket-Protocol"] == "v5.channel.k8s.io,v4.channel.k8s.io"
    assert headers["Authorization"] == "Bearer t" and headers["Impersonate-User"] == "alice"  # --as is not dropped
    assert len(base64.b64decode(headers["Sec-WebSocket-Key"])) == 16


def test_frames_sent_are_masked_and_read_back_by_a_server(pair):
    ours, server = pair
    thread, _ = serve(server, switching)
    websocket = handshake(ours, "api:443", TARGET, {}, PROTOCOLS)
    thread.join(10)
    reader, frames = ServerSide(server.makefile("rb"), server, None), []
    receiver = threading.Thread(target=lambda: frames.extend(reader.recv_frame() for _ in range(5)), daemon=True)
    receiver.start()  # read while sending: the big frame is more than a socket pair buffers
    body = bytes(range(256)) * 300  # 76 800 bytes: the 64-bit length form
    websocket.send_binary(b"\x00GET / HTTP/1.1\r\n\r\n")
    websocket.send_binary(b"\x00" + body)
    websocket.send_binary(b"\x00" + b"m" * 200)  # the 16-bit length form
    websocket.pong(b"hi")
    websocket.close()
    receiver.join(10)
    assert [(opcode, fin) for opcode, fin, _ in frames] == [(0x2, True)] * 3 + [(0xA, True), (0x8, True)]
    assert [payload for _, _, payload in frames] == [b"\x00GET / HTTP/1.1\r\n\r\n", b"\x00" + body, b"\x00" + b"m" * 200,
                                                     b"hi", struct.pack("!H", 1000)]  # fmt: skip
    websocket.close()  # a second close does nothing


def test_masking_is_rfc_6455_xor():
    payload, mask = bytes(range(251)), b"\x01\x80\xfe\x7f"
    assert masked(payload, mask) == bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    assert masked(b"", mask) == b""
    sent = frame(0x2, b"abc")
    assert sent[0] == 0x82 and sent[1] == 0x80 | 3 and masked(sent[6:], sent[2:6]) == b"abc"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_refusal_carries_its_status_and_body(pair, chunked):
    ours, server = pair
    status = json.dumps({"kind": "Status", "code": 403, "message": 'pods "p" is forbidden'}).encode()
    if chunked:
        body = b"Transfer-Encoding: chunked\r\n\r\n" + f"{len(status):x}\r\n".encode() + status + b"\r\n0\r\n\r\n"
    else:
        body = f"Content-Length: {len(status)}\r\n\r\n".encode() + status
    thread, _ = serve(server, lambda key: b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n" + body)
    with pytest.raises(UpgradeRefused) as caught:
        handshake(ours, "api:443", TARGET, {}, PROTOCOLS)
    thread.join(10)
    assert caught.value.status == 403 and caught.value.body == status
    assert ours.fileno() == -1  # the socket is closed when the upgrade fails


def test_a_wrong_accept_key_is_not_a_websocket(pair):
    ours, server = pair
    wrong = base64.b64encode(hashlib.sha1(b"another key").digest()).decode()
    thread, _ = serve(server, lambda key: switching(key).replace(accept_key(key).encode(), wrong.encode()))
    with pytest.raises(ConnectionError, match="not a websocket handshake"):
        handshake(ours, "api:443", TARGET, {}, PROTOCOLS)
    thread.join(10)


def test_headers_past_the_bound_are_refused_before_reading_on(pair):
    ours, server = pair
    endless = b"HTTP/1.1 101 Switching Protocols\r\n" + b"X-Padding: " + b"a" * (4 * MAX_HEAD)
    thread, _ = serve(server, lambda key: endless)
    with pytest.raises(ConnectionError, match="KiB of headers"):
        handshake(ours, "api:443", TARGET, {}, PROTOCOLS)
    thread.join(10)


def test_a_closed_keep_alive_connection_is_told_apart_from_a_cut_answer(pair):
    ours, server = pair
    serve(server, lambda key: b"", close=True)
    with pytest.raises(RemoteDisconnected):  # nothing answered: the caller retries on a new connection
        handshake(ours, "api:443", TARGET, {}, PROTOCOLS)
    ours, server = socket.socketpair()
    serve(server, lambda key: b"HTTP/1.1 101 Swi", close=True)
    with pytest.raises(ConnectionError) as caught:  # an answer cut short is not retried
        handshake(ours, "api:443", TARGET, {}, PROTOCOLS)
    assert not isinstance(caught.value, RemoteDisconnected)
    server.close()


def test_a_header_value_with_a_line_break_is_not_sent(pair):
    ours, server = pair
    with pytest.raises(ValueError):
        handshake(ours, "api:443", TARGET, {"Authorization": "Bearer t\r\nX-Injected: 1"}, PROTOCOLS)
    assert server.recv(1) == b""  # the connection closed with nothing sent


def test_malformed_status_line_is_an_http_error(pair):
    ours, server = pair
    thread, _ = serve(server, lambda key: b"NOT HTTP\r\n\r\n")
    with pytest.raises(HTTPException):
        handshake(ours, "api:443", TARGET, {}, PROTOCOLS)
    thread.join(10)


def test_upgrade_reuses_the_connection_of_a_get_and_replaces_one_the_server_closed():
    from meshctl.sources.kubeconfig import ClusterConfig
    from meshctl.sources.kubehttp import Connections

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    connections, requests = [], []

    def read_request(conn) -> str:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        requests.append((len(connections), data.split(b" ")[1].decode()))
        return data.decode("latin-1")

    def key_of(request: str) -> str:
        return next(line.split(": ", 1)[1] for line in request.split("\r\n") if line.startswith("Sec-WebSocket-Key"))

    def run(close_after_get: bool):
        conn, _ = listener.accept()
        connections.append(conn)
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        if close_after_get:  # an idle kept-alive connection the server drops: the upgrade must use a new one
            conn.close()
            conn, _ = listener.accept()
            connections.append(conn)
        conn.sendall(switching(key_of(read_request(conn))))

    for close_after_get, expected_connections in ((False, 1), (True, 2)):
        connections.clear()
        requests.clear()
        server = threading.Thread(target=run, args=(close_after_get,), daemon=True)
        server.start()
        pool = Connections(ClusterConfig(server=f"http://127.0.0.1:{listener.getsockname()[1]}"), 10)
        response = pool.get("/api/v1/namespaces/ns/pods/p", {}, 10)
        assert response.read() == b"{}"
        websocket = pool.upgrade(TARGET, {}, PROTOCOLS, 10)
        server.join(10)
        assert len(connections) == expected_connections
        assert [path for _, path in requests] == ["/api/v1/namespaces/ns/pods/p", TARGET]
        assert pool._kept() is None  # the upgraded socket left the pool: a next GET connects anew
        websocket.close()
        for conn in connections:
            conn.close()
    listener.close()
