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
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

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
