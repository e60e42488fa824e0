"""`meshctl check` end to end: the fake API server, pods whose istio-proxy is the real Envoy rig."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from helpers import call_meshctl

pytestmark = [pytest.mark.kube, pytest.mark.envoy]

HEALTHY = "productpage-v1-abc"
# The rig's endpoints (meshctl/sandbox/resources.py): tlsMode=istio on every IP but 10.244.1.5.
SIDECAR_ENDPOINTS = ("10.244.0.11", "10.244.0.12", "10.244.0.13", "10.244.0.14")
LEGACY_ENDPOINT = "10.244.1.5"


def istiod(revision: str = "default", version: str = "1.28.0") -> dict:
    from fakekube import pod

    name = "istiod" if revision == "default" else f"istiod-{revision}"
    return pod(f"{name}-7d4f9c-x1", "istio-system", labels={"app": "istiod", "istio.io/rev": revision},
               containers=[{"name": "discovery", "image": f"docker.io/istio/pilot:{version}"}])  # fmt: skip


@pytest.fixture
def cluster(fake_kube, envoy_rig):
    """A mesh as istiod would leave it: istiod 1.28.0 (the rig's ISTIO_VERSION), its webhook, the
    root ConfigMap holding the rig's root, and pods behind every endpoint of the rig's clusters."""
    from fakekube import configmap, injector_webhook, istio_pod, pod

    fake_kube.add(istiod(), injector_webhook(), configmap("istio-ca-root-cert", "default", {"root-cert.pem": envoy_rig.ca.root.cert_pem.decode()}))
    fake_kube.add(istio_pod(HEALTHY, "default"))
    for index, ip in enumerate(SIDECAR_ENDPOINTS):
        fake_kube.add(istio_pod(f"backend-{index}", "bookinfo-backends", ip=ip))
    fake_kube.add(pod("legacy-db", "bookinfo-backends", ip=LEGACY_ENDPOINT))
    fake_kube.back_sidecar(("127.0.0.1", envoy_rig.admin_port), pod=HEALTHY)
    return fake_kube


def check(kube, *args: str):
    return call_meshctl("check", "--kubeconfig", str(kube.kubeconfig_path), *args)


def rows(stdout: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(POD, CHECK) -> (STATUS, DETAIL) from the table (3-space padding; DETAIL is the rest)."""
    found = {}
    for line in stdout.splitlines()[1:]:
        pod, check, rest = line.split(None, 2)
        status, _, detail = rest.partition("   ")
        found[(pod, check)] = (status.strip(), detail.strip())
    return found


def test_healthy_pod_passes_every_check_but_the_rigs_warming_cluster(cluster, envoy_rig):
    result = check(cluster, HEALTHY, "--cert-warn", "30m")  # the rig's certs live 1h
    assert result.exit_code == 0, result.stderr
    table = rows(result.stdout)
    pod = f"{HEALTHY}.default"
    assert [check for (name, check) in table if name == pod] == [
        "admin-api", "version-skew", "xds-warming", "workload-cert", "root-ca", "tls-mode", "injector-revision"]
    statuses = {check: status for (_, check), (status, _) in table.items()}
    # The rig keeps one cluster warming (its EDS never comes). A dump cannot tell a stuck
    # cluster from one a push just updated, so warming is a WARNING: it passes --fail-on error...
    assert statuses.pop("xds-warming") == "WARN"
    assert set(statuses.values()) == {"PASS"}
    assert envoy_rig.warming_cluster in table[(pod, "xds-warming")][1]
    assert table[(pod, "version-skew")][1] == "proxy 1.28.0, istiod 1.28.0"
    assert table[(pod, "root-ca")][1] == "ROOTCA equals istio-ca-root-cert (1 root)"
    # ... and fails --fail-on warning.
    strict = check(cluster, HEALTHY, "--cert-warn", "30m", "--fail-on", "warning")
    assert strict.exit_code == 79
    assert "1 check warned or failed on 1 of 1 pod" in strict.stderr


def test_cert_expiring_within_cert_warn_is_a_warning(cluster, envoy_rig):
    result = check(cluster, HEALTHY, "--cert-warn", "2h")
    assert result.exit_code == 0, result.stderr
    status, detail = rows(result.stdout)[(f"{HEALTHY}.default", "workload-cert")]
    assert status == "WARN"
    assert detail.startswith("workload certificate expires in ") and detail.endswith("within --cert-warn 2h")
    assert envoy_rig.workload_cert.not_after.strftime("%Y-%m-%dT%H:%M:%SZ") in detail


def test_unreachable_pod_is_one_failed_row(cluster):
    from fakekube import istio_pod

    cluster.add(istio_pod("broken-v1-xyz", "default"))
    cluster.refuse_port_forward("upgrade", pod="broken-v1-xyz")  # and no exec handler: exec fails too
    result = check(cluster, "--cert-warn", "30m")  # every sidecar pod of namespace default
    assert result.exit_code == 79
    table = rows(result.stdout)
    broken = [(check, status, detail) for (pod, check), (status, detail) in table.items() if pod == "broken-v1-xyz.default"]
    assert len(broken) == 1
    check_name, status, detail = broken[0]
    assert (check_name, status) == ("admin-api", "FAIL")
    assert "port-forward failed" in detail and "exec failed" in detail
    assert table[(f"{HEALTHY}.default", "admin-api")][0] == "PASS"
    assert "1 check failed on 1 of 2 pods" in result.stderr


def test_revision_without_webhook_or_istiod_fails(cluster, envoy_rig):
    from fakekube import istio_pod

    cluster.add(istio_pod("reviews-v2-old", "default", revision="1-26"))
    cluster.back_sidecar(("127.0.0.1", envoy_rig.admin_port), pod="reviews-v2-old")
    result = check(cluster, "reviews-v2-old", "--cert-warn", "30m", "-o", "json")
    assert result.exit_code == 79
    document = json.loads(result.stdout)
    checks = {c["check"]: c for c in document["pods"][0]["checks"]}
    assert checks["injector-revision"]["status"] == "FAIL"
    assert checks["injector-revision"]["findings"][0]["code"] == "revision-gone"
    assert checks["version-skew"]["detail"] == "proxy 1.28.0; no running istiod of revision 1-26 to compare with"
    # istiod of that revision still running, only its webhook gone: new pods won't get this sidecar.
    cluster.add(istiod("1-26", "1.27.2"))
    again = json.loads(check(cluster, "reviews-v2-old", "--cert-warn", "30m", "-o", "json").stdout)
    checks = {c["check"]: c for c in again["pods"][0]["checks"]}
    assert checks["injector-revision"]["status"] == "WARN"
    assert checks["version-skew"]["status"] == "FAIL"  # proxy 1.28 ahead of istiod 1.27
    assert "ahead of istiod 1.27.2" in checks["version-skew"]["detail"]


def test_rootca_mismatch_with_the_namespace_configmap_fails(cluster, envoy_rig):
    from meshctl.sandbox.certs import TestCA

    from fakekube import configmap, istio_pod

    cluster.add(istio_pod("ratings-v1-new", "shop"), configmap("istio-ca-root-cert", "shop", {"root-cert.pem": TestCA().root.cert_pem.decode()}))
    cluster.back_sidecar(("127.0.0.1", envoy_rig.admin_port), pod="ratings-v1-new")
    result = check(cluster, "-n", "shop", "--cert-warn", "30m")
    assert result.exit_code == 79
    status, detail = rows(result.stdout)[("ratings-v1-new.shop", "root-ca")]
    assert status == "FAIL"
    assert detail == "ROOTCA shares no root with istio-ca-root-cert in shop: mTLS with peers trusting it fails"


def test_tls_mode_istio_to_a_pod_without_sidecar_and_plaintext_to_a_sidecar(cluster):
    from fakekube import istio_pod, pod

    cluster.remove("pods", "backend-3", "bookinfo-backends")
    cluster.remove("pods", "legacy-db", "bookinfo-backends")
    cluster.add(pod("ratings-legacy", "bookinfo-backends", ip="10.244.0.14"), istio_pod("ratings-v2", "bookinfo-backends", ip=LEGACY_ENDPOINT))
    result = check(cluster, HEALTHY, "--cert-warn", "30m", "-o", "json")
    assert result.exit_code == 79
    tls = {c["check"]: c for c in json.loads(result.stdout)["pods"][0]["checks"]}["tls-mode"]
    assert tls["status"] == "FAIL"
    found = {(f["severity"], f["code"], f["target"]) for f in tls["findings"]}
    assert found == {
        ("error", "mtls-to-plain-pod", "outbound|9080||ratings.default.svc.cluster.local"),
        ("warning", "plaintext-to-sidecar", "outbound|9080||ratings.default.svc.cluster.local"),
    }
    assert "SRC sends Istio mTLS (tlsMode=istio) to pod ratings-legacy.bookinfo-backends, which has no sidecar" in tls["detail"]


def test_json_summary_and_junit_testcases(cluster):
    from fakekube import istio_pod

    cluster.add(istio_pod("broken-v1-xyz", "default"))
    cluster.refuse_port_forward("connect", pod="broken-v1-xyz")
    document = json.loads(check(cluster, "--cert-warn", "30m", "-o", "json").stdout)
    assert document["schemaVersion"] == "meshctl.check/v1"
    assert document["result"] == "fail" and document["failOn"] == "error" and not document["interrupted"]
    assert document["summary"] == {"pods": 2, "checks": 8, "pass": 6, "warn": 1, "fail": 1, "unknown": 0, "notChecked": 0}
    assert [p["pod"] for p in document["pods"]] == ["broken-v1-xyz.default", f"{HEALTHY}.default"]

    junit = check(cluster, "--cert-warn", "30m", "-o", "junit")
    assert junit.exit_code == 79
    root = ET.fromstring(junit.stdout)
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("skipped")) == ("testsuites", "14", "1", "6")
    broken = root.find("testsuite[@name='broken-v1-xyz.default']")
    assert broken.find("testcase[@name='admin-api']/failure").get("type") == "FAIL"
    assert len(broken.findall("testcase/skipped")) == 6
    healthy = root.find(f"testsuite[@name='{HEALTHY}.default']")
    assert healthy.find("testcase[@name='xds-warming']/system-out").text.startswith("WARN: cluster outbound|3306||mysqldb")


