"""Take a snapshot from the fake cluster backed by the real Envoy rig, then prove that commands
print the same with `--snapshot` as live, and that the archive holds what docs/snapshot.md says."""

from __future__ import annotations

import base64
import json
import tarfile

import pytest

from meshctl.archive import layout

from fakekube import configmap, custom_object, injector_webhook, istio_pod, namespace, pod
from fakekube.targets import http_target
from helpers import call_meshctl

pytestmark = [pytest.mark.kube, pytest.mark.envoy]

NS = "bookinfo"
PODS = ("reviews-v1-abc", "ratings-v1-abc")
SYNCZ = [{"cluster_id": "Kubernetes", "proxy": f"{name}.{NS}", "istio_version": "1.24.1", "cluster_sent": "a",
          "cluster_acked": "a", "listener_sent": "b", "listener_acked": "b"} for name in PODS]  # fmt: skip


def meshctl(kube, *args):
    return call_meshctl(*args, "--kubeconfig", str(kube.kubeconfig_path))


def _private_key_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


# Envoy redacts its own keys; these sit where it does not: a ConfigMap value (JSON-escaped PEM in
# the archive) and a pod annotation (base64 PEM). The archive test looks for them.
SEEDED_KEY = _private_key_pem()


@pytest.fixture
def mesh(fake_kube, envoy_rig, tmp_path):
    """Two sidecars backed by the rig's Envoy, an istiod answering /debug/syncz, webhooks, ConfigMaps."""
    fake_kube.add(namespace(NS, {"istio-injection": "enabled"}), namespace("istio-system"), namespace("plain"))
    fake_kube.add(injector_webhook(ca_bundle_pem=envoy_rig.ca.root.cert_pem))
    fake_kube.add(istio_pod(PODS[0], NS), pod("web-1", "plain"),
                  istio_pod(PODS[1], NS, annotations={"example.com/tls-key": base64.b64encode(SEEDED_KEY).decode()}))
    fake_kube.add({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "reviews", "namespace": NS},
                   "spec": {"selector": {"app": "reviews"}, "ports": [{"name": "http", "port": 9080, "targetPort": 9080,
                                                                       "protocol": "TCP"}]}},
                  custom_object("networking.istio.io/v1", "DestinationRule", "reviews", NS,
                                spec={"host": "reviews", "subsets": [{"name": "v1", "labels": {"version": "v1"}}]}))
    fake_kube.add(pod("istiod-7d9c", "istio-system", labels={"app": "istiod", "istio.io/rev": "default"},
                      containers=[{"name": "discovery", "image": "docker.io/istio/pilot:1.24.1"}]))  # fmt: skip
    fake_kube.add(configmap("istio-ca-root-cert", NS, {"root-cert.pem": envoy_rig.ca.root.cert_pem.decode()}),
                  configmap("istio", "istio-system", {"mesh": "trustDomain: cluster.local\n", "tls.key": SEEDED_KEY.decode()}),
                  configmap("istio-sidecar-injector", "istio-system", {"values": "{}", "config": "policy: enabled\n"}),
                  configmap("unrelated", "istio-system", {"x": "y"}))  # fmt: skip
    fake_kube.back_sidecar(("127.0.0.1", envoy_rig.admin_port), run_dir=envoy_rig.run_dir)
    with http_target({"/debug/syncz": json.dumps(SYNCZ).encode(), "/version": b"1.24.1-x-Clean"}) as target:
        fake_kube.forward_port(15014, target, pod="istiod-7d9c")
        result = meshctl(fake_kube, "snapshot", "-n", NS, "-o", str(tmp_path / "mesh.tar.gz"))
        assert result.exit_code == 0, result
        yield fake_kube, tmp_path / "mesh.tar.gz", result


