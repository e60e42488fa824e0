"""meshctl.analyze.request's frame pinned exactly: the route configuration an HTTP connection manager
names, the path and client address it works out, the unknowns each proxy decides, the proxies' indexes,
the request's headers as SRC's Envoy holds them, SRC's outbound listener, and outcomes merged by key.

Written against the survivors of a mutation run of RequestExplainer's methods and the other classes'
(docs/testing.md, "request.py part B"): each test says what Envoy (or the JSON document) does, with
inputs the sandbox mesh's dumps (helpers.meshdata) do not have.
"""

from __future__ import annotations

import pytest

from meshctl.analyze.request import DIRECT, FORWARDED, NO_HEALTHY, NO_ROUTE, UNKNOWN, HttpRequest, RequestExplainer
from meshctl.sandbox.resources import CLUSTER, ENDPOINTS, LISTENER, ROUTE, TCP_PROXY

from helpers.meshdata import SLEEP, SLEEP_PORT, client_dump, client_served, server_dump, server_served
from helpers.requestdata import explain_to_server, manager_of, only, req, routes_of

HTTPBIN = f"outbound|{SLEEP_PORT}||httpbin.foo.svc.cluster.local"
SRC_IP = "127.0.10.4"  # the sleep client's INSTANCE_IPS (helpers.meshdata)


def _src_only(served, request=None):
    return RequestExplainer(client_dump(SLEEP, served)).explain(request or req())


# --- the route configuration an HTTP connection manager names ---------------------------------------------


def test_an_inline_route_configuration_is_named_in_the_404_of_a_host_it_does_not_serve():
    served = client_served(SLEEP)
    manager = manager_of(served)
    del manager["rds"]
    manager["route_config"] = {"name": "inline-routes", "virtual_hosts": [{"name": "other", "domains": ["other.example"], "routes": []}]}
    outcome = only(_src_only(served))
    assert (outcome.kind, outcome.status, outcome.decided_by) == (NO_ROUTE, 404, "SRC")
    assert outcome.summary == "404 no route: no virtual host of SRC's inline-routes matches 'httpbin:9080' (NR)"
    del manager["route_config"]["name"]  # proto3 JSON leaves an empty name out
    unnamed = only(_src_only(served))
    assert unnamed.summary == "404 no route: no virtual host of SRC's route configuration matches 'httpbin:9080' (NR)"


def test_rds_without_a_route_configuration_name_is_unknown_and_says_so():
    served = client_served(SLEEP)
    manager_of(served)["rds"] = {"config_source": {"ads": {}}}  # route_config_name "" left out
    outcome = only(_src_only(served))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "SRC")
    assert outcome.unknown == "unknown: route configuration (unnamed) is not in SRC's dump (RDS not received?) not evaluated"


@pytest.mark.parametrize(
    ("manager_change", "unknown"),
    [
        ({"rds": {"route_config_name": "missing"}}, "unknown: route configuration missing is not in DST's dump (RDS not received?) not evaluated"),
        ({"scoped_routes": {"name": "scoped"}}, "unknown: scoped routes (or no route configuration) not evaluated"),
    ],
)
def test_dsts_route_configuration_unknowns_are_decided_by_dst(manager_change, unknown):
    served = server_served()
    manager = manager_of(served)
    del manager["route_config"]
    manager.update(manager_change)
    outcome = only(explain_to_server(served))
    assert (outcome.kind, outcome.unknown, outcome.decided_by) == (UNKNOWN, unknown, "DST")


def test_srcs_scoped_routes_are_decided_by_src():
    served = client_served(SLEEP)
    manager = manager_of(served)
    del manager["rds"]
    manager["scoped_routes"] = {"name": "scoped"}
    outcome = only(_src_only(served))
    assert (outcome.kind, outcome.unknown, outcome.decided_by) == (UNKNOWN, "unknown: scoped routes (or no route configuration) not evaluated", "SRC")


# --- the path and the client address the HTTP connection manager works out --------------------------------


def test_an_empty_path_is_not_routed():
    # RFC 9113 8.3.1: :path MUST NOT be empty; an HTTP/1.1 request line needs a target (RFC 9112 3.2).
    outcome = only(_src_only(None, HttpRequest("httpbin", SLEEP_PORT, "GET", "")))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "SRC")
    assert outcome.unknown == "unknown: path '' not starting with / (Envoy answers 400 or treats it as absolute-form) not evaluated"


