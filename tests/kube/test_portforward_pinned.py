"""meshctl/sources/portforward.py pinned exactly, through the fake API server's real port-forward:
the bytes of each request, every error line word for word, the body bound, how many port-forward
websockets each use opens, and what the local listener of `forward()` does with each connection.

An API server opens one websocket per port-forward request and carries one TCP connection in it
(kubelet portforward/websocket.go); an HTTP/1.1 client over it sends one request at a time (RFC 9112
9.3) and learns where a body ends from Content-Length or from the connection closing (RFC 9112 6.3).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest

from meshctl.errors import SourceError
from meshctl.model.limits import LimitExceeded
from meshctl.sources.kube import connect
from meshctl.sources.portforward import ForwardedHTTP, forward

from fakekube.portforward import kubelet_refused_message
from fakekube.targets import http_target
from helpers.slowserver import SlowServer, whole
from helpers.sockets import closed_port, get_through

pytestmark = pytest.mark.kube

POD, NS = "reviews-v1-abc", "default"  # the `sidecar` fixture's pod (tests/kube/conftest.py)
WHERE = f"Envoy admin API at {POD}.{NS}:15000"
RBAC = (
    f'RBAC denied: cannot create pods/portforward in namespace {NS}: pods "{POD}" is forbidden: '
    f'User "kubernetes-admin" cannot create resource "pods/portforward" in API group "" in the namespace "{NS}"'
)


def client(kube, **flags):
    return connect({"kubeconfig": str(kube.kubeconfig_path), **flags})


def the_pod(kube) -> dict:
    return client(kube).read("/api/v1", "pods", POD, NS)


def forwards(kube) -> int:
    """Port-forward websockets the API server was asked for."""
    return len(kube.requests_for(subresource="portforward"))


class Recorder:
    """A SlowServer answer that records each request's head, then answers as `answer` does."""

    def __init__(self, answer) -> None:
        self.heads: list[bytes] = []
        self._answer = answer

    def __call__(self, conn, deadline, request) -> None:
        self.heads.append(request)
        self._answer(conn, deadline, request)


def raw(data: bytes):
    """An answer that sends `data` as it is, then closes the connection."""

    def answer(conn, deadline, request) -> None:
        conn.sendall(data)

    return answer


# -- ForwardedHTTP: what goes over the wire -----------------------------------------------------


def test_a_get_sends_exactly_one_request_head(sidecar):
    recorder = Recorder(whole("200 OK", b'{"state": "LIVE"}'))
    with SlowServer(recorder) as server:
        sidecar.forward_port(15000, server.address)
        with ForwardedHTTP(client(sidecar), the_pod(sidecar), 15000) as http:
            assert http.get("/server_info") == b'{"state": "LIVE"}'
        with ForwardedHTTP(client(sidecar), the_pod(sidecar), 15000) as http:
            assert http.get("X-paths/stay") == b'{"state": "LIVE"}'
    # the path with one leading slash, and JSON asked for (istiod's debug paths answer HTML otherwise)
    assert recorder.heads == [
        b"GET /server_info HTTP/1.1\r\nHost: 127.0.0.1:15000\r\nAccept-Encoding: identity\r\nAccept: application/json\r\n\r\n",
        b"GET /X-paths/stay HTTP/1.1\r\nHost: 127.0.0.1:15000\r\nAccept-Encoding: identity\r\nAccept: application/json\r\n\r\n",
    ]


def test_a_post_has_no_body(sidecar):
    recorder = Recorder(whole("200 OK", b"active loggers:\n"))
    with SlowServer(recorder) as server:
        sidecar.forward_port(15000, server.address)
        with ForwardedHTTP(client(sidecar), the_pod(sidecar), 15000) as http:
            assert http.request("POST", "logging?level=debug") == b"active loggers:\n"
    assert recorder.heads == [b"POST /logging?level=debug HTTP/1.1\r\nHost: 127.0.0.1:15000\r\nAccept-Encoding: identity\r\nContent-Length: 0\r\nAccept: application/json\r\n\r\n"]


# -- ForwardedHTTP: answers other than a whole 200 ----------------------------------------------


