"""The object store: Kubernetes objects as plain dicts, keyed by resource, namespace and name."""

from __future__ import annotations

import copy
import threading
import uuid

from .resources import BY_KIND, ResourceType
from .status import bad_request, not_found

DEFAULT_TIMESTAMP = "2026-01-01T00:00:00Z"


class Store:
    """Thread-safe storage. Objects are stored with kind/apiVersion; lists strip them like the real server."""

    def __init__(self):
        self._lock = threading.Lock()
        self._objects: dict[tuple[str, str, str], dict] = {}  # (plural, namespace, name) -> object
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
        rtype = resource_type_of(obj)
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        name = meta.get("name")
        if not name:
            raise ValueError(f"{rtype.kind} without metadata.name")
        if rtype.namespaced:
            meta.setdefault("namespace", "default")
            if rtype.plural != "namespaces" and ("namespaces", "", meta["namespace"]) not in self._objects:
                self.add(namespace_object(meta["namespace"]))
        else:
            meta.pop("namespace", None)
        namespace = meta.get("namespace", "")
        meta.setdefault("uid", str(uuid.uuid5(uuid.NAMESPACE_URL, f"{rtype.plural}/{namespace}/{name}")))
        meta.setdefault("creationTimestamp", DEFAULT_TIMESTAMP)
        with self._lock:
            meta["resourceVersion"] = self._next_version()
            self._objects[(rtype.plural, namespace, name)] = obj
        return obj

    def remove(self, plural: str, name: str, namespace: str = "") -> None:
        with self._lock:
            self._objects.pop((plural, namespace, name), None)

    def get(self, rtype: ResourceType, namespace: str, name: str) -> dict:
        """The object, or raise the NotFound ApiError the server would answer."""
        obj = self._objects.get((rtype.plural, namespace if rtype.namespaced else "", name))
        if obj is None:
            raise not_found(rtype.plural, name, rtype.group)
        return obj

    def find(self, plural: str, name: str, namespace: str = "") -> dict | None:
        return self._objects.get((plural, namespace, name))

    def list(self, rtype: ResourceType, namespace: str | None) -> list[dict]:
        """Objects of one type, in etcd key order (namespace, then name); all namespaces when None."""
        with self._lock:
            keys = [k for k in self._objects if k[0] == rtype.plural and (namespace is None or k[1] == namespace)]
            return [self._objects[k] for k in sorted(keys)]


def resource_type_of(obj: dict) -> ResourceType:
    try:
        return BY_KIND[(obj["apiVersion"], obj["kind"])]
    except KeyError:
        raise bad_request(f"no kind {obj.get('kind')!r} in {obj.get('apiVersion')!r} served by the fake") from None


def namespace_object(name: str, labels: dict | None = None) -> dict:
    """A Namespace as the server returns it (with the kubernetes.io/metadata.name label it adds)."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }
