"""webhooks, proxy-status, rootca-compare and bootstrap against the fake API server (and the Envoy rig)."""

from __future__ import annotations

import json

import pytest

from meshctl.sandbox import bootstrap as sandbox_bootstrap
from meshctl.sandbox.certs import TestCA

from fakekube import configmap, injector_webhook, istio_pod, namespace, pod
from fakekube.targets import http_target
from helpers import ISTIO_TESTDATA, call_meshctl, require_shared

POD, NS = "reviews-v1-abc", "bookinfo"


def meshctl(kube, *args):
    return call_meshctl(*args, "--kubeconfig", str(kube.kubeconfig_path))


# ---- webhooks -----------------------------------------------------------------------------------


@pytest.fixture
def injectors(fake_kube):
    ca = TestCA()
    fake_kube.add(namespace(NS, {"istio-injection": "enabled"}), namespace("canary", {"istio.io/rev": "1-21"}), namespace("plain"))
    fake_kube.add(injector_webhook(ca_bundle_pem=ca.root.cert_pem))
    fake_kube.add(injector_webhook("1-21", namespace_selector={"matchLabels": {"istio.io/rev": "1-21"}}))
    fake_kube.add(istio_pod(POD, NS), istio_pod("ratings-v1-abc", "canary", revision="1-21"), pod("web-1", "plain"))
    return fake_kube, ca


@pytest.mark.kube
def test_webhooks_list(injectors):
    kube, ca = injectors
    result = meshctl(kube, "webhooks")
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["WEBHOOK", "REVISION", "SERVICE"]
    assert lines[1].split()[:4] == ["istio-sidecar-injector/namespace.sidecar-injector.istio.io", "default", "istiod.istio-system:443/inject", "Fail"]
    assert "O=cluster.local" in lines[1] and ca.root.not_after.strftime("%Y-%m-%dT%H:%M:%SZ") in lines[1]
    assert lines[2].split()[1:3] == ["1-21", "istiod-1-21.istio-system:443/inject/cluster/Kubernetes/net/network1"]


@pytest.mark.kube
@pytest.mark.parametrize(
    ("args", "fires"),
    [
        (["--pod", f"{POD}.{NS}"], {"istio-sidecar-injector": "yes", "istio-sidecar-injector-1-21": "no"}),
        (["--pod", "ratings-v1-abc", "-n", "canary"], {"istio-sidecar-injector": "no", "istio-sidecar-injector-1-21": "yes"}),
        (["--pod", "web-1.plain"], {"istio-sidecar-injector": "no", "istio-sidecar-injector-1-21": "no"}),
        (["-n", NS, "--labels", "sidecar.istio.io/inject=false"], {"istio-sidecar-injector": "no", "istio-sidecar-injector-1-21": "no"}),
    ],
)
def test_webhooks_for_a_pod(injectors, args, fires):
    kube, _ = injectors
    result = meshctl(kube, "webhooks", *args, "-o", "json")
    assert result.exit_code == 0, result
    document = json.loads(result.stdout)
    assert {w["configuration"]: "yes" if w["fires"] else "no" for w in document["webhooks"]} == fires
    for verdict in document["webhooks"]:
        assert len(verdict["reasons"]) == 2 and verdict["reasons"][0].startswith("namespace ")
    firing = [w for w in document["webhooks"] if w["fires"]]
    if firing:
        suffix = "" if firing[0]["revision"] == "default" else "-1-21"
        assert firing[0]["configMaps"] == [f"istio-system/istio-sidecar-injector{suffix}", f"istio-system/istio{suffix}"]


@pytest.mark.kube
def test_webhooks_text_verdict_and_note(injectors):
    kube, _ = injectors
    result = meshctl(kube, "webhooks", "--pod", "web-1.plain")
    assert result.exit_code == 0
    assert "namespace plain fails namespaceSelector: istio-injection=enabled (istio-injection not set)" in result.stdout
    assert result.stderr == "meshctl: note: no injector webhook fires: the pod will not get a sidecar\n"


