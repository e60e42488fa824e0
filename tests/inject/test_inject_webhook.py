"""`meshctl inject --webhook`: the cluster's injector webhook, reached by port-forward and verified TLS.

The webhook is a real HTTPS server (its certificate issued for istiod.istio-system.svc by a test CA
that the MutatingWebhookConfiguration's caBundle names) answering AdmissionReviews with a fixed patch.
"""

from __future__ import annotations

import pytest

from helpers import call_meshctl, require_shared
from helpers.injection import INJECT_DIR, ca_and_server_cert, injector_configmaps, node, serve_webhook

pytestmark = pytest.mark.kube

@pytest.fixture
def webhook_server(tmp_path):
    with serve_webhook(tmp_path, "istiod.istio-system.svc") as served:
        yield served


def _istiod(fake_kube, ca_pem: bytes, target) -> None:
    from fakekube import injector_webhook, pod

    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "istiod", "namespace": "istio-system"},
               "spec": {"selector": {"app": "istiod"}, "ports": [{"name": "https-webhook", "port": 443, "targetPort": 15017}]}}
    fake_kube.add(injector_webhook(ca_bundle_pem=ca_pem), service, pod("istiod-abc", "istio-system", labels={"app": "istiod"}))
    fake_kube.add(*injector_configmaps(), node("n0", "v1.33.0"))
    fake_kube.forward_port(15017, target, pod="istiod-abc", namespace="istio-system")


def test_webhook_patch_is_applied_to_the_workload(fake_kube, webhook_server):
    require_shared(INJECT_DIR)
    ca_pem, address, requests = webhook_server
    _istiod(fake_kube, ca_pem, address)
    result = call_meshctl("inject", "--webhook", "-f", str(INJECT_DIR / "hello.yaml"), "--kubeconfig", str(fake_kube.kubeconfig_path))
    assert result.exit_code == 0, result.stderr
    assert "webhook.test/seen: \"yes\"" in result.stdout and "image: webhook/proxyv2:1" in result.stdout
    path, review = requests[0]
    assert path == "/inject" and review["request"]["object"]["spec"]["containers"][0]["name"] == "hello"


def test_webhook_diff_against_the_local_render(fake_kube, webhook_server):
    require_shared(INJECT_DIR)
    ca_pem, address, _ = webhook_server
    _istiod(fake_kube, ca_pem, address)
    result = call_meshctl("inject", "--webhook", "--diff", "-f", str(INJECT_DIR / "hello.yaml"),
                          "--kubeconfig", str(fake_kube.kubeconfig_path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("--- local\n+++ webhook\n")
    assert "-        - --log_output_level=default:info" in result.stdout  # the local render's istio-init args


def test_webhook_tls_is_verified_against_the_ca_bundle(fake_kube, webhook_server, tmp_path_factory):
    require_shared(INJECT_DIR)
    _, address, requests = webhook_server
    other_ca, _, _ = ca_and_server_cert(tmp_path_factory.mktemp("other-ca"), "istiod.istio-system.svc")
    _istiod(fake_kube, other_ca, address)
    result = call_meshctl("inject", "--webhook", "-f", str(INJECT_DIR / "hello.yaml"), "--kubeconfig", str(fake_kube.kubeconfig_path))
    assert result.exit_code == 69
    assert "TLS" in result.stderr and "istiod.istio-system.svc" in result.stderr
    assert requests == []
