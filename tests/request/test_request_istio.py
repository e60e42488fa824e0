"""`explain request` with a real Istio sidecar's inbound config as DST (istioctl's authz testdata):
filter-state principals set by istio_authn, JWT claims from istio_authn metadata, Istio's filter order."""

from __future__ import annotations

import pytest

from meshctl.analyze.request import DENIED, UNKNOWN, HttpRequest, RequestExplainer
from meshctl.decode.configdump import from_object, parse
from meshctl.render.request import request_text
from meshctl.sandbox import mesh_resources

from helpers import ISTIO_TESTDATA, require_shared
from helpers.meshdata import document

ISTIO_DUMP = ISTIO_TESTDATA / "istioctl/pkg/authz/testdata/configdump.yaml"
HTTPBIN = mesh_resources.Party("httpbin", "default", "httpbin", "10.244.0.20")


def explainer(client: mesh_resources.Party) -> RequestExplainer:
    # A client whose httpbin cluster reaches the Istio dump's inbound port 80 with Istio mTLS.
    layout = mesh_resources.Layout(HTTPBIN, 80, mesh_resources.Party("app", "default", "app", "10.244.0.99"), 80, ((client, 8000),), 81)
    src = from_object(document(mesh_resources.client_resources(layout, client, 8000), client))
    return RequestExplainer(src, parse(require_shared(ISTIO_DUMP).read_bytes()))


@pytest.mark.parametrize("client", [mesh_resources.Party("sleep", "default", "sleep", "10.244.0.21"), mesh_resources.Party("curl", "test", "curl", "10.244.0.22")])
def test_principals_match_through_istio_authn_but_the_jwt_claim_is_missing(client):
    explanation = explainer(client).explain(HttpRequest("httpbin", 8000, "GET", "/info"))
    (outcome,) = explanation.outcomes
    assert (outcome.kind, outcome.status, outcome.policy) == (DENIED, 403, None)
    # The filter_state principal (sleep's SPIFFE ID, or the ns/test regex) matched; only the
    # request.auth.claims[iss] half of the principal failed: without a JWT the metadata is absent.
    assert "ns[default]-policy[httpbin]-rule[0]: principals (who sends it) do not match" in request_text(explanation)
    assert "DST's dump does not say its IPs" in " ".join(explanation.notes)


def test_a_request_with_credentials_is_unknown_not_guessed():
    client = mesh_resources.Party("sleep", "default", "sleep", "10.244.0.21")
    (outcome,) = explainer(client).explain(HttpRequest("httpbin", 8000, "GET", "/info", (("authorization", "Bearer eyJ"),))).outcomes
    assert outcome.kind == UNKNOWN and outcome.unknown == "unknown: request credentials (istio_authn metadata) not evaluated"


def _without(document_: dict, drop) -> dict:
    """The dump with every list item for which `drop(item)` is true removed (deep)."""
    if isinstance(document_, dict):
        return {key: _without(value, drop) for key, value in document_.items()}
    if isinstance(document_, list):
        return [_without(item, drop) for item in document_ if not drop(item)]
    return document_


def test_filter_state_principals_need_istio_authn():
    import json

    raw = json.loads(require_shared(ISTIO_DUMP).read_bytes())
    # Keep the principals, drop the JWT half (the `metadata` ids) of httpbin's ALLOW policy.
    no_jwt = _without(raw, lambda item: isinstance(item, dict) and "or_ids" in item and "metadata" in json.dumps(item))
    no_authn = _without(no_jwt, lambda item: isinstance(item, dict) and item.get("name") == "istio_authn")

    def kind(dump: dict, client) -> str:
        """How the request ends; past httpbin's ALLOW filter it reaches the CUSTOM (ext_authz) one."""
        layout = mesh_resources.Layout(HTTPBIN, 80, mesh_resources.Party("app", "default", "app", "10.244.0.99"), 80, ((client, 8000),), 81)
        src = from_object(document(mesh_resources.client_resources(layout, client, 8000), client))
        (outcome,) = RequestExplainer(src, from_object(dump)).explain(HttpRequest("httpbin", 8000, "GET", "/info")).outcomes
        return "ext_authz" if outcome.unknown == "unknown: decided by the external authorizer (CUSTOM policy, ext_authz)" else outcome.kind

    sleep = mesh_resources.Party("sleep", "default", "sleep", "10.244.0.21")
    in_test = mesh_resources.Party("curl", "test", "curl", "10.244.0.22")
    other = mesh_resources.Party("curl", "other", "curl", "10.244.0.23")
    assert [kind(no_jwt, c) for c in (sleep, in_test, other)] == ["ext_authz", "ext_authz", DENIED]
    # Without istio_authn nothing sets io.istio.peer_principal: the same principals match no one.
    assert kind(no_authn, sleep) == DENIED
