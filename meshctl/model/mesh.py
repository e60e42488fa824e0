"""The mesh's workloads as the traffic verdicts see them (stdlib only).

One fact model behind `explain mtls` and `check`'s traffic rules: every pod with its IPs, labels
and data plane (sidecar, ambient, none), read once from the API (or a snapshot) and looked up by
IP or by name. `PodIndex.unknown` says why the pods are not known (a denied list, a snapshot
that did not record them): a verdict then says "unknown", never "pass".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from meshctl.model.ambient import AMBIENT, NO_MESH, SIDECAR, redirected
from meshctl.model.pods import has_proxy, pod_key

__all__ = ["AMBIENT", "NO_MESH", "SIDECAR", "PodFact", "PodIndex", "dataplane_of", "pod_fact", "pod_ips"]


@dataclass(frozen=True)
class PodFact:
    """One pod: ``name.namespace``, its IPs, labels and data plane."""

    key: str
    namespace: str
    ips: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    dataplane: str = NO_MESH  # sidecar | ambient | none

    @property
    def has_sidecar(self) -> bool:
        """True for a pod with an istio-proxy container."""
        return self.dataplane == SIDECAR

    @property
    def name(self) -> str:
        """The pod's name (the key without its namespace)."""
        return self.key.rpartition(".")[0] if self.namespace else self.key


def pod_ips(pod: Mapping) -> tuple[str, ...]:
    """status.podIPs (status.podIP when absent), in the API's order, without duplicates."""
    status = pod.get("status") or {}
    ips = [entry.get("ip") for entry in status.get("podIPs") or [] if isinstance(entry, Mapping)]
    return tuple(dict.fromkeys(ip for ip in [status.get("podIP"), *ips] if isinstance(ip, str) and ip))


def dataplane_of(pod: Mapping) -> str:
    """sidecar (an istio-proxy container), ambient (istio-cni redirected it to ztunnel), else none.

    What traffic meets, not what labels ask for: meshctl.analyze.ambient.dataplane_mode says why
    (namespace or pod enrolment, opt-outs, a pod enrolled but not redirected yet) for the ambient views.
    """
    if has_proxy(dict(pod)):
        return SIDECAR
    return AMBIENT if redirected(pod) else NO_MESH


def pod_fact(pod: Mapping) -> PodFact:
    """The PodFact of an API pod object."""
    meta = pod.get("metadata") or {}
    return PodFact(pod_key(dict(pod)), str(meta.get("namespace", "")), pod_ips(pod), dict(meta.get("labels") or {}), dataplane_of(pod))


@dataclass(frozen=True)
class PodIndex:
    """The pods of the mesh by IP and by key; ``pods is None`` when they could not be read (`unknown`)."""

    pods: tuple[PodFact, ...] | None
    unknown: str = ""  # why `pods` is None
    by_ip: Mapping[str, PodFact] = field(default_factory=dict, compare=False)
    by_key: Mapping[str, PodFact] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, pods: Iterable[Mapping]) -> PodIndex:
        """Index API pod objects. Host-network pods are left out of the IP index: they share their node's IP."""
        facts, by_ip = [], {}
        for pod in pods:
            fact = pod_fact(pod)
            facts.append(fact)
            if not (pod.get("spec") or {}).get("hostNetwork"):
                for ip in fact.ips:
                    by_ip[ip] = fact
        return cls(tuple(facts), "", by_ip, {fact.key: fact for fact in facts})

    @classmethod
    def unread(cls, reason: str) -> PodIndex:
        """The pods could not be read, for `reason`."""
        return cls(None, reason or "not read")

    @property
    def known(self) -> bool:
        """False when the pods could not be read."""
        return self.pods is not None

    def at(self, ip: str) -> PodFact | None:
        """The pod with this IP (host-network pods excepted), or None."""
        return self.by_ip.get(ip)

    def named(self, key: str) -> PodFact | None:
        """The pod ``name.namespace``, or None."""
        return self.by_key.get(key)
