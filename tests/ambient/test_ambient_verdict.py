"""Ambient verdicts on the mixed cluster of tests/ambient/mesh.py, as pure functions over its data."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from meshctl.analyze.ambient import ConnectionFacts, NodeZtunnel, dataplane_mode, waypoints_from_gateways
from meshctl.analyze.ambient_verdict import VERDICT_FAIL, VERDICT_MTLS, VERDICT_PLAINTEXT, VERDICT_UNKNOWN, explain_ambient
from meshctl.decode.ztunnel import parse
from meshctl.render.ambient import ambient_explanation_text as explanation_text

from helpers.ambient import ZTUNNELS, build_mesh


def facts_for(mesh, src: str, *, unreadable: str | None = None) -> ConnectionFacts:
    src_pod = mesh.pod(src)
    ztunnels = {node: NodeZtunnel(node, f"{ZTUNNELS[node]}.istio-system", None if node == unreadable else parse(data),
                                  "connection refused" if node == unreadable else "")
                for node, data in mesh.dumps.items()}
    return ConnectionFacts(
        src_pod=src_pod, src_namespace_labels=mesh.namespace_labels(src_pod["metadata"]["namespace"]),
        dst_pods=mesh.pods, dst_namespace_labels={n["metadata"]["name"]: n["metadata"].get("labels") or {} for n in mesh.namespaces},
        ztunnels=ztunnels, waypoints=waypoints_from_gateways(mesh.gateways), waypoints_known=True,
    )  # fmt: skip


def explain(mesh, src: str, host: str, **kwargs):
    return explain_ambient(facts_for(mesh, src, **kwargs), destination=host, host=host, port=9080,
                           now=datetime.now(timezone.utc), source_name=src)


@pytest.fixture(scope="module")
def mesh():
    return build_mesh()


@pytest.mark.parametrize(("pod", "mode", "captured"), [
    ("frontend-6c7d.shop", "ambient", True),
    ("batch-1.shop", "none", False),
    ("late-1.shop", "ambient", False),
    ("reviews-v1-abc.legacy", "sidecar", False),
    ("db-0.plain", "none", False),
])
def test_dataplane_mode_follows_istio_cni(mesh, pod, mode, captured):
    found = dataplane_mode(mesh.pod(pod), mesh.namespace_labels(pod.split(".")[1]))
    assert (found.mode, found.captured) == (mode, captured)


def test_ambient_to_ambient_service_goes_through_the_waypoint(mesh):
    result = explain(mesh, "frontend-6c7d.shop", "backend.shop")
    assert result.verdict == VERDICT_MTLS and result.summary() == "mTLS (HBONE)"
    (path,) = result.paths
    assert [(h.kind, h.name) for h in path.hops] == [
        ("pod", "frontend-6c7d.shop"), ("ztunnel", "ztunnel-n1.istio-system"), ("waypoint", "waypoint.shop"),
        ("ztunnel", "ztunnel-n2.istio-system"), ("pod", "backend-5f4b.shop")]
    assert path.identities == {"source": "spiffe://cluster.local/ns/shop/sa/bookinfo-frontend",
                               "waypoint": "spiffe://cluster.local/ns/shop/sa/waypoint",
                               "destination": "spiffe://cluster.local/ns/shop/sa/bookinfo-backend"}
    text = explanation_text(result)
    assert "Gateway shop/waypoint is programmed" in text and "holds SRC's certificate" in text


def test_a_pod_ip_skips_the_service_waypoint(mesh):
    result = explain(mesh, "frontend-6c7d.shop", "10.244.2.10")
    assert result.verdict == VERDICT_MTLS
    assert [h.kind for h in result.paths[0].hops] == ["pod", "ztunnel", "ztunnel", "pod"]


def test_ambient_to_sidecar_is_plaintext_unless_the_sidecar_mode_is_known(mesh):
    result = explain(mesh, "frontend-6c7d.shop", "ratings.legacy")
    assert result.verdict == VERDICT_UNKNOWN  # PERMISSIVE accepts, STRICT refuses: DST's Envoy decides
    assert "accepted if PERMISSIVE" in explanation_text(result)


def test_ambient_to_a_pod_outside_the_mesh_is_plaintext(mesh):
    assert explain(mesh, "frontend-6c7d.shop", "db.plain").verdict == VERDICT_PLAINTEXT
    outside = explain(mesh, "frontend-6c7d.shop", "93.184.216.34")
    assert outside.verdict == VERDICT_PLAINTEXT and "does not know 93.184.216.34" in explanation_text(outside)


def test_an_unprogrammed_waypoint_fails():
    result = explain(build_mesh(programmed="False"), "frontend-6c7d.shop", "backend.shop")
    assert result.verdict == VERDICT_FAIL
    assert result.summary() == "will fail: waypoint Gateway shop/waypoint is not programmed (Programmed=False)"


def test_a_workload_unknown_to_its_ztunnel_fails():
    result = explain(build_mesh(missing=("node-1", "frontend-6c7d.shop")), "frontend-6c7d.shop", "backend.shop")
    assert result.summary() == "will fail: ztunnel ztunnel-n1.istio-system (node node-1) does not know SRC frontend-6c7d.shop: its connections fail until istiod sends it"


def test_an_expired_destination_certificate_fails():
    result = explain(build_mesh(expired="backend-5f4b.shop"), "frontend-6c7d.shop", "10.244.2.10")
    assert result.verdict == VERDICT_FAIL
    assert "cannot use DST's certificate spiffe://cluster.local/ns/shop/sa/bookinfo-backend: expired at" in result.summary()


def test_an_unreadable_ztunnel_gives_unknown_not_a_pass(mesh):
    result = explain(mesh, "frontend-6c7d.shop", "backend.shop", unreadable="node-1")
    assert result.verdict == VERDICT_UNKNOWN and "cannot read ztunnel ztunnel-n1.istio-system" in explanation_text(result)


def test_an_enrolled_pod_that_was_not_captured_sends_plaintext(mesh):
    result = explain(mesh, "late-1.shop", "backend.shop")
    assert result.verdict == VERDICT_PLAINTEXT
    assert "restart late-1.shop" in explanation_text(result)


def test_plaintext_into_a_strict_ambient_pod_fails():
    result = explain(build_mesh(strict=True), "late-1.shop", "backend.shop")
    assert result.verdict == VERDICT_FAIL
    assert "STRICT mTLS applies to backend-5f4b.shop" in result.summary()


def test_a_source_outside_ambient_is_refused(mesh):
    result = explain(mesh, "reviews-v1-abc.legacy", "backend.shop")
    assert result.verdict == VERDICT_FAIL and "is not in ambient mode: has a sidecar" in result.summary()


def test_json_form(mesh):
    document = explain(mesh, "frontend-6c7d.shop", "backend.shop").to_dict()
    assert document["schemaVersion"] == "meshctl.explain-mtls-ambient/v1" and document["verdict"] == "mTLS"
    assert document["paths"][0]["identities"]["waypoint"].endswith("/sa/waypoint")


def test_the_ztunnel_of_a_node_is_chosen_as_kubectl_logs_would():
    from meshctl.analyze.ambient import ztunnels_by_node

    from fakekube.ztunnel import ztunnel_pod

    pending = ztunnel_pod("ztunnel-a", "n1", phase="Pending")
    restarted = ztunnel_pod("ztunnel-b", "n1")
    restarted["status"]["containerStatuses"][0]["restartCount"] = 3
    fresh = ztunnel_pod("ztunnel-c", "n1")
    unready = ztunnel_pod("ztunnel-d", "n2", ready=False)
    other = ztunnel_pod("ztunnel-e", "n2")
    chosen = ztunnels_by_node([pending, fresh, restarted, unready, other])
    # Running beats Pending; between two ready since the same time, more restarts come first.
    assert {node: pod["metadata"]["name"] for node, pod in chosen.items()} == {"n1": "ztunnel-b", "n2": "ztunnel-e"}


def test_sidecar_to_ambient_depends_on_what_the_sidecar_sends(mesh):
    from meshctl.analyze.ambient_verdict import sidecar_to_ambient

    facts = facts_for(mesh, "reviews-v1-abc.legacy")
    now = datetime.now(timezone.utc)
    assert sidecar_to_ambient(facts, "10.244.2.20", "mTLS", tunnel=False, now=now) is None  # a sidecar pod: mtls.py alone
    plain = sidecar_to_ambient(facts, "10.244.2.10", "plaintext", tunnel=False, now=now)
    assert plain.verdict == VERDICT_PLAINTEXT and not plain.problems
    assert sidecar_to_ambient(facts, "10.244.2.10", "mTLS", tunnel=True, now=now).verdict == VERDICT_MTLS
    tls = sidecar_to_ambient(facts, "10.244.2.10", "mTLS", tunnel=False, now=now)
    assert "ztunnel terminates only HBONE" in tls.problems[0]
    strict = sidecar_to_ambient(facts_for(build_mesh(strict=True), "reviews-v1-abc.legacy"), "10.244.2.10", "plaintext", tunnel=False, now=now)
    assert "STRICT mTLS applies" in strict.problems[0]


@pytest.mark.parametrize(("tls_mode", "strict", "verdict", "problem"), [
    ("disabled", False, "plaintext", ""),
    ("disabled", True, "will fail", "STRICT mTLS applies to backend-5f4b.shop"),
    ("istio", False, "will fail", "ztunnel terminates only HBONE"),
])
def test_explain_mtls_from_a_sidecar_to_a_captured_pod(tls_mode, strict, verdict, problem):
    from meshctl.analyze.ambient_verdict import with_ambient_destinations
    from meshctl.analyze.mtls import Destination, explain_mtls

    from helpers.mtlsdata import auto_mtls_cluster, client, make_dump

    host = "backend.shop.svc.cluster.local"
    src = make_dump(**client(auto_mtls_cluster(host), endpoints=(("10.244.2.10", tls_mode),)))
    sidecar_only = explain_mtls(src, Destination("backend.shop:9080", "backend.shop", 9080), now=datetime.now(timezone.utc))
    mesh = build_mesh(strict=strict)
    result = with_ambient_destinations(sidecar_only, facts_for(mesh, "reviews-v1-abc.legacy"), now=datetime.now(timezone.utc))
    assert result.verdict == verdict
    (endpoint,) = result.paths[0].endpoints
    assert problem in " ".join(endpoint.problems)
    assert any(line.startswith("ambient: DST backend-5f4b.shop (10.244.2.10, node node-2): ambient") for line in endpoint.evidence)
