"""Without --revision, cluster-mode injection takes the revision of the injector webhook that fires.

A fake cluster with two control plane revisions, 1-21 and 1-22, installed as Istio's chart does
(webhook istio-sidecar-injector-REV selecting namespaces labelled istio.io/rev=REV, ConfigMaps
istio-sidecar-injector-REV and istio-REV, service istiod-REV). Each revision's ConfigMaps carry
their own proxy tag and discovery address, so the output shows which ones were read.
"""

from __future__ import annotations

import json

import pytest

from helpers import call_meshctl
from helpers.injection import TAGS, injector_configmaps, rev_namespace_selector, rev_object_webhook, serve_webhook

pytestmark = pytest.mark.kube

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  namespace: shop
spec:
  selector:
    matchLabels: {app: cart}
  template:
    metadata:
      labels: {app: cart}
    spec:
      containers:
      - name: cart
        image: shop/cart:2
"""


def _inject(kube, *args, stdin: str = DEPLOYMENT):
    return call_meshctl("inject", "-f", "-", *args, "--kubeconfig", str(kube.kubeconfig_path), stdin=stdin.encode())


def _proxy(stdout: str) -> dict:
    import yaml

    pod = yaml.safe_load(stdout.split("\n---\n")[0])["spec"]["template"]
    sidecar = next(c for c in pod["spec"]["initContainers"] + pod["spec"]["containers"] if c["name"] == "istio-proxy")
    env = {e["name"]: e.get("value") for e in sidecar["env"]}
    return {"image": sidecar["image"], "rev": pod["metadata"]["annotations"]["istio.io/rev"],
            "discovery": json.loads(env["PROXY_CONFIG"]).get("discoveryAddress")}


def test_the_namespace_revision_label_picks_the_configmaps(two_revisions):
    result = _inject(two_revisions, "--explain")
    assert result.exit_code == 0, result.stderr
    assert _proxy(result.stdout) == {"image": "registry.istio.io/testing/proxyv2:1.22.1", "rev": "1-22",
                                     "discovery": "istiod-1-22.istio-system.svc:15012"}
    assert ("revision 1-22 for Deployment/cart in namespace shop: webhook "
            "istio-sidecar-injector-1-22/rev.namespace.sidecar-injector.istio.io fires") in result.stderr
    assert "matches namespaceSelector istio.io/rev=1-22,!istio-injection" in result.stderr
    assert "meshctl: note:" not in result.stderr  # one webhook fires: nothing surprising to report


def test_the_workload_namespace_comes_from_the_manifest_or_dash_n(two_revisions):
    moved = _inject(two_revisions, stdin=DEPLOYMENT.replace("namespace: shop", "namespace: legacy"))
    assert moved.exit_code == 0, moved.stderr
    assert _proxy(moved.stdout)["image"].endswith(":1.21.3")
    unnamespaced = _inject(two_revisions, "-n", "legacy", stdin=DEPLOYMENT.replace("  namespace: shop\n", ""))
    assert unnamespaced.exit_code == 0, unnamespaced.stderr
    assert _proxy(unnamespaced.stdout)["rev"] == "1-21"


def test_revision_flag_wins_over_the_webhooks(two_revisions):
    result = _inject(two_revisions, "--revision", "1-21")
    assert result.exit_code == 0, result.stderr
    assert _proxy(result.stdout) == {"image": "registry.istio.io/testing/proxyv2:1.21.3", "rev": "1-21",
                                     "discovery": "istiod-1-21.istio-system.svc:15012"}


def test_no_webhook_fires_falls_back_to_the_default_revision_with_a_note(two_revisions):
    stdin = DEPLOYMENT.replace("namespace: shop", "namespace: plain")
    missing = _inject(two_revisions, stdin=stdin)
    assert missing.exit_code == 69
    assert "no injector webhook fires for Deployment/cart in namespace plain (webhooks serve revision(s) 1-21, 1-22)" in missing.stderr
    assert "configmap istio-sidecar-injector not found" in missing.stderr
    two_revisions.add(*injector_configmaps())
    fallback = _inject(two_revisions, stdin=stdin)
    assert fallback.exit_code == 0, fallback.stderr
    assert "the API server would not inject it; using the default revision's config" in fallback.stderr
    # istiod.istio-system.svc:15012 is Istio's default, which PROXY_CONFIG leaves out.
    assert _proxy(fallback.stdout) == {"image": "registry.istio.io/testing/proxyv2:latest", "rev": "default",
                                       "discovery": None}


def test_several_firing_webhooks_are_named_and_the_first_wins(two_revisions):
    from fakekube import injector_webhook

    # A hand-made 1-21 webhook selecting every namespace overlaps 1-22's; "istio-sidecar-injector-1-21"
    # sorts before "istio-sidecar-injector-1-22", so the API server calls it first.
    two_revisions.add(injector_webhook("1-21", namespace_selector={}))
    result = _inject(two_revisions)
    assert result.exit_code == 0, result.stderr
    assert _proxy(result.stdout)["rev"] == "1-21"
    assert "2 injector webhooks fire" in result.stderr
    assert "also firing: istio-sidecar-injector-1-22/rev.namespace.sidecar-injector.istio.io (revision 1-22)" in result.stderr


def test_workloads_bound_for_different_revisions_are_refused(two_revisions):
    both = DEPLOYMENT + "---\n" + DEPLOYMENT.replace("namespace: shop", "namespace: legacy")
    result = _inject(two_revisions, stdin=both)
    assert result.exit_code == 2
    assert "Deployment/cart in shop: 1-22, Deployment/cart in legacy: 1-21" in result.stderr


def test_a_namespace_that_does_not_exist_yet_has_no_labels(two_revisions):
    two_revisions.add(rev_object_webhook("1-21"))
    stdin = DEPLOYMENT.replace("namespace: shop", "namespace: new-team").replace("labels: {app: cart}",
                                                                                 "labels: {app: cart, istio.io/rev: 1-21}")
    result = _inject(two_revisions, stdin=stdin)
    assert result.exit_code == 0, result.stderr
    assert "namespace new-team not found: webhook selectors evaluated with no namespace labels" in result.stderr
    assert _proxy(result.stdout)["rev"] == "1-21"


def test_webhook_mode_asks_the_firing_revisions_service(two_revisions, tmp_path):
    from fakekube import injector_webhook, pod

    seen = {}
    for revision in TAGS:
        (tmp_path / revision).mkdir()
    with serve_webhook(tmp_path / "1-21", "istiod-1-21.istio-system.svc") as old, \
         serve_webhook(tmp_path / "1-22", "istiod-1-22.istio-system.svc") as new:  # fmt: skip
        for revision, (ca_pem, address, requests) in (("1-21", old), ("1-22", new)):
            seen[revision] = requests
            two_revisions.add(injector_webhook(revision, ca_bundle_pem=ca_pem,
                                               namespace_selector=rev_namespace_selector(revision)))  # replaces it
            service = {"apiVersion": "v1", "kind": "Service",
                       "metadata": {"name": f"istiod-{revision}", "namespace": "istio-system"},
                       "spec": {"selector": {"app": "istiod", "istio.io/rev": revision},
                                "ports": [{"name": "https-webhook", "port": 443, "targetPort": 15017}]}}
            two_revisions.add(service, pod(f"istiod-{revision}-abc", "istio-system",
                                           labels={"app": "istiod", "istio.io/rev": revision}))
            two_revisions.forward_port(15017, address, pod=f"istiod-{revision}-abc", namespace="istio-system")
        result = _inject(two_revisions, "--webhook")
    assert result.exit_code == 0, result.stderr
    assert seen["1-21"] == [] and len(seen["1-22"]) == 1
    path, review = seen["1-22"][0]
    assert path == "/inject/cluster/Kubernetes/net/network1" and review["request"]["namespace"] == "shop"
    assert "image: webhook/proxyv2:1" in result.stdout
