"""meshctl.analyze.request pinned exactly: outcome kinds, statuses, summaries, notes and evidence lines.

The other tests here walk the sandbox mesh's requests; these pin what a one-line change would
break without changing those verdicts (mutation testing, docs/testing.md group `request`): the
texts Envoy's behaviour is described with, Envoy's helpers meshctl ports
(HeaderUtility::stripPortFromHost, RuntimeFractionalPercent, RedirectAction), the public entry
points' defaults, and the branches the sandbox mesh does not take.
"""

from __future__ import annotations

import pytest

from meshctl.analyze.request import (
    DIRECT,
    FORWARDED,
    NO_ROUTE,
    REDIRECT,
    UNKNOWN,
    HttpRequest,
    RequestExplainer,
    default_port,
    explain_request,
    parse_header,
    src_routes_host,
)
from meshctl.sandbox.resources import CLUSTER, LISTENER, ROUTE

from helpers.meshdata import SLEEP, SLEEP_PORT, client_dump, client_served, server_dump, server_served
from helpers.requestdata import default_route, dst_vhost_line, explain_to_server, manager_of, only, req, routes_of

HTTPBIN = f"outbound|{SLEEP_PORT}||httpbin.foo.svc.cluster.local"


def explain_with(served, request, dst=True):
    return RequestExplainer(client_dump(SLEEP, served), server_dump() if dst else None).explain(request)


# --- entry points ------------------------------------------------------------------------------------


def test_default_port_is_the_schemes():
    assert default_port("https") == 443
    assert default_port("http") == 80
    assert default_port("HTTPS") == 80  # schemes reach here lower-cased; anything else is http's


def test_explain_request_passes_names_and_defaults_them():
    request = req()
    named = explain_request(client_dump(SLEEP), request, server_dump(), source="sleep.foo", destination="httpbin.foo")
    assert (named.source, named.destination, named.server_checked) == ("sleep.foo", "httpbin.foo", True)
    plain = explain_request(client_dump(SLEEP), request)
    assert (plain.source, plain.destination, plain.server_checked) == ("SRC", "DST", False)


def test_explain_request_passes_now_to_the_certificate_checks():
    from datetime import datetime, timedelta, timezone

    later = datetime.now(timezone.utc) + timedelta(days=3650)
    outcome = only(explain_request(client_dump(SLEEP), req(), server_dump(), now=later))
    assert outcome.summary.startswith("503 will fail: TLS: SRC's certificate default is not valid now (expires ")
    assert only(explain_request(client_dump(SLEEP), req(), server_dump())).kind == FORWARDED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (":authority=x", (":authority", "x")),
        (":authority: x ", (":authority", "x")),  # after ":" the value is trimmed, as an HTTP parser does
        ("x-a= b ", ("x-a", " b ")),  # after "=" it is kept as given
        ("x-a:b=c", ("x-a", "b=c")),  # the first separator wins
        ("x-a=b:c", ("x-a", "b:c")),
        (":authority: a=b", (":authority", "a=b")),  # a pseudo-header's own ":" is not the separator
    ],
)
def test_parse_header_exact(text, expected):
    assert parse_header(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    (":novalue", "header ':novalue' is not NAME=VALUE"),
    ("=x", "header '=x' is not NAME=VALUE"),
    (":x", "header ':x' is not NAME=VALUE"),
    ("bad name=x", "header name 'bad name' in 'bad name=x' is not a header name"),
    (" =x", "header name '' in ' =x' is not a header name"),
])  # fmt: skip
def test_parse_header_errors_say_what_is_wrong(text, message):
    with pytest.raises(ValueError) as error:
        parse_header(text)
    assert str(error.value) == message


def test_src_routes_host_matches_domains_without_case():
    src = client_dump(SLEEP)
    assert src_routes_host(src, "httpbin", SLEEP_PORT) is True
    assert src_routes_host(src, "HTTPBIN", None) is True
    assert src_routes_host(src, "HttpBin.Foo", SLEEP_PORT) is True
    assert src_routes_host(src, "nosuch", SLEEP_PORT) is False
    assert src_routes_host(src, "nosuch", None) is False
    served = client_served(SLEEP)
    served[ROUTE][0]["virtual_hosts"][0]["domains"] = ["only.example:8000"]
    ported = client_dump(SLEEP, served)
    assert src_routes_host(ported, "Only.Example", 8000) is True
    assert src_routes_host(ported, "only.example", 8001) is False
    assert src_routes_host(ported, "only.example", None) is False


# --- Envoy helpers meshctl ports -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("example.com:8080", "example.com"),
        ("example.com", "example.com"),
        ("example.com:", "example.com:"),  # no digits: kept
        ("example.com:80x", "example.com:80x"),
        ("example.com:\u0663", "example.com:\u0663"),  # a non-ASCII digit is no port
        ("[fd00::1]:443", "[fd00::1]"),
        ("[fd00::1]", "[fd00::1]"),
        ("fd00::1", "fd00:"),  # getPortStart takes the last ":" of a bare IPv6 address too (measured with Envoy 1.40)
        ("a:b:80", "a:b"),
    ],
)
def test_host_without_port_is_envoys_strip_port_from_host(host, expected):
    from meshctl.analyze.request import _host_without_port

    assert _host_without_port(host) == expected


@pytest.mark.parametrize(
    ("runtime", "expected"),
    [
        ({"default_value": {"numerator": 30}}, "30% of requests"),
        ({"default_value": {"numerator": 30, "denominator": "HUNDRED"}}, "30% of requests"),
        ({"default_value": {"numerator": 5, "denominator": "TEN_THOUSAND"}}, "0.05% of requests"),
        ({"default_value": {"numerator": 1, "denominator": "MILLION"}}, "0.0001% of requests"),
        ({"default_value": {"numerator": 7, "denominator": "SOMETHING_NEW"}}, "7% of requests"),
        ({"default_value": {}}, "0% of requests"),
        ({}, "0% of requests"),
        ({"default_value": "junk"}, "0% of requests"),
        ({"default_value": {"numerator": 50}, "runtime_key": "routing.x"}, "50% of requests; runtime key routing.x may override"),
    ],
)
def test_runtime_fraction_text(runtime, expected):
    from meshctl.analyze.request import _fraction

    assert _fraction(runtime) == expected


@pytest.mark.parametrize(
    ("redirect", "text"),
    [
        ({"https_redirect": True}, "scheme https"),
        ({"scheme_redirect": "http"}, "scheme http"),
        ({"host_redirect": "example.org"}, "host example.org"),
        ({"port_redirect": 8443}, "port 8443"),
        ({"path_redirect": "/new"}, "path /new"),
        ({"prefix_rewrite": "/v2/"}, "prefix rewrite /v2/"),
        ({"https_redirect": True, "host_redirect": "a.b", "path_redirect": "/x"}, "scheme https, host a.b, path /x"),
        ({}, "same URL"),
        ({"https_redirect": False}, "same URL"),
    ],
)
def test_redirect_is_described_by_what_it_changes(redirect, text):
    served = client_served(SLEEP)
    routes_of(served).insert(0, {"name": "moved", "match": {"prefix": "/moved"}, "redirect": redirect})
    outcome = only(explain_with(served, req(path="/moved"), dst=False))
    assert (outcome.kind, outcome.status, outcome.decided_by) == (REDIRECT, 301, "SRC")
    assert outcome.summary == f"301 redirect from SRC route moved ({text})"


@pytest.mark.parametrize(("code", "status"), [("MOVED_PERMANENTLY", 301), ("FOUND", 302), ("SEE_OTHER", 303), ("TEMPORARY_REDIRECT", 307),
                                              ("PERMANENT_REDIRECT", 308), (0, 301), (1, 302), (4, 308), (5, 301), (-1, 301), (True, 301), ("x", 301)])  # fmt: skip
def test_redirect_codes_by_name_and_number(code, status):
    served = client_served(SLEEP)
    routes_of(served).insert(0, {"name": "moved", "match": {"prefix": "/moved"}, "redirect": {"response_code": code}})
    assert only(explain_with(served, req(path="/moved"), dst=False)).status == status


def test_direct_response_summary_names_the_route_and_body():
    served = client_served(SLEEP)
    routes_of(served).insert(0, {"match": {"prefix": "/health"}, "direct_response": {"status": 200}})
    routes_of(served).insert(0, {"name": "nope", "match": {"prefix": "/nope"}, "direct_response": {"status": 404, "body": {"inline_string": "gone"}}})
    health = only(explain_with(served, req(path="/health"), dst=False))
    assert (health.kind, health.status, health.summary) == (DIRECT, 200, "200 direct response from SRC route #1")
    nope = explain_with(served, req(path="/nope"), dst=False)
    assert only(nope).summary == "404 direct response from SRC route nope (body 'gone')"
    assert nope.will_fail is True and explain_with(served, req(path="/health"), dst=False).will_fail is False


def test_no_virtual_host_summary_in_full():
    outcome = only(explain_with(client_served(SLEEP), req(host="nope.example"), dst=False))
    assert (outcome.kind, outcome.status, outcome.decided_by) == (NO_ROUTE, 404, "SRC")
    assert outcome.summary.startswith("404 no route: no virtual host of SRC's ")
    assert outcome.summary.endswith(f" matches 'nope.example:{SLEEP_PORT}' (NR)")


def test_no_route_in_the_virtual_host_summary_in_full():
    served = client_served(SLEEP)
    vhost = served[ROUTE][0]["virtual_hosts"][0]
    vhost["routes"] = [{"name": "only", "match": {"path": "/only"}, "route": {"cluster": HTTPBIN}}]
    outcome = only(explain_with(served, req("POST", "/other"), dst=False))
    assert outcome.summary == f"404 no route: no route of virtual host {vhost['name']} on SRC matches POST /other (NR)"


def test_unknown_scheme_is_not_routed_by_http():
    outcome = only(explain_with(client_served(SLEEP), HttpRequest("httpbin", 443, scheme="https"), dst=False))
    assert outcome.kind == UNKNOWN
    assert outcome.unknown == "unknown: a https request is TLS from the app on: the sidecars route it by SNI, not by HTTP; not evaluated"


def test_http_manager_path_options_are_applied():
    served = client_served(SLEEP)
    manager_of(served)["merge_slashes"] = True
    explanation = explain_with(served, req(path="//get//x?a=b//c"), dst=False)
    assert "  path normalised to /get/x?a=b//c" in explanation.evidence
    assert only(explanation).kind == FORWARDED


# --- SRC: the route's action ------------------------------------------------------------------------------


def test_default_route_notes_its_timeout_and_retries():
    explanation = explain_with(client_served(SLEEP), req(), dst=False)
    assert explanation.notes == [
        "SRC route default: timeout 0s (none)",
        "SRC route default: retries 2 time(s) on connect-failure,refused-stream,unavailable,cancelled (the final answer is the last attempt's)",
        "DST's inbound side not checked (give DST as a pod, --dst-file or --dst-admin)",
    ]
    assert explanation.evidence[-1] == f"  action: cluster {HTTPBIN}"


def test_route_timeouts_and_retry_defaults_from_the_virtual_host():
    served = client_served(SLEEP)
    vhost = served[ROUTE][0]["virtual_hosts"][0]
    vhost["retry_policy"] = {}
    vhost["routes"].insert(0, {"name": "slow", "match": {"prefix": "/slow"}, "route": {"cluster": HTTPBIN, "timeout": "15s", "idle_timeout": "0"}})
    notes = explain_with(served, req(path="/slow"), dst=False).notes
    assert notes[:3] == ["SRC route slow: timeout 15s", "SRC route slow: idle timeout 0 (none)", "SRC route slow: retries 1 time(s) on - (the final answer is the last attempt's)"]


def test_weighted_clusters_evidence_and_zero_weights():
    served = client_served(SLEEP)
    v1, v2 = HTTPBIN.replace("||", "|v1|"), HTTPBIN.replace("||", "|v2|")
    routes_of(served).insert(0, {"name": "split", "match": {"prefix": "/split"}, "route": {"weighted_clusters": {"clusters": [
        {"name": v1, "weight": 3}, {"name": v2, "weight": {"value": 1}}, {"name": HTTPBIN, "weight": 0}, "junk"]}}})  # fmt: skip
    explanation = explain_with(served, req(path="/split"), dst=False)
    assert explanation.evidence[-1] == f"  action: weighted clusters {v1} 75%, {v2} 25%, {HTTPBIN} 0%"
    assert [(o.upstream, o.weight) for o in explanation.outcomes] == [(v1, 3), (v2, 1)]
    assert explanation.summary() == f"one of 2: 200-bound via {v1} -> 127.0.10.2:15080 (weight 3) | 200-bound via {v2} -> 127.0.10.2:15080 (weight 1)"
    assert not any("runtime keys" in note for note in explanation.notes)


@pytest.mark.parametrize("runtime", [{"runtime_key_prefix": "routing.split"}, {"clusters_runtime_key": None}])
def test_weighted_clusters_with_runtime_keys_say_so(runtime):
    served = client_served(SLEEP)
    entry = {"name": HTTPBIN, "weight": 1}
    weighted = {"clusters": [entry]}
    if "runtime_key_prefix" in runtime:
        weighted.update(runtime)
    else:
        entry["runtime_key"] = "routing.x"
    routes_of(served).insert(0, {"name": "split", "match": {"prefix": "/split"}, "route": {"weighted_clusters": weighted}})
    assert "SRC route split: weights may be overridden by runtime keys" in explain_with(served, req(path="/split"), dst=False).notes


def test_weighted_cluster_header_is_not_evaluated():
    served = client_served(SLEEP)
    routes_of(served).insert(0, {"name": "split", "match": {"prefix": "/split"}, "route": {"weighted_clusters": {"clusters": [{"cluster_header": "x-c", "weight": 1}]}}})
    assert only(explain_with(served, req(path="/split"), dst=False)).unknown == "unknown: weighted cluster_header not evaluated"


