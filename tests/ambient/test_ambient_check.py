"""Ambient `check` rules on the mixed cluster of tests/ambient/mesh.py (pure)."""

from __future__ import annotations

from datetime import datetime, timezone

from meshctl.analyze.ambient import NodeZtunnel, waypoint_uses, waypoints_from_gateways
from meshctl.analyze.ambient_check import AmbientFacts, run_ambient_checks
from meshctl.decode.ztunnel import parse

from helpers.ambient import SHOP_CHECKS, ZTUNNELS, build_mesh


def facts(mesh, *, unreachable: str | None = None, gateways: bool = True) -> AmbientFacts:
    ztunnels = {node: NodeZtunnel(node, f"{ZTUNNELS[node]}.istio-system", None if node == unreachable else parse(data),
                                  "port-forward refused" if node == unreachable else "")
                for node, data in mesh.dumps.items()}
    return AmbientFacts(
        now=datetime.now(timezone.utc), pods=tuple(mesh.pods),
        namespace_labels={n["metadata"]["name"]: n["metadata"].get("labels") or {} for n in mesh.namespaces},
        ztunnels=ztunnels, waypoints=tuple(waypoints_from_gateways(mesh.gateways)) if gateways else None,
        uses=tuple(waypoint_uses(mesh.namespaces, mesh.services, mesh.pods)),
        unknown={} if gateways else {"gateways": "the Gateway API is not installed"},
    )  # fmt: skip


def statuses(reports) -> dict[tuple[str, str], str]:
    return {(report.name, result.check): result.status for report in reports for result in report.results}


def test_a_healthy_ambient_mesh_passes_except_the_pod_cni_missed():
    found = statuses(run_ambient_checks(facts(build_mesh())))
    assert found == SHOP_CHECKS


def test_problems_are_found_where_they_are():
    mesh = build_mesh(programmed="False", missing=("node-2", "backend-5f4b.shop"), expired="frontend-6c7d.shop")
    reports = run_ambient_checks(facts(mesh))
    found = statuses(reports)
    assert found[("backend-5f4b.shop", "ztunnel-workload")] == "FAIL"
    assert found[("ztunnel-n1.istio-system", "ztunnel-certs")] == "FAIL"
    assert found[("waypoint/waypoint.shop", "waypoint")] == "FAIL"
    detail = {r.name: [res.detail for res in r.results] for r in reports}
    assert "does not know this pod" in detail["backend-5f4b.shop"][0]
    assert "spiffe://cluster.local/ns/shop/sa/bookinfo-frontend (Leaf): expired at" in detail["ztunnel-n1.istio-system"][1]


def test_an_unreachable_ztunnel_fails_once_and_skips_what_depends_on_it():
    found = statuses(run_ambient_checks(facts(build_mesh(), unreachable="node-2")))
    assert found[("ztunnel-n2.istio-system", "ztunnel-admin")] == "FAIL"
    assert ("backend-5f4b.shop", "ztunnel-workload") not in found
    assert ("ztunnel-n2.istio-system", "ztunnel-certs") not in found


def test_unread_waypoints_are_unknown_not_a_pass():
    reports = run_ambient_checks(facts(build_mesh(), gateways=False))
    (waypoint,) = [r for r in reports if r.name == "waypoints"]
    assert waypoint.results[0].status == "UNKNOWN" and "the Gateway API is not installed" in waypoint.results[0].detail


def test_a_use_waypoint_label_without_a_waypoint_fails():
    mesh = build_mesh()
    mesh.services[0]["metadata"]["labels"]["istio.io/use-waypoint"] = "gone"
    found = statuses(run_ambient_checks(facts(mesh)))
    assert found[("service/frontend.shop", "waypoint")] == "FAIL"
