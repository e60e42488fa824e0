"""`meshctl describe` on the fake cluster with the Istio CRDs: istioctl's shared config dumps behind
the pods, the bookinfo objects in the API server; and against the real Envoy of the sandbox."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from fakekube import istio_pod, namespace, pod
from fakekube.targets import http_target
from helpers import call_meshctl, require_shared
from helpers.describe import (
    DESCRIBE_TESTDATA,
    INGRESS_SECTION,
    SERVICE_SECTION,
    destination_rule,
    gateway,
    ingress_pod,
    ingress_service,
    mesh_configmap,
    peer_authentication,
    productpage_pod,
    productpage_service,
    service,
    virtual_service,
)
from helpers.jsondocs import validate

pytestmark = pytest.mark.kube

POD = "productpage-v1-1234567890"


@pytest.fixture
def bookinfo(fake_kube):
    """productpage and the ingress gateway, each answering its config dump from the shared testdata."""
    dump = require_shared(DESCRIBE_TESTDATA / "http_config.json").read_bytes()
    fake_kube.add(productpage_pod(), productpage_service(), ingress_pod(), ingress_service(), mesh_configmap(),
                  destination_rule(), virtual_service(), gateway())
    with http_target({"/config_dump": dump}) as target:
        fake_kube.forward_port(15000, target)
        yield fake_kube


def describe(kube, *args: str):
    return call_meshctl("describe", *args, "--kubeconfig", str(kube.kubeconfig_path))


def test_describe_pod_prints_istioctls_text_from_the_api_and_the_proxy(bookinfo):
    result = describe(bookinfo, "pod", POD, "--no-checks")

    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"Pod: {POD}\n   Pod Revision: default\n   Pod Ports: 9080 (productpage), 15090 (istio-proxy)\n"
        "--------------------\n" + SERVICE_SECTION +
        "--------------------\nEffective PeerAuthentication:\n   Workload mTLS mode: PERMISSIVE\n"
        "--------------------\n" + INGRESS_SECTION)
    # What it read: the API objects istioctl reads, Istio's at the newest version (v1)
    lists = {(r.resource, r.namespace) for r in bookinfo.requests_for(verb="list")}
    assert {("virtualservices", ""), ("destinationrules", ""), ("gateways", ""), ("peerauthentications", ""),
            ("services", "default"), ("services", "istio-system"), ("pods", "")} <= lists
    assert all(r.path.startswith("/apis/networking.istio.io/v1/") for r in bookinfo.requests_for(resource="virtualservices"))


def test_checks_follow_and_a_mismatch_exits_79(bookinfo):
    result = describe(bookinfo, "po", f"{POD}.default")

    assert result.exit_code == 79
    checks = result.stdout.split("Checked against the proxy's Envoy config:\n")[1].splitlines()
    assert checks[1] == ("   OK        DestinationRule productpage.default subset v1: Envoy has "
                         "outbound|9080|v1|productpage.default.svc.cluster.local (active)")
    assert checks[2].startswith("   MISMATCH  PeerAuthentication PERMISSIVE on port 9080: Envoy has no inbound listener")
    document = json.loads(describe(bookinfo, "pod", POD, "-o", "json").stdout)
    assert document["mismatches"] == 1 and document["services"] == ["productpage.default"]
    validate(document, "meshctl.describe-pod/v1")


def test_describe_svc(bookinfo):
    result = describe(bookinfo, "svc", "productpage", "--no-checks")

    assert result.exit_code == 0, result
    assert result.stdout == SERVICE_SECTION + "--------------------\n" + INGRESS_SECTION
    validate(json.loads(describe(bookinfo, "svc", "productpage", "-o", "json").stdout), "meshctl.describe-service/v1")


def test_other_namespaces_and_revisions_and_a_missing_mesh_config(bookinfo):
    bookinfo.remove("configmaps", "istio", "istio-system")
    bookinfo.add(peer_authentication("default", "istio-system", "STRICT"))

    result = describe(bookinfo, "pod", f"{POD}.default", "-n", "istio-system", "--no-checks")

    assert result.stdout.startswith(f"Pod: {POD}.default\n")  # names outside the namespace described
    assert 'DestinationRule: productpage.default for "productpage"' in result.stdout
    assert "   Workload mTLS mode: STRICT\nApplied PeerAuthentication:\n   default.istio-system\n" in result.stdout
    assert "meshctl: warning: failed to fetch mesh config (using root namespace istio-system)" in result.stderr


def test_unmeshed_and_unreachable_pods(fake_kube):
    fake_kube.add(pod("plain", "default", labels={"app": "plain"}),
                  service("plain", "default", {"app": "plain"}, [{"name": "http", "port": 80, "targetPort": 80}]),
                  istio_pod("deaf-1", "default"))

    plain = describe(fake_kube, "pod", "plain")
    deaf = describe(fake_kube, "pod", "deaf-1")
    ignored = describe(fake_kube, "pod", "deaf-1", "--ignoreUnmeshed", "--no-checks")

    assert plain.exit_code == 0
    assert "WARNING: plain is not part of mesh; no Istio sidecar\n" in plain.stdout
    assert "INFO      Data plane: none: no sidecar and not in ambient mode" in plain.stdout
    assert deaf.exit_code == 69 and deaf.stderr.startswith("meshctl: error: failed to execute command on sidecar:")
    assert ignored.exit_code == 0 and "Skipping Gateway information (no ingress gateway pods)" in ignored.stdout


def test_ambient_namespace(fake_kube):
    fake_kube.add(namespace("ambient", {"istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint"}),
                  pod("app-1", "ambient", labels={"app": "app"}))

    result = describe(fake_kube, "pod", "app-1.ambient")

    assert ("INFO      Data plane: ambient: captured by its node's ztunnel (istio.io/dataplane-mode=ambient on the "
            "namespace), waypoint waypoint") in result.stdout


def test_without_istio_crds(tmp_path):
    from fakekube import FakeKube

    with FakeKube(workdir=tmp_path, crds=()) as kube:
        kube.add(pod("plain", "default"))
        result = call_meshctl("describe", "pod", "plain", "--kubeconfig", str(kube.kubeconfig_path))

    assert result.exit_code == 0
    assert "meshctl: warning: virtualservices.networking.istio.io is not served by the cluster" in result.stderr


@pytest.mark.envoy
@pytest.mark.parametrize(("mode", "mark"), [("PERMISSIVE", "OK"), ("STRICT", "MISMATCH")])
def test_mtls_intent_against_the_real_envoys_inbound_listener(fake_kube, envoy_rig, mode, mark):
    # The sandbox's productpage sidecar: PERMISSIVE chains for 9080 on virtualInbound.
    fake_kube.add(istio_pod("productpage-v1-abc", "default", app="productpage"), productpage_service(), mesh_configmap(),
                  peer_authentication("default", "istio-system", mode))
    fake_kube.back_sidecar(("127.0.0.1", envoy_rig.admin_port))

    result = describe(fake_kube, "pod", "productpage-v1-abc")

    line = next(line for line in result.stdout.splitlines() if "PeerAuthentication" in line and "port 9080" in line)
    assert line.split()[0] == mark
    assert "Envoy's virtualInbound accepts mTLS and plaintext (PERMISSIVE)" in line
    assert result.exit_code == (79 if mark == "MISMATCH" else 0)


@pytest.mark.kubectl  # requires kubectl on PATH
def test_meshctl_reads_the_istio_resources_kubectl_sees(bookinfo):
    from meshctl.model.istio import DESCRIBE_RESOURCES
    from meshctl.model.options import KubeOptions
    from meshctl.sources.istio import list_istio
    from meshctl.sources.kube import KubeClient

    bookinfo.add(peer_authentication("pp", "default", "STRICT", selector={"app": "productpage"}))
    cluster = KubeClient(KubeOptions(kubeconfig=str(bookinfo.kubeconfig_path)))
    for resource in DESCRIBE_RESOURCES.values():
        kind = f"{resource.plural}.{resource.group}"
        seen = subprocess.run(["kubectl", f"--cache-dir={bookinfo.kubeconfig_path.parent / 'cache'}", "get", kind, "-A",
                               "-o", "json"], capture_output=True, timeout=60, env={**os.environ, **bookinfo.env()})
        assert seen.returncode == 0, seen.stderr
        items, version = list_istio(cluster, resource)
        assert version == "v1"
        assert items == json.loads(seen.stdout)["items"], kind
