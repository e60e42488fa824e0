"""Custom resources in the fake API server, as kube-apiserver's apiextensions part serves them:
group discovery, get and list at every served version, selectors, Tables from printer columns,
NotFound texts, CRDs added and removed at run time. kubectl's view is in test_fake_vs_kubectl.py."""

from __future__ import annotations

import json
import re

import pytest

from fakekube import FakeKube, PrinterColumn, crd, custom_object

pytestmark = pytest.mark.kube

NETWORKING = "networking.istio.io"


@pytest.fixture
def custom(fake_kube):
    from kubernetes import client, config

    api = client.ApiClient(config.new_client_from_config(str(fake_kube.kubeconfig_path)).configuration)
    return client.CustomObjectsApi(api)


def _vs(name: str, namespace: str, hosts: list[str], **kwargs) -> dict:
    return custom_object(f"{NETWORKING}/v1", "VirtualService", name, namespace,
                         spec={"hosts": hosts, "http": [{"route": [{"destination": {"host": hosts[0]}}]}]}, **kwargs)


def _names(listed: dict) -> list[str]:
    return [f'{i["metadata"].get("namespace", "")}/{i["metadata"]["name"]}' for i in listed["items"]]


def test_list_get_and_selectors_through_the_custom_objects_api(fake_kube, custom):
    fake_kube.add(_vs("reviews", "bookinfo", ["reviews"], labels={"app": "reviews"}),
                  _vs("ratings", "bookinfo", ["ratings"], labels={"app": "ratings"}),
                  _vs("reviews", "other", ["reviews.other"], labels={"app": "reviews"}))

    in_bookinfo = custom.list_namespaced_custom_object(NETWORKING, "v1", "bookinfo", "virtualservices")
    everywhere = custom.list_cluster_custom_object(NETWORKING, "v1", "virtualservices", label_selector="app=reviews")
    one = custom.get_namespaced_custom_object(NETWORKING, "v1", "other", "virtualservices", "reviews")

    assert _names(in_bookinfo) == ["bookinfo/ratings", "bookinfo/reviews"]
    assert (in_bookinfo["kind"], in_bookinfo["apiVersion"]) == ("VirtualServiceList", "networking.istio.io/v1")
    assert in_bookinfo["metadata"]["continue"] == ""  # unstructured lists always carry it
    # Items of custom resource lists keep kind and apiVersion (unlike built-in lists).
    assert {(i["kind"], i["apiVersion"]) for i in in_bookinfo["items"]} == {("VirtualService", f"{NETWORKING}/v1")}
    assert _names(everywhere) == ["bookinfo/reviews", "other/reviews"]
    assert one["spec"]["hosts"] == ["reviews.other"]
    assert one["metadata"]["generation"] == 1 and one["metadata"]["uid"]


def test_objects_are_served_at_every_version_the_crd_serves(fake_kube, custom):
    fake_kube.add(custom_object(f"{NETWORKING}/v1alpha3", "DestinationRule", "reviews", "bookinfo",
                                spec={"host": "reviews", "subsets": [{"name": "v1", "labels": {"version": "v1"}}]}))

    as_v1 = custom.get_namespaced_custom_object(NETWORKING, "v1", "bookinfo", "destinationrules", "reviews")
    as_beta = custom.list_namespaced_custom_object(NETWORKING, "v1beta1", "bookinfo", "destinationrules")
    code, _ = fake_kube.get_json(f"/apis/{NETWORKING}/v2/namespaces/bookinfo/destinationrules/reviews")

    assert as_v1["apiVersion"] == f"{NETWORKING}/v1"
    assert as_v1["spec"]["subsets"][0]["name"] == "v1"
    assert as_beta["apiVersion"] == f"{NETWORKING}/v1beta1"
    assert [i["apiVersion"] for i in as_beta["items"]] == [f"{NETWORKING}/v1beta1"]
    assert code == 404


