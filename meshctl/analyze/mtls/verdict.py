"""`explain mtls`, the verdict: each endpoint's client and server sides put together (steps 1-4).

mTLS, TLS (encrypted, the server does not verify the client), plaintext, unknown, or will fail,
with the evidence for it. Pure. See meshctl.analyze.mtls for the whole chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

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
from meshctl.analyze.mtls.server import ServerSide, inbound_listener, san_matches, server_side
from meshctl.analyze.tls import TlsRow, cluster_tls_rows, dump_static_endpoints
from meshctl.decode.configdump import ConfigDump
from meshctl.decode.resources import clusters, load_assignments
from meshctl.model.views import WARMING, ClusterView, ListenerView

VERDICT_MTLS, VERDICT_TLS, VERDICT_PLAINTEXT, VERDICT_UNKNOWN, VERDICT_FAIL = "mTLS", "TLS", "plaintext", "unknown", "will fail"
# The overall verdict is the worst one over all endpoints, in this order.
VERDICTS = (VERDICT_MTLS, VERDICT_TLS, VERDICT_PLAINTEXT, VERDICT_UNKNOWN, VERDICT_FAIL)


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
            "verdict": self.verdict,
            "problems": list(self.problems),
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


@dataclass
class _Context:
    src: ConfigDump
    dst: ConfigDump | None
    now: datetime | None
    src_secrets: dict | None = None
    dst_secrets: dict | None = None
    dst_listeners: dict[int, ListenerView | None] = field(default_factory=dict)  # by port
    roots_shared: bool | None = None  # do SRC and DST trust a common root (None: not known)
    notes: list[str] = field(default_factory=list)


def _endpoint_result(ctx: _Context, address: str, ip: str | None, port: int, metadata: dict, selected: tuple[TlsRow, str], dst_applies: bool) -> EndpointResult:
    row, selected_match = selected
    kind = client_kind(row)
    label = f"tlsMode={metadata['tlsMode']}" if "tlsMode" in metadata else ("no transport_socket_match metadata" if not metadata else str(metadata))
    how = f"transport_socket_match {selected_match} ({row.match_text})" if row.match is not None else selected_match
    # Without EDS, `address` names the group of endpoints the row stands for (ip is None).
    head = f"endpoint {address} ({label}) selects {how}" if ip is not None else f"{address} select {how}"
    evidence = [head, *client_evidence(row)]
    problems: list[str] = []
    if kind in ("mtls", "tls"):
        found, seen = secret_problems((*row.cert_secrets, *row.validation_secrets), ctx.src_secrets, "SRC", ctx.now)
        problems += found
        evidence += seen
    server = None
    if ctx.dst is not None and dst_applies:
        server, server_problems, server_evidence = _check_server(ctx, ip, port, row, kind)
        problems += server_problems
        evidence += server_evidence
    if problems:
        verdict = VERDICT_FAIL
    elif kind == "other":
        verdict = VERDICT_UNKNOWN
        evidence.append(f"transport socket {row.mode} is not one meshctl understands")
    elif kind == "plain":
        verdict = VERDICT_PLAINTEXT
    elif kind == "tls" or (server is not None and not server.require_client_certificate):
        verdict = VERDICT_TLS
    else:
        verdict = VERDICT_MTLS
    return EndpointResult(address, metadata, row, selected_match, verdict, tuple(evidence), tuple(problems), server)


def _check_server(ctx: _Context, ip: str | None, port: int, row: TlsRow, kind: str) -> tuple[ServerSide | None, list[str], list[str]]:
    if port not in ctx.dst_listeners:
        ctx.dst_listeners[port] = inbound_listener(ctx.dst, port)
    listener = ctx.dst_listeners[port]
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
        found, seen = secret_problems((*server.cert_secrets, *server.validation_secrets), ctx.dst_secrets, "DST", ctx.now)
        problems += found
        evidence += seen
        problems += _identity_problems(ctx, row, server)
    else:
        evidence[0] += ", takes plaintext"
    return server, problems, evidence


def _identity_problems(ctx: _Context, row: TlsRow, server: ServerSide) -> list[str]:
    """SAN and trust checks that make an mTLS handshake fail although both sides speak TLS."""
    problems = []
    cert = None
    if ctx.dst_secrets is not None:
        for name in server.cert_secrets:
            cert = (ctx.dst_secrets.get(name) or (None, None))[1] or cert
    if cert is not None and row.san_matchers:
        sans = (*cert.uri_sans, *cert.dns_sans)
        if not any(san_matches(m, san) for m in row.san_matchers for san in sans):
            problems.append(f"DST presents {','.join(sans) or 'no SAN'} but SRC accepts only {','.join(row.san_matchers)}")
    if ctx.roots_shared is False:
        problems.append("SRC and DST trust no common root (ROOTCA differs): the handshake fails certificate verification")
    return problems


def _roots_shared(src: ConfigDump, dst: ConfigDump) -> bool | None:
    from meshctl.analyze.rootca import compare_roots, root_bundle_from_dump
    from meshctl.errors import DecodeError

    try:
        comparison = compare_roots("SRC", root_bundle_from_dump(src, "SRC"), "DST", root_bundle_from_dump(dst, "DST"))
    except DecodeError:
        return None  # no ROOTCA on one side: the secret checks report that
    return comparison.shared > 0


# --- the whole explanation --------------------------------------------------------------------------


def explain_mtls(src: ConfigDump, destination: Destination, dst: ConfigDump | None = None, *, source: str = "SRC", now: datetime | None = None) -> Explanation:
    """Steps 1-4 for SRC -> DST; `dst` is DST's dump when known (else the server side is not checked)."""
    ctx = _Context(src, dst, now, src_secrets=secret_index(src))
    if dst is not None:
        ctx.dst_secrets = secret_index(dst)
        ctx.roots_shared = _roots_shared(src, dst)
    cluster_views = clusters(src)
    choices = choose_clusters(src, destination, cluster_views)
    if not choices:
        what = destination.host or ",".join(destination.workload_ips) or destination.spec
        port = f" port {destination.port}" if destination.port else ""
        return Explanation(source, destination, (), (f"SRC has no route or cluster for {what}{port} (traffic goes to PassthroughCluster or BlackHole)",),
                           server_checked=dst is not None)  # fmt: skip
    # An active cluster wins over a warming update of itself: Envoy keeps using the active one.
    views = {view.name: view for view in sorted(cluster_views, key=lambda v: v.state != WARMING)}
    assignments = {str(a.get("cluster_name", "")): a for a in load_assignments(src)}
    has_eds = src.section("EndpointsConfigDump") is not None
    if not has_eds:
        ctx.notes.append("SRC's dump has no endpoints (fetch config_dump?include_eds): showing each transport socket match instead")
    static = dump_static_endpoints(src)
    paths = [_path(ctx, choice, views.get(choice.cluster), assignments, has_eds, static, destination) for choice in choices]
    if dst is None:
        ctx.notes.append("DST's inbound side not checked (give DST as a pod, --dst-file or --dst-admin)")
    return Explanation(source, destination, tuple(paths), notes=tuple(ctx.notes), server_checked=dst is not None)


