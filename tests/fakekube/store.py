"""The object store: Kubernetes objects as plain dicts, keyed by resource, namespace and name."""

from __future__ import annotations

import copy
import threading
import uuid

from .crds import resource_types
from .resources import Registry, ResourceType
from .status import bad_request, not_found

DEFAULT_TIMESTAMP = "2026-01-01T00:00:00Z"
_CRD_KIND = ("apiextensions.k8s.io/v1", "CustomResourceDefinition")


class Store:
    """Thread-safe storage. Objects are stored with kind/apiVersion; lists strip them like the real server
    (custom resources keep them). Storing a CustomResourceDefinition makes `registry` serve its kind."""

    def __init__(self, registry: Registry | None = None):
        self._lock = threading.Lock()
        self.registry = registry or Registry()
        # (group, plural, namespace, name) -> object; one entry whatever version it was written at.
        self._objects: dict[tuple[str, str, str, str], dict] = {}
        self._resource_version = 1000

    def _next_version(self) -> str:
        self._resource_version += 1
        return str(self._resource_version)

    @property
    def resource_version(self) -> str:
        return str(self._resource_version)

    def add(self, obj: dict) -> dict:
        """Store (or replace) an object, filling uid/resourceVersion/creationTimestamp; returns the stored copy.

        Adding a namespaced object creates its Namespace when missing (the real server would refuse;
        tests are shorter this way).
        """
        rtype = self.resource_type_of(obj)
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        name = meta.get("name")
        if not name:
            raise ValueError(f"{rtype.kind} without metadata.name")
        if rtype.namespaced:
            meta.setdefault("namespace", "default")
            if rtype.plural != "namespaces" and ("", "namespaces", "", meta["namespace"]) not in self._objects:
                self.add(namespace_object(meta["namespace"]))
        else:
            meta.pop("namespace", None)
        namespace = meta.get("namespace", "")
        key = rtype.qualified if rtype.custom else rtype.plural
        meta.setdefault("uid", str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key}/{namespace}/{name}")))
        meta.setdefault("creationTimestamp", DEFAULT_TIMESTAMP)
        if rtype.custom:
            meta.setdefault("generation", 1)  # the registry strategy sets it on create
        if (obj["apiVersion"], obj["kind"]) == _CRD_KIND:
            try:
                self.registry.register(name, resource_types(obj))
            except ValueError as err:
                raise bad_request(str(err)) from None
        with self._lock:
            meta["resourceVersion"] = self._next_version()
            self._objects[(rtype.group, rtype.plural, namespace, name)] = obj
        return obj

    def remove(self, resource: str, name: str, namespace: str = "") -> None:
        """Delete an object; `resource` is a plural (`pods`) or `plural.group` when plurals collide.
        Deleting a CRD stops serving its kind and deletes its objects, as the API server does."""
        rtype = self.registry.resolve(resource)
        with self._lock:
            self._objects.pop((rtype.group, rtype.plural, namespace, name), None)
        if rtype.qualified == "customresourcedefinitions.apiextensions.k8s.io":
            for served in self.registry.unregister(name)[:1]:
                with self._lock:
                    for key in [k for k in self._objects if k[:2] == (served.group, served.plural)]:
                        del self._objects[key]

    def get(self, rtype: ResourceType, namespace: str, name: str) -> dict:
        """The object, or raise the NotFound ApiError the server would answer."""
        obj = self._objects.get((rtype.group, rtype.plural, namespace if rtype.namespaced else "", name))
        if obj is None:
            raise not_found(rtype.plural, name, rtype.group)
        return obj

    def find(self, resource: str, name: str, namespace: str = "") -> dict | None:
        """The stored object or None; `resource` as for `remove`."""
        rtype = self.registry.resolve(resource)
        return self._objects.get((rtype.group, rtype.plural, namespace, name))

    def list(self, rtype: ResourceType, namespace: str | None) -> list[dict]:
        """Objects of one type, in etcd key order (namespace, then name); all namespaces when None."""
        with self._lock:
            keys = [k for k in self._objects if k[:2] == (rtype.group, rtype.plural)
                    and (namespace is None or k[2] == namespace)]
            return [self._objects[k] for k in sorted(keys)]

    def resource_type_of(self, obj: dict) -> ResourceType:
        rtype = self.registry.by_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
        if rtype is None:
            raise bad_request(f"no kind {obj.get('kind')!r} in {obj.get('apiVersion')!r} served by the fake")
        return rtype


def namespace_object(name: str, labels: dict | None = None) -> dict:
    """A Namespace as the server returns it (with the kubernetes.io/metadata.name label it adds)."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }
