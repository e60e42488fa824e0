"""inject-preview after a revision change: the namespace moved from 1-21 to 1-22, the pods still run 1-21."""

from __future__ import annotations

import pytest

from helpers import call_meshctl
from helpers.injection import rev_namespace_selector, rev_object_webhook, serve_webhook

pytestmark = pytest.mark.kube

OLD_PROXY = "registry.istio.io/testing/proxyv2:1.21.3"


@pytest.fixture
def cart(two_revisions):  # noqa: F811 - the fixture imported above
    from fakekube import workload

    pods = workload(two_revisions, "cart", "shop", revision="1-21", image=OLD_PROXY)
    return two_revisions, pods[0]["metadata"]["name"]


def _preview(kube, *args):
    return call_meshctl("inject-preview", *args, "--kubeconfig", str(kube.kubeconfig_path))


def test_drift_to_the_revision_whose_webhook_fires_now(cart):
    kube, _ = cart
    result = _preview(kube, "deployment/cart.shop")
    assert result.exit_code == 79, result.stderr
    assert "(revision 1-22 via webhook istio-sidecar-injector-1-22)" in result.stderr
    assert "-  istio.io/rev: 1-21\n+  istio.io/rev: 1-22\n" in result.stdout
    assert f"-    image: {OLD_PROXY}" in result.stdout
    assert "+    image: registry.istio.io/testing/proxyv2:1.22.1" in result.stdout


def test_a_pod_is_judged_by_its_controllers_template(cart):
    kube, pod_name = cart
    result = _preview(kube, f"{pod_name}.shop")
    assert result.exit_code == 79, result.stderr
    assert "revision 1-22 via webhook istio-sidecar-injector-1-22" in result.stderr


def test_revision_flag_renders_that_revision(cart):
    kube, _ = cart
    result = _preview(kube, "deployment/cart.shop", "--revision", "1-21")
    assert result.exit_code == 79, result.stderr  # native sidecar and newer template still differ
    assert "(revision 1-21)" in result.stderr
    assert "proxyv2:1.22.1" not in result.stdout and "istio.io/rev: 1-22" not in result.stdout


def test_no_webhook_firing_means_the_sidecar_goes_away(cart):
    from fakekube import namespace

    kube, _ = cart
    kube.add(namespace("shop"))  # the istio.io/rev label removed
    result = _preview(kube, "deployment/cart.shop")
    assert result.exit_code == 79
    assert ("no injector webhook fires for deployment/cart in namespace shop (webhooks serve revision(s) 1-21, 1-22): "
            "a restarted pod now gets no sidecar") in result.stderr
    assert "-  istio-proxy:" in result.stdout and "+  istio-proxy:" not in result.stdout


def test_a_pods_own_labels_do_not_choose_the_webhook(cart):
    from fakekube import namespace

    kube, pod_name = cart
    # The running pod carries istio.io/rev=1-21, its template does not.
    kube.add(namespace("shop"), rev_object_webhook("1-21"))
    result = _preview(kube, f"{pod_name}.shop")
    assert result.exit_code == 79
    assert "no injector webhook fires for pod/" in result.stderr


def test_webhook_mode_asks_the_firing_revisions_istiod(cart, tmp_path):
    from fakekube import injector_webhook, pod

    kube, _ = cart
    with serve_webhook(tmp_path, "istiod-1-22.istio-system.svc") as (ca_pem, address, requests):
        kube.add(injector_webhook("1-22", ca_bundle_pem=ca_pem, namespace_selector=rev_namespace_selector("1-22")),
                 {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "istiod-1-22", "namespace": "istio-system"},
                  "spec": {"selector": {"app": "istiod"}, "ports": [{"port": 443, "targetPort": 15017}]}},
                 pod("istiod-1-22-abc", "istio-system", labels={"app": "istiod"}))
        kube.forward_port(15017, address, pod="istiod-1-22-abc", namespace="istio-system")
        result = _preview(kube, "deployment/cart.shop", "--webhook")
    assert result.exit_code == 79, result.stderr
    assert len(requests) == 1 and requests[0][1]["request"]["namespace"] == "shop"
    assert "+    image: webhook/proxyv2:1" in result.stdout
