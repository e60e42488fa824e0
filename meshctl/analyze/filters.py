"""istioctl's resource filters (`Verify` in istioctl/pkg/writer/envoy/configdump/*.go).

Each filter matches the way istioctl's does: substring where istioctl uses strings.Contains,
case-insensitive equality where it uses strings.EqualFold.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple, Protocol, TypeVar

from meshctl.analyze.envoy import listener_addresses, listener_port, listener_type
from meshctl.model.views import ClusterView, EndpointView, ListenerView, RouteView

V = TypeVar("V")


class Filter(Protocol[V]):
    """A resource filter: `matches(view)` says whether istioctl would print the resource."""

    def matches(self, view: V) -> bool:
        """True when `view` passes every test of the filter."""


def select(views: Iterable[V], flt: Filter[V]) -> list[V]:
    """The views `flt` keeps, in their order."""
    return [view for view in views if flt.matches(view)]


class ClusterFilter(NamedTuple):
    """cluster.go ClusterFilter.Verify: every field is a substring test on the cluster name."""

    fqdn: str = ""
    port: int = 0
    subset: str = ""
    direction: str = ""

    def matches(self, view: ClusterView) -> bool:
        """True when istioctl would print the cluster."""
        name = view.name
        if self.fqdn and self.fqdn not in name:
            return False
        if self.direction and self.direction not in name:
            return False
        if self.subset and self.subset not in name:
            return False
        return not (self.port and f"|{self.port}|" not in name)


def equal_fold(a: str, b: str) -> bool:
    """Go's strings.EqualFold: rune by rune, equal when in one unicode.SimpleFold orbit (not casefold's ß -> ss)."""
    return len(a) == len(b) and all(x == y or _simple_fold(x) == _simple_fold(y) for x, y in zip(a, b))


def _simple_fold(char: str) -> str:
    """The rune's simple case folding (CaseFolding.txt statuses C and S, which Go's SimpleFold orbits
    follow): casefold() where it gives one rune; where it gives several (status F), the S mapping
    is the lower case when that is one rune, else the rune folds to itself. Upper-casing would be
    wrong: "ı".upper() is "I", but dotless i is in no orbit with i (Go: EqualFold("ı", "i") is false)."""
    folded = char.casefold()
    if len(folded) == 1:
        return folded
    lower = char.lower()
    return lower if len(lower) == 1 else char


class ListenerFilter(NamedTuple):
    """listener.go ListenerFilter.Verify: address among the listener's addresses (EqualFold), port, type."""

    address: str = ""
    port: int = 0
    type: str = ""
    verbose: bool = True

    def matches(self, view: ListenerView) -> bool:
        """True when istioctl would print the listener."""
        if self.address and not any(equal_fold(address, self.address) for address in listener_addresses(view.raw)):
            return False
        if self.port and listener_port(view.raw) != self.port:
            return False
        return not (self.type and not equal_fold(listener_type(view.raw), self.type))


class RouteFilter(NamedTuple):
    """route.go RouteFilter.Verify: exact route configuration name."""

    name: str = ""
    verbose: bool = True

    def matches(self, view: RouteView) -> bool:
        """True when istioctl would print the route configuration."""
        return not self.name or self.name == view.name


class EndpointFilter(NamedTuple):
    """endpoint.go / clusters.go EndpointFilter.Verify: case-insensitive equality per field."""

    address: str = ""
    port: int = 0
    cluster: str = ""
    status: str = ""

    def matches(self, view: EndpointView) -> bool:
        """True when istioctl would print the endpoint."""
        # EDS rows show "ip:port" (each of the endpoint's addresses); istioctl would never match a
        # bare ip there, meshctl does.
        if self.address and not any(equal_fold(shown, self.address) or shown.lower().startswith(self.address.lower() + ":")
                                    for shown in (view.address, *view.additional)):
            return False
        if self.port and view.port != self.port:
            return False
        if self.cluster and not equal_fold(view.cluster, self.cluster):
            return False
        return not (self.status and not equal_fold(view.status, self.status))


def select_endpoints(assignments: list[dict], flt: EndpointFilter) -> tuple[list[EndpointView], list[dict]]:
    """(the EDS endpoints `flt` keeps, the ClusterLoadAssignments reduced to them), in the order given.

    configdump/endpoint.go PrintEndpoints: filtered-out endpoints and emptied localities are dropped,
    and so are assignments left with no endpoint.
    """
    from meshctl.decode.resources import eds_endpoints

    views, reduced = [], []
    for assignment in assignments:
        kept = [view for view in eds_endpoints(assignment) if flt.matches(view)]
        views += kept
        if kept:
            reduced.append(_reduce_assignment(assignment, {id(view.raw) for view in kept}))
    return views, reduced


def _reduce_assignment(assignment: dict, kept: set[int]) -> dict:
    groups = []
    for group in assignment.get("endpoints") or []:
        lb_endpoints = [ep for ep in group.get("lb_endpoints") or [] if id(ep) in kept]
        if lb_endpoints:
            groups.append({**group, "lb_endpoints": lb_endpoints})
    return {**assignment, "endpoints": groups}


def select_host_statuses(document: dict, views: list[EndpointView], flt: EndpointFilter) -> list[dict]:
    """`/clusters?format=json` cluster statuses in Envoy's order, with only the hosts `flt` keeps
    (clusters.go PrintEndpoints); `views` are the document's endpoints (decode.resources.host_endpoints)."""
    kept = {id(view.raw) for view in views if flt.matches(view)}
    statuses = []
    for status in document.get("cluster_statuses") or []:
        hosts = [host for host in status.get("host_statuses") or [] if id(host) in kept]
        if hosts:
            statuses.append({**status, "host_statuses": hosts})
    return statuses
