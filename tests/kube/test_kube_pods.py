"""Reaching a pod's Envoy through the fake API server (real HTTP + websocket) and the real Envoy rig.

Every error case asserts the exit code and that the message is one line naming what failed.
"""

from __future__ import annotations

import json

import pytest

from meshctl.archive import layout

from fakekube import http_target, istio_pod, pilot_agent_request, pod
from helpers import call_meshctl

POD = "reviews-v1-abc"
NS = "bookinfo"


def meshctl(kube, *args):
    return call_meshctl(*args, "--kubeconfig", str(kube.kubeconfig_path))


def assert_one_line_error(result, code: int, *fragments: str):
    assert result.exit_code == code, result
    assert result.stdout == ""
    assert result.stderr.startswith("meshctl: error: ") and result.stderr.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@pytest.fixture
def sidecar(fake_kube, envoy_rig):
    """A sidecar pod whose admin port is the real Envoy rig (port-forward bridged by the fake)."""
    fake_kube.add(istio_pod(POD, NS))
    fake_kube.forward_port(15000, ("127.0.0.1", envoy_rig.admin_port))
    return fake_kube


@pytest.mark.kube
@pytest.mark.envoy
def test_pc_views_through_port_forward_equal_the_dump_read_directly(sidecar, envoy_rig, tmp_path):
    dump = tmp_path / "config_dump.json"
    dump.write_bytes(envoy_rig.admin().fetch("config_dump"))
    for view in (["cluster"], ["listener"], ["route", "-o", "json"], ["secret"]):
        direct = call_meshctl("pc", *view, "-f", str(dump))
        via_pod = meshctl(sidecar, "pc", *view, f"{POD}.{NS}", "-v")
        assert direct.exit_code == 0 and via_pod.exit_code == 0, via_pod
        if view[0] != "secret":  # secrets carry the rotating cert's times; compare their names below
            assert via_pod.stdout == direct.stdout
        assert f"meshctl: port-forward to {POD}.{NS}:15000: /config_dump" in via_pod.stderr
    assert "ROOTCA" in via_pod.stdout
    forwards = sidecar.requests_for(verb="create", subresource="portforward")
    assert forwards and {r.protocol for r in forwards} <= {"v4.channel.k8s.io", "v5.channel.k8s.io", "portforward.k8s.io"}
    assert not sidecar.requests_for(subresource="exec")


@pytest.mark.kube
@pytest.mark.envoy
@pytest.mark.parametrize("refusal", ["upgrade", "connect"])
def test_exec_fallback_when_port_forward_fails(sidecar, envoy_rig, refusal, tmp_path):
    sidecar.refuse_port_forward(refusal)
    sidecar.on_exec(["pilot-agent", "request", "GET"], pilot_agent_request(envoy_rig.admin_url), container="istio-proxy")
    dump = tmp_path / "config_dump.json"
    dump.write_bytes(envoy_rig.admin().fetch("config_dump"))
    direct = call_meshctl("pc", "cluster", "-f", str(dump))
    result = meshctl(sidecar, "pc", "cluster", POD, "-n", NS, "-v")
    assert result.exit_code == 0, result
    assert result.stdout == direct.stdout
    assert f"port-forward to {POD}.{NS}:15000 failed" in result.stderr
    assert f"exec pilot-agent request GET in {POD}.{NS}/istio-proxy: /config_dump" in result.stderr
    [exec_request] = sidecar.requests_for(subresource="exec")
    assert exec_request.query["command"] == ["pilot-agent", "request", "GET", "config_dump"]


# What a sidecar's admin API answers to GETs: every path `meshctl snapshot` reads (meshctl.archive.layout).
ADMIN_ANSWERS = {f"/{path}": b"{}" for _, path in layout.PROXY_FETCHES} | {
    "/config_dump?include_eds": b'{"configs": []}', "/server_info": b'{"state": "LIVE"}', "/certs": b'{"certificates": []}'}


def snapshot_execs(pod: str) -> list[tuple[str, list[str]]]:
    """The commands a snapshot runs in `pod` when it reads it by exec: each admin path, the envoy-rev.json cat."""
    return ([(pod, ["pilot-agent", "request", "GET", path]) for _, path in layout.PROXY_FETCHES]
            + [(pod, ["pilot-agent", "request", "POST", path]) for path in layout.PROXY_READS_BY_POST]
            + [(pod, ["cat", layout.ENVOY_REV])])  # fmt: skip


