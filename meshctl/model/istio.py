"""Istio's API resources that meshctl reads (stdlib only): groups, versions newest first, plurals."""

from __future__ import annotations

from typing import NamedTuple


class IstioResource(NamedTuple):
    """An Istio kind: its API group, the versions it may be served at, its plural."""
    group: str
    versions: tuple[str, ...]  # newest first: what a cluster serves depends on its Istio release
    plural: str


NETWORKING_VERSIONS = ("v1", "v1beta1", "v1alpha3")
SECURITY_VERSIONS = ("v1", "v1beta1")

# What `describe` reads and `snapshot` records (key: the describe.IstioConfig field).
DESCRIBE_RESOURCES = {
    "destination_rules": IstioResource("networking.istio.io", NETWORKING_VERSIONS, "destinationrules"),
    "virtual_services": IstioResource("networking.istio.io", NETWORKING_VERSIONS, "virtualservices"),
    "gateways": IstioResource("networking.istio.io", NETWORKING_VERSIONS, "gateways"),
    "peer_authentications": IstioResource("security.istio.io", SECURITY_VERSIONS, "peerauthentications"),
}
INGRESS_SELECTOR = "istio=ingressgateway"  # istioctl describe's ingress gateway pods
