"""The port-forward websocket client (meshctl/sources/kubews.py) pinned exactly, from RFC 6455 rather
than from the code: the bytes of the upgrade request and of every frame it sends (the RFC's own
examples: the nonce of 1.3, the mask of 5.7), what makes an answer a websocket handshake (4.1: status
101, Upgrade, Connection, Sec-WebSocket-Accept, a sub-protocol the client offered), the bounds on the
answer (MAX_HEAD, MAX_ERROR_BODY) and the exact error each failure gives, up to the error line of
`KubeClient.open_stream` (a trickled answer ends at --request-timeout).

Kubernetes' channel protocol (apimachinery wsstream): the client offers v5/v4.channel.k8s.io and the
API server answers with the one it chose; exec's websocket-client failed an answer without one.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from meshctl.errors import SourceError
from meshctl.model.options import KubeOptions
from meshctl.sources import kubews
from meshctl.sources.kube import KubeClient
from meshctl.sources.kubews import MAX_ERROR_BODY, MAX_HEAD, KubeWebSocket, UpgradeRefused, frame, handshake, masked

from helpers.slowserver import SlowServer, read_request, trickle

TARGET = "/api/v1/namespaces/ns/pods/p/portforward?ports=15000"
PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"]
# RFC 6455 1.3: the nonce "the sample nonce" is the key dGhlIHNhbXBsZSBub25jZQ==, answered with this accept
RFC_NONCE, RFC_KEY, RFC_ACCEPT = b"the sample nonce", "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
RFC_MASK = bytes.fromhex("37fa213d")  # RFC 6455 5.7's masked "Hello": 0x37 0xfa 0x21 0x3d, then 7f 9f 4d 51 58
NOT_A_HANDSHAKE = "the API server's answer to the websocket upgrade is not a websocket handshake"
NO_PROTOCOL = "the API server's answer to the websocket upgrade chose no sub-protocol it was offered (v5.channel.k8s.io, v4.channel.k8s.io)"


@pytest.fixture
def rfc_random(monkeypatch):
    """os.urandom as kubews uses it: 16 bytes for the key (RFC 1.3's nonce), 4 for each mask (RFC 5.7's)."""
    monkeypatch.setattr(kubews.os, "urandom", lambda size: {16: RFC_NONCE, 4: RFC_MASK}[size])


def answering(server: socket.socket, *parts: bytes, pause: float = 0.0) -> threading.Thread:
    """Read the upgrade request, then send each part (after `pause`), then close the sending side."""

    def run():
        read_request(server)
        try:
            for part in parts:
                time.sleep(pause)
                server.sendall(part)
            server.shutdown(socket.SHUT_WR)
        except OSError:  # the client stopped reading
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def answer_101(*, accept: str = RFC_ACCEPT, upgrade: str | None = "websocket", connection: str | None = "Upgrade",
               protocol: str | None = "v4.channel.k8s.io", extra: str = "") -> bytes:  # fmt: skip
    lines = ["HTTP/1.1 101 Switching Protocols"]
    lines += [f"Upgrade: {upgrade}"] if upgrade is not None else []
    lines += [f"Connection: {connection}"] if connection is not None else []
    lines += [f"Sec-WebSocket-Accept: {accept}"] if accept is not None else []
    lines += [f"Sec-WebSocket-Protocol: {protocol}"] if protocol is not None else []
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode("latin-1")


def upgrade(ours, server, *parts: bytes, headers=None, pause: float = 0.0) -> KubeWebSocket:
    thread = answering(server, *parts, pause=pause)
    try:
        return handshake(ours, "api:6443", TARGET, headers or {}, PROTOCOLS)
    finally:
        thread.join(10)


# -- the request ------------------------------------------------------------------------------


def test_the_upgrade_request_is_exactly_rfc_6455s(pair, rfc_random):
    ours, server = pair
    seen = {}

    def run():
        seen["request"] = read_request(server)
        server.sendall(answer_101())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    handshake(ours, "api:6443", TARGET, {"Authorization": "Bearer t", "Impersonate-User": "XX alice XX"}, PROTOCOLS)
    thread.join(10)
    assert (
        seen["request"]
        == (
            f"GET {TARGET} HTTP/1.1\r\nHost: api:6443\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {RFC_KEY}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: v5.channel.k8s.io,v4.channel.k8s.io\r\n"
            "Authorization: Bearer t\r\nImpersonate-User: XX alice XX\r\n\r\n"
        ).encode()
    )


def test_a_fresh_random_key_for_each_upgrade():
    recorded = []
    for _ in range(2):
        ours, server = socket.socketpair()
        with ours, server:

            def run(server=server):
                request = read_request(server).decode("latin-1")
                recorded.append(next(line.split(": ", 1)[1] for line in request.split("\r\n") if line.startswith("Sec-WebSocket-Key: ")))
                server.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            with pytest.raises(UpgradeRefused):
                handshake(ours, "api", TARGET, {}, PROTOCOLS)
            thread.join(10)
    assert len(recorded) == 2 and recorded[0] != recorded[1]
    assert all(len(key) == 24 and key.endswith("==") for key in recorded)  # 16 bytes, base64


@pytest.mark.parametrize("where", ["value", "name", "target", "host"])
@pytest.mark.parametrize("char", ["\r", "\n", "\0"])
def test_a_line_break_or_nul_anywhere_in_the_request_is_not_sent(pair, where, char):
    ours, server = pair
    headers = {"Authorization": "Bearer t"}
    target, host = TARGET, "api:6443"
    if where == "value":
        headers["Authorization"] = f"Bearer t{char}X-Injected: 1"
    elif where == "name":
        headers[f"X{char}Injected"] = "1"
    elif where == "target":
        target = f"{TARGET}{char}X-Injected: 1"
    else:
        host = f"api{char}X-Injected: 1"
    with pytest.raises(ValueError, match="^a request header holds a line break$"):
        handshake(ours, host, target, headers, PROTOCOLS)
    assert ours.fileno() == -1  # closed, nothing sent
    assert server.recv(1) == b""


# -- the frames sent --------------------------------------------------------------------------


def test_frames_are_rfc_6455_5_7s_masked_examples(rfc_random):
    # 5.7: "Hello" masked with 37 fa 21 3d is 7f 9f 4d 51 58; final (FIN) binary frame 0x82, mask bit 0x80
    assert frame(0x2, b"Hello") == bytes.fromhex("8285 37fa213d 7f9f4d5158")
    assert frame(0xA, b"Hello") == bytes.fromhex("8a85 37fa213d 7f9f4d5158")  # a pong, same payload
    assert frame(0x8, b"") == bytes.fromhex("8880 37fa213d")


@pytest.mark.parametrize(
    ("size", "length"),
    [(0, "80"), (1, "81"), (125, "fd"), (126, "fe007e"), (256, "fe0100"), (65535, "feffff"), (65536, "ff0000000000010000"), (76800, "ff0000000000012c00")],
)
def test_a_frames_length_takes_the_shortest_of_the_three_forms(rfc_random, size, length):
    # RFC 6455 5.2: 7 bits up to 125, then 126 + 16 bits up to 65535, then 127 + 64 bits; mask bit set
    payload = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    sent = frame(0x2, payload)
    head = bytes([0x82]) + bytes.fromhex(length) + RFC_MASK
    assert sent[: len(head)] == head and len(sent) == len(head) + size
    assert sent[len(head) :] == bytes(byte ^ RFC_MASK[i % 4] for i, byte in enumerate(payload))


@pytest.mark.parametrize("size", range(10))
def test_masking_every_length_against_the_rfcs_rule(size):
    # RFC 6455 5.3: octet i of the payload XOR octet i MOD 4 of the mask
    payload, mask = bytes(range(0xF0, 0xF0 + size)), b"\x01\x80\xfe\x7f"
    assert masked(payload, mask) == bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))


def test_send_pong_and_close_put_these_bytes_on_the_socket(pair, rfc_random):
    ours, server = pair
    websocket = KubeWebSocket(ours, b"")
    websocket.send_binary(b"\x00Hello")
    websocket.pong(b"")
    websocket.pong(b"Hello")
    websocket.close()  # status 1000 (5.5.1: two bytes, network order), then the connection ends
    received = b""
    while chunk := server.recv(4096):
        received += chunk
    mask = RFC_MASK
    assert received == (
        b"\x82\x86" + mask + masked(b"\x00Hello", mask)
        + b"\x8a\x80" + mask
        + b"\x8a\x85" + mask + bytes.fromhex("7f9f4d5158")
        + b"\x88\x82" + mask + masked(b"\x03\xe8", mask)
    )  # fmt: skip
    assert ours.fileno() == -1


def test_close_after_the_peer_went_away_still_closes(pair):
    ours, server = pair
    server.close()
    websocket = KubeWebSocket(ours, b"")
    websocket.close()  # the close frame cannot be sent (EPIPE): no error, the socket closed
    assert ours.fileno() == -1
    websocket.close()  # and again: nothing to do


class _SocketOnFdZero:
    """A socket as meshctl gets one when started with its stdin closed (`meshctl ... <&-`): descriptor 0."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def fileno(self) -> int:
        return -1 if "close" in self.calls else 0

    def sendall(self, data: bytes) -> None:
        self.calls.append(f"sendall {data[:2].hex()}")

    def shutdown(self, how: int) -> None:
        self.calls.append("shutdown")

    def close(self) -> None:
        self.calls.append("close")