@pytest.mark.kube
@pytest.mark.parametrize("refusal", ["upgrade", "connect"])
def test_after_a_refused_port_forward_a_pod_is_read_by_exec_only(fake_kube, tmp_path, refusal):
    """The exec fallback is sticky per pod: a refusal is not retried for each admin path."""
    pods = ["reviews-v1-abc", "ratings-v1-abc"]
    fake_kube.add(*(istio_pod(name, NS) for name in pods))
    fake_kube.refuse_port_forward(refusal)
    with http_target(ADMIN_ANSWERS) as (host, port):
        fake_kube.on_exec(["pilot-agent", "request"], pilot_agent_request(f"http://{host}:{port}"), container="istio-proxy")
        result = meshctl(fake_kube, "snapshot", "-n", NS, "-o", str(tmp_path / "mesh.tar.gz"))
    assert result.exit_code == 0, result
    # Per pod: the one port-forward meant to stream every path, refused; the first path's own try,
    # refused too; then every admin path by `pilot-agent request`, and `cat envoy-rev.json`.
    forwards = fake_kube.requests_for(subresource="portforward")
    assert sorted(r.name for r in forwards) == sorted(pods * 2)
    commands = [(r.name, r.query["command"][:4]) for r in fake_kube.requests_for(subresource="exec")]
    assert sorted(commands) == sorted(command for name in pods for command in snapshot_execs(name))


@pytest.mark.kube
def test_one_pod_source_tries_port_forward_once(fake_kube):
    from meshctl.model.refs import PodRef
    from meshctl.sources.kube import connect
    from meshctl.sources.pod import PodSource

    fake_kube.add(istio_pod(POD, NS))
    fake_kube.refuse_port_forward("upgrade")
    with http_target(ADMIN_ANSWERS) as (host, port):
        fake_kube.on_exec(["pilot-agent", "request"], pilot_agent_request(f"http://{host}:{port}"), container="istio-proxy")
        source = PodSource(connect({"kubeconfig": str(fake_kube.kubeconfig_path)}), PodRef.parse(POD, NS))
        bodies = [source.fetch(path) for path in ("server_info", "certs", "server_info")]
    assert bodies == [b'{"state": "LIVE"}', b'{"certificates": []}', b'{"state": "LIVE"}']
    assert source.paths_used == ["exec", "exec", "exec"]
    assert len(fake_kube.requests_for(subresource="portforward")) == 1
    assert len(fake_kube.requests_for(subresource="exec")) == 3


@pytest.mark.kube
def test_both_paths_failing_shows_both_reasons(fake_kube):
    fake_kube.add(istio_pod(POD, NS))
    fake_kube.refuse_port_forward("upgrade")
    fake_kube.deny("create", "pods/exec")
    result = meshctl(fake_kube, "pc", "cluster", f"{POD}.{NS}")
    assert_one_line_error(
        result, 69, f"cannot reach istio-proxy in pod {POD}.{NS}: port-forward failed:", "; exec failed: RBAC denied: cannot create pods/exec in namespace bookinfo",
    )  # fmt: skip


@pytest.mark.kube
def test_pod_not_found(fake_kube):
    assert_one_line_error(meshctl(fake_kube, "pc", "cluster", "nope.bookinfo"), 69, "pod nope not found in namespace bookinfo")


@pytest.mark.kube
def test_pod_without_istio_proxy(fake_kube):
    fake_kube.add(pod("web-1", NS))
    assert_one_line_error(meshctl(fake_kube, "pc", "secret", f"web-1.{NS}"), 69, "pod web-1 in namespace bookinfo has no istio-proxy container (containers: app)")


@pytest.mark.kube
def test_rbac_denial_names_verb_and_resource(fake_kube):
    fake_kube.add(istio_pod(POD, NS))
    fake_kube.deny("get", "pods", namespace=NS)
    result = meshctl(fake_kube, "pc", "cluster", f"{POD}.{NS}")
    assert_one_line_error(result, 69, "RBAC denied: cannot get pods in namespace bookinfo", f'pods "{POD}" is forbidden')


@pytest.mark.kube
def test_impersonation_applies_to_reads_and_to_websockets(fake_kube):
    fake_kube.add(istio_pod(POD, NS))
    fake_kube.deny("get", "pods")
    denied = meshctl(fake_kube, "pc", "cluster", f"{POD}.{NS}", "--as", "bob")
    assert_one_line_error(denied, 69, 'User "bob" cannot get resource "pods"')
    fake_kube.allow_all()
    fake_kube.refuse_port_forward("upgrade")
    fake_kube.on_exec(["pilot-agent", "request", "GET"], b'{"configs": []}')
    assert meshctl(fake_kube, "pc", "cluster", f"{POD}.{NS}", "--as", "bob").exit_code == 0
    # the python client's own websocket helper would drop Impersonate-User: ours must not
    assert {r.user for r in fake_kube.requests_for(subresource="portforward")} == {"bob"}
    assert {r.user for r in fake_kube.requests_for(subresource="exec")} == {"bob"}


@pytest.mark.kube
def test_missing_context(fake_kube):
    assert_one_line_error(meshctl(fake_kube, "pc", "cluster", POD, "--context", "prod"), 69, "context 'prod' not found in kubeconfig", "(contexts: fake)")


