"""`meshctl inject --webhook`: the cluster's injector webhook, reached by port-forward and verified TLS.

The webhook is a real HTTPS server (its certificate issued for istiod.istio-system.svc by a test CA
that the MutatingWebhookConfiguration's caBundle names) answering AdmissionReviews with a fixed patch.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import call_meshctl, require_shared
from tests.inject.cases import INJECT_DIR
from tests.inject.test_inject_cluster import _configmaps, _node

pytestmark = pytest.mark.kube

PATCH = [
    {"op": "add", "path": "/metadata/annotations", "value": {"webhook.test/seen": "yes"}},
    {"op": "add", "path": "/spec/containers/-", "value": {"name": "istio-proxy", "image": "webhook/proxyv2:1"}},
]


def _ca_and_server_cert(tmp_path, dns_name: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def build(subject, issuer, key, sign_key, *, ca: bool):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
                   .not_valid_after(now + datetime.timedelta(hours=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
        return builder.sign(sign_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cluster.local")])
    ca = build(ca_name, ca_name, ca_key, ca_key, ca=True)
    leaf = build(x509.Name([]), ca_name, key, ca_key, ca=False)
    cert_file, key_file = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca.public_bytes(serialization.Encoding.PEM), cert_file, key_file


@contextlib.contextmanager
def serve_webhook(tmp_path, dns_name: str, patch: list = PATCH):
    """A real HTTPS injector webhook with a certificate for `dns_name`: yields (CA PEM, address, requests seen)."""
    ca_pem, cert_file, key_file = _ca_and_server_cert(tmp_path, dns_name)
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append((self.path, review))
            answer = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
                "uid": review["request"]["uid"], "allowed": True, "patchType": "JSONPatch",
                "patch": base64.b64encode(json.dumps(patch).encode()).decode()}}
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 - stdlib signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield ca_pem, server.server_address, requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def webhook_server(tmp_path):
    with serve_webhook(tmp_path, "istiod.istio-system.svc") as served:
        yield served


def _istiod(fake_kube, ca_pem: bytes, target) -> None:
    from fakekube import injector_webhook, pod

    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "istiod", "namespace": "istio-system"},
               "spec": {"selector": {"app": "istiod"}, "ports": [{"name": "https-webhook", "port": 443, "targetPort": 15017}]}}
    fake_kube.add(injector_webhook(ca_bundle_pem=ca_pem), service, pod("istiod-abc", "istio-system", labels={"app": "istiod"}))
    fake_kube.add(*_configmaps(), _node("n0", "v1.33.0"))
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
    other_ca, _, _ = _ca_and_server_cert(tmp_path_factory.mktemp("other-ca"), "istiod.istio-system.svc")
    _istiod(fake_kube, other_ca, address)
    result = call_meshctl("inject", "--webhook", "-f", str(INJECT_DIR / "hello.yaml"), "--kubeconfig", str(fake_kube.kubeconfig_path))
    assert result.exit_code == 69
    assert "TLS" in result.stderr and "istiod.istio-system.svc" in result.stderr
    assert requests == []
