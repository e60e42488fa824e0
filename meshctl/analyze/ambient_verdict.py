"""`explain mtls` for ambient mode: will SRC -> DST be mTLS (HBONE), plaintext, or fail, and through
which ztunnels and waypoint (pure; inputs are meshctl.analyze.ambient facts).

How ambient traffic flows (Istio's ambient data plane):

1. A captured pod's outbound traffic goes to the ztunnel on its node. That ztunnel needs the pod as a
   workload (from istiod) and a certificate for the pod's SPIFFE identity.
2. It looks DST up in its own view: a service VIP or hostname (then the service's waypoint applies,
   and its endpoints are the backends), or a workload IP (then the workload's waypoint applies).
   An address it does not know is passed through unchanged: plaintext, outside the mesh.
3. With a waypoint, ztunnel sends HBONE (HTTP CONNECT in mTLS, port 15008) to the waypoint, which
   sends HBONE on to the backend; without, straight to the backend's node.
4. A backend whose ztunnel protocol is HBONE is reached by HBONE and the ztunnel of its node
   terminates it (with a certificate for the backend's identity); a backend with protocol TCP (not
   captured: a sidecar pod or a pod outside the mesh) gets plaintext, which a STRICT sidecar refuses.
5. Traffic that reaches a captured pod from outside HBONE (a sidecar sending plaintext, a pod outside
   the mesh) arrives at its ztunnel in plaintext: allowed unless a STRICT PeerAuthentication applies
   (istiod gives ztunnel those as policies named ``converted_peer_authentication_*`` or
   ``istio_converted_static_strict``); sidecar-style mTLS without HBONE is passed to the app as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from meshctl.analyze.ambient import (
    ConnectionFacts,
    DataplaneMode,
    NodeZtunnel,
    certificate_for,
    dataplane_mode,
    find_workload,
    pod_key,
    resolve_destination,
    service_endpoints,
    waypoint_of,
    workload_identity,
)
from meshctl.analyze.mtls import VERDICT_FAIL, VERDICT_MTLS, VERDICT_PLAINTEXT, VERDICT_UNKNOWN, VERDICTS, worst
from meshctl.analyze.ztunnel import CertificateRow, equal_fold
from meshctl.analyze.ztunnel_certs import DEFAULT_CERT_WARN, ERROR, check_certificates
from meshctl.model.ambient import AMBIENT, HBONE_PORT, NO_MESH, SIDECAR
from meshctl.model.document import document
from meshctl.model.mesh import pod_ips
from meshctl.model.ztunnel import ZtunnelDump, ZtunnelPolicy, ZtunnelService, ZtunnelWorkload

HBONE, PLAINTEXT, SIDECAR_MTLS = "HBONE", "plaintext", "sidecar mTLS"
STRICT_POLICY_PREFIXES = ("converted_peer_authentication_", "istio_converted_static_strict")


@dataclass(frozen=True)
class Hop:
    """One proxy or endpoint on the way: kind is ztunnel | waypoint | sidecar | pod | address."""

    kind: str
    name: str
    detail: str = ""

    def to_dict(self) -> dict:
        """The JSON form (`explain mtls -o json`)."""
        return {"kind": self.kind, "name": self.name, "detail": self.detail}


@dataclass(frozen=True)
class AmbientPath:
    """SRC to one backend of DST."""

    endpoint: str
    verdict: str
    hops: tuple[Hop, ...] = ()
    evidence: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    identities: Mapping[str, str] = field(default_factory=dict)  # role (source, waypoint, destination) -> SPIFFE ID

    def to_dict(self) -> dict:
        """The JSON form (`explain mtls -o json`)."""
        return {"endpoint": self.endpoint, "verdict": self.verdict, "hops": [h.to_dict() for h in self.hops],
                "identities": dict(self.identities), "evidence": list(self.evidence), "problems": list(self.problems)}  # fmt: skip


@dataclass(frozen=True)
class AmbientExplanation:
    """The verdict for SRC -> DST through ztunnel(s) and waypoints, with the evidence."""

    source: str
    destination: str
    port: int | None
    source_mode: DataplaneMode | None
    paths: tuple[AmbientPath, ...] = ()
    problems: tuple[str, ...] = ()  # nothing to connect to at all
    notes: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        """The worst path's verdict; "will fail" with a problem, "unknown" without a path."""
        if self.problems:
            return VERDICT_FAIL
        if not self.paths:
            return VERDICT_UNKNOWN
        return worst(path.verdict for path in self.paths)

    def summary(self) -> str:
        """The verdict line: "mTLS (HBONE)", "will fail: <first problem>", or counts per verdict."""
        verdict = self.verdict
        problems = [*self.problems, *(p for path in self.paths for p in path.problems)]
        if verdict == VERDICT_FAIL and problems:
            return f"{verdict}: {problems[0]}"
        if verdict == VERDICT_MTLS:
            return f"{verdict} (HBONE)"
        kinds = {path.verdict for path in self.paths}
        if len(kinds) > 1:
            counts = ", ".join(f"{sum(1 for p in self.paths if p.verdict == v)} {v}" for v in VERDICTS if v in kinds)
            return f"{verdict} ({counts} of {len(self.paths)} endpoints)"
        return verdict

    def to_dict(self) -> dict:
        """The JSON form (`explain mtls -o json` for an ambient SRC, docs/json.md meshctl.explain-mtls-ambient/v1)."""
        mode = self.source_mode
        return document("explain-mtls-ambient", {
            "verdict": self.verdict, "summary": self.summary(),
            "source": self.source, "destination": {"spec": self.destination, "port": self.port},
            "sourceMode": {"mode": mode.mode, "reason": mode.reason, "captured": mode.captured} if mode else None,
            "problems": list(self.problems), "notes": list(self.notes), "paths": [p.to_dict() for p in self.paths],
        })  # fmt: skip


