"""Upstream TLS of clusters: one row per cluster per transport socket match (`pc tls`).

istioctl only dumps this as raw JSON. Envoy picks a cluster's transport socket per endpoint:
the first ``transport_socket_matches`` entry whose ``match`` is a subset of the endpoint's
``transport_socket_match`` metadata wins, and the cluster's own ``transport_socket`` (or
plaintext raw_buffer when it has none) serves endpoints that match no entry. Istio writes
``tlsMode=istio`` -> mTLS with SDS secrets ``default`` and ``ROOTCA`` fetched over the
``sds-grpc`` bootstrap cluster, and ``{}`` -> raw_buffer (pilot cluster_tls.go).

Inputs are snake_case dicts as decoded from a config dump. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field

from meshctl.model.tabular import Tabular
from meshctl.model.views import ClusterView

TLS_COLUMNS = ("CLUSTER", "MATCH", "MODE", "SNI", "ALPN", "SAN MATCHERS", "CERT SECRET", "VALIDATION SECRET", "SDS SOURCE")
# The TLS columns that `pc cluster -o wide` appends (one cell per cluster, matches joined by "|").
CLUSTER_WIDE_COLUMNS = ("TLS MODE", "SNI", "CERT SECRET", "VALIDATION SECRET")
NO_CLUSTERS = "No clusters found."

MTLS_SDS, MTLS, TLS, PLAINTEXT = "mTLS (SDS)", "mTLS", "TLS", "plaintext"
_TYPED_STRUCT_SUFFIX = ".TypedStruct"  # udpa.type.v1 / xds.type.v3: {type_url, value}


@dataclass(frozen=True)
class ConfigSource:
    """Where Envoy fetches xDS resources (an SDS secret, CDS, LDS) from."""

    kind: str  # "envoy_grpc" | "google_grpc" | "ads" | "file" | "static" | "unknown"
    cluster: str = ""  # the envoy_grpc cluster, e.g. "sds-grpc"
    endpoints: tuple[str, ...] = ()  # that cluster's endpoints, e.g. "./var/run/secrets/workload-spiffe-uds/socket"
    target: str = ""  # google_grpc target URI or config file path

    def describe(self) -> str:
        """The source as one phrase: ``CLUSTER -> ENDPOINTS`` (Envoy gRPC), ``google_grpc:TARGET``, ``file:PATH``, ``ADS``."""
        if self.kind == "envoy_grpc":
            where = ",".join(self.endpoints) if self.endpoints else "?"
            return f"{self.cluster} -> {where}"
        if self.kind in ("google_grpc", "file"):
            return f"{self.kind}:{self.target}"
        return "ADS" if self.kind == "ads" else self.kind


@dataclass(frozen=True)
class TlsRow:
    """The transport socket Envoy uses for one cluster and one match entry."""

    cluster: str
    state: str  # static | active | warming
    match: dict | None  # the transport_socket_matches entry's match; None for the cluster's own socket
    match_name: str
    mode: str  # mTLS (SDS) | mTLS | TLS | plaintext | the socket's type name when unknown
    transport_socket: str  # socket types outside-in, e.g. "internal_upstream>raw_buffer"
    sni: str = ""
    alpn: tuple[str, ...] = ()
    san_matchers: tuple[str, ...] = ()
    cert_secrets: tuple[str, ...] = ()  # SDS names, "file:<path>" or "inline"
    validation_secrets: tuple[str, ...] = ()
    sds_sources: tuple[ConfigSource, ...] = field(default=())

    @property
    def match_text(self) -> str:
        """The transport socket match as text (``tlsMode=istio``), or ``-``."""
        if self.match is None:
            return "-"
        if not self.match:
            return "*"  # an empty match selects every endpoint
        return ",".join(f"{key}={_scalar(value)}" for key, value in self.match.items())

    def to_dict(self) -> dict:
        """The JSON form (`pc tls -o json`, docs/json.md meshctl.tls/v1): the table's fields, camelCase keys,
        lists for tuples; `match` is Envoy's match data as it is."""
        from meshctl.model.document import camel

        data = {camel(key): value for key, value in _json_ready(asdict(self)).items()}
        data["sdsSources"] = [
            {key: value for key, value in _json_ready(asdict(source)).items() if value} | {"describe": source.describe()}
            for source in self.sds_sources
        ]
        return data


def _json_ready(value):
    # JMESPath (--query) only indexes lists, not tuples.
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    return value


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- SDS source resolution -------------------------------------------------------------


