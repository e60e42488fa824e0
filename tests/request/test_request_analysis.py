"""meshctl.analyze.request: the walk SRC -> DST over the sandbox mesh's config, without Envoy."""

from __future__ import annotations

import json

import pytest

from meshctl.analyze.request import (
    CONNECTION,
    DENIED,
    DIRECT,
    FORWARDED,
    NO_CLUSTER,
    NO_HEALTHY,
    NO_ROUTE,
    REDIRECT,
    UNKNOWN,
    HttpRequest,
    RequestExplainer,
    explain_request,
    parse_header,
)
from meshctl.render.request import request_text
from meshctl.sandbox.resources import ENDPOINTS, LISTENER, ROUTE

from helpers.meshdata import CURL, CURL_PORT, SERVER_PORT, SLEEP, SLEEP_PORT, client_dump, client_served, server_dump, server_served
from helpers.requestdata import only, req

HTTPBIN = f"outbound|{SLEEP_PORT}||httpbin.foo.svc.cluster.local"
SERVER_EP = f"127.0.10.2:{SERVER_PORT}"


@pytest.fixture(scope="module")
def sleep():
    return RequestExplainer(client_dump(SLEEP), server_dump(), source="sleep", destination="httpbin")


@pytest.fixture(scope="module")
def curl():
    return RequestExplainer(client_dump(CURL), server_dump(), source="curl", destination="httpbin")


def test_allowed_request_reaches_the_app_with_the_evidence(sleep):
    explanation = sleep.explain(req())
    outcome = only(explanation)
    assert (outcome.kind, outcome.upstream, outcome.endpoints) == (FORWARDED, HTTPBIN, (SERVER_EP,))
    assert explanation.summary() == f"200-bound via {HTTPBIN} -> {SERVER_EP}"
    text = request_text(explanation)
    assert f"SRC listener 0.0.0.0_{SLEEP_PORT}" in text
    assert "route default: prefix '/'" in text
    assert "filter envoy.filters.http.rbac: ALLOW: allowed by ns[foo]-policy[allow-first]-rule[0]" in text
    assert "filter envoy.filters.http.ext_authz: skipped (no CUSTOM policy matched" in text
    assert "mTLS" in text and not explanation.will_fail


def test_denied_by_a_deny_policy_names_it(curl):
    explanation = curl.explain(req("DELETE", port=CURL_PORT))
    outcome = only(explanation)
    assert (outcome.kind, outcome.status, outcome.policy, outcome.decided_by) == (DENIED, 403, "ns[foo]-policy[deny-delete]-rule[0]", "DST")
    assert explanation.summary() == "403 RBAC: denied by ns[foo]-policy[deny-delete]-rule[0]"
    assert explanation.will_fail and explanation.status == 403


def test_namespaces_and_principals_come_from_the_peer_certificate(sleep, curl):
    # deny-admin: from notNamespaces [foo]; sleep is in foo, curl in bar.
    assert only(sleep.explain(req("GET", "/admin"))).kind == FORWARDED
    assert only(curl.explain(req("GET", "/admin", port=CURL_PORT))).policy == "ns[foo]-policy[deny-admin]-rule[0]"
    # allow-first is sleep's principal only; curl needs allow-reads (GET on listed paths).
    assert only(curl.explain(req("GET", "/privately", port=CURL_PORT))).summary == "403 RBAC: no ALLOW policy matched"
    assert only(sleep.explain(req("GET", "/private/x"))).kind == DENIED
    # A 403 that names no policy says which half of each ALLOW policy failed.
    text = request_text(curl.explain(req("GET", "/privately", port=CURL_PORT)))
    assert "ns[foo]-policy[allow-reads]-rule[0]: permissions (what the request does) do not match" in text
    assert "ns[foo]-policy[allow-first]-rule[0]: permissions (what the request does) and principals (who sends it) do not match" in text


def test_source_ip_and_destination_port_principals(curl, sleep):
    # allow-ip: PUT from curl's IP to the server's port.
    assert only(curl.explain(req("PUT", "/anything", port=CURL_PORT))).kind == FORWARDED
    assert only(curl.explain(req("POST", "/anything", port=CURL_PORT))).kind == DENIED


