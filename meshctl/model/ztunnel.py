"""ztunnel's config dump as istioctl types it (stdlib only).

A port of istioctl/pkg/writer/ztunnel/configdump/api.go: one immutable class per Go struct, each
field declared once with `go(json_name, kind, omitempty)`. The declaration carries what Go's
encoding/json needs to read and write the struct exactly as istioctl does (JSON names, field order,
``omitempty``, nil vs empty), which meshctl.decode.ztunnel implements. Fields istioctl does not
model are kept, untouched, in each struct's ``raw`` (ztunnel adds fields between releases).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple


class Scalar(NamedTuple):
    """A Go scalar type: `name` is Go's (string, bool, int, uint16, uint32) or "any" (interface{})."""

    name: str


class ListOf(NamedTuple):
    """A Go slice of `item` (nil decodes and encodes as None, an empty slice as [])."""

    item: Any


class MapOf(NamedTuple):
    """A Go map with keys of scalar kind `key` (string or an unsigned int) to `item`."""

    key: Scalar
    item: Any


class PointerTo(NamedTuple):
    """A Go pointer to struct `struct` or scalar: nil is None, and omitempty drops only nil."""

    target: Any


STRING, BOOL, INT, UINT16, UINT32, ANY = (Scalar(n) for n in ("string", "bool", "int", "uint16", "uint32", "any"))


class _Declared(NamedTuple):
    """What `go()` leaves in a class body until GoStruct turns it into a GoField and a default."""

    json: str
    kind: Any
    omitempty: bool


def go(json_name: str, kind: Any = STRING, *, omitempty: bool = False) -> Any:
    """A Go struct field `json:"json_name[,omitempty]"` of type `kind` (declared in a GoStruct body)."""
    return _Declared(json_name, kind, omitempty)


def zero_value(kind: Any):
    """Go's zero value of `kind` as meshctl holds it (a struct's zero is its default instance)."""
    if isinstance(kind, Scalar):
        return {"string": "", "bool": False, "any": None}.get(kind.name, 0)
    if isinstance(kind, type):
        return kind()
    return None  # slices, maps and pointers are nil


class GoField(NamedTuple):
    """A struct field as Go's encoding/json sees it: attribute, JSON name, type, omitempty."""

    attr: str
    json: str
    kind: Any
    omitempty: bool


def go_fields(struct: type) -> tuple[GoField, ...]:
    """The Go fields of a struct class, in declaration order (Go's JSON field order)."""
    return struct._go_fields


_NO_RAW: Mapping = MappingProxyType({})


class GoStruct:
    """Base of the structs below: immutable values with Go's zero values as defaults, compared by
    field; `raw` is the JSON object the struct was read from, whole.

    Not dataclasses: about twenty of them are created on every `ztunnel-config` run, and a
    dataclass compiles its methods when its class is created (~1 ms each).
    """

    _go_fields: tuple[GoField, ...] = ()
    raw: Mapping = _NO_RAW

    def __init_subclass__(cls) -> None:
        found = []
        for attr, value in list(vars(cls).items()):
            if isinstance(value, _Declared):
                found.append(GoField(attr, value.json, value.kind, value.omitempty))
                setattr(cls, attr, zero_value(value.kind))  # the default: Go's zero value
        cls._go_fields = tuple(found)
        cls._attrs = frozenset(f.attr for f in found)

    def __init__(self, raw: Mapping | None = None, **values) -> None:
        unknown = set(values) - self._attrs
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(sorted(unknown))}")
        if raw is not None:
            values["raw"] = raw
        self.__dict__.update(values)

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f.attr) == getattr(other, f.attr) for f in self._go_fields)

    __hash__ = None  # type: ignore[assignment] - fields hold lists and dicts

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.attr}={getattr(self, f.attr)!r}" for f in self._go_fields if f.attr in self.__dict__)
        return f"{type(self).__name__}({shown})"


# --- api.go -----------------------------------------------------------------------------------


class Locality(GoStruct):
    """api.go Locality: where a workload runs."""

    region: str = go("region", omitempty=True)
    zone: str = go("zone", omitempty=True)
    subzone: str = go("subzone", omitempty=True)


class GatewayAddress(GoStruct):
    """api.go GatewayAddress: a waypoint's or network gateway's address ("network/IP" or "namespace/hostname")."""

    destination: str = go("destination")


