"""ztunnel's admin API as a source: which ztunnel pod to read, and its answers (I/O only).

istioctl/pkg/ztunnelconfig/ztunnelconfig.go runConfigDump chooses the ztunnel:

- a pod (or TYPE/NAME) named on the command line, in -n, else the Istio namespace
  (getComponentPodName); when it is not a ztunnel (istioctl/pkg/util/ambient IsZtunnelPod), it is
  a workload pod: the ztunnel on its node is read and the views filter to that workload;
- ``--node NODE``: the ztunnel DaemonSet's pod on that node (PodOnNodeFromDaemonset: the
  DaemonSet's matchLabels and spec.nodeName, the first pod in kubectl's log order);
- neither: ``daemonset/ztunnel`` in the Istio namespace, one pod chosen as kubectl would; views
  whose content differs per ztunnel (certificate, connections) require exactly one such pod.

The admin API (port 15000, --proxy-admin-port) is read over port-forward, as istioctl does
(EnvoyDoWithPort); when port-forward is refused, ``curl`` is run in the ztunnel's ``istio-proxy``
container, which works on images that have a shell and curl (Istio's debug variants; the default
distroless ztunnel image has neither, and the error then gives both reasons).
"""

from __future__ import annotations

from dataclasses import dataclass

from meshctl.errors import SourceError, UsageError
from meshctl.model.ambient import by_logging_key, is_ztunnel_pod
from meshctl.model.labels import LabelSelector
from meshctl.model.pods import PROXY_CONTAINER, PodEndpoint, pod_key
from meshctl.model.refs import PodRef
from meshctl.sources.base import ClusterAccess, Notify

ZTUNNEL_DAEMONSET = "ztunnel"
# argv + the admin path as $0: `sh -c 'exec curl ... "http://localhost:15000/$0"' config_dump`.
_CURL = 'exec curl -sS --fail-with-body --max-time 60 "http://localhost:{port}/$0"'


def ztunnel_admin(port: int) -> PodEndpoint:
    """ztunnel's admin API in its istio-proxy container (the chart's container name)."""
    return PodEndpoint(port, PROXY_CONTAINER, ("sh", "-c", _CURL.format(port=port)))


@dataclass(frozen=True)
class ZtunnelTarget:
    """The ztunnel pod to read, and the workload pod the user named instead, if any."""

    pod: dict
    workload_name: str = ""
    workload_namespace: str = ""


def daemonset_pods(cluster: ClusterAccess, namespace: str, name: str = ZTUNNEL_DAEMONSET) -> list[dict]:
    """The pods of the ztunnel DaemonSet (its spec.selector.matchLabels), in kubectl's log order."""
    daemonset = cluster.read("/apis/apps/v1", "daemonsets", name, namespace)
    match_labels = ((daemonset.get("spec") or {}).get("selector") or {}).get("matchLabels")
    if not match_labels:
        raise SourceError(f"daemonset {name} in namespace {namespace}: selector is required")
    pods = cluster.list("/api/v1", "pods", namespace, str(LabelSelector.from_map(match_labels)))
    return sorted(pods, key=by_logging_key)


def ztunnel_on_node(cluster: ClusterAccess, node: str, namespace: str) -> dict:
    """istioctl PodOnNodeFromDaemonset: the ztunnel DaemonSet's first pod on `node`."""
    for pod in daemonset_pods(cluster, namespace):
        if (pod.get("spec") or {}).get("nodeName") == node:
            return pod
    raise SourceError(f"no ztunnel pod on node {node} (daemonset {ZTUNNEL_DAEMONSET} in {namespace})")


def resolve_ztunnel(cluster: ClusterAccess, ref: str | None, *, node: str | None, single: bool) -> ZtunnelTarget:
    """The ztunnel to read for a positional POD (ztunnel or workload), --node, or neither.

    `single`: with neither, the DaemonSet must have exactly one pod (views that differ per ztunnel).
    """
    options = cluster.options
    istio_namespace = options.istio_namespace
    if node:
        return ZtunnelTarget(ztunnel_on_node(cluster, node, istio_namespace))
    if ref is None:
        if single:
            pods = daemonset_pods(cluster, istio_namespace)
            if len(pods) != 1:
                raise UsageError(f"ztunnel pod name or --node must be set ({len(pods)} ztunnel pods in {istio_namespace})")
            return ZtunnelTarget(pods[0])
        return ZtunnelTarget(cluster.resolve_pod(PodRef("daemonset", ZTUNNEL_DAEMONSET, istio_namespace)))
    pod = cluster.resolve_pod(PodRef.parse(ref, options.namespace or istio_namespace))
    if is_ztunnel_pod(pod):
        return ZtunnelTarget(pod)
    # A workload pod: read the ztunnel on its node, and show only this workload.
    meta = pod.get("metadata") or {}
    workload_node = (pod.get("spec") or {}).get("nodeName")
    if not workload_node:
        raise SourceError(f"pod {pod_key(pod)} is not scheduled to a node")
    try:
        ztunnel = ztunnel_on_node(cluster, workload_node, istio_namespace)
    except SourceError as exc:
        raise SourceError(f"failed to find ztunnel on node {workload_node} for pod {pod_key(pod)}: {exc}") from None
    return ZtunnelTarget(ztunnel, str(meta.get("name", "")), str(meta.get("namespace", "")))


class ZtunnelSource:
    """A Source over one ztunnel pod's admin API (port-forward, else curl by exec; or --snapshot)."""

    def __init__(self, cluster: ClusterAccess, pod: dict, port: int, notify: Notify | None = None) -> None:
        self.cluster = cluster
        self.pod = pod
        self.endpoint = ztunnel_admin(port)
        self.notify = notify

    def fetch(self, path: str) -> bytes:
        """GET `path` from the ztunnel's admin API."""
        return self.cluster.fetch_from_pod(self.pod, self.endpoint, path, self.notify).data

    def describe(self) -> str:
        """"ztunnel NAME.NAMESPACE"."""
        return f"ztunnel {pod_key(self.pod)}"


def post_admin(cluster: ClusterAccess, pod: dict, port: int, path: str) -> str:
    """POST an admin path (``logging?level=...``) over a port-forward; the answer as text.

    istioctl EnvoyDoWithPort(..., "POST", ...): port-forward only, as here.
    """
    import http.client

    with cluster.port_forward(pod, port) as forwarding:
        connection = http.client.HTTPConnection("127.0.0.1", forwarding.port, timeout=cluster.timeout)
        try:
            connection.request("POST", f"/{path}")
            response = connection.getresponse()
            body = response.read(1 << 20).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            reason = "; ".join(forwarding.errors) or str(exc) or type(exc).__name__
            raise SourceError(f"failed to execute command on Ztunnel {pod_key(pod)}: {reason}") from None
        finally:
            connection.close()
    if response.status != 200:
        first = body.strip().splitlines()[:1]
        raise SourceError(f"ztunnel {pod_key(pod)} answered /{path} with HTTP {response.status}" + (f": {first[0]}" if first else ""))
    return body
