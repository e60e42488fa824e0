"""meshctl.analyze.request's upstream side pinned exactly: SRC's listener chain and route action, the
cluster and its endpoints, DST's inbound chain and route action (mutation testing, docs/testing.md,
"request.py part A").

Each test names the Envoy rule it pins: Envoy's filter chain match (filter_chain_manager_impl.cc:
destination port, IP, server name, transport protocol, application protocols, in that order), the
route action's fields (envoy/config/route/v3/route_components.proto) and Istio's node metadata.
"""

from __future__ import annotations

import copy

import pytest

from meshctl.analyze.request import FORWARDED, UNKNOWN, RequestExplainer
from meshctl.decode.configdump import from_object
from meshctl.sandbox.resources import CLUSTER, ENDPOINTS, LISTENER

from helpers.meshdata import SERVER, SLEEP, SLEEP_PORT, client_dump, client_served, document, server_served
from helpers.requestdata import default_route, explain_to_server, manager_of, only, req, routes_of

HTTPBIN = f"outbound|{SLEEP_PORT}||httpbin.foo.svc.cluster.local"
V1, V2 = HTTPBIN.replace("||", "|v1|"), HTTPBIN.replace("||", "|v2|")
TCP_PROXY_TYPE = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
RBAC_TYPE = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"
INSPECTOR = {"name": "envoy.filters.listener.http_inspector"}


def _explain(served_client, request=None, dst=None):
    return RequestExplainer(client_dump(SLEEP, served_client), dst).explain(request or req())


def _tcp_chain(name: str, cluster: str = V1, **match) -> dict:
    """A chain of SRC's outbound listener that hands the bytes to `cluster` (its evidence names it)."""
    chain = {"name": name, "filters": [{"name": "envoy.filters.network.tcp_proxy", "typed_config": {"@type": TCP_PROXY_TYPE, "cluster": cluster}}]}
    if match:
        chain["filter_chain_match"] = match
    return chain


def _src_chains_first(served, *chains) -> dict:
    """SRC's outbound listener (0.0.0.0_9080) with `chains` in front of its own HTTP chain; returns the listener."""
    listener = served[LISTENER][0]
    listener["filter_chains"][:0] = list(chains)
    return listener


def _chain_line(explanation) -> str:
    return next(line for line in explanation.evidence if line.startswith("  filter chain "))


# --- SRC: which filter chain of its outbound listener the connection takes ------------------------------------


@pytest.mark.parametrize(("inspector", "chain"), [(True, "  filter chain http"), (False, "  filter chain (unnamed)")])
def test_src_takes_an_http_chain_only_when_an_http_inspector_detects_http(inspector, chain):
    # application_protocols on a plaintext connection: only the http_inspector listener filter gives it a value.
    served = client_served(SLEEP)
    http = copy.deepcopy(served[LISTENER][0]["filter_chains"][0])
    http.update(name="http", filter_chain_match={"application_protocols": ["http/1.1"]})
    listener = _src_chains_first(served, http)
    if inspector:
        listener["listener_filters"] = [{"name": "envoy.filters.listener.tls_inspector"}, INSPECTOR]
    assert _chain_line(_explain(served)) == chain


def test_src_takes_the_chain_of_the_destination_ip():
    # Asked by IP, the connection's destination is that IP: the chain for it wins over one for another IP.
    served = client_served(SLEEP)
    _src_chains_first(served, _tcp_chain("other-ip", V2, prefix_ranges=[{"address_prefix": "10.9.9.9", "prefix_len": 32}]),
                      _tcp_chain("this-ip", V1, prefix_ranges=[{"address_prefix": "10.96.0.0", "prefix_len": 16}]))  # fmt: skip
    explanation = _explain(served, req(host="10.96.0.5"))
    assert explanation.evidence[1:] == ["  filter chain this-ip", f"  tcp_proxy -> {V1} (HTTP routing does not apply on SRC)"]
    assert only(explanation).upstream == V1


def test_src_takes_the_chain_for_plaintext_not_the_one_for_tls():
    served = client_served(SLEEP)
    _src_chains_first(served, _tcp_chain("tls", V2, transport_protocol="tls"), _tcp_chain("plain", V1, transport_protocol="raw_buffer"))
    assert _chain_line(_explain(served)) == "  filter chain plain"


@pytest.mark.parametrize("names", [["httpbin"], ["*.cluster.local"], ["XXXX"]])
def test_a_plaintext_connection_has_no_server_name_so_no_chain_naming_one_is_taken(names):
    # A plaintext connection carries no SNI: a chain listing server names, whatever they are, never matches it.
    served = client_served(SLEEP)
    _src_chains_first(served, _tcp_chain("named", V2, server_names=names))
    assert _chain_line(_explain(served)) == "  filter chain (unnamed)"