@dataclass
class Leg:
    """One stretch of a path (SRC's side, a waypoint, DST's side): hops, evidence, problems, verdict."""

    verdict: str = VERDICT_MTLS
    hops: list[Hop] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    identities: dict[str, str] = field(default_factory=dict)


def _certificate_problems(ztunnel: NodeZtunnel, identity: str, now: datetime, cert_warn: timedelta, leg: Leg, who: str) -> None:
    """The ztunnel's certificate for `identity`: evidence when fine, a problem when unusable."""
    dump = ztunnel.dump
    entry = certificate_for(dump, identity)
    if entry is None:
        leg.evidence.append(f"{ztunnel.describe} holds no certificate for {identity} yet (ztunnel requests it on first use)")
        return
    single = ZtunnelDump(certificates=[entry])
    checks = [c for c in check_certificates(single, now, cert_warn) if c.row.kind in ("Leaf", "NA")]
    for check in checks[:1]:
        errors = [m for severity, m in check.problems if severity == ERROR]
        if errors:
            leg.problems.append(f"{ztunnel.describe} cannot use {who}'s certificate {identity}: {errors[0]}")
            return
        shown = _certificate_text(check.row, check.decoded)
        leg.evidence.append(f"{ztunnel.describe} holds {who}'s certificate {identity}{shown}")
        leg.evidence += [f"  note: {m}" for severity, m in check.problems if severity != ERROR]


def _certificate_text(row: CertificateRow, decoded) -> str:
    if row.cert is None:
        return f" (state {row.secret.state})"
    if decoded is not None:
        return f" (serial {decoded.serial}, issuer {decoded.issuer}, expires {decoded.not_after_rfc3339})"
    return f" (expires {row.cert.expiration_time or 'unknown'})"


def strict_policy(dump: ZtunnelDump, workload: ZtunnelWorkload) -> ZtunnelPolicy | None:
    """The converted STRICT PeerAuthentication that applies to `workload` in this ztunnel, if any."""
    named = {f"{p}" for p in workload.authorization_policies or ()}
    for policy in dump.policies or ():
        if not policy.name.startswith(STRICT_POLICY_PREFIXES):
            continue
        key = f"{policy.namespace}/{policy.name}"
        if (policy.scope == "Global" or (policy.scope == "Namespace" and policy.namespace == workload.namespace)
                or (policy.scope == "WorkloadSelector" and key in named)):  # fmt: skip
            return policy
    return None


