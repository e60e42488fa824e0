"""`check` for ambient mode: rules over ztunnels, captured pods and waypoints (pure).

Each rule looks at the whole ambient picture (`AmbientFacts`, read once by the command) and returns
findings per target: a node's ztunnel, an ambient pod, a waypoint. Results use check.py's types, so
they print in the same table, JSON document and JUnit report as the sidecar checks.

- ztunnel-admin: every node that runs captured pods has a ztunnel whose admin API answered.
- ambient-capture: a pod enrolled by labels was redirected by istio-cni (else it bypasses ztunnel).
- ztunnel-workload: every captured pod is a workload of its node's ztunnel, with protocol HBONE
  (compare the pods with ztunnel's workloads: a pod istiod has not sent cannot connect).
- ztunnel-certs: each ztunnel's certificates are valid, not expiring past their rotation point,
  match their identity, and every captured pod on the node has one that is not Unavailable.
- waypoint: each waypoint Gateway is programmed; each istio.io/use-waypoint label names one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from meshctl.analyze.ambient import (
    NodeZtunnel,
    Waypoint,
    WaypointUse,
    certificate_for,
    dangling_uses,
    dataplane_mode,
    find_workload,
    pod_key,
    spiffe_identity,
)
from meshctl.analyze.check import ERROR, INFO, UNKNOWN_FACT, WARNING, CheckResult, PodReport, status_of
from meshctl.analyze.ztunnel_certs import certificate_findings
from meshctl.model.ambient import AMBIENT
from meshctl.model.mesh import pod_ips
from meshctl.model.tabular import Finding


@dataclass(frozen=True)
class AmbientFacts:
    """What the command read for the ambient checks; None for a fact that could not be read."""

    now: datetime
    cert_warn: timedelta = timedelta(hours=24)
    pods: tuple[Mapping, ...] = ()
    namespace_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    ztunnels: Mapping[str, NodeZtunnel] = field(default_factory=dict)  # node -> ztunnel (only nodes with a ztunnel or ambient pods)
    waypoints: tuple[Waypoint, ...] | None = None  # None: Gateways not readable (no Gateway API CRDs, or denied)
    uses: tuple[WaypointUse, ...] = ()
    unknown: Mapping[str, str] = field(default_factory=dict)  # "gateways" -> why not read

    def ambient_pods(self) -> list[Mapping]:
        """Pods enrolled in ambient mode (captured or not)."""
        return [p for p in self.pods if dataplane_mode(p, self.namespace_labels.get(_namespace(p), {})).mode == AMBIENT]

    def captured_pods(self) -> list[Mapping]:
        """Enrolled pods that istio-cni redirected to ztunnel."""
        return [p for p in self.ambient_pods() if dataplane_mode(p, self.namespace_labels.get(_namespace(p), {})).captured]


def _namespace(pod: Mapping) -> str:
    return str((pod.get("metadata") or {}).get("namespace", ""))


def _node(pod: Mapping) -> str:
    return str((pod.get("spec") or {}).get("nodeName", ""))


Targets = dict[tuple[str, str], list[Finding]]  # (target, namespace) -> findings


def ztunnel_admin(facts: AmbientFacts) -> Targets:
    """Rule ztunnel-admin: a ztunnel on every node with captured pods, and its dump read."""
    found: Targets = {}
    nodes = sorted({_node(p) for p in facts.captured_pods()} | set(facts.ztunnels))
    for node in nodes:
        ztunnel = facts.ztunnels.get(node) or NodeZtunnel(node)
        target = (ztunnel.pod or f"node/{node}", ztunnel.pod.rpartition(".")[2] if ztunnel.pod else "")
        if not ztunnel.pod:
            found[target] = [Finding(ERROR, "ztunnel-missing", f"no ztunnel pod on node {node}, which runs captured pods", target[0])]
        elif ztunnel.dump is None:
            found[target] = [Finding(ERROR, "ztunnel-unreachable", ztunnel.error or "ztunnel admin API not reachable", target[0])]
        else:
            found[target] = [Finding(INFO, "ztunnel", f"node {node}: {len(ztunnel.dump.workloads or ())} workload(s), {len(ztunnel.dump.certificates or ())} certificate(s)", target[0])]
    return found


def ambient_capture(facts: AmbientFacts) -> Targets:
    """Rule ambient-capture: enrolled pods were redirected by istio-cni."""
    found: Targets = {}
    for pod in facts.ambient_pods():
        mode = dataplane_mode(pod, facts.namespace_labels.get(_namespace(pod), {}))
        if mode.bypassed:
            found[(pod_key(pod), _namespace(pod))] = [Finding(ERROR, "ambient-not-captured", f"{mode.reason}", pod_key(pod))]
    return found


def ztunnel_workload(facts: AmbientFacts) -> Targets:
    """Rule ztunnel-workload: each captured pod is an HBONE workload of its node's ztunnel."""
    found: Targets = {}
    for pod in facts.captured_pods():
        key, node = pod_key(pod), _node(pod)
        ztunnel = facts.ztunnels.get(node)
        if ztunnel is None or ztunnel.dump is None:
            continue  # ztunnel-admin reports it
        meta = pod.get("metadata") or {}
        workload = find_workload(ztunnel.dump, name=meta.get("name", ""), namespace=_namespace(pod), ips=pod_ips(pod))
        if workload is None:
            findings = [Finding(ERROR, "ztunnel-workload-missing", f"ztunnel {ztunnel.pod} (node {node}) does not know this pod: its connections fail", key)]
        elif workload.protocol != "HBONE":
            findings = [Finding(ERROR, "ztunnel-not-hbone", f"ztunnel {ztunnel.pod} lists it with protocol {workload.protocol or 'TCP'}, not HBONE: istiod does not see it captured", key)]
        elif workload.node and workload.node != node:
            findings = [Finding(WARNING, "ztunnel-node", f"ztunnel lists it on node {workload.node}, the pod runs on {node}", key)]
        else:
            findings = [Finding(INFO, "ztunnel-workload", f"known to ztunnel {ztunnel.pod} ({workload.status or 'no status'})", key)]
        found[(key, _namespace(pod))] = findings
    return found


