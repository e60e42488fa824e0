"""The operator's scenarios of issue 14 on the fake cluster, live and from a snapshot: a pod without a
sidecar behind a tlsMode=istio endpoint, named by IP or as a pod; `check` says the same."""

from __future__ import annotations

import json

import pytest

from helpers import call_meshctl
from helpers.jsondocs import validate

pytestmark = [pytest.mark.kube, pytest.mark.envoy]

SRC = "productpage-v1-abc"
LEGACY = "ratings-legacy"  # no sidecar, at 10.244.0.14: the rig sends it tlsMode=istio (resources.SERVICES)
LEGACY_IP = "10.244.0.14"
BACKENDS = "bookinfo-backends"
REASON = f"will fail: SRC sends Istio mTLS (tlsMode=istio) to pod {LEGACY}.{BACKENDS}, which has no sidecar"


@pytest.fixture
def cluster(fake_kube, envoy_rig):
    from fakekube import configmap, injector_webhook, istio_pod, pod

    fake_kube.add(injector_webhook(), configmap("istio-ca-root-cert", "default", {"root-cert.pem": envoy_rig.ca.root.cert_pem.decode()}))
    fake_kube.add(istio_pod(SRC, "default"))
    for index, ip in enumerate(("10.244.0.11", "10.244.0.12", "10.244.0.13")):
        fake_kube.add(istio_pod(f"backend-{index}", BACKENDS, ip=ip))
    fake_kube.add(pod(LEGACY, BACKENDS, ip=LEGACY_IP), pod("legacy-db", BACKENDS, ip="10.244.1.5"))
    fake_kube.back_sidecar(("127.0.0.1", envoy_rig.admin_port), pod=SRC)
    return fake_kube


def run(kube, *args):
    return call_meshctl(*args, "--kubeconfig", str(kube.kubeconfig_path))


SCENARIOS = [
    ("explain", "mtls", SRC, f"{LEGACY_IP}:9080"),
    ("explain", "mtls", SRC, f"{LEGACY}.{BACKENDS}:9080"),
    ("explain", "mtls", SRC, f"{LEGACY}.{BACKENDS}", "-o", "json"),
]


@pytest.mark.parametrize("args", SCENARIOS)
def test_dst_without_sidecar_resolves_through_the_pod_list(cluster, args):
    result = run(cluster, *args)
    assert result.exit_code == 79, result.stderr
    if "json" in args:
        data = json.loads(result.stdout)
        assert data["summary"] == REASON
        (endpoint,) = data["paths"][0]["endpoints"]
        assert (endpoint["address"], endpoint["pod"], endpoint["tlsMode"]) == (f"{LEGACY_IP}:9080", f"{LEGACY}.{BACKENDS}", "istio")
    else:
        assert result.stdout.splitlines()[0] == REASON
        assert "neither" not in result.stderr


def test_check_fails_the_same_path_for_the_same_reason(cluster):
    result = run(cluster, "check", SRC, "-o", "json")
    assert result.exit_code == 79
    tls = {c["check"]: c for c in json.loads(result.stdout)["pods"][0]["checks"]}["tls-mode"]
    assert tls["status"] == "FAIL"
    assert REASON.removeprefix("will fail: ") in tls["detail"]


def test_snapshot_gives_the_same_verdicts_and_says_what_it_did_not_record(cluster, tmp_path):
    archive = str(tmp_path / "mesh.tar.gz")
    assert run(cluster, "snapshot", "-A", "-o", archive).exit_code == 0
    for args in [*SCENARIOS, ("check", SRC, "-o", "json"), ("check", SRC)]:
        live = run(cluster, *args)
        offline = call_meshctl(*args, "--snapshot", archive)
        if args[0] == "check":
            live.stdout, offline.stdout = _without_durations(live.stdout), _without_durations(offline.stdout)
        assert (offline.exit_code, offline.stdout) == (live.exit_code, live.stdout), (args, offline.stderr)
    # Every pod: the unreachable sidecars' rows name where they were read from, the tls-mode rows are equal.
    live, offline = run(cluster, "check", "-A", "-o", "json"), call_meshctl("check", "-A", "-o", "json", "--snapshot", archive)
    assert _tls_rows(offline.stdout) == _tls_rows(live.stdout) and len(_tls_rows(live.stdout)) == 1


