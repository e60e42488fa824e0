"""Ambient mode facts: which pods ztunnel captures, which ztunnel and waypoint serve them, and what
each ztunnel's dump says about a workload (pure; inputs are Kubernetes objects and ZtunnelDumps).

Istio's rules, ported:

- Enrolment (istio cni/pkg/util/podutil.go PodRedirectionEnabled): a pod is redirected to ztunnel
  when its namespace or itself is labelled ``istio.io/dataplane-mode=ambient``, it has no sidecar
  (annotation ``sidecar.istio.io/status``), it is not labelled ``istio.io/dataplane-mode=none``,
  and it is not on the host network. istio-cni marks a pod it captured with the annotation
  ``ambient.istio.io/redirection: enabled``: a pod enrolled by labels but without it (started
  before istio-cni, say) bypasses ztunnel until it restarts.
- Identity (pkg/spiffe): ``spiffe://<trust domain>/ns/<namespace>/sa/<service account>``.
- Waypoints: Gateways of class ``istio-waypoint``; what uses one is labelled
  ``istio.io/use-waypoint`` (namespace, service or pod; a pod's or service's label wins over its
  namespace's, and ``none`` opts out), ``istio.io/use-waypoint-namespace`` names another namespace.
  What ztunnel will actually do is in its dump (a workload's or service's ``waypoint``).
- istioctl's ztunnel lookups (istioctl/pkg/ztunnelconfig, istioctl/pkg/util/ambient): a ztunnel pod
  is labelled app=ztunnel (or, when unlabelled, named ztunnel*); the ztunnel for a node is the
  DaemonSet's pod on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from meshctl.analyze.ztunnel import equal_fold, waypoint_name
from meshctl.model.ambient import (
    AMBIENT,
    DATAPLANE_MODE_LABEL,
    DEFAULT_TRUST_DOMAIN,
    NO_MESH,
    REDIRECTION_ANNOTATION,
    SIDECAR,
    SIDECAR_STATUS_ANNOTATION,
    USE_WAYPOINT_LABEL,
    USE_WAYPOINT_NAMESPACE_LABEL,
    WAYPOINT_CLASS,
    WAYPOINT_FOR_LABEL,
    by_logging_key,
    redirected,
)
from meshctl.model.ztunnel import CertsDump, ZtunnelDump, ZtunnelService, ZtunnelWorkload


@dataclass(frozen=True)
class DataplaneMode:
    """How a pod takes part in the mesh, and why."""

    mode: str  # ambient | sidecar | none
    reason: str
    captured: bool = False  # istio-cni's redirection annotation says enabled

    @property
    def bypassed(self) -> bool:
        """Enrolled in ambient by labels, but istio-cni has not redirected it: traffic skips ztunnel."""
        return self.mode == AMBIENT and not self.captured


def _meta(obj: Mapping | None) -> Mapping:
    return (obj or {}).get("metadata") or {}


def labels_of(obj: Mapping | None) -> Mapping[str, str]:
    """An object's labels ({} when it has none)."""
    return _meta(obj).get("labels") or {}


def pod_key(pod: Mapping) -> str:
    """"name.namespace", the way meshctl names pods."""
    meta = _meta(pod)
    return f"{meta.get('name', '')}.{meta.get('namespace', '')}"


def dataplane_mode(pod: Mapping, namespace_labels: Mapping[str, str]) -> DataplaneMode:
    """The pod's data plane (istio cni PodRedirectionEnabled, plus the sidecar case)."""
    meta = _meta(pod)
    annotations = meta.get("annotations") or {}
    labels = meta.get("labels") or {}
    namespace = meta.get("namespace", "")
    captured = redirected(pod)
    if SIDECAR_STATUS_ANNOTATION in annotations:
        return DataplaneMode(SIDECAR, f"has a sidecar ({SIDECAR_STATUS_ANNOTATION})", captured)
    if labels.get(DATAPLANE_MODE_LABEL) == NO_MESH:
        return DataplaneMode(NO_MESH, f"opted out (pod label {DATAPLANE_MODE_LABEL}=none)", captured)
    if labels.get(DATAPLANE_MODE_LABEL) == AMBIENT:
        enrolled = f"pod label {DATAPLANE_MODE_LABEL}=ambient"
    elif namespace_labels.get(DATAPLANE_MODE_LABEL) == AMBIENT:
        enrolled = f"namespace {namespace} labelled {DATAPLANE_MODE_LABEL}=ambient"
    else:
        return DataplaneMode(NO_MESH, f"not in the mesh: no sidecar, and neither the pod nor namespace {namespace} has {DATAPLANE_MODE_LABEL}=ambient", captured)
    if (pod.get("spec") or {}).get("hostNetwork"):
        return DataplaneMode(NO_MESH, f"{enrolled}, but host-network pods cannot be captured", captured)
    if not captured:
        enrolled += f"; not redirected by istio-cni yet (no {REDIRECTION_ANNOTATION}: enabled): its traffic bypasses ztunnel until it restarts"
    return DataplaneMode(AMBIENT, enrolled, captured)


