"""`explain mtls`: will a connection from SRC to DST be mTLS, plaintext, or fail, and why.

The chain of evidence, as Envoy walks it:

1. SRC picks an outbound cluster for DST: the HTTP route whose virtual host lists DST's name
   (or IP) as a domain, a TCP listener on DST's IP:port, the cluster named
   ``outbound|PORT||FQDN``, or the clusters whose endpoints include DST's IP.
2. For each endpoint of that cluster, Envoy picks a transport socket: the first
   ``transport_socket_matches`` entry whose ``match`` fields all equal the endpoint's
   ``envoy.transport_socket_match`` metadata, else the cluster's ``transport_socket``, else
   raw_buffer (envoy source/common/upstream/transport_socket_match_impl.cc). Istio labels
   sidecar'd endpoints ``tlsMode=istio`` (pilot cluster_builder.go buildUpstreamTLSSettings).
3. The TLS context of that socket names SDS secrets (``default``, ``ROOTCA``); a missing or
   warming secret, or a warming cluster, stops traffic.
4. On DST, the inbound listener (``virtualInbound``, port 15006) picks a filter chain by
   destination port, destination IP, SNI, transport protocol ("tls" / "raw_buffer") and ALPN,
   most specific first and without backtracking (envoy filter_chain_manager_impl.cc). A chain
   with a DownstreamTlsContext terminates TLS; mTLS STRICT offers only such chains for the
   port, PERMISSIVE both kinds, plaintext (DISABLE) only raw_buffer ones.

Pure: inputs are decoded ConfigDumps, nothing here does I/O.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from meshctl.analyze.summaries import describe_chain_match, listener_address, listener_port, parse_subset_key
from meshctl.analyze.tls import MTLS, MTLS_SDS, PLAINTEXT, TLS, TlsRow, cluster_tls_rows, dump_static_endpoints
from meshctl.decode.configdump import ConfigDump
from meshctl.decode.resources import clusters, eds_endpoints, listeners, load_assignments, routes
from meshctl.model.views import WARMING, ClusterView, ListenerView

VERDICT_MTLS, VERDICT_TLS, VERDICT_PLAINTEXT, VERDICT_UNKNOWN, VERDICT_FAIL = "mTLS", "TLS", "plaintext", "unknown", "will fail"
# The overall verdict is the worst one over all endpoints, in this order.
VERDICTS = (VERDICT_MTLS, VERDICT_TLS, VERDICT_PLAINTEXT, VERDICT_UNKNOWN, VERDICT_FAIL)

SOCKET_MATCH_KEY = "envoy.transport_socket_match"  # Envoy's metadata namespace for transport_socket_matches
INBOUND_CAPTURE_PORT = 15006  # istio: iptables redirects inbound traffic here (virtualInbound)
VIRTUAL_INBOUND = "virtualInbound"
# Istio clients offer these ALPNs on mTLS (pilot/pkg/networking/util ALPNInMeshWithMxc).
ISTIO_MTLS_ALPN = ("istio-peer-exchange", "istio")
STRICT, PERMISSIVE, PLAINTEXT_ONLY, NO_CHAIN = "STRICT", "PERMISSIVE", "plaintext", "no matching filter chain"
_LABELLED_SECRET = re.compile(r"^(inline|(file|env|provider):.*)$")  # tls.py's labels for non-SDS sources


@dataclass(frozen=True)
class Destination:
    """What the user asked about: a name or IP, an optional port, and DST's own IPs when known."""

    spec: str
    host: str = ""  # service name/FQDN or IP; "" when DST is a workload known only by its IPs
    port: int | None = None
    workload_ips: tuple[str, ...] = ()  # from DST's dump (node metadata INSTANCE_IPS)