def ztunnel_certs(facts: AmbientFacts) -> Targets:
    """Rule ztunnel-certs: each ztunnel's certificates, and one per captured pod's identity."""
    found: Targets = {}
    for node, ztunnel in sorted(facts.ztunnels.items()):
        if ztunnel.dump is None:
            continue
        target = (ztunnel.pod, ztunnel.pod.rpartition(".")[2])
        findings = certificate_findings(ztunnel.dump, facts.now, facts.cert_warn, ztunnel.pod)
        for pod in facts.captured_pods():
            if _node(pod) != node:
                continue
            identity = spiffe_identity(_namespace(pod), (pod.get("spec") or {}).get("serviceAccountName", ""), _trust_domain(ztunnel, pod))
            if certificate_for(ztunnel.dump, identity) is None:
                findings.append(Finding(INFO, "ztunnel-cert-absent", f"no certificate yet for {identity} ({pod_key(pod)}): fetched on first connection", ztunnel.pod))
        held = len(ztunnel.dump.certificates or ())
        summary = f"{held} certificate(s), none with a problem" if held else "no certificates held"
        found[target] = findings or [Finding(INFO, "ztunnel-certs", summary, ztunnel.pod)]
    return found


def _trust_domain(ztunnel: NodeZtunnel, pod: Mapping) -> str:
    meta = pod.get("metadata") or {}
    workload = find_workload(ztunnel.dump, name=meta.get("name", ""), namespace=_namespace(pod), ips=pod_ips(pod))
    return workload.trust_domain if workload else ""


def waypoints(facts: AmbientFacts) -> Targets:
    """Rule waypoint: waypoints programmed, use-waypoint labels naming existing ones."""
    found: Targets = {}
    if facts.waypoints is None:
        if facts.uses:
            reason = facts.unknown.get("gateways", "Gateways not read")
            found[("waypoints", "")] = [Finding(UNKNOWN_FACT, "waypoint-unknown", f"{len(facts.uses)} object(s) use waypoints, but {reason}", "waypoints")]
        return found
    for waypoint in facts.waypoints:
        target = (f"waypoint/{waypoint.name}.{waypoint.namespace}", waypoint.namespace)
        if waypoint.programmed != "True":
            found[target] = [Finding(ERROR, "waypoint-not-programmed", f"Gateway {waypoint.namespace}/{waypoint.name} Programmed={waypoint.programmed}", target[0])]
        else:
            found[target] = [Finding(INFO, "waypoint", "programmed", target[0])]
    for use in dangling_uses(facts.waypoints, facts.uses):
        target = (f"{use.kind.lower()}/{use.name}" + ("" if use.kind == "Namespace" else f".{use.namespace}"), use.namespace)
        found.setdefault(target, []).append(Finding(
            ERROR, "waypoint-missing", f"labelled istio.io/use-waypoint={use.waypoint}, but there is no waypoint {use.waypoint_namespace}/{use.waypoint}", target[0]))
    return found


@dataclass(frozen=True)
class AmbientCheck:
    """A registered ambient rule: its name (the CHECK column), description and function."""

    name: str
    description: str
    rule: Callable[[AmbientFacts], Targets]


AMBIENT_CHECKS: list[AmbientCheck] = [
    AmbientCheck("ztunnel-admin", "a ztunnel on every node with captured pods, its admin API reachable", ztunnel_admin),
    AmbientCheck("ambient-capture", "pods enrolled in ambient were redirected by istio-cni", ambient_capture),
    AmbientCheck("ztunnel-workload", "every captured pod is an HBONE workload of its node's ztunnel", ztunnel_workload),
    AmbientCheck("ztunnel-certs", "ztunnel certificates valid, renewed in time, issued for their identity", ztunnel_certs),
    AmbientCheck("waypoint", "waypoints programmed; istio.io/use-waypoint labels name existing waypoints", waypoints),
]


def run_ambient_checks(facts: AmbientFacts, checks: list[AmbientCheck] = AMBIENT_CHECKS) -> list[PodReport]:
    """One report row group per target (ztunnel, pod, waypoint), in target order."""
    by_target: dict[tuple[str, str], list[CheckResult]] = {}
    for check in checks:
        for target, findings in check.rule(facts).items():
            by_target.setdefault(target, []).append(CheckResult(check.name, status_of(findings), tuple(findings)))
    return [PodReport(name, namespace, tuple(results)) for (name, namespace), results in sorted(by_target.items())]
