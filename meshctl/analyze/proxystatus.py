"""istiod's sync status per proxy -> the `proxy-status` table and documents (pure).

Two inputs say the same thing:
- the xDS form istioctl reads (``istio.io/debug/syncz`` over xDS): a DiscoveryResponse whose
  resources are ``envoy.service.status.v3.ClientConfig`` with one GenericXdsConfig per
  subscribed type (pilot/pkg/xds/statusgen.go debugSyncz);
- the HTTP form of istiod's debug interface (``/debug/syncz`` on the monitoring port, or
  ``pilot-discovery request GET /debug/syncz`` in the container): a JSON list of SyncStatus with
  sent/acked nonces per type (pilot/pkg/xds/debug.go). It is converted to the xDS form with
  statusgen.go's rule: nothing sent -> NOT_SENT, acked == sent -> SYNCED, else STALE.
The table follows istioctl/pkg/writer/pilot/status.go (goldens in its testdata/).

For one proxy, `compare_sync` sets what istiod would send it (``/debug/config_dump?proxyID=``)
against the proxy's own config dump, as istioctl's pkg/writer/compare does, using the semantic
differ of meshctl.analyze.diff.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo

from meshctl.analyze.diff import DumpDiff, diff_dumps
from meshctl.decode.configdump import ConfigDump
from meshctl.decode.configdump import parse as parse_config_dump
from meshctl.errors import DecodeError

CLIENT_CONFIG_TYPE = "type.googleapis.com/envoy.service.status.v3.ClientConfig"

# pilot/pkg/model/xds type URLs -> istioctl's short names (v3.GetShortType).
_SHORT_TYPES = {
    "type.googleapis.com/envoy.config.cluster.v3.Cluster": "CDS",
    "type.googleapis.com/envoy.config.listener.v3.Listener": "LDS",
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment": "EDS",
    "type.googleapis.com/envoy.config.route.v3.RouteConfiguration": "RDS",
    "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig": "ECDS",
    "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret": "SDS",
    "type.googleapis.com/istio.workload.Address": "WDS",
    "type.googleapis.com/istio.security.Authorization": "WADS",
    "type.googleapis.com/istio.networking.v1alpha3.WorkloadEntry": "WorkloadEntry",
}
# status.go: SUBSCRIBED TYPES lists the classic types in this order, then the others by name.
_SUBSCRIBED_ORDER = ("CDS", "LDS", "EDS", "RDS", "ECDS")
# istioctl xdsStatusToString: the enum names, "NOT_SENT" spelled with a space.
_STATUS_TEXT = {"NOT_SENT": "NOT SENT"}
IGNORED = "IGNORED"  # status.go ignoredStatus: a type this proxy did not subscribe to

# SyncStatus JSON (pilot/pkg/xds/debug.go) prefix -> type URL
_SYNCZ_TYPES = (
    ("cluster", "type.googleapis.com/envoy.config.cluster.v3.Cluster"),
    ("listener", "type.googleapis.com/envoy.config.listener.v3.Listener"),
    ("route", "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"),
    ("endpoint", "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"),
    ("extensionconfig", "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig"),
)

# Proto field order for istioctl's -o json (envoy/service/discovery/v3, status/v3, config/core/v3).
STATUS_SCHEMA = {
    "DiscoveryResponse": (
        ("versionInfo", "scalar"), ("resources", "any"), ("canary", "scalar"), ("typeUrl", "scalar"),
        ("nonce", "scalar"), ("controlPlane", "ControlPlane"),
    ),
    "ControlPlane": (("identifier", "scalar"),),
    "ClientConfig": (
        ("node", "Node"), ("xdsConfig", "message"), ("genericXdsConfigs", "GenericXdsConfig"), ("clientScope", "scalar"),
    ),
    "Node": (
        ("id", "scalar"), ("cluster", "scalar"), ("metadata", "struct"), ("dynamicParameters", "message"),
        ("locality", "message"), ("userAgentName", "scalar"), ("userAgentVersion", "scalar"),
        ("userAgentBuildVersion", "message"), ("extensions", "message"), ("clientFeatures", "scalar"),
        ("listeningAddresses", "message"),
    ),
    "GenericXdsConfig": (
        ("typeUrl", "scalar"), ("name", "scalar"), ("versionInfo", "scalar"), ("xdsConfig", "any"),
        ("lastUpdated", "scalar"), ("configStatus", "scalar"), ("clientStatus", "scalar"),
        ("errorState", "message"), ("isStaticResource", "scalar"),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class ProxySyncStatus:
    """One proxy's row: its ids, the istiod it talks to, and the sync status per xDS type."""
    proxy_id: str
    cluster_id: str
    namespace: str
    istiod_id: str
    istio_version: str
    types: dict[str, str] = field(default_factory=dict)  # short type -> status text

    @property
    def subscribed(self) -> str:
        """status.go: ``5 (CDS,LDS,EDS,RDS,ECDS)``, or ``0``."""
        names = sorted(self.types, key=lambda t: (_SUBSCRIBED_ORDER.index(t) if t in _SUBSCRIBED_ORDER else 99, t))
        return f"{len(names)} ({','.join(names)})" if names else "0"