def parse_destination(spec: str) -> tuple[str, int | None]:
    """``reviews:9080`` -> ("reviews", 9080); ``[fd00::1]:80``, ``10.0.0.1``, ``pod.ns`` ...

    Raises ValueError when the port is not a number in 1..65535.
    """
    host, port = spec, None
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else None
    elif spec.count(":") == 1:
        host, _, port = spec.partition(":")
    if port is None:
        return host, None
    # ASCII digits only, as Go's strconv.Atoi: "¹".isdigit() is True but int("¹") raises.
    if not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise ValueError(f"invalid port {port!r} in {spec!r}")
    return host, int(port)


def _node(dump: ConfigDump) -> tuple[dict, dict]:
    """(bootstrap node, its metadata) of a dump; empty when the dump has no bootstrap."""
    node = ((dump.section("BootstrapConfigDump") or {}).get("bootstrap") or {}).get("node") or {}
    return node, node.get("metadata") if isinstance(node.get("metadata"), dict) else {}


def workload_ips(dump: ConfigDump) -> tuple[str, ...]:
    """The IPs of the workload a dump belongs to (pilot-agent's node metadata INSTANCE_IPS)."""
    node, metadata = _node(dump)
    text = metadata.get("INSTANCE_IPS") or ""
    if not text:
        # sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local (istio pkg/model/context.go ServiceNode)
        parts = str(node.get("id", "")).split("~")
        text = parts[1] if len(parts) == 4 else ""
    return tuple(ip.strip() for ip in str(text).split(",") if ip.strip())


def workload_namespace(dump: ConfigDump) -> str:
    return str(_node(dump)[1].get("NAMESPACE", ""))