LIVE_VS_SNAPSHOT = [
    ("pc", "cluster", f"{PODS[0]}.{NS}"),
    ("pc", "cluster", PODS[1], "-o", "json"),
    ("pc", "cluster", PODS[0], "-o", "wide"),
    ("pc", "listener", PODS[0]),
    ("pc", "listener", PODS[0], "-o", "yaml", "--raw"),
    ("pc", "route", PODS[0], "-o", "json"),
    ("pc", "endpoint", PODS[0]),
    ("pc", "secret", PODS[0], "-o", "json"),
    ("pc", "tls", PODS[0]),
    ("pc", "ecds", PODS[0]),
    ("pc", "all", PODS[0], "-o", "json"),
    ("pc", "bootstrap", PODS[0], "-o", "json"),
    ("bootstrap", PODS[0]),
    ("bootstrap", PODS[0], "-o", "json"),
    ("webhooks",),
    ("webhooks", "--pod", f"{PODS[0]}.{NS}", "-o", "json"),
    ("proxy-status",),
    ("proxy-status", f"{PODS[1]}.{NS}", "-o", "wide"),
    ("pc", "cluster", "nosuchpod"),  # errors are the same too
    ("rootca-compare", PODS[0], PODS[1]),
    ("rootca-compare", PODS[0], "--configmap"),
    ("explain", "mtls", PODS[0], PODS[1]),
    ("check", "-o", "json"),
    ("inject-preview", PODS[0]),
    ("version",),
    ("version", "-o", "json"),
    ("check-inject", PODS[0]),
    ("describe", "pod", PODS[0]),
    ("describe", "svc", "reviews", "-o", "json"),
    ("pc", "log", PODS[0]),
]


@pytest.mark.slow  # a live run and a fresh snapshot per command
def test_commands_print_the_same_from_the_snapshot_as_live(mesh, tmp_path):
    kube, _, _ = mesh
    for index, args in enumerate(LIVE_VS_SNAPSHOT):
        # a fresh snapshot right after the live run: the rig's Envoy and certs change over minutes
        live = meshctl(kube, *args, "-n", NS)
        archive = str(tmp_path / f"{index}.tar.gz")
        assert meshctl(kube, "snapshot", "-n", NS, "-o", archive).exit_code == 0
        kube.clear_requests()
        offline = call_meshctl(*args, "-n", NS, "--snapshot", archive)
        assert not kube.requests, f"{args}: the snapshot run reached the cluster"
        if args[0] == "check":  # durations are relative to now, which moved on since the capture
            live.stdout, offline.stdout = _durations_out(live.stdout), _durations_out(offline.stdout)
        assert (offline.exit_code, offline.stdout) == (live.exit_code, live.stdout), (args, offline.stderr, _delta(live.stdout, offline.stdout))
        assert live.stdout or live.exit_code, f"{args} printed nothing live: the comparison proves nothing"
        assert offline.stderr.replace(archive, "").count("error") == live.stderr.count("error"), args


def test_endpoint_json_is_the_same_but_for_live_counters(mesh):
    # /clusters?format=json carries Envoy's connection counters, which move between two reads, and
    # lists clusters in hash-map order, which differs between two reads too.
    kube, archive, _ = mesh
    live = meshctl(kube, "pc", "endpoint", PODS[0], "-n", NS, "-o", "json")
    offline = call_meshctl("pc", "endpoint", PODS[0], "-n", NS, "-o", "json", "--snapshot", str(archive))
    assert (offline.exit_code, live.exit_code) == (0, 0)
    by_name = lambda statuses: sorted(_without_counters(statuses), key=lambda status: status["name"])  # noqa: E731
    assert by_name(json.loads(offline.stdout)) == by_name(json.loads(live.stdout))
    assert any(status["hostStatuses"] for status in json.loads(offline.stdout))


def _without_counters(value):
    if isinstance(value, dict):
        return {k: _without_counters(v) for k, v in value.items() if k not in ("stats", "value")}
    if isinstance(value, list):
        return [_without_counters(v) for v in value]
    return value


def _durations_out(text: str) -> str:
    import re

    return re.sub(r"(warming for|expires in) [0-9hms]+", r"\1 N", text)


def _delta(live: str, offline: str) -> str:
    import difflib

    return "".join(list(difflib.unified_diff(live.splitlines(True), offline.splitlines(True), "live", "snapshot"))[:40])


