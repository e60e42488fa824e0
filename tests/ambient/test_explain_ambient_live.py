"""`explain mtls` on the mixed ambient cluster: ambient SRC through ztunnels and the waypoint,
sidecar SRC to captured pods, and the exit statuses CI gates on."""

from __future__ import annotations

import json
from contextlib import ExitStack

import pytest

from fakekube.targets import http_target
from helpers.ambient import build_mesh, serve
from helpers.jsondocs import validate
from helpers.mtlsdata import auto_mtls_cluster, client, dump_bytes

pytestmark = pytest.mark.kube


def test_ambient_to_ambient_through_the_waypoint(ambient_cluster):
    result = ambient_cluster.meshctl("explain", "mtls", "frontend-6c7d.shop", "backend.shop:9080", "--require-mtls")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "mTLS (HBONE)",
        "  frontend-6c7d.shop -> backend.shop:9080 (ambient)",
        "  backend-5f4b.shop: mTLS",
        "    path: pod frontend-6c7d.shop -> ztunnel ztunnel-n1.istio-system -> waypoint waypoint.shop -> "
        "ztunnel ztunnel-n2.istio-system -> pod backend-5f4b.shop",
    ]
    assert "    source: spiffe://cluster.local/ns/shop/sa/bookinfo-frontend" in lines
    # only the ztunnels of SRC's and DST's nodes were read
    assert [a.requests for a in ambient_cluster.admins.values()] == [[("GET", "/config_dump")], [("GET", "/config_dump")]]
    document = json.loads(ambient_cluster.meshctl("explain", "mtls", "frontend-6c7d.shop", "backend.shop:9080", "-o", "json").stdout)
    validate(document, "meshctl.explain-mtls-ambient/v1")
    (path,) = document["paths"]
    assert [hop["kind"] for hop in path["hops"]] == ["pod", "ztunnel", "waypoint", "ztunnel", "pod"]
    assert document["sourceMode"] == {"mode": "ambient", "reason": document["sourceMode"]["reason"], "captured": True}


def test_json_and_the_exit_status_of_failures(fake_kube):
    with ExitStack() as stack:
        live = serve(fake_kube, build_mesh(programmed="False"), stack)
        result = live.meshctl("explain", "mtls", "frontend-6c7d.shop", "backend", "-n", "shop", "-o", "json")
    assert result.exit_code == 79
    document = json.loads(result.stdout)
    assert document["verdict"] == "will fail" and document["schemaVersion"] == "meshctl.explain-mtls-ambient/v1"
    assert document["summary"] == "will fail: waypoint Gateway shop/waypoint is not programmed (Programmed=False)"
    validate(document, "meshctl.explain-mtls-ambient/v1")


def test_an_enrolled_pod_istio_cni_missed_sends_plaintext(ambient_cluster):
    result = ambient_cluster.meshctl("explain", "mtls", "late-1.shop", "backend.shop", "--require-mtls")
    assert result.exit_code == 79
    assert result.stdout.startswith("plaintext\n") and "note: restart late-1.shop" in result.stdout


def test_a_sidecar_to_a_captured_pod(ambient_cluster):
    # reviews (sidecar) has backend's endpoint without tlsMode: it sends plaintext, which backend's
    # ztunnel accepts (no STRICT policy); DST named as the ambient pod resolves through its IP.
    src = dump_bytes(**client(auto_mtls_cluster("backend.shop.svc.cluster.local"), endpoints=(("10.244.2.10", "disabled"),)))
    with http_target({"/config_dump?include_eds": src}) as target:
        ambient_cluster.kube.forward_port(15000, target, pod="reviews-v1-abc", namespace="legacy")
        by_service = ambient_cluster.meshctl("explain", "mtls", "reviews-v1-abc.legacy", "backend.shop.svc.cluster.local:9080")
        by_pod = ambient_cluster.meshctl("explain", "mtls", "reviews-v1-abc.legacy", "backend-5f4b.shop:9080")
        as_data = json.loads(ambient_cluster.meshctl("explain", "mtls", "reviews-v1-abc.legacy", "backend-5f4b.shop:9080", "-o", "json").stdout)
    validate(as_data, "meshctl.explain-mtls/v1")  # a sidecar SRC: the sidecar document, ztunnel's leg in the evidence
    assert any(line.startswith("ambient: ztunnel ztunnel-n2") for path in as_data["paths"] for e in path["endpoints"] for line in e["evidence"])
    for result in (by_service, by_pod):
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("plaintext\n")
        assert "ambient: ztunnel ztunnel-n2.istio-system (node node-2) accepts plaintext for backend-5f4b.shop" in result.stdout


def test_a_sidecar_to_a_sidecar_reads_no_ztunnel(ambient_cluster):
    # explain's pod list (meshctl.model.mesh) says no endpoint is an ambient pod: no ztunnel is asked.
    src = dump_bytes(**client(auto_mtls_cluster("ratings.legacy.svc.cluster.local"), endpoints=(("10.244.2.20", "istio"),)))
    with http_target({"/config_dump?include_eds": src}) as target:
        ambient_cluster.kube.forward_port(15000, target, pod="reviews-v1-abc", namespace="legacy")
        result = ambient_cluster.meshctl("explain", "mtls", "reviews-v1-abc.legacy", "ratings.legacy.svc.cluster.local:9080")
    assert result.exit_code in (0, 79), result.stderr
    assert "ambient:" not in result.stdout and "pod ratings-v1-def.legacy has a sidecar" in result.stdout
    assert all(not admin.requests for admin in ambient_cluster.admins.values())
