"""ConfigDump sections -> views (ClusterView, ListenerView, ...), in istioctl's collection order.

istioctl configdump/{cluster,listener,route,endpoint,ecds}.go collect dynamic resources before
static ones; meshctl adds the warming ones istioctl skips, right after the active ones.
"""

from __future__ import annotations

from meshctl.decode.configdump import ConfigDump
from meshctl.errors import DecodeError
from meshctl.model.views import ACTIVE, STATIC, WARMING, ClusterView, EcdsView, EndpointView, ListenerView, RouteView


def _entries(section: dict | None, key: str) -> list:
    value = section.get(key) if section else None
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _named(entry: dict, key: str) -> dict | None:
    value = entry.get(key)
    return value if isinstance(value, dict) else None


def _collect(section: dict | None, places, wrapper: str, make) -> list:
    """Views of the resources under `wrapper` in each (list key, state) place of a section."""
    views = []
    for key, state in places:
        for entry in _entries(section, key):
            resource = _named(entry, wrapper)
            if resource is not None:
                views.append(make(str(resource.get("name", "")), state, resource))
    return views


def clusters(dump: ConfigDump) -> list[ClusterView]:
    """The dump's clusters: dynamic active, then warming, then static."""
    places = (("dynamic_active_clusters", ACTIVE), ("dynamic_warming_clusters", WARMING), ("static_clusters", STATIC))
    return _collect(dump.section("ClustersConfigDump"), places, "cluster", ClusterView)


def listeners(dump: ConfigDump) -> list[ListenerView]:
    """The dump's listeners: dynamic (active, then warming, per listener), then static."""
    section = dump.section("ListenersConfigDump")
    views = []
    for entry in _entries(section, "dynamic_listeners"):
        for key, state in (("active_state", ACTIVE), ("warming_state", WARMING)):
            listener = _named(_named(entry, key) or {}, "listener")
            if listener is not None:
                views.append(ListenerView(str(listener.get("name", "")), state, listener))
    return views + _collect(section, (("static_listeners", STATIC),), "listener", ListenerView)


def routes(dump: ConfigDump) -> list[RouteView]:
    """The dump's route configurations: dynamic, then static."""
    places = (("dynamic_route_configs", ACTIVE), ("static_route_configs", STATIC))
    return _collect(dump.section("RoutesConfigDump"), places, "route_config", RouteView)


def ecds_filters(dump: ConfigDump) -> list[EcdsView]:
    """The dump's extension configurations (ECDS), in the dump's order."""
    views = []
    for entry in _entries(dump.section("EcdsConfigDump"), "ecds_filters"):
        extension = _named(entry, "ecds_filter") or {}
        typed_config = _named(extension, "typed_config") or {}
        views.append(EcdsView(str(extension.get("name", "")), str(typed_config.get("@type", "")), entry))
    return views


def load_assignments(dump: ConfigDump) -> list[dict]:
    """ClusterLoadAssignments of an EDS dump (`config_dump?include_eds`): dynamic, then static
    (configdump/endpoint.go retrieveSortedEndpointsSlice; the order the sort starts from)."""
    section = dump.section("EndpointsConfigDump")
    assignments = []
    for key in ("dynamic_endpoint_configs", "static_endpoint_configs"):
        for entry in _entries(section, key):
            assignment = _named(entry, "endpoint_config")
            if assignment is not None:
                assignments.append(assignment)
    return assignments


def eds_endpoints(assignment: dict) -> list[EndpointView]:
    """The endpoints of one ClusterLoadAssignment (istioctl configdump/endpoint.go)."""
    cluster = str(assignment.get("cluster_name", ""))
    views = []
    for locality_group in _entries(assignment, "endpoints"):
        locality = locality_string(_named(locality_group, "locality"))
        for lb_endpoint in _entries(locality_group, "lb_endpoints"):
            endpoint = _named(lb_endpoint, "endpoint") or {}
            address = endpoint.get("address")
            # configdump/endpoint.go retrieveEndpointAddresses: the address, then each additional one.
            additional = tuple(eds_address(extra.get("address")) for extra in _entries(endpoint, "additional_addresses"))
            views.append(
                EndpointView(
                    address=eds_address(address),
                    port=_socket_port(address),
                    status=str(lb_endpoint.get("health_status", "UNKNOWN")),
                    locality=locality,
                    cluster=cluster,
                    failed_outlier_check=False,
                    raw=lb_endpoint,
                    additional=additional,
                )
            )
    return views


def host_endpoints(document) -> list[EndpointView]:
    """Endpoints from `/clusters?format=json` (istioctl clusters/clusters.go), in Envoy's order."""
    statuses = document.get("cluster_statuses") if isinstance(document, dict) else None
    if statuses is None and isinstance(document, dict) and "clusterStatuses" in document:
        from meshctl.decode.protojson import to_snake

        statuses = to_snake(document)["cluster_statuses"]
    if not isinstance(statuses, list):
        raise DecodeError('input is neither an Envoy config dump nor /clusters?format=json output (no "cluster_statuses")')
    views = []
    for cluster in statuses:
        if not isinstance(cluster, dict):
            continue
        name = str(cluster.get("name", ""))
        for host in _entries(cluster, "host_statuses"):
            health = _named(host, "health_status") or {}
            address = host.get("address")
            views.append(
                EndpointView(
                    address=host_address(address),
                    port=_socket_port(address),
                    status=str(health.get("eds_health_status", "UNKNOWN")),
                    locality=locality_string(_named(host, "locality")),
                    cluster=name,
                    failed_outlier_check=bool(health.get("failed_outlier_check", False)),
                    raw=host,
                )
            )
    return views


def locality_string(locality: dict | None) -> str:
    """istio pkg/util LocalityToString: region[/zone[/sub_zone]]."""
    if not locality:
        return ""
    text = str(locality.get("region", ""))
    if not locality.get("zone"):
        return text
    text += "/" + str(locality["zone"])
    if not locality.get("sub_zone"):
        return text
    return text + "/" + str(locality["sub_zone"])


def _socket_port(address) -> int:
    socket = address.get("socket_address") if isinstance(address, dict) else None
    port = socket.get("port_value", 0) if isinstance(socket, dict) else 0
    return port if isinstance(port, int) else 0


def _internal_address(address: dict) -> str | None:
    internal = address.get("envoy_internal_address")
    if isinstance(internal, dict) and "server_listener_name" in internal:
        return f"envoy://{internal['server_listener_name']}/{internal.get('endpoint_id', '')}"
    return None


def eds_address(address) -> str:
    """configdump/endpoint.go retrieveEndpointAddress: ip:port, pipe path, envoy://listener/id."""
    if not isinstance(address, dict):
        return "unknown"
    socket = address.get("socket_address")
    if isinstance(socket, dict):
        return f"{socket.get('address', '')}:{_socket_port(address)}"
    pipe = address.get("pipe")
    if isinstance(pipe, dict):
        return str(pipe.get("path", ""))
    return _internal_address(address) or "unknown"


def host_address(address) -> str:
    """clusters/clusters.go retrieveEndpointAddress: ip (port apart), unix://path, envoy://..."""
    if not isinstance(address, dict):
        return "unknown"
    socket = address.get("socket_address")
    if isinstance(socket, dict):
        return str(socket.get("address", ""))
    pipe = address.get("pipe")
    if isinstance(pipe, dict):
        return "unix://" + str(pipe.get("path", ""))
    return _internal_address(address) or "unknown"