def test_not_found_names_the_qualified_resource(fake_kube, custom):
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException) as raised:
        custom.get_namespaced_custom_object("security.istio.io", "v1", "default", "peerauthentications", "missing")

    assert raised.value.status == 404
    assert json.loads(raised.value.body) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'peerauthentications.security.istio.io "missing" not found', "reason": "NotFound",
        "details": {"name": "missing", "group": "security.istio.io", "kind": "peerauthentications"}, "code": 404}


def test_same_plural_in_two_groups_is_two_resources(fake_kube, custom):
    fake_kube.add(custom_object(f"{NETWORKING}/v1", "Gateway", "ingress", "istio-system",
                                spec={"selector": {"istio": "ingressgateway"}}),
                  custom_object("gateway.networking.k8s.io/v1", "Gateway", "waypoint", "bookinfo",
                                spec={"gatewayClassName": "istio-waypoint"}))

    istio = custom.list_cluster_custom_object(NETWORKING, "v1", "gateways")
    k8s = custom.list_cluster_custom_object("gateway.networking.k8s.io", "v1", "gateways")

    assert _names(istio) == ["istio-system/ingress"]
    assert _names(k8s) == ["bookinfo/waypoint"]
    assert fake_kube.store.find("gateways.gateway.networking.k8s.io", "waypoint", "bookinfo") is not None
    with pytest.raises(KeyError, match="ambiguous"):
        fake_kube.store.find("gateways", "waypoint", "bookinfo")


def test_cluster_scoped_custom_resources(fake_kube, custom):
    fake_kube.add(custom_object("gateway.networking.k8s.io/v1", "GatewayClass", "istio-waypoint", None,
                                spec={"controllerName": "istio.io/gateway-controller"}))

    listed = custom.list_cluster_custom_object("gateway.networking.k8s.io", "v1", "gatewayclasses")
    one = custom.get_cluster_custom_object("gateway.networking.k8s.io", "v1beta1", "gatewayclasses", "istio-waypoint")

    assert _names(listed) == ["/istio-waypoint"]
    assert "namespace" not in one["metadata"]
    assert one["apiVersion"] == "gateway.networking.k8s.io/v1beta1"


def test_group_and_version_discovery(fake_kube):
    _, group = fake_kube.get_json(f"/apis/{NETWORKING}")
    _, resources = fake_kube.get_json(f"/apis/{NETWORKING}/v1")
    _, security = fake_kube.get_json("/apis/security.istio.io/v1beta1")
    missing, _ = fake_kube.get_json("/apis/nosuch.io")

    # Kube-aware version order: GA first, then beta, then alpha; the first is preferred.
    assert group == {"kind": "APIGroup", "apiVersion": "v1", "name": NETWORKING,
                     "versions": [{"groupVersion": f"{NETWORKING}/{v}", "version": v}
                                  for v in ("v1", "v1beta1", "v1alpha3")],
                     "preferredVersion": {"groupVersion": f"{NETWORKING}/v1", "version": "v1"}}
    by_name = {r["name"]: r for r in resources["resources"]}
    assert by_name["virtualservices"] == {
        "name": "virtualservices", "singularName": "virtualservice", "namespaced": True, "kind": "VirtualService",
        "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
        "shortNames": ["vs"], "categories": ["istio-io", "networking-istio-io"]}
    assert by_name["virtualservices/status"]["verbs"] == ["get", "patch", "update"]
    assert "envoyfilters" not in by_name  # EnvoyFilter is served at v1alpha3 only
    assert {r["name"] for r in security["resources"] if "/" not in r["name"]} == {
        "peerauthentications", "authorizationpolicies", "requestauthentications"}
    assert missing == 404


