"""How exec's and port-forward's websockets reach the API server, as the GETs do: over TLS checked as the
kubeconfig says (its CA, its tls-server-name), through its proxy with credentials, to an IPv6 literal,
with the kubeconfig's headers; and each refusal as one line (`KubeClient.open_websocket`, `open_stream`,
`open_port_forward`, meshctl.sources.kubehttp's `Connections.upgrade`).
"""

from __future__ import annotations

import base64
import json

import pytest

from meshctl.errors import SourceError
from meshctl.model.options import KubeOptions
from meshctl.sources.kube import ExecFailed, KubeClient

from fakekube import FakeKube, http_target, istio_pod
from helpers.sockets import closed_port, get_through
from helpers.tcprelay import ConnectProxy, Relay

TOKEN = "s3cret-t0ken-value"
POD, NS = "reviews-v1-abc", "bookinfo"
ARGV = ["pilot-agent", "request", "GET", "server_info"]
WHAT = f"exec pilot-agent request GET in {POD}.{NS}/istio-proxy"


def kubeconfig(path, server: str, *, cluster: dict | None = None, user: dict | None = None) -> str:
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "ctx",
        "clusters": [{"name": "c", "cluster": {"server": server, **(cluster or {})}}],
        "users": [{"name": "u", "user": user or {}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u", "namespace": NS}}],
    }  # fmt: skip
    path.write_text(json.dumps(config))
    return str(path)


def ca_data(kube: FakeKube) -> dict:
    return {"certificate-authority-data": base64.b64encode(kube.ca_pem).decode()}


def client(path: str, **options) -> KubeClient:
    return KubeClient(KubeOptions(kubeconfig=path, **options))


@pytest.fixture
def tls_kube(tmp_path):
    """The fake API server over TLS (its certificate names 127.0.0.1 and localhost), a token required,
    a sidecar whose `pilot-agent request GET server_info` answers, and a port 15000 that echoes."""
    with FakeKube(tls=True, token=TOKEN, workdir=tmp_path) as kube:
        kube.add(istio_pod(POD, NS))
        kube.on_exec(ARGV, b'{"state": "LIVE"}')
        yield kube


# -- exec (websocket-client, a connection of its own) ---------------------------------------------------


@pytest.mark.kube
def test_exec_over_tls_trusts_the_kubeconfigs_ca_and_checks_its_server_name(tls_kube, tmp_path):
    plain = kubeconfig(tmp_path / "ca", tls_kube.url, cluster=ca_data(tls_kube), user={"token": TOKEN})
    assert client(plain).exec_in(istio_pod(POD, NS), "istio-proxy", ARGV) == b'{"state": "LIVE"}'
    named = kubeconfig(tmp_path / "named", tls_kube.url, cluster={**ca_data(tls_kube), "tls-server-name": "localhost"}, user={"token": TOKEN})
    assert client(named).exec_in(istio_pod(POD, NS), "istio-proxy", ARGV) == b'{"state": "LIVE"}'
    # the certificate names 127.0.0.1, the URL's host: a tls-server-name it does not name must fail
    wrong = kubeconfig(tmp_path / "wrong", tls_kube.url, cluster={**ca_data(tls_kube), "tls-server-name": "api.example"}, user={"token": TOKEN})
    with pytest.raises(ExecFailed) as caught:
        client(wrong).exec_in(istio_pod(POD, NS), "istio-proxy", ARGV)
    assert str(caught.value).startswith(f"{WHAT}: cannot reach the API server at {tls_kube.url}: [SSL: CERTIFICATE_VERIFY_FAILED]")
    assert "'api.example'" in str(caught.value)
    assert len(tls_kube.requests_for(subresource="exec")) == 2


@pytest.mark.kube
def test_exec_over_tls_refuses_a_ca_the_kubeconfig_does_not_name(tls_kube, tmp_path, certs):
    other = base64.b64encode(certs.pem(certs.root("elsewhere"))).decode()
    path = kubeconfig(tmp_path / "other", tls_kube.url, cluster={"certificate-authority-data": other}, user={"token": TOKEN})
    with pytest.raises(ExecFailed) as caught:
        client(path).exec_in(istio_pod(POD, NS), "istio-proxy", ARGV)
    assert str(caught.value).startswith(f"{WHAT}: cannot reach the API server at {tls_kube.url}: [SSL: CERTIFICATE_VERIFY_FAILED]")
    assert not tls_kube.requests_for(subresource="exec")


@pytest.mark.kube
def test_exec_goes_through_the_kubeconfigs_proxy_with_its_credentials(tls_kube, tmp_path):
    proxy = ConnectProxy()
    try:
        proxied = proxy.url.replace("http://", "http://alice:pr0xy-pass@")
        path = kubeconfig(tmp_path / "config", tls_kube.url, cluster={**ca_data(tls_kube), "proxy-url": proxied}, user={"token": TOKEN})
        assert client(path).exec_in(istio_pod(POD, NS), "istio-proxy", ARGV) == b'{"state": "LIVE"}'
    finally:
        proxy.close()
    assert proxy.targets == [tls_kube.url.removeprefix("https://")]
    assert proxy.authorizations == ["Basic " + base64.b64encode(b"alice:pr0xy-pass").decode()]


@pytest.mark.kube
def test_exec_through_a_proxy_without_credentials_sends_none(tls_kube, tmp_path):
    proxy = ConnectProxy()
    try:
        path = kubeconfig(tmp_path / "config", tls_kube.url, cluster={**ca_data(tls_kube), "proxy-url": proxy.url}, user={"token": TOKEN})
        assert client(path).exec_in(istio_pod(POD, NS), "istio-proxy", ARGV) == b'{"state": "LIVE"}'
    finally:
        proxy.close()
    assert proxy.targets == [tls_kube.url.removeprefix("https://")]
    assert proxy.authorizations == [None]


@pytest.mark.kube
def test_exec_runs_as_the_user_of_as_and_negotiates_v5(fake_kube):
    fake_kube.add(istio_pod(POD, NS))
    fake_kube.on_exec(ARGV, b"{}")
    assert client(str(fake_kube.kubeconfig_path), as_user="bob").exec_in(istio_pod(POD, NS), "istio-proxy", ARGV) == b"{}"
    [request] = fake_kube.requests_for(subresource="exec")
    assert (request.user, request.protocol) == ("bob", "v5.channel.k8s.io")


# -- an API server at an IPv6 literal --------------------------------------------------------------


@pytest.fixture
def ipv6_kube(fake_kube):
    """The fake API server, reached at http://[::1]:PORT (a relay to its 127.0.0.1 port)."""
    fake_kube.add(istio_pod(POD, NS))
    fake_kube.on_exec(ARGV, b'{"state": "LIVE"}')
    relay = Relay(("127.0.0.1", fake_kube.port))
    yield fake_kube, relay
    relay.close()


@pytest.mark.kube
def test_exec_to_an_api_server_at_an_ipv6_literal(ipv6_kube, tmp_path):
    fake, relay = ipv6_kube
    path = kubeconfig(tmp_path / "config", f"http://[::1]:{relay.port}")
    assert client(path).exec_in(istio_pod(POD, NS), "istio-proxy", ARGV) == b'{"state": "LIVE"}'
    assert relay.connections == 1 and len(fake.requests_for(subresource="exec")) == 1
    assert f"\r\nHost: [::1]:{relay.port}\r\n".encode() in relay.sent


@pytest.mark.kube
def test_a_port_forward_to_an_api_server_at_an_ipv6_literal(ipv6_kube, tmp_path):
    from meshctl.sources.portforward import ForwardedHTTP

    fake, relay = ipv6_kube
    with http_target({"/server_info": b'{"state": "LIVE"}'}) as target:
        fake.forward_port(15000, target)
        kube = client(kubeconfig(tmp_path / "config", f"http://[::1]:{relay.port}"))
        pod = kube.read("/api/v1", "pods", POD, NS)
        with ForwardedHTTP(kube, pod, 15000) as forwarded:
            assert forwarded.get("server_info") == b'{"state": "LIVE"}'
    # the GET of the pod and its port-forward: one connection, each Host header with the literal in brackets
    assert relay.connections == 1 and [r.subresource for r in fake.requests if r.name == POD] == ["", "portforward"]
    assert bytes(relay.sent).count(f"\r\nHost: [::1]:{relay.port}\r\n".encode()) == 2


# -- the connection after a failed GET ---------------------------------------------------------------


@pytest.mark.kube
def test_after_an_answer_too_large_a_port_forward_gets_a_clean_connection(fake_kube):
    """A refused body is not left on the kept-alive connection, where the port-forward's upgrade, on
    the same connection, would read it as the API server's answer."""
    from meshctl.model.limits import LimitExceeded
    from meshctl.sources.portforward import ForwardedHTTP

    fake_kube.add(istio_pod(POD, NS))
    for index in range(10):  # a pod list of ~75 KB; a pod ~7 KB
        fake_kube.add(istio_pod(f"filler-{index}", NS))
    with http_target({"/server_info": b'{"state": "LIVE"}'}) as target:
        fake_kube.forward_port(15000, target)
        kube = client(str(fake_kube.kubeconfig_path), max_body_size="16Ki")
        pod = kube.read("/api/v1", "pods", POD, NS)
        with pytest.raises(LimitExceeded):
            kube.list("/api/v1", "pods", NS)
        with ForwardedHTTP(kube, pod, 15000) as forwarded:
            assert forwarded.get("server_info") == b'{"state": "LIVE"}'


# -- KubeClient.port_forward: a local listener (forward()), websockets by websocket-client ----------------


@pytest.mark.kube
def test_port_forward_reaches_the_pods_port_through_a_local_listener(fake_kube):
    fake_kube.add(istio_pod(POD, NS))
    with http_target({"/healthz/ready": b"ok"}) as target:
        fake_kube.forward_port(15021, target)
        kube = client(str(fake_kube.kubeconfig_path))
        with kube.port_forward(istio_pod(POD, NS), 15021) as forwarding:
            assert get_through(forwarding.port, "/healthz/ready") == (200, b"ok")
    [request] = fake_kube.requests_for(subresource="portforward")
    assert (request.name, request.namespace, request.query["ports"]) == (POD, NS, ["15021"])


@pytest.mark.kube
def test_port_forward_to_an_unreachable_api_server_names_the_pod_and_port(fake_kube, tmp_path):
    dead = closed_port()
    path = kubeconfig(tmp_path / "dead", f"http://127.0.0.1:{dead}")
    with pytest.raises(SourceError) as caught, client(path).port_forward(istio_pod(POD, NS), 15021):
        pass
    assert str(caught.value) == f"port-forward to {POD}.{NS}:15021: cannot reach the API server at http://127.0.0.1:{dead}: [Errno 111] Connection refused"


# -- a refused upgrade: the API server's status, as one line ------------------------------------------

API_POD = {"metadata": {"name": "p", "namespace": "ns"}}


def refused_with(tmp_path, status: str, body: bytes, subresource: str = "portforward") -> str:
    """The error of an upgrade the API server answers with `status` and `body` (`open_stream`, or exec's `open_websocket`)."""
    from helpers.slowserver import SlowServer

    def answer(conn, deadline, request):
        conn.sendall(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)

    with SlowServer(answer) as server:
        kube = client(kubeconfig(tmp_path / "config", server.url), request_timeout="5s")
        with pytest.raises(SourceError) as caught:
            if subresource == "exec":
                kube.exec_in(API_POD, "c", ["true"])
            else:
                kube.open_stream(API_POD, subresource, [("ports", "15000")], "port-forward to p.ns:15000")
    return str(caught.value).replace(server.url, "URL")


def status_body(message: str, code: int) -> bytes:
    return json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "code": code}).encode()


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        ("403 Forbidden", b"", "RBAC denied: cannot create pods/portforward in namespace ns: forbidden"),
        ("403 Forbidden", status_body("no way", 403), "RBAC denied: cannot create pods/portforward in namespace ns: no way"),
        ("401 Unauthorized", b"", "unauthorized: the API server at URL rejected the credentials (Unauthorized)"),
        ("401 Unauthorized", status_body("token expired", 401), "unauthorized: the API server at URL rejected the credentials (token expired)"),
        ("404 Not Found", b"", "pods/portforward not found in namespace ns"),
        ("404 Not Found", status_body('pods "p" not found', 404), 'pods/portforward not found in namespace ns (pods "p" not found)'),
        ("400 Bad Request", b"", "cannot create pods/portforward in namespace ns: HTTP 400"),
        ("500 Internal Server Error", b"upstream connect error\r\nsecond line", "cannot create pods/portforward in namespace ns: HTTP 500: upstream connect error"),
        ("503 Service Unavailable", b"x" * 300, "cannot create pods/portforward in namespace ns: HTTP 503: " + "x" * 200),
        ("502 Bad Gateway", b'["not", "a status"]', "cannot create pods/portforward in namespace ns: HTTP 502"),
        ("500 Internal Server Error", b'{"kind": "Status", "code": 500}', "cannot create pods/portforward in namespace ns: HTTP 500"),
    ],
)
def test_a_refused_port_forward_is_the_status_in_one_line(tmp_path, status, body, error):
    assert refused_with(tmp_path, status, body) == error


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        ("403 Forbidden", b"", "RBAC denied: cannot create pods/exec in namespace ns: forbidden"),
        ("401 Unauthorized", status_body("token expired", 401), "unauthorized: the API server at URL rejected the credentials (token expired)"),
        ("500 Internal Server Error", "caf\u00e9 down".encode("latin-1"), "cannot create pods/exec in namespace ns: HTTP 500: caf\ufffd down"),
    ],
)
def test_a_refused_exec_is_the_status_in_one_line(tmp_path, status, body, error):
    assert refused_with(tmp_path, status, body, "exec") == error