def _deny_from(served, prefix: str, use_remote_address: bool) -> None:
    """DST's DENY filter with a policy on the client address its HTTP connection manager works out."""
    manager = manager_of(served)
    if use_remote_address:
        manager["use_remote_address"] = True
    deny = manager["http_filters"][2]["typed_config"]["rules"]["policies"]
    deny["by-remote-ip"] = {"permissions": [{"any": True}], "principals": [{"remote_ip": {"address_prefix": prefix, "prefix_len": 32}}]}


@pytest.mark.parametrize(
    ("use_remote_address", "forwarded_for"),
    [
        (True, "10.9.9.9"),  # use_remote_address: the connection's address, whatever X-Forwarded-For says
        (False, "not-an-ip"),  # the last X-Forwarded-For entry is no IP: the connection's address
    ],
)
def test_dsts_remote_ip_is_the_connections_source_address(use_remote_address, forwarded_for):
    # Envoy ConnectionManagerUtility::mutateRequestHeaders; the connection comes from SRC's workload IP.
    served = server_served()
    _deny_from(served, SRC_IP, use_remote_address)
    outcome = only(explain_to_server(served, req("GET", "/get", ("x-forwarded-for", forwarded_for))))
    assert (outcome.kind, outcome.status, outcome.policy, outcome.decided_by) == ("denied", 403, "by-remote-ip", "DST")
    served = server_served()
    _deny_from(served, "127.0.10.99", use_remote_address)
    assert only(explain_to_server(served, req("GET", "/get", ("x-forwarded-for", forwarded_for)))).kind == FORWARDED


# --- the proxies' indexes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("cluster_name", [None, ""])
def test_an_endpoint_assignment_without_a_cluster_name_is_no_clusters(cluster_name):
    # ClusterLoadAssignment.cluster_name is required (validate.rules min_len 1): a nameless one in a
    # (hand-edited) dump is matched to no cluster, not even to one named "None".
    served = client_served(SLEEP)
    (assignment,) = [a for a in served[ENDPOINTS] if a["cluster_name"] == HTTPBIN]
    del assignment["cluster_name"]
    if cluster_name is not None:
        assignment["cluster_name"] = cluster_name
    outcome = only(_src_only(served))
    assert (outcome.kind, outcome.summary) == (NO_HEALTHY, f"503 no healthy upstream: {HTTPBIN} has no endpoints (UH)")
    served[ROUTE][0]["virtual_hosts"][0]["routes"][-1]["route"]["cluster"] = "None"
    for cluster in served[CLUSTER]:
        if cluster["name"] == HTTPBIN:
            cluster["name"] = "None"
            cluster.pop("eds_cluster_config", None)
    outcome = only(_src_only(served))
    assert (outcome.kind, outcome.summary) == (NO_HEALTHY, "503 no healthy upstream: None has no endpoints (UH)")


# --- the request as SRC's Envoy holds it ----------------------------------------------------------------------


def _sized(value: str):
    """The sleep client with a first route that answers 200 itself for `x-size: XL` exactly."""
    served = client_served(SLEEP)
    routes_of(served).insert(0, {"name": "sized", "match": {"prefix": "/", "headers": [{"name": "x-size", "string_match": {"exact": "XL"}}]},
                                 "direct_response": {"status": 200}})  # fmt: skip
    return only(_src_only(served, req("GET", "/get", ("x-size", value))))


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("XL", DIRECT),
        (" \tXL\t ", DIRECT),  # the optional whitespace around a field value (SP, HTAB) is not part of it
        ("XL\u00a0", FORWARDED),  # obs-text, not whitespace to HTTP: kept, so the value is not "XL"
        ("XL\x0c", FORWARDED),
    ],
)
def test_only_sp_and_htab_are_trimmed_from_a_header_value(value, kind):
    # RFC 9110 5.5: OWS = *( SP / HTAB ), which parsers drop around a field value; nothing else.
    assert _sized(value).kind == kind


@pytest.mark.parametrize("name", ["Host", "host", ":authority", ":Authority"])
def test_the_host_header_is_trimmed_like_any_other(name):
    # An HTTP/1.1 parser drops the OWS around the Host value too (RFC 9110 5.5): Envoy's :authority is
    # "httpbin.foo:9080", which SRC's virtual host lists. Nothing but SP and HTAB is trimmed. Measured with
    # Envoy 1.40: `Host:  a.example:9080 <HTAB>` matches the domain a.example:9080; a trailing 0xA0 is a 400.
    request = req("GET", "/get", (name, " httpbin.foo:9080\t"))
    assert request.authority == "httpbin.foo:9080"
    assert request.to_dict()["authority"] == "httpbin.foo:9080"
    explanation = _src_only(None, request)
    assert (only(explanation).kind, only(explanation).upstream) == (FORWARDED, HTTPBIN)
    assert explanation.evidence[3] == "  virtual host httpbin.foo.svc.cluster.local:9080 (domain 'httpbin.foo:9080' matches 'httpbin.foo:9080')"
    assert req("GET", "/get", (name, "httpbin.foo\u00a0")).authority == "httpbin.foo\u00a0"