@pytest.mark.parametrize(
    ("body", "suffix"),
    [
        (b"", ""),  # no body: nothing after the status
        (b"no healthy upstream\nsecond line\n", ": no healthy upstream"),  # the first line only
        (b"\n\n  upstream reset\nmore", ": upstream reset"),  # blank lines and leading blanks dropped
        (b"x" * 300 + b"\n", ": " + "x" * 200),  # at most 200 characters of it
        (b"caf\xe9 \xff\n", ": caf\ufffd \ufffd"),  # not UTF-8: replaced, not raised
    ],
)
def test_an_error_status_gives_its_first_body_line(sidecar, body, suffix):
    with SlowServer(whole("503 Service Unavailable", body, "text/plain")) as server:
        sidecar.forward_port(15000, server.address)
        with ForwardedHTTP(client(sidecar), the_pod(sidecar), 15000) as http, pytest.raises(SourceError) as caught:
            http.get("clusters")
    assert str(caught.value) == f"{WHERE} answered /clusters with HTTP 503{suffix}"


def test_a_large_error_page_drops_the_connection(sidecar):
    # Only the first 64 KiB of an error page are read: the rest would be taken for the next answer,
    # so the connection is closed (the pod sees it end at once) and the next request fails.
    page = b"error\n" + b"e" * ((64 << 10) + 500)  # just over 64 KiB
    ended = threading.Event()

    def error_page_then_wait_for_the_end(conn, deadline, request):
        conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: %d\r\n\r\n" % len(page) + page)
        conn.settimeout(10)
        with contextlib.suppress(OSError):
            while conn.recv(100):
                pass
            ended.set()

    recorder = Recorder(error_page_then_wait_for_the_end)
    with SlowServer(recorder) as server:
        sidecar.forward_port(15000, server.address)
        with ForwardedHTTP(client(sidecar), the_pod(sidecar), 15000) as http:
            with pytest.raises(SourceError, match=f"^{WHERE} answered /stats with HTTP 500: error$"):
                http.get("stats")
            assert ended.wait(10)  # dropped now, not when the caller closes
            with pytest.raises(SourceError) as caught:
                http.get("server_info")
    assert str(caught.value) == f"{WHERE} failed for /server_info: NotConnected"
    assert len(recorder.heads) == 1 and forwards(sidecar) == 1


def test_a_body_delimited_by_closing_is_read_whole_and_ends_the_connection(sidecar):
    body = bytes(range(256)) * 1000  # 256 KB: several frames and reads
    recorder = Recorder(raw(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body))
    with SlowServer(recorder) as server:
        sidecar.forward_port(15000, server.address)
        with ForwardedHTTP(client(sidecar), the_pod(sidecar), 15000) as http:
            assert http.get("config_dump") == body
            # the pod closed the connection: no new one is made behind the caller's back (not even to
            # a local 127.0.0.1:15000), the next request fails
            with pytest.raises(SourceError) as caught:
                http.get("server_info")
    assert str(caught.value) == f"{WHERE} failed for /server_info: NotConnected"
    assert len(recorder.heads) == 1 and forwards(sidecar) == 1


def test_the_pod_closing_without_an_answer(sidecar):
    with SlowServer(raw(b"")) as server:
        sidecar.forward_port(15000, server.address)
        with ForwardedHTTP(client(sidecar), the_pod(sidecar), 15000) as http, pytest.raises(SourceError) as caught:
            http.get("server_info")
    assert str(caught.value) == f"{WHERE} closed the connection before sending all of /server_info (Remote end closed connection without response)"


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n", "SSH-2.0-OpenSSH_9.6"),  # the line, without its CRLF
        (b"z" * 5000 + b"\r\n", "z" * 300),  # a pod's bytes in an error line: 300 characters at most
    ],
)
def test_a_status_line_that_is_not_http(sidecar, line, shown):
    with SlowServer(raw(line)) as server:
        sidecar.forward_port(15000, server.address)
        with ForwardedHTTP(client(sidecar), the_pod(sidecar), 15000) as http, pytest.raises(SourceError) as caught:
            http.get("server_info")
    assert str(caught.value) == f"{WHERE} failed for /server_info: {shown}"


