"""The exec source (meshctl/sources/kube.py exec_in, _read_channels, exec_status_problem) pinned exactly.

An API server answers an exec with a channel.k8s.io websocket (kubelet cri/streaming/remotecommand,
apimachinery wsstream): binary messages whose first byte is the channel (1 stdout, 2 stderr, 3 the
metav1.Status written once at the end); v5 adds 255, "close channel". Here a scripted server sends
exactly the frames a test names, so every branch of the reader is reached with bytes an API server
may send, and the fake API server (tests/fakekube) checks the request's query.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from meshctl.errors import SourceError
from meshctl.model.limits import LimitExceeded
from meshctl.sources.kube import ExecFailed, _pod_name, connect, exec_status_problem

from fakekube import ExecResult, istio_pod
from fakekube.websocket import handshake_response
from helpers.sockets import closed_port
from helpers.wsframes import BINARY, CLOSE, PING, TEXT, frame

POD, NS = "reviews-v1-abc", "bookinfo"
ARGV = ["pilot-agent", "request", "GET", "config_dump"]
WHAT = f"exec pilot-agent request GET in {POD}.{NS}/istio-proxy"
STATUS_OK = b"\x03" + json.dumps({"metadata": {}, "status": "Success"}).encode()  # a message on the status channel


@contextlib.contextmanager
def scripted_api_server(fake_kube, tmp_path, answer: bytes | Callable[[socket.socket], None], ended: threading.Event | None = None) -> Iterator[str]:
    """An API server that accepts one websocket upgrade, sends `answer` (frames, or what `answer(conn)` sends) and
    closes; yields a kubeconfig path. `ended` is set when the client has closed its end (or sent its close frame)."""
    ended = ended or threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve():
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                head = b""
                while b"\r\n\r\n" not in head:
                    head += conn.recv(4096)
                key = next(line.split(b":", 1)[1].strip() for line in head.split(b"\r\n") if line.lower().startswith(b"sec-websocket-key:"))
                conn.sendall(handshake_response(key.decode(), "v5.channel.k8s.io"))
                if callable(answer):
                    answer(conn)
                else:
                    conn.sendall(answer)
                conn.shutdown(socket.SHUT_WR)
                conn.settimeout(30)
                conn.recv(4096)  # the client's close frame, or its end: all was read (no RST drops it)
                ended.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    path = tmp_path / "scripted.kubeconfig"
    path.write_text(fake_kube.kubeconfig().replace(f"127.0.0.1:{fake_kube.port}", f"127.0.0.1:{listener.getsockname()[1]}"))
    try:
        yield str(path)
    finally:
        thread.join(timeout=10)
        listener.close()


def run(fake_kube, tmp_path, answer: bytes | Callable[[socket.socket], None], ended: threading.Event | None = None, **flags) -> bytes:
    with scripted_api_server(fake_kube, tmp_path, answer, ended) as kubeconfig:
        kube = connect({"kubeconfig": kubeconfig, **flags})
        return kube.exec_in(istio_pod(POD, NS), "istio-proxy", ARGV)


@pytest.mark.kube
def test_the_request_asks_for_stdout_and_stderr_without_stdin_or_tty(fake_kube):
    fake_kube.add(istio_pod(POD, NS))
    fake_kube.on_exec(["pilot-agent"], b"{}")
    kube = connect({"kubeconfig": str(fake_kube.kubeconfig_path)})
    assert kube.exec_in(kube.read("/api/v1", "pods", POD, NS), "istio-proxy", ARGV) == b"{}"
    [request] = fake_kube.requests_for(subresource="exec")
    assert request.query == {"command": ARGV, "container": ["istio-proxy"], "stderr": ["true"], "stdin": ["false"], "stdout": ["true"], "tty": ["false"]}


@pytest.mark.kube
def test_stdout_across_frames_channels_and_frame_kinds(fake_kube, tmp_path):
    answer = (
        frame(BINARY, b"\x01{\"configs\"")
        + frame(BINARY, b"")  # an empty message: no channel, nothing to take
        + frame(PING, b"\x01ping")  # a control frame: not output
        + frame(BINARY, b"\x02warming up\n")  # stderr: not stdout
        + frame(BINARY, b"\xff\x00")  # v5 "close channel 0"
        + frame(BINARY, b"\x04{\"Width\":80}")  # a channel exec does not read
        + frame(TEXT, b"\x01: []}")  # a text message carries bytes as a binary one does
        + frame(BINARY, STATUS_OK)
        + frame(CLOSE, struct.pack("!H", 1000))
    )  # fmt: skip
    assert run(fake_kube, tmp_path, answer) == b'{"configs": []}'


@pytest.mark.kube
def test_the_stream_ending_without_a_status_is_a_failure(fake_kube, tmp_path):
    # v4/v5 servers always end with a Status: without one, stdout may be cut short
    answer = frame(BINARY, b'\x01{"configs": [') + frame(CLOSE, struct.pack("!H", 1000))
    with pytest.raises(ExecFailed) as caught:
        run(fake_kube, tmp_path, answer)
    assert str(caught.value) == f"{WHAT}: the exec stream ended without a status (connection lost?)"


@pytest.mark.kube
@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (frame(CLOSE, struct.pack("!H", 1000) + b"bye \xff"), "Invalid close frame."),  # RFC 6455 5.5.1: the reason is UTF-8
        (bytes([0xC2, 2]) + b"\x01x", "rsv is not implemented, yet"),  # a reserved bit no extension negotiated
        (frame(PING, b"p", fin=False), "Invalid ping frame."),  # control frames are never fragmented
    ],
    ids=["close-reason-not-utf8", "reserved-bit", "fragmented-ping"],
)
def test_a_frame_the_protocol_forbids_is_one_error_line(fake_kube, tmp_path, bad, reason):
    # one line naming the exec (exit 69), not websocket-client's exception escaping as an unexpected error
    ended = threading.Event()
    with pytest.raises(ExecFailed) as caught:
        run(fake_kube, tmp_path, frame(BINARY, b"\x01{}") + frame(BINARY, STATUS_OK) + bad, ended)
    assert str(caught.value) == f"{WHAT}: the API server broke the websocket protocol: {reason}"
    assert ended.wait(10)  # and the connection is closed


@pytest.mark.kube
def test_output_is_bounded_by_max_body_size_over_all_channels(fake_kube, tmp_path):
    # 1 KiB for every channel's messages together, each message with its channel byte
    stdout = frame(BINARY, b"\x01" + b"a" * 500)
    stderr = frame(BINARY, b"\x02" + b"b" * (1024 - 501 - len(STATUS_OK) - 1))
    close_channel = frame(BINARY, b"\xff\x00")  # not output: not counted
    exact = stdout + stderr + close_channel + frame(BINARY, STATUS_OK)
    assert run(fake_kube, tmp_path, exact, max_body_size="1Ki") == b"a" * 500
    over = stdout + stderr + frame(BINARY, b"\x02" + b"c") + frame(BINARY, STATUS_OK)
    ended = threading.Event()
    with pytest.raises(LimitExceeded) as caught:
        run(fake_kube, tmp_path, over, ended, max_body_size="1Ki")
    assert ended.wait(0)  # the stream was closed at once, not left open while the error is handled
    assert str(caught.value) == f"the output of {WHAT} is larger than 1Ki, the limit --max-body-size sets (raise it to read more)"


@pytest.mark.kube
def test_a_short_request_timeout_is_the_whole_exec(fake_kube, tmp_path):
    # an answer at once: a timeout under a second is enough, and not cut to nothing
    answer = frame(BINARY, b"\x01{}") + frame(BINARY, STATUS_OK) + frame(CLOSE, struct.pack("!H", 1000))
    assert run(fake_kube, tmp_path, answer, request_timeout="900ms") == b"{}"


@pytest.mark.kube
def test_a_frame_longer_than_the_bound_is_refused_before_its_payload(fake_kube, tmp_path):
    giant = bytes([0x82, 127]) + struct.pack("!Q", (64 << 20) + 1)
    with pytest.raises(ExecFailed) as caught:
        run(fake_kube, tmp_path, frame(BINARY, b"\x01{}") + giant + b"x" * 100)
    assert str(caught.value) == f"{WHAT}: the exec stream sent a websocket frame of 67108865 bytes"


@pytest.mark.kube
def test_a_frame_of_exactly_the_bound_is_read(fake_kube, tmp_path):
    # 64 MiB is allowed: this one is cut short (the server closes), which is a different error
    header = bytes([0x82, 127]) + struct.pack("!Q", 64 << 20)
    with pytest.raises(ExecFailed) as caught:
        run(fake_kube, tmp_path, header + b"\x01" + b"x" * 100)
    assert "websocket frame of" not in str(caught.value)
    assert str(caught.value).startswith(f"{WHAT}: ")


@pytest.mark.parametrize(
    ("status", "problem"),
    [
        ({"status": "Failure", "message": "command terminated with non-zero exit code", "reason": "NonZeroExitCode"}, "command terminated with non-zero exit code"),
        ({"status": "Failure", "reason": "InternalError"}, "InternalError"),  # no message: the reason
        ({"status": "Failure"}, "failed"),  # neither
        ({"status": "Failure", "message": "", "reason": ""}, "failed"),
        ({"status": "Failure", "message": "oom", "details": {"causes": [{"reason": "Other", "message": "3"}]}}, "oom"),
    ],
)
def test_status_problems(status, problem):
    assert exec_status_problem(json.dumps(status).encode()) == problem


def test_status_problem_words():
    assert exec_status_problem(b"") == "the exec stream ended without a status (connection lost?)"
    assert exec_status_problem(b"\xff\xfe not json \xe9") == "\ufffd\ufffd not json \ufffd"


@pytest.mark.kube
def test_an_exit_code_with_stderrs_last_line(fake_kube):
    fake_kube.add(istio_pod(POD, NS))
    fake_kube.on_exec(["pilot-agent"], ExecResult(stdout=b"partial", stderr="first\nError: 503\n\n", exit_code=3))
    kube = connect({"kubeconfig": str(fake_kube.kubeconfig_path)})
    with pytest.raises(ExecFailed) as caught:
        kube.exec_in(kube.read("/api/v1", "pods", POD, NS), "istio-proxy", ARGV)
    assert str(caught.value) == f"{WHAT}: exit code 3: Error: 503"
    assert isinstance(caught.value, SourceError)


@pytest.mark.kube
def test_an_unreachable_api_server_names_the_exec(fake_kube, tmp_path):
    dead = closed_port()
    path = tmp_path / "dead.kubeconfig"
    path.write_text(fake_kube.kubeconfig().replace(f"127.0.0.1:{fake_kube.port}", f"127.0.0.1:{dead}"))
    with pytest.raises(ExecFailed) as caught:
        connect({"kubeconfig": str(path)}).exec_in(istio_pod(POD, NS), "istio-proxy", ARGV)
    assert str(caught.value) == f"{WHAT}: cannot reach the API server at http://127.0.0.1:{dead}: [Errno 111] Connection refused"


@pytest.mark.kube
def test_the_request_timeout_ends_a_frame_that_trickles_in(fake_kube, tmp_path):
    # one frame whose bytes come 4 a second: no single read waits long, the whole exec is still bounded
    def trickle(conn):
        conn.sendall(bytes([0x82, 40]))
        for _ in range(40):
            time.sleep(0.25)
            conn.sendall(b"\x01")

    started = time.monotonic()
    with pytest.raises(ExecFailed) as caught:
        run(fake_kube, tmp_path, trickle, request_timeout="1s")
    waited = time.monotonic() - started
    assert str(caught.value) == f"{WHAT}: no answer within 1s (--request-timeout)"
    assert waited < 6  # the frame alone would take 10 s


@pytest.mark.kube
def test_stderr_in_several_frames_and_not_utf8(fake_kube, tmp_path):
    failed = b"\x03" + json.dumps({"status": "Failure", "details": {"causes": [{"reason": "ExitCode", "message": "2"}]}}).encode()
    answer = frame(BINARY, b"\x02first line\nError: caf\xe9 ") + frame(BINARY, b"\x02down\n") + frame(BINARY, failed) + frame(CLOSE, struct.pack("!H", 1000))
    with pytest.raises(ExecFailed) as caught:
        run(fake_kube, tmp_path, answer)
    assert str(caught.value) == f"{WHAT}: exit code 2: Error: caf\ufffd down"


def test_pod_name_of_a_pod_without_metadata():
    # messages and URLs say "" rather than "None" for a name the object does not have
    assert _pod_name({}) == ("", "")
    assert _pod_name({"metadata": {"name": "a"}}) == ("a", "")
    assert _pod_name({"metadata": {"namespace": "b"}}) == ("", "b")


@pytest.mark.kube
def test_a_status_in_two_messages_is_read_whole(fake_kube, tmp_path):
    half = len(STATUS_OK) // 2
    answer = frame(BINARY, b"\x01{}") + frame(BINARY, STATUS_OK[:half]) + frame(BINARY, b"\x03" + STATUS_OK[half:]) + frame(CLOSE, struct.pack("!H", 1000))
    assert run(fake_kube, tmp_path, answer) == b"{}"