def test_a_host_header_is_the_authority_and_is_sent_once():
    request = HttpRequest("httpbin", SLEEP_PORT, headers=(("Host", "httpbin.foo:9080"), ("x-a", "1")))
    headers = request.header_map()
    assert headers.values(":authority") == ["httpbin.foo:9080"]
    assert (headers.first(":method"), headers.first(":path"), headers.first(":scheme"), headers.first("x-a")) == ("GET", "/", "http", "1")


# --- SRC's outbound listener ----------------------------------------------------------------------------------


def test_an_ipv6_wildcard_listener_takes_the_port():
    served = client_served(SLEEP)
    served[LISTENER][0]["address"]["socket_address"]["address"] = "::"
    explanation = _src_only(served)
    assert explanation.evidence[0] == f"SRC listener {served[LISTENER][0]['name']} (:::{SLEEP_PORT})"
    assert only(explanation).kind == FORWARDED


def test_the_vip_is_the_one_of_the_virtual_host_that_lists_dst():
    # Another service's virtual host, first, with its VIP and a listener bound to it: not DST's.
    served = client_served(SLEEP)
    served[ROUTE][0]["virtual_hosts"].insert(0, {"name": "other", "domains": ["other.foo", "10.96.0.9"], "routes": []})
    tcp = {"name": "envoy.filters.network.tcp_proxy", "typed_config": {"@type": TCP_PROXY, "cluster": "outbound|9080||other.foo.svc.cluster.local"}}
    served[LISTENER].append({"name": f"10.96.0.9_{SLEEP_PORT}", "address": {"socket_address": {"address": "10.96.0.9", "port_value": SLEEP_PORT}},
                             "traffic_direction": "OUTBOUND", "filter_chains": [{"name": "tcp", "filters": [tcp]}]})  # fmt: skip
    explanation = _src_only(served)
    assert explanation.evidence[0] == f"SRC listener 0.0.0.0_{SLEEP_PORT} (0.0.0.0:{SLEEP_PORT})"
    assert (only(explanation).kind, only(explanation).upstream) == (FORWARDED, HTTPBIN)
    # DST's own virtual host lists its VIP by host:port too.
    served[ROUTE][0]["virtual_hosts"][1]["domains"] = [f"httpbin:{SLEEP_PORT}", "10.96.0.5"]
    served[LISTENER][-1]["name"] = f"10.96.0.5_{SLEEP_PORT}"
    served[LISTENER][-1]["address"]["socket_address"]["address"] = "10.96.0.5"
    assert _src_only(served).evidence[0] == f"SRC listener 10.96.0.5_{SLEEP_PORT} (10.96.0.5:{SLEEP_PORT})"


# --- the explanation's outcomes ---------------------------------------------------------------------------------


def test_a_cluster_named_twice_in_weighted_clusters_is_one_outcome_with_both_weights():
    # Envoy accepts it (envoy --mode validate, 1.40) and RouteEntryImplBase::pickWeightedCluster picks an
    # entry by its weight: the cluster receives 30 + 70 of 100.
    served = client_served(SLEEP)
    routes_of(served)[-1]["route"] = {"weighted_clusters": {"clusters": [{"name": HTTPBIN, "weight": 30}, {"name": HTTPBIN, "weight": 70}]}}
    explanation = RequestExplainer(client_dump(SLEEP, served), server_dump()).explain(req())
    outcome = only(explanation)
    assert (outcome.kind, outcome.upstream, outcome.weight, outcome.endpoints) == (FORWARDED, HTTPBIN, 100, ("127.0.10.2:15080",))
    assert explanation.summary() == f"200-bound via {HTTPBIN} -> 127.0.10.2:15080"
    assert explanation.evidence[-1] == f"  action: weighted clusters {HTTPBIN} 30%, {HTTPBIN} 70%"


def test_a_route_can_match_the_scheme_pseudo_header():
    # SRC's Envoy sets :scheme on a plaintext HTTP/1.1 request (http); a route header matcher can read it.
    served = client_served(SLEEP)
    routes_of(served).insert(0, {"name": "by-scheme", "match": {"prefix": "/", "headers": [{"name": ":scheme", "string_match": {"exact": "http"}}]},
                                 "direct_response": {"status": 204}})  # fmt: skip
    outcome = only(_src_only(served))
    assert (outcome.kind, outcome.status, outcome.summary) == (DIRECT, 204, "204 direct response from SRC route by-scheme")
