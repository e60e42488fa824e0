"""The concurrent per-pod engine (meshctl.sources.fleet) with real threads, and pod selection on the fake API server."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from meshctl.errors import SourceError, UsageError
from meshctl.sources import fleet


def pods(count: int) -> list[dict]:
    return [{"metadata": {"name": f"p{i:03d}", "namespace": "ns"}} for i in range(count)]


def test_results_come_as_they_finish_with_bounded_concurrency():
    running, peak, lock = [0], [0], threading.Lock()

    def work(pod):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.3 if pod["metadata"]["name"] == "p000" else 0.02)
        with lock:
            running[0] -= 1
        return pod["metadata"]["name"].upper()

    results = list(fleet.run_each(pods(20), work, concurrency=4, progress=False))
    assert peak[0] == 4
    assert sorted(r.value for r in results) == [f"P{i:03d}" for i in range(20)]
    assert all(r.status == fleet.OK for r in results)
    assert results[-1].name == "p000.ns"  # the slow one finished last, and came last


def test_failures_are_rows_not_crashes():
    def work(pod):
        name = pod["metadata"]["name"]
        if name == "p001":
            raise SourceError("cannot reach istio-proxy")
        if name == "p002":
            raise KeyError("listeners")
        return name

    results = {r.name: r for r in fleet.run_each(pods(3), work, concurrency=2, progress=False)}
    assert results["p000.ns"].status == fleet.OK
    assert (results["p001.ns"].status, results["p001.ns"].error) == (fleet.FAILED, "cannot reach istio-proxy")
    assert (results["p002.ns"].status, results["p002.ns"].error) == (fleet.FAILED, "unexpected KeyError: 'listeners'")


def test_ctrl_c_stops_scheduling_and_marks_the_rest_not_checked():
    before = signal.getsignal(signal.SIGINT)  # (SIG_IGN in a suite started in the background, `cmd &`)
    started = []

    def work(pod):
        started.append(pod["metadata"]["name"])
        if len(started) == 3:
            os.kill(os.getpid(), signal.SIGINT)  # as a terminal's Ctrl-C reaches the process
        time.sleep(0.05)
        return "done"

    run = fleet.run_each(pods(50), work, concurrency=2, progress=False)
    results = list(run)
    assert run.interrupted
    assert len(results) == 50
    finished = [r for r in results if r.status == fleet.OK]
    skipped = [r for r in results if r.status == fleet.NOT_CHECKED]
    assert 1 <= len(finished) <= 4 and len(finished) + len(skipped) == 50
    assert {r.error for r in skipped} <= {"interrupted while running", "interrupted before it started"}
    assert len(started) < 10  # scheduling stopped
    assert signal.getsignal(signal.SIGINT) is before  # restored


def test_concurrency_must_be_positive():
    with pytest.raises(UsageError):
        fleet.run_each(pods(1), lambda pod: None, concurrency=0)


def test_no_progress_bar_and_no_rich_when_stderr_is_not_a_tty():
    import subprocess
    import sys

    code = ("import sys; from meshctl.sources import fleet; "
            "list(fleet.run_each([{'metadata': {'name': 'a', 'namespace': 'b'}}], lambda p: 1)); "
            "print('rich' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (out.stdout, out.stderr) == ("False\n", "")


def test_pod_index_marks_the_data_plane_and_skips_host_network():
    from meshctl.model.mesh import AMBIENT, NO_MESH, SIDECAR, PodIndex

    from fakekube import istio_pod, pod

    host = pod("node-agent", "kube-system", ip="172.18.0.2")
    host["spec"]["hostNetwork"] = True
    captured = pod("c-1", "ns", ip="10.1.0.3")
    captured["metadata"]["annotations"] = {"ambient.istio.io/redirection": "enabled"}
    index = PodIndex.of([istio_pod("a-1", "ns", ip="10.1.0.1"), pod("b-1", "ns", ip="10.1.0.2"), captured, host])
    assert {ip: (fact.key, fact.dataplane) for ip, fact in index.by_ip.items()} == {
        "10.1.0.1": ("a-1.ns", SIDECAR), "10.1.0.2": ("b-1.ns", NO_MESH), "10.1.0.3": ("c-1.ns", AMBIENT)}
    assert index.named("node-agent.kube-system").ips == ("172.18.0.2",)  # known by name, not by its node's IP
    assert not PodIndex.unread("RBAC denied").known


@pytest.mark.kube
def test_selection_lists_running_sidecar_pods_native_sidecars_included(fake_kube):
    from meshctl.sources.kube import connect

    from fakekube import istio_pod, pod, sidecar_container

    native = pod("native-1", "shop", labels={"app": "native"}, init_containers=[{**sidecar_container(), "restartPolicy": "Always"}])
    fake_kube.add(istio_pod("b-1", "shop"), istio_pod("a-1", "shop"), istio_pod("c-1", "other"), native,
                  pod("plain-1", "shop"), istio_pod("pending-1", "shop", phase="Pending"))  # fmt: skip
    kube = connect({"kubeconfig": str(fake_kube.kubeconfig_path)})
    names = lambda found: [fleet.pod_key(p) for p in found]  # noqa: E731
    assert names(fleet.select_proxy_pods(kube, namespace="shop")) == ["a-1.shop", "b-1.shop", "native-1.shop"]
    assert names(fleet.select_proxy_pods(kube, all_namespaces=True)) == ["c-1.other", "a-1.shop", "b-1.shop", "native-1.shop"]
    assert names(fleet.select_proxy_pods(kube, all_namespaces=True, selector="app=native")) == ["native-1.shop"]
    assert names(fleet.select_proxy_pods(kube, refs=["b-1.shop", "c-1.other", "b-1.shop"])) == ["c-1.other", "b-1.shop"]
    with pytest.raises(SourceError, match="has no istio-proxy container"):
        fleet.select_proxy_pods(kube, refs=["plain-1.shop"])
    with pytest.raises(UsageError):
        fleet.select_proxy_pods(kube, refs=["a-1.shop"], selector="app=a")