def test_the_archive_holds_what_the_docs_say_and_no_keys(mesh):
    _, archive, result = mesh
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        members = {name: tar.extractfile(name).read() for name in names}
    assert names[0] == "cluster/context.json" and names[-1] == "manifest.json"
    for name in PODS:
        for stem in ("config_dump", "clusters", "server_info", "certs", "envoy-rev"):
            assert f"pods/{NS}/{name}/{stem}.json" in members
        assert f"cluster/api/v1/namespaces/{NS}/pods/{name}.json" in members
    assert "cluster/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/istio-sidecar-injector.json" in members
    for configmap_name in ("istio", "istio-sidecar-injector"):
        assert f"cluster/api/v1/namespaces/istio-system/configmaps/{configmap_name}.json" in members
    assert f"cluster/api/v1/namespaces/{NS}/configmaps/istio-ca-root-cert.json" in members
    assert "cluster/api/v1/namespaces/istio-system/configmaps/unrelated.json" not in members
    # Every pod, sidecar or not, in every namespace: the verdicts judge endpoints by the pod behind them.
    assert "cluster/api/v1/namespaces/plain/pods/web-1.json" in members
    assert json.loads(members["cluster/recorded.json"]) == {
        "/api/v1/pods": "*", "/api/v1/services": "*", "/api/v1/nodes": "*", "/apis/security.istio.io/v1/peerauthentications": "*",
        "/apis/networking.istio.io/v1/destinationrules": "*", "/apis/networking.istio.io/v1/virtualservices": "*",
        "/apis/networking.istio.io/v1/gateways": "*", "/apis/gateway.networking.k8s.io/v1/gateways": "*"}  # the last: waypoints
    assert json.loads(members["istiod/istiod-7d9c/syncz.json"]) == SYNCZ
    manifest = json.loads(members["manifest.json"])
    assert manifest["context"] == "fake" and manifest["format"] == "meshctl-snapshot/v1"
    assert set(manifest["pods"]) == {f"{name}.{NS}" for name in PODS}
    assert all(row["status"] == "ok" for row in manifest["pods"].values())
    assert manifest["failed"] == [] and not manifest["interrupted"]
    key_lines = [line for line in SEEDED_KEY.splitlines() if not line.startswith(b"-----")]
    for name, data in members.items():
        assert b"PRIVATE KEY" not in data and b"LS0tLS1CRUdJTiBQUklWQVRF" not in data, name
        assert not any(line in data for line in key_lines), name
    # the seeded keys were stored, redacted, where they were
    mesh_config = json.loads(members["cluster/api/v1/namespaces/istio-system/configmaps/istio.json"])
    assert mesh_config["data"] == {"mesh": "trustDomain: cluster.local\n", "tls.key": "[redacted]\n"}  # the block, not its newline
    annotated = json.loads(members[f"cluster/api/v1/namespaces/{NS}/pods/{PODS[1]}.json"])
    assert base64.b64decode(annotated["metadata"]["annotations"]["example.com/tls-key"]) == b"[redacted]"  # still base64
    # Envoy's own redaction is kept: "[redacted]", base64-encoded in inline_bytes
    assert b"W3JlZGFjdGVkXQ==" in members[f"pods/{NS}/{PODS[0]}/config_dump.json"]
    assert "wrote" in result.stderr and "2 of 2 pods" in result.stderr


def test_one_port_forward_per_pod_streams_every_admin_path(mesh):
    kube, _, _ = mesh  # the requests of the snapshot the fixture took
    forwards = kube.requests_for(subresource="portforward")
    assert sorted(r.name for r in forwards) == ["istiod-7d9c", *sorted(PODS)]
    execs = kube.requests_for(subresource="exec")
    assert sorted(r.name for r in execs) == sorted(PODS)  # `cat envoy-rev.json` only: no exec fallback


def test_pods_that_refuse_port_forward_are_read_by_exec(fake_kube, envoy_rig, tmp_path):
    fake_kube.add(istio_pod(PODS[0], NS))
    fake_kube.back_sidecar(("127.0.0.1", envoy_rig.admin_port))
    fake_kube.refuse_port_forward("upgrade")
    archive = str(tmp_path / "mesh.tar.gz")
    taken = meshctl(fake_kube, "snapshot", "-n", NS, "-o", archive, "--strict")
    assert taken.exit_code == 0, taken
    # one refused port-forward for the stream, one for the first path, then exec only (sticky)
    assert len(fake_kube.requests_for(subresource="portforward")) == 2
    commands = [r.query["command"][:4] for r in fake_kube.requests_for(subresource="exec")]
    assert commands == ([["pilot-agent", "request", "GET", path] for _, path in layout.PROXY_FETCHES]
                        + [["pilot-agent", "request", "POST", path] for path in layout.PROXY_READS_BY_POST]
                        + [["cat", layout.ENVOY_REV]])  # fmt: skip
    live = meshctl(fake_kube, "pc", "route", PODS[0], "-n", NS)
    offline = call_meshctl("pc", "route", PODS[0], "-n", NS, "--snapshot", archive)
    assert offline.stdout == live.stdout and live.exit_code == offline.exit_code == 0
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    # no run dir behind `cat`: envoy-rev.json is missing, which the manifest says; the pod is ok
    assert manifest["pods"][f"{PODS[0]}.{NS}"]["status"] == "ok"
    assert "/etc/istio/proxy/envoy-rev.json" in manifest["pods"][f"{PODS[0]}.{NS}"]["missing"]
