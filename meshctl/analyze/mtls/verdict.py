"""`explain mtls`, the verdict: each endpoint's client and server sides put together (steps 1-4).

mTLS, TLS (encrypted, the server does not verify the client), plaintext, unknown, or will fail,
with the evidence for it. Pure. See meshctl.analyze.mtls for the whole chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from meshctl.analyze.envoy import listener_port, parse_subset_key
from meshctl.analyze.mtls.client import (
    ClusterChoice,
    Destination,
    choose_clusters,
    client_evidence,
    client_kind,
    is_ip,
    secret_index,
    secret_problems,
    select_socket,
    upstream_endpoints,
)
from meshctl.analyze.mtls.server import INBOUND_CAPTURE_PORT, VIRTUAL_INBOUND, ServerSide, inbound_listener_of, san_matches, server_side
from meshctl.analyze.tls import TlsRow, cluster_tls_rows, dump_static_endpoints
from meshctl.decode.configdump import ConfigDump
from meshctl.decode.resources import clusters, listeners, load_assignments
from meshctl.model.mesh import AMBIENT, NO_MESH, SIDECAR, PodFact, PodIndex
from meshctl.model.views import WARMING, ClusterView, ListenerView

VERDICT_MTLS, VERDICT_TLS, VERDICT_PLAINTEXT, VERDICT_UNKNOWN, VERDICT_FAIL = "mTLS", "TLS", "plaintext", "unknown", "will fail"
# The overall verdict is the worst one over all endpoints, in this order.
VERDICTS = (VERDICT_MTLS, VERDICT_TLS, VERDICT_PLAINTEXT, VERDICT_UNKNOWN, VERDICT_FAIL)
WORKLOAD_SECRET = "default"  # the workload certificate pilot-agent serves over SDS
TLS_MODE_ISTIO = "istio"  # endpoint label istiod sets on sidecar'd endpoints (model.TLSModeIstio)


@dataclass(frozen=True)
class EndpointResult:
    """One endpoint of the cluster: the socket it selects and what happens on the wire."""

    address: str  # "10.0.0.1:9080"; "endpoints with tlsMode=istio" when the dump has no EDS
    socket_match_metadata: dict
    tls: TlsRow
    selected_match: str  # the match name, "(cluster transport_socket)" or "(default raw_buffer)"
    verdict: str
    evidence: tuple[str, ...]
    problems: tuple[str, ...] = ()
    server: ServerSide | None = None
    cautions: tuple[str, ...] = ()  # not a failure, but one that depends on a fact not read
    code: str = ""  # what the first problem (or caution) is: mtls-to-plain-pod, plaintext-to-sidecar, will-fail
    target: str = ""  # the pod behind the endpoint (pod.namespace), when the pod list knows it

    def to_dict(self) -> dict:
        """The JSON form."""
        tls = self.tls.to_dict()
        client = {key: tls[key] for key in ("mode", "transportSocket", "sni", "alpn", "sanMatchers", "certSecrets", "validationSecrets", "sdsSources")}
        return {
            "address": self.address,
            "tlsMode": self.socket_match_metadata.get("tlsMode"),
            "transportSocketMatchMetadata": self.socket_match_metadata,
            "selectedMatch": self.selected_match,
            "client": client,
            "server": self.server.to_dict() if self.server else None,
            "pod": self.target or None,
            "verdict": self.verdict,
            "problems": list(self.problems),
            "cautions": list(self.cautions),
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class PathResult:
    """One outbound cluster SRC would use for DST."""

    cluster: str
    state: str  # active | warming | static | missing
    selected_by: str  # how SRC gets to this cluster (route, listener, name, endpoint IP)
    endpoints: tuple[EndpointResult, ...]
    problems: tuple[str, ...] = ()  # cluster-level: warming, missing, no endpoints
    endpoints_known: bool = True  # False: the dump has no EDS; `endpoints` are one per socket match

    @property
    def verdict(self) -> str:
        """The worst verdict of the parts."""
        if self.problems:
            return VERDICT_FAIL
        verdicts = {result.verdict for result in self.endpoints}
        if not self.endpoints_known and len(verdicts) > 1:
            return VERDICT_UNKNOWN  # depends on which endpoints exist, which the dump does not say
        return worst(verdicts)

    def to_dict(self) -> dict:
        """The JSON form."""
        return {
            "cluster": self.cluster, "state": self.state, "selectedBy": self.selected_by, "verdict": self.verdict,
            "problems": list(self.problems), "endpointsKnown": self.endpoints_known,
            "endpoints": [result.to_dict() for result in self.endpoints],
        }  # fmt: skip


@dataclass(frozen=True)
class Explanation:
    """The verdict for SRC -> DST and the evidence for it (`explain mtls -o json`)."""

    source: str
    destination: Destination
    paths: tuple[PathResult, ...]
    problems: tuple[str, ...] = ()  # nothing to connect to at all
    notes: tuple[str, ...] = ()
    server_checked: bool = False

    @property
    def verdict(self) -> str:
        """The worst verdict of the parts."""
        if self.problems or not self.paths:
            return VERDICT_FAIL
        return worst(path.verdict for path in self.paths)

    def summary(self) -> str:
        """The verdict line: "mTLS", or "will fail: <first reason>", or a mixed count."""
        verdict = self.verdict
        problems = [*self.problems, *(p for path in self.paths for p in path.problems)]
        problems += [p for path in self.paths for result in path.endpoints for p in result.problems]
        if verdict == VERDICT_FAIL and problems:
            return f"{verdict}: {problems[0]}"
        counts: dict[str, int] = {}
        for path in self.paths:
            for result in path.endpoints if path.endpoints_known else ():
                counts[result.verdict] = counts.get(result.verdict, 0) + 1
        if len(counts) > 1 and verdict in counts:
            total = sum(counts.values())
            others = ", ".join(f"{n} {v}" for v, n in sorted(counts.items(), key=lambda kv: VERDICTS.index(kv[0])) if v != verdict)
            return f"{verdict} for {counts[verdict]} of {total} endpoints ({others})"
        return verdict

    def to_dict(self) -> dict:
        """The JSON form (`explain mtls -o json`, docs/json.md meshctl.explain-mtls/v1)."""
        from meshctl.model.document import document

        return document("explain-mtls", {
            "verdict": self.verdict,
            "summary": self.summary(),
            "source": self.source,
            "destination": {
                "spec": self.destination.spec, "host": self.destination.host, "port": self.destination.port,
                "workloadIps": list(self.destination.workload_ips),
            },
            "serverChecked": self.server_checked,
            "problems": list(self.problems),
            "notes": list(self.notes),
            "paths": [path.to_dict() for path in self.paths],
        })  # fmt: skip


def worst(verdicts: Iterable[str]) -> str:
    """The worst of `verdicts` (VERDICTS order); unknown when there are none."""
    found = list(verdicts)
    return max(found, key=VERDICTS.index) if found else VERDICT_UNKNOWN


# --- facts each side contributes (the one model explain and check share) ----------------------------


@dataclass(frozen=True)
class ServerFacts:
    """What a sidecar's dump says about receiving traffic: its inbound listeners, SDS secrets and roots.

    Small (no clusters, routes or endpoints), so `check` keeps one per pod while it goes through a fleet.
    """

    name: str
    listeners: tuple[ListenerView, ...] = ()
    secrets: dict | None = None  # _secret_index: None when the dump has no secrets
    roots: object | None = None  # the ROOTCA CertBundle, None when absent or unreadable


def _root_bundle(dump: ConfigDump):
    from meshctl.analyze.rootca import root_bundle_from_dump
    from meshctl.errors import DecodeError

    try:
        return root_bundle_from_dump(dump, "")
    except DecodeError:
        return None  # no ROOTCA: the secret checks report that


def server_facts(dump: ConfigDump, name: str = "DST") -> ServerFacts:
    """DST's side of every verdict, from its config dump."""
    inbound = tuple(v for v in listeners(dump) if v.name == VIRTUAL_INBOUND or listener_port(v.raw) == INBOUND_CAPTURE_PORT
                    or v.raw.get("traffic_direction") == "INBOUND")  # fmt: skip
    return ServerFacts(name, inbound, secret_index(dump), _root_bundle(dump))


def _roots_shared(src_roots, dst_roots) -> bool | None:
    """Do SRC and DST trust a common root? None when either bundle is unknown."""
    from meshctl.analyze.rootca import compare_roots

    if src_roots is None or dst_roots is None:
        return None
    return compare_roots("SRC", src_roots, "DST", dst_roots).shared > 0


# --- step 3 + verdict per endpoint ---------------------------------------------------------------


@dataclass
class _Context:
    """SRC's facts, the mesh's pods, and what each verdict found worth a note."""

    src_secrets: dict | None
    src_roots: object | None
    now: datetime | None
    pods: PodIndex | None = None  # None: not read (explain on files); PodIndex.unread: read and failed
    notes: list[str] = field(default_factory=list)
    _listeners: dict = field(default_factory=dict)  # (server name, port) -> ListenerView | None
    _roots: dict = field(default_factory=dict)  # server name -> roots shared

    @classmethod
    def of(cls, src: ConfigDump, now: datetime | None, pods: PodIndex | None = None) -> _Context:
        return cls(secret_index(src), _root_bundle(src), now, pods)

    def inbound(self, server: ServerFacts, port: int) -> ListenerView | None:
        key = (server.name, port)
        if key not in self._listeners:
            self._listeners[key] = inbound_listener_of(server.listeners, port)
        return self._listeners[key]

    def roots_shared(self, server: ServerFacts) -> bool | None:
        if server.name not in self._roots:
            self._roots[server.name] = _roots_shared(self.src_roots, server.roots)
        return self._roots[server.name]