def format_address(address: Mapping | None) -> str:
    """An Envoy ``Address`` as text: pipe path, ``host:port`` or ``internal:<listener>``."""
    if not isinstance(address, dict):
        return ""
    if isinstance(address.get("pipe"), dict):
        return str(address["pipe"].get("path", ""))
    socket = address.get("socket_address")
    if isinstance(socket, dict):
        host = str(socket.get("address", ""))
        port = socket.get("port_value", socket.get("named_port", 0))
        host = f"[{host}]" if ":" in host else host
        return f"{host}:{port}"
    internal = address.get("envoy_internal_address")
    if isinstance(internal, dict):
        return f"internal:{internal.get('server_listener_name', '')}"
    return ""


def cluster_endpoints(cluster: Mapping) -> tuple[str, ...]:
    """The addresses of a cluster's inline ``load_assignment`` (static clusters have one)."""
    found = []
    assignment = cluster.get("load_assignment")
    for locality in _list(assignment.get("endpoints") if isinstance(assignment, dict) else None):
        for lb_endpoint in _list(locality.get("lb_endpoints")):
            endpoint = lb_endpoint.get("endpoint")
            text = format_address(endpoint.get("address")) if isinstance(endpoint, dict) else ""
            if text:
                found.append(text)
    return tuple(found)


def static_cluster_endpoints(bootstrap: Mapping | None, clusters_section: Mapping | None = None) -> dict[str, tuple[str, ...]]:
    """name -> endpoints of the static clusters: the bootstrap's, then the clusters dump's."""
    table: dict[str, tuple[str, ...]] = {}
    resources = bootstrap.get("static_resources") if isinstance(bootstrap, dict) else None
    for cluster in _list(resources.get("clusters") if isinstance(resources, dict) else None):
        table.setdefault(str(cluster.get("name", "")), cluster_endpoints(cluster))
    for entry in _list(clusters_section.get("static_clusters") if isinstance(clusters_section, dict) else None):
        cluster = entry.get("cluster")
        if isinstance(cluster, dict):
            table.setdefault(str(cluster.get("name", "")), cluster_endpoints(cluster))
    return table


def config_source(source: Mapping | None, endpoints: Mapping[str, tuple[str, ...]]) -> ConfigSource:
    """Resolve an xDS ``ConfigSource`` (e.g. an SDS secret's ``sds_config``) to where it reads from."""
    if source is None:
        return ConfigSource("static")  # an SDS secret without sds_config: a bootstrap static secret
    if not isinstance(source, dict):
        return ConfigSource("unknown")
    if "ads" in source:
        return ConfigSource("ads")
    path_source = source.get("path_config_source")
    if isinstance(path_source, dict) or "path" in source:
        path = path_source.get("path", "") if isinstance(path_source, dict) else source.get("path", "")
        return ConfigSource("file", target=str(path))
    return api_config_source(source.get("api_config_source"), endpoints)


def api_config_source(api: Mapping | None, endpoints: Mapping[str, tuple[str, ...]]) -> ConfigSource:
    """Resolve an ``ApiConfigSource`` (SDS over gRPC, the bootstrap's ``ads_config``) to its first gRPC service."""
    for service in _list(api.get("grpc_services") if isinstance(api, dict) else None):
        envoy_grpc = service.get("envoy_grpc")
        if isinstance(envoy_grpc, dict):
            name = str(envoy_grpc.get("cluster_name", ""))
            return ConfigSource("envoy_grpc", cluster=name, endpoints=tuple(endpoints.get(name, ())))
        google_grpc = service.get("google_grpc")
        if isinstance(google_grpc, dict):
            return ConfigSource("google_grpc", target=str(google_grpc.get("target_uri", "")))
    return ConfigSource("unknown")


# --- transport sockets -----------------------------------------------------------------


def _socket_config(socket: Mapping) -> tuple[str, Mapping]:
    """(short type name, typed config) of a TransportSocket, unwrapping TypedStruct."""
    typed = socket.get("typed_config") if isinstance(socket.get("typed_config"), dict) else {}
    type_url = str(typed.get("@type", ""))
    if type_url.endswith(_TYPED_STRUCT_SUFFIX):
        type_url = str(typed.get("type_url", ""))
        typed = typed.get("value") if isinstance(typed.get("value"), dict) else {}
    name = str(socket.get("name", ""))
    return _short_socket_name(name, type_url), typed


def _short_socket_name(name: str, type_url: str) -> str:
    # "envoy.transport_sockets.tls" -> "tls"; else the message name "RawBuffer" -> "raw_buffer".
    if name.startswith("envoy.transport_sockets."):
        return name.rsplit(".", 1)[1]
    message = type_url.rsplit(".", 1)[-1]
    known = {
        "UpstreamTlsContext": "tls",
        "RawBuffer": "raw_buffer",
        "InternalUpstreamTransport": "internal_upstream",
        "QuicUpstreamTransport": "quic",
    }
    return known.get(message) or name or message or "unknown"