def test_close_of_a_socket_on_descriptor_zero_sends_the_close_frame():
    sock = _SocketOnFdZero()
    websocket = KubeWebSocket(sock, b"")
    websocket.close()
    assert sock.calls == ["sendall 8882", "shutdown", "close"]  # a close frame of 2 bytes (status 1000), then the end
    websocket.close()  # closed: nothing more
    assert sock.calls == ["sendall 8882", "shutdown", "close"]


def test_shutdown_of_a_socket_never_connected_still_closes_it():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    websocket = KubeWebSocket(sock, b"")
    websocket.shutdown()  # shutdown(2) fails (ENOTCONN): the socket is closed all the same
    assert sock.fileno() == -1


def test_settimeout_is_the_sockets(pair):
    ours, _ = pair
    websocket = KubeWebSocket(ours, b"rest")
    websocket.settimeout(2.5)
    assert ours.gettimeout() == 2.5 and websocket.received == b"rest" and websocket.sock is ours
    websocket.settimeout(None)
    assert ours.gettimeout() is None


# -- the answer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        answer_101(),
        answer_101(protocol="v5.channel.k8s.io"),
        answer_101(upgrade="WebSocket", connection="keep-alive, UPGRADE"),  # 4.1: case-insensitive; a token of Connection
        answer_101(accept=RFC_ACCEPT + "  ", protocol="v4.channel.k8s.io "),  # optional whitespace after a value (RFC 7230 3.2)
    ],
    ids=["v4", "v5", "case-and-tokens", "trailing-whitespace"],
)
def test_a_websocket_handshake_is_accepted(pair, rfc_random, answer):
    ours, server = pair
    first = bytes.fromhex("8203 00983a")  # the data channel's port (15000), as kubelet sends it first
    websocket = upgrade(ours, server, answer + first)
    assert websocket.received == first and websocket.sock is ours and ours.fileno() >= 0


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (answer_101(accept="dGhlIHNhbXBsZSBub25jZQ=="), NOT_A_HANDSHAKE),  # the key itself, not its accept
        (answer_101(accept=RFC_ACCEPT.lower()), NOT_A_HANDSHAKE),  # base64 is case-sensitive
        (answer_101(accept=None), NOT_A_HANDSHAKE),
        (answer_101(upgrade=None), NOT_A_HANDSHAKE),
        (answer_101(upgrade="h2c"), NOT_A_HANDSHAKE),
        (answer_101(connection=None), NOT_A_HANDSHAKE),
        (answer_101(connection="keep-alive"), NOT_A_HANDSHAKE),
        (answer_101(protocol=None), NO_PROTOCOL),
        (answer_101(protocol=""), NO_PROTOCOL),
        (answer_101(protocol="v4.base64.channel.k8s.io"), NO_PROTOCOL),  # offered by nobody: text frames of base64
        (answer_101(protocol="V4.CHANNEL.K8S.IO"), NO_PROTOCOL),  # client-go compares the names exactly
    ],
    ids=[
        "key-as-accept",
        "accept-lowercase",
        "no-accept",
        "no-upgrade",
        "upgrade-h2c",
        "no-connection",
        "connection-keep-alive",
        "no-protocol",
        "empty-protocol",
        "protocol-not-offered",
        "protocol-case",
    ],  # fmt: skip
)
def test_an_answer_that_is_not_the_handshake_fails_with_its_reason(pair, rfc_random, answer, error):
    ours, server = pair
    with pytest.raises(ConnectionError) as caught:
        upgrade(ours, server, answer)
    assert str(caught.value) == error and type(caught.value) is ConnectionError
    assert ours.fileno() == -1


