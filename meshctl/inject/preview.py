"""inject-preview: what the injector would produce today vs what a running pod got (drift).

Pure: the command fetches the workload, a running pod and the injector config; this module
picks the injection-relevant view of both pods and diffs them.
"""

from __future__ import annotations

import copy

from meshctl.goenc import goyaml

ISTIO_CONTAINERS = ("istio-init", "istio-validation", "istio-proxy", "enable-core-dump")
ISTIO_ANNOTATIONS = ("sidecar.istio.io/status", "istio.io/rev", "proxy.istio.io/overrides", "prometheus.io/port",
                     "prometheus.io/path", "prometheus.io/scrape")
ISTIO_LABEL_PREFIXES = ("security.istio.io/", "service.istio.io/", "topology.istio.io/", "networking.istio.io/")
# Fields the API server or kubelet fills in that the injector never sets.
_SERVER_DEFAULTS = ("terminationMessagePath", "terminationMessagePolicy")
_SERVER_METADATA = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink",
                    "deletionTimestamp", "ownerReferences")


def injectable(obj: dict) -> dict:
    """The object as the injector receives it: no status, no server-set metadata, no node binding."""
    obj = copy.deepcopy(obj)
    obj.pop("status", None)
    meta = obj.get("metadata") or {}
    for key in _SERVER_METADATA:
        meta.pop(key, None)
    (meta.get("annotations") or {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if obj.get("kind") == "Pod":
        (obj.get("spec") or {}).pop("nodeName", None)
    return obj


def pod_template(obj: dict) -> dict:
    """The pod (metadata + spec) of a Pod or a workload."""
    if obj.get("kind") == "Pod":
        return {"metadata": obj.get("metadata") or {}, "spec": obj.get("spec") or {}}
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return spec.get("template") or {}


def istio_view(pod: dict) -> dict:
    """What injection decides about a pod: Istio's annotations/labels, containers and volumes."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k in ISTIO_ANNOTATIONS}
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k.startswith(ISTIO_LABEL_PREFIXES)}
    view: dict = {"annotations": annotations, "labels": labels}
    for key in ("initContainers", "containers"):
        view[key] = {
            c["name"]: {k: v for k, v in c.items() if k not in _SERVER_DEFAULTS and k != "name"}
            for c in spec.get(key) or [] if c.get("name") in ISTIO_CONTAINERS
        }
        view[key + "Order"] = [c.get("name") for c in spec.get(key) or []]
    view["volumes"] = [v.get("name") for v in spec.get("volumes") or []]
    return view


def _drop_api_defaults(value):
    """Without what the API server defaults (fieldRef apiVersion v1), so only real differences show."""
    if isinstance(value, dict):
        out = {k: _drop_api_defaults(v) for k, v in value.items()}
        if "fieldPath" in out and out.get("apiVersion") == "v1":
            out.pop("apiVersion")
        return out
    if isinstance(value, list):
        return [_drop_api_defaults(v) for v in value]
    return value


def drift(running: dict, rendered: dict) -> str:
    """A unified diff of the running pod's Istio view and the rendered one ("" when they agree)."""
    import difflib

    before = goyaml.marshal(_drop_api_defaults(istio_view(running))).splitlines(True)
    after = goyaml.marshal(_drop_api_defaults(istio_view(rendered))).splitlines(True)
    return "".join(difflib.unified_diff(before, after, "running", "injected-now"))