def istio_mtls(row: TlsRow) -> str:
    """How the socket is Istio's mTLS ("tlsMode=istio", "ISTIO_MUTUAL"), or "" when it is not.

    Istio's client mTLS presents the workload certificate pilot-agent serves over SDS as
    ``default`` (pilot cluster_builder.go buildIstioMutualTLS); a MUTUAL DestinationRule with
    the user's own certificates is the application's TLS, which an app without a sidecar may speak.
    """
    if client_kind(row) != "mtls" or WORKLOAD_SECRET not in row.cert_secrets:
        return ""
    return "tlsMode=istio" if (row.match or {}).get("tlsMode") == TLS_MODE_ISTIO else "ISTIO_MUTUAL"


def _target_findings(row: TlsRow, kind: str, target: PodFact, server: ServerFacts | None) -> tuple[str, list[str], list[str], list[str]]:
    """(code, problems, cautions, evidence) from the pod behind an endpoint (the pod list's facts)."""
    if target.dataplane == NO_MESH:
        how = istio_mtls(row)
        if how:
            return "mtls-to-plain-pod", [f"SRC sends Istio mTLS ({how}) to pod {target.key}, which has no sidecar"], [], []
        return "", [], [], [f"pod {target.key} has no sidecar: the application itself receives SRC's {'plaintext' if kind == 'plain' else 'TLS'}"]
    if target.dataplane == AMBIENT:
        return "", [], [], [f"pod {target.key} is captured by ztunnel (ambient mode): its side is judged by the ambient analysis"]
    if server is None and kind == "plain":
        caution = f"SRC sends plain text to sidecar pod {target.key}: refused if its PeerAuthentication is STRICT (its inbound listener was not read)"
        return "plaintext-to-sidecar", [], [caution], []
    return "", [], [], [f"pod {target.key} has a sidecar"]


def _endpoint_result(ctx: _Context, address: str, ip: str | None, port: int, metadata: dict, selected: tuple[TlsRow, str],
                     server: ServerFacts | None, target: PodFact | None = None) -> EndpointResult:
    """The verdict for one endpoint: SRC's socket, the pod behind the endpoint, and its inbound side.

    `server` is the inbound side of the endpoint's workload when known (DST's dump, or in
    `check` the target pod's); `target` the pod at `ip` from the pod list.
    """
    row, selected_match = selected
    kind = client_kind(row)
    label = f"tlsMode={metadata['tlsMode']}" if "tlsMode" in metadata else ("no transport_socket_match metadata" if not metadata else str(metadata))
    how = f"transport_socket_match {selected_match} ({row.match_text})" if row.match is not None else selected_match
    # Without EDS, `address` names the group of endpoints the row stands for (ip is None).
    head = f"endpoint {address} ({label}) selects {how}" if ip is not None else f"{address} select {how}"
    evidence = [head, *client_evidence(row)]
    problems: list[str] = []
    cautions: list[str] = []
    code = ""
    if target is not None:
        code, problems, cautions, seen = _target_findings(row, kind, target, server)
        evidence += seen
    if kind in ("mtls", "tls"):
        found, seen = secret_problems((*row.cert_secrets, *row.validation_secrets), ctx.src_secrets, "SRC", ctx.now)
        problems += found
        evidence += seen
    result_server = None
    if server is not None and not (target is not None and target.dataplane != SIDECAR):
        result_server, server_problems, server_evidence = _check_server(ctx, server, ip, port, row, kind)
        problems += server_problems
        evidence += server_evidence
    if problems:
        verdict = VERDICT_FAIL
        code = code or "will-fail"
    elif kind == "other":
        verdict = VERDICT_UNKNOWN
        evidence.append(f"transport socket {row.mode} is not one meshctl understands")
    elif kind == "plain":
        verdict = VERDICT_PLAINTEXT
    elif kind == "tls" or (result_server is not None and not result_server.require_client_certificate):
        verdict = VERDICT_TLS
    else:
        verdict = VERDICT_MTLS
    return EndpointResult(address, metadata, row, selected_match, verdict, tuple(evidence), tuple(problems), result_server,
                          cautions=tuple(cautions), code=code if (problems or cautions) else "", target=target.key if target else "")  # fmt: skip