@pytest.mark.parametrize("status", [200, 400, 403, 404, 500])
def test_any_status_but_101_is_a_refusal_with_its_body(pair, status):
    ours, server = pair
    body = json.dumps({"kind": "Status", "code": status, "message": "no"}).encode()
    with pytest.raises(UpgradeRefused) as caught:
        upgrade(ours, server, f"HTTP/1.1 {status} Whatever\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    assert (caught.value.status, caught.value.body, str(caught.value)) == (status, body, f"HTTP {status}")
    assert ours.fileno() == -1


def test_a_refusals_body_that_comes_later_is_read_from_the_socket(pair):
    ours, server = pair
    body = b'{"kind":"Status","code":403,"message":"pods \\"p\\" is forbidden"}'
    with pytest.raises(UpgradeRefused) as caught:  # the head alone first: the body is not in what was read
        upgrade(ours, server, f"HTTP/1.1 403 Forbidden\r\nContent-Length: {len(body)}\r\n\r\n".encode(), body[:10], body[10:], pause=0.2)
    assert caught.value.body == body


def test_a_refusals_body_is_read_up_to_its_bound(pair):
    ours, server = pair
    body = bytes(range(256)) * ((MAX_ERROR_BODY + 4096) // 256)
    with pytest.raises(UpgradeRefused) as caught:
        upgrade(ours, server, f"HTTP/1.1 500 Oops\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    assert MAX_ERROR_BODY == 64 << 10 and caught.value.body == body[:MAX_ERROR_BODY]


def test_a_refusal_without_length_ends_with_the_connection(pair):
    ours, server = pair
    with pytest.raises(UpgradeRefused) as caught:
        upgrade(ours, server, b"HTTP/1.1 502 Bad Gateway\r\n\r\nupstream ", b"went away", pause=0.1)
    assert caught.value.body == b"upstream went away"


def padded_101(size: int) -> bytes:
    """A 101 answer (RFC 1.3's accept) of exactly `size` bytes, its end included, padded by headers of 1000 bytes at most."""
    head = answer_101()
    padding, missing = [], size - len(head)
    while missing > 0:
        line_size = min(1000, missing)
        value_size = line_size - len("X-Pad: \r\n")
        assert value_size >= 0
        padding.append(b"X-Pad: " + b"p" * value_size + b"\r\n")
        missing -= line_size
    padded = head[:-2] + b"".join(padding) + b"\r\n"
    assert len(padded) == size
    return padded


def bytes_after_the_head(websocket, ours, size: int, chunk: int) -> bytes:
    """What followed the 101's head: the bytes handshake read past it, then reads of `chunk` until `size`."""
    received = websocket.received
    while len(received) < size and (more := ours.recv(chunk)):
        received += more
    return received


def test_the_head_ends_at_the_first_empty_line(pair, rfc_random):
    # a forwarded HTTP answer in the same read as the 101: its own empty line is data, not the head's end
    ours, server = pair
    first = bytes.fromhex("8203 00983a 8203 01983a") + bytes([0x82, 20]) + b"\x00HTTP/1.1 200 OK\r\n\r\n"
    websocket = upgrade(ours, server, answer_101() + first)
    assert bytes_after_the_head(websocket, ours, len(first), 100) == first


def test_an_answer_that_starts_with_an_empty_line_is_not_http(pair):
    from meshctl.sources.http11 import BadStatusLine

    ours, server = pair
    thread = answering(server, b"\r\n\r\n" + answer_101())
    with pytest.raises(BadStatusLine):  # the head is the empty line: no status line, whatever follows
        handshake(ours, "api", TARGET, {}, PROTOCOLS)
    thread.join(10)
    assert ours.fileno() == -1


def test_an_answer_of_exactly_max_head_is_taken_and_nothing_past_it_is_read(pair, rfc_random):
    ours, server = pair
    first = bytes.fromhex("8203 00983a 8203 01983a")
    websocket = upgrade(ours, server, padded_101(MAX_HEAD) + first)
    assert MAX_HEAD == 64 << 10
    assert websocket.received == b""  # the bound is on what is read: the frames are still the socket's
    assert ours.recv(100) == first


def test_an_answer_of_max_head_in_two_reads_is_read_no_further(pair, rfc_random):
    # the second read asks for what is left under the bound, not more: the frames behind stay unread
    ours, server = pair
    first = bytes.fromhex("8203 00983a 8203 01983a")
    padded = padded_101(MAX_HEAD)
    websocket = upgrade(ours, server, padded[:1000], padded[1000:] + first, pause=0.2)
    assert websocket.received == b""
    assert ours.recv(100) == first


@pytest.mark.parametrize("connection", ["Upgrade,keep-alive", "Upgrade, keep-alive", "keep-alive,upgrade"])
def test_connection_is_a_comma_separated_list_of_tokens(pair, rfc_random, connection):
    # RFC 6455 4.1 (3): Connection holds the token "Upgrade"; RFC 7230 7: tokens separated by commas, spaces optional
    ours, server = pair
    assert upgrade(ours, server, answer_101(connection=connection)).received == b""


def test_an_answer_one_byte_over_max_head_is_refused(pair, rfc_random):
    ours, server = pair
    with pytest.raises(ConnectionError) as caught:
        upgrade(ours, server, padded_101(MAX_HEAD + 1))
    assert str(caught.value) == "the answer to the websocket upgrade has over 64 KiB of headers"
    assert ours.fileno() == -1


def test_an_answer_in_single_bytes_is_read_whole(pair, rfc_random):
    ours, server = pair
    answer, first = answer_101(), bytes.fromhex("8203 00983a")

    def run():
        read_request(server)
        for byte in answer + first:
            server.sendall(bytes([byte]))
            time.sleep(0.001)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    websocket = handshake(ours, "api", TARGET, {}, PROTOCOLS)
    thread.join(10)
    assert bytes_after_the_head(websocket, ours, len(first), 10) == first


def test_no_answer_and_a_cut_answer_are_told_apart(pair):
    from meshctl.sources.http11 import RemoteDisconnected

    ours, server = pair
    with pytest.raises(RemoteDisconnected) as caught:
        upgrade(ours, server)
    assert str(caught.value) == "the API server closed the connection without an answer"
    ours, server = socket.socketpair()
    with ours, server, pytest.raises(ConnectionError) as caught:
        upgrade(ours, server, answer_101()[:-2])  # all but the empty line that ends the head
    assert type(caught.value) is ConnectionError
    assert str(caught.value) == "the API server closed the connection in the answer to the websocket upgrade"


def test_the_reader_gives_what_was_read_then_the_socket_then_the_end():
    from meshctl.sources.http11 import Reader

    ours, server = socket.socketpair()
    with ours, server:
        server.sendall(b"fgh")
        server.shutdown(socket.SHUT_WR)
        reader = Reader(ours.recv_into, b"abcde")
        buffer = bytearray(3)
        assert reader.readinto(buffer) == 3 and buffer == b"abc"
        assert reader.readinto(buffer) == 2 and buffer[:2] == b"de"
        assert reader.readinto(buffer) == 3 and buffer == b"fgh"
        assert reader.readinto(buffer) == 0
    alone = Reader(kubews._nothing_more, b"ab")
    assert alone.readinto(bytearray(5)) == 2 and alone.readinto(bytearray(5)) == 0  # nothing more: the end


# -- through KubeClient.open_stream: the error lines ---------------------------------------------


def client_of(server_url: str, tmp_path, timeout: str = "1s") -> KubeClient:
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "ctx",
        "clusters": [{"name": "c", "cluster": {"server": server_url}}],
        "users": [{"name": "u", "user": {}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u", "namespace": "ns"}}],
    }  # fmt: skip
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(config))
    return KubeClient(KubeOptions(kubeconfig=str(path), request_timeout=timeout))


POD = {"metadata": {"name": "p", "namespace": "ns"}}
WHAT = "port-forward to p:15000"


def open_port_forward(client: KubeClient):
    return client.open_stream(POD, "portforward", [("ports", "15000")], WHAT)


def test_a_trickled_answer_ends_at_the_request_timeout(tmp_path):
    # one byte every 0.2 s: each read is quick, the whole is not; the deadline bounds the whole
    with SlowServer(trickle(b"HTTP/1.1 101 Switching Protocols\r\n" + b"X-Pad: p\r\n" * 100, every=0.2)) as server:
        client = client_of(server.url, tmp_path, "1s")
        started = time.monotonic()
        with pytest.raises(SourceError) as caught:
            open_port_forward(client)
        elapsed = time.monotonic() - started
    assert str(caught.value) == f"{WHAT}: the API server at {server.url} did not answer within 1s (--request-timeout)"
    assert elapsed < 30  # far less than the answer's 4 minutes (load may slow the end, never by that much)


@pytest.mark.parametrize(("answer", "reason"), [(answer_101(accept="bm90IHRoZSBhY2NlcHQ="), NOT_A_HANDSHAKE), (answer_101(protocol=None), NO_PROTOCOL)])
def test_a_bad_handshake_is_one_error_line(tmp_path, rfc_random, answer, reason):
    def answer_it(conn, deadline, request):
        conn.sendall(answer)
        time.sleep(0.5)

    with SlowServer(answer_it) as server:
        with pytest.raises(SourceError) as caught:
            open_port_forward(client_of(server.url, tmp_path, "5s"))
    assert str(caught.value) == f"{WHAT}: cannot reach the API server at {server.url}: {reason}"


def test_a_refused_upgrade_is_the_api_servers_status(tmp_path):
    status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
              "message": 'pods "p" is forbidden: User "alice" cannot create resource "pods/portforward" in API group "" in the namespace "ns"'}  # fmt: skip
    body = json.dumps(status).encode()

    def answer_it(conn, deadline, request):
        conn.sendall(f"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)

    with SlowServer(answer_it) as server:
        with pytest.raises(SourceError) as caught:
            open_port_forward(client_of(server.url, tmp_path, "5s"))
    assert str(caught.value) == f"RBAC denied: cannot create pods/portforward in namespace ns: {status['message']}"