def test_cluster_from_a_request_header():
    served = client_served(SLEEP)
    routes_of(served).insert(0, {"name": "by-header", "match": {"prefix": "/pick"}, "route": {"cluster_header": "x-cluster"}})
    picked = explain_with(served, req("GET", "/pick", ("x-cluster", HTTPBIN)), dst=False)
    assert picked.evidence[-1] == f"  action: cluster from header x-cluster: {HTTPBIN}"
    assert (only(picked).kind, only(picked).upstream) == (FORWARDED, HTTPBIN)
    absent = only(explain_with(served, req(path="/pick"), dst=False))
    assert absent.unknown == "unknown: cluster_header x-cluster absent (Envoy's answer) not evaluated"


def test_other_route_actions_are_not_evaluated():
    served = client_served(SLEEP)
    routes_of(served).insert(0, {"name": "plugin", "match": {"prefix": "/plugin"}, "route": {"inline_cluster_specifier_plugin": {}}})
    routes_of(served).insert(0, {"name": "nothing", "match": {"prefix": "/nothing"}, "route": {}})
    routes_of(served).insert(0, {"name": "filter", "match": {"prefix": "/filter"}, "filter_action": {}, "decorator": {}})
    assert only(explain_with(served, req(path="/plugin"), dst=False)).unknown == "unknown: route action inline_cluster_specifier_plugin not evaluated"
    assert only(explain_with(served, req(path="/nothing"), dst=False)).unknown == "unknown: route action unknown cluster specifier not evaluated"
    assert only(explain_with(served, req(path="/filter"), dst=False)).unknown == "unknown: route action filter_action not evaluated"


def test_request_mirrors_are_notes():
    served = client_served(SLEEP)
    routes_of(served)[-1]["route"]["request_mirror_policies"] = [{"cluster": "shadow"}, "junk", {}]
    notes = explain_with(served, req(), dst=False).notes
    assert "SRC route default: mirrors every request to shadow (its answers are ignored)" in notes
    assert "SRC route default: mirrors every request to ? (its answers are ignored)" in notes


# --- SRC: the upstream cluster and its endpoints --------------------------------------------------------


@pytest.mark.parametrize(("code", "status"), [(None, 503), ("NOT_FOUND", 404), ("INTERNAL_SERVER_ERROR", 500), ("SERVICE_UNAVAILABLE", 503),
                                              (1, 404), (2, 500), (3, 503), ("x", 503)])  # fmt: skip
def test_missing_cluster_status_and_summary(code, status):
    served = client_served(SLEEP)
    action = {"cluster": "outbound|1||nope"} | ({"cluster_not_found_response_code": code} if code is not None else {})
    routes_of(served).insert(0, {"name": "nope", "match": {"prefix": "/nope"}, "route": action})
    outcome = only(explain_with(served, req(path="/nope"), dst=False))
    assert (outcome.kind, outcome.status, outcome.upstream, outcome.decided_by) == ("cluster_not_found", status, "outbound|1||nope", "SRC")
    assert outcome.summary == f"{status} cluster outbound|1||nope does not exist on SRC (NC)"


def _endpoint(ip, health="HEALTHY", port=15080, sidecar=True):
    item = {"endpoint": {"address": {"socket_address": {"address": ip, "port_value": port}}}, "health_status": health}
    if sidecar:
        item["metadata"] = {"filter_metadata": {"envoy.transport_socket_match": {"tlsMode": "istio"}}}
    return item


def _httpbin_endpoints(served, *groups):
    from meshctl.sandbox.resources import ENDPOINTS

    assignment = next(a for a in served[ENDPOINTS] if a["cluster_name"] == HTTPBIN)
    assignment["endpoints"] = list(groups)
    return assignment


def test_endpoint_health_decides_which_are_eligible():
    served = client_served(SLEEP)
    _httpbin_endpoints(served, {"lb_endpoints": [_endpoint("127.0.10.2"), _endpoint("127.0.10.3", "UNHEALTHY")], "locality": {"region": "r", "zone": "z"}})
    explanation = explain_with(served, req(), dst=False)
    outcome = only(explanation)
    assert outcome.endpoints == ("127.0.10.2:15080",)
    assert "  1 of 2 endpoints eligible (health from EDS; active health checks and outlier ejection are not in a config dump)" in outcome.evidence
    assert "  endpoint 127.0.10.2:15080 (locality r/z)" in outcome.evidence


def test_below_the_panic_threshold_every_endpoint_is_eligible():
    served = client_served(SLEEP)
    _httpbin_endpoints(served, {"lb_endpoints": [_endpoint("127.0.10.2"), _endpoint("127.0.10.3", "UNHEALTHY"), _endpoint("127.0.10.4", "DRAINING")]})
    explanation = explain_with(served, req(), dst=False)
    assert f"{HTTPBIN}: 1 of 3 endpoints healthy, below the panic threshold 50%: Envoy balances over all of them" in explanation.notes
    outcome = only(explanation)
    assert outcome.endpoints == ("127.0.10.2:15080", "127.0.10.3:15080", "127.0.10.4:15080")
    # One outcome over three endpoints: the same kind and status, named after the first.
    assert (outcome.kind, outcome.status, outcome.summary) == (FORWARDED, None, f"200-bound via {HTTPBIN} -> 127.0.10.2:15080")


def test_panic_threshold_from_the_cluster_and_zero_disables_panic():
    from meshctl.sandbox.resources import CLUSTER

    served = client_served(SLEEP)
    cluster = next(c for c in served[CLUSTER] if c["name"] == HTTPBIN)
    _httpbin_endpoints(served, {"lb_endpoints": [_endpoint("127.0.10.2"), _endpoint("127.0.10.3", "UNHEALTHY")]})
    cluster["common_lb_config"] = {"healthy_panic_threshold": {"value": 40}}  # 50% healthy: not in panic
    explanation = explain_with(served, req(), dst=False)
    assert only(explanation).endpoints == ("127.0.10.2:15080",) and not any("panic" in note for note in explanation.notes)
    cluster["common_lb_config"] = {"healthy_panic_threshold": {"value": 60}}
    explanation = explain_with(served, req(), dst=False)
    assert f"{HTTPBIN}: 1 of 2 endpoints healthy, below the panic threshold 60%: Envoy balances over all of them" in explanation.notes
    cluster["common_lb_config"] = {"healthy_panic_threshold": {}}  # no value: 50, exactly at it is not below
    assert only(explain_with(served, req(), dst=False)).endpoints == ("127.0.10.2:15080",)
    _httpbin_endpoints(served, {"lb_endpoints": [_endpoint("127.0.10.3", "UNHEALTHY")]})
    cluster["common_lb_config"] = {"healthy_panic_threshold": {"value": 0}}
    outcome = only(explain_with(served, req(), dst=False))
    assert (outcome.kind, outcome.status) == ("no_healthy_upstream", 503)
    assert outcome.summary == f"503 no healthy upstream: no healthy endpoint in {HTTPBIN} (UH)"


def test_degraded_endpoints_are_used_when_none_is_healthy():
    from meshctl.sandbox.resources import CLUSTER

    served = client_served(SLEEP)
    next(c for c in served[CLUSTER] if c["name"] == HTTPBIN)["common_lb_config"] = {"healthy_panic_threshold": {"value": 0}}
    _httpbin_endpoints(served, {"lb_endpoints": [_endpoint("127.0.10.3", "UNHEALTHY"), _endpoint("127.0.10.2", "DEGRADED")]})
    assert only(explain_with(served, req(), dst=False)).endpoints == ("127.0.10.2:15080",)


def test_only_the_lowest_priority_is_considered():
    served = client_served(SLEEP)
    _httpbin_endpoints(served, {"priority": 1, "lb_endpoints": [_endpoint("127.0.10.3")]}, {"lb_endpoints": [_endpoint("127.0.10.2")]})
    explanation = explain_with(served, req(), dst=False)
    assert only(explanation).endpoints == ("127.0.10.2:15080",)
    assert f"{HTTPBIN} has endpoints at several priorities: meshctl considers priority 0 only" in explanation.notes


def test_no_endpoints_and_non_ip_endpoints():
    served = client_served(SLEEP)
    _httpbin_endpoints(served)
    empty = only(explain_with(served, req(), dst=False))
    assert (empty.kind, empty.status, empty.decided_by, empty.upstream) == ("no_healthy_upstream", 503, "SRC", HTTPBIN)
    assert empty.summary == f"503 no healthy upstream: {HTTPBIN} has no endpoints (UH)"
    assert empty.evidence[-1] == "  no endpoints"
    _httpbin_endpoints(served, {"lb_endpoints": [{"endpoint": {"address": {"pipe": {"path": "/x"}}}}]})
    pipe = only(explain_with(served, req(), dst=False))
    assert (pipe.kind, pipe.unknown, pipe.upstream) == (UNKNOWN, "non-IP endpoint", HTTPBIN)
    assert pipe.summary == f"unknown: a non-IP endpoint of {HTTPBIN} not evaluated"


def test_endpoints_that_differ_make_the_outcome_depend_on_the_pick():
    # DST's own IP twice: with tlsMode=istio (mTLS, allowed) and without (plain text to its STRICT port).
    served = client_served(SLEEP)
    _httpbin_endpoints(served, {"lb_endpoints": [_endpoint("127.0.10.2"), _endpoint("127.0.10.2", port=15081, sidecar=False)]})
    explanation = explain_with(served, req())
    outcome = only(explanation)
    assert (outcome.kind, outcome.status, outcome.unknown, outcome.decided_by) == (UNKNOWN, None, "endpoint choice", "SRC")
    assert outcome.endpoints == ("127.0.10.2:15080", "127.0.10.2:15081")
    assert outcome.summary.startswith(f"unknown: depends on the endpoint Envoy picks: 200-bound via {HTTPBIN} -> 127.0.10.2:15080 [127.0.10.2:15080] | "
                                      "503 will fail: TLS: ")  # fmt: skip
    assert outcome.summary.endswith(" [127.0.10.2:15081]")
    assert "    endpoint 127.0.10.2:15080 (tlsMode=istio) selects transport_socket_match tlsMode-istio (tlsMode=istio)" in outcome.evidence
    assert "    endpoint 127.0.10.2:15081 (no transport_socket_match metadata) selects transport_socket_match tlsMode-disabled (*)" in outcome.evidence
    assert f"the outcome depends on which endpoint of {HTTPBIN} Envoy picks" in explanation.notes
    assert not any("is not an endpoint of" in note for note in explanation.notes)
    assert explanation.will_fail is False


def test_an_endpoint_that_is_not_dst_is_forwarded_unchecked():
    served = client_served(SLEEP)
    _httpbin_endpoints(served, {"lb_endpoints": [_endpoint("127.0.10.9")]})
    explanation = explain_with(served, req())
    outcome = only(explanation)
    assert (outcome.kind, outcome.decided_by, outcome.summary) == (FORWARDED, "app", f"200-bound via {HTTPBIN} -> 127.0.10.9:15080")
    assert "    127.0.10.9:15080 is not DST: its sidecar's inbound policies are not checked" in outcome.evidence
    assert f"DST (127.0.10.2) is not an endpoint of {HTTPBIN}: the request does not reach DST" in explanation.notes


# --- the explanation as a whole --------------------------------------------------------------------------


def test_explanation_properties_over_several_outcomes():
    from meshctl.analyze.request import CONNECTION, DENIED, NO_HEALTHY, Outcome, RequestExplanation

    def of(*outcomes):
        return RequestExplanation("s", "d", req(), list(outcomes), [])

    forwarded, denied = Outcome(FORWARDED, None, "ok"), Outcome(DENIED, 403, "403 RBAC: no ALLOW policy matched")
    mixed = of(forwarded, denied)
    assert (mixed.status, mixed.kinds, mixed.will_fail, mixed.unknown) == (None, {FORWARDED, DENIED}, False, [])
    assert mixed.summary() == "one of 2: ok | 403 RBAC: no ALLOW policy matched"
    failing = of(denied, Outcome(NO_HEALTHY, 503, "u"), Outcome(CONNECTION, None, "c"), Outcome(DIRECT, 500, "x"), Outcome(NO_ROUTE, 404, "n"))
    assert failing.will_fail is True and failing.status is None
    assert of(Outcome(DIRECT, 399, "x")).will_fail is False
    assert of(Outcome(DIRECT, 400, "x")).will_fail is True
    assert of(Outcome(DIRECT, None, "x")).will_fail is False
    assert of(Outcome("cluster_not_found", 503, "x")).will_fail is True
    assert of(Outcome(REDIRECT, 301, "x")).will_fail is False
    assert of().will_fail is False and of().status is None
    assert of(denied, Outcome(DENIED, 403, "other")).status == 403
    unknown = of(Outcome(UNKNOWN, None, "unknown: a", unknown="a"), Outcome(UNKNOWN, None, "unknown: b", unknown="b"), forwarded)
    assert unknown.unknown == ["a", "b"]


def test_outcome_json_in_full():
    from meshctl.analyze.request import Outcome

    outcome = Outcome(UNKNOWN, None, "unknown: x", upstream="", endpoints=("1.2.3.4:80",), decided_by="DST", unknown="x", weight=5, evidence=["e"])
    assert outcome.to_dict() == {"kind": "unknown", "status": None, "summary": "unknown: x", "upstreamCluster": None, "endpoints": ["1.2.3.4:80"],
                                 "decidedBy": "DST", "policy": None, "unknown": "x", "weight": 5, "evidence": ["e"]}  # fmt: skip
    assert Outcome(FORWARDED, 200, "s", upstream="c", policy="p").to_dict()["upstreamCluster"] == "c"
    assert Outcome(FORWARDED, 200, "s", upstream="c", policy="p").to_dict()["unknown"] is None