def _pod_for(facts: ConnectionFacts, workload: ZtunnelWorkload) -> Mapping | None:
    for pod in facts.dst_pods:
        meta = pod.get("metadata") or {}
        if equal_fold(meta.get("name", ""), workload.name) and equal_fold(meta.get("namespace", ""), workload.namespace):
            return pod
    for pod in facts.dst_pods:
        if set(pod_ips(pod)) & set(workload.workload_ips or ()):
            return pod
    return None


def _mode_of(facts: ConnectionFacts, pod: Mapping | None, workload: ZtunnelWorkload) -> DataplaneMode:
    if pod is not None:
        namespace = (pod.get("metadata") or {}).get("namespace", "")
        return dataplane_mode(pod, facts.dst_namespace_labels.get(namespace, {}))
    if workload.protocol == HBONE:
        return DataplaneMode(AMBIENT, "its ztunnel protocol is HBONE (pod not read)", True)
    return DataplaneMode(NO_MESH, f"its ztunnel protocol is {workload.protocol or 'TCP'} (pod not read)")


def destination_side(facts: ConnectionFacts, workload: ZtunnelWorkload, arriving: str, *, now: datetime,
                     cert_warn: timedelta = DEFAULT_CERT_WARN, sidecar_mode: str | None = None) -> Leg:
    """What DST's side does with a connection arriving as HBONE, plaintext or sidecar mTLS.

    `sidecar_mode` is DST's sidecar inbound mode when known (STRICT, PERMISSIVE, plaintext; from
    meshctl.analyze.mtls on DST's Envoy dump)."""
    leg = Leg()
    pod = _pod_for(facts, workload)
    mode = _mode_of(facts, pod, workload)
    name = f"{workload.name}.{workload.namespace}"
    identity = workload_identity(workload)
    leg.identities["destination"] = identity
    node = workload.node or ((pod or {}).get("spec") or {}).get("nodeName", "")
    leg.evidence.append(f"DST {name} ({', '.join(workload.workload_ips or ()) or workload.hostname}, node {node or 'unknown'}): {mode.mode}, {mode.reason}")
    if mode.mode == AMBIENT and mode.captured:
        ztunnel = facts.ztunnels.get(node) or NodeZtunnel(node)
        leg.hops.append(Hop("ztunnel", ztunnel.pod or "(none)", f"node {node}, {'terminates HBONE' if arriving == HBONE else 'inbound passthrough'}"))
        leg.hops.append(Hop("pod", name, identity))
        if not ztunnel.pod:
            leg.problems.append(f"no ztunnel on node {node}: traffic to the captured pod {name} has nowhere to go")
            return leg
        if arriving == HBONE:
            leg.evidence.append(f"{ztunnel.describe} terminates HBONE on {HBONE_PORT} for {identity}")
            if ztunnel.dump is None:
                leg.verdict = VERDICT_UNKNOWN
                leg.evidence.append(f"cannot check {ztunnel.describe}: {ztunnel.error or 'not read'}")
                return leg
            if find_workload(ztunnel.dump, name=workload.name, namespace=workload.namespace, ips=workload.workload_ips or ()) is None:
                leg.problems.append(f"{ztunnel.describe} does not know {name}: it refuses HBONE for it")
            _certificate_problems(ztunnel, identity, now, cert_warn, leg, "DST")
            return leg
        if arriving == SIDECAR_MTLS:
            leg.problems.append(f"SRC sends sidecar-style mTLS straight to {name}, which ztunnel captures: ztunnel terminates only HBONE and passes the TLS bytes to the app")
            return leg
        leg.verdict = VERDICT_PLAINTEXT
        policy = strict_policy(ztunnel.dump, workload) if ztunnel.dump is not None else None
        if policy is not None:
            leg.problems.append(f"plaintext reaches {ztunnel.describe}, and STRICT mTLS applies to {name} (ztunnel policy {policy.namespace}/{policy.name})")
        elif ztunnel.dump is None:
            leg.verdict = VERDICT_UNKNOWN
            leg.evidence.append(f"cannot tell whether STRICT mTLS applies: {ztunnel.describe} not read ({ztunnel.error or 'no dump'})")
        else:
            leg.evidence.append(f"{ztunnel.describe} accepts plaintext for {name} (no STRICT PeerAuthentication policy applies)")
        return leg
    if mode.mode == AMBIENT:  # enrolled, not captured: no ztunnel on its inbound path
        leg.evidence.append(f"{name} is not redirected to ztunnel: connections reach it directly")
    if mode.mode == SIDECAR:
        leg.hops.append(Hop("sidecar", name, identity))
        if arriving == HBONE:
            leg.evidence.append(f"{name}'s sidecar terminates HBONE on {HBONE_PORT} (ztunnel protocol HBONE)")
            return leg
        if arriving == SIDECAR_MTLS:
            leg.evidence.append(f"{name}'s sidecar terminates Istio mTLS")
            return leg
        leg.verdict = VERDICT_PLAINTEXT
        if sidecar_mode == "STRICT":
            leg.problems.append(f"plaintext reaches {name}'s sidecar, which is STRICT")
        elif sidecar_mode is None:
            leg.verdict = VERDICT_UNKNOWN
            leg.evidence.append(f"plaintext reaches {name}'s sidecar: accepted if PERMISSIVE, refused if STRICT (give --dst-pod/--dst-file to check)")
        else:
            leg.evidence.append(f"{name}'s sidecar accepts plaintext ({sidecar_mode})")
        return leg
    leg.hops.append(Hop("pod", name, "not in the mesh"))
    if arriving == SIDECAR_MTLS:
        leg.problems.append(f"SRC sends mTLS to {name}, which has no sidecar and is not captured by ztunnel")
        return leg
    leg.verdict = VERDICT_PLAINTEXT
    leg.evidence.append(f"{name} is outside the mesh: plaintext")
    return leg