@pytest.mark.kube
def test_unreachable_api_server(fake_kube, tmp_path):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    config = json.loads(fake_kube.kubeconfig())
    config["clusters"][0]["cluster"]["server"] = f"http://127.0.0.1:{dead}"
    path = tmp_path / "dead.kubeconfig"
    path.write_text(json.dumps(config))
    result = call_meshctl("pc", "cluster", POD, "--kubeconfig", str(path))
    assert_one_line_error(result, 69, f"cannot reach the API server at http://127.0.0.1:{dead}")


@pytest.mark.kube
def test_missing_kubeconfig_and_bad_timeout(fake_kube, tmp_path):
    assert_one_line_error(call_meshctl("pc", "cluster", POD, "--kubeconfig", str(tmp_path / "none")), 66, "does not exist")
    result = meshctl(fake_kube, "pc", "cluster", POD, "--request-timeout", "soon")
    assert_one_line_error(result, 2, "invalid --request-timeout 'soon'")


@pytest.mark.kube
def test_several_kubeconfig_files_and_context_namespace(fake_kube, tmp_path, monkeypatch):
    other = tmp_path / "other.kubeconfig"
    other.write_text(json.dumps({"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}))
    # The fake's context namespace is "default": a bare pod name resolves there.
    fake_kube.add(istio_pod(POD, "default"))
    fake_kube.refuse_port_forward("upgrade")
    fake_kube.on_exec(["pilot-agent", "request", "GET"], b'{"configs": []}')
    monkeypatch.setenv("KUBECONFIG", f"{other}:{fake_kube.kubeconfig_path}")
    result = call_meshctl("pc", "cluster", POD)
    assert result.exit_code == 0, result
    assert [r.namespace for r in fake_kube.requests_for(verb="get", resource="pods")] == ["default"]


@pytest.mark.kube
def test_workload_reference_picks_the_ready_pod(fake_kube):
    deployment = fake_kube.add({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ratings", "namespace": NS},
        "spec": {"selector": {"matchLabels": {"app": "ratings"}}},
    })  # fmt: skip
    assert deployment
    fake_kube.add(istio_pod("ratings-v1-aaa", NS, app="ratings", ready=False))
    fake_kube.add(istio_pod("ratings-v1-bbb", NS, app="ratings"))
    fake_kube.add(istio_pod("reviews-v1-ccc", NS, app="reviews"))
    fake_kube.refuse_port_forward("upgrade")
    fake_kube.on_exec(["pilot-agent", "request", "GET"], b'{"configs": []}')
    result = meshctl(fake_kube, "pc", "cluster", f"deploy/ratings.{NS}")
    assert result.exit_code == 0, result
    assert [r.name for r in fake_kube.requests_for(subresource="exec")] == ["ratings-v1-bbb"]
    [listing] = fake_kube.requests_for(verb="list", resource="pods")
    assert listing.query["labelSelector"] == ["app=ratings"]


@pytest.mark.kube
def test_workload_without_pods(fake_kube):
    fake_kube.add({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": NS},
                   "spec": {"selector": {"matchLabels": {"app": "db"}}}})  # fmt: skip
    assert_one_line_error(meshctl(fake_kube, "pc", "cluster", f"sts/db.{NS}"), 69, "statefulset db in namespace bookinfo selects no pods (selector app=db)")
    assert_one_line_error(meshctl(fake_kube, "pc", "cluster", f"svc/none.{NS}"), 69, "service none not found in namespace bookinfo")


@pytest.mark.kube
def test_exec_failure_reasons_exit_code_and_timeout(fake_kube):
    import time

    from fakekube import ExecResult

    fake_kube.add(istio_pod(POD, NS), istio_pod("slow-1", NS))
    fake_kube.refuse_port_forward("upgrade")
    fake_kube.on_exec(["pilot-agent", "request", "GET"], ExecResult(stderr="Error: received unsuccessful status code 503\n", exit_code=1), pod=POD)
    failed = meshctl(fake_kube, "pc", "cluster", f"{POD}.{NS}")
    assert_one_line_error(failed, 69, "exec failed: exec pilot-agent request GET in reviews-v1-abc.bookinfo/istio-proxy: exit code 1: Error: received unsuccessful status code 503")

    def slow(request):
        time.sleep(2)
        return b"{}"

    fake_kube.on_exec(["pilot-agent", "request", "GET"], slow, pod="slow-1")
    timed_out = meshctl(fake_kube, "pc", "cluster", f"slow-1.{NS}", "--request-timeout", "500ms")
    assert_one_line_error(timed_out, 69, "port-forward failed", "no answer within 0.5s (--request-timeout)")


def test_in_cluster_without_service_account(tmp_path, monkeypatch):
    # No kubeconfig anywhere, but KUBERNETES_SERVICE_HOST says "inside a pod": the in-cluster
    # loader runs and its failure (no service account token here) is one line, exit 69.
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    assert_one_line_error(call_meshctl("pc", "cluster", POD), 69, "in-cluster configuration failed")
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST")
    assert_one_line_error(call_meshctl("pc", "cluster", POD), 69, "no kubeconfig found", "not running in a pod")
