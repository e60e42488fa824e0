"""Exec and port-forward through the official `kubernetes` client's websocket implementations."""

from __future__ import annotations

import json
import socket
import time

import pytest

from fakekube import ExecResult, http_target, istio_pod

pytestmark = pytest.mark.kube


@pytest.fixture
def core(fake_kube):
    from kubernetes import client, config

    fake_kube.add(istio_pod("reviews-v1-abc", "bookinfo"))
    return client.CoreV1Api(config.new_client_from_config(str(fake_kube.kubeconfig_path)))


def stream_exec(core, pod_name, argv, *, container="istio-proxy", **kwargs):
    from kubernetes.stream import stream

    return stream(core.connect_get_namespaced_pod_exec, pod_name, "bookinfo", command=argv,
                  container=container, stdin=False, stdout=True, stderr=True, tty=False, **kwargs)


def _exec(core, argv, **kwargs):
    return stream_exec(core, "reviews-v1-abc", argv, **kwargs)


def _session(core, argv, **kwargs):
    resp = _exec(core, argv, _preload_content=False, **kwargs)
    resp.run_forever(timeout=10)
    return resp


def _send_get(sock, path: str) -> None:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())


def _read_all(sock) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _http_get(sock, path: str) -> bytes:
    _send_get(sock, path)
    return _read_all(sock)


def test_exec_returns_handler_output_and_sees_pod_and_container(fake_kube, core):
    seen = []

    def handler(req):
        seen.append((req.pod_name, req.namespace, req.container, req.argv))
        return ExecResult(stdout="out-" + req.argv[-1])

    fake_kube.on_exec(["pilot-agent", "request", "GET"], handler)

    assert _exec(core, ["pilot-agent", "request", "GET", "server_info"]) == "out-server_info"
    assert seen == [("reviews-v1-abc", "bookinfo", "istio-proxy", ["pilot-agent", "request", "GET", "server_info"])]
    assert fake_kube.requests_for(subresource="exec")[0].protocol == "v5.channel.k8s.io"


def test_exec_non_zero_exit_is_encoded_on_the_status_channel(fake_kube, core):
    fake_kube.on_exec(["sh", "-c"], lambda req: ExecResult(stdout="partial\n", stderr="boom\n", exit_code=3))

    resp = _session(core, ["sh", "-c", "exit 3"])

    assert resp.returncode == 3
    assert (resp.read_stdout(), resp.read_stderr()) == ("partial\n", "boom\n")


def test_exec_of_a_missing_binary_is_an_internal_error_status(core):
    resp = _session(core, ["pilot-agent", "request", "GET", "config_dump"])

    status = json.loads(resp.read_channel(3))
    assert (status["status"], status["reason"], status["code"]) == ("Failure", "InternalError", 500)
    assert 'exec: "pilot-agent": executable file not found in $PATH' in status["message"]


def test_exec_large_output_arrives_whole(fake_kube, core):
    body = json.dumps({"configs": [{"name": f"cluster-{i}", "pad": "x" * 200} for i in range(3000)]})
    fake_kube.on_exec(["pilot-agent"], body.encode())

    resp = _session(core, ["pilot-agent", "request", "GET", "config_dump"], binary=True)

    assert resp.read_stdout() == body.encode()
    assert resp.returncode == 0


def test_exec_output_is_whole_after_a_client_ping_the_session_never_read(fake_kube, core):
    # kubectl pings every 5 s during an exec; a server that closes its socket with that ping unread
    # makes the kernel send RST and drop the output still queued, truncating stdout.
    body = b"x" * 8_000_000
    fake_kube.on_exec(["cat"], body)

    resp = _exec(core, ["cat", "/big"], _preload_content=False, binary=True)
    resp.sock.ping(b"heartbeat")
    time.sleep(0.3)  # the server queues all it can and closes before this client reads a byte
    resp.run_forever(timeout=30)

    assert resp.read_stdout() == body
    assert resp.returncode == 0


