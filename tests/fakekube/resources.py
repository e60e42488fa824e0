"""The resource types the fake serves and their discovery documents (what kubectl reads first):
legacy per-group APIResourceLists and the aggregated apidiscovery.k8s.io/v2 form.

kubectl resolves `kubectl get pod` through `/api/v1` and `/apis/<group>/<version>`; it needs the
plural name, singular name, kind, verbs and short names exactly as the real server lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def api_version(self) -> str:
        return self.group_version

    def names(self) -> dict:
        """shortNames and categories, present only when non-empty (omitempty)."""
        out = {}
        if self.short_names:
            out["shortNames"] = list(self.short_names)
        if self.categories:
            out["categories"] = list(self.categories)
        return out

    def api_resource(self) -> dict:
        return {"name": self.plural, "singularName": self.singular, "namespaced": self.namespaced,
                "kind": self.kind, "verbs": list(ALL_VERBS), **self.names()}


RESOURCE_TYPES: tuple[ResourceType, ...] = (
    ResourceType("", "v1", "pods", "pod", "Pod", True, ("po",), ("all",)),
    ResourceType("", "v1", "namespaces", "namespace", "Namespace", False, ("ns",)),
    ResourceType("", "v1", "configmaps", "configmap", "ConfigMap", True, ("cm",)),
    ResourceType("", "v1", "secrets", "secret", "Secret", True),
    ResourceType("", "v1", "services", "service", "Service", True, ("svc",), ("all",)),
    ResourceType("", "v1", "endpoints", "endpoints", "Endpoints", True, ("ep",)),
    ResourceType("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", True, ("sa",)),
    ResourceType("", "v1", "nodes", "node", "Node", False, ("no",)),
    ResourceType("apps", "v1", "deployments", "deployment", "Deployment", True, ("deploy",), ("all",)),
    ResourceType("apps", "v1", "replicasets", "replicaset", "ReplicaSet", True, ("rs",), ("all",)),
    ResourceType("apps", "v1", "statefulsets", "statefulset", "StatefulSet", True, ("sts",), ("all",)),
    ResourceType("apps", "v1", "daemonsets", "daemonset", "DaemonSet", True, ("ds",), ("all",)),
    ResourceType(
        "admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration", "MutatingWebhookConfiguration", False, ("mwc",),
    ),
    ResourceType(
        "admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
        "validatingwebhookconfiguration", "ValidatingWebhookConfiguration", False, ("vwc",),
    ),
)

# Subresources listed in discovery (kubectl checks pods/exec and pods/portforward exist).
POD_SUBRESOURCES = (
    {"name": "pods/exec", "singularName": "", "namespaced": True, "kind": "PodExecOptions", "verbs": ["create", "get"]},
    {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
    {"name": "pods/portforward", "singularName": "", "namespaced": True, "kind": "PodPortForwardOptions",
     "verbs": ["create", "get"]},
    {"name": "pods/status", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get", "patch", "update"]},
)

BY_PATH: dict[tuple[str, str, str], ResourceType] = {(r.group, r.version, r.plural): r for r in RESOURCE_TYPES}
BY_KIND: dict[tuple[str, str], ResourceType] = {(r.api_version, r.kind): r for r in RESOURCE_TYPES}


def groups() -> dict[str, list[str]]:
    """Group name -> versions, in registration order (core group "" first)."""
    out: dict[str, list[str]] = {}
    for r in RESOURCE_TYPES:
        versions = out.setdefault(r.group, [])
        if r.version not in versions:
            versions.append(r.version)
    return out


def api_versions(server_address: str) -> dict:
    """`GET /api`."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def api_group_list() -> dict:
    """`GET /apis`: every named group with its preferred version."""
    items = []
    for name, versions in groups().items():
        if not name:
            continue
        gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        items.append({"name": name, "versions": gvs, "preferredVersion": gvs[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": items}


def api_resource_list(group: str, version: str) -> dict | None:
    """`GET /api/v1` or `/apis/<group>/<version>`, or None for an unknown group version."""
    resources = []
    for r in RESOURCE_TYPES:
        if r.group == group and r.version == version:
            resources.append(r.api_resource())
            if r.plural == "pods":
                resources.extend(POD_SUBRESOURCES)
    if not resources:
        return None
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


def version_info() -> dict:
    """`GET /version`, shaped like a v1.32 server."""
    return {
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0",
        "gitCommit": "70d3cc986aa8221cd1dfb1121852688902d3bf53",
        "gitTreeState": "clean",
        "buildDate": "2024-12-11T17:59:15Z",
        "goVersion": "go1.23.3",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def wants_aggregated(accept: str) -> bool:
    """kubectl >= 1.30 asks /api and /apis for aggregated discovery first (KEP-3352)."""
    return "g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" in (accept or "").replace(" ", "")


def _resource_discovery(r: ResourceType) -> dict:
    entry = {
        "resource": r.plural,
        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": "Namespaced" if r.namespaced else "Cluster",
        "singularResource": r.singular,
        "verbs": list(ALL_VERBS),
        **r.names(),
    }
    if r.plural == "pods":
        entry["subresources"] = [
            {"subresource": s["name"].split("/", 1)[1],
             "responseKind": {"group": "", "version": "v1", "kind": s["kind"]}, "verbs": s["verbs"]}
            for s in POD_SUBRESOURCES]
    return entry


def aggregated_discovery(core: bool) -> dict:
    """`GET /api` (core=True) or `/apis` as apidiscovery.k8s.io/v2 APIGroupDiscoveryList."""
    items = []
    for name, versions in groups().items():
        if (name == "") != core:
            continue
        items.append({
            "metadata": {"name": name} if name else {},
            "versions": [{"version": v,
                          "resources": [_resource_discovery(r) for r in RESOURCE_TYPES
                                        if r.group == name and r.version == v],
                          "freshness": "Current"} for v in versions],
        })
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}
