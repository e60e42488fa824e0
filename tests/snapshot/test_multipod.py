"""`pc` views over many pods (-l/-A/-n): concurrent fetch, grouped output, failures as rows."""

from __future__ import annotations

import json
import tarfile

import pytest

from fakekube import istio_pod, pod
from helpers import call_meshctl

pytestmark = [pytest.mark.kube, pytest.mark.envoy]

NS = "bookinfo"


@pytest.fixture
def three_pods(fake_kube, envoy_rig):
    """reviews and ratings answer (the rig's Envoy); details refuses port-forward and exec."""
    fake_kube.add(istio_pod("reviews-v1-abc", NS), istio_pod("ratings-v1-abc", NS), istio_pod("details-v1-abc", NS),
                  istio_pod("productpage-v1-abc", "other"), pod("web-1", NS))  # fmt: skip
    fake_kube.refuse_port_forward("connect", pod="details-v1-abc")
    fake_kube.deny("create", "pods/exec", name="details-v1-abc")
    fake_kube.back_sidecar(("127.0.0.1", envoy_rig.admin_port))
    return fake_kube


def meshctl(kube, *args):
    return call_meshctl(*args, "--kubeconfig", str(kube.kubeconfig_path))


def test_namespace_sections_and_a_failed_pod_is_a_row(three_pods):
    single = meshctl(three_pods, "pc", "cluster", "reviews-v1-abc", "-n", NS)
    many = meshctl(three_pods, "pc", "cluster", "-n", NS)
    assert many.exit_code == 0, many
    # pods in name order, each section the single-pod output; the failing pod is on stderr only
    assert many.stdout == f"POD: ratings-v1-abc.{NS}\n{single.stdout}\nPOD: reviews-v1-abc.{NS}\n{single.stdout}"
    assert f"meshctl: details-v1-abc.{NS}: failed:" in many.stderr
    assert "productpage" not in many.stdout + many.stderr


def results(document: dict) -> dict:
    """The meshctl.pods/v1 document's results by pod."""
    assert document["schemaVersion"] == "meshctl.pods/v1"
    return {item["pod"]: item["result"] for item in document["items"]}


def errors(document: dict) -> dict:
    return {item["pod"]: item["error"] for item in document["errors"]}


def test_json_lists_pods_and_failures_apart_and_strict_fails(three_pods):
    single = json.loads(meshctl(three_pods, "pc", "listener", "reviews-v1-abc", "-n", NS, "-o", "json").stdout)
    many = meshctl(three_pods, "pc", "listener", "-n", NS, "-o", "json")
    document = json.loads(many.stdout)
    assert list(document) == ["schemaVersion", "items", "errors"]
    assert results(document) == {f"ratings-v1-abc.{NS}": single, f"reviews-v1-abc.{NS}": single}
    assert list(errors(document)) == [f"details-v1-abc.{NS}"]
    strict = meshctl(three_pods, "pc", "listener", "-n", NS, "-o", "json", "--strict")
    # (how the refused port-forward is worded depends on timing: compare the pods that answered)
    strict_document = json.loads(strict.stdout)
    assert strict.exit_code == 69 and results(strict_document) == results(document)
    assert list(errors(strict_document)) == [f"details-v1-abc.{NS}"]
    # one pod selected: the same shape
    one = json.loads(meshctl(three_pods, "pc", "listener", "-n", NS, "-l", "app=reviews", "-o", "json").stdout)
    assert results(one) == {f"reviews-v1-abc.{NS}": single} and one["errors"] == []


def test_every_pod_failing_exits_69_and_selector_all_namespaces(three_pods):
    failing = meshctl(three_pods, "pc", "route", "-A", "-l", "app=details")
    assert failing.exit_code == 69 and failing.stdout == "" and "details-v1-abc" in failing.stderr
    everywhere = meshctl(three_pods, "pc", "route", "-A", "-l", "app in (productpage,ratings)", "-o", "yaml", "--query", "items[].pod")
    assert everywhere.exit_code == 0, everywhere
    assert everywhere.stdout.split() == ["-", f"ratings-v1-abc.{NS}", "-", "productpage-v1-abc.other"]
    nothing = meshctl(three_pods, "pc", "route", "-l", "app=nope", "-n", NS)
    assert nothing.exit_code == 69 and "no running sidecar pods in namespace bookinfo matching app=nope" in nothing.stderr


def test_multi_pod_from_a_snapshot(three_pods, tmp_path):
    archive = str(tmp_path / "mesh.tar.gz")
    taken = meshctl(three_pods, "snapshot", "-n", NS, "-o", archive)
    assert taken.exit_code == 0 and "2 of 3 pods, 1 failed" in taken.stderr
    live = meshctl(three_pods, "pc", "secret", "-n", NS, "-o", "json")
    offline = call_meshctl("pc", "secret", "-n", NS, "-o", "json", "--snapshot", archive)
    assert offline.exit_code == live.exit_code == 0
    live_pods, offline_pods = json.loads(live.stdout), json.loads(offline.stdout)
    failed = f"details-v1-abc.{NS}"
    assert results(offline_pods) == results(live_pods) and failed not in results(live_pods)
    # the pod that failed live failed in the capture; the snapshot says so, and why
    assert "is not in snapshot" in errors(offline_pods)[failed] and "capture failed: " in errors(offline_pods)[failed]


@pytest.mark.slow  # 0.3 s of API latency per request, one pod at a time, until Ctrl-C
def test_ctrl_c_keeps_the_pods_that_finished(three_pods, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from helpers import ROOT

    three_pods.latency = 0.3
    archive = tmp_path / "mesh.tar.gz"
    proc = subprocess.Popen([sys.executable, "-m", "meshctl", "snapshot", "-n", NS, "-o", str(archive), "--concurrency", "1",
                             "--kubeconfig", str(three_pods.kubeconfig_path)], cwd=ROOT, stderr=subprocess.PIPE,
                            env={**os.environ, "NO_COLOR": "1"})  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not three_pods.requests_for(subresource="portforward", name="ratings-v1-abc") and time.monotonic() < deadline:
            time.sleep(0.05)  # the second pod has started: the first is done
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    statuses = {pod: row["status"] for pod, row in manifest["pods"].items()}
    assert manifest["interrupted"] and statuses[f"details-v1-abc.{NS}"] == "failed"
    assert statuses[f"reviews-v1-abc.{NS}"] == "not checked"