def test_exec_into_unknown_container_is_rejected_before_upgrade(core):
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException) as raised:
        _exec(core, ["true"], container="nope")
    assert "400" in str(raised.value.reason)
    assert "container nope is not valid for pod reviews-v1-abc" in str(raised.value.reason)


def test_exec_into_a_completed_pod_is_rejected(fake_kube, core):
    from kubernetes.client.exceptions import ApiException

    fake_kube.add(istio_pod("job-x", "bookinfo", phase="Succeeded"))

    with pytest.raises(ApiException) as raised:
        stream_exec(core, "job-x", ["true"])
    assert "cannot exec into a container in a completed pod; current phase is Succeeded" in str(raised.value.reason)


def test_exec_denied_by_rbac(fake_kube, core):
    from kubernetes.client.exceptions import ApiException

    fake_kube.deny("create", "pods/exec", namespace="bookinfo")

    with pytest.raises(ApiException) as raised:
        _exec(core, ["true"])
    assert "403" in str(raised.value.reason)
    assert 'cannot create resource \\"pods/exec\\" in API group \\"\\" in the namespace \\"bookinfo\\"' in str(
        raised.value.reason)


def test_portforward_bridges_bytes_to_a_real_tcp_target(fake_kube, core):
    from kubernetes.stream import portforward

    with http_target({"/server_info": b'{"state":"LIVE"}'}) as target:
        fake_kube.forward_port(15000, target)
        pf = portforward(core.connect_get_namespaced_pod_portforward, "reviews-v1-abc", "bookinfo", ports="15000")
        response = _http_get(pf.socket(15000), "/server_info")
        pf.close()

    assert response.startswith(b"HTTP/1.1 200 ")
    assert response.endswith(b'{"state":"LIVE"}')
    assert pf.error(15000) is None
    assert fake_kube.requests_for(subresource="portforward")[0].protocol == "v4.channel.k8s.io"


def test_portforward_to_a_closed_port_reports_the_kubelet_error(fake_kube, core):
    from kubernetes.stream import portforward

    pf = portforward(core.connect_get_namespaced_pod_portforward, "reviews-v1-abc", "bookinfo", ports="15000")
    sock = pf.socket(15000)
    sock.settimeout(10)

    assert sock.recv(1) == b""
    assert pf.error(15000).startswith("error forwarding port 15000 to pod ")
    assert "connect: connection refused" in pf.error(15000)


def test_portforward_refused_connect_even_with_a_target(fake_kube, core):
    from kubernetes.stream import portforward

    with http_target({}) as target:
        fake_kube.forward_port(15000, target)
        fake_kube.refuse_port_forward("connect", pod="reviews-v1-abc")
        pf = portforward(core.connect_get_namespaced_pod_portforward, "reviews-v1-abc", "bookinfo", ports="15000")
        sock = pf.socket(15000)
        sock.settimeout(10)
        assert sock.recv(1) == b""
    assert "connection refused" in pf.error(15000)


def test_portforward_refused_upgrade_fails_the_handshake(fake_kube, core):
    from kubernetes.client.exceptions import ApiException
    from kubernetes.stream import portforward

    fake_kube.refuse_port_forward("upgrade")

    with pytest.raises(ApiException) as raised:
        portforward(core.connect_get_namespaced_pod_portforward, "reviews-v1-abc", "bookinfo", ports="15000")
    assert "400" in str(raised.value.reason)