def test_the_answer_is_bounded_by_max_body_size(sidecar):
    limit = 1 << 10
    answers = {"/exact": b"a" * limit, "/over": b"b" * (limit + 1)}
    with http_target(answers) as target:
        sidecar.forward_port(15000, target)
        with ForwardedHTTP(client(sidecar, max_body_size="1Ki"), the_pod(sidecar), 15000) as http:
            assert http.get("exact") == answers["/exact"]
            with pytest.raises(LimitExceeded) as caught:
                http.get("over")
    assert str(caught.value) == f"the answer of {WHERE} to /over is larger than 1Ki, the limit --max-body-size sets (raise it to read more)"


def test_an_answer_left_half_read_is_never_taken_for_the_next_one(sidecar):
    # the first MiB of the body passes --max-body-size; what follows it looks like an answer, and
    # would be read as the answer to the next request if the connection were used again
    body = b"a" * (1 << 20) + b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfake!"
    with SlowServer(raw(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)) as server:
        sidecar.forward_port(15000, server.address)
        with ForwardedHTTP(client(sidecar, max_body_size="1Ki"), the_pod(sidecar), 15000) as http:
            with pytest.raises(LimitExceeded):
                http.get("big")
            with pytest.raises(SourceError) as caught:
                http.get("next")
    assert str(caught.value) == f"{WHERE} failed for /next: NotConnected"


class Sink:
    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data) -> None:
        self.writes.append(bytes(data))


def test_get_into_writes_chunks_of_the_size_asked_for(sidecar):
    body = bytes(range(256)) * 600  # 153600 bytes
    with http_target({"/config_dump": body}) as target:
        sidecar.forward_port(15000, target)
        with ForwardedHTTP(client(sidecar), the_pod(sidecar), 15000) as http:
            default, small = Sink(), Sink()
            http.get_into("config_dump", default)
            http.get_into("/config_dump", small, chunk=50000)
    # a Content-Length body fills each chunk but the last: 64 KiB by default
    assert [len(w) for w in default.writes] == [65536, 65536, 22528]
    assert [len(w) for w in small.writes] == [50000, 50000, 50000, 3600]
    assert b"".join(default.writes) == b"".join(small.writes) == body


def test_closing_ends_the_pods_connection(sidecar):
    ended = threading.Event()

    def answer_then_wait_for_the_end(conn, deadline, request):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        conn.settimeout(10)
        with contextlib.suppress(OSError):
            while conn.recv(100):
                pass
            ended.set()

    with SlowServer(answer_then_wait_for_the_end) as server:
        sidecar.forward_port(15000, server.address)
        with ForwardedHTTP(client(sidecar), the_pod(sidecar), 15000) as http:
            assert http.get("ready") == b"{}"
            assert not ended.wait(0.3)  # keep-alive: the connection stays while the client is open
        assert ended.wait(10)


def test_an_unreachable_api_server_names_the_port_forward(sidecar, tmp_path):
    dead = closed_port()
    kubeconfig = tmp_path / "dead.kubeconfig"
    kubeconfig.write_text(sidecar.kubeconfig().replace(f"127.0.0.1:{sidecar.port}", f"127.0.0.1:{dead}"))
    pod = the_pod(sidecar)
    with pytest.raises(SourceError) as caught:
        ForwardedHTTP(connect({"kubeconfig": str(kubeconfig)}), pod, 15000)
    assert str(caught.value) == f"port-forward to {POD}.{NS}:15000: cannot reach the API server at http://127.0.0.1:{dead}: [Errno 111] Connection refused"


