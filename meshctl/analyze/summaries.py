"""Views -> Tabular, one function per resource, copying istioctl's columns and cells.

Views come in already selected (meshctl.analyze.filters) and sorted (meshctl.analyze.order).

Sources: istioctl/pkg/writer/envoy/configdump/{cluster,listener,route,endpoint,ecds}.go and
istioctl/pkg/writer/envoy/clusters/clusters.go. `type_prefix` is istioctl's includeConfigType
(`pc all`): a NAME column / "cluster/" prefixes. Warming resources (which istioctl hides) are
rows like the others, marked warming (`Tabular.row_marks`: yellow on a terminal, a note on
stderr), so the columns are istioctl's whatever the dump holds.
"""

from __future__ import annotations

from collections.abc import Callable

from meshctl.analyze.envoy import (
    BLACK_HOLE_CLUSTER,
    HTTP_CONNECTION_MANAGER,
    PASSTHROUGH_CLUSTER,
    TCP_PROXY,
    chain_filters,
    cluster_type,
    filter_chains,
    listener_addresses,
    listener_port,
    listener_type,
    mentions,
    parse_subset_key,
    typed_config,
)
from meshctl.analyze.order import go_sort_slice
from meshctl.model.tabular import Tabular
from meshctl.model.views import WARMING, ClusterView, EcdsView, EndpointView, ListenerView, RouteView

# ---- clusters ---------------------------------------------------------------------------------

CLUSTER_COLUMNS = ["SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION RULE"]
_CLUSTER_ROW_FIELDS = {"cluster": {"name": None, "type": None, "metadata": None}}
# All that `cluster_table` (and the sort) read of a ClustersConfigDump, for a partial decode
# (meshctl.decode.configdump.Fields): the 148 MB bench dump decodes in half the time.
CLUSTER_TABLE_FIELDS = dict.fromkeys(("dynamic_active_clusters", "dynamic_warming_clusters", "static_clusters"), _CLUSTER_ROW_FIELDS)


def cluster_table(
    views: list[ClusterView],
    *,
    type_prefix: bool = False,
    extra_columns: tuple[list[str], Callable[[ClusterView], list[str]]] | None = None,
) -> Tabular:
    """PrintClusterSummary over already filtered and sorted clusters. `extra_columns` = (headers, cells)."""
    columns = (["NAME"] if type_prefix else []) + CLUSTER_COLUMNS
    rows = []
    for view in views:  # one list per row, no more: this loop runs 20k times on big dumps
        name, raw = view.name, view.raw
        shown = f"cluster/{name}" if type_prefix else name
        if name.count("|") > 2:
            direction, subset, fqdn, port = parse_subset_key(name)
            row = [fqdn, str(port), subset or "-", direction, cluster_type(raw), describe_managed_by(raw.get("metadata"))]
        else:
            # istioctl prints the (prefixed) name as the service FQDN of non-subset clusters.
            row = [shown, "-", "-", "-", cluster_type(raw), describe_managed_by(raw.get("metadata"))]
        rows.append([shown, *row] if type_prefix else row)
    table = Tabular(columns, rows)
    if extra_columns is not None:
        headers, cells_of = extra_columns
        table.columns += headers
        for row, view in zip(table.rows, views):
            row += cells_of(view)
    return _mark_states(table, views)


def describe_managed_by(metadata) -> str:
    """cluster.go describeManagedBy: the Istio config (e.g. a DestinationRule) that made it."""
    if not isinstance(metadata, dict):
        return ""
    filter_metadata = metadata.get("filter_metadata")
    istio = filter_metadata.get("istio") if isinstance(filter_metadata, dict) else None
    if not isinstance(istio, dict) or "config" not in istio:
        return ""
    config = istio["config"]
    return render_config(config if isinstance(config, str) else "")


def render_config(path: str) -> str:
    """route.go renderConfig: /apis/networking.istio.io/<v>/namespaces/NS/<kind>/NAME -> NAME.NS
    (pieces 7 and 5 of any 8-piece path under the prefix; "" for another length)."""
    if path.startswith("/apis/networking.istio.io/"):
        pieces = path.split("/")
        if len(pieces) != 8:
            return ""
        return f"{pieces[7]}.{pieces[5]}"
    return "<unknown>"


def _mark_states(table: Tabular, views: list) -> Tabular:
    table.row_marks = {index: WARMING for index, view in enumerate(views) if view.state == WARMING}
    return table


# ---- listeners --------------------------------------------------------------------------------