class ApplicationTunnel(GoStruct):
    """api.go ApplicationTunnel: how the workload receives tunneled traffic."""

    protocol: str = go("protocol")
    port: int | None = go("port", PointerTo(UINT16), omitempty=True)


class ZtunnelWorkload(GoStruct):
    """api.go ZtunnelWorkload: a workload (pod, WorkloadEntry) as ztunnel knows it."""

    uid: str = go("uid")
    workload_ips: list[str] | None = go("workloadIps", ListOf(STRING))
    waypoint: GatewayAddress | None = go("waypoint", PointerTo(GatewayAddress), omitempty=True)
    network_gateway: GatewayAddress | None = go("networkGateway", PointerTo(GatewayAddress), omitempty=True)
    protocol: str = go("protocol")
    name: str = go("name")
    namespace: str = go("namespace")
    service_account: str = go("serviceAccount")
    workload_name: str = go("workloadName")
    workload_type: str = go("workloadType")
    canonical_name: str = go("canonicalName")
    canonical_revision: str = go("canonicalRevision")
    cluster_id: str = go("clusterId")
    trust_domain: str = go("trustDomain", omitempty=True)
    # `omitempty` on a struct field: Go never omits a struct, so `"locality": {}` is always written.
    locality: Locality = go("locality", Locality, omitempty=True)
    node: str = go("node")
    network: str = go("network", omitempty=True)
    status: str = go("status")
    hostname: str = go("hostname")
    capacity: int = go("capacity", UINT32)
    application_tunnel: ApplicationTunnel = go("applicationTunnel", ApplicationTunnel, omitempty=True)
    authorization_policies: list[str] | None = go("authorizationPolicies", ListOf(STRING), omitempty=True)


class LoadBalancer(GoStruct):
    """api.go LoadBalancer: a service's load balancing mode and preferences."""

    mode: str = go("mode")
    routing_preferences: list[str] | None = go("routingPreferences", ListOf(STRING))
    health_policy: str = go("healthPolicy")


class ZtunnelEndpoint(GoStruct):
    """api.go ZtunnelEndpoint: one backend of a service (a workload uid and its ports)."""

    workload_uid: str = go("workloadUid")
    service: str = go("service")
    address: str = go("address", omitempty=True)
    port: dict[int, int] | None = go("port", MapOf(UINT16, UINT16))


class CIDRVIP(GoStruct):
    """api.go CIDRVIP: read from {"cidr", "network"} or "network/cidr"; written as "network/cidr"."""

    cidr: str = go("cidr")
    network: str = go("network", omitempty=True)


class ZtunnelService(GoStruct):
    """api.go ZtunnelService: a service with its VIPs, ports, waypoint and endpoints."""

    name: str = go("name")
    namespace: str = go("namespace")
    hostname: str = go("hostname")
    addresses: list[str] | None = go("vips", ListOf(STRING))
    cidr_vips: list[CIDRVIP] | None = go("cidrVips", ListOf(CIDRVIP), omitempty=True)
    ports: dict[str, int] | None = go("ports", MapOf(STRING, INT))
    load_balancer: LoadBalancer | None = go("loadBalancer", PointerTo(LoadBalancer), omitempty=True)
    waypoint: GatewayAddress | None = go("waypoint", PointerTo(GatewayAddress), omitempty=True)
    endpoints: dict[str, ZtunnelEndpoint | None] | None = go("endpoints", MapOf(STRING, PointerTo(ZtunnelEndpoint)))
    subject_alt_names: list[str] | None = go("subjectAltNames", ListOf(STRING), omitempty=True)
    ip_families: str = go("ipFamilies")
    canonical: bool = go("canonical", BOOL, omitempty=True)
    visibility: str = go("visibility", omitempty=True)


class StringMatch(GoStruct):
    """api.go StringMatch: one string matcher of an authorization rule."""

    # ztunnel writes the match kind capitalised (its Rust enum's variant names).
    exact: str = go("Exact", omitempty=True)
    suffix: str = go("Suffix", omitempty=True)
    prefix: str = go("Prefix", omitempty=True)
    presence: Any = go("Presence", ANY, omitempty=True)


class ServiceAccountMatch(GoStruct):
    """api.go ServiceAccountMatch: a service account an authorization rule names."""

    namespace: str = go("namespace")
    service_account: str = go("serviceAccount")


