"""Every `pc` view against the real Envoy's admin API (`--admin URL`)."""

from __future__ import annotations

import json
import re

import pytest

from helpers import call_meshctl

pytestmark = pytest.mark.envoy


def pc(rig, *args: str):
    result = call_meshctl("pc", *args, "--admin", rig.admin_url)
    assert result.exit_code == 0, result.stderr
    return result


def rows(text: str) -> list[list[str]]:
    # Cells are separated by the tabwriter's padding (5 spaces); cells such as "Cert Chain" hold one.
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()[1:] if line.strip()]


def test_pc_cluster_shows_the_warming_cluster_as_warming(envoy_rig):
    result = pc(envoy_rig, "cluster")
    names = {r[0] for r in rows(result.stdout)}
    assert {"mysqldb.db.svc.cluster.local", "details.default.svc.cluster.local", "xds-grpc"} <= names
    assert result.stderr.rstrip().endswith("warming, received but not yet in use by Envoy (istioctl does not show these): mysqldb.db.svc.cluster.local 3306")


def test_pc_cluster_json_is_protobuf_json(envoy_rig):
    clusters = json.loads(pc(envoy_rig, "cluster", "-o", "json", "--fqdn", "details").stdout)
    assert [c["name"] for c in clusters] == ["outbound|9080||details.default.svc.cluster.local"]
    assert [m["name"] for m in clusters[0]["transportSocketMatches"]] == ["tlsMode-istio", "tlsMode-disabled"]


def test_pc_listener_route_endpoint(envoy_rig):
    listeners = pc(envoy_rig, "listener").stdout
    assert "Route: 9080" in listeners and "PassthroughCluster" in listeners
    routes = rows(pc(envoy_rig, "route").stdout)
    assert ["9080", "details.default.svc.cluster.local:9080"] in [r[:2] for r in routes]
    endpoints = rows(pc(envoy_rig, "endpoint", "--cluster", "outbound|9080||ratings.default.svc.cluster.local").stdout)
    assert sorted(r[0] for r in endpoints) == ["10.244.0.14:9080", "10.244.1.5:9080"]


def test_pc_secret_serial_is_the_generated_cert(envoy_rig):
    table = {r[0]: r for r in rows(pc(envoy_rig, "secret").stdout)}
    assert int(table["default"][4], 16) == envoy_rig.workload_serial
    assert int(table["ROOTCA"][4], 16) == envoy_rig.ca.root.serial
    assert table["default"][1:3] == ["Cert Chain", "ACTIVE"]


def test_pc_secret_after_rotation_shows_the_new_serial(envoy_rig):
    before = envoy_rig.workload_serial
    after = envoy_rig.rotate_workload_cert()
    assert after != before
    table = {r[0]: r for r in rows(pc(envoy_rig, "secret").stdout)}
    assert int(table["default"][4], 16) == after


def test_pc_secret_json_never_shows_the_private_key(envoy_rig):
    out = pc(envoy_rig, "secret", "-o", "json").stdout
    assert "PRIVATE KEY" not in out and "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS" not in out
    assert "W3JlZGFjdGVkXQ==" in out  # Envoy's own "[redacted]"


def test_pc_tls_shows_sds_secrets_per_match(envoy_rig):
    out = pc(envoy_rig, "tls", "--fqdn", "reviews").stdout
    istio_rows = [line for line in out.splitlines() if "tlsMode=istio" in line]
    assert len(istio_rows) == 2  # reviews and its v1 subset
    assert all("default" in line and "ROOTCA" in line and "sds-grpc" in line for line in istio_rows)


def test_pc_bootstrap_all_and_ecds(envoy_rig):
    boot = json.loads(pc(envoy_rig, "bootstrap", "-o", "json").stdout)
    assert boot["bootstrap"]["node"]["id"] == envoy_rig.workload.node_id
    everything = pc(envoy_rig, "all").stdout
    for prefix in ("cluster/", "listener/", "route/", "secret/", "endpoint/"):
        assert prefix in everything
    ecds = rows(pc(envoy_rig, "ecds").stdout)
    assert ecds == [["default.ratings-authz", "envoy.extensions.filters.http.rbac.v3.RBAC"]]
