"""`meshctl check` on the mixed ambient cluster: the ambient rules next to the sidecar ones."""

from __future__ import annotations

import json
from contextlib import ExitStack

import pytest

from fakekube.targets import http_target
from helpers.ambient import SHOP_CHECKS, build_mesh, serve
from helpers.jsondocs import validate

pytestmark = pytest.mark.kube


def _rows(stdout: str) -> dict[tuple[str, str], str]:
    return {(row["pod"], check["check"]): check["status"] for row in json.loads(stdout)["pods"] for check in row["checks"]}


def test_ambient_namespace_checks(ambient_cluster):
    result = ambient_cluster.meshctl("check", "-n", "shop", "-o", "json")
    assert result.exit_code == 79  # late-1 is enrolled but was never captured
    assert _rows(result.stdout) == SHOP_CHECKS
    validate(json.loads(result.stdout), "meshctl.check/v1")
    assert result.stderr == "meshctl: error: 1 check failed on 1 of 6 pods\n"


def test_broken_ambient_pieces_fail_where_they_are(fake_kube):
    with ExitStack() as stack:
        live = serve(fake_kube, build_mesh(programmed="False", missing=("node-2", "backend-5f4b.shop"), expired="frontend-6c7d.shop"), stack)
        live.kube.refuse_port_forward("upgrade", pod="ztunnel-n1", namespace="istio-system")
        table = live.meshctl("check", "-n", "shop")
        junit = live.meshctl("check", "-n", "shop", "-o", "junit")
    assert table.exit_code == 79
    failing = {tuple(line.split()[:3]) for line in table.stdout.splitlines() if " FAIL " in line}
    assert failing == {("ztunnel-n1.istio-system", "ztunnel-admin", "FAIL"), ("backend-5f4b.shop", "ztunnel-workload", "FAIL"),
                       ("late-1.shop", "ambient-capture", "FAIL"), ("waypoint/waypoint.shop", "waypoint", "FAIL")}
    # JUnit: each ambient target has its own test cases, not the sidecar ones
    assert '<testsuite name="waypoint/waypoint.shop" tests="1" failures="1"' in junit.stdout
    assert 'name="admin-api"' not in junit.stdout


def test_sidecars_and_ztunnels_together_with_all_namespaces(ambient_cluster):
    envoy = {"/config_dump?include_eds": b'{"configs": []}'}
    with http_target(envoy) as target:
        ambient_cluster.kube.forward_port(15000, target, namespace="legacy")
        result = ambient_cluster.meshctl("check", "-A", "-o", "json")
    rows = _rows(result.stdout)
    assert ("reviews-v1-abc.legacy", "admin-api") in rows  # a sidecar, checked as before
    assert not any(pod.startswith("ztunnel-") and check == "admin-api" for pod, check in rows)  # ztunnels are not sidecars
    assert rows[("ztunnel-n2.istio-system", "ztunnel-certs")] == "PASS"