def test_headers_in_when_conditions_and_repeated_headers(curl):
    allowed = req("POST", "/post", ("x-team", "red"), ("x-team", "blue"), port=CURL_PORT)
    assert only(curl.explain(allowed)).kind == FORWARDED  # one matching value is enough
    assert only(curl.explain(req("POST", "/post", ("x-team", "red,blue"), port=CURL_PORT))).kind == DENIED
    assert only(curl.explain(req("GET", "/get", ("x-block", "yes"), port=CURL_PORT))).policy == "ns[foo]-policy[deny-blocked]-rule[0]"
    assert only(curl.explain(req("GET", "/get", ("x-block", "Yes"), port=CURL_PORT))).kind == FORWARDED  # exact is case-sensitive


def test_src_route_kinds(sleep):
    assert only(sleep.explain(req(path="/status/teapot"))).summary == "418 direct response from SRC route teapot (body \"I'm a teapot\")"
    assert (only(sleep.explain(req(path="/old/x"))).kind, only(sleep.explain(req(path="/old/x"))).status) == (REDIRECT, 302)
    gone = only(sleep.explain(req(path="/gone")))
    assert (gone.kind, gone.status, gone.upstream) == (NO_CLUSTER, 503, f"outbound|{SLEEP_PORT}||gone.foo.svc.cluster.local")
    empty = only(sleep.explain(req(path="/empty")))
    assert (empty.kind, empty.status) == (NO_HEALTHY, 503)
    assert only(sleep.explain(req(host="nope.example"))).kind == NO_ROUTE
    # prefix, path, regex and path_separated_prefix ignore the query string
    assert only(sleep.explain(req(path="/get?debug=1"))).kind == FORWARDED
    assert only(sleep.explain(req(path="/DATA?x"))).upstream == f"outbound|{SLEEP_PORT}|v1|httpbin.foo.svc.cluster.local"
    assert only(sleep.explain(req(path="/adminx"))).upstream == HTTPBIN
    assert only(sleep.explain(req(path="/admin/"))).upstream == f"outbound|{SLEEP_PORT}|v2|httpbin.foo.svc.cluster.local"


def test_weighted_clusters_list_every_possible_upstream(sleep):
    explanation = sleep.explain(req(path="/api/v1/items"))
    assert [(o.upstream.split("|")[2], o.weight, o.kind) for o in explanation.outcomes] == [("v1", 70, FORWARDED), ("v2", 30, FORWARDED)]
    assert explanation.summary().startswith("one of 2: 200-bound via ")


def test_virtual_host_wildcards_and_case(sleep):
    def at(authority):
        return only(sleep.explain(req("GET", "/get", ("host", authority))))

    assert at("x.example.com").upstream.split("|")[2] == "v1"
    assert at("X.EXAMPLE.COM").upstream.split("|")[2] == "v1"  # hosts are matched lower-cased
    assert at("x.example.com:9080").kind == NO_ROUTE  # the port is part of the host here
    assert at("example.com").kind == NO_ROUTE  # "*" stands for at least one character
    assert at("api.foo").kind == DIRECT
    assert at("api.").kind == NO_ROUTE
    assert at(f"HTTPBIN.foo.svc.cluster.local:{SLEEP_PORT}").upstream == HTTPBIN


def test_dst_normalises_the_path_before_rbac(curl):
    assert only(curl.explain(req("GET", "/foo/../admin", port=CURL_PORT))).policy == "ns[foo]-policy[deny-admin]-rule[0]"
    assert only(curl.explain(req("GET", "/./data", port=CURL_PORT))).kind == FORWARDED
    # escaped unreserved characters are decoded (%61 is a), other escapes kept upper-cased
    assert only(curl.explain(req("GET", "/%61dmin", port=CURL_PORT))).policy == "ns[foo]-policy[deny-admin]-rule[0]"
    assert only(curl.explain(req("GET", "/x/%2e%2e/admin", port=CURL_PORT))).policy == "ns[foo]-policy[deny-admin]-rule[0]"
    assert only(curl.explain(req("GET", "/%67et", port=CURL_PORT))).kind == FORWARDED
    assert only(curl.explain(req("GET", "/%2561dmin", port=CURL_PORT))).summary == "403 RBAC: no ALLOW policy matched"
    for odd in ("/get%zz", '/a"b'):
        unknown = only(curl.explain(req("GET", odd, port=CURL_PORT)))
        assert unknown.kind == UNKNOWN and "normalize_path" in unknown.unknown


def test_network_rbac_on_a_tcp_port(sleep, curl):
    closed = only(curl.explain(req("GET", "/tcp", port=CURL_PORT)))
    assert (closed.kind, closed.status, closed.policy) == (CONNECTION, 503, "ns[foo]-policy[deny-tcp-from-other]-rule[0]")
    passed = only(sleep.explain(req("GET", "/tcp")))
    assert passed.kind == FORWARDED and passed.endpoints == ("127.0.10.2:15090",)
    assert "tcp_proxy -> inbound|15090||" in request_text(sleep.explain(req("GET", "/tcp")))