def _check_server(ctx: _Context, facts: ServerFacts, ip: str | None, port: int, row: TlsRow, kind: str) -> tuple[ServerSide | None, list[str], list[str]]:
    listener = ctx.inbound(facts, port)
    if listener is None:
        if kind == "plain":
            return None, [], ["DST has no inbound listener (no sidecar capture): plaintext reaches the app"]
        return None, ["DST has no inbound listener (virtualInbound): the app itself receives SRC's TLS handshake"], []
    transport = "raw_buffer" if kind == "plain" else "tls"
    server = server_side(listener, port=port, ip=ip, transport=transport, alpn=row.alpn, sni=row.sni)
    where = f"DST {listener.name} port {port}: {server.mode}"
    problems, evidence = [], [where]
    if listener.state == WARMING:
        problems.append(f"DST's inbound listener {listener.name} is warming")
    if not server.chain:
        problems.append(f"no filter chain of DST's {listener.name} accepts {transport} on port {port}: Envoy closes the connection")
        return server, problems, evidence
    chain = f"chain {server.chain} ({server.chain_match})"
    evidence[0] += f"; {chain}"
    if kind == "plain" and server.terminates_tls:
        problems.append(f"DST requires TLS on port {port} ({server.mode}): {chain} refuses plaintext")
    elif kind != "plain" and not server.terminates_tls:
        problems.append(f"DST's {chain} on port {port} does not terminate TLS ({server.mode}): SRC's TLS handshake fails")
    elif server.terminates_tls:
        requires = f"requires client certificate, trusts {','.join(server.validation_secrets) or '-'}" if server.require_client_certificate else "does not ask for a client certificate"
        evidence[0] += f", terminates TLS with {','.join(server.cert_secrets) or '-'}, {requires}"
        if server.require_client_certificate and not row.cert_secrets:
            problems.append(f"DST requires a client certificate on port {port} but SRC's socket has none (TLS without mTLS)")
        found, seen = secret_problems((*server.cert_secrets, *server.validation_secrets), facts.secrets, "DST", ctx.now)
        problems += found
        evidence += seen
        problems += _identity_problems(ctx, facts, row, server)
    else:
        evidence[0] += ", takes plaintext"
    return server, problems, evidence


def _identity_problems(ctx: _Context, facts: ServerFacts, row: TlsRow, server: ServerSide) -> list[str]:
    """SAN and trust checks that make an mTLS handshake fail although both sides speak TLS."""
    problems = []
    cert = None
    if facts.secrets is not None:
        for name in server.cert_secrets:
            cert = (facts.secrets.get(name) or (None, None))[1] or cert
    if cert is not None and row.san_matchers:
        sans = (*cert.uri_sans, *cert.dns_sans)
        if not any(san_matches(m, san) for m in row.san_matchers for san in sans):
            problems.append(f"DST presents {','.join(sans) or 'no SAN'} but SRC accepts only {','.join(row.san_matchers)}")
    if ctx.roots_shared(facts) is False:
        problems.append("SRC and DST trust no common root (ROOTCA differs): the handshake fails certificate verification")
    return problems


# --- the whole explanation --------------------------------------------------------------------------