def test_no_sidecar_pods_selected_is_not_an_error(cluster):
    result = check(cluster, "-n", "bookinfo-backends", "-l", "app=nothing")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "No sidecar pods found.\n"


def test_ctrl_c_prints_what_finished_and_exits_130(cluster, envoy_rig):
    import os
    import signal
    import subprocess
    import sys
    import time

    from fakekube import istio_pod

    for index in range(12):
        cluster.add(istio_pod(f"reviews-{index:02d}", "default"))
    cluster.back_sidecar(("127.0.0.1", envoy_rig.admin_port))
    cluster.latency = 0.2
    proc = subprocess.Popen([sys.executable, "-m", "meshctl", "check", "--kubeconfig", str(cluster.kubeconfig_path), "--concurrency", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"})  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(cluster.requests_for(subresource="portforward")) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    not_checked = [line for line in stdout.splitlines() if "NOT CHECKED" in line]
    assert 1 <= len(not_checked) <= 12
    assert any(line.split()[2] == "PASS" for line in stdout.splitlines()[1:])  # what finished is there
    assert stderr.strip().endswith(f"meshctl: interrupted: {len(not_checked)} of 13 pods not checked")


def test_facts_rbac_denies_become_notes_not_failures(cluster):
    cluster.deny("list", "mutatingwebhookconfigurations")
    cluster.deny("get", "configmaps", namespace="default")
    cluster.deny("list", "pods", namespace="istio-system")
    cluster.deny("list", "pods", namespace="")  # cluster-wide: the pod-IP index falls back to the selected namespaces
    result = check(cluster, HEALTHY, "--cert-warn", "30m", "-o", "json")
    assert result.exit_code == 0, result.stderr
    checks = {c["check"]: c for c in json.loads(result.stdout)["pods"][0]["checks"]}
    codes = {name: [f["code"] for f in c["findings"]] for name, c in checks.items()}
    assert codes["injector-revision"] == ["webhooks-unknown"] and codes["root-ca"] == ["rootca-unknown"]
    assert codes["version-skew"] == ["istiod-unknown"] and codes["tls-mode"] == []
    assert "RBAC denied: cannot get configmaps in namespace default" in checks["root-ca"]["detail"]
    # Unknown is said, not passed: the three checks whose facts were denied; the others pass.
    assert {name: c["status"] for name, c in checks.items() if name != "xds-warming"} == {
        "admin-api": "PASS", "version-skew": "UNKNOWN", "workload-cert": "PASS", "root-ca": "UNKNOWN", "tls-mode": "PASS", "injector-revision": "UNKNOWN"}
