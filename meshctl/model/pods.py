"""Facts about pods that every layer shares (stdlib only): the sidecar container, its endpoints, pod keys.

A pod is the API server's JSON object (a dict): meshctl never uses the client's typed models,
which reject objects with missing fields.
"""

from __future__ import annotations

from typing import NamedTuple

from meshctl.model.options import DEFAULT_PROXY_ADMIN_PORT

PROXY_CONTAINER = "istio-proxy"


class PodEndpoint(NamedTuple):
    """An HTTP endpoint inside a pod, and the in-container command that fetches the same paths."""

    port: int
    container: str
    exec_prefix: tuple[str, ...]  # argv before the path


# istioctl pkg/kube/client.go EnvoyDo / AllDiscoveryDo
PROXY_ADMIN = PodEndpoint(DEFAULT_PROXY_ADMIN_PORT, PROXY_CONTAINER, ("pilot-agent", "request", "GET"))
ISTIOD_DEBUG = PodEndpoint(15014, "discovery", ("pilot-discovery", "request", "GET"))


def request_argv(endpoint: PodEndpoint, path: str, method: str = "GET") -> list[str]:
    """The in-container command that sends ``METHOD /path`` to `endpoint` (``pilot-agent request POST
    logging?level=debug``: the request commands take the method before the path)."""
    prefix = list(endpoint.exec_prefix)
    if method != "GET" and prefix and prefix[-1] == "GET":
        prefix[-1] = method
    return [*prefix, path]


def proxy_admin(port: int = DEFAULT_PROXY_ADMIN_PORT) -> PodEndpoint:
    """Envoy's admin API in istio-proxy on `port` (--proxy-admin-port)."""
    return PROXY_ADMIN._replace(port=port)


def pod_key(pod: dict) -> str:
    """``name.namespace``, the way istioctl names a pod."""
    meta = pod.get("metadata") or {}
    return f"{meta.get('name', '')}.{meta.get('namespace', '')}"


def proxy_container(pod: dict) -> dict | None:
    """The pod's istio-proxy container (a regular one, or a native sidecar init container), or None."""
    spec = pod.get("spec") or {}
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        if container.get("name") == PROXY_CONTAINER:
            return container
    return None


def has_proxy(pod: dict) -> bool:
    """True when the pod has a sidecar: an istio-proxy container (regular, or a native sidecar init
    container) that is not ztunnel's (Istio's ztunnel chart names its container istio-proxy too)."""
    from meshctl.model.ambient import is_ztunnel_pod

    return proxy_container(pod) is not None and not is_ztunnel_pod(pod)