def test_path_templates(curl):
    assert only(curl.explain(req("GET", "/tpl/x/end", port=CURL_PORT))).kind == FORWARDED
    assert only(curl.explain(req("GET", "/tpl/x/y/end", port=CURL_PORT))).kind == DENIED
    assert only(curl.explain(req("GET", "/files/a/b/c", port=CURL_PORT))).kind == FORWARDED


def test_hosts_match_the_authority_without_case(curl):
    def patch(authority):
        return only(curl.explain(req("PATCH", "/x", ("host", authority), port=CURL_PORT))).kind

    assert patch(f"HTTPBIN.foo.svc.cluster.local:{CURL_PORT}") == FORWARDED
    assert patch(f"httpbin:{CURL_PORT}") == DENIED


def test_custom_policies_are_decided_by_the_external_authorizer(sleep):
    outcome = only(sleep.explain(req(path="/custom/x")))
    assert outcome.kind == UNKNOWN and outcome.unknown == "unknown: decided by the external authorizer (CUSTOM policy, ext_authz)"
    assert only(sleep.explain(req(path="/custom"))).kind == FORWARDED  # /custom/* only: ext_authz is skipped


def test_without_dst_the_server_side_is_noted_not_guessed():
    explanation = explain_request(client_dump(SLEEP), req("DELETE"))
    assert only(explanation).kind == FORWARDED
    assert "DST's inbound side not checked" in " ".join(explanation.notes)
    assert not explanation.server_checked


def test_endpoints_missing_from_the_dump_are_unknown():
    outcome = only(explain_request(client_dump(SLEEP, eds=False), req(), server_dump()))
    assert outcome.kind == UNKNOWN and "include_eds" in outcome.summary


def test_plaintext_to_a_strict_server_fails_on_tls():
    served = client_served(SLEEP)
    for assignment in served[ENDPOINTS]:
        for group in assignment["endpoints"]:
            for endpoint in group["lb_endpoints"]:
                endpoint.pop("metadata", None)  # no tlsMode label: the client sends plaintext
    outcome = only(explain_request(client_dump(SLEEP, served), req(), server_dump()))
    assert (outcome.kind, outcome.status) == (CONNECTION, 503)
    assert outcome.summary.startswith("503 will fail: TLS: no filter chain of DST's virtualInbound accepts raw_buffer")


def test_a_cel_condition_is_unknown_only_when_it_matters():
    served = server_served()
    manager = served[LISTENER][0]["filter_chains"][0]["filters"][0]["typed_config"]
    allow = manager["http_filters"][3]["typed_config"]["rules"]["policies"]
    allow["ns[foo]-policy[aaa-cel]-rule[0]"] = {"permissions": [{"any": True}], "principals": [{"any": True}], "condition": {"const_expr": {"bool_value": True}}}
    explainer = RequestExplainer(client_dump(CURL), server_dump(served))
    unknown = only(explainer.explain(req("GET", "/privately", port=CURL_PORT)))
    assert unknown.kind == UNKNOWN and "CEL condition not evaluated" in unknown.unknown
    # allow-reads matches GET /get for curl: the CEL policy cannot change an ALLOW that matched.
    assert only(explainer.explain(req("GET", "/get", port=CURL_PORT))).kind == FORWARDED


def test_a_route_regex_rejected_by_re2_is_unknown():
    served = client_served(SLEEP)
    served[ROUTE][0]["virtual_hosts"][0]["routes"].insert(0, {"name": "backref", "match": {"safe_regex": {"regex": "/(a)\\1"}}, "direct_response": {"status": 200}})
    outcome = only(explain_request(client_dump(SLEEP, served), req(), server_dump()))
    assert outcome.kind == UNKNOWN and "RE2 does not compile it" in outcome.unknown