def _waypoint_leg(facts: ConnectionFacts, dump: ZtunnelDump, name: str, target_service: ZtunnelService | None,
                  workload: ZtunnelWorkload | None, *, now: datetime, cert_warn: timedelta) -> Leg:
    leg = Leg()
    destination = (target_service.waypoint if target_service is not None else workload.waypoint).destination  # type: ignore[union-attr]
    if name == "NA":
        leg.problems.append(f"the waypoint address {destination} is not a service ztunnel knows")
        return leg
    service = next((s for s in dump.services or () if s.name == name and (
        f"{s.namespace}/{s.hostname}" == destination or destination in (s.addresses or ()))), None)
    namespace = service.namespace if service else ""
    backends = service_endpoints(dump, service) if service else []
    ready = [b for b in backends if b.status == "Healthy"]
    shown = ", ".join(f"{b.name} ({workload_identity(b)})" for b in ready) or "none healthy"
    leg.hops.append(Hop("waypoint", f"{name}.{namespace}", shown))
    leg.evidence.append(f"waypoint {name}.{namespace} (address {destination}): HBONE mTLS to it on {HBONE_PORT}, pods: {shown}")
    if ready:
        leg.identities["waypoint"] = workload_identity(ready[0])
    else:
        leg.problems.append(f"waypoint {name}.{namespace} has no healthy pod in ztunnel's view")
    if facts.waypoints_known:
        gateway = next((w for w in facts.waypoints if w.name == name and w.namespace == namespace), None)
        if gateway is None:
            leg.evidence.append(f"no Gateway {namespace}/{name} of class istio-waypoint found")
        elif gateway.programmed != "True":
            leg.problems.append(f"waypoint Gateway {namespace}/{name} is not programmed (Programmed={gateway.programmed})")
        else:
            leg.evidence.append(f"Gateway {namespace}/{name} is programmed")
    return leg