def spiffe_identity(namespace: str, service_account: str, trust_domain: str = "") -> str:
    """pkg/spiffe: spiffe://<trust domain>/ns/<namespace>/sa/<service account>."""
    return f"spiffe://{trust_domain or DEFAULT_TRUST_DOMAIN}/ns/{namespace}/sa/{service_account or 'default'}"


def workload_identity(workload: ZtunnelWorkload) -> str:
    """The SPIFFE identity of a ztunnel workload."""
    return spiffe_identity(workload.namespace, workload.service_account, workload.trust_domain)


def find_workload(dump: ZtunnelDump, *, name: str = "", namespace: str = "", ips: Iterable[str] = ()) -> ZtunnelWorkload | None:
    """The workload a ztunnel knows by pod name and namespace, else by one of its IPs."""
    workloads = dump.workloads or ()
    if name:
        for workload in workloads:
            if equal_fold(workload.name, name) and equal_fold(workload.namespace, namespace):
                return workload
    wanted = set(ips)
    for workload in workloads:
        if wanted & set(workload.workload_ips or ()):
            return workload
    return None


def find_service(dump: ZtunnelDump, host: str, namespace: str = "") -> ZtunnelService | None:
    """The service a ztunnel knows as `host`: a VIP, its hostname, "name.namespace[.svc...]" or a
    name in `namespace`."""
    for service in dump.services or ():
        vips = {vip.partition("/")[2] for vip in service.addresses or ()}
        short = f"{service.name}.{service.namespace}"
        if host in vips or host == service.hostname or host in (short, f"{short}.svc") or (host == service.name and service.namespace == namespace):
            return service
    return None


def service_endpoints(dump: ZtunnelDump, service: ZtunnelService) -> list[ZtunnelWorkload]:
    """The workloads behind a service, as the ztunnel knows them (by uid)."""
    by_uid = {workload.uid: workload for workload in dump.workloads or ()}
    return [by_uid[ep.workload_uid] for ep in (service.endpoints or {}).values() if ep is not None and ep.workload_uid in by_uid]


def resolve_destination(dump: ZtunnelDump, host: str, namespace: str = "") -> tuple[ZtunnelService | None, ZtunnelWorkload | None, list[ZtunnelWorkload]]:
    """What a ztunnel makes of DST `host`: (the service, else the workload, and the backends).

    A service (VIP, hostname, "name.namespace", a name in `namespace`) wins over a workload (an IP,
    or "pod.namespace"); neither: (None, None, []), ztunnel passes the connection through.
    """
    service = find_service(dump, host, namespace)
    if service is not None:
        return service, None, service_endpoints(dump, service)
    name, _, pod_namespace = host.partition(".")
    workload = find_workload(dump, name=name if pod_namespace else "", namespace=pod_namespace, ips=(host,))
    return None, workload, [workload] if workload else []


def certificate_for(dump: ZtunnelDump, identity: str) -> CertsDump | None:
    """The ztunnel's certificate entry for an identity (the last one: ztunnel lists one per identity)."""
    found = [c for c in dump.certificates or () if c.identity == identity]
    return found[-1] if found else None


@dataclass(frozen=True)
class Waypoint:
    """A waypoint Gateway (class istio-waypoint) as the cluster reports it."""

    name: str
    namespace: str
    revision: str = "default"  # istioctl waypoint list: label istio.io/rev, else "default"
    traffic_type: str = "none"  # label istio.io/waypoint-for, else "none" (istiod then defaults to service)
    conditions: tuple[Mapping, ...] = ()
    addresses: tuple[str, ...] = ()

    @property
    def programmed(self) -> str:
        """istioctl waypoint list's PROGRAMMED: the Programmed condition's status, else "False"."""
        status = "False"
        for condition in self.conditions:
            if condition.get("type") == "Programmed":
                status = str(condition.get("status", ""))
        return status


def waypoints_from_gateways(gateways: Iterable[Mapping]) -> list[Waypoint]:
    """Waypoints among Gateways, sorted by namespace then name (istioctl waypoint list)."""
    found = []
    for gateway in gateways:
        if ((gateway.get("spec") or {}).get("gatewayClassName")) != WAYPOINT_CLASS:
            continue
        meta, labels = _meta(gateway), labels_of(gateway)
        status = gateway.get("status") or {}
        found.append(Waypoint(
            name=str(meta.get("name", "")), namespace=str(meta.get("namespace", "")),
            revision=labels.get("istio.io/rev") or "default", traffic_type=labels.get(WAYPOINT_FOR_LABEL) or "none",
            conditions=tuple(c for c in status.get("conditions") or [] if isinstance(c, Mapping)),
            addresses=tuple(str(a.get("value")) for a in status.get("addresses") or [] if isinstance(a, Mapping) and a.get("value")),
        ))  # fmt: skip
    return sorted(found, key=lambda w: (w.namespace, w.name))


