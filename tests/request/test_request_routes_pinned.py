"""meshctl.analyze.request pinned exactly, continued: the route evidence line (describe_route_match).

Written against the survivors of the mutation run over request.py's route functions (docs/testing.md,
group `request`); test_request_pinned.py has the meshes and helpers used here.
"""

from __future__ import annotations

import pytest
from test_request_pinned import _default_route, only, req

from meshctl.analyze.request import FORWARDED, RequestExplainer, describe_route_match

from helpers.meshdata import SLEEP, client_dump, client_served, server_dump

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
    _default_route(served)["match"] = {"prefix": "/GET", "case_sensitive": {"value": False},
                                       "query_parameters": [{"name": "v", "string_match": {"exact": "2"}}]}  # fmt: skip
    explanation = RequestExplainer(client_dump(SLEEP, served), server_dump()).explain(req(path="/get?v=2"))
    assert only(explanation).kind == FORWARDED
    assert explanation.evidence[4] == "  route default: prefix '/GET', case-insensitive, query v exact \"2\""
