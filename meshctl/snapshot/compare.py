"""Compare two snapshots pod by pod (pure over readers): the `pc diff` engine per pod.

Pods are paired by ``name.namespace``. A pod in only one snapshot is "added"/"removed"; a pod in
both is compared with `meshctl.analyze.diff.diff_dumps` (noise ignored) and is "changed" or
"equal". Dumps are parsed two at a time, so memory follows the largest dump, not the mesh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from meshctl.analyze.diff import RESOURCE_TYPES, DumpDiff, diff_dumps
from meshctl.archive import layout

POD_STATES = ("added", "removed", "changed", "equal")


@dataclass(frozen=True)
class PodDiff:
    """One pod between two snapshots: added, removed, changed or equal (with the dump diff)."""
    pod: str  # name.namespace
    status: str  # one of POD_STATES
    diff: DumpDiff | None = None  # for pods in both snapshots


@dataclass
class SnapshotDiff:
    """Two snapshots compared pod by pod."""
    pods: list[PodDiff] = field(default_factory=list)
    compared_types: tuple[str, ...] = RESOURCE_TYPES

    @property
    def equal(self) -> bool:
        """Every pod is in both snapshots, with equal dumps."""
        return all(pod.status == "equal" for pod in self.pods)

    def pod_counts(self) -> dict[str, int]:
        """How many pods are added, removed, changed and equal."""
        counts = dict.fromkeys(POD_STATES, 0)
        for pod in self.pods:
            counts[pod.status] += 1
        return counts

    def resource_counts(self) -> dict[str, dict[str, int]]:
        """Resource changes summed over the pods in both snapshots, per type."""
        table = {kind: {"added": 0, "removed": 0, "changed": 0} for kind in self.compared_types}
        for pod in self.pods:
            for kind, counts in (pod.diff.counts() if pod.diff else {}).items():
                for change, number in counts.items():
                    table[kind][change] += number
        return table

    def to_data(self) -> dict:
        """The JSON form (docs/json.md meshctl.snapshot-diff/v1): one entry per pod, in order; a pod in both
        snapshots carries `pc diff -o json`'s summary and changes."""
        pods = []
        for pod in self.pods:
            pods.append({"pod": pod.pod, "status": pod.status, **({k: v for k, v in pod.diff.to_data().items() if k != "equal"} if pod.diff else {})})
        return {"equal": self.equal, "summary": {"pods": self.pod_counts(), "resources": self.resource_counts()}, "pods": pods}


def compare_snapshots(before, after, types: tuple[str, ...] = RESOURCE_TYPES) -> SnapshotDiff:
    """`before`/`after`: SeekableSnapshot readers (`read(member)`, `pods()`)."""
    from meshctl.decode.configdump import parse

    # Sidecars only: a ztunnel's dump (manifest "ztunnels") is not an Envoy config dump.
    old_pods = before.pods() - set(before.manifest().get("ztunnels") or {})
    new_pods = after.pods() - set(after.manifest().get("ztunnels") or {})
    result = SnapshotDiff(compared_types=types)
    for key in sorted(old_pods | new_pods, key=lambda k: k.rpartition(".")[::-1]):
        if key not in new_pods:
            result.pods.append(PodDiff(key, "removed"))
        elif key not in old_pods:
            result.pods.append(PodDiff(key, "added"))
        else:
            name, _, namespace = key.rpartition(".")
            member = layout.pod_member(namespace, name, "config_dump")
            diff = diff_dumps(parse(before.read(member)), parse(after.read(member)), types)
            result.pods.append(PodDiff(key, "equal" if diff.equal else "changed", diff))
    return result