def parse_syncz(istiod: str, data: bytes) -> dict:
    """One istiod's answer (either form) -> a DiscoveryResponse dict in the xDS form.

    Raises:
        DecodeError: not JSON, or neither form.
    """
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecodeError(f"sync status from {istiod} is not JSON ({exc})") from None
    if isinstance(document, list):
        return _from_http_syncz(istiod, document)
    if isinstance(document, dict) and isinstance(document.get("resources", []), list):
        return document
    raise DecodeError(f"sync status from {istiod} is neither a DiscoveryResponse nor a /debug/syncz list")


def _from_http_syncz(istiod: str, entries: list) -> dict:
    resources = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise DecodeError(f"sync status from {istiod}: list item is not an object")
        configs = []
        for prefix, type_url in _SYNCZ_TYPES:
            sent, acked = entry.get(f"{prefix}_sent", ""), entry.get(f"{prefix}_acked", "")
            # statusgen.go debugSyncStatus
            status = "NOT_SENT" if not sent else "SYNCED" if sent == acked else "STALE"
            configs.append({"typeUrl": type_url, "configStatus": status})
        proxy = str(entry.get("proxy", ""))
        metadata = {"CLUSTER_ID": entry.get("cluster_id", ""), "ISTIO_VERSION": entry.get("istio_version", "")}
        if "." in proxy:  # sidecar and gateway proxy ids are POD.NAMESPACE
            metadata["NAMESPACE"] = proxy.rsplit(".", 1)[1]
        resources.append(
            {"@type": CLIENT_CONFIG_TYPE, "node": {"id": proxy, "metadata": metadata}, "genericXdsConfigs": configs}
        )
    identifier = json.dumps({"Component": "istiod", "ID": istiod}, separators=(",", ":"))
    return {"resources": resources, "typeUrl": CLIENT_CONFIG_TYPE, "controlPlane": {"identifier": identifier}}


def istiod_id(istiod: str, response: dict) -> str:
    """multixds.CpInfo: the ID in controlPlane.identifier, else the istiod we asked."""
    try:
        return str(json.loads(response["controlPlane"]["identifier"])["ID"])
    except (KeyError, TypeError, ValueError):
        return istiod


def filter_response(response: dict, *, namespace: str = "", proxy_id: str = "") -> dict:
    """The response with only the proxies in `namespace` / with id `proxy_id` (empty: all)."""
    kept = [r for r in response.get("resources", []) if _wanted(r, namespace, proxy_id)]
    return {**response, "resources": kept}


