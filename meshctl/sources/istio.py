"""Istio resources from the cluster, at the newest API version it serves (I/O)."""

from __future__ import annotations

from meshctl.errors import SourceError
from meshctl.model.istio import IstioResource
from meshctl.sources.base import ClusterAccess


def list_istio(cluster: ClusterAccess, resource: IstioResource, namespace: str = "") -> tuple[list[dict], str] | None:
    """(items, version) of `resource` in `namespace` ("" every namespace), at the newest version
    served; None when the cluster serves none (no such CRD). Other failures (RBAC) raise SourceError."""
    for version in resource.versions:
        prefix = f"/apis/{resource.group}/{version}"
        path = f"{prefix}/namespaces/{namespace}/{resource.plural}" if namespace else f"{prefix}/{resource.plural}"
        not_served = f"{resource.plural}.{resource.group}/{version} is not served"
        try:
            answer = cluster.get(path, verb="list", resource=resource.plural, namespace=namespace, not_found=not_served)
        except SourceError as exc:
            if str(exc) == not_served:
                continue  # an older Istio: try the previous version
            raise
        return answer.get("items") or [], version
    return None