def test_aggregated_discovery_lists_custom_groups_with_preferred_version_first(fake_kube):
    accept = {"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}

    _, apis = fake_kube.get_json("/apis", accept)

    groups = {g["metadata"]["name"]: g for g in apis["items"]}
    assert [v["version"] for v in groups[NETWORKING]["versions"]] == ["v1", "v1beta1", "v1alpha3"]
    gateway = next(r for r in groups["gateway.networking.k8s.io"]["versions"][0]["resources"]
                   if r["resource"] == "gateways")
    assert gateway["scope"] == "Namespaced"
    assert gateway["shortNames"] == ["gtw"]
    assert gateway["subresources"] == [{"subresource": "status", "responseKind": {
        "group": "gateway.networking.k8s.io", "version": "v1", "kind": "Gateway"}, "verbs": ["get", "patch", "update"]}]


def test_table_from_printer_columns(fake_kube):
    fake_kube.add(_vs("reviews", "bookinfo", ["reviews", "reviews.bookinfo"]),
                  custom_object("gateway.networking.k8s.io/v1", "Gateway", "waypoint", "bookinfo",
                                spec={"gatewayClassName": "istio-waypoint"},
                                status={"addresses": [{"value": "10.0.0.9"}, {"value": "10.0.0.10"}],
                                        "conditions": [{"type": "Accepted", "status": "True"},
                                                       {"type": "Programmed", "status": "False"}]}))
    accept = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}

    _, routes = fake_kube.get_json(f"/apis/{NETWORKING}/v1/namespaces/bookinfo/virtualservices", accept)
    _, gateway = fake_kube.get_json("/apis/gateway.networking.k8s.io/v1/namespaces/bookinfo/gateways/waypoint", accept)

    assert [c["name"] for c in routes["columnDefinitions"]] == ["Name", "Gateways", "Hosts", "Age"]
    # A missing field is a null cell; arrays print as compact JSON; dates as ages.
    assert routes["rows"][0]["cells"][:3] == ["reviews", None, '["reviews","reviews.bookinfo"]']
    assert re.fullmatch(r"(\d+[smhdy])+", routes["rows"][0]["cells"][3])
    # Only the first JSONPath match is shown; filters pick the condition.
    assert gateway["rows"][0]["cells"][:4] == ["waypoint", "istio-waypoint", "10.0.0.9", "False"]


def test_a_crd_added_at_run_time_is_served_and_removing_it_drops_its_objects(fake_kube, custom):
    from kubernetes.client.exceptions import ApiException

    fake_kube.add(crd("example.com", "Widget", versions=("v1beta1",), short_names=("wd",),
                      columns=(PrinterColumn("Size", "integer", ".spec.size"),)))
    fake_kube.add(custom_object("example.com/v1beta1", "Widget", "w1", "default", spec={"size": 3}))

    listed = custom.list_namespaced_custom_object("example.com", "v1beta1", "default", "widgets")
    stored_crd = fake_kube.store.find("customresourcedefinitions", "widgets.example.com")
    fake_kube.remove("customresourcedefinitions", "widgets.example.com")
    with pytest.raises(ApiException) as gone:
        custom.list_namespaced_custom_object("example.com", "v1beta1", "default", "widgets")

    assert _names(listed) == ["default/w1"]
    assert stored_crd["status"]["storedVersions"] == ["v1beta1"]
    assert gone.value.status == 404
    assert fake_kube.store.registry.by_kind("example.com/v1beta1", "Widget") is None
    with pytest.raises(Exception, match="no kind 'Widget'"):
        fake_kube.add(custom_object("example.com/v1beta1", "Widget", "w2"))


def test_invalid_crds_are_refused(fake_kube):
    bad_name = crd("example.com", "Widget", versions=("v1",))
    bad_name["metadata"]["name"] = "widgets"
    two_storage = crd("example.com", "Gadget", versions=("v1", "v2"))
    two_storage["spec"]["versions"][1]["storage"] = True

    with pytest.raises(Exception, match=r'must be spec.names.plural\+"."\+spec.group'):
        fake_kube.add(bad_name)
    with pytest.raises(Exception, match="exactly one version must be the storage version"):
        fake_kube.add(two_storage)


def test_a_server_without_crds_serves_no_custom_kinds(tmp_path):
    with FakeKube(workdir=tmp_path, crds=()) as kube:
        code, body = kube.get_json(f"/apis/{NETWORKING}/v1/virtualservices")
        _, groups = kube.get_json("/apis")

    assert (code, body["message"]) == (404, "the server could not find the requested resource")
    assert NETWORKING not in {g["name"] for g in groups["groups"]}