def test_dst_plaintext_chain_naming_a_server_is_not_taken():
    # DST's side of the same rule: a plaintext connection to DST does not take a chain that names servers.
    served = server_served()
    chain = copy.deepcopy(served[LISTENER][0]["filter_chains"][0])
    chain["name"] = "named"
    chain["filter_chain_match"] = {"destination_port": 15080, "transport_protocol": "raw_buffer", "server_names": ["XXXX"]}
    del chain["transport_socket"]
    plain = copy.deepcopy(chain)
    plain["name"] = "plain"
    del plain["filter_chain_match"]["server_names"]
    served[LISTENER][0]["filter_chains"][:0] = [chain, plain]
    served_client = client_served(SLEEP)
    for assignment in served_client[ENDPOINTS]:
        for group in assignment["endpoints"]:
            for endpoint in group["lb_endpoints"]:
                endpoint.pop("metadata", None)
    outcome = only(explain_to_server(served, served_client=served_client))
    assert "DST listener virtualInbound, filter chain plain" in outcome.evidence


def test_src_rbac_on_a_header_envoy_sets_is_not_evaluated():
    # SRC's HTTP filters see the headers Envoy adds itself (x-request-id) as unknown too, unless the app sends them.
    served = client_served(SLEEP)
    rules = {"action": "DENY", "policies": {"no-id": {"permissions": [{"header": {"name": "x-request-id", "present_match": True}}],
                                                      "principals": [{"any": True}]}}}  # fmt: skip
    manager_of(served)["http_filters"].insert(0, {"name": "envoy.filters.http.rbac", "typed_config": {"@type": RBAC_TYPE, "rules": rules}})
    outcome = only(_explain(served))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "SRC")
    assert outcome.unknown == "unknown: header x-request-id (generated by Envoy) not evaluated"
    sent = only(_explain(served, req("GET", "/get", ("x-request-id", "abc"))))
    assert (sent.kind, sent.status, sent.policy) == ("denied", 403, "no-id")


# --- SRC: the route action's notes and weights -------------------------------------------------------------------


def test_a_mirror_with_a_runtime_fraction_says_its_share():
    served = client_served(SLEEP)
    default_route(served)["route"]["request_mirror_policies"] = [
        {"cluster": "shadow", "runtime_fraction": {"default_value": {"numerator": 25}}},
        {"cluster": "rare", "runtime_fraction": {"default_value": {"numerator": 5, "denominator": "TEN_THOUSAND"}, "runtime_key": "mirror.rare"}},
    ]
    notes = _explain(served).notes
    assert notes[1:3] == ["SRC route default: mirrors 25% of requests to shadow (its answers are ignored)",
                          "SRC route default: mirrors 0.05% of requests; runtime key mirror.rare may override to rare (its answers are ignored)"]  # fmt: skip


def test_a_weighted_cluster_without_a_weight_has_weight_zero():
    # ClusterWeight.weight is a UInt32Value: left out, it is 0, and Envoy never picks that cluster.
    served = client_served(SLEEP)
    routes_of(served).insert(0, {"name": "split", "match": {"prefix": "/split"}, "route": {"weighted_clusters": {"clusters": [
        {"name": V1, "weight": 1}, {"name": V2}]}}})  # fmt: skip
    explanation = _explain(served, req(path="/split"))
    assert explanation.evidence[-1] == f"  action: weighted clusters {V1} 100%, {V2} 0%"
    assert [(o.upstream, o.weight) for o in explanation.outcomes] == [(V1, 1)]


# --- SRC: DST's addresses and the endpoints SRC may pick ---------------------------------------------------------


def _server_at(*ips: str):
    doc = document(server_served(), SERVER)
    metadata = doc["configs"][0]["bootstrap"]["node"]["metadata"]
    if ips:
        metadata["INSTANCE_IPS"] = ",".join(ips)
    else:
        metadata.pop("INSTANCE_IPS", None)
        doc["configs"][0]["bootstrap"]["node"]["id"] = "sidecar~~httpbin.foo~foo.svc.cluster.local"
    return from_object(doc)


def test_dst_at_several_ips_none_an_endpoint_is_named_by_all():
    explanation = _explain(client_served(SLEEP), dst=_server_at("10.1.0.7", "10.1.0.5"))
    assert f"DST (10.1.0.5,10.1.0.7) is not an endpoint of {HTTPBIN}: the request does not reach DST" in explanation.notes
    assert only(explanation).evidence[-1] == "    127.0.10.2:15080 is not DST: its sidecar's inbound policies are not checked"


def test_dst_without_its_ips_is_applied_to_every_endpoint():
    explanation = _explain(client_served(SLEEP), dst=_server_at())
    assert explanation.notes[-1] == "DST's dump does not say its IPs (node metadata INSTANCE_IPS): its inbound config is applied to every endpoint"
    outcome = only(explanation)
    assert (outcome.kind, outcome.decided_by) == (FORWARDED, "app")
    assert outcome.evidence[-2:] == ["  DST route default -> cluster inbound|15080||", "  -> the app"]


# --- DST: its route's cluster -----------------------------------------------------------------------------------


def _dst_app_cluster(served) -> dict:
    return next(c for c in served[CLUSTER] if c["name"] == "inbound|15080||")