class PolicyMatch(GoStruct):
    """api.go PolicyMatch: the conditions of one authorization rule."""

    namespaces: list[StringMatch] | None = go("namespaces", ListOf(StringMatch), omitempty=True)
    not_namespaces: list[StringMatch] | None = go("notNamespaces", ListOf(StringMatch), omitempty=True)
    principals: list[StringMatch] | None = go("principals", ListOf(StringMatch), omitempty=True)
    not_principals: list[StringMatch] | None = go("notPrincipals", ListOf(StringMatch), omitempty=True)
    source_ips: list[str] | None = go("sourceIps", ListOf(STRING), omitempty=True)
    not_source_ips: list[str] | None = go("notSourceIps", ListOf(STRING), omitempty=True)
    destination_ips: list[str] | None = go("destinationIps", ListOf(STRING), omitempty=True)
    not_destination_ips: list[str] | None = go("notDestinationIps", ListOf(STRING), omitempty=True)
    destination_ports: list[int] | None = go("destinationPorts", ListOf(UINT16), omitempty=True)
    not_destination_ports: list[int] | None = go("notDestinationPorts", ListOf(UINT16), omitempty=True)
    service_accounts: list[ServiceAccountMatch] | None = go("serviceAccounts", ListOf(ServiceAccountMatch), omitempty=True)
    not_service_accounts: list[ServiceAccountMatch] | None = go("notServiceAccounts", ListOf(ServiceAccountMatch), omitempty=True)


class ZtunnelPolicy(GoStruct):
    """api.go ZtunnelPolicy: an authorization policy as ztunnel enforces it."""

    name: str = go("name")
    namespace: str = go("namespace")
    scope: str = go("scope")
    action: str = go("action")
    rules: list | None = go("rules", ListOf(ListOf(ListOf(PointerTo(PolicyMatch)))))


class Cert(GoStruct):
    """api.go Cert: one certificate of a chain (PEM, decimal serial, RFC 3339 validity)."""

    pem: str = go("pem")
    serial_number: str = go("serialNumber")
    valid_from: str = go("validFrom")
    expiration_time: str = go("expirationTime")


class CertsDump(GoStruct):
    """api.go CertsDump: the certificate ztunnel holds for one SPIFFE identity, and its state."""

    identity: str = go("identity")
    state: str = go("state")
    cert_chain: list[Cert | None] | None = go("certChain", ListOf(PointerTo(Cert)))
    root_certs: list[Cert | None] | None = go("rootCerts", ListOf(PointerTo(Cert)))


class Connection(GoStruct):
    """api.go InboundConnection and OutboundConnection (the same four fields)."""

    src: str = go("src")
    original_dst: str = go("originalDst")
    actual_dst: str = go("actualDst")
    protocol: str = go("protocol")


class WorkloadConnections(GoStruct):
    """api.go WorkloadConnections: a workload's open connections."""

    inbound: list[Connection] | None = go("inbound", ListOf(Connection))
    outbound: list[Connection] | None = go("outbound", ListOf(Connection))


class WorkloadInfo(GoStruct):
    """api.go WorkloadInfo: who a workload state belongs to."""

    name: str = go("name")
    namespace: str = go("namespace")
    trust_domain: str = go("trustDomain")
    service_account: str = go("serviceAccount")


class WorkloadState(GoStruct):
    """api.go WorkloadState: a local workload's state and connections."""

    state: str = go("state", omitempty=True)
    connections: WorkloadConnections = go("connections", WorkloadConnections, omitempty=True)
    info: WorkloadInfo = go("info", WorkloadInfo)


class ZtunnelDump(NamedTuple):
    """configdump.go rawDump/ZtunnelDump after Prime.

    A section is None when the dump lacks it (Go's nil slice, printed `null`) and a list otherwise,
    in the dump's order (Go takes a map-shaped section's values in random order); null items are left
    out (istioctl would crash on them). `document` is the whole dump as read; `warnings` say what
    could not be read as istioctl's types.
    """

    workloads: list[ZtunnelWorkload] | None = None
    services: list[ZtunnelService] | None = None
    policies: list[ZtunnelPolicy] | None = None
    certificates: list[CertsDump] | None = None
    workload_state: dict[str, WorkloadState] | None = None
    document: Mapping = _NO_RAW
    warnings: tuple[str, ...] = ()
    redacted: bool = False  # private keys were found in the input and replaced (in `document` too)