def test_request_json_in_full():
    request = HttpRequest("httpbin", 8000, "POST", "/x", (("x-a", "1"), ("host", "h")))
    assert request.to_dict() == {"method": "POST", "scheme": "http", "authority": "h", "path": "/x", "host": "httpbin", "port": 8000,
                                 "headers": [["x-a", "1"], ["host", "h"]]}  # fmt: skip
    explanation = explain_with(client_served(SLEEP), req(), dst=False)
    document = explanation.to_dict()
    assert list(document) == ["schemaVersion", "verdict", "status", "kinds", "willFail", "unknown", "source", "destination", "serverChecked",
                              "request", "evidence", "outcomes", "notes"]  # fmt: skip
    assert (document["verdict"], document["status"], document["kinds"], document["willFail"], document["unknown"]) == (f"200-bound via {HTTPBIN} -> 127.0.10.2:15080", None, ["forwarded"], False, [])
    assert (document["source"], document["destination"], document["serverChecked"]) == ("SRC", "DST", False)
    assert document["evidence"] == explanation.evidence and document["notes"] == explanation.notes


# --- warming resources: Envoy keeps using the active version -----------------------------------------------


def _document_with_warming(served, *, cluster=None, listener=None, drop_active=False):
    """The sleep client's /config_dump with a warming version of a cluster or listener (and without its active one)."""
    import copy

    from meshctl.decode.configdump import from_object

    from helpers.meshdata import document

    doc = document(served, SLEEP)
    for section in doc["configs"]:
        if cluster is not None and section["@type"].endswith("ClustersConfigDump"):
            active = next(e for e in section["dynamic_active_clusters"] if e["cluster"]["name"] == cluster)
            warming = copy.deepcopy(active)
            section["dynamic_warming_clusters"] = [warming]
            if drop_active:
                section["dynamic_active_clusters"].remove(active)
            else:  # a warming update with no endpoints at all: would answer 503 if it were used
                warming["cluster"]["load_assignment"] = {"cluster_name": cluster, "endpoints": []}
                warming["cluster"]["type"] = "STATIC"
        if listener is not None and section["@type"].endswith("ListenersConfigDump"):
            entry = next(e for e in section["dynamic_listeners"] if e["name"] == listener)
            warming = copy.deepcopy(entry["active_state"])
            if drop_active:
                del entry["active_state"]
            else:  # a warming update without filter chains: would refuse the connection if it were used
                warming["listener"]["filter_chains"] = []
            entry["warming_state"] = warming
    return from_object(doc)


def test_an_active_cluster_wins_over_its_warming_update():
    dump = _document_with_warming(client_served(SLEEP), cluster=HTTPBIN)
    assert only(RequestExplainer(dump).explain(req())).kind == FORWARDED


def test_a_cluster_that_is_only_warming_is_not_found():
    dump = _document_with_warming(client_served(SLEEP), cluster=HTTPBIN, drop_active=True)
    outcome = only(RequestExplainer(dump).explain(req()))
    assert (outcome.kind, outcome.status) == ("cluster_not_found", 503)
    assert outcome.summary == f"503 cluster {HTTPBIN} is warming (not usable yet) on SRC (NC)"


def test_an_active_listener_wins_over_its_warming_update():
    name = f"0.0.0.0_{SLEEP_PORT}"
    explanation = RequestExplainer(_document_with_warming(client_served(SLEEP), listener=name)).explain(req())
    assert only(explanation).kind == FORWARDED
    assert explanation.evidence[0] == f"SRC listener {name} (0.0.0.0:{SLEEP_PORT})"
    warming_only = RequestExplainer(_document_with_warming(client_served(SLEEP), listener=name, drop_active=True)).explain(req())
    assert warming_only.evidence[0] == f"SRC listener {name} (0.0.0.0:{SLEEP_PORT}) [warming]"


def test_src_side_unknowns_name_no_upstream():
    outcome = only(explain_with(client_served(SLEEP), HttpRequest("httpbin", 443, scheme="https"), dst=False))
    assert (outcome.upstream, outcome.decided_by, outcome.status, outcome.summary) == ("", "SRC", None, outcome.unknown)
    assert outcome.to_dict()["upstreamCluster"] is None


# --- DST: its listener, filters and route --------------------------------------------------------------------


def test_a_direct_response_on_dst_keeps_the_walk_as_evidence():
    outcome = only(explain_to_server(server_served(), req(path="/healthz/dst")))
    assert (outcome.kind, outcome.status, outcome.decided_by, outcome.summary) == (DIRECT, 204, "DST", "204 direct response from DST route dst-health")
    assert "DST listener virtualInbound, filter chain 0.0.0.0_15080" in outcome.evidence
    assert "  route dst-health: path '/healthz/dst'" in outcome.evidence
    assert outcome.evidence[-1] == "  filter envoy.filters.http.rbac: ALLOW: allowed by ns[foo]-policy[allow-first]-rule[0]"


def test_dst_route_to_a_missing_or_empty_cluster():
    from meshctl.sandbox.resources import CLUSTER

    served = server_served()
    default = manager_of(served)["route_config"]["virtual_hosts"][0]["routes"][-1]
    default["route"]["cluster"] = "inbound|1||"
    missing = only(explain_to_server(served))
    assert (missing.kind, missing.status, missing.decided_by) == ("cluster_not_found", 503, "DST")
    assert missing.summary == "503 DST's cluster inbound|1|| does not exist (NC)"
    default["route"]["cluster_not_found_response_code"] = "NOT_FOUND"
    assert only(explain_to_server(served)).status == 404
    served = server_served()
    app = next(c for c in served[CLUSTER] if c["name"] == "inbound|15080||")
    app["load_assignment"]["endpoints"] = [{"lb_endpoints": []}]
    empty = only(explain_to_server(served))
    assert (empty.kind, empty.status, empty.decided_by) == ("no_healthy_upstream", 503, "DST")
    assert empty.summary == "503 no healthy upstream: DST's inbound|15080|| has no endpoints (UH)"
    app["type"] = "ORIGINAL_DST"  # connects to the original destination: no endpoints needed
    assert only(explain_to_server(served)).kind == FORWARDED


def test_dst_route_with_other_actions_is_not_evaluated():
    served = server_served()
    default = manager_of(served)["route_config"]["virtual_hosts"][0]["routes"][-1]
    default["route"] = {"weighted_clusters": {"clusters": [{"name": "inbound|15080||", "weight": 1}]}}
    outcome = only(explain_to_server(served))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "DST")
    assert outcome.unknown == "unknown: DST route default: action other than a single cluster not evaluated"


def test_forwarded_through_dst_names_its_route_and_the_app():
    outcome = only(explain_to_server(server_served()))
    assert (outcome.kind, outcome.decided_by, outcome.status) == (FORWARDED, "app", None)
    assert outcome.evidence[-2:] == ["  DST route default -> cluster inbound|15080||", "  -> the app"]


def test_without_a_workload_certificate_dst_cannot_tell_the_peer():
    outcome = only(explain_to_server(server_served(), secrets=False))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "DST")
    assert outcome.unknown == "unknown: peer certificate not known (SRC's dump has no workload certificate)"


def test_plaintext_to_dst_without_an_inbound_listener_reaches_the_app():
    from meshctl.sandbox.resources import ENDPOINTS

    served_client = client_served(SLEEP)
    for assignment in served_client[ENDPOINTS]:
        for group in assignment["endpoints"]:
            for endpoint in group["lb_endpoints"]:
                endpoint.pop("metadata", None)
    served = server_served()
    served[LISTENER] = []
    outcome = only(explain_to_server(served, served_client=served_client))
    assert (outcome.kind, outcome.decided_by) == (FORWARDED, "app")
    assert outcome.evidence[-1] == "DST has no inbound listener: the app receives the request directly"


# --- SRC: HTTP filters, in order (the sandbox client has cors, fault, router) ---------------------------------

RBAC_TYPE = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"
TCP_PROXY_TYPE = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
DENY_ALL = {"@type": RBAC_TYPE, "rules": {"action": "DENY", "policies": {"deny-all": {"permissions": [{"any": True}], "principals": [{"any": True}]}}}}
EXT_AUTHZ_TYPE = "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz"


def with_filters(*filters, per_route=None):
    """The sleep client with `filters` before its own, and `per_route` typed_per_filter_config on the default route."""
    served = client_served(SLEEP)
    manager_of(served)["http_filters"][:0] = list(filters)
    if per_route is not None:
        routes_of(served)[-1]["typed_per_filter_config"] = per_route
    return served


def test_an_rbac_filter_on_src_denies():
    explanation = explain_with(with_filters({"name": "envoy.filters.http.rbac", "typed_config": DENY_ALL}), req(), dst=False)
    outcome = only(explanation)
    assert (outcome.kind, outcome.status, outcome.decided_by, outcome.policy) == ("denied", 403, "SRC", "deny-all")
    assert outcome.summary == "403 RBAC: denied by deny-all"
    assert explanation.evidence[-1] == "  filter envoy.filters.http.rbac: DENY: denied by deny-all"


def test_per_route_rbac_config_replaces_or_disables_the_filter():
    rbac = {"name": "envoy.filters.http.rbac", "typed_config": DENY_ALL}
    allow_all = {"action": "ALLOW", "policies": {"allow-all": {"permissions": [{"any": True}], "principals": [{"any": True}]}}}
    per_route = {"envoy.filters.http.rbac": {"@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute", "rbac": {"rules": allow_all}}}
    explanation = explain_with(with_filters(rbac, per_route=per_route), req(), dst=False)
    assert only(explanation).kind == FORWARDED
    assert "  filter envoy.filters.http.rbac: ALLOW: allowed by allow-all" in explanation.evidence
    per_route = {"envoy.filters.http.rbac": {"@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute"}}
    explanation = explain_with(with_filters(rbac, per_route=per_route), req(), dst=False)
    assert only(explanation).kind == FORWARDED
    assert "  filter envoy.filters.http.rbac: disabled by the route's per-filter config" in explanation.evidence
    disabled = {"envoy.filters.http.rbac": {"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig", "disabled": True}}
    assert only(explain_with(with_filters(rbac, per_route=disabled), req(), dst=False)).kind == FORWARDED
    other = {"envoy.filters.http.rbac": {"@type": "type.googleapis.com/x.Other"}}
    assert only(explain_with(with_filters(rbac, per_route=other), req(), dst=False)).unknown == ("unknown: per-route config x.Other of filter envoy.filters.http.rbac not evaluated")


def test_per_route_config_from_the_virtual_host_and_the_route_configuration():
    rbac = {"name": "envoy.filters.http.rbac", "typed_config": DENY_ALL}
    off = {"envoy.filters.http.rbac": {"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig", "disabled": True}}
    served = with_filters(rbac)
    served[ROUTE][0]["virtual_hosts"][0]["typed_per_filter_config"] = off
    assert only(explain_with(served, req(), dst=False)).kind == FORWARDED
    served = with_filters(rbac)
    served[ROUTE][0]["typed_per_filter_config"] = off
    assert only(explain_with(served, req(), dst=False)).kind == FORWARDED
    # The route's own config wins over the virtual host's.
    served = with_filters(rbac, per_route={"envoy.filters.http.rbac": {"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig",
                                                                        "config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute",
                                                                                   "rbac": {"rules": DENY_ALL["rules"]}}}})  # fmt: skip
    served[ROUTE][0]["virtual_hosts"][0]["typed_per_filter_config"] = off
    assert only(explain_with(served, req(), dst=False)).kind == "denied"


def test_ext_authz_on_src():
    ext = {"name": "envoy.filters.http.ext_authz", "typed_config": {"@type": EXT_AUTHZ_TYPE}}
    outcome = only(explain_with(with_filters(ext), req(), dst=False))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "SRC")
    assert outcome.unknown == "unknown: decided by the external authorizer (CUSTOM policy, ext_authz)"
    gated = {"name": "envoy.filters.http.ext_authz", "typed_config": {"@type": EXT_AUTHZ_TYPE, "filter_enabled": {"default_value": {"numerator": 100}}}}
    assert only(explain_with(with_filters(gated), req(), dst=False)).unknown == "unknown: ext_authz filter_enabled of envoy.filters.http.ext_authz not evaluated"
    off = {"envoy.filters.http.ext_authz": {"@type": "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute", "disabled": True}}
    explanation = explain_with(with_filters(ext, per_route=off), req(), dst=False)
    assert only(explanation).kind == FORWARDED and "  filter envoy.filters.http.ext_authz: disabled by the route" in explanation.evidence
    context = {"envoy.filters.http.ext_authz": {"@type": "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute",
                                                "check_settings": {}}}  # fmt: skip
    assert only(explain_with(with_filters(ext, per_route=context), req(), dst=False)).unknown == (
        "unknown: per-route config envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute of filter envoy.filters.http.ext_authz not evaluated"
    )


def test_ext_authz_enabled_by_metadata_nobody_wrote_is_skipped():
    ext = {
        "name": "envoy.filters.http.ext_authz",
        "typed_config": {
            "@type": EXT_AUTHZ_TYPE,
            "filter_enabled_metadata": {"filter": "envoy.filters.http.rbac", "path": [{"key": "istio_ext_authz_shadow_effective_policy_id"}], "value": {"string_match": {"prefix": "x"}}},
        },
    }
    # On SRC no RBAC shadow rule wrote the metadata: the filter is skipped.
    explanation = explain_with(with_filters(ext), req(), dst=False)
    assert only(explanation).kind == FORWARDED
    assert "  filter envoy.filters.http.ext_authz: skipped (no CUSTOM policy matched: filter_enabled_metadata)" in explanation.evidence


