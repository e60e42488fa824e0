"""A fake Kubernetes API server over real HTTP (tests and bench/ scripts).

    from fakekube import FakeKube, istio_pod
    with FakeKube(latency=0.05) as kube:
        kube.add(istio_pod("reviews-v1-abc", "default"))
        ... kube.url, kube.kubeconfig_path ...

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
from .exec import ExecRequest, ExecResult, cat_files, pilot_agent_request
from .targets import http_target
from .server import FakeKube, RequestRecord

__all__ = [
    "ExecRequest",
    "ExecResult",
    "FakeKube",
    "RequestRecord",
    "cat_files",
    "configmap",
    "http_target",
    "injector_webhook",
    "istio_pod",
    "mesh",
    "namespace",
    "owner_reference",
    "pod",
    "pilot_agent_request",
    "sidecar_container",
    "workload",
]
