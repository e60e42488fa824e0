"""Views over config dump resources (stdlib only). Each keeps `.raw`, Envoy's own dict.

`state` says where Envoy keeps the resource: "static", "active" or "warming" (istioctl never shows
warming clusters or listeners; meshctl does, and marks them). NamedTuples, not dataclasses: they
are immutable too and cost one compile, not six, at start-up (`pc` runs are ~100 ms).
"""

from __future__ import annotations

from typing import NamedTuple

STATIC, ACTIVE, WARMING = "static", "active", "warming"


class ClusterView(NamedTuple):
    """A cluster of a config dump: name, state, and Envoy's own dict."""
    name: str
    state: str
    raw: dict


class ListenerView(NamedTuple):
    """A listener of a config dump: name, state, and Envoy's own dict."""
    name: str
    state: str
    raw: dict


class RouteView(NamedTuple):
    """A route configuration of a config dump: name, state, and Envoy's own dict."""
    name: str
    state: str
    raw: dict


class EcdsView(NamedTuple):
    """An extension configuration (ECDS): name, typed_config type URL, and the dump's entry."""
    name: str
    type_url: str
    raw: dict  # the EcdsConfigDump entry: version_info, ecds_filter, last_updated


class EndpointView(NamedTuple):
    """One endpoint (LbEndpoint from EDS, or HostStatus from `/clusters?format=json`)."""

    address: str  # "10.0.0.1:80" (EDS) / "10.0.0.1" (host status), pipe path, "envoy://..."
    port: int
    status: str  # HealthStatus name, e.g. "HEALTHY", "UNKNOWN"
    locality: str
    cluster: str
    failed_outlier_check: bool
    raw: dict
    additional: tuple[str, ...] = ()  # EDS: the endpoint's additional_addresses, shown as `address` is
