"""A snapshot reads the pod list in pages and stores each pod as it comes, keeping only names for
the capture (memory: a page of pods, bench/bench_snapshot.py), and still records every pod whole."""

from __future__ import annotations

import json
import tarfile

import pytest

from meshctl.archive import layout

from fakekube import http_target, istio_pod, pod
from helpers import call_meshctl

pytestmark = pytest.mark.kube

NS = "bookinfo"
ROUTES = {f"/{path}": b"{}" for _, path in layout.PROXY_FETCHES} | {"/logging": b"active loggers:\n"}


def test_the_pod_list_is_read_in_pages_and_every_pod_recorded_whole(fake_kube, tmp_path, monkeypatch):
    from meshctl.sources import fleet

    monkeypatch.setattr(fleet, "LIST_PAGE", 2)
    names = [f"reviews-v{i}-abc" for i in range(5)]
    fake_kube.add(*(istio_pod(name, NS) for name in names), pod("plain-1", NS))
    fake_kube.on_exec(["cat"], b'{"node": {}}', container="istio-proxy")
    archive = tmp_path / "mesh.tar.gz"
    with http_target(ROUTES) as admin:
        fake_kube.back_sidecar(admin)
        taken = call_meshctl("snapshot", "-n", NS, "-o", str(archive), "--strict", "--kubeconfig", str(fake_kube.kubeconfig_path))
    assert taken.exit_code == 0, taken
    pages = [r for r in fake_kube.requests_for(verb="list", resource="pods") if r.namespace == NS]
    assert [r.query["limit"] for r in pages] == [["2"]] * 3
    assert [bool(r.query.get("continue")) for r in pages] == [False, True, True]
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        stored = {name: json.loads(tar.extractfile(f"cluster/api/v1/namespaces/{NS}/pods/{name}.json").read()) for name in names}
    assert list(manifest["pods"]) == [f"{name}.{NS}" for name in sorted(names)]
    assert all(row["status"] == "ok" for row in manifest["pods"].values())
    for name, obj in stored.items():  # the whole object as a GET returns it, not the names kept for the capture
        assert obj["kind"] == "Pod" and obj["metadata"]["name"] == name
        assert "istio-proxy" in [c["name"] for c in obj["spec"]["containers"]] and obj["status"]["phase"] == "Running"


def test_no_sidecar_pod_selected_writes_nothing(fake_kube, tmp_path):
    fake_kube.add(pod("plain-1", NS))
    archive = tmp_path / "mesh.tar.gz"
    taken = call_meshctl("snapshot", "-n", NS, "-o", str(archive), "--kubeconfig", str(fake_kube.kubeconfig_path))
    assert taken.exit_code == 69, taken
    assert taken.stderr == f"meshctl: error: no running sidecar pods in namespace {NS}\n"
    assert not [path.name for path in tmp_path.iterdir() if "mesh" in path.name]  # nor a temporary file
