"""meshctl.analyze.request pinned exactly, continued: the route evidence line (describe_route_match) and the
request headers SRC's route adds and removes, as DST receives them.

Written against the survivors of the mutation run over request.py's route functions (docs/testing.md,
group `request`); helpers/requestdata.py has the helpers shared with test_request_pinned.py.
"""

from __future__ import annotations

import pytest

from meshctl.analyze.envoymatch import Headers
from meshctl.analyze.request import FORWARDED, NO_ROUTE, UNKNOWN, RequestExplainer, describe_route_match, remote_address
from meshctl.sandbox.resources import ROUTE

from helpers.meshdata import SLEEP, client_dump, client_served, server_dump, server_served
from helpers.requestdata import default_route, dst_vhost_line, explain_to_server, manager_of, only, req
from helpers.requestdata import vhosts_answering as _vhosts

# --- the route evidence line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("match", "line"),
    [
        ({}, "(matches everything)"),
        ({"path": "/get"}, "path '/get'"),
        ({"path_separated_prefix": "/api"}, "path_separated_prefix '/api'"),
        ({"safe_regex": {"regex": "/v[0-9]+"}}, "regex '/v[0-9]+'"),
        ({"safe_regex": {}}, "regex ''"),  # proto3 JSON leaves an empty regex out
        ({"prefix": "/", "case_sensitive": False}, "prefix '/', case-insensitive"),
        ({"prefix": "/", "case_sensitive": {"value": False}}, "prefix '/', case-insensitive"),  # the BoolValue
        ({"prefix": "/", "case_sensitive": True}, "prefix '/'"),
        ({"prefix": "/", "case_sensitive": {"value": True}}, "prefix '/'"),
        ({"prefix": "/", "headers": [{"name": "x-version", "string_match": {"exact": "v2"}}, "junk"]},
         "prefix '/', header x-version exact \"v2\""),
        ({"prefix": "/", "query_parameters": [{"name": "debug", "present_match": True},
                                              {"name": "v", "present_match": False, "string_match": {"exact": "2"}},
                                              {"string_match": {"prefix": "a"}}, "junk"]},
         "prefix '/', query debug present, query v exact \"2\", query  prefix \"a\""),
    ],
)  # fmt: skip
def test_describe_route_match_exact(match, line):
    assert describe_route_match(match) == line


def test_the_route_line_of_the_evidence_describes_the_match_that_chose_it():
    served = client_served(SLEEP)
    default_route(served)["match"] = {"prefix": "/GET", "case_sensitive": {"value": False},
                                       "query_parameters": [{"name": "v", "string_match": {"exact": "2"}}]}  # fmt: skip
    explanation = RequestExplainer(client_dump(SLEEP, served), server_dump()).explain(req(path="/get?v=2"))
    assert only(explanation).kind == FORWARDED
    assert explanation.evidence[4] == "  route default: prefix '/GET', case-insensitive, query v exact \"2\""


# --- the request headers SRC's route adds and removes -------------------------------------------------------


def _dst_sees(served_client, matcher: dict, *headers) -> bool:
    """Does DST's route see a header `matcher` (an Envoy HeaderMatcher) matches in the request SRC forwards?"""
    served = server_served()
    routes = manager_of(served)["route_config"]["virtual_hosts"][0]["routes"]
    routes.insert(0, {"name": "seen", "match": {"prefix": "/", "headers": [matcher]}, "direct_response": {"status": 299}})
    outcome = only(RequestExplainer(client_dump(SLEEP, served_client), server_dump(served)).explain(req("GET", "/get", *headers)))
    return outcome.status == 299


def _adds(*options) -> dict:
    served = client_served(SLEEP)
    default_route(served)["request_headers_to_add"] = list(options)
    return served


TENANT_EMPTY = {"name": "x-tenant", "string_match": {"exact": ""}}
TENANT_CLIENT = {"name": "x-tenant", "string_match": {"exact": "client"}}
TENANT_PRESENT = {"name": "x-tenant", "present_match": True}


