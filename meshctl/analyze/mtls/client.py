"""`explain mtls`, the client side (SRC): steps 1-3 of the evidence chain.

1. SRC picks an outbound cluster for DST (`choose_clusters`).
2. For each endpoint of that cluster, Envoy picks a transport socket (`select_socket`).
3. The TLS context of that socket names SDS secrets (`secret_problems`).

Pure: inputs are decoded ConfigDumps. See meshctl.analyze.mtls for the whole chain.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from meshctl.analyze.envoy import listener_address, listener_port, parse_subset_key
from meshctl.analyze.tls import MTLS, MTLS_SDS, PLAINTEXT, TLS, TlsRow
from meshctl.decode.configdump import ConfigDump
from meshctl.decode.resources import clusters, eds_endpoints, listeners, load_assignments, routes
from meshctl.model.views import ClusterView

SOCKET_MATCH_KEY = "envoy.transport_socket_match"  # Envoy's metadata namespace for transport_socket_matches
LABELLED_SECRET = re.compile(r"^(inline|(file|env|provider):.*)$")  # tls.py's labels for non-SDS sources


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
    """The namespace in the dump's node metadata ("" when absent)."""
    return str(_node(dump)[1].get("NAMESPACE", ""))


def workload_name(dump: ConfigDump) -> str:
    """``pod.ns`` from the node id, or "" (a dump without bootstrap)."""
    parts = str(_node(dump)[0].get("id", "")).split("~")
    return parts[2] if len(parts) == 4 else ""


# --- results --------------------------------------------------------------------------------


# --- step 1: SRC's clusters for DST ------------------------------------------------------------


@dataclass(frozen=True)
class ClusterChoice:
    """A cluster SRC would use for DST, what chose it, and (DST as a pod IP) the endpoints it narrows to."""
    cluster: str
    selected_by: str
    only_ips: tuple[str, ...] = ()  # restrict endpoints to these IPs (DST given as a pod IP)


def _route_choices(src: ConfigDump, names: set[str], port: int | None) -> list[ClusterChoice]:
    """Clusters of the outbound HTTP virtual hosts that list DST as a domain (Envoy's Host match)."""
    wanted = set(names) | ({f"{name}:{port}" for name in names} if port else set())
    found: list[ClusterChoice] = []
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
                    found.append(ClusterChoice(cluster, how))
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


def _listener_choices(src: ConfigDump, ip: str, port: int | None) -> list[ClusterChoice]:
    """TCP services: an outbound listener on IP:port whose tcp_proxy names the cluster."""
    found = []
    for view in listeners(src):
        if listener_address(view.raw) != ip or (port and listener_port(view.raw) != port):
            continue
        for chain in view.raw.get("filter_chains") or []:
            for item in chain.get("filters") or []:
                config = item.get("typed_config") if isinstance(item.get("typed_config"), dict) else {}
                if isinstance(config.get("cluster"), str) and config["cluster"] != "BlackHoleCluster":
                    found.append(ClusterChoice(config["cluster"], f"listener {view.name}: tcp_proxy -> {config['cluster']}"))
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


def _endpoint_ip_choices(src: ConfigDump, ips: Iterable[str], port: int | None) -> list[ClusterChoice]:
    """Outbound clusters with an endpoint at one of `ips` (DST given as a pod IP or a pod)."""
    wanted = set(ips)
    found = []
    for assignment in load_assignments(src):
        name = str(assignment.get("cluster_name", ""))
        if not name.startswith("outbound|"):
            continue
        hits = [ep for ep in _assignment_endpoints(assignment) if ep[0] in wanted and (not port or ep[1] == port)]
        if hits:
            found.append(ClusterChoice(name, f"cluster {name} has endpoint {hits[0][0]}:{hits[0][1]}", tuple(sorted({ip for ip, _, _ in hits}))))
    return found


def is_ip(text: str) -> bool:
    """True when `text` is an IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def choose_clusters(src: ConfigDump, destination: Destination, views: list[ClusterView] | None = None) -> list[ClusterChoice]:
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
                    found.append(ClusterChoice(view.name, f"cluster {view.name} (service {fqdn}; no route names {host})"))
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


def upstream_endpoints(cluster: Mapping, assignments: Mapping[str, Mapping], has_eds: bool) -> list[tuple[str, int, dict]] | None:
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


def secret_index(dump: ConfigDump) -> dict[str, tuple[str, object]] | None:
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


def secret_problems(names: Iterable[str], index, who: str, now: datetime | None) -> tuple[list[str], list[str]]:
    """(problems, evidence) for the SDS secrets a TLS context names."""
    problems, evidence = [], []
    for name in names:
        if LABELLED_SECRET.match(name):
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


def client_kind(row: TlsRow) -> str:
    """"mtls", "tls", "plain" or "other": what the client's transport socket speaks."""
    if row.mode in (MTLS_SDS, MTLS):
        return "mtls"
    return {TLS: "tls", PLAINTEXT: "plain"}.get(row.mode, "other")


def client_evidence(row: TlsRow) -> list[str]:
    """Lines describing the client socket: mode, SNI, ALPN, SAN checks, secrets and their source."""
    kind = client_kind(row)
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