def _wanted(resource: dict, namespace: str, proxy_id: str) -> bool:
    node = resource.get("node") or {}
    metadata = node.get("metadata") or {}
    if namespace and metadata.get("NAMESPACE") != namespace:
        return False
    return not proxy_id or node.get("id") == proxy_id


def sync_statuses(responses: dict[str, dict]) -> list[ProxySyncStatus]:
    """All proxies of all istiods, sorted by proxy id (status.go setupStatusPrint)."""
    statuses = []
    for istiod, response in responses.items():
        for resource in response.get("resources", []):
            if not isinstance(resource, dict):
                continue
            node = resource.get("node") or {}
            metadata = node.get("metadata") or {}
            types = {}
            for config in resource.get("genericXdsConfigs") or []:
                type_url = str(config.get("typeUrl", ""))
                short = _SHORT_TYPES.get(type_url, type_url.rsplit("/", 1)[-1])
                status = str(config.get("configStatus", "UNKNOWN"))
                types[short] = _STATUS_TEXT.get(status, status)
            statuses.append(
                ProxySyncStatus(
                    proxy_id=str(node.get("id", "")),
                    cluster_id=str(metadata.get("CLUSTER_ID", "")),
                    namespace=str(metadata.get("NAMESPACE", "")),
                    istiod_id=istiod_id(istiod, response),
                    istio_version=str(metadata.get("ISTIO_VERSION", "")),
                    types=types,
                )
            )
    return sorted(statuses, key=lambda s: s.proxy_id)


def status_rows(statuses: list[ProxySyncStatus], *, verbose: bool) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """(header, rows) as status.go prints them; verbose shows one column per type seen."""
    if not verbose:
        header = ("NAME", "CLUSTER", "ISTIOD", "VERSION", "SUBSCRIBED TYPES")
        rows = [(s.proxy_id, s.cluster_id, s.istiod_id, s.istio_version, s.subscribed) for s in statuses]
        return header, rows
    all_types = sorted({t for s in statuses for t in s.types})
    header = ("NAME", "CLUSTER", *all_types, "ISTIOD", "VERSION")
    rows = [
        (s.proxy_id, s.cluster_id, *(s.types.get(t, IGNORED) for t in all_types), s.istiod_id, s.istio_version)
        for s in statuses
    ]
    return header, rows


# ---- `proxy-status POD`: what istiod would send vs what the proxy has (istioctl pkg/writer/compare) ----