@pytest.mark.parametrize("header", [{"key": "x-tenant", "value": ""}, {"key": "x-tenant"}])
@pytest.mark.parametrize("action", [{}, {"append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}, {"append_action": "OVERWRITE_IF_EXISTS"}])
def test_an_empty_header_value_adds_and_overwrites_nothing(header, action):
    # Envoy's HeaderParser::evaluateHeaders adds a header whose value is empty only with keep_empty_value.
    served = _adds({"header": header, **action}, {"header": {"key": "x-next", "value": "next"}})
    assert _dst_sees(served, TENANT_PRESENT) is False
    assert _dst_sees(served, {"name": "x-next", "string_match": {"exact": "next"}}) is True  # the next option applies
    assert _dst_sees(served, TENANT_CLIENT, ("x-tenant", "client")) is True
    assert _dst_sees(served, TENANT_EMPTY, ("x-tenant", "client")) is False


@pytest.mark.parametrize("header", [{"key": "x-tenant", "value": ""}, {"key": "x-tenant"}])
def test_keep_empty_value_adds_an_empty_header(header):
    served = _adds({"header": header, "keep_empty_value": True, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"})
    assert _dst_sees(served, TENANT_EMPTY) is True
    assert _dst_sees(served, TENANT_EMPTY, ("x-tenant", "client")) is True
    assert _dst_sees(served, TENANT_CLIENT, ("x-tenant", "client")) is False
    appended = _adds({"header": header, "keep_empty_value": True})
    assert _dst_sees(appended, TENANT_CLIENT, ("x-tenant", "client")) is True
    assert _dst_sees(appended, TENANT_EMPTY, ("x-tenant", "client")) is True


@pytest.mark.parametrize("header", [{"value": "x"}, {"key": None, "value": "x"}, {"key": "", "value": "x"}, {"key": 7, "value": "x"}])
def test_a_header_without_a_name_is_not_added(header):
    served = _adds({"header": header}, {"header": {"key": "x-tenant", "value": "client"}})  # the next option still applies
    for name in ("none", "7", ""):
        assert _dst_sees(served, {"name": name, "present_match": True}) is False
    assert _dst_sees(served, TENANT_CLIENT) is True


def test_a_route_cannot_remove_or_set_the_authority_or_the_path():
    # HeaderUtility::isModifiableHeader: Envoy refuses a route that adds or removes a ":"-prefixed header or host.
    plain = only(explain_to_server(server_served()))
    served = client_served(SLEEP)
    route = default_route(served)
    route["request_headers_to_remove"] = [":path", ":authority", "Host", 7]
    route["request_headers_to_add"] = [{"header": {"key": key, "value": "/evil"}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}
                                       for key in (":path", ":authority", "HOST")]  # fmt: skip
    outcome = only(explain_to_server(server_served(), served_client=served))
    assert outcome.kind == FORWARDED
    assert dst_vhost_line(outcome) == dst_vhost_line(plain) == "  virtual host inbound|http|15080 (domain '*' matches 'httpbin:9080')"
    assert outcome.evidence == plain.evidence
    route["route"]["prefix_rewrite"] = "/anything/"  # the rewrite still sees the request's path
    assert _dst_sees(served, {"name": ":path", "string_match": {"exact": "/anything/get"}}) is True


# --- the virtual host and route SRC picks -------------------------------------------------------------------


def _src_answer(served, request=None):
    outcome = only(RequestExplainer(client_dump(SLEEP, served)).explain(request or req()))
    return outcome.status, outcome.summary


@pytest.mark.parametrize(
    ("domains_of", "status"),
    [
        ((["*:9080"], ["*bin:9080"]), 201),  # the longest *suffix
        ((["http*"], ["httpbin*"]), 201),  # the longest prefix*
        ((["*"], ["http*"]), 201),  # a prefix* before *
        ((["*"], ["*x:9080"]), 200),  # "*x:9080" is no suffix of httpbin:9080
        ((["*"], ["*bin:9080"], ["HTTPBIN:9080"]), 202),  # exact first, without case
    ],
)
def test_the_virtual_host_envoy_picks(domains_of, status):
    assert _src_answer(_vhosts(*domains_of))[0] == status


def test_a_wildcard_stands_for_at_least_one_character():
    served = _vhosts(["*bin:9080"], ["httpbin:9080*"])
    assert _src_answer(served, req(host="bin")) == (404, "404 no route: no virtual host of SRC's 9080 matches 'bin:9080' (NR)")
    assert _src_answer(served, req(host="xbin"))[0] == 200
    assert _src_answer(_vhosts(["httpbin:9080*"]))[0] == 404
    assert _src_answer(_vhosts(["httpbin:908*"]))[0] == 200


def test_ignore_port_in_host_matching():
    assert _src_answer(_vhosts(["httpbin"]))[1] == "404 no route: no virtual host of SRC's 9080 matches 'httpbin:9080' (NR)"
    assert _src_answer(_vhosts(["httpbin"], ignore_port_in_host_matching=True))[0] == 200


def test_no_route_of_the_virtual_host_is_srcs_404():
    served = _vhosts(["*"])
    vhost = served[ROUTE][0]["virtual_hosts"][0]
    vhost["routes"][0]["match"] = {"prefix": "/only"}
    outcome = only(RequestExplainer(client_dump(SLEEP, served)).explain(req("POST", "/get")))
    assert (outcome.kind, outcome.status, outcome.decided_by) == (NO_ROUTE, 404, "SRC")
    assert outcome.summary == "404 no route: no route of virtual host v0 on SRC matches POST /get (NR)"
    del vhost["name"]
    assert _src_answer(served)[1] == "404 no route: no route of virtual host  on SRC matches GET /get (NR)"
    vhost["routes"][0]["match"] = {"prefix": "/"}
    explanation = RequestExplainer(client_dump(SLEEP, served)).explain(req())
    assert explanation.evidence[3] == "  virtual host  (domain '*' matches 'httpbin:9080')"


def test_no_virtual_host_of_an_unnamed_inline_route_configuration():
    served = client_served(SLEEP)
    manager = manager_of(served)
    del manager["rds"]
    manager["route_config"] = {"virtual_hosts": [{"name": "v", "domains": ["elsewhere"], "routes": []}]}
    assert _src_answer(served) == (404, "404 no route: no virtual host of SRC's route configuration matches 'httpbin:9080' (NR)")


@pytest.mark.parametrize("key", ["tls_context", "dynamic_metadata", "filter_state"])
def test_a_route_match_meshctl_cannot_evaluate_is_unknown(key):
    served = client_served(SLEEP)
    default_route(served)["match"] = {"prefix": "/", key: {}}
    outcome = only(RequestExplainer(client_dump(SLEEP, served)).explain(req()))
    assert (outcome.kind, outcome.status, outcome.decided_by) == (UNKNOWN, None, "SRC")
    assert outcome.summary == f"unknown: route default: route match {key} not evaluated"


def test_strip_matching_host_port_is_unknown_only_with_a_port():
    served = client_served(SLEEP)
    manager_of(served)["strip_matching_host_port"] = True
    outcome = only(RequestExplainer(client_dump(SLEEP, served)).explain(req()))
    assert (outcome.kind, outcome.status, outcome.decided_by) == (UNKNOWN, None, "SRC")
    assert outcome.summary == "unknown: strip_matching_host_port (compares with the listener's port) not evaluated"
    assert only(RequestExplainer(client_dump(SLEEP, served)).explain(req("GET", "/get", ("host", "httpbin")))).kind == FORWARDED


def test_strip_any_host_port_of_an_empty_host():
    served = client_served(SLEEP)
    manager_of(served)["strip_any_host_port"] = True
    assert _src_answer(served, req("GET", "/get", ("host", ""))) == (404, "404 no route: no virtual host of SRC's 9080 matches '' (NR)")
    assert only(RequestExplainer(client_dump(SLEEP, served)).explain(req())).kind == FORWARDED  # httpbin:9080 is httpbin


@pytest.mark.parametrize(
    ("manager", "forwarded", "address"),
    [
        ({}, ["10.0.0.1,10.0.0.2"], "10.0.0.2"),  # the last entry, with or without a space
        ({}, ["10.0.0.1, 10.0.0.2"], "10.0.0.2"),
        ({}, ["10.0.0.1", "10.0.0.2"], None),  # two X-Forwarded-For headers: not worked out
        ({}, ["10.0.0.1"], "10.0.0.1"),
        ({"original_ip_detection_extensions": [{"name": "custom"}]}, ["10.0.0.1"], None),
        ({"xff_num_trusted_hops": 1}, ["10.0.0.1,10.0.0.2"], None),
        ({}, ["not-an-ip"], "127.0.0.6"),
        ({"use_remote_address": {"value": True}}, ["10.0.0.1"], "127.0.0.6"),
    ],
)
def test_remote_address_exact(manager, forwarded, address):
    headers = Headers([("X-Forwarded-For", value) for value in forwarded])
    assert remote_address(manager, headers, "127.0.0.6") == address


@pytest.mark.parametrize("path", ["get", "/get#top"])
def test_a_path_meshctl_cannot_normalize_is_srcs_unknown(path):
    outcome = only(RequestExplainer(client_dump(SLEEP)).explain(req(path=path)))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "SRC")


@pytest.mark.parametrize(
    ("option", "path"),
    [
        ({"path_with_escaped_slashes_action": "REJECT_REQUEST"}, "/get%2Fx"),
        ({"normalize_path": {"value": True}}, "/get x"),
    ],
)
def test_a_path_normalisation_meshctl_cannot_do_is_srcs_unknown(option, path):
    served = client_served(SLEEP)
    manager_of(served).update(option)
    outcome = only(RequestExplainer(client_dump(SLEEP, served)).explain(req(path=path)))
    assert (outcome.kind, outcome.decided_by) == (UNKNOWN, "SRC")