_APP_PROTOCOL_NAMES = (
    # listener.go protDescrs. Go ranges over a map here; the lists are distinct, so order is moot.
    ("App: HTTP TLS", ["http/1.0", "http/1.1", "h2c", "istio-http/1.0", "istio-http/1.1", "istio-h2"]),
    ("App: Istio HTTP Plain", ["istio", "istio-http/1.0", "istio-http/1.1", "istio-h2"]),
    ("App: TCP TLS", ["istio-peer-exchange", "istio"]),
    ("App: HTTP", ["http/1.0", "http/1.1", "h2c"]),
)


def describe_chain_match(match) -> str:
    """listener.go retrieveListenerMatches: the MATCH cell of one filter chain."""
    match = match if isinstance(match, dict) else {}
    descriptions = []
    if match.get("server_names"):
        descriptions.append("SNI: " + ",".join(map(str, match["server_names"])))
    if match.get("transport_protocol"):
        descriptions.append(f"Trans: {match['transport_protocol']}")
    protocols = match.get("application_protocols")
    if protocols:
        name = next((label for label, known in _APP_PROTOCOL_NAMES if known == protocols), None)
        descriptions.append(name or "App: " + ",".join(map(str, protocols)))
    port = ""
    if "destination_port" in match:
        port = f":{_wrapped(match['destination_port'])}"
    ranges = match.get("prefix_ranges")
    if ranges:
        prefixes = [f"{r.get('address_prefix', '')}/{_wrapped(r.get('prefix_len'))}" for r in ranges]
        descriptions.append(f"Addr: {','.join(prefixes)}{port}")
    elif port:
        descriptions.append(f"Addr: *{port}")
    return "; ".join(descriptions) if descriptions else "ALL"


def _wrapped(value) -> int:
    """A UInt32Value: protobuf JSON prints it as a bare number."""
    if isinstance(value, dict):
        value = value.get("value", 0)
    return value if isinstance(value, int) else 0


def describe_destination(filters: list[dict]) -> str:
    """listener.go getFilterType: where a filter chain sends traffic."""
    for item in filters:
        config = typed_config(item)
        if item.get("name") == HTTP_CONNECTION_MANAGER:
            if isinstance(config.get("route_config"), dict):
                return describe_route_config(config["route_config"])
            route_name = (config.get("rds") or {}).get("route_config_name")
            if route_name:
                return f"Route: {route_name}"
            return "HTTP"
        if item.get("name") == TCP_PROXY and not mentions(config, BLACK_HOLE_CLUSTER):
            cluster = str(config.get("cluster", ""))
            return cluster if "Cluster" in cluster else f"Cluster: {cluster}"
    return "Non-HTTP/Non-TCP"


def describe_route_config(route_config: dict) -> str:
    """listener.go describeRouteConfig for inline routes."""
    cluster = _match_all_cluster(route_config)
    if cluster:
        return cluster
    hosts = []
    for vhost in route_config.get("virtual_hosts") or []:
        domains = vhost.get("domains") or []
        described = "" if domains == ["*"] else "/".join(domains)
        routes = ", ".join(describe_match(route.get("match")) for route in vhost.get("routes") or [])
        hosts.append(routes if not described else f"{described} {routes}")
    return "Inline Route: " + "; ".join(hosts)


def _match_all_cluster(route_config: dict) -> str:
    vhosts = route_config.get("virtual_hosts") or []
    if len(vhosts) != 1 or vhosts[0].get("domains") != ["*"]:
        return ""
    routes = vhosts[0].get("routes") or []
    if len(routes) != 1 or (routes[0].get("match") or {}).get("prefix") != "/":
        return ""
    cluster = (routes[0].get("route") or {}).get("cluster")
    if not isinstance(cluster, str):
        return ""
    return cluster if "Cluster" in cluster else f"Cluster: {cluster}"


def describe_match(match) -> str:
    """listener.go describeMatch: prefix*, PathPrefix:..., path, regex ... (headers ignored)."""
    match = match if isinstance(match, dict) else {}
    conditions = []
    if match.get("prefix"):
        conditions.append(f"{match['prefix']}*")
    if match.get("path_separated_prefix"):
        conditions.append(f"PathPrefix:{match['path_separated_prefix']}")
    if match.get("path"):
        conditions.append(str(match["path"]))
    if isinstance(match.get("safe_regex"), dict):
        conditions.append(f"regex {match['safe_regex'].get('regex', '')}")
    return " ".join(conditions)


def listener_table(views: list[ListenerView], *, verbose: bool = True, type_prefix: bool = False) -> Tabular:
    """PrintListenerSummary over filtered, sorted listeners (tabwriter padding 1)."""
    columns = ["ADDRESSES", "PORT"] + (["MATCH", "DESTINATION"] if verbose else ["TYPE"])
    if type_prefix:
        columns.insert(0, "NAME")
    rows, row_views = [], []
    for view in views:
        lead = [f"listener/{view.name}"] if type_prefix else []
        addresses = ",".join(listener_addresses(view.raw))
        port = str(listener_port(view.raw))
        if not verbose:
            rows.append(lead + [addresses, port, listener_type(view.raw)])
            row_views.append(view)
            continue
        chains = [(describe_chain_match(chain.get("filter_chain_match")), describe_destination(chain_filters(chain))) for chain in filter_chains(view.raw)]
        go_sort_slice(chains, lambda a, b: a[1] > b[1])
        for match, destination in chains:
            rows.append(lead + [addresses, port, match, destination])
            row_views.append(view)
    return _mark_states(Tabular(columns, rows, padding=1), row_views)