def test_a_fact_the_snapshot_did_not_record_is_unknown_not_a_pass(cluster, tmp_path):
    """A snapshot from before pods without sidecars were recorded: tls-mode is unknown, explain
    says the pods were not read, and neither passes the path that fails live."""
    import tarfile

    archive = tmp_path / "mesh.tar.gz"
    assert run(cluster, "snapshot", "-n", "default", "-o", str(archive)).exit_code == 0
    old = tmp_path / "old.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(old, "w:gz") as target:
        for member in source.getmembers():  # as meshctl wrote them before: no record, only the selected pods
            if member.name == "cluster/recorded.json" or (member.name.startswith("cluster/api/v1/namespaces/") and "/pods/" in member.name
                                                            and "productpage" not in member.name):
                continue
            target.addfile(member, source.extractfile(member))
    result = call_meshctl("check", SRC, "-o", "json", "--snapshot", str(old))
    document = json.loads(result.stdout)
    validate(document, "meshctl.check/v1")  # UNKNOWN and the unknown count are in the schema
    tls = {c["check"]: c for c in document["pods"][0]["checks"]}["tls-mode"]
    assert document["summary"]["unknown"] == sum(c["status"] == "UNKNOWN" for c in document["pods"][0]["checks"]) >= 1
    assert tls["status"] == "UNKNOWN" and [f["code"] for f in tls["findings"]] == ["pods-unknown"]
    assert tls["findings"][0]["message"] == (f"unknown: pods (sidecar or not) behind the endpoints: pods in all namespaces was not "
                                              f"recorded in snapshot {old} (taken by an older meshctl)")
    explained = call_meshctl("explain", "mtls", SRC, f"{LEGACY_IP}:9080", "--snapshot", str(old))
    assert explained.stdout.splitlines()[0] != "mTLS" or "unknown: the pods behind the endpoints" in explained.stdout
    assert "note: unknown: the pods behind the endpoints (sidecar or not) were not read: pods in all namespaces was not recorded" in explained.stdout


def _tls_rows(stdout: str) -> list:
    return [(pod["pod"], check["status"], check["detail"]) for pod in json.loads(stdout)["pods"] for check in pod["checks"] if check["check"] == "tls-mode"]


def _without_durations(text: str) -> str:
    import re

    return re.sub(r"(warming for|expires in) [0-9hms]+", r"\1 N", text)


def test_inject_webhooks_proxy_status_and_rootca_compare_from_a_snapshot(cluster, tmp_path, envoy_rig):
    """The other commands the issue names, live and from the same snapshot: `inject` (Istio's
    injector ConfigMaps, nodes for native sidecars, the webhook that fires), `webhooks`,
    `rootca-compare` and `proxy-status` (istiod's /debug/syncz over a port-forward)."""
    import json as jsonlib

    from fakekube import namespace, pod
    from fakekube.targets import http_target
    from helpers import ISTIO_TESTDATA, require_shared
    from helpers.injection import injector_configmaps, node

    require_shared(ISTIO_TESTDATA)
    cluster.add(*injector_configmaps(), namespace("default", {"istio-injection": "enabled"}), node("node-1", "v1.33.1"))
    cluster.add(pod("istiod-7d9c", "istio-system", labels={"app": "istiod", "istio.io/rev": "default"},
                    containers=[{"name": "discovery", "image": "docker.io/istio/pilot:1.28.0"}]))  # fmt: skip
    syncz = [{"cluster_id": "Kubernetes", "proxy": f"{SRC}.default", "istio_version": "1.28.0", "cluster_sent": "a", "cluster_acked": "a"}]
    workload = tmp_path / "web.yaml"
    workload.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\n"
                        "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
                        "    spec: {containers: [{name: web, image: nginx}]}\n")  # fmt: skip
    commands = [("inject", "-f", str(workload)), ("webhooks",), ("rootca-compare", SRC, "--configmap"), ("proxy-status",)]
    with http_target({"/debug/syncz": jsonlib.dumps(syncz).encode()}) as target:
        cluster.forward_port(15014, target, pod="istiod-7d9c")
        archive = str(tmp_path / "mesh.tar.gz")
        assert run(cluster, "snapshot", "-n", "default", "-o", archive).exit_code == 0
        live = {args: run(cluster, *args) for args in commands}
    for args in commands:
        offline = call_meshctl(*args, "--snapshot", archive)
        assert (offline.exit_code, offline.stdout) == (live[args].exit_code, live[args].stdout), (args, offline.stderr)
        assert live[args].exit_code == 0 and live[args].stdout, (args, live[args].stderr)
    assert "istio-proxy" in live[commands[0]].stdout and "restartPolicy: Always" in live[commands[0]].stdout  # native: the recorded node