def _path(ctx: _Context, choice: ClusterChoice, view: ClusterView | None, assignments, has_eds: bool, static, destination: Destination) -> PathResult:
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
        for address, metadata in hypothetical:
            results.append(_endpoint_result(ctx, address, None, destination.port or 0, metadata, select_socket(view.raw, rows, metadata), True))
        return PathResult(view.name, view.state, choice.selected_by, _distinct_results(results), tuple(problems), endpoints_known=False)
    if choice.only_ips:
        endpoints = [ep for ep in endpoints if ep[0] in choice.only_ips]
    if not endpoints and not problems:
        problems.append(f"cluster {view.name} has no endpoints (503 UH: no healthy upstream)")
    dst_served = {ip for ip, _, _ in endpoints} & dst_ips
    if ctx.dst is not None and dst_ips and not dst_served:
        ctx.notes.append(f"DST's IPs ({','.join(sorted(dst_ips))}) are not endpoints of {view.name}: DST's inbound config is applied to every endpoint")
    for ip, port, metadata in endpoints:
        applies = not dst_served or ip in dst_served
        results.append(_endpoint_result(ctx, f"{ip}:{port}", ip, port, metadata, select_socket(view.raw, rows, metadata), applies))
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


# --- for callers that already chose the cluster (`explain request`) ---------------------------------


class EndpointTls:
    """`explain mtls`'s verdict for one endpoint of a cluster the caller chose (by route, weight).

    Holds the secret indexes and the root comparison, so many requests over the same dumps cost
    one certificate parse.
    """

    def __init__(self, src: ConfigDump, dst: ConfigDump | None = None, *, now: datetime | None = None) -> None:
        self._ctx = _Context(src, dst, now, src_secrets=secret_index(src))
        if dst is not None:
            self._ctx.dst_secrets = secret_index(dst)
            self._ctx.roots_shared = _roots_shared(src, dst)
        self._static = dump_static_endpoints(src)
        self._rows: dict[str, list[TlsRow]] = {}

    def endpoint(self, view: ClusterView, ip: str, port: int, metadata: Mapping, *, dst_applies: bool) -> EndpointResult:
        """The transport socket `view` uses for endpoint ip:port (with its socket-match metadata)
        and the verdict, with DST's inbound side checked when `dst_applies`."""
        rows = self._rows.get(view.name)
        if rows is None:
            rows = self._rows[view.name] = cluster_tls_rows(view.raw, self._static, view.state)
        selected = select_socket(view.raw, rows, metadata)
        return _endpoint_result(self._ctx, f"{ip}:{port}", ip, port, dict(metadata), selected, dst_applies)

    def src_certificate(self, secret_names: Iterable[str]):
        """SRC's leading certificate (a CertView) of the first named secret it holds, or None."""
        for name in secret_names:
            cert = ((self._ctx.src_secrets or {}).get(name) or (None, None))[1]
            if cert is not None:
                return cert
        return None
