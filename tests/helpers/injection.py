"""Istio's injection test cases (pkg/kube/inject TestInjection), as data for tests and the benchmark.

The settings come from the table in ../shared/istio-testdata/MANIFEST.md (Istio's inject_test.go):
operator ``--set`` flags, IstioOperator overlays, edits of the Go MeshConfig (here: of its JSON form)
and feature flags. Cases without an entry run with the default config.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from helpers import ISTIO_TESTDATA

INJECT_DIR = ISTIO_TESTDATA / "pkg/kube/inject/testdata/inject"
KUBEINJECT_DIR = ISTIO_TESTDATA / "istioctl/pkg/kubeinject/testdata"
# The rendered ConfigMaps Istio's test builds its default config from (see MANIFEST.md).
INJECTOR_CONFIGMAP = ISTIO_TESTDATA / "operator/pkg/helm/testdata/output/istiod-waypoint-workload-socket.golden.yaml"
MESH_CONFIGMAP = ISTIO_TESTDATA / "operator/cmd/mesh/testdata/manifest-generate/output/pilot_disable_tracing.golden.yaml"


def _proxy(**fields):
    def edit(mesh):
        mesh["defaultConfig"].update(fields)

    return edit


def _proxy_metadata(mesh):
    mesh["defaultConfig"].setdefault("proxyMetadata", {})["ISTIO_META_TLS_CLIENT_KEY"] = (
        "/etc/identity/client/keys/client-key.pem"
    )


def _localhost(mesh):
    mesh["inboundTrafficPolicy"] = {"mode": "LOCALHOST"}


def _otel(mesh):
    mesh["extensionProviders"].append({
        "name": "otel",
        "opentelemetry": {
            "service": "otel-collector.observability.svc.cluster.local",
            "port": 4317,
            "serviceAttributeEnrichment": "OTEL_SEMANTIC_CONVENTIONS",
        },
    })


@dataclass(frozen=True)
class Case:
    golden: str  # file name of the golden under INJECT_DIR ("" for an error case)
    input: str
    sets: tuple = ()
    iop: str = ""
    mesh_edit: object = None
    native_sidecars: bool = True
    compliance_policy: str = ""
    error: str = ""  # expected (lower-cased) fragment of the error message
    skip: str = ""  # why meshctl cannot run it like kube-inject does
    # Namespace annotations for OpenShift cases (Istio's test namespace `test-ns`).
    openshift_namespace: tuple = ()

    @property
    def config_key(self) -> tuple:
        return (self.sets, self.iop, self.mesh_edit, self.native_sidecars, self.compliance_policy, self.openshift_namespace)


_CNI = ("components.cni.enabled=true",)
_STATUS = (
    "values.global.proxy.statusPort=123",
    "values.global.proxy.readinessInitialDelaySeconds=100",
    "values.global.proxy.readinessPeriodSeconds=200",
    "values.global.proxy.readinessFailureThreshold=300",
)
_HOLD = ("values.global.proxy.holdApplicationUntilProxyStarts=true",)
_TPROXY = _proxy(interceptionMode="TPROXY")
_OPENSHIFT = "webhook-only in Istio (kube-inject does not run on OpenShift)"
_TEST_NS = (("openshift.io/sa.scc.uid-range", "1000620000/10000"), ("openshift.io/sa.scc.supplemental-groups", "1000620000/10000"))

EXPLICIT = [
    Case("hello.yaml.cni.injected", "hello.yaml", (*_CNI, "values.cni.provider=default", "values.global.network=network1")),
    Case("hello.yaml.proxyImageName.injected", "hello.yaml", ("values.global.proxy.image=proxyTest",)),
    Case("hello.yaml.proxyInitImageName.injected", "hello.yaml", ("values.global.proxy_init.image=proxyInitTest",)),
    Case("hello-tproxy.yaml.injected", "hello.yaml", mesh_edit=_TPROXY),
    Case("hello-always.yaml.injected", "hello.yaml", ("values.global.imagePullPolicy=Always",)),
    Case("hello-never.yaml.injected", "hello.yaml", ("values.global.imagePullPolicy=Never",)),
    Case("hello-old-version.yaml.injected", "hello.yaml", native_sidecars=False),
    Case("format-duration.yaml.injected", "format-duration.yaml", mesh_edit=_proxy(drainDuration="23s")),
    Case("traffic-params.yaml.injected", "traffic-params.yaml", (
        "values.global.proxy.includeIPRanges=127.0.0.1/24,10.96.0.1/24",
        "values.global.proxy.excludeIPRanges=10.96.0.2/24,10.96.0.3/24",
        "values.global.proxy.excludeInboundPorts=4,5,6",
        "values.global.proxy.statusPort=0",
    )),
    Case("status_params.yaml.injected", "status_params.yaml", _STATUS),
    Case("reroute-virtual-interfaces.yaml.injected", "reroute-virtual-interfaces.yaml", _STATUS),
    Case("hello-image-secrets-in-values.yaml.injected", "hello.yaml", iop="hello-image-secrets-in-values.iop.yaml"),
    Case("hello-template-in-values.yaml.injected", "hello.yaml", iop="hello-template-in-values.iop.yaml"),
    Case("hello-mount-mtls-certs.yaml.injected", "hello.yaml", ("values.global.mountMtlsCerts=true",)),
    Case("hello-cncf-networks.yaml.injected", "hello.yaml", (*_CNI, "values.cni.provider=multus")),
    Case("hello-existing-cncf-networks.yaml.injected", "hello-existing-cncf-networks.yaml", (*_CNI, "values.cni.provider=multus")),
    Case("hello.proxyHoldsApplication.yaml.injected", "hello.yaml", _HOLD),
    Case("hello-probes.proxyHoldsApplication.yaml.injected", "hello-probes.yaml", _HOLD),
    Case("hello-service.yaml.injected", "hello-service.yaml"),
    Case("daemonset-old-version.yaml.injected", "daemonset.yaml", native_sidecars=False),
    Case("job-old-version.yaml.injected", "job.yaml", native_sidecars=False),
    Case("pod-old-version.yaml.injected", "pod.yaml", native_sidecars=False),
    Case("replicaset-old-version.yaml.injected", "replicaset.yaml", native_sidecars=False),
    Case("statefulset-old-version.yaml.injected", "statefulset.yaml", native_sidecars=False),
    Case("", "traffic-annotations-bad-includeipranges.yaml", error="includeipranges"),
    Case("", "traffic-annotations-bad-excludeipranges.yaml", error="excludeipranges"),
    Case("", "traffic-annotations-bad-includeinboundports.yaml", error="includeinboundports"),
    Case("", "traffic-annotations-bad-excludeinboundports.yaml", error="excludeinboundports"),
    Case("", "traffic-annotations-bad-excludeoutboundports.yaml", error="excludeoutboundports"),
    Case("traffic-annotations.yaml.injected", "traffic-annotations.yaml", mesh_edit=_proxy_metadata),
    Case("proxy-override-runas.yaml.cni.injected", "proxy-override-runas.yaml", _CNI),
    Case("proxy-override-runas.yaml.tproxy.injected", "proxy-override-runas.yaml", mesh_edit=_TPROXY),
    Case("native-sidecar-old-version.yaml.injected", "native-sidecar.yaml", native_sidecars=False),
    Case("native-sidecar-opt-in.yaml.injected", "native-sidecar-opt-in.yaml"),
    Case("native-sidecar-opt-in.yaml.injected", "native-sidecar-opt-in.yaml", native_sidecars=False),
    Case("merge-probers.yaml.injected", "merge-probers.yaml", _HOLD),
    Case("hello-tracing-disabled.yaml.injected", "hello-tracing-disabled.yaml", mesh_edit=_proxy(tracing={})),
    Case("hello-openshift.yaml.injected", "hello-openshift.yaml", _CNI, skip=_OPENSHIFT, openshift_namespace=_TEST_NS),
    Case("hello-openshift-custom-injection.yaml.injected", "hello-openshift-custom-injection.yaml", _CNI, skip=_OPENSHIFT, openshift_namespace=_TEST_NS),
    Case("hello-openshift-tproxy.yaml.injected", "hello-openshift-tproxy.yaml", _CNI, skip=_OPENSHIFT, openshift_namespace=_TEST_NS),
    Case("hello-probes-localhost.yaml.injected", "hello-probes-localhost.yaml", mesh_edit=_localhost),
    Case("proxy-resources-null-no-init.yaml.injected", "proxy-resources-null-no-init.yaml", iop="proxy-resources-null.iop.yaml"),
    Case("proxy-resources-zero.yaml.injected", "proxy-resources-zero.yaml", iop="proxy-resources-zero.iop.yaml"),
    Case("proxy-resources-memory-null.yaml.injected", "proxy-resources-memory-null.yaml", iop="proxy-resources-memory-null.iop.yaml"),
    Case("proxy-resources-mixed-null.yaml.injected", "proxy-resources-mixed-null.yaml", iop="proxy-resources-mixed-null.iop.yaml"),
    Case("sidecar-spire.yaml.injected", "sidecar-spire.yaml", iop="spire-template.iop.yaml"),
    Case("gateway-spire.yaml.injected", "gateway-spire.yaml", iop="spire-template.iop.yaml"),
    Case("hello-otel-semconv.yaml.injected", "hello-otel-semconv.yaml", mesh_edit=_otel),
    Case("hello-fips-140-3.yaml.injected", "hello.yaml", compliance_policy="fips-140-3"),
]


def all_cases(root: Path = INJECT_DIR) -> list[Case]:
    """The explicit cases plus every `<input>.yaml` with a `<input>.yaml.injected` golden (default config)."""
    cases = list(EXPLICIT)
    explicit_inputs = {c.input for c in EXPLICIT if c.golden == c.input + ".injected"}
    for golden in sorted(root.glob("*.yaml.injected")):
        name = golden.name[: -len(".injected")]
        if name in explicit_inputs or any(c.golden == golden.name for c in EXPLICIT):
            continue
        if (root / name).exists() and not name.endswith(".iop.yaml"):
            cases.append(Case(golden.name, name))
    return [c for c in cases if (root / c.input).exists()]


_CONFIGS: dict = {}


def config_for(case: Case):
    """The InjectionConfig of a case (built once per distinct settings; templates parsed once each)."""
    from meshctl.inject import config as cfg
    from meshctl.inject.pipeline import build_config

    if case.config_key not in _CONFIGS:
        settings = cfg.Settings()
        if case.iop:
            settings.apply_operator((INJECT_DIR / case.iop).read_text())
        for assignment in case.sets:
            settings.apply_set(assignment)
        _CONFIGS[case.config_key] = build_config(
            inject_config=INJECTOR_CONFIGMAP.read_text(),
            mesh=MESH_CONFIGMAP.read_text(),
            settings=settings,
            native_sidecars=case.native_sidecars,
            compliance_policy=case.compliance_policy,
            mesh_edit=case.mesh_edit,
        )
        if case.openshift_namespace:
            from meshctl.inject.injector import openshift_proxy_ids

            _CONFIGS[case.config_key].platform_proxy_ids = openshift_proxy_ids(dict(case.openshift_namespace))
    return _CONFIGS[case.config_key]


# ---- cluster objects and a real injector webhook (builders shared by tests/inject/*) ----

TAGS = {"1-21": "1.21.3", "1-22": "1.22.1"}


def node(name: str, version: str) -> dict:
    """A Node whose kubelet is `version` (native sidecars need >= 1.33)."""
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "status": {"nodeInfo": {"kubeletVersion": version}}}


def injector_configmaps(revision: str = "") -> list[dict]:
    """The injector and mesh ConfigMaps of Istio's test data, named for `revision` ("" = default)."""
    from meshctl.goenc import goyaml

    from fakekube import configmap

    suffix = f"-{revision}" if revision else ""
    injector = next(d for d in goyaml.unmarshal_all(INJECTOR_CONFIGMAP.read_text()) if d and d.get("kind") == "ConfigMap")
    mesh = next(d for d in goyaml.unmarshal_all(MESH_CONFIGMAP.read_text()) if d and d.get("metadata", {}).get("name") == "istio")
    return [
        configmap(f"istio-sidecar-injector{suffix}", "istio-system", injector["data"]),
        configmap(f"istio{suffix}", "istio-system", mesh["data"]),
    ]


