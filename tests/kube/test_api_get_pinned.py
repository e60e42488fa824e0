"""`KubeClient.get` pinned: the request it sends, the answers it takes (2xx JSON), each refusal and failure
as one exact line, and the size bound at its edge (`_read_limited`: a Content-Length over the bound is
refused before the body is read; a body without one is cut at the bound).
"""

from __future__ import annotations

import json

import pytest

from meshctl.errors import SourceError
from meshctl.model.limits import LimitExceeded
from meshctl.model.options import KubeOptions
from meshctl.sources.kube import KubeClient, status_message

from helpers.slowserver import SlowServer, close_delimited, whole

WHAT = "the API server's answer to list pods"


def client_of(server: SlowServer, tmp_path, path: str = "", **options) -> KubeClient:
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "ctx",
        "clusters": [{"name": "c", "cluster": {"server": server.url + path}}],
        "users": [{"name": "u", "user": {"token": "t0k"}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u", "namespace": "ns"}}],
    }  # fmt: skip
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps(config))
    return KubeClient(KubeOptions(kubeconfig=str(kubeconfig), request_timeout="5s", **options))


def test_the_request_is_a_get_under_the_servers_path_with_the_query_and_headers(tmp_path):
    heads = []

    def answer(conn, deadline, request):
        heads.append(request.decode())
        whole("200 OK", b'{"items": [{"metadata": {"name": "p"}}]}')(conn, deadline, request)

    with SlowServer(answer) as server:
        kube = client_of(server, tmp_path, "/k8s/clusters/c-1", as_user="bob")
        assert kube.list("/api/v1", "pods", "ns", "app=x,tier in (a,b)") == [{"metadata": {"name": "p"}}]
        assert kube.list("/api/v1", "pods") == [{"metadata": {"name": "p"}}]
    first, second = (head.split("\r\n") for head in heads)
    assert first[0] == "GET /k8s/clusters/c-1/api/v1/namespaces/ns/pods?labelSelector=app%3Dx%2Ctier+in+%28a%2Cb%29 HTTP/1.1"
    assert second[0] == "GET /k8s/clusters/c-1/api/v1/pods HTTP/1.1"
    headers = dict(line.split(": ", 1) for line in first[1:] if ": " in line)
    assert (headers["Accept"], headers["User-Agent"], headers["Authorization"], headers["Impersonate-User"]) == (
        "application/json", "meshctl", "Bearer t0k", "bob")  # fmt: skip


@pytest.mark.parametrize("status", ["200 OK", "203 Non-Authoritative Information", "299 Whatever"])
def test_every_2xx_answer_is_taken(tmp_path, status):
    with SlowServer(whole(status, b'{"items": [1]}')) as server:
        assert client_of(server, tmp_path).list("/api/v1", "pods", "ns") == [1]


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        ("300 Multiple Choices", b"{}", "cannot list pods in namespace ns: HTTP 300"),
        ("403 Forbidden", b'{"message": "pods is forbidden"}', "RBAC denied: cannot list pods in namespace ns: pods is forbidden"),
        ("404 Not Found", b"", "pods not found in namespace ns"),
        ("500 Internal Server Error", b"etcd down\n", "cannot list pods in namespace ns: HTTP 500: etcd down"),
    ],
)
def test_a_refused_read_is_one_line(tmp_path, status, body, error):
    with SlowServer(whole(status, body)) as server:
        with pytest.raises(SourceError) as caught:
            client_of(server, tmp_path).list("/api/v1", "pods", "ns")
    assert str(caught.value) == error


def test_a_404_says_what_was_not_found(tmp_path):
    with SlowServer(whole("404 Not Found", b'{"message": "pods \\"p\\" not found"}')) as server:
        with pytest.raises(SourceError) as caught:
            client_of(server, tmp_path).read("/api/v1", "pods", "p", "ns")
    assert str(caught.value) == "pod p not found in namespace ns"


def test_an_answer_that_is_not_json_is_one_line(tmp_path):
    with SlowServer(whole("200 OK", b"<html>login</html>", "text/html")) as server:
        with pytest.raises(SourceError) as caught:
            client_of(server, tmp_path).list("/api/v1", "pods", "ns")
    assert str(caught.value) == f"the API server at {server.url} answered /api/v1/namespaces/ns/pods with non-JSON data"


def test_a_connection_closed_without_an_answer_is_one_line(tmp_path):
    with SlowServer(lambda conn, deadline, request: None) as server:
        with pytest.raises(SourceError) as caught:
            client_of(server, tmp_path).list("/api/v1", "pods", "ns")
    assert str(caught.value) == f"cannot reach the API server at {server.url}: Remote end closed connection without response"


BODY = b'{"items": []}'  # 13 bytes


def test_a_body_of_exactly_the_bound_is_read(tmp_path):
    with SlowServer(whole("200 OK", BODY)) as server:
        assert client_of(server, tmp_path, max_body_size=str(len(BODY))).list("/api/v1", "pods", "ns") == []
    with SlowServer(close_delimited(BODY)) as server:
        assert client_of(server, tmp_path, max_body_size=str(len(BODY))).list("/api/v1", "pods", "ns") == []


@pytest.mark.parametrize("framing", ["content-length", "close-delimited"])
def test_a_body_one_byte_over_the_bound_is_refused(tmp_path, framing):
    answer = whole("200 OK", BODY) if framing == "content-length" else close_delimited(BODY)
    with SlowServer(answer) as server:
        with pytest.raises(LimitExceeded) as caught:
            client_of(server, tmp_path, max_body_size=str(len(BODY) - 1)).list("/api/v1", "pods", "ns")
    assert str(caught.value) == f"{WHAT} is larger than 12 bytes, the limit --max-body-size sets (raise it to read more)"


def test_a_content_length_over_the_bound_is_refused_before_the_body(tmp_path):
    # a Content-Length of 1 TB and no body: refused at once, not after waiting for a body that never comes
    def answer(conn, deadline, request):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n{")
        conn.recv(1)  # until the client gives up

    with SlowServer(answer) as server:
        with pytest.raises(LimitExceeded) as caught:
            client_of(server, tmp_path, max_body_size="1Mi").list("/api/v1", "pods", "ns")
    assert str(caught.value) == f"{WHAT} is larger than 1Mi, the limit --max-body-size sets (raise it to read more)"


def test_a_body_bigger_than_a_read_is_read_whole(tmp_path):
    items = [{"metadata": {"name": f"pod-{index}", "pad": "x" * 200}} for index in range(12000)]  # ~2.8 MB: several reads
    body = json.dumps({"items": items}).encode()
    with SlowServer(close_delimited(body)) as server:
        assert client_of(server, tmp_path).list("/api/v1", "pods", "ns") == items


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", ""),
        ("", ""),
        (None, ""),
        (b'{"message": "caf\xc3\xa9"}', "caf\u00e9"),
        ('{"message": 42}', "42"),
        (b'{"reason": "NotFound"}', ""),
        (b"[1, 2]", ""),
        (b"\n  first line\nsecond", "first line"),
        (b"bad \xff byte", "bad \ufffd byte"),
        ("y" * 250, "y" * 200),
    ],
)
def test_status_message(body, message):
    assert status_message(body) == message