@pytest.mark.kube
def test_webhooks_errors(injectors, tmp_path):
    kube, _ = injectors
    result = meshctl(kube, "webhooks", "--pod", "nope.plain")
    assert (result.exit_code, result.stderr) == (69, "meshctl: error: pod nope not found in namespace plain\n")
    kube.deny("list", "mutatingwebhookconfigurations")
    denied = meshctl(kube, "webhooks")
    assert denied.exit_code == 69 and denied.stderr.startswith("meshctl: error: RBAC denied: cannot list mutatingwebhookconfigurations: ")
    both = meshctl(kube, "webhooks", "--pod", "x", "--labels", "a=b")
    assert both.exit_code == 2 and both.stderr.count("\n") == 1


def test_webhooks_from_file_needs_no_cluster(tmp_path):
    path = tmp_path / "mwc.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [injector_webhook()]}))
    result = call_meshctl("webhooks", "-f", str(path), "--labels", "app=x", "-n", "shop", "--namespace-labels", "istio-injection=enabled")
    assert result.exit_code == 0, result
    assert result.stdout.splitlines()[1].split()[2] == "yes"
    assert call_meshctl("webhooks", "-f", str(path), "--labels", "app=x").exit_code == 2


# ---- proxy-status -------------------------------------------------------------------------------


SYNCZ = [
    {"cluster_id": "Kubernetes", "proxy": f"{POD}.{NS}", "istio_version": "1.24.1",
     "cluster_sent": "a", "cluster_acked": "a", "listener_sent": "b", "listener_acked": "b",
     "route_sent": "c", "route_acked": "c", "endpoint_sent": "d", "endpoint_acked": "x"},
    {"cluster_id": "Kubernetes", "proxy": "ratings-v1-abc.canary", "istio_version": "1.24.1"},
]  # fmt: skip


def istiod_pod(name: str) -> dict:
    return pod(name, "istio-system", labels={"app": "istiod", "istio.io/rev": "default"},
               containers=[{"name": "discovery", "image": "docker.io/istio/pilot:1.24.1"}])  # fmt: skip


@pytest.mark.kube
def test_proxy_status_via_istiod_port_forward(fake_kube):
    fake_kube.add(istiod_pod("istiod-7d9c-abc"), istio_pod(POD, NS))
    with http_target({"/debug/syncz": json.dumps(SYNCZ).encode()}) as target:
        fake_kube.forward_port(15014, target, pod="istiod-7d9c-abc")
        result = meshctl(fake_kube, "proxy-status", "--show-path")  # -v is istioctl's --verbosity here
        single = meshctl(fake_kube, "proxy-status", f"{POD}.{NS}", "-o", "wide")
    assert result.exit_code == 0, result
    assert result.stdout.splitlines() == [
        "NAME                        CLUSTER        ISTIOD              VERSION     SUBSCRIBED TYPES",
        "ratings-v1-abc.canary       Kubernetes     istiod-7d9c-abc     1.24.1      5 (CDS,LDS,EDS,RDS,ECDS)",
        "reviews-v1-abc.bookinfo     Kubernetes     istiod-7d9c-abc     1.24.1      5 (CDS,LDS,EDS,RDS,ECDS)",
    ]
    assert "port-forward to istiod-7d9c-abc.istio-system:15014: /debug/syncz" in result.stderr
    assert single.exit_code == 0, single
    assert single.stdout.splitlines()[1].split() == [f"{POD}.{NS}", "Kubernetes", "SYNCED", "NOT", "SENT", "STALE", "SYNCED", "SYNCED", "istiod-7d9c-abc", "1.24.1"]