def explain_ambient(facts: ConnectionFacts, *, destination: str, host: str, port: int | None, now: datetime,
                    cert_warn: timedelta = DEFAULT_CERT_WARN, source_name: str = "SRC") -> AmbientExplanation:
    """SRC (an ambient pod) -> DST (a service name, VIP, pod IP, or "name.namespace" of a pod)."""
    src = facts.src_pod or {}
    src_meta = src.get("metadata") or {}
    src_ns = src_meta.get("namespace", "")
    mode = dataplane_mode(src, facts.src_namespace_labels)
    explanation = AmbientExplanation(source_name, destination, port, mode)
    if mode.mode != AMBIENT:
        return _with(explanation, problems=(f"SRC {pod_key(src)} is not in ambient mode: {mode.reason}",))
    node = (src.get("spec") or {}).get("nodeName", "")
    ztunnel = facts.ztunnels.get(node) or NodeZtunnel(node)
    src_leg = Leg()
    src_leg.evidence.append(f"SRC {pod_key(src)} (node {node}): ambient, {mode.reason}")
    notes: tuple[str, ...] = ()
    if mode.bypassed:
        # Not redirected: SRC sends as a pod outside the mesh would, and no waypoint is involved.
        src_leg.verdict = VERDICT_PLAINTEXT
        src_leg.hops.append(Hop("pod", pod_key(src), "not redirected to ztunnel"))
        notes = (f"restart {pod_key(src)} so that istio-cni redirects it to ztunnel",)
        dump = ztunnel.dump or next((z.dump for z in facts.ztunnels.values() if z.dump is not None), None)
        if dump is None:
            return _with(explanation, notes=(*src_leg.evidence, *notes, "no ztunnel dump was read to resolve DST"))
    elif not ztunnel.pod:
        return _with(explanation, notes=tuple(src_leg.evidence), problems=(f"no ztunnel on node {node}: SRC's captured traffic has nowhere to go",))
    elif ztunnel.dump is None:
        return _with(explanation, notes=(*src_leg.evidence, f"cannot read {ztunnel.describe}: {ztunnel.error or 'no dump'}"))
    else:
        dump = ztunnel.dump
        src_workload = find_workload(dump, name=src_meta.get("name", ""), namespace=src_ns, ips=pod_ips(src))
        if src_workload is None:
            return _with(explanation, notes=tuple(src_leg.evidence), problems=(f"{ztunnel.describe} does not know SRC {pod_key(src)}: its connections fail until istiod sends it",))
        src_identity = workload_identity(src_workload)
        src_leg.identities["source"] = src_identity
        src_leg.hops += [Hop("pod", pod_key(src), src_identity), Hop("ztunnel", ztunnel.pod, f"node {node}, outbound")]
        _certificate_problems(ztunnel, src_identity, now, cert_warn, src_leg, "SRC")
    service, target_workload, backends = resolve_destination(dump, host, src_ns)
    if service is not None:
        target = f"service {service.hostname} ({', '.join(v.partition('/')[2] for v in service.addresses or ()) or 'no VIP'})"
    else:
        target = f"workload {target_workload.name}.{target_workload.namespace}" if target_workload else ""
    if service is None and target_workload is None:
        src_leg.verdict = VERDICT_PLAINTEXT
        src_leg.hops.append(Hop("address", host))
        src_leg.evidence.append(f"ztunnel does not know {host}: the connection goes out unchanged (plaintext, outside the mesh)")
        return _with(explanation, paths=(_join(host, [src_leg]),), notes=notes)
    src_leg.evidence.append(f"ztunnel resolves {host} to {target}")
    if not backends:
        return _with(explanation, notes=(*src_leg.evidence, *notes), problems=(f"{target} has no endpoints in ztunnel's view",))
    waypoint = "" if mode.bypassed else waypoint_of(dump, target_workload, service)
    waypoint_leg = _waypoint_leg(facts, dump, waypoint, service, target_workload, now=now, cert_warn=cert_warn) if waypoint else None
    paths = []
    for backend in backends:
        arriving = HBONE if backend.protocol == HBONE and not mode.bypassed else PLAINTEXT
        dst_leg = destination_side(facts, backend, arriving, now=now, cert_warn=cert_warn)
        legs = [src_leg, *([waypoint_leg] if waypoint_leg else []), dst_leg]
        paths.append(_join(f"{backend.name}.{backend.namespace}", legs))
    return _with(explanation, paths=tuple(paths), notes=notes)


