"""Hostile dumps: fields of the wrong type anywhere give an explanation or one DecodeError (exit
65 from the commands: test_request_cli), never a traceback; hostile regexes run in linear time (RE2)."""

from __future__ import annotations

import copy
import json
import random

from meshctl.analyze.authz import authz_check
from meshctl.analyze.envoymatch import full_match
from meshctl.analyze.request import HttpRequest, RequestExplainer
from meshctl.decode.configdump import from_object
from meshctl.errors import DecodeError
from meshctl.render.request import request_text

from helpers.meshdata import SERVER, SLEEP, SLEEP_PORT, client_served, document, server_served

JUNK = [None, 0, -1, 1.5, "", "x", "%%", [], {}, [1], {"a": 1}, True, "0.0.0.0", 2**70]
REQUESTS = [HttpRequest("httpbin", SLEEP_PORT, m, p, h) for m, p, h in [
    ("GET", "/get", ()), ("DELETE", "/admin", ()), ("GET", "/api/v1/x", (("x-version", "v2"),)), ("GET", "/tcp", ()), ("GET", "/status/teapot", ())]]  # fmt: skip


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def mutated(rng: random.Random, doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    places = [p for p in _paths(doc) if p and p[-1] != "@type" and "inline_bytes" not in p]
    for _ in range(rng.randint(1, 4)):
        place = rng.choice(places)
        node = doc
        try:
            for key in place[:-1]:
                node = node[key]
            node[place[-1]] = rng.choice(JUNK)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation replaced a parent
    return doc


def test_wrong_types_anywhere_explain_or_fail_as_bad_data():
    rng = random.Random(7)
    client, server = document(client_served(SLEEP), SLEEP), document(server_served(), SERVER)
    explained = rejected = 0
    for round_ in range(120):
        src_doc, dst_doc = (mutated(rng, client), server) if round_ % 2 else (client, mutated(rng, server))
        try:
            explainer = RequestExplainer(from_object(src_doc), from_object(dst_doc))
            for request in REQUESTS:
                explanation = explainer.explain(request)
                request_text(explanation)
                json.dumps(explanation.to_dict())
            authz_check(from_object(dst_doc))
            explained += 1
        except DecodeError:
            rejected += 1
    assert explained > 40 and rejected > 5  # both paths are exercised


def test_hostile_regex_runs_in_linear_time():
    # Python's re would backtrack through ~2^40 paths here (hours: the suite's timeout would end
    # it); RE2, as in Envoy, answers in linear time.
    assert full_match("(a+)+$", "a" * 40 + "!") is False