@pytest.mark.kube
def test_proxy_status_exec_fallback_and_two_istiods(fake_kube):
    fake_kube.add(istiod_pod("istiod-a"), istiod_pod("istiod-b"))
    fake_kube.refuse_port_forward("upgrade")
    fake_kube.on_exec(["pilot-discovery", "request", "GET", "debug/syncz"], json.dumps(SYNCZ[:1]).encode(), pod="istiod-a")
    fake_kube.on_exec(["pilot-discovery", "request", "GET", "debug/syncz"], json.dumps(SYNCZ[1:]).encode(), pod="istiod-b")
    result = meshctl(fake_kube, "proxy-status", "-o", "yaml")
    assert result.exit_code == 0, result
    assert result.stdout.count("controlPlane:") == 2
    assert "ID\":\"istiod-a\"" in result.stdout and "ID\":\"istiod-b\"" in result.stdout
    other_revision = meshctl(fake_kube, "proxy-status", "-r", "canary")
    assert other_revision.exit_code == 69
    assert "no running istiod pods in namespace istio-system (selector app=istiod,istio.io/rev=canary)" in other_revision.stderr


@pytest.mark.kube
def test_proxy_status_no_istiod(fake_kube):
    result = meshctl(fake_kube, "proxy-status", "-i", "mesh-system")
    assert (result.exit_code, result.stderr.count("\n")) == (69, 1)
    assert "no running istiod pods in namespace mesh-system" in result.stderr


# ---- rootca-compare -----------------------------------------------------------------------------


@pytest.fixture
def two_sidecars(fake_kube, envoy_rig):
    fake_kube.add(istio_pod(POD, NS), istio_pod("ratings-v1-abc", NS))
    fake_kube.forward_port(15000, ("127.0.0.1", envoy_rig.admin_port))
    return fake_kube


@pytest.mark.kube
@pytest.mark.envoy
def test_rootca_compare_two_pods_and_a_file(two_sidecars, envoy_rig, tmp_path):
    pods = meshctl(two_sidecars, "pc", "rootca-compare", f"{POD}.{NS}", f"ratings-v1-abc.{NS}")
    assert pods.exit_code == 0, pods
    assert pods.stdout.splitlines()[-1] == (
        f"Both [{POD}.{NS}] and [ratings-v1-abc.{NS}] have the identical ROOTCA, theoretically the connectivity between them is available"
    )
    assert f"{envoy_rig.ca.root.serial:x}" in pods.stdout
    dump = tmp_path / "other.json"
    dump.write_bytes(envoy_rig.admin().fetch("config_dump"))
    mixed = meshctl(two_sidecars, "rootca-compare", f"{POD}.{NS}", "-f", str(dump), "-o", "json")
    assert mixed.exit_code == 0 and json.loads(mixed.stdout)["identical"] is True


@pytest.mark.kube
@pytest.mark.envoy
def test_rootca_compare_with_configmap(two_sidecars, envoy_rig):
    two_sidecars.add(configmap("istio-ca-root-cert", NS, {"root-cert.pem": envoy_rig.ca.root.cert_pem.decode()}))
    same = meshctl(two_sidecars, "rootca-compare", f"{POD}.{NS}", "--configmap")
    assert same.exit_code == 0, same
    # a CA migration: the ConfigMap carries a second root; the proxies still share the first
    other = TestCA()
    bundle = (envoy_rig.ca.root.cert_pem + other.root.cert_pem).decode()
    two_sidecars.add(configmap("istio-ca-root-cert", NS, {"root-cert.pem": bundle}))
    migrating = meshctl(two_sidecars, "rootca-compare", f"{POD}.{NS}", "--configmap", "-o", "json")
    assert migrating.exit_code == 0
    assert json.loads(migrating.stdout)["sharedRoots"] == 1 and len(json.loads(migrating.stdout)["roots"]) == 2
    two_sidecars.add(configmap("istio-ca-root-cert", NS, {"root-cert.pem": other.root.cert_pem.decode()}))
    differ = meshctl(two_sidecars, "rootca-compare", f"{POD}.{NS}", "--configmap")
    assert differ.exit_code == 79
    assert differ.stderr == (
        f"meshctl: error: Both [{POD}.{NS}] and [configmap {NS}/istio-ca-root-cert] have the non identical ROOTCA, "
        "theoretically the connectivity between them is unavailable\n"
    )


