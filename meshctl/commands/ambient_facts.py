"""Reading what ambient verdicts and checks need from the cluster (I/O for `explain mtls` and `check`).

Not a command: the glue `explain` and `check` share to gather ambient facts (the ztunnel dumps of
the nodes that matter, namespace labels, pods, waypoints) into meshctl.analyze.ambient's
`ConnectionFacts` and meshctl.analyze.ambient_check's `AmbientFacts`. A read that fails leaves
that fact unknown (a NodeZtunnel with an error, waypoints None), never the run failed; the
analyses then say "unknown" or "cannot read" instead of passing.
"""

from __future__ import annotations

from collections.abc import Iterable

from meshctl.analyze.ambient import ConnectionFacts, NodeZtunnel, Waypoint, waypoint_uses, waypoints_from_gateways, ztunnels_by_node
from meshctl.errors import MeshctlError, SourceError
from meshctl.model.ambient import DATAPLANE_MODE_LABEL, USE_WAYPOINT_LABEL
from meshctl.model.pods import pod_key

GATEWAYS = ("/apis/gateway.networking.k8s.io/v1", "gateways")


def ztunnel_pods(cluster) -> list[dict] | None:
    """The ztunnel DaemonSet's pods; None when the cluster has no ztunnel DaemonSet (not ambient)."""
    from meshctl.sources.ztunnel import daemonset_pods

    try:
        return daemonset_pods(cluster, cluster.options.istio_namespace)
    except SourceError:
        return None


def read_ztunnels(env, cluster, nodes: Iterable[str], pods: list[dict] | None = None) -> dict[str, NodeZtunnel]:
    """The ztunnel of each node with its decoded dump (fetched concurrently, with the progress bar on
    a terminal: sources.fleet.run_each), or why there is none."""
    from meshctl.decode.ztunnel import parse
    from meshctl.sources.fleet import OK, run_each
    from meshctl.sources.ztunnel import ZtunnelSource

    pods = ztunnel_pods(cluster) if pods is None else pods
    by_node = ztunnels_by_node(pods or [])
    nodes = sorted(set(nodes))
    found = {node: NodeZtunnel(node) for node in nodes if node not in by_node}
    node_of = {pod_key(by_node[node]): node for node in nodes if node in by_node}

    def read(pod: dict):
        return parse(ZtunnelSource(cluster, pod, env.kube.proxy_admin_port, env.notifier()).fetch("config_dump"))

    targets = [by_node[node] for node in nodes if node in by_node]
    for result in run_each(targets, read, concurrency=8, progress=env.terminal.progress, label="reading ztunnels", stream=env.stderr):
        node = node_of[result.name]
        if result.status != OK:
            found[node] = NodeZtunnel(node, result.name, None, result.error)
            continue
        for message in result.value.warnings:
            env.warn(f"ztunnel {result.name}: {message}")
        found[node] = NodeZtunnel(node, result.name, result.value)
    return {node: found[node] for node in nodes}


def namespace_labels(cluster, names: Iterable[str]) -> dict[str, dict]:
    """Labels of each namespace ({} for one that cannot be read)."""
    found = {}
    for name in sorted(set(names)):
        try:
            found[name] = (cluster.read("/api/v1", "namespaces", name, "").get("metadata") or {}).get("labels") or {}
        except SourceError:
            found[name] = {}
    return found


def read_waypoints(cluster) -> tuple[list[Waypoint] | None, str]:
    """(the waypoints, "") or (None, why they are unknown)."""
    try:
        return waypoints_from_gateways(cluster.list(*GATEWAYS)), ""
    except SourceError as exc:
        return None, f"Gateways not read ({exc})"


def connection_facts(env, cluster, src_pod: dict, host: str) -> ConnectionFacts:
    """Facts for `explain mtls` from ambient pod `src_pod` to DST `host`: SRC's node's ztunnel first
    (it resolves DST), then the ztunnels of the backends' nodes and the backends' pods."""
    from meshctl.analyze.ambient import resolve_destination

    src_ns = (src_pod.get("metadata") or {}).get("namespace", "")
    src_node = (src_pod.get("spec") or {}).get("nodeName", "")
    pods = ztunnel_pods(cluster)
    ztunnels = read_ztunnels(env, cluster, [src_node], pods)
    dump = ztunnels[src_node].dump if src_node in ztunnels else None
    backends = resolve_destination(dump, host, src_ns)[2] if dump is not None else []
    ztunnels.update(read_ztunnels(env, cluster, {b.node for b in backends if b.node} - {src_node}, pods))
    dst_pods = []
    for backend in backends:
        try:
            dst_pods.append(cluster.read("/api/v1", "pods", backend.name, backend.namespace))
        except SourceError:
            pass  # a WorkloadEntry, or a pod that went away: the ztunnel's view stands alone
    namespaces = {src_ns, *(b.namespace for b in backends)}
    labels = namespace_labels(cluster, namespaces)
    waypoints, _ = read_waypoints(cluster)
    return ConnectionFacts(src_pod=src_pod, src_namespace_labels=labels.get(src_ns, {}), dst_pods=dst_pods,
                           dst_namespace_labels=labels, ztunnels=ztunnels, waypoints=waypoints or [],
                           waypoints_known=waypoints is not None)  # fmt: skip


