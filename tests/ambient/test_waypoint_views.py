"""`waypoint list|status` tables from Gateways, as istioctl/pkg/waypoint/waypoint.go prints them."""

from __future__ import annotations

from meshctl.analyze.ambient import dangling_uses, waypoint_uses, waypoints_from_gateways
from meshctl.analyze.waypoint import waypoint_document, waypoint_list_table, waypoint_status_table
from meshctl.render.text import render_tabular

from fakekube.ztunnel import gateway

GATEWAYS = [
    gateway("waypoint", "shop", labels={"istio.io/waypoint-for": "service"}),
    gateway("ingress", "shop", class_name="istio"),  # not a waypoint
    gateway("east", "edge", programmed="False", labels={"istio.io/rev": "canary"}),
    gateway("new", "edge", programmed=None),
]


def test_list_sorts_filters_and_defaults_revision_and_traffic_type():
    waypoints = waypoints_from_gateways(GATEWAYS)
    assert render_tabular(waypoint_list_table(waypoints, all_namespaces=True)) == (
        "NAMESPACE     NAME         REVISION     TRAFFIC TYPE     PROGRAMMED\n"
        "edge          east         canary       none             False\n"
        "edge          new          default      none             False\n"
        "shop          waypoint     default      service          True\n"
    )
    assert waypoint_list_table(waypoints[2:], all_namespaces=False).columns == ["NAME", "REVISION", "TRAFFIC TYPE", "PROGRAMMED"]


def test_status_shows_the_programmed_condition_or_the_last_one_seen():
    waypoints = waypoints_from_gateways(GATEWAYS)
    # "new" has only Accepted: istioctl's loop leaves that last condition in `cond`.
    assert [row[:4] for row in waypoint_status_table(waypoints, all_namespaces=True).rows] == [
        ["edge", "east", "False", "Programmed"], ["edge", "new", "True", "Accepted"], ["shop", "waypoint", "True", "Programmed"]]
    bare = waypoints_from_gateways([gateway("a", "x", programmed=None), gateway("b", "x", programmed=None)])
    no_conditions = [w.__class__(w.name, w.namespace) if w.name == "b" else w for w in bare]
    # A waypoint without any condition inherits the previous waypoint's (istioctl's shared variable).
    assert [row[1:3] for row in waypoint_status_table(no_conditions, all_namespaces=False).rows] == [["True", "Accepted"], ["True", "Accepted"]]


def test_users_and_dangling_labels():
    namespaces = [{"metadata": {"name": "shop", "labels": {"istio.io/use-waypoint": "waypoint"}}}]
    services = [{"metadata": {"name": "api", "namespace": "edge", "labels": {"istio.io/use-waypoint": "waypoint",
                                                                             "istio.io/use-waypoint-namespace": "shop"}}},
                {"metadata": {"name": "opt", "namespace": "shop", "labels": {"istio.io/use-waypoint": "none"}}}]
    pods = [{"metadata": {"name": "p", "namespace": "edge", "labels": {"istio.io/use-waypoint": "gone"}}}]
    uses = waypoint_uses(namespaces, services, pods)
    waypoints = waypoints_from_gateways(GATEWAYS)
    wide = waypoint_list_table(waypoints, all_namespaces=True, uses=uses)
    assert wide.rows[-1][-1] == "namespace/shop,service/api.edge" and wide.rows[0][-1] == "-"
    assert [(u.kind, u.name) for u in dangling_uses(waypoints, uses)] == [("Pod", "p")]
    document = waypoint_document(waypoints, uses)
    assert document["schemaVersion"] == "meshctl.waypoints/v1"
    assert [d["usedBy"] for d in document["waypoints"] if d["name"] == "waypoint"][0][1]["kind"] == "Service"
