"""HTTP over a port-forward websocket (meshctl/sources/portforward.py ForwardedHTTP) through the fake
API server's real port-forward to real local TCP servers: whole bodies in bounded memory, keep-alive,
and every failure as the one line PodSource shows."""

from __future__ import annotations

import contextlib
import socket
import threading
import tracemalloc

import pytest

from meshctl.errors import SourceError
from meshctl.sources.kube import connect
from meshctl.sources.pod import proxy_source
from meshctl.sources.portforward import ForwardedHTTP

from fakekube.targets import http_target

pytestmark = pytest.mark.kube

POD, NS = "reviews-v1-abc", "default"  # the `sidecar` fixture's pod (tests/kube/conftest.py)
WHERE = f"Envoy admin API at {POD}.{NS}:15000"


def big_dump(megabytes: int) -> bytes:
    entry = b'{"@type":"type.googleapis.com/x","pad":"' + b"a" * 1000 + b'"}'
    return b'{"configs": [' + b",".join([entry] * (megabytes * 1000)) + b"]}"


def client(kube, **flags):
    return connect({"kubeconfig": str(kube.kubeconfig_path), **flags})


@contextlib.contextmanager
def raw_target(answer: bytes | None):
    """A TCP server on 127.0.0.1 that reads a request, sends `answer` and closes (None: never answers)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            if answer is None:
                stop.wait(10)
            else:
                conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()
    finally:
        stop.set()
        thread.join(timeout=10)
        server.close()


def test_a_30_mb_body_arrives_whole_in_bounded_memory(sidecar):
    dump = big_dump(30)
    with http_target({"/config_dump": dump, "/server_info": b"{}"}) as target:
        sidecar.forward_port(15000, target)
        source = proxy_source(client(sidecar), f"{POD}.{NS}")
        assert source.fetch("server_info") == b"{}"  # first imports and connections, outside the measure
        tracemalloc.start()
        try:
            received = source.fetch("config_dump")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert received == dump
    assert source.paths_used == ["port-forward", "port-forward"]
    # the body itself plus chunks: never a second whole copy (the fake server's threads count too)
    assert peak < 1.5 * len(dump), f"peak {peak / 1e6:.1f} MB for a {len(dump) / 1e6:.1f} MB body"


def test_keep_alive_gets_share_one_websocket(sidecar):
    with http_target({"/server_info": b'{"state": "LIVE"}', "/certs": b'{"certificates": []}'}) as target:
        sidecar.forward_port(15000, target)
        pod = sidecar_pod(sidecar)
        with ForwardedHTTP(client(sidecar), pod, 15000) as http:
            assert http.get("server_info") == b'{"state": "LIVE"}'
            assert http.get("/certs") == b'{"certificates": []}'
            with pytest.raises(SourceError, match=f"^{WHERE} answered /nope with HTTP 404: invalid path: /nope$"):
                http.get("nope")
            assert http.get("server_info") == b'{"state": "LIVE"}'  # the error page was read: the connection goes on
    assert len(sidecar.requests_for(subresource="portforward")) == 1


def sidecar_pod(kube) -> dict:
    return client(kube).read("/api/v1", "pods", POD, NS)


def test_nothing_listening_gives_the_kubelets_words(sidecar):
    with ForwardedHTTP(client(sidecar), sidecar_pod(sidecar), 15000) as http, pytest.raises(SourceError) as caught:
        http.get("config_dump")
    message = str(caught.value)
    assert message.startswith("error forwarding port 15000 to pod ") and message.endswith("connect: connection refused")
    assert "\n" not in message


def test_refused_port_forward_names_the_verb_and_resource(sidecar):
    sidecar.deny("create", "pods/portforward")
    with pytest.raises(SourceError, match="^RBAC denied: cannot create pods/portforward in namespace default"):
        ForwardedHTTP(client(sidecar), sidecar_pod(sidecar), 15000)


def test_a_body_cut_short(sidecar):
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10
    with raw_target(answer) as target:
        sidecar.forward_port(15000, target)
        with ForwardedHTTP(client(sidecar), sidecar_pod(sidecar), 15000) as http, pytest.raises(SourceError) as caught:
            http.get("config_dump")
    assert str(caught.value) == f"{WHERE} closed the connection before sending all of /config_dump (response truncated)"


def test_no_answer_within_the_request_timeout(sidecar):
    with raw_target(None) as target:
        sidecar.forward_port(15000, target)
        kube = client(sidecar, request_timeout=0.5)
        with ForwardedHTTP(kube, sidecar_pod(sidecar), 15000) as http, pytest.raises(SourceError) as caught:
            http.get("config_dump")
    assert str(caught.value) == f"{WHERE} did not answer /config_dump within 0.5s (raise --timeout?)"