@pytest.mark.kube
def test_rootca_compare_usage_and_missing_configmap(fake_kube, istio_testdata):
    dump = require_shared(ISTIO_TESTDATA / "istioctl/pkg/writer/envoy/configdump/testdata/secret/istio/config_dump.json")
    assert call_meshctl("rootca-compare", "-f", str(dump)).exit_code == 2
    missing = meshctl(fake_kube, "rootca-compare", "-f", str(dump), "--configmap", "-n", NS)
    assert (missing.exit_code, missing.stderr) == (69, f"meshctl: error: configmap istio-ca-root-cert not found in namespace {NS}\n")


# ---- bootstrap ----------------------------------------------------------------------------------


@pytest.mark.kube
@pytest.mark.envoy
def test_bootstrap_from_envoy_rev_json_by_exec(fake_kube, envoy_rig):
    fake_kube.add(istio_pod(POD, NS))
    rev = (envoy_rig.run_dir / sandbox_bootstrap.BOOTSTRAP_PATH).read_bytes()
    fake_kube.on_exec(["cat", "/etc/istio/proxy/envoy-rev.json"], rev, container="istio-proxy")
    result = meshctl(fake_kube, "bootstrap", f"{POD}.{NS}", "-v")
    assert result.exit_code == 0, result
    assert "Seed Chain:        xds-grpc -> ./etc/istio/proxy/XDS (pilot-agent xDS proxy) -> istiod istiod.istio-system.svc:15012" in result.stdout
    assert "sds-grpc -> ./var/run/secrets/workload-spiffe-uds/socket (pilot-agent SDS server)" in result.stdout
    assert "Proxy Args:        proxy sidecar --domain $(POD_NAMESPACE).svc.cluster.local --proxyLogLevel=warning" in result.stdout
    assert "Revision:          default" in result.stdout
    assert f"read /etc/istio/proxy/envoy-rev.json from {POD}.{NS} (exec)" in result.stderr


@pytest.mark.kube
@pytest.mark.envoy
def test_bootstrap_falls_back_to_the_dump(fake_kube, envoy_rig):
    fake_kube.add(istio_pod(POD, NS, revision="1-21"))
    fake_kube.forward_port(15000, ("127.0.0.1", envoy_rig.admin_port))
    result = meshctl(fake_kube, "bootstrap", f"{POD}.{NS}", "-o", "json", "-v")
    assert result.exit_code == 0, result
    document = json.loads(result.stdout)
    assert document["source"] == f"{POD}.{NS} config_dump"
    assert document["container"]["revision"] == "1-21"
    assert document["container"]["env"]["CA_ADDR"] == "istiod-1-21.istio-system.svc:15012"
    assert [link["cluster"] for link in document["seedChain"]] == ["xds-grpc", "sds-grpc"]
    assert "cannot read /etc/istio/proxy/envoy-rev.json" in result.stderr


def test_bootstrap_from_file_and_usage(istio_testdata, tmp_path):
    dump = require_shared(ISTIO_TESTDATA / "istioctl/pkg/writer/envoy/configdump/testdata/bootstrapdump.json")
    result = call_meshctl("bootstrap", "-f", str(dump))
    assert result.exit_code == 0, result
    assert result.stdout.startswith("Istio Version:       1.10.0\n") and "Envoy Version:       1.18.3/Clean/RELEASE/BoringSSL" in result.stdout
    assert call_meshctl("bootstrap").exit_code == 2
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert call_meshctl("bootstrap", "-f", str(bad)).exit_code == 65