def _describe_socket(socket: Mapping | None, endpoints: Mapping[str, tuple[str, ...]]) -> dict:
    """Follow wrapper sockets (internal_upstream, proxy_protocol, tap, ...) to the one that
    decides encryption, and read its TLS settings."""
    chain: list[str] = []
    current = socket
    while isinstance(current, dict):
        kind, typed = _socket_config(current)
        chain.append(kind)
        # QUIC carries its TLS context inline (upstream_tls_context), not as an inner socket.
        tls_context = typed if kind == "tls" or "common_tls_context" in typed else typed.get("upstream_tls_context")
        if isinstance(tls_context, dict):
            return {"transport_socket": ">".join(chain), **_tls_settings(tls_context, endpoints)}
        current = typed.get("transport_socket")
    if not chain:
        return {"transport_socket": "raw_buffer", "mode": PLAINTEXT}  # Envoy's default socket
    # internal_upstream without an inner socket defaults to raw_buffer; an unknown kind is shown as is.
    mode = PLAINTEXT if chain[-1] in ("raw_buffer", "internal_upstream") else chain[-1]
    return {"transport_socket": ">".join(chain), "mode": mode}


def _tls_settings(tls_context: Mapping, endpoints: Mapping[str, tuple[str, ...]]) -> dict:
    common = tls_context.get("common_tls_context")
    common = common if isinstance(common, dict) else {}
    certs, cert_sources = _certificates(common, endpoints)
    validation, san_matchers, validation_sources = _validation(common, endpoints)
    if certs:
        mode = MTLS_SDS if cert_sources and all(s.kind != "static" for s in cert_sources) else MTLS
    else:
        mode = TLS
    sources = []
    for source in (*cert_sources, *validation_sources):
        if source not in sources:
            sources.append(source)
    return {
        "mode": mode,
        "sni": str(tls_context.get("sni", "")),
        "alpn": tuple(str(p) for p in _list_values(common.get("alpn_protocols"))),
        "san_matchers": san_matchers,
        "cert_secrets": certs,
        "validation_secrets": validation,
        "sds_sources": tuple(sources),
    }


def _certificates(common: Mapping, endpoints) -> tuple[tuple[str, ...], list[ConfigSource]]:
    names, sources = [], []
    for sds in _list(common.get("tls_certificate_sds_secret_configs")):
        names.append(str(sds.get("name", "")))
        sources.append(config_source(sds.get("sds_config"), endpoints))
    for inline in _list(common.get("tls_certificates")):
        names.append(_data_source_label(inline.get("certificate_chain")))
    for key in ("tls_certificate_provider_instance", "tls_certificate_certificate_provider_instance"):
        provider = common.get(key)
        if isinstance(provider, dict):
            names.append(f"provider:{provider.get('instance_name', '')}")
    return tuple(names), sources


def _validation(common: Mapping, endpoints) -> tuple[tuple[str, ...], tuple[str, ...], list[ConfigSource]]:
    names, sources, contexts = [], [], []
    combined = common.get("combined_validation_context")
    if isinstance(combined, dict):
        contexts.append(combined.get("default_validation_context"))
        sds = combined.get("validation_context_sds_secret_config")
        if isinstance(sds, dict):
            names.append(str(sds.get("name", "")))
            sources.append(config_source(sds.get("sds_config"), endpoints))
    sds = common.get("validation_context_sds_secret_config")
    if isinstance(sds, dict):
        names.append(str(sds.get("name", "")))
        sources.append(config_source(sds.get("sds_config"), endpoints))
    contexts.append(common.get("validation_context"))
    san_matchers: list[str] = []
    for context in contexts:
        if not isinstance(context, dict):
            continue
        if context.get("trusted_ca"):
            names.append(_data_source_label(context.get("trusted_ca")))
        for key in ("ca_certificate_provider_instance",):
            if isinstance(context.get(key), dict):
                names.append(f"provider:{context[key].get('instance_name', '')}")
        san_matchers.extend(_san_matchers(context))
    return tuple(names), tuple(san_matchers), sources


def _data_source_label(data_source) -> str:
    if isinstance(data_source, dict):
        for key in ("filename", "environment_variable"):
            if key in data_source:
                return f"{'file' if key == 'filename' else 'env'}:{data_source[key]}"
    return "inline"


def _san_matchers(context: Mapping) -> list[str]:
    found = [_string_matcher(m) for m in _list(context.get("match_subject_alt_names"))]
    for typed in _list(context.get("match_typed_subject_alt_names")):
        text = _string_matcher(typed.get("matcher") if isinstance(typed.get("matcher"), dict) else {})
        san_type = str(typed.get("san_type", ""))
        found.append(text if san_type in ("URI", "") else f"{san_type}:{text}")
    found.extend(str(v) for v in _list_values(context.get("verify_subject_alt_name")))  # deprecated v2 field
    return found