PATCH = [
    {"op": "add", "path": "/metadata/annotations", "value": {"webhook.test/seen": "yes"}},
    {"op": "add", "path": "/spec/containers/-", "value": {"name": "istio-proxy", "image": "webhook/proxyv2:1"}},
]


def ca_and_server_cert(tmp_path, dns_name: str):
    """(CA PEM, server cert file, key file): a test CA and a server certificate for `dns_name`."""
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
    ca_pem, cert_file, key_file = ca_and_server_cert(tmp_path, dns_name)
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


def revision_configmaps(revision: str) -> list[dict]:
    """The ConfigMaps of revision `revision` (TAGS), each with its own proxy tag and discovery address."""
    injector, mesh = injector_configmaps(revision)
    values = json.loads(injector["data"]["values"])
    values["global"]["tag"] = TAGS[revision]
    values["revision"] = revision  # the chart sets it; the template derives CA_ADDR (istiod-REV) from it
    injector["data"]["values"] = json.dumps(values)
    mesh["data"]["mesh"] = mesh["data"]["mesh"].replace("istiod.istio-system.svc", f"istiod-{revision}.istio-system.svc")
    return [injector, mesh]


def rev_namespace_selector(revision: str) -> dict:
    """The namespace selector of istio's chart rev.namespace.sidecar-injector.istio.io webhook."""
    return {"matchExpressions": [{"key": "istio.io/rev", "operator": "In", "values": [revision]},
                                 {"key": "istio-injection", "operator": "DoesNotExist"}]}


def rev_object_webhook(revision: str) -> dict:
    """Like istio's rev.object webhook (simplified): the pod's own istio.io/rev label selects the revision."""
    from fakekube import injector_webhook

    webhook = injector_webhook(revision, namespace_selector={}, object_selector={"matchLabels": {"istio.io/rev": revision}})
    webhook["metadata"]["name"] += "-object"
    return webhook
