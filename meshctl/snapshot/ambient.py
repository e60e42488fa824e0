"""What a snapshot keeps of ambient mode (I/O): ztunnels, their dumps, waypoints and what uses them.

Captured whatever pods are selected, since they serve every node: the ztunnel DaemonSet and each
of its pods' ``/config_dump`` (``pods/NS/ZTUNNEL/config_dump.json``, the member a sidecar's dump
has: a ztunnel pod is never a sidecar pod), every Gateway API Gateway (``waypoint list|status``;
the list is recorded in ``cluster/recorded.json`` as capture's lists are) and the namespaces
labelled ``istio.io/dataplane-mode`` or ``istio.io/use-waypoint``. The pods (ztunnels and workloads)
and Services are the ones every snapshot records (meshctl.snapshot.capture FACT_LISTS). A cluster
without the DaemonSet or the Gateway API simply has none of them: that is "not present", not a
failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from meshctl.archive import layout
from meshctl.errors import SourceError
from meshctl.model.ambient import DATAPLANE_MODE_LABEL, USE_WAYPOINT_LABEL
from meshctl.sources.base import ClusterAccess

GATEWAYS = ("/apis/gateway.networking.k8s.io/v1", "gateways", "Gateway")
_API_V1 = "/api/v1"
_DAEMONSETS = ("/apis/apps/v1", "daemonsets", "DaemonSet")


def ztunnel_pods(kube: ClusterAccess) -> list[dict]:
    """The ztunnel DaemonSet's running pods ([] when the cluster has no ztunnel)."""
    from meshctl.sources.ztunnel import daemonset_pods

    try:
        pods = daemonset_pods(kube, kube.options.istio_namespace)
    except SourceError:
        return []
    return [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]


def ambient_objects(kube: ClusterAccess, ztunnels: list[dict], failures: list[dict], recorded: dict) -> Iterator[tuple[str, dict]]:
    """(member, object as a GET returns it) for the ambient API objects; `recorded` gets the
    Gateways' list, read across namespaces."""
    istio_ns = kube.options.istio_namespace

    def gateways() -> list[dict]:
        found = kube.list(*GATEWAYS[:2])
        recorded[f"{GATEWAYS[0]}/{GATEWAYS[1]}"] = "*"
        return found

    reads: list[tuple[str, tuple[str, str, str], Callable[[], list[dict]], bool]] = [
        # (what, (prefix, plural, kind), read, absent is fine)
        ("daemonset ztunnel", _DAEMONSETS, lambda: [kube.read(*_DAEMONSETS[:2], "ztunnel", istio_ns)] if ztunnels else [], True),
        ("gateways", GATEWAYS, gateways, True),
        ("ambient namespaces", (_API_V1, "namespaces", "Namespace"), lambda: _labelled(kube, "namespaces"), False),
    ]  # fmt: skip
    for what, (prefix, plural, kind), read, absent_ok in reads:
        try:
            objects = read()
        except SourceError as exc:
            if not (absent_ok and "not found" in str(exc).lower()):
                failures.append({"what": what, "error": str(exc)})
            continue
        for obj in objects:
            api_version = prefix.removeprefix("/apis/").removeprefix("/api/")
            yield _member(prefix, plural, obj), {"kind": kind, "apiVersion": api_version, **obj}


def _labelled(kube: ClusterAccess, plural: str) -> list[dict]:
    """Objects labelled istio.io/dataplane-mode or istio.io/use-waypoint, by namespace and name."""
    found = {}
    for label in (DATAPLANE_MODE_LABEL, USE_WAYPOINT_LABEL):
        for obj in kube.list(_API_V1, plural, "", label):
            meta = obj.get("metadata") or {}
            found[(meta.get("namespace", ""), meta.get("name", ""))] = obj
    return [found[key] for key in sorted(found)]


def _member(prefix: str, plural: str, obj: dict) -> str:
    meta = obj.get("metadata") or {}
    return layout.object_member(prefix, plural, meta.get("namespace", ""), meta.get("name", ""))


def capture_ztunnel(kube: ClusterAccess, writer, pod: dict, admin_port: int) -> None:
    """Store one ztunnel's /config_dump (port-forward, else curl by exec)."""
    from meshctl.sources.ztunnel import ZtunnelSource

    meta = pod["metadata"]
    data = ZtunnelSource(kube, pod, admin_port).fetch("config_dump")
    writer.add_bytes(layout.pod_member(meta["namespace"], meta["name"], "config_dump"), data)


def capture_ztunnels(kube: ClusterAccess, writer, ztunnels: list[dict], admin_port: int, concurrency: int, *,
                     progress: bool | None = None, stream=None) -> dict:
    """Every ztunnel's dump, concurrently (a progress bar on `stream` as run_each decides);
    {pod key: {"status", "error"?}} for the manifest."""
    from meshctl.sources.fleet import run_each

    rows = {}
    for result in run_each(ztunnels, lambda pod: capture_ztunnel(kube, writer, pod, admin_port), concurrency=concurrency,
                           progress=progress, label="snapshot ztunnels", stream=stream):  # fmt: skip
        rows[result.name] = {"status": result.status, **({"error": result.error} if result.error else {})}
    return {key: rows[key] for key in sorted(rows)}