def _string_matcher(matcher: Mapping) -> str:
    """A StringMatcher as text: exact values bare, others as ``kind:value``."""
    if "exact" in matcher:
        return str(matcher["exact"])
    for kind in ("prefix", "suffix", "contains"):
        if kind in matcher:
            return f"{kind}:{matcher[kind]}"
    regex = matcher.get("safe_regex")
    if isinstance(regex, dict):
        return f"regex:{regex.get('regex', '')}"
    return "?"


def _list(value) -> list[Mapping]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _list_values(value) -> list:
    return value if isinstance(value, list) else []


# --- rows and tables -------------------------------------------------------------------


def cluster_tls_rows(cluster: Mapping, endpoints: Mapping[str, tuple[str, ...]], state: str = "active") -> list[TlsRow]:
    """One row per transport_socket_matches entry, then one for the cluster's own socket.

    The cluster's own socket gets a row when it is set or when there are no matches (then it
    is Envoy's default, raw_buffer). A socket in the deprecated v2 ``tls_context`` counts too.
    """
    name = str(cluster.get("name", ""))
    rows = []
    matches = _list(cluster.get("transport_socket_matches"))
    for entry in matches:
        match = entry.get("match") if isinstance(entry.get("match"), dict) else {}
        settings = _describe_socket(entry.get("transport_socket"), endpoints)
        rows.append(TlsRow(name, state, dict(match), str(entry.get("name", "")), **settings))
    own = cluster.get("transport_socket")
    if not isinstance(own, dict) and isinstance(cluster.get("tls_context"), dict):
        own = {"name": "envoy.transport_sockets.tls", "typed_config": cluster["tls_context"]}
    if isinstance(own, dict) or not matches:
        rows.append(TlsRow(name, state, None, "", **_describe_socket(own, endpoints)))
    return rows


def tls_rows(clusters: Iterable[tuple[Mapping, str]], endpoints: Mapping[str, tuple[str, ...]]) -> list[TlsRow]:
    """Rows for ``(cluster dict, state)`` pairs, in the order given."""
    return [row for cluster, state in clusters for row in cluster_tls_rows(cluster, endpoints, state)]


def tls_table(rows: list[TlsRow]) -> Tabular:
    """The `pc tls` table; "-" for empty cells as istioctl's cluster table."""
    table_rows = [
        [
            row.cluster,
            row.match_text,
            row.mode,
            row.sni or "-",
            _cell(row.alpn),
            _cell(row.san_matchers),
            _cell(row.cert_secrets),
            _cell(row.validation_secrets),
            _cell(tuple(source.describe() for source in row.sds_sources)),
        ]
        for row in rows
    ]
    # As `pc cluster` does: the same columns whatever the rows; warming clusters are marked rows.
    marks = {index: "warming" for index, row in enumerate(rows) if row.state == "warming"}
    return Tabular(columns=list(TLS_COLUMNS), rows=table_rows, empty_msg=NO_CLUSTERS, row_marks=marks)


def _cell(values: tuple[str, ...]) -> str:
    return ",".join(values) if values else "-"


def cluster_wide_cells(cluster: Mapping, endpoints: Mapping[str, tuple[str, ...]] | None = None) -> tuple[str, str, str, str]:
    """The `pc cluster -o wide` TLS cells for one cluster (CLUSTER_WIDE_COLUMNS).

    Several matches are joined with "|" in match order, e.g. "mTLS (SDS)|plaintext".
    """
    rows = cluster_tls_rows(cluster, endpoints or {})
    return (
        "|".join(row.mode for row in rows),
        _cell(_distinct(row.sni for row in rows if row.sni)),
        _cell(_distinct(name for row in rows for name in row.cert_secrets)),
        _cell(_distinct(name for row in rows for name in row.validation_secrets)),
    )


def dump_static_endpoints(dump) -> dict[str, tuple[str, ...]]:
    """`static_cluster_endpoints` for a ConfigDump: its bootstrap, then its static clusters."""
    bootstrap = (dump.section("BootstrapConfigDump") or {}).get("bootstrap")
    return static_cluster_endpoints(bootstrap, dump.section("ClustersConfigDump"))


def cluster_tls_columns(dump) -> tuple[list[str], Callable[[ClusterView], list[str]]]:
    """The `pc cluster -o wide` hook: (headers, cells of one ClusterView) for `cluster_table`."""
    endpoints = dump_static_endpoints(dump)
    return list(CLUSTER_WIDE_COLUMNS), lambda view: list(cluster_wide_cells(view.raw, endpoints))


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