# ---- routes -----------------------------------------------------------------------------------


def describe_route_domains(domains: list) -> str:
    """route.go describeRouteDomains: the domains without a port (a bracketed IPv6 address
    counts as one), the .svc and .svc.cluster.local forms of a shorter one dropped
    (unexpandDomains), at most two joined by ", " and "+ N more..." for the rest."""
    domains = [str(domain) for domain in domains]
    if not domains:
        return ""
    if len(domains) == 1:
        return domains[0]
    without_port = [d for d in domains if ":" not in d or (d.count(":") > 2 and d.endswith("]"))]
    without_port = unexpand_domains(without_port)
    if len(without_port) > 2:
        return f"{', '.join(without_port[:2])} + {len(without_port) - 2} more..."
    return ", ".join(without_port)


def unexpand_domains(domains: list[str]) -> list[str]:
    """route.go unexpandDomains: drop NAME.svc.cluster.local and NAME.svc when NAME is listed too."""
    unique = set(domains)
    drop = set()
    for domain in domains:
        for suffix in (".svc.cluster.local", ".svc"):
            stripped = domain.removesuffix(suffix)
            if stripped != domain and stripped in unique:
                drop.add(domain)
    return [domain for domain in domains if domain not in drop]


def _is_passthrough(route: dict) -> bool:
    action = route.get("route")
    return isinstance(action, dict) and action.get("cluster") == PASSTHROUGH_CLUSTER


def route_table(views: list[RouteView], *, verbose: bool = True, type_prefix: bool = False) -> Tabular:
    """PrintRouteSummary over filtered, sorted route configurations."""
    columns = ["NAME", "VHOST NAME", "DOMAINS", "MATCH", "VIRTUAL SERVICE"] if verbose else ["NAME", "VIRTUAL HOSTS"]
    rows, row_views = [], []
    for view in views:
        name = f"route/{view.name}" if type_prefix else view.name
        vhosts = [vhost for vhost in view.raw.get("virtual_hosts") or [] if isinstance(vhost, dict)]
        if not verbose:
            rows.append([name, str(len(vhosts))])
            row_views.append(view)
            continue
        for vhost in vhosts:
            domains = describe_route_domains(vhost.get("domains") or [])
            vhost_name = str(vhost.get("name", ""))
            routes = [route for route in vhost.get("routes") or [] if isinstance(route, dict)]
            for route in routes:
                if not _is_passthrough(route):
                    rows.append([name, vhost_name, domains, describe_match(route.get("match")), describe_managed_by(route.get("metadata"))])
                    row_views.append(view)
            if not routes:
                rows.append([name, vhost_name, domains, "/*", "404"])
                row_views.append(view)
    return _mark_states(Tabular(columns, rows), row_views)


# ---- endpoints --------------------------------------------------------------------------------


def eds_endpoint_table(endpoints: list[EndpointView], *, type_prefix: bool = False) -> Tabular:
    """configdump/endpoint.go PrintEndpointsSummary over filtered endpoints."""
    rows = [
        [f"endpoint/{','.join((ep.address, *ep.additional))}" if type_prefix else ",".join((ep.address, *ep.additional)), ep.status, ep.locality, ep.cluster]
        for ep in endpoints
    ]
    return Tabular(["NAME", "STATUS", "LOCALITY", "CLUSTER"], rows)


def host_endpoint_table(endpoints: list[EndpointView]) -> Tabular:
    """clusters.go PrintEndpointsSummary (`pc endpoint` from `/clusters?format=json`)."""
    rows = []
    for ep in endpoints:
        endpoint = f"{ep.address}:{ep.port}" if ep.port else ep.address
        rows.append([endpoint, ep.status, "FAILED" if ep.failed_outlier_check else "OK", ep.cluster])
    return Tabular(["ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER"], rows)


# ---- ECDS -------------------------------------------------------------------------------------


def ecds_table(views: list[EcdsView]) -> Tabular:
    """ecds.go PrintEcdsSummary: name, and the type URL without "type.googleapis.com/" (only that prefix)."""
    rows = [[view.name, view.type_url.removeprefix("type.googleapis.com/")] for view in views]
    return Tabular(["ECDS NAME", "TYPE"], rows)