def _join(endpoint: str, legs: list[Leg]) -> AmbientPath:
    problems = [p for leg in legs for p in leg.problems]
    verdict = VERDICT_FAIL if problems else worst(leg.verdict for leg in legs)
    identities: dict[str, str] = {}
    for leg in legs:
        identities.update(leg.identities)
    return AmbientPath(endpoint, verdict, tuple(h for leg in legs for h in leg.hops), tuple(e for leg in legs for e in leg.evidence),
                       tuple(problems), identities)


def _with(explanation: AmbientExplanation, **changes) -> AmbientExplanation:
    from dataclasses import replace

    return replace(explanation, **changes)


def captured_destination(facts: ConnectionFacts, ip: str) -> ZtunnelWorkload | None:
    """The workload at `ip` when it is a pod ztunnel captures (protocol HBONE in some ztunnel's view,
    or a captured pod among the facts' pods), else None."""
    for ztunnel in facts.ztunnels.values():
        if ztunnel.dump is None:
            continue
        workload = find_workload(ztunnel.dump, ips=(ip,))
        if workload is not None:
            mode = _mode_of(facts, _pod_for(facts, workload), workload)
            return workload if mode.mode == AMBIENT and mode.captured else None
    return None


def sidecar_to_ambient(facts: ConnectionFacts, ip: str, client_verdict: str, *, tunnel: bool, now: datetime,
                       cert_warn: timedelta = DEFAULT_CERT_WARN) -> Leg | None:
    """A sidecar SRC's connection to a captured pod at `ip`, as DST's ztunnel receives it.

    `client_verdict` is what SRC's Envoy sends (meshctl.analyze.mtls: mTLS, TLS, plaintext) and
    `tunnel` whether the endpoint is reached through an HBONE tunnel. None when `ip` is not a
    captured pod (the sidecar analysis stands alone)."""
    workload = captured_destination(facts, ip)
    if workload is None:
        return None
    if tunnel:
        arriving = HBONE
    elif client_verdict in (VERDICT_MTLS, "TLS"):
        arriving = SIDECAR_MTLS
    else:
        arriving = PLAINTEXT
    return destination_side(facts, workload, arriving, now=now, cert_warn=cert_warn)


def endpoint_ip(address: str) -> str:
    """The IP of an explain mtls endpoint address ("10.0.0.1:9080"), or "" for a group of endpoints."""
    from meshctl.analyze.mtls import is_ip

    ip = address.rpartition(":")[0]
    return ip if ip and is_ip(ip) else ""


def with_ambient_destinations(explanation, facts: ConnectionFacts, *, now: datetime, cert_warn: timedelta = DEFAULT_CERT_WARN):
    """`explain mtls` with a sidecar SRC: what the ztunnel of each captured destination pod does
    with what SRC's Envoy sends it (meshctl.analyze.mtls Explanation in, the same with the ambient
    legs added to those endpoints' verdict, evidence and problems out)."""
    from dataclasses import replace

    paths, changed = [], False
    for path in explanation.paths:
        results = []
        for result in path.endpoints:
            ip = endpoint_ip(result.address)
            tunnel = bool(result.socket_match_metadata.get("tunnel"))  # istiod's HBONE endpoint metadata
            leg = sidecar_to_ambient(facts, ip, result.verdict, tunnel=tunnel, now=now, cert_warn=cert_warn) if ip else None
            if leg is None:
                results.append(result)
                continue
            changed = True
            verdict = VERDICT_FAIL if leg.problems else worst((result.verdict, leg.verdict))
            evidence = (*result.evidence, *(f"ambient: {line}" for line in leg.evidence))
            results.append(replace(result, verdict=verdict, evidence=evidence, problems=(*result.problems, *leg.problems)))
        paths.append(replace(path, endpoints=tuple(results)))
    return replace(explanation, paths=tuple(paths)) if changed else explanation