def explain_mtls(src: ConfigDump, destination: Destination, dst: ConfigDump | None = None, *, source: str = "SRC",
                 now: datetime | None = None, pods: PodIndex | None = None, target: PodFact | None = None) -> Explanation:
    """Steps 1-4 for SRC -> DST; `dst` is DST's dump when known (else the server side is not checked).

    `pods` is the mesh's pod list (each endpoint is judged against the pod behind it); `target` is
    DST's pod when DST was named as a pod or an IP the list knows.
    """
    ctx = _Context.of(src, now, pods)
    server = server_facts(dst) if dst is not None else None
    if pods is not None and not pods.known:
        ctx.notes.append(f"unknown: the pods behind the endpoints (sidecar or not) were not read: {pods.unknown}")
    cluster_views = clusters(src)
    choices = choose_clusters(src, destination, cluster_views)
    if not choices:
        what = destination.host or ",".join(destination.workload_ips) or destination.spec
        port = f" port {destination.port}" if destination.port else ""
        whom = f" (pod {target.key})" if target is not None and target.key not in what else ""
        return Explanation(source, destination, (), (f"SRC has no route or cluster for {what}{port}{whom} (traffic goes to PassthroughCluster or BlackHole)",),
                           notes=tuple(ctx.notes), server_checked=dst is not None)  # fmt: skip
    # An active cluster wins over a warming update of itself: Envoy keeps using the active one.
    views = {view.name: view for view in sorted(cluster_views, key=lambda v: v.state != WARMING)}
    assignments = {str(a.get("cluster_name", "")): a for a in load_assignments(src)}
    has_eds = src.section("EndpointsConfigDump") is not None
    if not has_eds:
        ctx.notes.append("SRC's dump has no endpoints (fetch config_dump?include_eds): showing each transport socket match instead")
    static = dump_static_endpoints(src)
    paths = [_path(ctx, choice, views.get(choice.cluster), assignments, has_eds, static, destination, server, target) for choice in choices]
    if dst is None and not (target is not None and target.dataplane != SIDECAR):
        ctx.notes.append("DST's inbound side not checked (give DST as a pod, --dst-file or --dst-admin)")
    return Explanation(source, destination, tuple(paths), notes=tuple(ctx.notes), server_checked=dst is not None)


def _path(ctx: _Context, choice: ClusterChoice, view: ClusterView | None, assignments, has_eds: bool, static, destination: Destination,
          server: ServerFacts | None, target: PodFact | None) -> PathResult:
    if view is None:
        return PathResult(choice.cluster, "missing", choice.selected_by, (), (f"cluster {choice.cluster} does not exist in SRC (503 NR / cluster not found)",))
    problems = []
    if view.state == WARMING:
        problems.append(f"cluster {view.name} is warming (waiting for endpoints or secrets): Envoy does not use it yet")
    rows = cluster_tls_rows(view.raw, static, view.state)
    endpoints = upstream_endpoints(view.raw, assignments, has_eds)
    if view.raw.get("type") == "ORIGINAL_DST" and destination.host and is_ip(destination.host):
        endpoints = [(destination.host, destination.port or 0, {})]  # Envoy connects to the original destination
    results = []
    dst_ips = set(destination.workload_ips)
    if endpoints is None:
        # Without EDS: one hypothetical endpoint per match, and one without metadata.
        hypothetical = [(f"endpoints with {row.match_text}", dict(row.match)) for row in rows if row.match]
        hypothetical.append(("endpoints without metadata", {}))
        # A destination without a port ("reviews") goes to each cluster on its own service port (outbound|9080||...):
        # DST's chain for that port decides, not the chain for no port.
        port = destination.port or parse_subset_key(view.name)[3]
        for address, metadata in hypothetical:
            results.append(_endpoint_result(ctx, address, None, port, metadata, select_socket(view.raw, rows, metadata), server, target))
        return PathResult(view.name, view.state, choice.selected_by, _distinct_results(results), tuple(problems), endpoints_known=False)
    if choice.only_ips:
        endpoints = [ep for ep in endpoints if ep[0] in choice.only_ips]
    if not endpoints and not problems:
        problems.append(f"cluster {view.name} has no endpoints (503 UH: no healthy upstream)")
    dst_served = {ip for ip, _, _ in endpoints} & dst_ips
    if server is not None and dst_ips and not dst_served:
        ctx.notes.append(f"DST's IPs ({','.join(sorted(dst_ips))}) are not endpoints of {view.name}: DST's inbound config is applied to every endpoint")
    pods = ctx.pods if ctx.pods is not None and ctx.pods.known else None
    for ip, port, metadata in endpoints:
        applies = not dst_served or ip in dst_served
        who = pods.at(ip) if pods is not None else (target if applies and target is not None else None)
        results.append(_endpoint_result(ctx, f"{ip}:{port}", ip, port, metadata, select_socket(view.raw, rows, metadata),
                                        server if applies else None, who))  # fmt: skip
    return PathResult(view.name, view.state, choice.selected_by, tuple(results), tuple(problems))


def _distinct_results(results: list[EndpointResult]) -> tuple[EndpointResult, ...]:
    # Hypothetical endpoints that select the same socket say the same thing once.
    seen, kept = set(), []
    for result in results:
        key = (result.selected_match, result.verdict)
        if key not in seen:
            seen.add(key)
            kept.append(result)
    return tuple(kept)


