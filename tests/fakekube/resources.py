"""The resource types the fake serves and their discovery documents (what kubectl reads first):
legacy per-group APIResourceLists and the aggregated apidiscovery.k8s.io/v2 form.

kubectl resolves `kubectl get pod` through `/api/v1` and `/apis/<group>/<version>`; it needs the
plural name, singular name, kind, verbs and short names exactly as the real server lists them.

Built-in kinds are fixed; custom resources come from CustomResourceDefinition objects stored in the
fake (crds.py), as kube-apiserver's apiextensions part serves them: one `Registry` per server.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
# apiextensions-apiserver customresource_discovery_controller.go lists custom resources' verbs in this order.
CUSTOM_VERBS = ("delete", "deletecollection", "get", "list", "patch", "create", "update", "watch")
STATUS_VERBS = ("get", "patch", "update")


@dataclass(frozen=True)
class PrinterColumn:
    """A CRD additionalPrinterColumn (served in the Table kubectl asks for)."""

    name: str
    type: str
    json_path: str
    description: str = ""
    priority: int = 0
    format: str = ""


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
    # Custom resources (from a CRD): lists keep items' kind/apiVersion, the CRD's verbs order,
    # a Table from printer columns, and objects converted to the requested version.
    custom: bool = False
    list_kind: str = ""
    columns: tuple[PrinterColumn, ...] = ()
    status_subresource: bool = False

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def api_version(self) -> str:
        return self.group_version

    @property
    def qualified(self) -> str:
        """`pods`, `deployments.apps`, `virtualservices.networking.istio.io` (kubectl's resource.group)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def verbs(self) -> tuple[str, ...]:
        return CUSTOM_VERBS if self.custom else ALL_VERBS

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
                "kind": self.kind, "verbs": list(self.verbs), **self.names()}

    def subresources(self) -> list[dict]:
        """Legacy discovery entries for subresources (`pods/exec`, `virtualservices/status`)."""
        if self.plural == "pods" and not self.group:
            return list(POD_SUBRESOURCES)
        if self.status_subresource:
            return [{"name": f"{self.plural}/status", "singularName": "", "namespaced": self.namespaced,
                     "kind": self.kind, "verbs": list(STATUS_VERBS)}]
        return []


