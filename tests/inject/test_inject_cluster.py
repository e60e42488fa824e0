"""`meshctl inject` without config files: the cluster's ConfigMaps and nodes (fake API server)."""

from __future__ import annotations

import pytest

from helpers import call_meshctl, require_shared
from helpers.injection import INJECT_DIR, injector_configmaps, node

pytestmark = pytest.mark.kube


@pytest.mark.parametrize(("versions", "golden"), [
    (("v1.33.0", "v1.34.1"), "hello.yaml.injected"),
    (("v1.33.0", "v1.28.3"), "hello-old-version.yaml.injected"),
])
def test_cluster_configmaps_and_node_versions(fake_kube, versions, golden):
    require_shared(INJECT_DIR)
    fake_kube.add(*injector_configmaps(), *(node(f"n{i}", v) for i, v in enumerate(versions)))
    result = call_meshctl("inject", "-f", str(INJECT_DIR / "hello.yaml"), "--kubeconfig", str(fake_kube.kubeconfig_path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (INJECT_DIR / golden).read_text()


def test_revision_selects_the_revisioned_configmaps(fake_kube):
    require_shared(INJECT_DIR)
    fake_kube.add(*injector_configmaps("canary"), node("n0", "v1.33.2"))
    args = ("inject", "-f", str(INJECT_DIR / "hello.yaml"), "--kubeconfig", str(fake_kube.kubeconfig_path))
    missing = call_meshctl(*args)
    assert missing.exit_code == 69 and "istio-sidecar-injector" in missing.stderr
    result = call_meshctl(*args, "--revision", "canary")
    assert result.exit_code == 0, result.stderr
    assert "istio.io/rev: canary" in result.stdout and '"revision":"canary"' in result.stdout


def test_inject_preview_reports_drift_of_a_running_pod(fake_kube):
    from fakekube import injector_webhook, namespace, workload

    require_shared(INJECT_DIR)
    fake_kube.add(*injector_configmaps(), node("n0", "v1.33.0"), namespace("bookinfo", {"istio-injection": "enabled"}),
                  injector_webhook())
    workload(fake_kube, "reviews", "bookinfo")
    result = call_meshctl("inject-preview", "deployment/reviews.bookinfo", "--kubeconfig", str(fake_kube.kubeconfig_path))
    assert result.exit_code == 79, result.stderr
    assert "reviews" in result.stderr
    # The fake pod runs an older proxy image as a regular container; today's injector uses a native sidecar.
    assert "+    image: registry.istio.io/testing/proxyv2:latest" in result.stdout
    assert "-  istio-proxy:" in result.stdout


def test_openshift_platform_reads_the_namespace_scc_ranges(fake_kube):
    import re

    from fakekube import namespace

    require_shared(INJECT_DIR)
    test_ns = namespace("test-ns")
    test_ns["metadata"]["annotations"] = {"openshift.io/sa.scc.uid-range": "1000620000/10000",
                                          "openshift.io/sa.scc.supplemental-groups": "1000620000/10000"}
    fake_kube.add(*injector_configmaps(), node("n0", "v1.33.0"), test_ns)
    result = call_meshctl("inject", "-f", str(INJECT_DIR / "hello-openshift.yaml"), "--platform", "openshift",
                          "--set", "components.cni.enabled=true", "-n", "test-ns",
                          "--kubeconfig", str(fake_kube.kubeconfig_path))
    assert result.exit_code == 0, result.stderr
    golden = re.sub(r"(?m)^ *creationTimestamp: null\n", "", (INJECT_DIR / "hello-openshift.yaml.injected").read_text())
    assert result.stdout == golden