def destination_facts(env, cluster, ips: Iterable[str]) -> ConnectionFacts | None:
    """Facts about destination pods at `ips` for a sidecar SRC: None when the cluster is not
    ambient (no ztunnel DaemonSet) or no IP is a pod's."""
    from meshctl.model.mesh import pod_ips

    wanted = set(ips)
    if not wanted:
        return None
    pods = ztunnel_pods(cluster)
    if pods is None:
        return None
    found = [p for p in cluster.list("/api/v1", "pods") if wanted & set(pod_ips(p))]
    if not found:
        return None
    namespaces = {p["metadata"]["namespace"] for p in found}
    ztunnels = read_ztunnels(env, cluster, {(p.get("spec") or {}).get("nodeName", "") for p in found} - {""}, pods)
    return ConnectionFacts(dst_pods=found, dst_namespace_labels=namespace_labels(cluster, namespaces), ztunnels=ztunnels)


def check_facts(env, cluster, *, namespace: str, all_namespaces: bool, selector: str, now, cert_warn):
    """`check`'s AmbientFacts for the selected namespace (or all), or None when the cluster runs no
    ztunnel and no pod there is enrolled in ambient."""
    from meshctl.analyze.ambient_check import AmbientFacts

    where = "" if all_namespaces else namespace
    ztunnels = ztunnel_pods(cluster)
    namespaces = cluster.list("/api/v1", "namespaces")
    labels = {n["metadata"]["name"]: n["metadata"].get("labels") or {} for n in namespaces}
    if ztunnels is None and not any(DATAPLANE_MODE_LABEL in found for found in labels.values()) \
            and not cluster.list("/api/v1", "pods", where, DATAPLANE_MODE_LABEL):
        return None  # not an ambient cluster: three reads, and the sidecar checks stand alone
    pods = cluster.list("/api/v1", "pods", where, selector)
    enrolled = [p for p in pods if DATAPLANE_MODE_LABEL in labels.get(p["metadata"]["namespace"], {})
                or DATAPLANE_MODE_LABEL in (p["metadata"].get("labels") or {})]  # fmt: skip
    # Every ztunnel with -A; else those of the nodes the selected ambient pods run on.
    scope = (ztunnels or []) if all_namespaces else enrolled
    nodes = {(p.get("spec") or {}).get("nodeName", "") for p in scope} - {""}
    waypoints, why = read_waypoints(cluster)
    if waypoints is not None and not all_namespaces:
        waypoints = [w for w in waypoints if w.namespace == namespace]
    uses = waypoint_uses(
        [n for n in namespaces if not where or n["metadata"]["name"] == where],
        cluster.list("/api/v1", "services", where, USE_WAYPOINT_LABEL),
        [p for p in pods if USE_WAYPOINT_LABEL in (p["metadata"].get("labels") or {})],
    )
    return AmbientFacts(
        now=now, cert_warn=cert_warn, pods=tuple(pods), namespace_labels=labels,
        ztunnels=read_ztunnels(env, cluster, nodes, ztunnels or []),
        waypoints=tuple(waypoints) if waypoints is not None else None, uses=tuple(uses),
        unknown={"gateways": why} if why else {},
    )  # fmt: skip


def ambient_source(env, spec: str) -> dict | None:
    """The pod `spec` names when it has no sidecar (an ambient SRC), else None (the sidecar path).

    Errors resolving the pod are left to the sidecar path, which reports them as it always did.
    """
    from meshctl.model.pods import has_proxy
    from meshctl.model.refs import PodRef

    cluster = env.cluster()
    try:
        pod = cluster.resolve_pod(PodRef.parse(spec, env.kube.namespace or cluster.namespace))
    except MeshctlError:
        return None
    return None if has_proxy(pod) else pod


def with_ambient_destinations(env, explanation, now, pods=None):
    """explain mtls (sidecar SRC): add what the ztunnel of each captured destination pod does.

    `pods` is explain's PodIndex (meshctl.model.mesh): when it was read, only endpoints that are
    ambient pods there make the ztunnels be read; without it, the pods are listed here.
    """
    from meshctl.analyze import ambient_verdict
    from meshctl.model.mesh import AMBIENT

    ips = {ambient_verdict.endpoint_ip(r.address) for path in explanation.paths for r in path.endpoints} - {""}
    if pods is not None and pods.known:
        ips = {ip for ip in ips if (fact := pods.at(ip)) is not None and fact.dataplane == AMBIENT}
    try:
        facts = destination_facts(env, env.cluster(), ips)
    except MeshctlError:
        return explanation  # pods not listable: the sidecar analysis stands alone
    if facts is None:
        return explanation
    return ambient_verdict.with_ambient_destinations(explanation, facts, now=now)