# --- the same verdicts over a whole dump (check's traffic rules) ------------------------------------


@dataclass(frozen=True)
class OutboundEndpoint:
    """An endpoint of one of SRC's outbound clusters, with the transport socket Envoy picks for it."""

    cluster: str
    ip: str
    port: int
    metadata: dict
    selected: tuple[TlsRow, str]


@dataclass(frozen=True)
class ClientFacts:
    """SRC's side of every verdict, from its dump: secrets, roots, and its outbound endpoints at known pods."""

    secrets: dict | None
    roots: object | None
    has_eds: bool
    endpoints: tuple[OutboundEndpoint, ...] = ()


def client_facts(dump: ConfigDump, pods: PodIndex) -> ClientFacts:
    """Every outbound endpoint that is a pod of `pods` (not VMs, external hosts, other clusters)."""
    has_eds = dump.section("EndpointsConfigDump") is not None
    found = []
    if has_eds and pods.known:
        assignments = {str(a.get("cluster_name", "")): a for a in load_assignments(dump)}
        static = dump_static_endpoints(dump)
        for view in clusters(dump):
            if not view.name.startswith("outbound|"):
                continue
            known = [ep for ep in upstream_endpoints(view.raw, assignments, True) or () if pods.at(ep[0]) is not None]
            rows = cluster_tls_rows(view.raw, static, view.state) if known else []
            found += [OutboundEndpoint(view.name, ip, port, metadata, select_socket(view.raw, rows, metadata)) for ip, port, metadata in known]
    return ClientFacts(secret_index(dump), _root_bundle(dump), has_eds, tuple(found))


def endpoint_verdicts(client: ClientFacts, pods: PodIndex, servers: Mapping[str, ServerFacts], *, now: datetime | None = None
                      ) -> list[tuple[OutboundEndpoint, EndpointResult]]:
    """explain mtls's verdict for each of SRC's outbound endpoints at a known pod.

    `servers` holds the inbound side of the sidecar pods whose dumps were read (by pod key);
    `check`'s tls-mode rule reports the endpoints whose verdict is "will fail" or carries a caution.
    """
    ctx = _Context(client.secrets, client.roots, now, pods)
    results = []
    for endpoint in client.endpoints:
        target = pods.at(endpoint.ip)
        server = servers.get(target.key) if target is not None else None
        if server is not None and server.name != target.key:
            server = ServerFacts(target.key, server.listeners, server.secrets, server.roots)
        results.append((endpoint, _endpoint_result(ctx, f"{endpoint.ip}:{endpoint.port}", endpoint.ip, endpoint.port,
                                                   endpoint.metadata, endpoint.selected, server, target)))  # fmt: skip
    return results


# --- for callers that already chose the cluster (`explain request`) ---------------------------------


class EndpointTls:
    """`explain mtls`'s verdict for one endpoint of a cluster the caller chose (by route, weight).

    Holds the secret indexes and the root comparison, so many requests over the same dumps cost
    one certificate parse.
    """

    def __init__(self, src: ConfigDump, dst: ConfigDump | None = None, *, now: datetime | None = None, pods: PodIndex | None = None) -> None:
        self._ctx = _Context.of(src, now, pods)
        self._server = server_facts(dst) if dst is not None else None
        self._static = dump_static_endpoints(src)
        self._rows: dict[str, list[TlsRow]] = {}

    def endpoint(self, view: ClusterView, ip: str, port: int, metadata: Mapping, *, dst_applies: bool) -> EndpointResult:
        """The transport socket `view` uses for endpoint ip:port (with its socket-match metadata)
        and the verdict, with DST's inbound side checked when `dst_applies`."""
        rows = self._rows.get(view.name)
        if rows is None:
            rows = self._rows[view.name] = cluster_tls_rows(view.raw, self._static, view.state)
        selected = select_socket(view.raw, rows, metadata)
        pods = self._ctx.pods
        target = pods.at(ip) if pods is not None and pods.known else None
        return _endpoint_result(self._ctx, f"{ip}:{port}", ip, port, dict(metadata), selected, self._server if dst_applies else None, target)

    def src_certificate(self, secret_names: Iterable[str]):
        """SRC's leading certificate (a CertView) of the first named secret it holds, or None."""
        for name in secret_names:
            cert = ((self._ctx.src_secrets or {}).get(name) or (None, None))[1]
            if cert is not None:
                return cert
        return None
