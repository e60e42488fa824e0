"""Pod references as istioctl and kubectl spell them (pure, stdlib only).

``reviews-v1-abc.bookinfo``, ``reviews-v1-abc`` with ``-n bookinfo``, ``deployment/reviews-v1.bookinfo``,
``svc/productpage`` ... all parse into a :class:`PodRef`; resolving a workload to one of its pods is
done by ``meshctl.sources.kube``.
"""

from __future__ import annotations

from typing import NamedTuple

from meshctl.errors import UsageError

# kubectl's resource names, short names and group-qualified names for the kinds whose pods
# kubectl (polymorphichelpers.SelectorsForObject) can find; the value is the canonical kind.
_KIND_ALIASES: dict[str, str] = {}
for _kind, _names in {
    "pod": ("po", "pod", "pods"),
    "deployment": ("deploy", "deployment", "deployments", "deployment.apps", "deployments.apps"),
    "statefulset": ("sts", "statefulset", "statefulsets", "statefulset.apps", "statefulsets.apps"),
    "daemonset": ("ds", "daemonset", "daemonsets", "daemonset.apps", "daemonsets.apps"),
    "replicaset": ("rs", "replicaset", "replicasets", "replicaset.apps", "replicasets.apps"),
    "replicationcontroller": ("rc", "replicationcontroller", "replicationcontrollers"),
    "job": ("job", "jobs", "job.batch", "jobs.batch"),
    "service": ("svc", "service", "services"),
}.items():
    for _name in _names:
        _KIND_ALIASES[_name] = _kind

WORKLOAD_KINDS = tuple(sorted(set(_KIND_ALIASES.values())))


class PodRef(NamedTuple):
    """A reference to a pod, directly (kind "pod") or through a workload that selects pods.

    A NamedTuple, not a frozen dataclass: every pod command makes the class at import, and
    dataclasses compiles its methods then (~1 ms each; issue 16).
    """

    kind: str
    name: str
    namespace: str

    @classmethod
    def parse(cls, text: str, default_namespace: str = "default") -> PodRef:
        """Parse ``name[.ns]`` or ``type/name[.ns]`` the way istioctl does.

        Raises:
            UsageError: empty name or namespace, or a type kubectl cannot find pods for.
        """
        kind = "pod"
        name, namespace = _split_namespace(text, default_namespace)
        # istioctl handlers.InferPodInfoFromTypedResource: only a '/' after the first
        # character makes a typed reference.
        if name.find("/") > 0:
            type_name, _, name = name.partition("/")
            kind = _KIND_ALIASES.get(type_name.lower())
            if kind is None:
                raise UsageError(
                    f"cannot find pods for resource type {type_name!r} in {text!r} "
                    f"(use one of: {', '.join(WORKLOAD_KINDS)})"
                )
        if not name or "/" in name:
            raise UsageError(f"invalid pod reference {text!r}: expected POD[.NAMESPACE] or TYPE/NAME[.NAMESPACE]")
        if not namespace:
            raise UsageError(f"invalid pod reference {text!r}: the namespace after '.' is empty")
        return cls(kind, name, namespace)

    def __str__(self) -> str:
        if self.kind == "pod":
            return f"{self.name}.{self.namespace}"
        return f"{self.kind}/{self.name}.{self.namespace}"


def _split_namespace(text: str, default_namespace: str) -> tuple[str, str]:
    """istioctl handlers.inferNsInfo: the namespace follows the last '.' (after the last '/', if any).

    A resource type may itself contain dots (``deployment.apps/x``), hence the search after the '/'.
    """
    slash = text.rfind("/")
    start = slash if slash > 0 else 0
    dot = text.rfind(".", start)
    if dot < 0:
        return text, default_namespace
    return text[:dot], text[dot + 1 :]