def test_the_upgrade_request_names_the_pod_under_the_servers_path_with_the_kubeconfigs_headers(tmp_path):
    from helpers.slowserver import SlowServer

    heads = []

    def answer(conn, deadline, request):
        heads.append(request.decode())
        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    pod = {"metadata": {"name": "a b", "namespace": "n?s"}}
    with SlowServer(answer) as server:
        path = kubeconfig(tmp_path / "config", f"{server.url}/k8s/clusters/c-1/", user={"token": "t0k"})
        kube = client(path, request_timeout="5s", as_user="bob")
        with pytest.raises(SourceError):
            kube.open_stream(pod, "portforward", [("ports", "15000")], "pf")
        with pytest.raises(SourceError):
            kube.exec_in(pod, "c", ["pilot-agent", "request", "GET", "a b"])
    stream, exec_ = (head.split("\r\n") for head in heads)
    assert stream[0] == "GET /k8s/clusters/c-1/api/v1/namespaces/n%3Fs/pods/a%20b/portforward?ports=15000 HTTP/1.1"
    assert exec_[0] == ("GET /k8s/clusters/c-1/api/v1/namespaces/n%3Fs/pods/a%20b/exec?command=pilot-agent&command=request&command=GET"
                        "&command=a+b&container=c&stderr=true&stdin=false&stdout=true&tty=false HTTP/1.1")  # fmt: skip
    for head in (stream, exec_):
        headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in head[1:] if ":" in line}
        assert headers["authorization"] == "Bearer t0k" and headers["impersonate-user"] == "bob"
        assert [p.strip() for p in headers["sec-websocket-protocol"].split(",")] == ["v5.channel.k8s.io", "v4.channel.k8s.io"]
    assert "User-Agent: meshctl" in stream
    assert f"Host: 127.0.0.1:{server.port}" in stream and f"Host: 127.0.0.1:{server.port}" in exec_  # no brackets but for IPv6


def test_an_exec_upgrade_without_an_answer_ends_at_the_connect_timeout(tmp_path, monkeypatch):
    """websocket-client reads the upgrade's answer with the connect timeout (CONNECT_TIMEOUT, here 0.3 s),
    well before a long --request-timeout."""
    import time

    from meshctl.sources import kube as kube_module

    from helpers.slowserver import SlowServer

    monkeypatch.setattr(kube_module, "CONNECT_TIMEOUT", 0.3)
    with SlowServer(lambda conn, deadline, request: time.sleep(20)) as server:
        kube = client(kubeconfig(tmp_path / "config", server.url), request_timeout="60s")
        started = time.monotonic()
        with pytest.raises(ExecFailed) as caught:
            kube.exec_in(API_POD, "c", ["true"])
        waited = time.monotonic() - started
    assert str(caught.value) == f"exec true in p.ns/c: cannot reach the API server at {server.url}: Connection timed out"
    assert waited < 15
