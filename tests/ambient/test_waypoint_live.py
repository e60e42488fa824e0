"""`meshctl waypoint list|status` against the fake API server serving Gateway API Gateways."""

from __future__ import annotations

import json

import pytest

from fakekube.ztunnel import gateway
from helpers.jsondocs import validate

pytestmark = pytest.mark.kube


def test_list_in_a_namespace_and_everywhere(ambient_cluster):
    kube = ambient_cluster.kube
    kube.add(gateway("east", "edge", programmed="False", labels={"istio.io/rev": "canary"}),
             gateway("ingress", "shop", class_name="istio"))
    result = ambient_cluster.meshctl("waypoint", "list", "-n", "shop")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ("NAME         REVISION     TRAFFIC TYPE     PROGRAMMED\n"
                             "waypoint     default      none             True\n")
    everywhere = ambient_cluster.meshctl("waypoint", "list", "-A").stdout.splitlines()
    assert [line.split() for line in everywhere[1:]] == [["edge", "east", "canary", "none", "False"],
                                                         ["shop", "waypoint", "default", "none", "True"]]


def test_wide_and_json_say_what_uses_a_waypoint(ambient_cluster):
    wide = ambient_cluster.meshctl("waypoint", "list", "-n", "shop", "-o", "wide").stdout.splitlines()
    assert wide[0].split()[-2:] == ["USED", "BY"] and wide[1].split()[-1] == "service/backend"
    listed = json.loads(ambient_cluster.meshctl("waypoint", "list", "-n", "shop", "-o", "json").stdout)
    validate(listed, "meshctl.waypoints/v1")
    (document,) = listed["waypoints"]
    assert document["usedBy"] == [{"kind": "Service", "name": "backend", "namespace": "shop", "waypoint": "waypoint",
                                   "waypointNamespace": "shop"}]
    assert document["addresses"] == ["10.96.0.12"]
    status = json.loads(ambient_cluster.meshctl("waypoint", "status", "-n", "shop", "--query", "waypoints[].[name, programmed]").stdout)
    assert status == [["waypoint", "True"]]


def test_status_and_its_exit_code(ambient_cluster):
    result = ambient_cluster.meshctl("waypoint", "status", "-n", "shop")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1].split()[:3] == ["waypoint", "True", "Programmed"]
    ambient_cluster.kube.add(gateway("waypoint", "shop", programmed="False"))
    failing = ambient_cluster.meshctl("waypoint", "status", "-n", "shop")
    assert failing.exit_code == 79 and failing.stderr == "meshctl: error: not programmed: shop/waypoint\n"
    assert failing.stdout.splitlines()[1].split()[:4] == ["waypoint", "False", "Programmed", "Invalid"]


def test_no_waypoints_and_no_gateway_api(fake_kube):
    from helpers import call_meshctl

    empty = call_meshctl("waypoint", "list", "--kubeconfig", str(fake_kube.kubeconfig_path))
    assert (empty.exit_code, empty.stdout, empty.stderr) == (0, "", "No waypoints found.\n")
    fake_kube.remove("customresourcedefinitions", "gateways.gateway.networking.k8s.io")
    missing = call_meshctl("waypoint", "list", "--kubeconfig", str(fake_kube.kubeconfig_path))
    assert missing.exit_code == 69 and missing.stderr.startswith("meshctl: error: cannot list Gateways (gateway.networking.k8s.io/v1): ")