@dataclass(frozen=True)
class WaypointUse:
    """An object labelled to use a waypoint."""

    kind: str  # Namespace | Service | Pod
    name: str
    namespace: str
    waypoint: str  # the waypoint's name ("none" opts out)
    waypoint_namespace: str

    def to_dict(self) -> dict:
        """The JSON form (`waypoint list -o json` usedBy)."""
        return {"kind": self.kind, "name": self.name, "namespace": self.namespace,
                "waypoint": self.waypoint, "waypointNamespace": self.waypoint_namespace}  # fmt: skip


def waypoint_uses(namespaces: Iterable[Mapping] = (), services: Iterable[Mapping] = (), pods: Iterable[Mapping] = ()) -> list[WaypointUse]:
    """Every namespace, service and pod labelled istio.io/use-waypoint, in that order."""
    uses = []
    for kind, objects in (("Namespace", namespaces), ("Service", services), ("Pod", pods)):
        for obj in objects:
            labels = labels_of(obj)
            if USE_WAYPOINT_LABEL not in labels:
                continue
            meta = _meta(obj)
            namespace = str(meta.get("name", "")) if kind == "Namespace" else str(meta.get("namespace", ""))
            uses.append(WaypointUse(kind, str(meta.get("name", "")), namespace, labels[USE_WAYPOINT_LABEL],
                                    labels.get(USE_WAYPOINT_NAMESPACE_LABEL) or namespace))
    return uses


def users_of(waypoint: Waypoint, uses: Iterable[WaypointUse]) -> list[WaypointUse]:
    """The uses that name `waypoint`."""
    return [use for use in uses if use.waypoint == waypoint.name and use.waypoint_namespace == waypoint.namespace]


def dangling_uses(waypoints: Iterable[Waypoint], uses: Iterable[WaypointUse]) -> list[WaypointUse]:
    """Labels naming a waypoint that does not exist ("none" opts out and is not one)."""
    known = {(w.namespace, w.name) for w in waypoints}
    return [use for use in uses if use.waypoint != "none" and (use.waypoint_namespace, use.waypoint) not in known]


@dataclass(frozen=True)
class NodeZtunnel:
    """The ztunnel of one node: its pod ("name.namespace") and dump, or why the dump is missing."""

    node: str
    pod: str = ""
    dump: ZtunnelDump | None = None
    error: str = ""

    @property
    def describe(self) -> str:
        """For messages: "ztunnel NAME.NS (node N)" or "no ztunnel on node N"."""
        return f"ztunnel {self.pod} (node {self.node})" if self.pod else f"no ztunnel on node {self.node}"


def ztunnels_by_node(ztunnel_pods: Iterable[Mapping]) -> dict[str, Mapping]:
    """The ztunnel pod of each node: istioctl PodOnNodeFromDaemonset takes the first of the
    DaemonSet's pods on the node in kubectl's log order (podutils.ByLogging)."""
    chosen: dict[str, Mapping] = {}
    for pod in sorted(ztunnel_pods, key=by_logging_key):
        node = (pod.get("spec") or {}).get("nodeName")
        if node and node not in chosen:
            chosen[node] = pod
    return chosen


def waypoint_of(dump: ZtunnelDump, workload: ZtunnelWorkload | None, service: ZtunnelService | None) -> str:
    """The waypoint ztunnel sends to: the service's for traffic to a service, else the workload's;
    "" when there is none (waypointName's "None"), "NA" when the address is unknown to ztunnel."""
    target = service.waypoint if service is not None else workload.waypoint if workload is not None else None
    name = waypoint_name(target, dump.services or ())
    return "" if name == "None" else name


@dataclass
class ConnectionFacts:
    """Everything explain/check know about the two ends of a connection (filled by the command)."""

    src_pod: Mapping | None = None
    src_namespace_labels: Mapping[str, str] = field(default_factory=dict)
    dst_pods: list[Mapping] = field(default_factory=list)
    dst_namespace_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # namespace -> labels
    ztunnels: Mapping[str, NodeZtunnel] = field(default_factory=dict)  # node -> its ztunnel
    waypoints: list[Waypoint] = field(default_factory=list)
    waypoints_known: bool = False  # Gateways were read (absent CRDs: False)
