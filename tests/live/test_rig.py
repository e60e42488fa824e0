"""The rig itself: Istio-shaped, all config accepted, nothing left behind."""

from __future__ import annotations

import json
import os

import pytest

from meshctl.sandbox import bootstrap, resources

pytestmark = pytest.mark.envoy


def test_envoy_accepts_every_resource_and_runs_in_the_run_dir(envoy_rig):
    assert envoy_rig.nacks == []
    assert envoy_rig.envoy_running()
    assert os.readlink(f"/proc/{envoy_rig.envoy_pid}/cwd") == str(envoy_rig.run_dir)
    for relative in (bootstrap.BOOTSTRAP_PATH, bootstrap.XDS_SOCKET, bootstrap.SDS_SOCKET):
        assert (envoy_rig.run_dir / relative).exists(), relative


def test_bootstrap_is_istio_shaped(envoy_rig):
    config = json.loads((envoy_rig.run_dir / bootstrap.BOOTSTRAP_PATH).read_text())
    node = config["node"]
    assert node["id"] == "sidecar~10.244.0.7~productpage-v1-6b746f74dc-9stvs.default~default.svc.cluster.local"
    pipes = {
        c["name"]: c["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["pipe"]["path"]
        for c in config["static_resources"]["clusters"]
        if "pipe" in c["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
    }
    assert pipes == {"xds-grpc": "./etc/istio/proxy/XDS", "sds-grpc": "./var/run/secrets/workload-spiffe-uds/socket"}
    assert config["dynamic_resources"]["ads_config"]["grpc_services"] == [{"envoy_grpc": {"cluster_name": "xds-grpc"}}]


def test_live_dump_has_warming_cluster_and_tls_mode_endpoints(envoy_rig):
    dump = json.loads(envoy_rig.admin().fetch("config_dump?include_eds"))
    by_type = {c["@type"].rsplit(".", 1)[1]: c for c in dump["configs"]}
    clusters = by_type["ClustersConfigDump"]
    warming = [c["cluster"]["name"] for c in clusters["dynamic_warming_clusters"]]
    active = {c["cluster"]["name"]: c["cluster"] for c in clusters["dynamic_active_clusters"]}
    assert warming == [resources.WARMING.cluster_name()]
    assert {"PassthroughCluster", "BlackHoleCluster", "InboundPassthroughCluster"} <= set(active)
    details = active["outbound|9080||details.default.svc.cluster.local"]
    assert [m["name"] for m in details["transport_socket_matches"]] == ["tlsMode-istio", "tlsMode-disabled"]
    modes = {
        lb["endpoint"]["address"]["socket_address"]["address"]: lb.get("metadata", {}).get("filter_metadata", {}).get("envoy.transport_socket_match", {}).get("tlsMode")
        for assignment in by_type["EndpointsConfigDump"]["dynamic_endpoint_configs"]
        if assignment["endpoint_config"]["cluster_name"] == "outbound|9080||ratings.default.svc.cluster.local"
        for lb in assignment["endpoint_config"]["endpoints"][0]["lb_endpoints"]
    }
    assert modes == {"10.244.0.14": "istio", "10.244.1.5": None}
    listeners = {entry["name"] for entry in by_type["ListenersConfigDump"]["dynamic_listeners"]}
    assert {"virtualOutbound", "virtualInbound", "0.0.0.0_9080"} <= listeners
    routes = [r["route_config"]["name"] for r in by_type["RoutesConfigDump"]["dynamic_route_configs"]]
    assert routes == ["9080"]


def test_rig_leaves_no_process_and_no_files(tmp_path):
    from meshctl.sandbox.rig import Rig

    with Rig.start(max_seconds=60) as rig:
        run_dir, pid = rig.run_dir, rig.envoy_pid
        assert run_dir.exists()
    assert not run_dir.exists()
    assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()


def test_rig_in_a_given_run_dir_keeps_its_files_there(tmp_path):
    from meshctl.sandbox.rig import Rig

    with Rig.start(tmp_path, max_seconds=60) as rig:
        assert rig.sds_socket == str(tmp_path / bootstrap.SDS_SOCKET)
    assert (tmp_path / bootstrap.BOOTSTRAP_PATH).exists()  # the user's directory is kept
    assert {p.name for p in tmp_path.iterdir()} == {"etc", "var", "envoy.log", "admin-address"}
