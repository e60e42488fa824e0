"""A fake Kubernetes API server over real HTTP (tests and bench/ scripts).

    from fakekube import FakeKube, istio_pod
    with FakeKube(latency=0.05) as kube:
        kube.add(istio_pod("reviews-v1-abc", "default"))
        ... kube.url, kube.kubeconfig_path ...

Custom resources: the Istio and Gateway API CRDs are installed; `kube.add(custom_object(...))` stores
objects of their kinds and `kube.add(crd(...))` (or any CRD manifest) serves a new kind.
See FakeKube's docstring for exec handlers, port-forward targets, RBAC denials and the request log.
"""

from .builders import (
    configmap,
    injector_webhook,
    istio_pod,
    mesh,
    namespace,
    owner_reference,
    pod,
    sidecar_container,
    workload,
)
from .crds import DEFAULT_CRDS, GATEWAY_API_CRDS, ISTIO_CRDS, crd, custom_object
from .exec import ExecRequest, ExecResult, cat_files, endless, pilot_agent_request, trickle
from .resources import PrinterColumn
from .server import FakeKube, RequestRecord
from .targets import http_target

__all__ = [
    "DEFAULT_CRDS",
    "GATEWAY_API_CRDS",
    "ISTIO_CRDS",
    "ExecRequest",
    "ExecResult",
    "PrinterColumn",
    "FakeKube",
    "RequestRecord",
    "cat_files",
    "configmap",
    "crd",
    "custom_object",
    "endless",
    "http_target",
    "injector_webhook",
    "istio_pod",
    "mesh",
    "namespace",
    "owner_reference",
    "pod",
    "pilot_agent_request",
    "sidecar_container",
    "trickle",
    "workload",
]