# (diff type, istioctl's word), in the order istioctl's Comparator.Diff prints them (comparator.go).
COMPARED_TYPES = (("cluster", "Clusters"), ("listener", "Listeners"), ("route", "Routes"))
# istioctl configdump GetDynamic*Dump set each resource's Any type to v3 so a v2 answer compares.
_V3_TYPE_URLS = {
    "cluster": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
    "listener": "type.googleapis.com/envoy.config.listener.v3.Listener",
    "route": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class SyncComparison:
    """istiod's config for a proxy (diff "before") against the proxy's own config dump ("after")."""

    diff: DumpDiff
    rds_last_loaded: datetime | None  # the proxy's newest dynamic route config, as istioctl shows it

    @property
    def equal(self) -> bool:
        """istiod's config and the proxy's are the same."""
        return self.diff.equal

    def matches(self, kind: str) -> bool:
        """No resource of `kind` differs."""
        return not any(change.type == kind for change in self.diff.changes)

    def headline(self, kind: str, tz: tzinfo | None = None) -> str:
        """istioctl's line for `kind`: "Clusters Match", "Routes Don't Match (RDS last loaded at ...)".

        `tz` is where the time is shown (default: local time, as istioctl's c.location "Local").
        """
        word = dict(COMPARED_TYPES)[kind]
        text = f"{word} Match" if self.matches(kind) else f"{word} Don't Match"
        if kind == "route" and self.rds_last_loaded is not None:
            text += f" (RDS last loaded at {rfc1123(self.rds_last_loaded, tz)})"
        return text

    def to_data(self) -> dict:
        """The JSON form: pc diff's (docs/json.md meshctl.sync-diff/v1; "removed" = only istiod has it,
        "added" = only the proxy has it) plus a match flag per type and the RDS load time."""
        loaded = self.rds_last_loaded
        return {
            "match": {kind: self.matches(kind) for kind, _ in COMPARED_TYPES},
            "rdsLastLoaded": loaded.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z") if loaded else None,
            **self.diff.to_data(),
        }


def compare_sync(istiod: ConfigDump, proxy: ConfigDump) -> SyncComparison:
    """Compare what istiod would send a proxy (its /debug/config_dump?proxyID=) with the proxy's dump.

    Like istioctl, only xDS-delivered state is compared: dynamic active clusters, the active state
    of dynamic listeners and dynamic route configs. Static resources come from the bootstrap,
    warming ones are not in use yet and draining listeners are on their way out (istioctl
    configdump GetDynamic{Cluster,Listener,Route}Dump); versions and update times are noise.
    """
    kinds = tuple(kind for kind, _ in COMPARED_TYPES)
    return SyncComparison(diff_dumps(_xds_delivered(istiod), _xds_delivered(proxy), kinds), _rds_last_loaded(proxy))


def _xds_delivered(dump: ConfigDump) -> ConfigDump:
    def entries(section: str, key: str) -> list[dict]:
        found = (dump.section(section) or {}).get(key)
        return [entry for entry in found if isinstance(entry, dict)] if isinstance(found, list) else []

    def typed(kind: str, resource) -> dict:
        return {**resource, "@type": _V3_TYPE_URLS[kind]} if isinstance(resource, dict) else resource

    clusters = [{"cluster": typed("cluster", e.get("cluster"))} for e in entries("ClustersConfigDump", "dynamic_active_clusters")]
    listeners = [
        {"active_state": {"listener": typed("listener", e["active_state"].get("listener"))}}
        for e in entries("ListenersConfigDump", "dynamic_listeners")
        if isinstance(e.get("active_state"), dict)
    ]
    routes = [{"route_config": typed("route", e.get("route_config"))} for e in entries("RoutesConfigDump", "dynamic_route_configs")]
    return ConfigDump(
        entries={
            "ClustersConfigDump": [{"dynamic_active_clusters": clusters}],
            "ListenersConfigDump": [{"dynamic_listeners": listeners}],
            "RoutesConfigDump": [{"dynamic_route_configs": routes}],
        }
    )


def _rds_last_loaded(dump: ConfigDump) -> datetime | None:
    """configdump GetLastUpdatedDynamicRouteTime: the newest valid last_updated, else None."""
    newest = None
    for entry in (dump.section("RoutesConfigDump") or {}).get("dynamic_route_configs") or ():
        stamp = entry.get("last_updated") if isinstance(entry, dict) else None
        try:
            moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
        except ValueError:
            continue  # istioctl skips timestamps that are not IsValid()
        if moment is not None and moment.tzinfo is not None and (newest is None or moment > newest):
            newest = moment
    return newest


def rfc1123(moment: datetime, tz: tzinfo | None = None) -> str:
    """Go's time.RFC1123 ("Mon, 02 Jan 2006 15:04:05 MST"), English names whatever the locale."""
    local = moment.astimezone(tz)
    return f"{_WEEKDAYS[local.weekday()]}, {local:%d} {_MONTHS[local.month - 1]} {local:%Y %H:%M:%S} {local.tzname()}"


def first_config_dump(answers: dict[str, bytes]) -> tuple[str, ConfigDump] | None:
    """The first istiod answer (by istiod name) that is a config dump, as (istiod, dump).

    Only the istiod the proxy is connected to has its config; the others answer an error text
    (istioctl NewComparator takes the first answer that unmarshals).
    """
    for istiod, data in sorted(answers.items()):
        try:
            return istiod, parse_config_dump(data)
        except DecodeError:
            continue
    return None