BUILTIN_TYPES: tuple[ResourceType, ...] = (
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
    ResourceType(
        "apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
        "CustomResourceDefinition", False, ("crd", "crds"), ("api-extensions",),
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

_KUBE_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def kube_version_priority(version: str) -> tuple:
    """Sort key putting versions in kube-aware order: v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > others
    alphabetically (apimachinery version.CompareKubeAwareVersionStrings). The first is preferred."""
    m = _KUBE_VERSION.match(version)
    if not m:
        return (3, version)
    major, stage, minor = int(m[1]), m[2] or "", int(m[3] or 0)
    return ({"": 0, "beta": 1, "alpha": 2}[stage], -major, -minor, version)


class Registry:
    """The kinds one server serves: built-ins plus those of stored CRDs. Thread-safe; lookups
    read immutable snapshots that registration replaces."""

    def __init__(self, builtin: tuple[ResourceType, ...] = BUILTIN_TYPES):
        self._lock = threading.Lock()
        self._builtin = builtin
        self._custom: dict[str, tuple[ResourceType, ...]] = {}  # CRD name -> one type per served version
        self._rebuild()

    def _rebuild(self) -> None:
        types = list(self._builtin)
        for versions in self._custom.values():
            types.extend(versions)
        self.types: tuple[ResourceType, ...] = tuple(types)
        self._by_path = {(r.group, r.version, r.plural): r for r in types}
        self._by_kind = {(r.api_version, r.kind): r for r in types}

    def register(self, crd_name: str, versions: tuple[ResourceType, ...]) -> None:
        """Serve a CRD's resource at each of its served versions (replacing an earlier definition)."""
        with self._lock:
            for other, existing in self._custom.items():
                if other != crd_name and any(r.group == versions[0].group and r.plural == versions[0].plural
                                             for r in existing):
                    raise ValueError(f"{versions[0].qualified} is already defined by CRD {other}")
            self._custom[crd_name] = versions
            self._rebuild()

    def unregister(self, crd_name: str) -> tuple[ResourceType, ...]:
        with self._lock:
            removed = self._custom.pop(crd_name, ())
            self._rebuild()
        return removed

    def by_path(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_path.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        return self._by_kind.get((api_version, kind))

    def resolve(self, resource: str) -> ResourceType:
        """`pods`, `deployments`, `gateways.networking.istio.io`: a qualified name, or a plural that only
        one group serves (as kubectl resolves names, minus short names)."""
        matches = {r.qualified: r for r in self.types if resource in (r.qualified, r.plural)}
        exact = [r for q, r in matches.items() if q == resource]
        if exact:
            return exact[0]
        if len(matches) == 1:
            return next(iter(matches.values()))
        if not matches:
            raise KeyError(f"the fake serves no resource {resource!r}")
        raise KeyError(f"{resource!r} is ambiguous ({', '.join(sorted(matches))}): qualify it with its group")

    def groups(self) -> dict[str, list[str]]:
        """Group name -> versions: core group "" first, then built-in groups in registration order, then
        custom groups by name (the aggregator's GroupPriorityMinimum 1000 for CRDs); versions preferred-first."""
        builtin: dict[str, list[str]] = {}
        custom: dict[str, list[str]] = {}
        for r in self.types:
            versions = (custom if r.custom else builtin).setdefault(r.group, [])
            if r.version not in versions:
                versions.append(r.version)
        for versions in custom.values():
            versions.sort(key=kube_version_priority)
        return {**builtin, **{name: custom[name] for name in sorted(custom) if name not in builtin}}

    def api_group(self, name: str) -> dict | None:
        """`GET /apis/<group>`: the APIGroup document, or None for an unknown group."""
        versions = self.groups().get(name)
        if not name or not versions:
            return None
        gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        return {"kind": "APIGroup", "apiVersion": "v1", "name": name, "versions": gvs, "preferredVersion": gvs[0]}

    def api_group_list(self) -> dict:
        """`GET /apis`: every named group with its preferred version."""
        items = []
        for name in self.groups():
            if name:
                group = self.api_group(name)
                items.append({k: group[k] for k in ("name", "versions", "preferredVersion")})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": items}

    def api_resource_list(self, group: str, version: str) -> dict | None:
        """`GET /api/v1` or `/apis/<group>/<version>`, or None for an unknown group version."""
        resources = []
        for r in self.types:
            if r.group == group and r.version == version:
                resources.append(r.api_resource())
                resources.extend(r.subresources())
        if not resources:
            return None
        gv = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}

    def aggregated_discovery(self, core: bool) -> dict:
        """`GET /api` (core=True) or `/apis` as apidiscovery.k8s.io/v2 APIGroupDiscoveryList."""
        items = []
        for name, versions in self.groups().items():
            if (name == "") != core:
                continue
            items.append({
                "metadata": {"name": name} if name else {},
                "versions": [{"version": v,
                              "resources": [_resource_discovery(r) for r in self.types
                                            if r.group == name and r.version == v],
                              "freshness": "Current"} for v in versions],
            })
        return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
                "items": items}


def api_versions(server_address: str) -> dict:
    """`GET /api`."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


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
        "verbs": list(r.verbs),
        **r.names(),
    }
    subresources = r.subresources()
    if subresources:
        entry["subresources"] = [
            {"subresource": s["name"].split("/", 1)[1],
             "responseKind": {"group": r.group, "version": r.version, "kind": s["kind"]},
             "verbs": s["verbs"]}
            for s in subresources]
    return entry