def test_runtime_fraction_is_unknown_with_its_share_and_mirrors_are_notes():
    served = client_served(SLEEP)
    routes = served[ROUTE][0]["virtual_hosts"][0]["routes"]
    default = routes[-1]
    default["route"]["request_mirror_policies"] = [{"cluster": "outbound|9080||shadow.foo.svc.cluster.local", "runtime_fraction": {"default_value": {"numerator": 25}}}]
    routes.insert(0, {"name": "canary", "match": {"prefix": "/canary", "runtime_fraction": {"default_value": {"numerator": 5, "denominator": "TEN_THOUSAND"}, "runtime_key": "routing.canary"}},
                      "direct_response": {"status": 200}})  # fmt: skip
    explainer = RequestExplainer(client_dump(SLEEP, served), server_dump())
    canary = only(explainer.explain(req(path="/canary")))
    assert canary.unknown == "unknown: route canary: route match runtime_fraction (0.05% of requests; runtime key routing.canary may override) not evaluated"
    plain = explainer.explain(req())
    assert only(plain).kind == FORWARDED  # the runtime_fraction route's prefix does not match: no unknown
    assert "SRC route default: mirrors 25% of requests to outbound|9080||shadow.foo.svc.cluster.local (its answers are ignored)" in plain.notes


def test_json_document_is_stable_and_serialisable(curl):
    document = curl.explain(req("DELETE", port=CURL_PORT)).to_dict()
    json.dumps(document)
    assert document["schemaVersion"] == "meshctl.request/v1"
    assert document["verdict"] == "403 RBAC: denied by ns[foo]-policy[deny-delete]-rule[0]"
    assert document["status"] == 403 and document["kinds"] == ["denied"] and document["willFail"] is True
    assert document["outcomes"][0]["policy"] == "ns[foo]-policy[deny-delete]-rule[0]"
    assert document["request"]["authority"] == f"httpbin:{CURL_PORT}"


def test_authority_defaults_like_curl():
    assert HttpRequest("httpbin", 80).authority == "httpbin"
    assert HttpRequest("httpbin", 8000).authority == "httpbin:8000"
    assert HttpRequest("fd00::1", 443, scheme="https").authority == "[fd00::1]"
    assert HttpRequest("a", 80, headers=(("Host", "b:1"),)).authority == "b:1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("x-user=alice", ("x-user", "alice")), ("x-user: alice", ("x-user", "alice")), ("a=b=c", ("a", "b=c")), ("empty=", ("empty", "")),
     ("x-url: http://a=b", ("x-url", "http://a=b")), (":authority=x", (":authority", "x"))],
)
def test_parse_header(text, expected):
    assert parse_header(text) == expected


@pytest.mark.parametrize("text", ["novalue", "=x", "bad name=x"])
def test_parse_header_rejects(text):
    with pytest.raises(ValueError):
        parse_header(text)


@pytest.mark.parametrize(
    ("manager", "forwarded", "expected"),
    [
        ({}, [], "10.0.0.5"),
        ({}, ["203.0.113.7"], "203.0.113.7"),
        ({}, ["198.51.100.1, 203.0.113.7"], "203.0.113.7"),  # the last entry, not the first
        ({}, ["garbage"], "10.0.0.5"),  # not an address: the connection's
        ({}, ["203.0.113.7,"], "10.0.0.5"),
        ({"use_remote_address": True}, ["203.0.113.7"], "10.0.0.5"),
        ({"xff_num_trusted_hops": 1}, ["203.0.113.7"], None),  # not worked out: remote_ip is unknown
    ],
)
def test_remote_address(manager, forwarded, expected):
    from meshctl.analyze.envoymatch import Headers
    from meshctl.analyze.request import remote_address

    assert remote_address(manager, Headers(("x-forwarded-for", value) for value in forwarded), "10.0.0.5") == expected


def test_remote_ip_blocks_read_x_forwarded_for(curl):
    assert only(curl.explain(req("GET", "/remote", ("x-forwarded-for", "198.51.100.1, 203.0.113.7"), port=CURL_PORT))).kind == FORWARDED
    assert only(curl.explain(req("GET", "/remote", port=CURL_PORT))).kind == DENIED


def test_host_port_stripping():
    served = client_served(SLEEP)
    manager = served[LISTENER][0]["filter_chains"][0]["filters"][0]["typed_config"]
    manager["strip_any_host_port"] = True  # then "x.example.com:9080" finds the *.example.com host
    explainer = RequestExplainer(client_dump(SLEEP, served), server_dump())
    assert only(explainer.explain(req("GET", "/get", ("host", "x.example.com:9080")))).upstream.split("|")[2] == "v1"
    del manager["strip_any_host_port"]
    manager["strip_matching_host_port"] = True
    explainer = RequestExplainer(client_dump(SLEEP, served), server_dump())
    assert only(explainer.explain(req("GET", "/get", ("host", "x.example.com:9080")))).kind == UNKNOWN
    assert only(explainer.explain(req("GET", "/get", ("host", "x.example.com")))).kind == FORWARDED