@pytest.mark.parametrize("kind", ["STATIC", None])
def test_dst_static_cluster_without_hosts_is_503_whether_or_not_its_type_is_written(kind):
    # STATIC is Cluster.DiscoveryType's zero value, which proto3 JSON leaves out: a cluster without `type`
    # is STATIC, and Envoy answers a STATIC cluster without hosts with 503 (UH) as for any other.
    served = server_served()
    app = _dst_app_cluster(served)
    app["load_assignment"]["endpoints"] = [{"lb_endpoints": []}]
    if kind is None:
        app.pop("type", None)
    else:
        app["type"] = kind
    outcome = only(explain_to_server(served))
    assert (outcome.kind, outcome.status, outcome.decided_by) == ("no_healthy_upstream", 503, "DST")
    assert outcome.summary == "503 no healthy upstream: DST's inbound|15080|| has no endpoints (UH)"


def test_dst_cluster_of_a_custom_type_is_not_judged_by_its_load_assignment():
    # cluster_type (an extension: aggregate, dynamic forward proxy, ...) finds hosts its own way.
    served = server_served()
    app = _dst_app_cluster(served)
    app.pop("type", None)
    app["cluster_type"] = {"name": "envoy.clusters.aggregate", "typed_config": {}}
    app["load_assignment"]["endpoints"] = []
    outcome = only(explain_to_server(served))
    assert (outcome.kind, outcome.decided_by) == (FORWARDED, "app")


# --- who decides what meshctl does not evaluate ------------------------------------------------------------------


def _src_unknown(served, request=None):
    outcome = only(_explain(served, request))
    return outcome.kind, outcome.status, outcome.decided_by, outcome.upstream, outcome.unknown


def test_srcs_listener_and_chain_unknowns_are_decided_by_src():
    served = client_served(SLEEP)
    assert _src_unknown(served, req(port=7070)) == (UNKNOWN, None, "SRC", "", "unknown: SRC has no outbound listener for httpbin:7070 (no sidecar "
                                                    "capture, or traffic goes to virtualOutbound's passthrough) not evaluated")  # fmt: skip
    served[LISTENER][0]["filter_chain_matcher"] = {}
    assert _src_unknown(served) == (UNKNOWN, None, "SRC", "", "unknown: listener filter_chain_matcher not evaluated")
    served = client_served(SLEEP)
    served[LISTENER][0]["filter_chains"][0]["filters"] = []
    assert _src_unknown(served) == (UNKNOWN, None, "SRC", "", "unknown: SRC's filter chain has no HTTP connection manager and no tcp_proxy: not evaluated")


def _with_route(action: dict, **route) -> dict:
    served = client_served(SLEEP)
    routes_of(served).insert(0, {"name": "r", "match": {"prefix": "/r"}, "route": action, **route})
    return served


@pytest.mark.parametrize(
    ("action", "request_", "unknown"),
    [
        ({"weighted_clusters": {"clusters": [{"name": V1, "weight": 1}, {"cluster_header": "x-c", "weight": 1}]}}, req(path="/r"),
         "unknown: weighted cluster_header not evaluated"),
        ({"cluster_header": "x-c"}, req(path="/r"), "unknown: cluster_header x-c absent (Envoy's answer) not evaluated"),
        ({"cluster_specifier_plugin": "p"}, req(path="/r"), "unknown: route action cluster_specifier_plugin not evaluated"),
        ({"inline_cluster_specifier_plugin": {}, "timeout": "1s"}, req(path="/r"), "unknown: route action inline_cluster_specifier_plugin not evaluated"),
    ],
    ids=["weighted-cluster-header", "cluster-header-absent", "plugin", "inline-plugin"],
)
def test_route_actions_meshctl_does_not_evaluate_are_srcs_unknowns(action, request_, unknown):
    assert _src_unknown(_with_route(action), request_) == (UNKNOWN, None, "SRC", "", unknown)


def test_a_cluster_header_names_the_upstream_and_a_weighted_cluster_header_only_when_its_weight_is_not_zero():
    picked = only(_explain(_with_route({"cluster_header": "x-c"}), req("GET", "/r", ("x-c", V2))))
    assert (picked.kind, picked.upstream) == (FORWARDED, V2)
    # Envoy picks among the clusters with weight: a cluster_header entry of weight 0 is never asked.
    weighted = {"weighted_clusters": {"clusters": [{"name": V1, "weight": 1}, {"cluster_header": "x-c", "weight": 0}]}}
    assert [(o.upstream, o.weight) for o in _explain(_with_route(weighted), req(path="/r")).outcomes] == [(V1, 1)]


def test_src_takes_the_chain_of_the_destination_port():
    # destination_port is the first criterion: a chain naming the port SRC connects to wins over one that names none.
    served = client_served(SLEEP)
    _src_chains_first(served, _tcp_chain("other-port", V2, destination_port=9081), _tcp_chain("this-port", V1, destination_port=SLEEP_PORT))
    served[LISTENER][0]["filter_chains"].append(_tcp_chain("any-port", V2))
    assert _chain_line(_explain(served)) == "  filter chain this-port"
