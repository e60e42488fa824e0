"""`meshctl snapshot` keeps ztunnels' dumps and waypoints; `--snapshot` answers the ambient views as live."""

from __future__ import annotations

import json
import tarfile

import pytest

from fakekube.targets import http_target

pytestmark = pytest.mark.kube

LIVE_VS_SNAPSHOT = [
    ("zc", "workload"),
    ("zc", "w", "frontend-6c7d.shop", "-o", "json"),
    ("zc", "services", "--node", "node-2"),
    ("zc", "certificate", "ztunnel-n2.istio-system", "-o", "yaml"),
    ("zc", "all", "--node", "node-1", "-o", "json"),
    ("waypoint", "list", "-A", "-o", "wide"),
    ("waypoint", "status", "-n", "shop"),
    ("explain", "mtls", "frontend-6c7d.shop", "backend.shop:9080", "-o", "json"),
    ("check", "-n", "shop", "-o", "json"),
]


@pytest.fixture
def snapshot(ambient_cluster, tmp_path):
    """A snapshot of namespace legacy (two sidecars, answering with an empty Envoy admin API) and,
    whatever the namespace, the ztunnels and waypoints."""
    envoy = {"/config_dump?include_eds": b'{"configs": []}', "/clusters?format=json": b'{"cluster_statuses": []}',
             "/server_info": b'{"state": "LIVE"}', "/certs": b'{"certificates": []}'}
    path = tmp_path / "ambient.tar.gz"
    with http_target(envoy) as target:
        ambient_cluster.kube.forward_port(15000, target, namespace="legacy")
        result = ambient_cluster.meshctl("snapshot", "-n", "legacy", "-o", str(path))
    assert result.exit_code == 0, result
    return path, result


def test_the_archive_holds_ztunnels_and_waypoints(snapshot):
    path, result = snapshot
    assert result.stderr.endswith(f"wrote {path}: 2 of 2 pods, 2 of 2 ztunnels\n")
    with tarfile.open(path) as archive:
        names = set(archive.getnames())
        manifest = json.load(archive.extractfile("manifest.json"))
    assert {"pods/istio-system/ztunnel-n1/config_dump.json", "pods/istio-system/ztunnel-n2/config_dump.json",
            "cluster/apis/apps/v1/namespaces/istio-system/daemonsets/ztunnel.json",
            "cluster/apis/gateway.networking.k8s.io/v1/namespaces/shop/gateways/waypoint.json",
            "cluster/api/v1/namespaces/shop.json",
            "cluster/api/v1/namespaces/shop/services/backend.json"} <= names
    # the sidecar pods of -n legacy, not the ztunnels (their container is istio-proxy too)
    assert list(manifest["pods"]) == ["ratings-v1-def.legacy", "reviews-v1-abc.legacy"]
    assert manifest["ztunnels"] == {"ztunnel-n1.istio-system": {"status": "ok"}, "ztunnel-n2.istio-system": {"status": "ok"}}


@pytest.mark.parametrize("args", LIVE_VS_SNAPSHOT, ids=[" ".join(a) for a in LIVE_VS_SNAPSHOT])
def test_snapshot_answers_as_live(ambient_cluster, snapshot, args):
    path, _ = snapshot
    live = ambient_cluster.meshctl(*args)
    for admin in ambient_cluster.admins.values():
        admin.requests.clear()
    recorded = ambient_cluster.meshctl(*args, "--snapshot", str(path))
    assert (recorded.exit_code, recorded.stdout, recorded.stderr) == (live.exit_code, live.stdout, live.stderr)
    assert live.stdout
    assert all(not admin.requests for admin in ambient_cluster.admins.values())  # nothing read from the cluster


def test_log_needs_running_ztunnels(snapshot, ambient_cluster):
    path, _ = snapshot
    result = ambient_cluster.meshctl("zc", "log", "--snapshot", str(path))
    assert result.exit_code == 2 and "not available with --snapshot" in result.stderr


def test_an_ambient_only_cluster_can_be_snapshotted(ambient_cluster, tmp_path):
    result = ambient_cluster.meshctl("snapshot", "-n", "shop", "-o", str(tmp_path / "a.tar.gz"))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.endswith("0 of 0 pods, 2 of 2 ztunnels\n")


def test_snapshot_diff_compares_the_sidecars_not_the_ztunnels(snapshot, ambient_cluster):
    path, _ = snapshot
    result = ambient_cluster.meshctl("snapshot", "diff", str(path), str(path), "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert [pod["pod"] for pod in json.loads(result.stdout)["pods"]] == ["ratings-v1-def.legacy", "reviews-v1-abc.legacy"]