def workload_name(dump: ConfigDump) -> str:
    """``pod.ns`` from the node id, or "" (a dump without bootstrap)."""
    parts = str(_node(dump)[0].get("id", "")).split("~")
    return parts[2] if len(parts) == 4 else ""


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSide:
    """What DST's inbound listener does with a connection on the port."""

    listener: str
    port: int
    mode: str  # STRICT | PERMISSIVE | plaintext | no matching filter chain
    chain: str  # the chain the client's connection selects ("" when none)
    chain_match: str  # istioctl's MATCH text of that chain
    terminates_tls: bool
    require_client_certificate: bool
    cert_secrets: tuple[str, ...] = ()
    validation_secrets: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "listener": self.listener, "port": self.port, "mode": self.mode, "chain": self.chain,
            "chain_match": self.chain_match, "terminates_tls": self.terminates_tls,
            "require_client_certificate": self.require_client_certificate,
            "cert_secrets": list(self.cert_secrets), "validation_secrets": list(self.validation_secrets),
        }  # fmt: skip


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
        tls = self.tls.to_dict()
        client = {key: tls[key] for key in ("mode", "transport_socket", "sni", "alpn", "san_matchers", "cert_secrets", "validation_secrets", "sds_sources")}
        return {
            "address": self.address,
            "tls_mode": self.socket_match_metadata.get("tlsMode"),
            "transport_socket_match_metadata": self.socket_match_metadata,
            "selected_match": self.selected_match,
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
        if self.problems:
            return VERDICT_FAIL
        verdicts = {result.verdict for result in self.endpoints}
        if not self.endpoints_known and len(verdicts) > 1:
            return VERDICT_UNKNOWN  # depends on which endpoints exist, which the dump does not say
        return worst(verdicts)

    def to_dict(self) -> dict:
        return {
            "cluster": self.cluster, "state": self.state, "selected_by": self.selected_by, "verdict": self.verdict,
            "problems": list(self.problems), "endpoints_known": self.endpoints_known,
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
        return {
            "verdict": self.verdict,
            "summary": self.summary(),
            "source": self.source,
            "destination": {
                "spec": self.destination.spec, "host": self.destination.host, "port": self.destination.port,
                "workload_ips": list(self.destination.workload_ips),
            },
            "server_checked": self.server_checked,
            "problems": list(self.problems),
            "notes": list(self.notes),
            "paths": [path.to_dict() for path in self.paths],
        }  # fmt: skip


def worst(verdicts: Iterable[str]) -> str:
    found = list(verdicts)
    return max(found, key=VERDICTS.index) if found else VERDICT_UNKNOWN


# --- step 1: SRC's clusters for DST ------------------------------------------------------------


@dataclass(frozen=True)
class _Choice:
    cluster: str
    selected_by: str
    only_ips: tuple[str, ...] = ()  # restrict endpoints to these IPs (DST given as a pod IP)


def _route_choices(src: ConfigDump, names: set[str], port: int | None) -> list[_Choice]:
    """Clusters of the outbound HTTP virtual hosts that list DST as a domain (Envoy's Host match)."""
    wanted = set(names) | ({f"{name}:{port}" for name in names} if port else set())
    found: list[_Choice] = []
    for view in routes(src):
        if view.name.startswith("inbound|") or (port and not _route_serves_port(view.name, port)):
            continue
        for vhost in view.raw.get("virtual_hosts") or []:
            domains = [d for d in vhost.get("domains") or [] if isinstance(d, str)]
            hit = next((d for d in domains if d in wanted), None)
            if hit is None:
                continue
            for cluster in _route_clusters(vhost):
                how = f"route {view.name}: virtual host {vhost.get('name', '')} (domain {hit}) -> {cluster}"
                if cluster not in [c.cluster for c in found]:
                    found.append(_Choice(cluster, how))
    return found


def _route_serves_port(route_name: str, port: int) -> bool:
    # Istio names outbound HTTP route configs by port ("9080") or "host:port" (Sidecar egress).
    name = route_name.rpartition(":")[2]
    return not (name.isascii() and name.isdigit()) or int(name) == port


def _route_clusters(vhost: Mapping) -> list[str]:
    names: list[str] = []
    for route in vhost.get("routes") or []:
        action = route.get("route") if isinstance(route, dict) else None
        if not isinstance(action, dict):
            continue
        if isinstance(action.get("cluster"), str):
            names.append(action["cluster"])
        for weighted in (action.get("weighted_clusters") or {}).get("clusters") or []:
            if isinstance(weighted, dict) and weighted.get("name"):
                names.append(str(weighted["name"]))
    return list(dict.fromkeys(names))


def _listener_choices(src: ConfigDump, ip: str, port: int | None) -> list[_Choice]:
    """TCP services: an outbound listener on IP:port whose tcp_proxy names the cluster."""
    found = []
    for view in listeners(src):
        if listener_address(view.raw) != ip or (port and listener_port(view.raw) != port):
            continue
        for chain in view.raw.get("filter_chains") or []:
            for item in chain.get("filters") or []:
                config = item.get("typed_config") if isinstance(item.get("typed_config"), dict) else {}
                if isinstance(config.get("cluster"), str) and config["cluster"] != "BlackHoleCluster":
                    found.append(_Choice(config["cluster"], f"listener {view.name}: tcp_proxy -> {config['cluster']}"))
    return found


def _service_hosts(views: list[ClusterView], name: str, namespace: str) -> list[str]:
    """Service FQDNs of SRC's outbound clusters that `name` denotes, as Kubernetes DNS resolves it
    from SRC's namespace: the exact FQDN, ``name.<ns>.svc.*``, then ``name.svc.*`` (name.ns)."""
    hosts = {parse_subset_key(view.name)[2] for view in views if view.name.startswith("outbound|")}
    if name in hosts:
        return [name]
    for prefix in (f"{name}.{namespace}.svc." if namespace else None, f"{name}.svc."):
        matched = sorted(host for host in hosts if prefix and host.startswith(prefix))
        if matched:
            return matched
    return []


def _endpoint_ip_choices(src: ConfigDump, ips: Iterable[str], port: int | None) -> list[_Choice]:
    """Outbound clusters with an endpoint at one of `ips` (DST given as a pod IP or a pod)."""
    wanted = set(ips)
    found = []
    for assignment in load_assignments(src):
        name = str(assignment.get("cluster_name", ""))
        if not name.startswith("outbound|"):
            continue
        hits = [ep for ep in _assignment_endpoints(assignment) if ep[0] in wanted and (not port or ep[1] == port)]
        if hits:
            found.append(_Choice(name, f"cluster {name} has endpoint {hits[0][0]}:{hits[0][1]}", tuple(sorted({ip for ip, _, _ in hits}))))
    return found


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def choose_clusters(src: ConfigDump, destination: Destination, views: list[ClusterView] | None = None) -> list[_Choice]:
    """Step 1: the outbound clusters SRC sends DST's traffic to, with how each was found.

    `views` are SRC's clusters when the caller has them already (big dumps: decode once).
    """
    host, port = destination.host, destination.port
    if host and is_ip(host):
        return _route_choices(src, {host}, port) or _listener_choices(src, host, port) or _endpoint_ip_choices(src, [host], port)
    if host:
        found = _route_choices(src, {host}, port)
        if found:
            return found
        found = []
        views = clusters(src) if views is None else views
        for fqdn in _service_hosts(views, host, workload_namespace(src)):
            for view in views:
                _, subset, view_host, view_port = parse_subset_key(view.name)
                if view.name.startswith("outbound|") and view_host == fqdn and not subset and (not port or view_port == port):
                    found.append(_Choice(view.name, f"cluster {view.name} (service {fqdn}; no route names {host})"))
        return found
    return _endpoint_ip_choices(src, destination.workload_ips, port)


# --- step 2: endpoints and the transport socket each selects -------------------------------------


def _assignment_endpoints(assignment: Mapping) -> list[tuple[str, int, dict]]:
    """(ip, port, transport_socket_match metadata) of each endpoint of a ClusterLoadAssignment."""
    found = []
    for view in eds_endpoints(assignment):
        socket = ((view.raw.get("endpoint") or {}).get("address") or {}).get("socket_address") or {}
        metadata = ((view.raw.get("metadata") or {}).get("filter_metadata") or {}).get(SOCKET_MATCH_KEY)
        found.append((str(socket.get("address", view.address)), view.port, dict(metadata) if isinstance(metadata, dict) else {}))
    return found


def _cluster_endpoints(cluster: Mapping, assignments: Mapping[str, Mapping], has_eds: bool) -> list[tuple[str, int, dict]] | None:
    """The endpoints Envoy balances over, or None when the dump does not say (no ?include_eds)."""
    inline = cluster.get("load_assignment")
    if isinstance(inline, dict) and cluster.get("type") != "EDS":
        return _assignment_endpoints(inline)
    service_name = ((cluster.get("eds_cluster_config") or {}).get("service_name")) or cluster.get("name", "")
    assignment = assignments.get(str(service_name)) or assignments.get(str(cluster.get("name", "")))
    if assignment is not None:
        return _assignment_endpoints(assignment)
    return [] if has_eds and cluster.get("type") == "EDS" else None


def matches_endpoint(row: TlsRow, metadata: Mapping) -> bool:
    """Envoy TransportSocketMatch: every field of `match` is present and equal in the metadata."""
    return row.match is not None and all(key in metadata and metadata[key] == value for key, value in row.match.items())


def select_socket(cluster: Mapping, rows: list[TlsRow], metadata: Mapping) -> tuple[TlsRow, str]:
    """The socket Envoy uses for an endpoint, and which one it is: the first matching entry,
    else the cluster's own transport_socket, else Envoy's default raw_buffer."""
    for row in rows:
        if matches_endpoint(row, metadata):
            return row, row.match_name or row.match_text
    own = "transport_socket" in cluster or "tls_context" in cluster
    for row in rows:
        if row.match is None:
            return row, "(cluster transport_socket)" if own else "(default raw_buffer)"
    first = rows[0]
    return TlsRow(first.cluster, first.state, None, "", PLAINTEXT, "raw_buffer"), "(default raw_buffer)"


# --- secrets ---------------------------------------------------------------------------------------


def _secret_index(dump: ConfigDump) -> dict[str, tuple[str, object]] | None:
    """name -> (status, leading cert or None); None when the dump has no SecretsConfigDump."""
    from meshctl.analyze.secrets import secret_items

    section = dump.section("SecretsConfigDump")
    if section is None:
        return None
    index: dict[str, tuple[str, object]] = {}
    for entry in section.get("static_secrets") or []:
        if isinstance(entry, dict):
            index[str(entry.get("name", ""))] = ("STATIC", None)
    for item in secret_items(section):
        # An active version beats a warming update of the same secret (Envoy keeps using it).
        if item.name not in index or index[item.name][0] == "WARMING":
            index[item.name] = (item.status, item.leading_cert)
    return index


def _secret_problems(names: Iterable[str], index, who: str, now: datetime | None) -> tuple[list[str], list[str]]:
    """(problems, evidence) for the SDS secrets a TLS context names."""
    problems, evidence = [], []
    for name in names:
        if _LABELLED_SECRET.match(name):
            continue  # inline or file-based: nothing to fetch
        if index is None:
            evidence.append(f"{who} SDS secret {name}: not checked (the dump has no secrets)")
            continue
        status, cert = index.get(name, ("MISSING", None))
        if status == "MISSING":
            problems.append(f"{who} has no SDS secret {name} (not pushed by the agent yet?)")
        elif status in ("WARMING", "UNINITIALIZED"):
            problems.append(f"{who}'s SDS secret {name} is {status.lower()} (Envoy has not received it)")
        elif now is not None and cert is not None and not getattr(cert, "is_ca", False) and not cert.valid_at(now):
            problems.append(f"{who}'s certificate {name} is not valid now (expires {cert.not_after_rfc3339})")
        else:
            evidence.append(f"{who} SDS secret {name}: {status}")
    return problems, evidence


# --- step 4: DST's inbound filter chains ----------------------------------------------------------


def _value(value):
    return value.get("value") if isinstance(value, dict) else value


def _prefix_score(match: Mapping, ip: str | None) -> int | None:
    """Longest prefix length containing `ip`; -1 when the chain has no ranges; None: no match."""
    ranges = match.get("prefix_ranges") or []
    if not ranges:
        return -1
    if ip is None or not is_ip(ip):
        return 0  # unknown destination IP: treat the ranges as matching
    address = ipaddress.ip_address(ip)
    best = None
    for cidr in ranges:
        try:
            network = ipaddress.ip_network(f"{cidr.get('address_prefix', '')}/{_value(cidr.get('prefix_len')) or 0}", strict=False)
        except ValueError:
            continue
        if address.version == network.version and address in network:
            best = max(best if best is not None else -1, network.prefixlen)
    return best


def _narrow(chains: list[dict], keep) -> list[dict]:
    """Envoy's rule per criterion: chains naming the value win; else the ones not using the criterion."""
    scored = [(keep(chain.get("filter_chain_match") or {}), chain) for chain in chains]
    scored = [(score, chain) for score, chain in scored if score is not None]
    if not scored:
        return []
    best = max(score for score, _ in scored)
    return [chain for score, chain in scored if score == best]


def _server_name_score(match: Mapping, sni: str) -> int | None:
    names = match.get("server_names") or []
    if not names:
        return 0
    for name in names:
        if name == sni:
            return 2
        if name.startswith("*.") and sni.endswith(name[1:]):
            return 1
    return None


def select_chain(listener: Mapping, *, port: int, ip: str | None, transport: str, alpn: tuple[str, ...], sni: str) -> dict | None:
    """The filter chain Envoy picks for a connection (filter_chain_manager_impl.cc), or None."""
    chains = [c for c in listener.get("filter_chains") or [] if isinstance(c, dict)]
    steps = (
        lambda m: 1 if _value(m.get("destination_port")) == port else (0 if m.get("destination_port") is None else None),
        lambda m: _prefix_score(m, ip),
        lambda m: _server_name_score(m, sni),
        lambda m: 1 if m.get("transport_protocol") == transport else (0 if not m.get("transport_protocol") else None),
        lambda m: (1 if set(m.get("application_protocols") or []) & set(alpn) else None) if m.get("application_protocols") else 0,
    )
    for step in steps:
        chains = _narrow(chains, step)
        if not chains:
            break
    if chains:
        return chains[0]
    default = listener.get("default_filter_chain")
    return default if isinstance(default, dict) else None


def _downstream_tls(chain: Mapping | None) -> dict | None:
    socket = chain.get("transport_socket") if isinstance(chain, dict) else None
    typed = socket.get("typed_config") if isinstance(socket, dict) and isinstance(socket.get("typed_config"), dict) else None
    if typed is None:
        return None
    if str(typed.get("@type", "")).endswith("DownstreamTlsContext") or socket.get("name") == "envoy.transport_sockets.tls":
        return typed
    return None


def inbound_listener(dst: ConfigDump, port: int) -> ListenerView | None:
    """DST's virtualInbound (port 15006), else a per-port INBOUND listener (Istio < 1.8)."""
    views = listeners(dst)
    for view in sorted(views, key=lambda v: v.state == WARMING):
        if view.name == VIRTUAL_INBOUND or listener_port(view.raw) == INBOUND_CAPTURE_PORT:
            return view
    for view in sorted(views, key=lambda v: v.state == WARMING):
        if view.raw.get("traffic_direction") == "INBOUND" and listener_port(view.raw) == port:
            return view
    return None


def server_side(listener: ListenerView, *, port: int, ip: str | None, transport: str, alpn: tuple[str, ...], sni: str) -> ServerSide:
    """DST's posture for `port` and the chain this client's connection lands on."""
    tls_chain = select_chain(listener.raw, port=port, ip=ip, transport="tls", alpn=alpn or ISTIO_MTLS_ALPN, sni=sni)
    plain_chain = select_chain(listener.raw, port=port, ip=ip, transport="raw_buffer", alpn=(), sni="")
    accepts_tls = _downstream_tls(tls_chain) is not None
    accepts_plain = plain_chain is not None and _downstream_tls(plain_chain) is None
    mode = {(True, False): STRICT, (True, True): PERMISSIVE, (False, True): PLAINTEXT_ONLY}.get((accepts_tls, accepts_plain), NO_CHAIN)
    chain = tls_chain if transport == "tls" else plain_chain
    context = _downstream_tls(chain)
    certs: tuple[str, ...] = ()
    validation: tuple[str, ...] = ()
    if context is not None:
        # Same TLS-context reader as `pc tls`, on a cluster-shaped wrapper of the chain's socket.
        row = cluster_tls_rows({"name": "", "transport_socket": chain["transport_socket"]}, {})[0]
        certs, validation = row.cert_secrets, row.validation_secrets
    return ServerSide(
        listener=listener.name,
        port=port,
        mode=mode,
        chain=str(chain.get("name", "")) if chain else "",
        chain_match=describe_chain_match(chain.get("filter_chain_match")) if chain else "",
        terminates_tls=context is not None,
        require_client_certificate=bool(_value((context or {}).get("require_client_certificate"))),
        cert_secrets=certs,
        validation_secrets=validation,
    )


# --- step 3 + verdict per endpoint ---------------------------------------------------------------


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


def _client_kind(row: TlsRow) -> str:
    if row.mode in (MTLS_SDS, MTLS):
        return "mtls"
    return {TLS: "tls", PLAINTEXT: "plain"}.get(row.mode, "other")


def _client_evidence(row: TlsRow) -> list[str]:
    kind = _client_kind(row)
    if kind == "plain":
        return [f"client socket {row.transport_socket or 'raw_buffer'}: plaintext"]
    lines = [f"client socket {row.transport_socket}: {row.mode}"]
    details = [f"SNI {row.sni}" if row.sni else "", f"ALPN {','.join(row.alpn)}" if row.alpn else "",
               f"verifies SAN {','.join(row.san_matchers)}" if row.san_matchers else "no SAN check"]  # fmt: skip
    lines.append("; ".join(d for d in details if d))
    sources = ", ".join(source.describe() for source in row.sds_sources)
    secrets = [f"cert {','.join(row.cert_secrets)}" if row.cert_secrets else "no client cert",
               f"trust {','.join(row.validation_secrets)}" if row.validation_secrets else "no trust bundle"]  # fmt: skip
    lines.append("; ".join(secrets) + (f" via {sources}" if sources else ""))
    return lines


def _san_matches(matcher: str, san: str) -> bool:
    kind, sep, value = matcher.partition(":")
    if not sep or kind not in ("prefix", "suffix", "contains", "regex"):
        return matcher == san
    if kind == "regex":
        try:
            return re.fullmatch(value, san) is not None
        except re.error:
            return False
    return {"prefix": san.startswith, "suffix": san.endswith, "contains": lambda v: v in san}[kind](value)


def _endpoint_result(ctx: _Context, address: str, ip: str | None, port: int, metadata: dict, selected: tuple[TlsRow, str], dst_applies: bool) -> EndpointResult:
    row, selected_match = selected
    kind = _client_kind(row)
    label = f"tlsMode={metadata['tlsMode']}" if "tlsMode" in metadata else ("no transport_socket_match metadata" if not metadata else str(metadata))
    how = f"transport_socket_match {selected_match} ({row.match_text})" if row.match is not None else selected_match
    # Without EDS, `address` names the group of endpoints the row stands for (ip is None).
    head = f"endpoint {address} ({label}) selects {how}" if ip is not None else f"{address} select {how}"
    evidence = [head, *_client_evidence(row)]
    problems: list[str] = []
    if kind in ("mtls", "tls"):
        found, seen = _secret_problems((*row.cert_secrets, *row.validation_secrets), ctx.src_secrets, "SRC", ctx.now)
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
        found, seen = _secret_problems((*server.cert_secrets, *server.validation_secrets), ctx.dst_secrets, "DST", ctx.now)
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
        if not any(_san_matches(m, san) for m in row.san_matchers for san in sans):
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
    ctx = _Context(src, dst, now, src_secrets=_secret_index(src))
    if dst is not None:
        ctx.dst_secrets = _secret_index(dst)
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


def _path(ctx: _Context, choice: _Choice, view: ClusterView | None, assignments, has_eds: bool, static, destination: Destination) -> PathResult:
    if view is None:
        return PathResult(choice.cluster, "missing", choice.selected_by, (), (f"cluster {choice.cluster} does not exist in SRC (503 NR / cluster not found)",))
    problems = []
    if view.state == WARMING:
        problems.append(f"cluster {view.name} is warming (waiting for endpoints or secrets): Envoy does not use it yet")
    rows = cluster_tls_rows(view.raw, static, view.state)
    endpoints = _cluster_endpoints(view.raw, assignments, has_eds)
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


# --- text -----------------------------------------------------------------------------------------


def explanation_text(explanation: Explanation) -> str:
    """The verdict line, then the evidence chain indented under it."""
    dest = explanation.destination
    lines = [explanation.summary(), f"  {explanation.source} -> {dest.spec}"]
    for path in explanation.paths:
        lines.append(f"  {path.selected_by}")
        count = len(path.endpoints)
        counted = f"{count} endpoint{'s' if count != 1 else ''}" if path.endpoints_known else "endpoints unknown"
        lines.append(f"  cluster {path.cluster} ({path.state}): {counted} -> {path.verdict}")
        lines += [f"    problem: {p}" for p in path.problems]
        for result in path.endpoints:
            lines.append(f"    {result.evidence[0]} -> {result.verdict}")
            lines += [f"      {line}" for line in result.evidence[1:]]
            lines += [f"      problem: {p}" for p in result.problems]
    lines += [f"  note: {note}" for note in explanation.notes]
    return "\n".join(lines) + "\n"