def test_the_request_timeout_bounds_each_read(sidecar):
    # headers, then nothing: the watchdog ends the read at --request-timeout
    with SlowServer(lambda conn, deadline, request: conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n") or time.sleep(10)) as server:
        sidecar.forward_port(15000, server.address)
        kube = client(sidecar, request_timeout="1500ms")
        with ForwardedHTTP(kube, the_pod(sidecar), 15000) as http:
            started = time.monotonic()
            with pytest.raises(SourceError) as caught:
                http.get("config_dump")
            waited = time.monotonic() - started
    assert str(caught.value) == f"{WHERE} did not answer /config_dump within 1.5s (raise --timeout?)"
    assert 1.4 < waited < 9


# -- forward(): a local listener, one websocket per connection ----------------------------------


def test_forward_opens_the_first_websocket_at_once_and_one_per_connection(sidecar):
    with http_target({"/healthz/ready": b"ok"}) as target:
        sidecar.forward_port(15021, target)
        with forward(client(sidecar), the_pod(sidecar), 15021) as forwarding:
            # opened before the block runs, so a refusal fails here, not in the client later
            assert forwards(sidecar) == 1
            answers = [get_through(forwarding.port, "/healthz/ready") for _ in range(3)]
            # the first connection took the websocket opened at the start; each other opened its own
            assert forwards(sidecar) == 3
        assert forwarding.errors == []
    assert answers == [(200, b"ok")] * 3
    assert {r.query["ports"][0] for r in sidecar.requests_for(subresource="portforward")} == {"15021"}


def test_forward_refused_fails_on_entry(sidecar):
    sidecar.deny("create", "pods/portforward")
    ran = False
    with pytest.raises(SourceError) as caught, forward(client(sidecar), the_pod(sidecar), 15021):
        ran = True
    assert not ran
    assert str(caught.value) == RBAC
    assert forwards(sidecar) == 1


def test_a_connection_whose_websocket_is_refused_is_closed_and_reported(sidecar):
    with http_target({"/healthz/ready": b"ok"}) as target:
        sidecar.forward_port(15021, target)
        with forward(client(sidecar), the_pod(sidecar), 15021) as forwarding:
            assert get_through(forwarding.port, "/healthz/ready") == (200, b"ok")
            sidecar.deny("create", "pods/portforward")
            with socket.create_connection(("127.0.0.1", forwarding.port), timeout=10) as conn:
                assert conn.recv(100) == b""  # closed without a byte
            assert forwarding.errors == [RBAC]
            assert get_through_fails(forwarding.port)
            assert forwarding.errors == [RBAC, RBAC]  # the listener goes on: each connection tries again
    assert forwards(sidecar) == 3


def get_through_fails(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        return conn.recv(100) == b""


def test_nothing_listening_in_the_pod_gives_the_kubelets_words(sidecar):
    pod = the_pod(sidecar)
    with forward(client(sidecar), pod, 15021) as forwarding:
        with socket.create_connection(("127.0.0.1", forwarding.port), timeout=10) as conn:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert conn.recv(100) == b""  # the pod's end, passed on
        # reported once both ends have finished, while the forward still runs
        assert eventually(lambda: forwarding.errors) == [kubelet_refused_message(pod, 15021).strip()]


def eventually(value, seconds: float = 10.0):
    """`value()` once it is true (polled), or its last value after `seconds`."""
    end = time.monotonic() + seconds
    while not (result := value()) and time.monotonic() < end:
        time.sleep(0.02)
    return result


def exchange(port: int, data: bytes, timeout: float = 10) -> bytes:
    """Send `data` to 127.0.0.1:`port` and read until the other end closes; then close."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(data)
        answer = b""
        while chunk := conn.recv(1 << 16):
            answer += chunk
    return answer


def test_bytes_pass_both_ways_until_the_pod_closes(sidecar):
    received = []

    def echo_upper_then_close(conn, deadline, request):
        received.append(request)
        conn.sendall(request.upper() + b"x" * 200_000)

    with SlowServer(echo_upper_then_close) as server:
        sidecar.forward_port(15021, server.address)
        with forward(client(sidecar), the_pod(sidecar), 15021) as forwarding:
            answer = exchange(forwarding.port, b"hello\r\n\r\n")
    assert received == [b"hello\r\n\r\n"]
    assert answer == b"HELLO\r\n\r\n" + b"x" * 200_000
    assert forwarding.errors == []


def test_after_the_block_the_listener_is_gone_and_an_unused_websocket_closed(sidecar):
    ended = threading.Event()

    def wait_for_the_end(conn, deadline, request):
        ended.set()  # the request head is empty: the peer closed before sending anything

    with SlowServer(wait_for_the_end) as server:
        sidecar.forward_port(15021, server.address)
        with forward(client(sidecar), the_pod(sidecar), 15021) as forwarding:
            assert not ended.wait(0.3)  # the websocket opened at the start, no connection yet: still open
        assert ended.wait(10)  # closed with the block
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", forwarding.port), timeout=5).close()
    assert not [t for t in threading.enumerate() if t.name == f"meshctl port-forward :{forwarding.port}"]


def test_the_blocks_end_closes_connections_still_open(sidecar):
    with http_target({"/healthz/ready": b"ok"}) as target:
        sidecar.forward_port(15021, target)
        with socket.socket() as idle:
            idle.settimeout(10)
            with forward(client(sidecar), the_pod(sidecar), 15021) as forwarding:
                idle.connect(("127.0.0.1", forwarding.port))
                idle.sendall(b"GET /healthz/ready HTTP/1.1\r\nHost: pod\r\n\r\n")
                answer = b""
                while not answer.endswith(b"\r\n\r\nok"):
                    answer += idle.recv(100)
                # keep-alive: the connection stays open, idle, until the block ends
                ending = time.monotonic()
            ended = time.monotonic() - ending
            assert idle.recv(100) == b""  # closed by the end of the block, not left to the pod
    # the pump sees the end within its 0.2 s poll: the block does not wait out the pumps' 2 s join
    assert ended < 1.8, ended


def test_the_request_timeout_bounds_a_trickling_answer(sidecar):
    # one byte every 0.4 s: no read waits long enough for a socket timeout; the watchdog ends it
    def trickle(conn, deadline, request):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n")
        for _ in range(20):
            time.sleep(0.4)
            conn.sendall(b"x")

    with SlowServer(trickle) as server:
        sidecar.forward_port(15000, server.address)
        with ForwardedHTTP(client(sidecar, request_timeout="1500ms"), the_pod(sidecar), 15000) as http:
            started = time.monotonic()
            with pytest.raises(SourceError) as caught:
                http.get("config_dump")
            waited = time.monotonic() - started
    assert str(caught.value) == f"{WHERE} did not answer /config_dump within 1.5s (raise --timeout?)"
    assert waited < 6  # ended at the deadline, not when the body was all there (8 s)


@pytest.fixture
def thread_errors(monkeypatch):
    """Exceptions that escape threads during the test (a pump must end quietly)."""
    errors: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    return errors


def pumps() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.endswith("(_pump)")]


def test_a_pump_ends_when_both_ends_have(sidecar, thread_errors):
    def answer_then_close(conn, deadline, request):
        conn.sendall(b"pong:" + request)

    with SlowServer(answer_then_close) as server:
        sidecar.forward_port(15021, server.address)
        with forward(client(sidecar), the_pod(sidecar), 15021) as forwarding:
            answer = exchange(forwarding.port, b"ping\r\n\r\n")
            # the pod ended (its end passed on as a half-close), then the client: the pump is done
            assert eventually(lambda: not pumps())
    assert answer == b"pong:ping\r\n\r\n"
    assert thread_errors == [] and forwarding.errors == []


def test_a_refusal_before_any_byte_ends_the_pump_while_the_forward_runs(sidecar, thread_errors):
    pod = the_pod(sidecar)
    with forward(client(sidecar), pod, 15021) as forwarding:
        with socket.create_connection(("127.0.0.1", forwarding.port), timeout=10) as conn:
            assert conn.recv(100) == b""  # the pod's end (nothing listens), passed on at once
        assert eventually(lambda: forwarding.errors) == [kubelet_refused_message(pod, 15021).strip()]
        assert eventually(lambda: not pumps())
    assert thread_errors == []


def test_a_large_upload_passes_whole(sidecar):
    size = 8 << 20

    def count_then_answer(conn, deadline, request):
        received = len(request)
        conn.settimeout(30)
        while received < size and (chunk := conn.recv(1 << 16)):
            received += len(chunk)
        conn.sendall(b"%d" % received)

    payload = bytes(range(256)) * (size // 256)
    with SlowServer(count_then_answer) as server:
        sidecar.forward_port(15021, server.address)
        with forward(client(sidecar), the_pod(sidecar), 15021) as forwarding:
            answer = exchange(forwarding.port, b"\r\n\r\n" + payload[4:], timeout=30)
    assert answer == b"%d" % size
