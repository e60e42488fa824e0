"""What the sidecar injector reads from a cluster: its ConfigMaps, the nodes, the webhook configurations.

I/O only: the reads `meshctl inject` and `inject-preview` make in cluster mode (istioctl
kube-inject without config files). Which ConfigMaps to read for a revision, and what the node
versions mean for native sidecars, is `meshctl.inject.config`'s business.
"""

from __future__ import annotations

from meshctl.errors import SourceError
from meshctl.sources.base import ClusterAccess

WEBHOOK_CONFIGURATIONS = ("/apis/admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations")


def injector_configmaps(cluster: ClusterAccess, injector_name: str, mesh_name: str, values_name: str = "") -> dict:
    """The injector's `config`, the `values` (of `values_name`, default the injector's ConfigMap)
    and the mesh config: ``{"inject_config", "values", "mesh"}``.

    Raises:
        SourceError: a ConfigMap is missing, or the injector's has no `config` key.
    """
    istio_ns = cluster.options.istio_namespace
    injector = cluster.read("/api/v1", "configmaps", injector_name, istio_ns).get("data") or {}
    mesh = cluster.read("/api/v1", "configmaps", mesh_name, istio_ns).get("data") or {}
    if "config" not in injector:
        raise SourceError(f"configmap {injector_name} in namespace {istio_ns} has no `config` key")
    values = injector if values_name in ("", injector_name) else cluster.read("/api/v1", "configmaps", values_name, istio_ns).get("data") or {}
    return {"inject_config": injector["config"], "values": values.get("values"), "mesh": mesh.get("mesh")}


def nodes(cluster: ClusterAccess) -> list[dict]:
    """Every node (their kubelet versions decide native sidecars)."""
    return cluster.list("/api/v1", "nodes")


def webhook_configurations(cluster: ClusterAccess) -> list[dict]:
    """The MutatingWebhookConfigurations; an error says the firing webhook cannot be told without them."""
    try:
        return cluster.list(*WEBHOOK_CONFIGURATIONS)
    except SourceError as exc:
        raise SourceError(f"{exc}; cannot tell which injector webhook fires: give --revision") from None


def namespace_labels(cluster: ClusterAccess, namespace: str, workload: str) -> dict | None:
    """The labels of `namespace`; None when it does not exist (yet: a manifest may create it).

    Raises:
        SourceError: the namespace cannot be read, saying why the firing webhook is unknown for `workload`.
    """
    missing = f"namespace {namespace} not found"
    try:
        found = cluster.get(f"/api/v1/namespaces/{namespace}", verb="get", resource="namespaces", not_found=missing)
    except SourceError as exc:
        if str(exc) != missing:
            raise SourceError(f"{exc}: cannot tell which injector webhook fires for {workload}; give --revision") from None
        return None
    return (found.get("metadata") or {}).get("labels") or {}
