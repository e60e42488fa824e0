"""The real kubectl (the protocol referee) against the fake: get, errors, exec and port-forward.

If the fake drifts from what kube-apiserver/kubelet speak, kubectl fails here.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import time

import pytest

from fakekube import ExecResult, FakeKube, http_target, injector_webhook, istio_pod, pod, trickle, workload
from helpers.kubectl import kubectl, port_forward

pytestmark = [pytest.mark.kube, pytest.mark.kubectl]  # the kubectl marker requires kubectl on PATH


@pytest.fixture
def bookinfo(fake_kube):
    """Two namespaces of Istio-shaped workloads plus one pod without a sidecar."""
    pods = workload(fake_kube, "reviews", "bookinfo", replicas=2)
    pods += workload(fake_kube, "ratings", "bookinfo", replicas=1)
    fake_kube.add(istio_pod("productpage-v1-5f9b", "default", app="productpage"),
                  pod("plain", "default", labels={"app": "plain"}))
    return pods


def _names(stdout: bytes) -> list[str]:
    return stdout.decode().split()


def test_get_pods_json_is_exactly_the_stored_objects(fake_kube, bookinfo):
    result = kubectl(fake_kube, "get", "pods", "-n", "bookinfo", "-o", "json")

    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)["items"]
    stored = [fake_kube.store.find("pods", p["metadata"]["name"], "bookinfo") for p in bookinfo]
    assert items == sorted(stored, key=lambda o: o["metadata"]["name"])


def test_get_with_label_selectors_and_all_namespaces(fake_kube, bookinfo):
    reviews = sorted(p["metadata"]["name"] for p in bookinfo if p["metadata"]["labels"]["app"] == "reviews")

    by_label = kubectl(fake_kube, "get", "pods", "-n", "bookinfo", "-l", "app=reviews", "-o", "name")
    set_based = kubectl(fake_kube, "get", "pods", "-A", "-l", "app in (reviews,productpage)", "-o",
                        "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}")
    no_sidecar = kubectl(fake_kube, "get", "pods", "-A", "-l", "!istio.io/rev", "-o", "name")
    by_field = kubectl(fake_kube, "get", "pods", "-A", "--field-selector", "metadata.namespace=default", "-o", "name")

    assert _names(by_label.stdout) == [f"pod/{n}" for n in reviews]
    assert _names(set_based.stdout) == [f"bookinfo/{n}" for n in reviews] + ["default/productpage-v1-5f9b"]
    assert _names(no_sidecar.stdout) == ["pod/plain"]
    assert _names(by_field.stdout) == ["pod/plain", "pod/productpage-v1-5f9b"]


def test_get_pods_human_output_uses_the_server_side_table(fake_kube, bookinfo):
    fake_kube.add(istio_pod("notready-1", "default", ready=False), pod("pending-1", "default", phase="Pending"))

    pods = kubectl(fake_kube, "get", "pods", "-n", "default")
    deployments = kubectl(fake_kube, "get", "deploy", "-n", "bookinfo")  # no Table: kubectl computes AGE itself

    lines = [line.split() for line in pods.stdout.decode().splitlines()]
    assert lines[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    rows = {line[0]: line[1:4] for line in lines[1:]}
    assert rows == {"notready-1": ["0/2", "Running", "0"], "pending-1": ["0/1", "Pending", "0"],
                    "plain": ["1/1", "Running", "0"], "productpage-v1-5f9b": ["2/2", "Running", "0"]}
    client_side_age = deployments.stdout.decode().splitlines()[1].split()[-1]
    assert {line[4] for line in lines[1:]} == {client_side_age}


def test_get_workloads_and_webhooks_by_short_names(fake_kube, bookinfo):
    fake_kube.add(injector_webhook("canary"))

    deployments = kubectl(fake_kube, "get", "deploy", "-n", "bookinfo", "-o", "name")
    replicasets = kubectl(fake_kube, "get", "rs", "-n", "bookinfo", "-o", "json")
    hooks = kubectl(fake_kube, "get", "mutatingwebhookconfigurations", "-o", "name")

    assert _names(deployments.stdout) == ["deployment.apps/ratings", "deployment.apps/reviews"]
    owners = {rs["metadata"]["ownerReferences"][0]["name"] for rs in json.loads(replicasets.stdout)["items"]}
    assert owners == {"ratings", "reviews"}
    assert _names(hooks.stdout) == ["mutatingwebhookconfiguration.admissionregistration.k8s.io/"
                                    "istio-sidecar-injector-canary"]


@pytest.mark.parametrize("aggregated", [True, False], ids=["aggregated-discovery", "legacy-discovery"])
def test_discovery_both_ways(fake_kube, bookinfo, aggregated):
    fake_kube.aggregated_discovery = aggregated

    result = kubectl(fake_kube, "get", "po,deploy,mwc", "-A", "-o", "name")

    assert result.returncode == 0, result.stderr
    assert "deployment.apps/reviews" in result.stdout.decode().split()
    paths = [r.path for r in fake_kube.requests_for(verb="discovery") if r.path != "/version"]
    if aggregated:  # two documents describe every group (KEP-3352)
        assert sorted(paths) == ["/api", "/apis"]
    else:
        assert {"/api/v1", "/apis/apps/v1", "/apis/admissionregistration.k8s.io/v1"} <= set(paths)


def test_get_missing_pod_says_not_found(fake_kube, bookinfo):
    result = kubectl(fake_kube, "get", "pod", "missing")

    assert result.returncode == 1
    assert result.stderr.decode() == 'Error from server (NotFound): pods "missing" not found\n'


def test_rbac_denial_message(fake_kube, bookinfo):
    fake_kube.user = "system:serviceaccount:ci:meshctl"
    fake_kube.deny("list", "pods", namespace="bookinfo")

    denied = kubectl(fake_kube, "get", "pods", "-n", "bookinfo")
    impersonated = kubectl(fake_kube, "get", "pods", "-n", "bookinfo", "--as", "jane")
    allowed = kubectl(fake_kube, "get", "pods", "-n", "default", "-o", "name")

    assert denied.returncode == 1
    assert denied.stderr.decode() == (
        'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:ci:meshctl" cannot list '
        'resource "pods" in API group "" in the namespace "bookinfo"\n')
    assert 'User "jane" cannot list resource "pods"' in impersonated.stderr.decode()
    assert allowed.returncode == 0


def test_https_with_a_token_and_unauthorized_when_it_is_rotated(tmp_path):
    # client-go sends bearer tokens only over TLS, so this needs the HTTPS mode.
    with FakeKube(tls=True, token="s3cret", workdir=tmp_path) as kube:
        kube.add(pod("plain"))
        accepted = kubectl(kube, "get", "pods", "-o", "name", cache="cache-ok")
        kube.token = "rotated"
        rejected = kubectl(kube, "get", "pods", cache="cache-rejected")

    assert (accepted.returncode, accepted.stdout) == (0, b"pod/plain\n"), accepted.stderr
    assert rejected.returncode == 1
    # Discovery is the first request, and that is how kubectl words a 401 there.
    assert rejected.stderr.decode().endswith(
        "error: You must be logged in to the server (the server has asked for the client to provide credentials)\n")


# kubectl 1.32 execs over websocket v5 and falls back to SPDY; the variable forces SPDY.
EXEC_TRANSPORTS = pytest.mark.parametrize(
    ("exec_env", "protocol"),
    [({}, "v5.channel.k8s.io"), ({"KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"}, "SPDY/3.1 v4.channel.k8s.io")],
    ids=["websocket", "spdy"],
)


@EXEC_TRANSPORTS
def test_exec_stdout(fake_kube, bookinfo, exec_env, protocol):
    pod_name = bookinfo[0]["metadata"]["name"]
    fake_kube.on_exec(["pilot-agent", "request", "GET"], lambda req: f"{req.container}:{req.argv[3]}\n")

    result = kubectl(fake_kube, "exec", pod_name, "-n", "bookinfo", "-c", "istio-proxy", "--",
                     "pilot-agent", "request", "GET", "server_info", env=exec_env)

    assert (result.returncode, result.stdout, result.stderr) == (0, b"istio-proxy:server_info\n", b"")
    assert [r.protocol for r in fake_kube.requests_for(subresource="exec")] == [protocol]


@EXEC_TRANSPORTS
def test_exec_output_streamed_as_the_command_writes_it(fake_kube, bookinfo, exec_env, protocol):
    # the hostile tests' trickling command (fakekube.trickle), here for 1.2 s: kubectl reads each frame
    pod_name = bookinfo[0]["metadata"]["name"]
    fake_kube.on_exec(["pilot-agent", "request", "GET"], trickle(b"tick\n", every=0.3, limit=1.2))
    arrivals = []
    with subprocess.Popen(["kubectl", f"--cache-dir={fake_kube.kubeconfig_path.parent / 'kubectl-cache'}", "exec",
                           pod_name, "-n", "bookinfo", "-c", "istio-proxy", "--", "pilot-agent", "request", "GET", "x"],
                          stdout=subprocess.PIPE, env={**os.environ, **fake_kube.env(), **exec_env}) as proc:  # fmt: skip
        started = time.monotonic()
        for line in proc.stdout:
            arrivals.append((line, time.monotonic() - started))
    assert proc.returncode == 0 and {line for line, _ in arrivals} == {b"tick\n"} and 3 <= len(arrivals) <= 5
    assert arrivals[-1][1] - arrivals[0][1] >= 0.5  # frame by frame, not all at the end


@EXEC_TRANSPORTS
def test_exec_exit_code_and_stderr(fake_kube, bookinfo, exec_env, protocol):
    pod_name = bookinfo[0]["metadata"]["name"]
    fake_kube.on_exec(["sh", "-c"], lambda req: ExecResult(stdout="out\n", stderr="err\n", exit_code=7))

    result = kubectl(fake_kube, "exec", pod_name, "-n", "bookinfo", "-c", "istio-proxy", "--", "sh", "-c", "x",
                     env=exec_env)

    assert result.returncode == 7
    assert result.stdout == b"out\n"
    assert result.stderr == b"err\ncommand terminated with exit code 7\n"


@EXEC_TRANSPORTS
def test_exec_stdin_reaches_the_handler(fake_kube, bookinfo, exec_env, protocol):
    pod_name = bookinfo[0]["metadata"]["name"]
    fake_kube.on_exec(["wc", "-c"], lambda req: f"{len(req.read_stdin())}\n")

    result = kubectl(fake_kube, "exec", "-i", pod_name, "-n", "bookinfo", "-c", "istio-proxy", "--", "wc", "-c",
                     stdin=b"x" * 100_000, env=exec_env)

    assert (result.returncode, result.stdout) == (0, b"100000\n")


def test_exec_missing_binary_and_bad_container(fake_kube, bookinfo):
    pod_name = bookinfo[0]["metadata"]["name"]

    missing = kubectl(fake_kube, "exec", pod_name, "-n", "bookinfo", "-c", "istio-proxy", "--", "nosuch")
    bad_container = kubectl(fake_kube, "exec", pod_name, "-n", "bookinfo", "-c", "nope", "--", "true")

    assert missing.returncode == 1
    assert 'exec: "nosuch": executable file not found in $PATH' in missing.stderr.decode()
    assert bad_container.returncode == 1
    assert f"container nope is not valid for pod {pod_name}" in bad_container.stderr.decode()


@EXEC_TRANSPORTS
def test_exec_into_a_pod_that_is_not_running(fake_kube, exec_env, protocol):
    fake_kube.add(istio_pod("starting-1", "default", phase="Pending"))

    result = kubectl(fake_kube, "exec", "starting-1", "-c", "istio-proxy", "--", "true", env=exec_env)

    assert result.returncode == 1
    assert result.stderr == b'error: unable to upgrade connection: container not found ("istio-proxy")\n'


def _http_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


_TWO_REQUESTS = (b"GET /server_info HTTP/1.1\r\nHost: x\r\n\r\n"
                 b"GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")


@pytest.mark.parametrize("websockets", [True, False], ids=["spdy-over-websocket", "spdy"])
def test_port_forward_carries_bytes_both_ways(fake_kube, bookinfo, websockets):
    pod_name = bookinfo[0]["metadata"]["name"]
    big = b"{" + b'"x": "' + b"y" * 3_000_000 + b'"}'
    with http_target({"/server_info": big, "/ready": b"LIVE\n"}) as target:
        fake_kube.forward_port(15000, target)
        with port_forward(fake_kube, pod_name, "bookinfo", 15000, websockets=websockets) as (local, _):
            first = _http_exchange(local, _TWO_REQUESTS)
            second = _http_exchange(local, b"GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    assert big in first
    assert first.endswith(b"\r\n\r\nLIVE\n")
    assert second.endswith(b"\r\n\r\nLIVE\n")
    expected = "SPDY/3.1+portforward.k8s.io" if websockets else "SPDY/3.1 portforward.k8s.io"
    assert [r.protocol for r in fake_kube.requests_for(subresource="portforward")] == [expected]


def test_port_forward_to_a_closed_port_shows_the_kubelet_error(fake_kube, bookinfo):
    pod_name = bookinfo[0]["metadata"]["name"]

    with port_forward(fake_kube, pod_name, "bookinfo", 15000) as (local, proc):
        assert _http_exchange(local, b"GET / HTTP/1.1\r\n\r\n") == b""
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)

    assert "error forwarding port 15000 to pod" in stderr.decode()
    assert "connect: connection refused" in stderr.decode()


def test_port_forward_refused_upgrade_fails_after_the_spdy_fallback(fake_kube, bookinfo):
    pod_name = bookinfo[0]["metadata"]["name"]
    fake_kube.refuse_port_forward("upgrade")

    result = kubectl(fake_kube, "port-forward", "-n", "bookinfo", f"pod/{pod_name}", ":15000")

    assert result.returncode == 1
    assert result.stderr == b"error: error upgrading connection: Upgrade request required\n"
    # kubectl tried the websocket tunnel first, then fell back to plain SPDY (client-go FallbackDialer).
    assert [(r.method, r.code) for r in fake_kube.requests_for(subresource="portforward")] == [
        ("GET", 400), ("POST", 400)]


@pytest.mark.envoy
def test_port_forward_and_exec_reach_the_real_envoy_rig(fake_kube, bookinfo, envoy_rig):
    pod_name = bookinfo[0]["metadata"]["name"]
    fake_kube.back_sidecar(("127.0.0.1", envoy_rig.admin_port), run_dir=envoy_rig.run_dir)

    with port_forward(fake_kube, pod_name, "bookinfo", 15000) as (local, _):
        conn = http.client.HTTPConnection("127.0.0.1", local, timeout=20)
        conn.request("GET", "/server_info")
        info = conn.getresponse().read()
        conn.close()
    dump = kubectl(fake_kube, "exec", pod_name, "-n", "bookinfo", "-c", "istio-proxy", "--",
                   "pilot-agent", "request", "GET", "config_dump")
    bootstrap = kubectl(fake_kube, "exec", pod_name, "-n", "bookinfo", "-c", "istio-proxy", "--",
                        "cat", "/etc/istio/proxy/envoy-rev.json")

    assert json.loads(info)["state"] == "LIVE"
    assert json.loads(dump.stdout)["configs"][0]["@type"].endswith("BootstrapConfigDump")
    assert json.loads(bootstrap.stdout) == json.loads((envoy_rig.run_dir / "etc/istio/proxy/envoy-rev.json").read_text())


# ---- custom resources (Istio and Gateway API CRDs installed by default) ----------------------------
@pytest.fixture
def istio_config(fake_kube):
    """VirtualServices written at two versions, a PeerAuthentication, a Gateway API waypoint."""
    from fakekube import custom_object

    return [fake_kube.add(obj) for obj in (
        custom_object("networking.istio.io/v1", "VirtualService", "reviews", "bookinfo",
                      spec={"hosts": ["reviews"], "gateways": ["mesh"]}, labels={"app": "reviews"}),
        custom_object("networking.istio.io/v1alpha3", "VirtualService", "ratings", "bookinfo",
                      spec={"hosts": ["ratings"]}, labels={"app": "ratings"}),
        custom_object("networking.istio.io/v1", "VirtualService", "ingress", "istio-system",
                      spec={"hosts": ["*"], "gateways": ["istio-system/ingress"]}),
        custom_object("security.istio.io/v1", "PeerAuthentication", "default", "istio-system",
                      spec={"mtls": {"mode": "STRICT"}}),
        custom_object("gateway.networking.k8s.io/v1", "Gateway", "waypoint", "bookinfo",
                      spec={"gatewayClassName": "istio-waypoint"},
                      status={"addresses": [{"value": "10.0.0.9"}], "conditions": [
                          {"type": "Programmed", "status": "True"}]}),
    )]


def _rows(stdout: bytes) -> list[list[str]]:
    return [line.split() for line in stdout.decode().splitlines()]


def test_api_resources_lists_the_custom_kinds_at_their_preferred_version(fake_kube):
    result = kubectl(fake_kube, "api-resources")
    security = kubectl(fake_kube, "api-resources", "--api-group=security.istio.io", "-o", "name")

    assert result.returncode == 0, result.stderr
    rows = {(row[0], row[-3]): row for row in _rows(result.stdout)[1:]}
    assert rows[("virtualservices", "networking.istio.io/v1")] == [
        "virtualservices", "vs", "networking.istio.io/v1", "true", "VirtualService"]
    assert rows[("envoyfilters", "networking.istio.io/v1alpha3")][1:] == [
        "networking.istio.io/v1alpha3", "true", "EnvoyFilter"]
    assert rows[("gateways", "networking.istio.io/v1")][1] == "gw"
    assert rows[("gateways", "gateway.networking.k8s.io/v1")][1] == "gtw"
    assert rows[("gatewayclasses", "gateway.networking.k8s.io/v1")][3] == "false"
    assert rows[("customresourcedefinitions", "apiextensions.k8s.io/v1")][1] == "crd,crds"
    assert _names(security.stdout) == ["authorizationpolicies.security.istio.io",
                                       "peerauthentications.security.istio.io",
                                       "requestauthentications.security.istio.io"]


@pytest.mark.parametrize("aggregated", [True, False], ids=["aggregated-discovery", "legacy-discovery"])
def test_get_custom_resources_json_is_the_stored_objects_at_the_preferred_version(fake_kube, istio_config,
                                                                                   aggregated):
    fake_kube.aggregated_discovery = aggregated

    result = kubectl(fake_kube, "get", "virtualservices", "-A", "-o", "json")

    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)["items"]
    stored = [o for o in istio_config if o["kind"] == "VirtualService"]
    # etcd order (namespace, name), every item converted to v1, the version kubectl prefers.
    expected = sorted(stored, key=lambda o: (o["metadata"]["namespace"], o["metadata"]["name"]))
    assert items == [{**o, "apiVersion": "networking.istio.io/v1"} for o in expected]


def test_get_custom_resources_by_short_name_label_and_version(fake_kube, istio_config):
    by_label = kubectl(fake_kube, "get", "vs", "-n", "bookinfo", "-l", "app in (reviews)", "-o", "name")
    at_alpha = kubectl(fake_kube, "get", "virtualservices.v1alpha3.networking.istio.io", "reviews", "-n",
                       "bookinfo", "-o", "jsonpath={.apiVersion} {.spec.hosts[0]}")
    by_category = kubectl(fake_kube, "get", "istio-io", "-A", "-o", "name")
    crds = kubectl(fake_kube, "get", "crd", "-o", "name")

    assert _names(by_label.stdout) == ["virtualservice.networking.istio.io/reviews"]
    assert at_alpha.stdout == b"networking.istio.io/v1alpha3 reviews"
    assert _names(by_category.stdout) == [
        "virtualservice.networking.istio.io/ratings", "virtualservice.networking.istio.io/reviews",
        "virtualservice.networking.istio.io/ingress", "peerauthentication.security.istio.io/default"]
    assert "customresourcedefinition.apiextensions.k8s.io/virtualservices.networking.istio.io" in _names(crds.stdout)


def test_get_custom_resources_human_output_uses_the_printer_columns(fake_kube, istio_config):
    routes = kubectl(fake_kube, "get", "vs", "-A")
    waypoints = kubectl(fake_kube, "get", "gtw", "-A")
    istio_gateways = kubectl(fake_kube, "get", "gateways.networking.istio.io", "-A")
    policies = kubectl(fake_kube, "get", "pa", "-n", "istio-system")

    lines = routes.stdout.decode().splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "GATEWAYS", "HOSTS", "AGE"]
    # A missing column value is an empty cell; arrays print as JSON.
    assert lines[1].split()[:3] == ["bookinfo", "ratings", '["ratings"]']
    assert lines[1][lines[0].index("GATEWAYS"):lines[0].index("HOSTS")].strip() == ""
    assert lines[2].split()[:4] == ["bookinfo", "reviews", '["mesh"]', '["reviews"]']
    assert _rows(waypoints.stdout)[0] == ["NAMESPACE", "NAME", "CLASS", "ADDRESS", "PROGRAMMED", "AGE"]
    assert _rows(waypoints.stdout)[1][:5] == ["bookinfo", "waypoint", "istio-waypoint", "10.0.0.9", "True"]
    # Same plural, other group: Istio's Gateway CRD has no printer columns, so only the default Age.
    assert (istio_gateways.returncode, istio_gateways.stdout, istio_gateways.stderr) == (
        0, b"", b"No resources found\n")
    assert _rows(policies.stdout) == [["NAME", "MODE", "AGE"], ["default", "STRICT", _rows(policies.stdout)[1][2]]]


def test_get_missing_custom_resource_says_not_found(fake_kube, istio_config):
    missing = kubectl(fake_kube, "get", "dr", "nosuch", "-n", "bookinfo")
    empty = kubectl(fake_kube, "get", "dr", "-n", "bookinfo")

    assert (missing.returncode, missing.stderr.decode()) == (
        1, 'Error from server (NotFound): destinationrules.networking.istio.io "nosuch" not found\n')
    assert (empty.returncode, empty.stderr.decode()) == (0, "No resources found in bookinfo namespace.\n")


def test_rbac_denial_of_a_custom_resource(fake_kube, istio_config):
    fake_kube.deny("list", "authorizationpolicies")

    denied = kubectl(fake_kube, "get", "ap", "-A")

    assert denied.returncode == 1
    assert denied.stderr.decode() == (
        'Error from server (Forbidden): authorizationpolicies.security.istio.io is forbidden: User '
        '"kubernetes-admin" cannot list resource "authorizationpolicies" in API group "security.istio.io" '
        'at the cluster scope\n')