@pytest.mark.parametrize(
    ("item", "request_", "unknown"),
    [
        ({"name": "envoy.filters.http.fault", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault", "abort": {"http_status": 503}}},
         req(), "unknown: fault injection of filter envoy.filters.http.fault not evaluated"),
        ({"name": "x.fault", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault", "delay": {"fixed_delay": "1s"}}},
         req(), "unknown: fault injection of filter x.fault not evaluated"),
        ({"name": "envoy.filters.http.jwt_authn", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"}},
         req("GET", "/get", ("authorization", "Bearer x")), "unknown: JWT validation (jwt_authn) not evaluated"),
        ({"name": "envoy.filters.http.lua", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua"}},
         req(), "unknown: HTTP filter envoy.filters.http.lua not evaluated"),
        ({"typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua"}},
         req(), "unknown: HTTP filter envoy.extensions.filters.http.lua.v3.Lua not evaluated"),
        ({"name": "envoy.filters.http.wasm", "config_discovery": {"config_source": {"ads": {}}}},
         req(), "unknown: filter envoy.filters.http.wasm: its discovered config (ECDS) is not in SRC's dump, not evaluated"),
        (None, req("OPTIONS", "/get", ("origin", "https://a.example")), "unknown: CORS preflight (cors filter) not evaluated"),
    ],
)  # fmt: skip
def test_filters_meshctl_does_not_evaluate_make_the_answer_unknown(item, request_, unknown):
    outcome = only(explain_with(with_filters(item) if item else client_served(SLEEP), request_, dst=False))
    assert (outcome.kind, outcome.unknown, outcome.decided_by) == (UNKNOWN, unknown, "SRC")


@pytest.mark.parametrize(
    "item",
    [
        {"name": "envoy.filters.http.jwt_authn", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"}},
        {"name": "envoy.filters.http.lua", "disabled": True, "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua"}},
        {"name": "envoy.filters.http.wasm", "is_optional": True, "config_discovery": {"config_source": {"ads": {}}}},
        {"name": "istio.stats", "typed_config": {"@type": "type.googleapis.com/stats.PluginConfig"}},
        "junk",
    ],
)  # fmt: skip
def test_filters_that_do_not_answer_are_passed(item):
    assert only(explain_with(with_filters(item), req(), dst=False)).kind == FORWARDED


def test_a_filter_disabled_for_the_route_is_passed():
    lua = {"name": "envoy.filters.http.lua", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua"}}
    off = {"envoy.filters.http.lua": {"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig", "disabled": True}}
    assert only(explain_with(with_filters(lua, per_route=off), req(), dst=False)).kind == FORWARDED
    fault = {"name": "envoy.filters.http.fault", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault"}}
    per_fault = {"envoy.filters.http.fault": {"@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault", "abort": {}}}
    assert only(explain_with(with_filters(fault, per_route=per_fault), req(), dst=False)).unknown == ("unknown: fault injection of filter envoy.filters.http.fault not evaluated")


def test_a_cors_request_that_is_not_a_preflight_passes():
    assert only(explain_with(client_served(SLEEP), req("OPTIONS", "/get"), dst=False)).kind == FORWARDED
    assert only(explain_with(client_served(SLEEP), req("GET", "/get", ("origin", "https://a.example")), dst=False)).kind == FORWARDED


# --- SRC: listener, chain and network filters --------------------------------------------------------------


def test_no_outbound_listener_for_the_port():
    outcome = only(explain_with(client_served(SLEEP), req(port=7070), dst=False))
    assert outcome.unknown == ("unknown: SRC has no outbound listener for httpbin:7070 (no sidecar capture, or traffic goes to "
                               "virtualOutbound's passthrough) not evaluated")  # fmt: skip
    by_ip = only(explain_with(client_served(SLEEP), req(host="10.1.2.3", port=7070), dst=False))
    assert by_ip.unknown.startswith("unknown: SRC has no outbound listener for 10.1.2.3:7070 ")


def test_a_listener_on_the_services_vip_wins_over_the_wildcard_one():
    served = client_served(SLEEP)
    served[ROUTE][0]["virtual_hosts"][0]["domains"].append("10.96.0.5")
    tcp = {"name": "envoy.filters.network.tcp_proxy", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", "cluster": HTTPBIN}}
    served[LISTENER].append({"name": f"10.96.0.5_{SLEEP_PORT}", "address": {"socket_address": {"address": "10.96.0.5", "port_value": SLEEP_PORT}},
                             "traffic_direction": "OUTBOUND", "filter_chains": [{"name": "tcp", "filters": [tcp]}]})  # fmt: skip
    explanation = explain_with(served, req(), dst=False)
    assert explanation.evidence == [f"SRC listener 10.96.0.5_{SLEEP_PORT} (10.96.0.5:{SLEEP_PORT})", "  filter chain tcp",
                                    f"  tcp_proxy -> {HTTPBIN} (HTTP routing does not apply on SRC)"]  # fmt: skip
    assert (only(explanation).kind, only(explanation).upstream) == (FORWARDED, HTTPBIN)
    # Asked by its IP, the same listener.
    assert explain_with(served, req(host="10.96.0.5"), dst=False).evidence[0] == f"SRC listener 10.96.0.5_{SLEEP_PORT} (10.96.0.5:{SLEEP_PORT})"


def test_inbound_listeners_are_never_outbound_ones():
    served = client_served(SLEEP)
    served[LISTENER][0]["traffic_direction"] = "INBOUND"
    assert only(explain_with(served, req(), dst=False)).unknown.startswith("unknown: SRC has no outbound listener for httpbin:")
    served = client_served(SLEEP)
    served[LISTENER][0]["name"] = "virtualInbound"
    served[LISTENER][0].pop("traffic_direction")
    assert only(explain_with(served, req(), dst=False)).unknown.startswith("unknown: SRC has no outbound listener for httpbin:")


def test_src_chain_and_network_filter_cases():
    served = client_served(SLEEP)
    served[LISTENER][0]["filter_chain_matcher"] = {}
    assert only(explain_with(served, req(), dst=False)).unknown == "unknown: listener filter_chain_matcher not evaluated"
    served = client_served(SLEEP)
    served[LISTENER][0]["filter_chains"][0]["filter_chain_match"] = {"destination_port": 1}
    refused = only(explain_with(served, req(), dst=False))
    assert (refused.kind, refused.status, refused.decided_by) == ("connection_failure", None, "SRC")
    assert refused.summary == f"connection refused: no filter chain of SRC's 0.0.0.0_{SLEEP_PORT} matches"
    served = client_served(SLEEP)
    chain = served[LISTENER][0]["filter_chains"][0]
    chain["filters"][:0] = [{"name": "envoy.filters.network.rbac", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC"}}]
    assert only(explain_with(served, req(), dst=False)).unknown == "unknown: network RBAC on SRC's outbound chain not evaluated"
    chain["filters"][0] = {"name": "envoy.filters.network.redis_proxy"}
    assert only(explain_with(served, req(), dst=False)).unknown == "unknown: network filter envoy.filters.network.redis_proxy not evaluated"
    chain["filters"][0] = {"name": "istio.metadata_exchange"}
    assert only(explain_with(served, req(), dst=False)).kind == FORWARDED
    chain["filters"] = [{"name": "envoy.filters.network.tcp_proxy", "typed_config": {"weighted_clusters": {}}}]
    assert only(explain_with(served, req(), dst=False)).unknown == "unknown: tcp_proxy weighted_clusters not evaluated"
    chain["filters"] = ["junk"]
    assert only(explain_with(served, req(), dst=False)).unknown == "unknown: SRC's filter chain has no HTTP connection manager and no tcp_proxy: not evaluated"


def test_route_configuration_sources():
    served = client_served(SLEEP)
    manager = manager_of(served)
    del manager["rds"]
    manager["route_config"] = served[ROUTE][0]
    explanation = explain_with(served, req(), dst=False)
    assert f"  HTTP connection manager, inline route configuration {SLEEP_PORT}" in explanation.evidence
    manager["route_config"] = {"virtual_hosts": served[ROUTE][0]["virtual_hosts"]}
    assert "  HTTP connection manager, inline route configuration (unnamed)" in explain_with(served, req(), dst=False).evidence
    del manager["route_config"]
    assert only(explain_with(served, req(), dst=False)).unknown == "unknown: scoped routes (or no route configuration) not evaluated"
    manager["rds"] = {"route_config_name": "missing"}
    assert only(explain_with(served, req(), dst=False)).unknown == "unknown: route configuration missing is not in SRC's dump (RDS not received?) not evaluated"
    assert f"  HTTP connection manager, RDS route configuration {SLEEP_PORT}" in explain_with(client_served(SLEEP), req(), dst=False).evidence


@pytest.mark.parametrize(
    ("path", "unknown"),
    [
        ("get", "unknown: path 'get' not starting with / (Envoy answers 400 or treats it as absolute-form) not evaluated"),
        ("/get#x", "unknown: a path with a fragment (#) not evaluated"),
    ],
)
def test_paths_envoy_would_not_route(path, unknown):
    assert only(explain_with(client_served(SLEEP), req(path=path), dst=False)).unknown == unknown


def test_escaped_slashes_action():
    served = client_served(SLEEP)
    manager_of(served)["path_with_escaped_slashes_action"] = "UNESCAPE_AND_REDIRECT"
    assert only(explain_with(served, req(path="/a%2Fb"), dst=False)).unknown == ("unknown: path_with_escaped_slashes_action UNESCAPE_AND_REDIRECT on '/a%2Fb' not evaluated")
    assert only(explain_with(served, req(path="/get"), dst=False)).kind == FORWARDED  # no escape: nothing to do
    manager_of(served)["path_with_escaped_slashes_action"] = "KEEP_UNCHANGED"
    assert only(explain_with(served, req(path="/a%2Fb"), dst=False)).kind == FORWARDED


def test_dst_walk_evidence_in_full():
    explanation = RequestExplainer(client_dump(SLEEP), server_dump()).explain(req(path="/dry-run"))
    outcome = only(explanation)
    dst = outcome.evidence[outcome.evidence.index("DST listener virtualInbound, filter chain 0.0.0.0_15080") :]
    assert dst == [
        "DST listener virtualInbound, filter chain 0.0.0.0_15080",
        "  HTTP connection manager, inline route configuration inbound|15080||",
        f"  virtual host inbound|http|15080 (domain '*' matches 'httpbin:{SLEEP_PORT}')",
        "  route default: prefix '/'",
        "  filter envoy.filters.http.rbac shadow DENY rules (istio_ext_authz_): no policy matched (recorded, not enforced)",
        "  filter envoy.filters.http.ext_authz: skipped (no CUSTOM policy matched: filter_enabled_metadata)",
        "  filter envoy.filters.http.rbac shadow DENY rules (istio_dry_run_deny_): matched ns[foo]-policy[dry-run]-rule[0] (recorded, not enforced)",
        "  filter envoy.filters.http.rbac: DENY: allowed (no policy matched)",
        "  filter envoy.filters.http.rbac: ALLOW: allowed by ns[foo]-policy[allow-first]-rule[0]",
        "  DST route default -> cluster inbound|15080||",
        "  -> the app",
    ]
    assert (outcome.kind, outcome.decided_by, outcome.summary) == (FORWARDED, "app", f"200-bound via {HTTPBIN} -> 127.0.10.2:15080")
    assert not any("is not DST" in line for line in outcome.evidence)


def test_shadow_rules_without_a_stat_prefix():
    served = server_served()
    manager_of(served)["http_filters"][0]["typed_config"].pop("shadow_rules_stat_prefix")
    outcome = only(explain_to_server(served))
    assert "  filter envoy.filters.http.rbac shadow DENY rules: no policy matched (recorded, not enforced)" in outcome.evidence


def test_network_rbac_closing_the_connection_keeps_dsts_evidence():
    from helpers.meshdata import CURL, CURL_PORT

    outcome = only(RequestExplainer(client_dump(CURL), server_dump()).explain(req(path="/tcp", port=CURL_PORT)))
    assert (outcome.kind, outcome.status, outcome.decided_by) == ("connection_failure", 503, "DST")
    assert outcome.summary == "503 DST's network RBAC closed the connection (denied by ns[foo]-policy[deny-tcp-from-other]-rule[0])"
    assert outcome.evidence[-2:] == ["DST listener virtualInbound, filter chain 0.0.0.0_15090",
                                     "  network RBAC: DENY: denied by ns[foo]-policy[deny-tcp-from-other]-rule[0]"]  # fmt: skip


def test_without_dst_no_endpoint_is_said_to_be_not_dst():
    outcome = only(explain_with(client_served(SLEEP), req(), dst=False))
    assert (outcome.kind, outcome.decided_by, outcome.endpoints) == (FORWARDED, "app", ("127.0.10.2:15080",))
    assert not any("is not DST" in line for line in outcome.evidence)


def test_tls_failure_names_the_first_problem_and_the_endpoint():
    outcome = only(explain_request(client_dump(SLEEP, secrets=False), req(), server_dump(server_served())))
    assert outcome.kind == UNKNOWN  # no SRC certificate: DST cannot tell the peer (not a TLS failure)
    served = server_served()
    del served[LISTENER][0]["filter_chains"][0]["transport_socket"]  # DST's port chain does not terminate TLS
    failed = only(explain_request(client_dump(SLEEP), req(), server_dump(served)))
    assert (failed.kind, failed.status, failed.decided_by, failed.endpoints) == ("connection_failure", 503, "SRC", ("127.0.10.2:15080",))
    assert failed.summary.startswith("503 will fail: TLS: DST's chain 0.0.0.0_15080 (")
    assert failed.summary.endswith(") on port 15080 does not terminate TLS (no matching filter chain): SRC's TLS handshake fails")


def test_dst_sees_the_source_ip_only_when_srcs_dump_says_it():
    import copy

    from meshctl.decode.configdump import from_object

    from helpers.meshdata import document

    doc = document(client_served(SLEEP), SLEEP)
    node = doc["configs"][0]["bootstrap"]["node"]
    node.get("metadata", {}).pop("INSTANCE_IPS", None)
    node["id"] = "sidecar"
    explanation = RequestExplainer(from_object(copy.deepcopy(doc)), server_dump()).explain(req())
    assert only(explanation).kind == FORWARDED  # allowed by principal; no source IP needed


def test_an_extension_config_from_ecds_is_run():
    from meshctl.decode.configdump import from_object

    from helpers.meshdata import document

    served = with_filters({"name": "istio-rbac", "config_discovery": {"config_source": {"ads": {}}, "type_urls": [RBAC_TYPE]}})
    doc = document(served, SLEEP)
    doc["configs"].append({"@type": "type.googleapis.com/envoy.admin.v3.EcdsConfigDump", "ecds_filters": [{"version_info": "1", "ecds_filter": {
        "@type": "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig", "name": "istio-rbac", "typed_config": DENY_ALL}}]})  # fmt: skip
    explanation = RequestExplainer(from_object(doc)).explain(req())
    assert (only(explanation).kind, only(explanation).policy) == ("denied", "deny-all")
    assert explanation.evidence[-1] == "  filter istio-rbac: DENY: denied by deny-all"


DENY_FILTER = {"name": "envoy.filters.http.rbac", "typed_config": DENY_ALL}


@pytest.mark.parametrize(
    "item",
    [
        "junk",
        {"name": "envoy.filters.http.wasm", "is_optional": True, "config_discovery": {"config_source": {"ads": {}}}},
        {"name": "istio.stats", "typed_config": {"@type": "type.googleapis.com/stats.PluginConfig"}},
        {"name": "envoy.filters.http.fault", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault"}},
        {"name": "envoy.filters.http.cors", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors"}},
        {"name": "envoy.filters.http.jwt_authn", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"}},
        {"name": "envoy.filters.http.lua", "disabled": True, "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua"}},
        {"name": "my-rbac", "typed_config": {**DENY_ALL, "rules": {"action": "DENY", "policies": {}}}},
    ],
)  # fmt: skip
def test_a_filter_that_passes_the_request_hands_it_to_the_next(item):
    outcome = only(explain_with(with_filters(item, DENY_FILTER), req(), dst=False))
    assert (outcome.kind, outcome.policy) == ("denied", "deny-all")


def test_filters_disabled_for_the_route_hand_the_request_on():
    lua = {"name": "envoy.filters.http.lua", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua"}}
    ext = {"name": "envoy.filters.http.ext_authz", "typed_config": {"@type": EXT_AUTHZ_TYPE}}
    rbac = {"name": "envoy.filters.http.rbac", "typed_config": DENY_ALL}
    off = {"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig", "disabled": True}
    per_route = {"envoy.filters.http.lua": off, "envoy.filters.http.ext_authz": off,
                 "envoy.filters.http.rbac": {"@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute"}}  # fmt: skip
    second = {"name": "second-rbac", "typed_config": DENY_ALL}
    outcome = only(explain_with(with_filters(lua, ext, rbac, second, per_route=per_route), req(), dst=False))
    assert (outcome.kind, outcome.policy) == ("denied", "deny-all")
    assert outcome.summary == "403 RBAC: denied by deny-all"


@pytest.mark.parametrize(
    ("item", "request_", "expected"),
    [
        # Filters are known by their type whatever their name ...
        ({"name": "the-router", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}, req(), FORWARDED),
        ({"name": "authz", "typed_config": {"@type": EXT_AUTHZ_TYPE}}, req(), "unknown: decided by the external authorizer (CUSTOM policy, ext_authz)"),
        ({"name": "x.cors", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors"}},
         req("OPTIONS", "/get", ("origin", "https://a")), "unknown: CORS preflight (cors filter) not evaluated"),
        ({"name": "x.jwt", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"}},
         req("GET", "/get", ("Authorization", "Bearer x")), "unknown: JWT validation (jwt_authn) not evaluated"),
        # ... or by their name whatever their type.
        ({"name": "envoy.filters.http.router", "typed_config": {}}, req(), FORWARDED),
        ({"name": "envoy.filters.http.ext_authz", "typed_config": {}}, req(), "unknown: decided by the external authorizer (CUSTOM policy, ext_authz)"),
        ({"name": "envoy.filters.http.cors", "typed_config": {}}, req("OPTIONS", "/get", ("origin", "https://a")), "unknown: CORS preflight (cors filter) not evaluated"),
        ({"name": "envoy.filters.http.jwt_authn", "typed_config": {}}, req("GET", "/get", ("authorization", "x")), "unknown: JWT validation (jwt_authn) not evaluated"),
        ({"name": "envoy.filters.http.fault", "typed_config": {"abort": {"http_status": 503}}}, req(), "unknown: fault injection of filter envoy.filters.http.fault not evaluated"),
        ({"name": "envoy.filters.http.rbac", "typed_config": {"rules": DENY_ALL["rules"]}}, req(), "denied"),
    ],
)  # fmt: skip
def test_filters_are_known_by_name_or_type(item, request_, expected):
    # The router first ends the walk: the deny-all filter after it never runs.
    outcome = only(explain_with(with_filters(item, DENY_FILTER), request_, dst=False))
    assert (outcome.unknown or outcome.kind) == expected


@pytest.mark.parametrize(
    ("path", "normalised"),
    [
        ("/%61%2fb", "/a%2fb"),  # other escapes are kept as they are (measured with Envoy 1.40)
        ("/%61%2E%7e", "/a.~"),  # escaped unreserved characters are decoded
        ("/a/b/.", "/a/b/"),
        ("/a/b/..", "/a/"),
        ("/a/./b/../c", "/a/c"),
        ("/../a", "/a"),
        ("/a/b/../../..", "/"),
    ],
)
def test_normalize_path_as_envoys_canonical_path(path, normalised):
    served = client_served(SLEEP)
    manager_of(served)["normalize_path"] = True
    evidence = explain_with(served, req(path=path), dst=False).evidence
    assert f"  path normalised to {normalised}" in evidence
    assert not any("normalised" in line for line in explain_with(served, req(path="/a%2Fb/c"), dst=False).evidence)  # canonical already


@pytest.mark.parametrize("path", ["/a%Xb", "/a%2", "/a%g0", "/a b", "/a\u00e9"])
def test_normalize_path_of_what_envoy_would_escape_or_reject_is_unknown(path):
    served = client_served(SLEEP)
    manager_of(served)["normalize_path"] = {"value": True}
    outcome = only(explain_with(served, req(path=path), dst=False))
    assert outcome.unknown == f"unknown: normalize_path of {path!r} (characters Envoy would escape) not evaluated"


# --- DST: what its RBAC knows about the connection ---------------------------------------------------------


def _allow_policies(served) -> dict:
    return manager_of(served)["http_filters"][3]["typed_config"]["rules"]["policies"]


def _curl(served, request):
    from helpers.meshdata import CURL

    return only(RequestExplainer(client_dump(CURL), server_dump(served)).explain(request))


def test_dst_rbac_sees_the_destination_ip_and_the_sni():
    from helpers.meshdata import CURL_PORT

    served = server_served()
    _allow_policies(served)["by-dst-ip"] = {"permissions": [{"destination_ip": {"address_prefix": "127.0.10.2", "prefix_len": 32}}], "principals": [{"any": True}]}
    outcome = _curl(served, req("GET", "/privately", port=CURL_PORT))
    assert (outcome.kind, outcome.decided_by) == (FORWARDED, "app")
    served = server_served()
    _allow_policies(served)["by-sni"] = {
        "permissions": [{"requested_server_name": {"exact": f"outbound_.{CURL_PORT}_._.httpbin.foo.svc.cluster.local"}}],
        "principals": [{"any": True}],
    }
    assert _curl(served, req("GET", "/privately", port=CURL_PORT)).kind == FORWARDED
    # The ALLOW filter's evidence names the policy that allowed it.
    assert _curl(served, req("GET", "/privately", port=CURL_PORT)).evidence[-3] == "  filter envoy.filters.http.rbac: ALLOW: allowed by by-sni"


def test_dst_rbac_on_headers_envoy_sets_is_not_evaluated():
    served = server_served()
    deny = manager_of(served)["http_filters"][2]["typed_config"]["rules"]["policies"]
    deny["aaa-no-id"] = {"permissions": [{"header": {"name": "x-request-id", "present_match": True}}], "principals": [{"any": True}]}
    outcome = only(explain_to_server(served))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "DST")
    assert outcome.unknown == "unknown: header x-request-id (generated by Envoy) not evaluated"


@pytest.mark.parametrize(
    ("require", "validation", "kind"),
    [
        (False, True, FORWARDED),  # Envoy asks for the certificate without requiring it: SRC's identity is known
        (False, False, "denied"),  # Envoy does not ask: no peer identity, allow-first's principal does not match
    ],
)
def test_dst_knows_srcs_identity_only_when_it_asks_for_a_certificate(require, validation, kind):
    served = server_served()
    context = served[LISTENER][0]["filter_chains"][0]["transport_socket"]["typed_config"]
    context["require_client_certificate"] = require
    if not validation:
        context["common_tls_context"].pop("combined_validation_context", None)
        context["common_tls_context"].pop("validation_context_sds_secret_config", None)
    outcome = only(explain_to_server(served))
    assert outcome.kind == kind
    if kind == "denied":
        assert outcome.summary == "403 RBAC: no ALLOW policy matched"


def test_a_custom_policy_meshctl_cannot_evaluate_leaves_ext_authz_unknown():
    served = server_served()
    shadow = manager_of(served)["http_filters"][0]["typed_config"]["shadow_rules"]["policies"]
    shadow["istio-ext-authz-ns[foo]-policy[cel]-rule[0]"] = {
        "permissions": [{"any": True}], "principals": [{"any": True}], "condition": {"const_expr": {"bool_value": True}}}  # fmt: skip
    outcome = only(explain_to_server(served))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "DST")
    assert outcome.unknown.startswith("unknown: whether envoy.filters.http.ext_authz runs: ")
    assert "  filter envoy.filters.http.rbac shadow DENY rules (istio_ext_authz_): not evaluated (recorded, not enforced)" in outcome.evidence


def test_ext_authz_unknowns_are_decided_by_the_proxy_that_runs_it():
    ext = {"name": "envoy.filters.http.ext_authz", "typed_config": {"@type": EXT_AUTHZ_TYPE, "filter_enabled": {}}}
    assert only(explain_with(with_filters(ext), req(), dst=False)).decided_by == "SRC"
    per_route = {"envoy.filters.http.ext_authz": {"@type": "type.googleapis.com/x.ExtAuthzPerRoute", "check_settings": {}}}
    plain = {"name": "envoy.filters.http.ext_authz", "typed_config": {"@type": EXT_AUTHZ_TYPE}}
    assert only(explain_with(with_filters(plain, per_route=per_route), req(), dst=False)).decided_by == "SRC"


def test_dst_route_without_an_action_and_numbered_not_found_codes():
    served = server_served()
    routes = manager_of(served)["route_config"]["virtual_hosts"][0]["routes"]
    routes.insert(0, {"name": "odd", "match": {"prefix": "/odd"}, "filter_action": {}})
    outcome = only(explain_to_server(served, req(path="/odd")))
    assert outcome.unknown == "unknown: DST route odd: action other than a single cluster not evaluated"
    routes[-1]["route"].update(cluster="inbound|1||", cluster_not_found_response_code=1)
    missing = only(explain_to_server(served))
    assert (missing.status, missing.summary) == (404, "404 DST's cluster inbound|1|| does not exist (NC)")
    assert missing.evidence[-1] == "  DST route default -> cluster inbound|1||"


def test_dst_cluster_that_is_warming_or_has_no_endpoints_keeps_the_evidence():
    from meshctl.decode.configdump import from_object
    from meshctl.sandbox.mesh import SERVER

    from helpers.meshdata import document

    doc = document(server_served(), SERVER)
    section = next(c for c in doc["configs"] if c["@type"].endswith("ClustersConfigDump"))
    app = next(e for e in section["dynamic_active_clusters"] if e["cluster"]["name"] == "inbound|15080||")
    section["dynamic_active_clusters"].remove(app)
    section["dynamic_warming_clusters"] = [app]
    outcome = only(RequestExplainer(client_dump(SLEEP), from_object(doc)).explain(req()))
    assert (outcome.kind, outcome.status, outcome.summary) == ("cluster_not_found", 503, "503 DST's cluster inbound|15080|| is warming (NC)")
    assert outcome.evidence[-1] == "  DST route default -> cluster inbound|15080||"
    served = server_served()
    from meshctl.sandbox.resources import CLUSTER

    next(c for c in served[CLUSTER] if c["name"] == "inbound|15080||")["load_assignment"]["endpoints"] = []
    empty = only(explain_to_server(served))
    assert empty.evidence[-1] == "  DST route default -> cluster inbound|15080||"


# --- network filters on SRC and DST --------------------------------------------------------------------------


def _tcp_rbac(served) -> dict:
    """DST's network RBAC filter on its TCP port (tcp-echo, port 15090)."""
    chain = next(c for c in served[LISTENER][0]["filter_chains"] if c["name"].endswith("_15090"))
    return chain["filters"][0]


def _tcp(served, client=None):
    from helpers.meshdata import CURL, CURL_PORT

    return only(RequestExplainer(client_dump(client or CURL), server_dump(served)).explain(req(path="/tcp", port=CURL_PORT)))


def test_network_rbac_by_name_or_type_and_its_outcomes():
    served = server_served()
    _tcp_rbac(served)["name"] = "tcp-rbac"  # known by its type
    assert _tcp(served).policy == "ns[foo]-policy[deny-tcp-from-other]-rule[0]"
    served = server_served()
    del _tcp_rbac(served)["typed_config"]["@type"]  # known by its name
    assert _tcp(served).policy == "ns[foo]-policy[deny-tcp-from-other]-rule[0]"
    served = server_served()
    rules = _tcp_rbac(served)["typed_config"]
    rules["rules"] = {"action": "ALLOW", "policies": {"only-sleep": {"permissions": [{"any": True}], "principals": [{"authenticated": {"principal_name": {"exact": "nobody"}}}]}}}
    closed = _tcp(served)
    assert (closed.kind, closed.status, closed.decided_by, closed.policy) == ("connection_failure", 503, "DST", None)
    assert closed.summary == "503 DST's network RBAC closed the connection (denied by no ALLOW policy)"
    rules["shadow_rules"] = rules.pop("rules")
    shadow_only = _tcp(served)
    assert shadow_only.kind == FORWARDED and "  network RBAC: shadow only" in shadow_only.evidence
    rules["rules"] = {"action": "DENY", "policies": {"cel": {"permissions": [{"any": True}], "principals": [{"any": True}], "condition": {"const_expr": {}}}}}
    unknown = _tcp(served)
    assert (unknown.kind, unknown.decided_by) == (UNKNOWN, "DST")
    assert unknown.unknown.startswith("unknown: ") and "CEL" in unknown.unknown


def test_src_network_filters_known_by_type_or_passed():
    served = client_served(SLEEP)
    chain = served[LISTENER][0]["filter_chains"][0]
    chain["filters"][0]["name"] = "hcm"  # the HTTP connection manager by its type
    chain["filters"][:0] = [{"name": "istio_authn"}, {"name": "envoy.filters.network.metadata_exchange"}, {"name": "envoy.filters.network.peer_metadata"},
                            {"name": "istio.stats"}]  # fmt: skip
    assert only(explain_with(served, req(), dst=False)).kind == FORWARDED
    chain["filters"][:0] = [{"name": "tcp-rbac", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC"}}]
    outcome = only(explain_with(served, req(), dst=False))
    assert (outcome.unknown, outcome.decided_by) == ("unknown: network RBAC on SRC's outbound chain not evaluated", "SRC")
    chain["filters"][0] = {"typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy"}}
    outcome = only(explain_with(served, req(), dst=False))
    assert (outcome.unknown, outcome.decided_by) == ("unknown: network filter envoy.extensions.filters.network.redis_proxy.v3.RedisProxy not evaluated", "SRC")


def test_endpoints_with_different_kinds_and_one_status_are_still_unknown():
    # DST's own endpoint: DST's cluster has no endpoints (503 UH); a plaintext one to DST's STRICT port: 503 TLS.
    from meshctl.sandbox.resources import CLUSTER

    served_client = client_served(SLEEP)
    _httpbin_endpoints(served_client, {"lb_endpoints": [_endpoint("127.0.10.2"), _endpoint("127.0.10.2", port=15081, sidecar=False)]})
    served = server_served()
    next(c for c in served[CLUSTER] if c["name"] == "inbound|15080||")["load_assignment"]["endpoints"] = []
    outcome = only(RequestExplainer(client_dump(SLEEP, served_client), server_dump(served)).explain(req()))
    assert (outcome.kind, outcome.status, outcome.unknown) == (UNKNOWN, None, "endpoint choice")
    assert outcome.summary.startswith("unknown: depends on the endpoint Envoy picks: 503 no healthy upstream: DST's inbound|15080|| has no endpoints (UH) [127.0.10.2:15080] | 503 will fail: TLS: ")


def test_an_rbac_filter_disabled_by_filter_config_hands_the_request_on():
    off = {"envoy.filters.http.rbac": {"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig", "disabled": True}}
    second = {"name": "second-rbac", "typed_config": DENY_ALL}
    outcome = only(explain_with(with_filters(DENY_FILTER, second, per_route=off), req(), dst=False))
    assert (outcome.kind, outcome.policy) == ("denied", "deny-all")
    assert "  filter second-rbac: DENY: denied by deny-all" in explain_with(with_filters(DENY_FILTER, second, per_route=off), req(), dst=False).evidence


def _http_chain_network_rbac(served, typed_config: dict) -> None:
    """A network RBAC filter in front of DST's HTTP connection manager (chain 0.0.0.0_15080)."""
    chain = next(c for c in served[LISTENER][0]["filter_chains"] if c["name"].endswith("_15080"))
    typed = {"@type": "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC", "stat_prefix": "tcp.", **typed_config}
    chain["filters"].insert(0, {"name": "envoy.filters.network.rbac", "typed_config": typed})


def test_network_rbac_sees_no_http_headers():
    # A network filter runs on the connection, before any request: a header permission never matches there.
    served = server_served()
    get = {"header": {"name": ":method", "string_match": {"exact": "GET"}}}
    _http_chain_network_rbac(served, {"rules": {"action": "DENY", "policies": {"deny-get": {"permissions": [get], "principals": [{"any": True}]}}}})
    outcome = only(explain_to_server(served))
    assert (outcome.kind, outcome.decided_by) == (FORWARDED, "app")
    assert "  network RBAC: DENY: allowed (no policy matched)" in outcome.evidence


def test_network_rbac_shadow_rules_do_not_write_the_http_rbac_metadata():
    # Envoy's network RBAC filter writes its shadow result under envoy.filters.network.rbac: Istio's CUSTOM
    # ext_authz, enabled by envoy.filters.http.rbac metadata, does not see it.
    served = server_served()
    shadow = {"action": "DENY", "policies": {"istio-ext-authz-net": {"permissions": [{"any": True}], "principals": [{"any": True}]}}}
    _http_chain_network_rbac(served, {"shadow_rules": shadow, "shadow_rules_stat_prefix": "istio_ext_authz_"})
    outcome = only(explain_to_server(served))
    assert (outcome.kind, outcome.decided_by) == (FORWARDED, "app")
    assert "  filter envoy.filters.http.ext_authz: skipped (no CUSTOM policy matched: filter_enabled_metadata)" in outcome.evidence


def test_endpoint_groups_of_a_mixed_verdict_list_their_endpoints():
    # DST at two IPs, both endpoints (503 UH on DST: one outcome), and a plaintext endpoint to DST's STRICT port (503 TLS).
    from meshctl.decode.configdump import from_object

    from helpers.meshdata import SERVER, document

    served_client = client_served(SLEEP)
    _httpbin_endpoints(served_client, {"lb_endpoints": [_endpoint("127.0.10.2"), _endpoint("127.0.10.3"),
                                                        _endpoint("127.0.10.2", port=15081, sidecar=False)]})  # fmt: skip
    served = server_served()
    next(c for c in served[CLUSTER] if c["name"] == "inbound|15080||")["load_assignment"]["endpoints"] = []
    doc = document(served, SERVER)
    doc["configs"][0]["bootstrap"]["node"]["metadata"]["INSTANCE_IPS"] = "127.0.10.2,127.0.10.3"
    outcome = only(RequestExplainer(client_dump(SLEEP, served_client), from_object(doc)).explain(req()))
    assert outcome.endpoints == ("127.0.10.2:15080", "127.0.10.3:15080", "127.0.10.2:15081")
    assert outcome.summary.startswith(
        "unknown: depends on the endpoint Envoy picks: 503 no healthy upstream: DST's inbound|15080|| has no endpoints (UH) [127.0.10.2:15080,127.0.10.3:15080] | 503 will fail: TLS: "
    )
    assert outcome.summary.endswith(" [127.0.10.2:15081]")
    assert (outcome.upstream, outcome.decided_by) == (HTTPBIN, "SRC")


# --- DST: which inbound listener and filter chain the connection lands on ----------------------------------------


def _plaintext_client() -> dict:
    """The sleep client with httpbin's one endpoint without tlsMode metadata: SRC connects in plaintext."""
    served = client_served(SLEEP)
    _httpbin_endpoints(served, {"lb_endpoints": [_endpoint("127.0.10.2", sidecar=False)]})
    return served


def _chain_copy(served, name: str, **match) -> dict:
    """A copy of DST's HTTP chain (0.0.0.0_15080) named `name`, with more filter_chain_match criteria."""
    import copy

    chain = copy.deepcopy(served[LISTENER][0]["filter_chains"][0])
    chain["name"] = name
    chain["filter_chain_match"] = {**chain["filter_chain_match"], **match}
    return chain


def _plaintext_chains_first(served, matches: dict) -> None:
    """Plaintext (raw_buffer) copies of DST's HTTP chain on port 15080, one per name with its extra
    filter_chain_match criteria, in front of DST's chains."""
    chains = []
    for name, extra in matches.items():
        chain = _chain_copy(served, name)
        chain["filter_chain_match"] = {"destination_port": 15080, "transport_protocol": "raw_buffer", **extra}
        del chain["transport_socket"]
        chains.append(chain)
    served[LISTENER][0]["filter_chains"][:0] = chains


def _dst_chain_line(outcome) -> str:
    return next(line for line in outcome.evidence if line.startswith("DST listener "))


@pytest.mark.parametrize(("inspector", "chain"), [(True, "plain-http"), (False, "plain-tcp")])
def test_plaintext_to_dst_takes_the_http_chain_only_when_an_http_inspector_detects_http(inspector, chain):
    # Istio's PERMISSIVE ports: raw_buffer chains with and without application_protocols http/1.1;
    # only the http_inspector listener filter gives a plaintext connection an ALPN value.
    served = server_served()
    _plaintext_chains_first(served, {"plain-http": {"application_protocols": ["http/1.1"]}, "plain-tcp": {}})
    if inspector:
        served[LISTENER][0]["listener_filters"].append({"name": "envoy.filters.listener.http_inspector"})
    outcome = only(explain_to_server(served, served_client=_plaintext_client()))
    assert _dst_chain_line(outcome) == f"DST listener virtualInbound, filter chain {chain}"


def test_dst_chain_by_destination_ip_and_server_name():
    served = server_served()
    other_ip = _chain_copy(served, "other-ip", prefix_ranges=[{"address_prefix": "10.9.9.9", "prefix_len": 32}])
    by_name = _chain_copy(served, "by-sni", server_names=["outbound_.9080_._.httpbin.foo.svc.cluster.local"])
    served[LISTENER][0]["filter_chains"][:0] = [other_ip]
    assert _dst_chain_line(only(explain_to_server(served))) == "DST listener virtualInbound, filter chain 0.0.0.0_15080"
    served[LISTENER][0]["filter_chains"][:0] = [by_name]
    assert _dst_chain_line(only(explain_to_server(served))) == "DST listener virtualInbound, filter chain by-sni"


def test_dst_per_port_inbound_listener_before_virtual_inbound():
    # Istio before 1.8: one INBOUND listener per port, no virtualInbound.
    served = server_served()
    served[LISTENER][0]["name"] = "127.0.10.2_15080"
    outcome = only(explain_to_server(served))
    assert _dst_chain_line(outcome) == "DST listener 127.0.10.2_15080, filter chain 0.0.0.0_15080"
    assert outcome.evidence[-1] == "  -> the app"


def test_tls_without_alpn_finds_no_chain_of_dst_that_asks_for_istios():
    # DST's chains name Istio's ALPN values; a client TLS context without alpn_protocols offers none in its
    # ClientHello, so no chain matches and DST's Envoy closes the connection.
    served_client = client_served(SLEEP)
    cluster = next(c for c in served_client[CLUSTER] if c["name"] == HTTPBIN)
    for entry in cluster["transport_socket_matches"]:
        entry["transport_socket"].get("typed_config", {}).get("common_tls_context", {}).pop("alpn_protocols", None)
    outcome = only(explain_to_server(server_served(), served_client=served_client))
    assert (outcome.kind, outcome.status, outcome.decided_by) == ("connection_failure", 503, "DST")
    assert outcome.summary == "503 DST's virtualInbound has no filter chain for this connection: it closes it"


def test_dst_chain_without_an_http_connection_manager_or_with_tcp_proxy():
    served = server_served()
    chain = served[LISTENER][0]["filter_chains"][0]
    del chain["name"]
    chain["filters"] = []
    outcome = only(explain_to_server(served))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "DST")
    assert outcome.unknown == "unknown: DST's filter chain has no HTTP connection manager and no tcp_proxy: not evaluated"
    assert "DST listener virtualInbound, filter chain (unnamed)" in outcome.evidence
    chain["filters"] = [{"name": "envoy.filters.network.tcp_proxy", "typed_config": {"@type": TCP_PROXY_TYPE, "cluster": "inbound|15080||"}}]
    outcome = only(explain_to_server(served))
    assert (outcome.kind, outcome.status, outcome.decided_by) == (FORWARDED, None, "app")
    assert outcome.summary == f"200-bound via {HTTPBIN} -> 127.0.10.2:15080"
    assert outcome.evidence[-2:] == ["DST listener virtualInbound, filter chain (unnamed)", "  tcp_proxy -> inbound|15080||"]


def test_dst_reads_its_own_discovered_filter_configs():
    served = server_served()
    manager_of(served)["http_filters"].insert(0, {"name": "istio-ext", "config_discovery": {"config_source": {"ads": {}}, "type_urls": [RBAC_TYPE]}})
    outcome = only(explain_to_server(served))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "DST")
    assert outcome.unknown == "unknown: filter istio-ext: its discovered config (ECDS) is not in DST's dump, not evaluated"


# --- SRC: where a cluster's endpoints come from ---------------------------------------------------------------


def _httpbin_cluster(served) -> dict:
    return next(c for c in served[CLUSTER] if c["name"] == HTTPBIN)


def _endpoints_of(served, **options) -> tuple[str, ...]:
    return only(RequestExplainer(client_dump(SLEEP, served, **options)).explain(req())).endpoints


def test_a_cluster_that_is_not_eds_uses_its_own_load_assignment():
    # STATIC / STRICT_DNS clusters carry their endpoints; an EDS cluster's inline load_assignment is not used.
    served = client_served(SLEEP)
    cluster = _httpbin_cluster(served)
    cluster["load_assignment"] = {"cluster_name": HTTPBIN, "endpoints": [{"lb_endpoints": [_endpoint("127.0.10.9")]}]}
    assert _endpoints_of(served) == ("127.0.10.2:15080",)
    cluster["type"] = "STRICT_DNS"
    assert _endpoints_of(served) == ("127.0.10.9:15080",)
    del cluster["type"]  # STATIC, proto3's zero value, left out of the JSON
    assert _endpoints_of(served) == ("127.0.10.9:15080",)


def test_eds_endpoints_are_looked_up_by_service_name_then_by_the_clusters_name():
    from meshctl.sandbox.resources import ENDPOINTS

    served = client_served(SLEEP)
    _httpbin_cluster(served)["eds_cluster_config"]["service_name"] = "httpbin-eds"
    served[ENDPOINTS].append({"cluster_name": "httpbin-eds", "endpoints": [{"lb_endpoints": [_endpoint("127.0.10.9")]}]})
    assert _endpoints_of(served) == ("127.0.10.9:15080",)
    served[ENDPOINTS].pop()  # no assignment by the service name: the cluster's own name
    assert _endpoints_of(served) == ("127.0.10.2:15080",)
    del _httpbin_cluster(served)["eds_cluster_config"]["service_name"]
    assert _endpoints_of(served) == ("127.0.10.2:15080",)


def test_eds_in_the_dump_without_the_clusters_assignment_is_no_endpoints():
    from meshctl.sandbox.resources import ENDPOINTS

    served = client_served(SLEEP)
    served[ENDPOINTS] = [a for a in served[ENDPOINTS] if a["cluster_name"] != HTTPBIN]
    outcome = only(RequestExplainer(client_dump(SLEEP, served)).explain(req()))
    assert (outcome.kind, outcome.status, outcome.decided_by) == ("no_healthy_upstream", 503, "SRC")
    assert outcome.summary == f"503 no healthy upstream: {HTTPBIN} has no endpoints (UH)"


def test_without_eds_in_the_dump_the_endpoints_are_unknown():
    outcome = only(RequestExplainer(client_dump(SLEEP, eds=False)).explain(req()))
    assert (outcome.kind, outcome.status, outcome.decided_by, outcome.upstream) == (UNKNOWN, None, "SRC", HTTPBIN)
    assert outcome.unknown == "endpoints not in SRC's dump"
    assert outcome.summary == f"unknown: endpoints of {HTTPBIN} (SRC's dump has no EDS: fetch config_dump?include_eds) not evaluated"


def test_endpoint_groups_and_endpoints_that_are_not_objects_are_skipped():
    served = client_served(SLEEP)
    _httpbin_endpoints(served, "junk", {"lb_endpoints": ["junk", _endpoint("127.0.10.2")]}, {"lb_endpoints": [_endpoint("127.0.10.3")]})
    assert _endpoints_of(served) == ("127.0.10.2:15080", "127.0.10.3:15080")


@pytest.mark.parametrize(
    ("locality", "line"),
    [
        (None, "  endpoint 127.0.10.2:15080"),
        ("junk", "  endpoint 127.0.10.2:15080"),
        ({"region": "eu", "zone": "eu-1", "sub_zone": "rack-2"}, "  endpoint 127.0.10.2:15080 (locality eu/eu-1/rack-2)"),
        # istio pkg/util LocalityToString: a part stops the string where it is empty.
        ({"region": "eu", "sub_zone": "rack-2"}, "  endpoint 127.0.10.2:15080 (locality eu)"),
        ({"zone": "eu-1"}, "  endpoint 127.0.10.2:15080 (locality /eu-1)"),
    ],
)
def test_endpoint_locality_as_istio_writes_it(locality, line):
    served = client_served(SLEEP)
    group = {"lb_endpoints": [_endpoint("127.0.10.2")]}
    if locality is not None:
        group["locality"] = locality
    _httpbin_endpoints(served, group)
    evidence = only(RequestExplainer(client_dump(SLEEP, served)).explain(req())).evidence
    assert [e for e in evidence if e.startswith("  endpoint ")] == [line]


def test_a_non_ip_endpoint_is_srcs_unknown():
    served = client_served(SLEEP)
    _httpbin_endpoints(served, {"lb_endpoints": [{"endpoint": {"address": {"pipe": {"path": "/x"}}}}]})
    outcome = only(RequestExplainer(client_dump(SLEEP, served)).explain(req()))
    assert (outcome.kind, outcome.status, outcome.decided_by) == (UNKNOWN, None, "SRC")


def test_endpoint_without_health_status_is_healthy():
    # UNKNOWN is health_status' zero value: proto3 JSON leaves it out, and Envoy balances over such endpoints.
    served = client_served(SLEEP)
    unknown = _endpoint("127.0.10.3")
    del unknown["health_status"]
    _httpbin_endpoints(served, {"lb_endpoints": [_endpoint("127.0.10.2"), unknown]})
    explanation = RequestExplainer(client_dump(SLEEP, served)).explain(req())
    assert only(explanation).endpoints == ("127.0.10.2:15080", "127.0.10.3:15080")
    assert not any("panic" in note for note in explanation.notes)


def test_an_endpoint_without_address_or_port_has_protobufs_empty_values():
    served = client_served(SLEEP)
    _httpbin_endpoints(served, {"lb_endpoints": [{"endpoint": {"address": {"socket_address": {"port_value": 15080}}}},
                                                 {"endpoint": {"address": {"socket_address": {"address": "127.0.10.3"}}}}]})  # fmt: skip
    assert _endpoints_of(served) == (":15080", "127.0.10.3:0")


@pytest.mark.parametrize(
    ("threshold", "healthy", "total", "panic"),
    [
        ({}, 1, 3, True),  # no value: Envoy's default 50%
        ({"value": 50}, 2, 3, False),
        ({"value": 50.25}, 1, 2, True),  # a double: 50% healthy is below 50.25%
        ({"value": 50}, 1, 2, False),  # exactly at the threshold is not below it
    ],
)
def test_panic_threshold_compares_the_healthy_share_in_percent(threshold, healthy, total, panic):
    served = client_served(SLEEP)
    _httpbin_cluster(served)["common_lb_config"] = {"healthy_panic_threshold": threshold}
    hosts = [_endpoint(f"127.0.10.{2 + i}", "HEALTHY" if i < healthy else "UNHEALTHY") for i in range(total)]
    _httpbin_endpoints(served, {"lb_endpoints": hosts})
    explanation = RequestExplainer(client_dump(SLEEP, served)).explain(req())
    eligible = total if panic else healthy
    assert only(explanation).endpoints == tuple(f"127.0.10.{2 + i}:15080" for i in range(eligible))
    assert any("below the panic threshold" in note for note in explanation.notes) is panic


def test_no_healthy_endpoint_is_srcs_503():
    served = client_served(SLEEP)
    _httpbin_cluster(served)["common_lb_config"] = {"healthy_panic_threshold": {"value": 0}}
    _httpbin_endpoints(served, {"lb_endpoints": [_endpoint("127.0.10.3", "UNHEALTHY")]})
    outcome = only(RequestExplainer(client_dump(SLEEP, served)).explain(req()))
    assert (outcome.kind, outcome.status, outcome.decided_by) == ("no_healthy_upstream", 503, "SRC")


# --- SRC: the request headers its route changes, as DST receives them -----------------------------------------


def _tenant(value: str | None, append_action: str | None = None, **option) -> dict:
    header = {"key": "x-tenant", "value": value}
    return {"header": header, **({"append_action": append_action} if append_action else {}), **option}


def _dst_receives(served_client, *headers, path="/get") -> str | None:
    """The values of x-tenant DST's route sees (those of client, route, vhost, global, weighted), joined with ",";
    None when DST sees no x-tenant header."""
    served = server_served()
    routes = manager_of(served)["route_config"]["virtual_hosts"][0]["routes"]
    seen = {"name": "seen", "match": {"prefix": "/", "headers": [{"name": "x-tenant", "present_match": True}]}, "direct_response": {"status": 299}}
    routes.insert(0, seen)
    explainer = RequestExplainer(client_dump(SLEEP, served_client), server_dump(served))
    if only(explainer.explain(req("GET", path, *headers))).status != 299:
        return None
    values = []
    for value in ("client", "route", "vhost", "global", "weighted"):
        seen["match"]["headers"] = [{"name": "x-tenant", "string_match": {"exact": value}}]  # one of the values matches
        if only(explainer.explain(req("GET", path, *headers))).status == 299:
            values.append(value)
    return ",".join(values)


@pytest.mark.parametrize(
    ("option", "sent", "received"),
    [
        (_tenant("route"), None, "route"),
        (_tenant("route"), "client", "client,route"),  # APPEND_IF_EXISTS_OR_ADD, the default
        (_tenant("route", "APPEND_IF_EXISTS_OR_ADD"), "client", "client,route"),
        (_tenant("route", "OVERWRITE_IF_EXISTS_OR_ADD"), "client", "route"),
        (_tenant("route", "OVERWRITE_IF_EXISTS_OR_ADD"), None, "route"),
        (_tenant("route", "ADD_IF_ABSENT"), "client", "client"),
        (_tenant("route", "ADD_IF_ABSENT"), None, "route"),
        (_tenant("route", "OVERWRITE_IF_EXISTS"), "client", "route"),
        (_tenant("route", "OVERWRITE_IF_EXISTS"), None, None),
        (_tenant("route", append=False), "client", "route"),  # the deprecated BoolValue `append`
        (_tenant("route", append={"value": False}), "client", "route"),
        (_tenant("route", append=True), "client", "client,route"),
        (_tenant("%DOWNSTREAM_REMOTE_ADDRESS%"), None, None),  # a formatter: Envoy's to fill in, not evaluated
        ({"header": "junk"}, "client", "client"),
        ("junk", "client", "client"),
    ],
)
def test_route_request_headers_to_add(option, sent, received):
    served_client = client_served(SLEEP)
    default_route(served_client)["request_headers_to_add"] = [option]
    assert _dst_receives(served_client, *([("x-tenant", sent)] if sent else [])) == received


def test_route_request_headers_to_remove_before_it_adds():
    served_client = client_served(SLEEP)
    default_route(served_client)["request_headers_to_remove"] = ["X-Tenant"]
    assert _dst_receives(served_client, ("x-tenant", "client")) is None
    default_route(served_client)["request_headers_to_add"] = [_tenant("route")]
    assert _dst_receives(served_client, ("x-tenant", "client")) == "route"


def test_header_mutations_of_each_level_and_which_wins():
    # Measured with Envoy 1.40: the route configuration's overwrite the virtual host's, which overwrite the
    # route's, which overwrite a weighted cluster's; most_specific_header_mutations_wins turns the three round.
    served_client = client_served(SLEEP)
    config = served_client[ROUTE][0]
    vhost = config["virtual_hosts"][0]
    route = default_route(served_client)
    route["request_headers_to_add"] = [_tenant("route", "OVERWRITE_IF_EXISTS_OR_ADD")]
    assert _dst_receives(served_client) == "route"
    vhost["request_headers_to_add"] = [_tenant("vhost", "OVERWRITE_IF_EXISTS_OR_ADD")]
    assert _dst_receives(served_client) == "vhost"
    config["request_headers_to_add"] = [_tenant("global", "OVERWRITE_IF_EXISTS_OR_ADD")]
    assert _dst_receives(served_client) == "global"
    config["most_specific_header_mutations_wins"] = True
    assert _dst_receives(served_client) == "route"
    del route["request_headers_to_add"]
    assert _dst_receives(served_client) == "vhost"
    del config["most_specific_header_mutations_wins"], config["request_headers_to_add"], vhost["request_headers_to_add"]
    route["request_headers_to_add"] = [_tenant("route")]
    vhost["request_headers_to_remove"] = ["x-tenant"]  # the virtual host's removal comes after the route's addition
    assert _dst_receives(served_client) is None


def test_weighted_cluster_header_mutations_come_first():
    served_client = client_served(SLEEP)
    route = default_route(served_client)
    entry = {"name": HTTPBIN, "weight": 100, "request_headers_to_add": [_tenant("weighted", "OVERWRITE_IF_EXISTS_OR_ADD")]}
    route["route"] = {"weighted_clusters": {"clusters": [entry]}}
    assert _dst_receives(served_client, ("x-tenant", "client")) == "weighted"
    route["request_headers_to_add"] = [_tenant("route", "OVERWRITE_IF_EXISTS_OR_ADD")]
    assert _dst_receives(served_client, ("x-tenant", "client")) == "route"


def test_a_skipped_header_option_does_not_stop_the_ones_after_it():
    served_client = client_served(SLEEP)
    route = default_route(served_client)
    route["request_headers_to_add"] = [_tenant("route", "ADD_IF_ABSENT"), _tenant("%REQ(x-a)%"), {"header": "junk"}, _tenant("vhost")]
    assert _dst_receives(served_client, ("x-tenant", "client")) == "client,vhost"
    route["request_headers_to_add"] = [_tenant("global", "OVERWRITE_IF_EXISTS"), _tenant("vhost")]
    assert _dst_receives(served_client) == "vhost"


def test_host_and_prefix_rewrites_are_what_dst_receives():
    served_client = client_served(SLEEP)
    route = default_route(served_client)
    route["route"]["host_rewrite_literal"] = "rewritten.example"
    outcome = only(explain_to_server(server_served(), served_client=served_client))
    assert dst_vhost_line(outcome) == "  virtual host inbound|http|15080 (domain '*' matches 'rewritten.example')"
    served = server_served()
    routes = manager_of(served)["route_config"]["virtual_hosts"][0]["routes"]
    routes.insert(0, {"name": "rewritten", "match": {"path": "/anything/x"}, "direct_response": {"status": 299}})
    route["match"] = {"prefix": "/get"}
    route["route"]["prefix_rewrite"] = "/anything"
    assert only(explain_to_server(served, req(path="/get/x"), served_client=served_client)).status == 299
    route["match"] = {"path_separated_prefix": "/get"}
    assert only(explain_to_server(served, req(path="/get/x"), served_client=served_client)).status == 299
    route["match"] = {"path": "/get/x"}
    route["route"]["prefix_rewrite"] = "/anything/x"
    assert only(explain_to_server(served, req(path="/get/x"), served_client=served_client)).status == 299
    # With safe_regex the rewrite replaces the whole path before the query (measured with Envoy 1.40).
    route["match"] = {"safe_regex": {"regex": "/get.*"}}
    assert only(explain_to_server(served, req(path="/get/x"), served_client=served_client)).status == 299


# --- SRC: the cluster, and an original-destination one ---------------------------------------------------------


def _to_passthrough(served) -> None:
    default_route(served)["route"]["cluster"] = "PassthroughCluster"
    served[CLUSTER].append({"name": "PassthroughCluster", "type": "ORIGINAL_DST", "lb_policy": "CLUSTER_PROVIDED"})


def test_original_destination_connects_to_the_ip_asked_for():
    served = client_served(SLEEP)
    _to_passthrough(served)
    outcome = only(RequestExplainer(client_dump(SLEEP, served)).explain(req("GET", "/get", ("host", "httpbin"), host="127.0.10.2")))
    assert (outcome.kind, outcome.upstream, outcome.endpoints) == (FORWARDED, "PassthroughCluster", (f"127.0.10.2:{SLEEP_PORT}",))
    assert outcome.evidence[:3] == ["SRC cluster PassthroughCluster (active, ORIGINAL_DST)", f"  ORIGINAL_DST: connects to 127.0.10.2:{SLEEP_PORT}",
                                    f"  endpoint 127.0.10.2:{SLEEP_PORT}"]  # fmt: skip


def test_original_destination_of_a_name_is_unknown():
    served = client_served(SLEEP)
    _to_passthrough(served)
    outcome = only(RequestExplainer(client_dump(SLEEP, served)).explain(req()))
    assert (outcome.kind, outcome.status, outcome.upstream, outcome.decided_by) == (UNKNOWN, None, "PassthroughCluster", "SRC")
    assert outcome.summary == "unknown: PassthroughCluster sends to the original destination, whose IP is not known"
    assert outcome.unknown == "original destination of httpbin not evaluated"
    assert outcome.evidence == ["SRC cluster PassthroughCluster (active, ORIGINAL_DST)"]


def test_the_clusters_type_in_the_evidence_is_static_when_left_out():
    served = client_served(SLEEP)
    cluster = _httpbin_cluster(served)
    assert only(RequestExplainer(client_dump(SLEEP, served)).explain(req())).evidence[0] == f"SRC cluster {HTTPBIN} (active, EDS)"
    del cluster["type"]
    cluster["load_assignment"] = {"cluster_name": HTTPBIN, "endpoints": [{"lb_endpoints": [_endpoint("127.0.10.2")]}]}
    assert only(RequestExplainer(client_dump(SLEEP, served)).explain(req())).evidence[0] == f"SRC cluster {HTTPBIN} (active, STATIC)"


def test_a_missing_cluster_is_named_as_the_upstream():
    served = client_served(SLEEP)
    default_route(served)["route"]["cluster"] = "outbound|1||nope"
    outcome = only(RequestExplainer(client_dump(SLEEP, served)).explain(req()))
    assert (outcome.kind, outcome.upstream, outcome.decided_by) == ("cluster_not_found", "outbound|1||nope", "SRC")


# --- SRC: route actions meshctl does not evaluate, and their edges -----------------------------------------------


def test_a_direct_response_without_a_status_is_bad_data_and_a_body_that_is_not_an_object_is_none():
    from meshctl.errors import DecodeError

    served = client_served(SLEEP)
    route = {"name": "health", "match": {"prefix": "/health"}, "direct_response": {"body": {"inline_string": "ok"}}}
    routes_of(served).insert(0, route)
    with pytest.raises(DecodeError) as error:
        explain_with(served, req(path="/health"), dst=False)
    assert str(error.value) == "a config dump has a field of an unexpected type or value (KeyError: 'status'): not evaluated"
    route["direct_response"] = {"status": 200, "body": "junk"}
    assert only(explain_with(served, req(path="/health"), dst=False)).summary == "200 direct response from SRC route health"


@pytest.mark.parametrize(
    ("route", "unknown"),
    [
        ({"match": {"prefix": "/"}, "name": "r", "decorator": {"operation": "x"}, "metadata": {}, "typed_per_filter_config": {}}, "route action none"),
        ({"match": {"prefix": "/"}, "decorator": {"operation": "x"}, "filter_action": {}}, "route action filter_action"),
        ({"match": {"prefix": "/"}, "non_forwarding_action": {}}, "route action non_forwarding_action"),
    ],
)
def test_routes_without_an_action_meshctl_evaluates(route, unknown):
    served = client_served(SLEEP)
    routes_of(served).insert(0, route)
    outcome = only(explain_with(served, req(), dst=False))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "SRC")
    assert outcome.unknown == f"unknown: {unknown} not evaluated"


def test_a_weighted_cluster_without_a_name_is_the_empty_name():
    served = client_served(SLEEP)
    default_route(served)["route"] = {"weighted_clusters": {"clusters": [{"weight": 100}]}}
    outcome = only(explain_with(served, req(), dst=False))
    assert (outcome.kind, outcome.upstream, outcome.summary) == ("cluster_not_found", "", "503 cluster  does not exist on SRC (NC)")


def test_plaintext_to_dst_chain_by_destination_ip_and_without_server_names():
    # A plaintext connection has a destination IP but no server name: chains for another IP, or naming
    # server names, are not taken.
    served = server_served()
    other_ip = {"prefix_ranges": [{"address_prefix": "10.9.9.9", "prefix_len": 32}]}
    _plaintext_chains_first(served, {"other-ip": other_ip, "named": {"server_names": ["httpbin.example"]}, "plain": {}})
    outcome = only(explain_to_server(served, served_client=_plaintext_client()))
    assert _dst_chain_line(outcome) == "DST listener virtualInbound, filter chain plain"


@pytest.mark.parametrize(
    ("per_route", "unknown"),
    [
        # A type URL's type is its last segment, whatever its prefix (google.protobuf.Any).
        ({"@type": "example.com/types/envoy.extensions.filters.http.rbac.v3.RBACPerRouteX"}, "envoy.extensions.filters.http.rbac.v3.RBACPerRouteX"),
        ({"@type": "example.com/types/envoy.config.route.v3.FilterConfig", "config": {"@type": "example.com/t/x.v1.Other"}}, "x.v1.Other"),
        ({}, ""),  # no @type
        ({"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig", "config": {}}, ""),
        ({"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig"}, ""),
        ({"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig", "config": "junk"}, ""),
    ],
)
def test_per_route_config_type_names(per_route, unknown):
    served = with_filters(DENY_FILTER, per_route={"envoy.filters.http.rbac": per_route})
    outcome = only(explain_with(served, req(), dst=False))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "SRC")
    assert outcome.unknown == f"unknown: per-route config {unknown} of filter envoy.filters.http.rbac not evaluated"


def _with_ecds(name: str, typed_config: dict):
    """The sleep client with a discovered (ECDS) filter `name` in front of its own, and ECDS holding `typed_config`."""
    from meshctl.decode.configdump import from_object

    from helpers.meshdata import document

    item = {"config_discovery": {"config_source": {"ads": {}}, "type_urls": [RBAC_TYPE]}}
    ecds = {"@type": "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig", "typed_config": typed_config}
    if name:  # proto3 JSON leaves out an empty name
        item["name"] = ecds["name"] = name
    doc = document(with_filters(item), SLEEP)
    doc["configs"].append({"@type": "type.googleapis.com/envoy.admin.v3.EcdsConfigDump", "ecds_filters": [{"version_info": "1", "ecds_filter": ecds}]})
    return only(RequestExplainer(from_object(doc)).explain(req()))


def test_a_discovered_configs_type_is_the_last_segment_of_its_type_url():
    custom = {**DENY_ALL, "@type": "example.com/types/envoy.extensions.filters.http.rbac.v3.RBAC"}
    assert (_with_ecds("istio-rbac", custom).kind, _with_ecds("istio-rbac", custom).policy) == ("denied", "deny-all")
    untyped = {key: value for key, value in DENY_ALL.items() if key != "@type"}
    assert _with_ecds("", untyped).unknown == "unknown: HTTP filter  not evaluated"


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/Case", "  route case: prefix '/Case'"),
        ("/case", "  route default: prefix '/'"),  # case-sensitive unless the match says otherwise
        ("/DATA", "  route data-exact: path '/data', case-insensitive"),
        ("/data", "  route data-exact: path '/data', case-insensitive"),
    ],
)
def test_route_matches_are_case_sensitive_by_default(path, route):
    evidence = explain_with(client_served(SLEEP), req(path=path), dst=False).evidence
    assert [line for line in evidence if line.startswith("  route ")] == [route]


def _first_route(match: dict, request):
    served = client_served(SLEEP)
    routes_of(served).insert(0, {"name": "first", "match": match, "direct_response": {"status": 299}})
    return only(explain_with(served, request, dst=False))


def test_connect_matcher_takes_connect_requests_only():
    assert _first_route({"connect_matcher": {}}, req("CONNECT", "/")).status == 299
    assert _first_route({"connect_matcher": {}}, req("GET", "/")).kind == FORWARDED


@pytest.mark.parametrize(
    ("match", "kind"),
    [
        ({"headers": [{"name": "x-a", "present_match": True}], "query_parameters": [], "case_sensitive": False, "grpc": {}}, "no path specifier"),
        ({"runtime_fraction": {"default_value": {"numerator": 1}}, "path_match_policy": {"name": "uri"}}, "path_match_policy"),
    ],
)
def test_a_route_match_without_a_path_specifier_meshctl_knows_is_unknown(match, kind):
    outcome = _first_route(match, req("GET", "/", ("x-a", "1")))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "SRC")
    assert outcome.unknown == f"unknown: route first: route match {kind} not evaluated"


def test_a_route_header_matcher_on_a_header_envoy_sets_is_unknown_unless_the_request_sets_it():
    match = {"prefix": "/", "headers": [{"name": "x-request-id", "present_match": True}]}
    assert _first_route(match, req()).unknown == "unknown: route first: header x-request-id (generated by Envoy) not evaluated"
    assert _first_route(match, req("GET", "/get", ("x-request-id", "1"))).status == 299


def test_a_route_query_parameter_matcher_decides():
    evidence = explain_with(client_served(SLEEP), req(path="/search"), dst=False).evidence
    assert [line for line in evidence if line.startswith("  route ")] == ["  route default: prefix '/'"]
    evidence = explain_with(client_served(SLEEP), req(path="/search?q=1"), dst=False).evidence
    assert [line for line in evidence if line.startswith("  route ")] == ["  route search: prefix '/search', query q present"]


def test_a_network_filter_that_is_not_an_object_is_skipped():
    served = client_served(SLEEP)
    served[LISTENER][0]["filter_chains"][0]["filters"].insert(0, "junk")
    assert only(explain_with(served, req(), dst=False)).kind == FORWARDED


def test_plaintext_to_dst_does_not_take_a_chain_for_wildcard_server_names():
    served = server_served()
    _plaintext_chains_first(served, {"named": {"server_names": ["*.example.com"]}, "plain": {}})
    assert _dst_chain_line(only(explain_to_server(served, served_client=_plaintext_client()))) == "DST listener virtualInbound, filter chain plain"


@pytest.mark.parametrize(
    ("match", "path", "matched"),
    [
        ({"path": "/Data", "case_sensitive": True}, "/data", False),
        ({"path": "/Data", "case_sensitive": {"value": True}}, "/data", False),
        ({"path": "/Data", "case_sensitive": {"value": False}}, "/data", True),
        # Case folding is ASCII letters only: "@" and "`", "[" and "{" stay apart.
        ({"path": "/a@b[", "case_sensitive": False}, "/A@B[", True),
        ({"path": "/a@b", "case_sensitive": False}, "/a`b", False),
        ({"path": "/a[", "case_sensitive": False}, "/a{", False),
    ],
)
def test_route_case_sensitivity_in_full(match, path, matched):
    assert (_first_route(match, req(path=path)).status == 299) is matched


def test_a_grpc_route_match_needs_a_grpc_content_type():
    match = {"prefix": "/", "grpc": {}}
    assert _first_route(match, req("POST", "/x", ("content-type", "application/grpc+proto"))).status == 299
    assert _first_route(match, req("POST", "/x", ("content-type", "application/json"))).kind == FORWARDED
    assert _first_route(match, req("POST", "/x")).kind == FORWARDED


def test_src_tcp_proxy_known_by_its_type_and_weighted_clusters_unknown():
    served = client_served(SLEEP)
    chain = served[LISTENER][0]["filter_chains"][0]
    chain["filters"] = [{"name": "tcp", "typed_config": {"@type": TCP_PROXY_TYPE, "cluster": HTTPBIN}}]
    explanation = explain_with(served, req(), dst=False)
    assert explanation.evidence[-1] == f"  tcp_proxy -> {HTTPBIN} (HTTP routing does not apply on SRC)"
    assert only(explanation).kind == FORWARDED
    chain["filters"] = [{"name": "tcp", "typed_config": {"@type": TCP_PROXY_TYPE, "weighted_clusters": {}}}]
    outcome = only(explain_with(served, req(), dst=False))
    assert (outcome.kind, outcome.decided_by, outcome.unknown) == (UNKNOWN, "SRC", "unknown: tcp_proxy weighted_clusters not evaluated")