def test_portforward_two_ports_in_one_session(fake_kube, core):
    from kubernetes.stream import portforward

    with http_target({"/a": b"A"}) as first, http_target({"/b": b"B"}) as second:
        fake_kube.forward_port(15000, first)
        fake_kube.forward_port(15020, second)
        pf = portforward(core.connect_get_namespaced_pod_portforward, "reviews-v1-abc", "bookinfo",
                         ports="15000,15020")
        # The v4 protocol cannot end one port's stream alone: EOF comes when every port is done.
        _send_get(pf.socket(15020), "/b")
        _send_get(pf.socket(15000), "/a")
        assert _read_all(pf.socket(15020)).endswith(b"\r\n\r\nB")
        assert _read_all(pf.socket(15000)).endswith(b"\r\n\r\nA")
        pf.close()


@pytest.mark.envoy
def test_sidecar_backed_by_the_real_envoy_rig(fake_kube, core, envoy_rig):
    from kubernetes.stream import portforward

    fake_kube.back_sidecar(("127.0.0.1", envoy_rig.admin_port), run_dir=envoy_rig.run_dir)

    pf = portforward(core.connect_get_namespaced_pod_portforward, "reviews-v1-abc", "bookinfo", ports="15000")
    server_info = _http_get(pf.socket(15000), "/server_info")
    pf.close()
    dump = json.loads(_exec(core, ["pilot-agent", "request", "GET", "config_dump"], binary=True))
    bootstrap = json.loads(_exec(core, ["cat", "/etc/istio/proxy/envoy-rev.json"]))

    assert b'"state": "LIVE"' in server_info
    assert dump["configs"][0]["@type"].endswith("BootstrapConfigDump")
    assert {c["name"] for c in bootstrap["static_resources"]["clusters"]} >= {"xds-grpc", "sds-grpc"}


def test_stop_ends_open_sessions(fake_kube, core):
    from kubernetes.stream import portforward

    with http_target({}) as target:
        fake_kube.forward_port(15000, target)
        pf = portforward(core.connect_get_namespaced_pod_portforward, "reviews-v1-abc", "bookinfo", ports="15000")
        sock = pf.socket(15000)
        sock.settimeout(10)
        port = fake_kube.port
        fake_kube.stop()
        try:
            assert sock.recv(1) == b""
        except ConnectionResetError:
            pass
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_parallel_portforwards_keep_every_byte(fake_kube, core):
    import concurrent.futures
    import hashlib
    import os

    from kubernetes.stream import portforward

    payloads = {f"/blob{i}": os.urandom(300_000 + i) for i in range(8)}

    def fetch(path: str) -> bytes:
        pf = portforward(core.connect_get_namespaced_pod_portforward, "reviews-v1-abc", "bookinfo", ports="15000")
        response = _http_get(pf.socket(15000), path)
        pf.close()
        return response.split(b"\r\n\r\n", 1)[1]

    with http_target(payloads) as target:
        fake_kube.forward_port(15000, target)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            bodies = dict(zip(payloads, pool.map(fetch, payloads)))

    assert {p: hashlib.sha256(b).hexdigest() for p, b in bodies.items()} == {
        p: hashlib.sha256(b).hexdigest() for p, b in payloads.items()}
    assert len(fake_kube.requests_for(subresource="portforward")) == 8


def test_exec_and_portforward_over_https(tmp_path):
    from kubernetes import client, config
    from kubernetes.stream import portforward

    from fakekube import FakeKube

    with http_target({"/ready": b"LIVE\n"}) as target, FakeKube(tls=True, token="t0k", workdir=tmp_path) as kube:
        kube.add(istio_pod("reviews-v1-abc", "bookinfo"))
        kube.on_exec(["echo"], lambda req: " ".join(req.argv[1:]))
        kube.forward_port(15000, target)
        core = client.CoreV1Api(config.new_client_from_config(str(kube.kubeconfig_path)))
        echoed = _exec(core, ["echo", "over", "tls"])
        pf = portforward(core.connect_get_namespaced_pod_portforward, "reviews-v1-abc", "bookinfo", ports="15000")
        ready = _http_get(pf.socket(15000), "/ready")
        pf.close()

    assert echoed == "over tls"
    assert ready.endswith(b"\r\n\r\nLIVE\n")
