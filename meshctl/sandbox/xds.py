"""A small state-of-the-world xDS server on grpcio + xds-protos, shared by the ADS and SDS servers.

Both ADS (``StreamAggregatedResources``) and SDS (``StreamSecrets``) are the same protocol: the
client sends DiscoveryRequests (a subscription, or an ACK/NACK of the last response carrying its
nonce) and the server pushes DiscoveryResponses whenever the resources change
(envoy api/envoy/service/discovery/v3/discovery.proto; xDS protocol doc "ACK/NACK and versioning").
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field

# Modules whose messages appear inside Any fields of the rig's resources: importing them
# registers the types so json_format can parse "@type" (import cost is paid only by the rig).
_TYPE_MODULES = (
    "envoy.config.cluster.v3.cluster_pb2",
    "envoy.config.endpoint.v3.endpoint_pb2",
    "envoy.config.listener.v3.listener_pb2",
    "envoy.config.route.v3.route_pb2",
    "envoy.extensions.transport_sockets.tls.v3.secret_pb2",
    "envoy.extensions.transport_sockets.tls.v3.tls_pb2",
    "envoy.extensions.transport_sockets.raw_buffer.v3.raw_buffer_pb2",
    "envoy.extensions.filters.network.http_connection_manager.v3.http_connection_manager_pb2",
    "envoy.extensions.filters.network.tcp_proxy.v3.tcp_proxy_pb2",
    "envoy.extensions.filters.http.router.v3.router_pb2",
    "envoy.extensions.filters.http.rbac.v3.rbac_pb2",
    "envoy.config.core.v3.extension_pb2",
    "envoy.extensions.filters.listener.original_dst.v3.original_dst_pb2",
    "envoy.extensions.filters.listener.tls_inspector.v3.tls_inspector_pb2",
    # the two-sidecar mesh (meshctl.sandbox.mesh_resources)
    "envoy.extensions.filters.http.ext_authz.v3.ext_authz_pb2",
    "envoy.extensions.filters.network.rbac.v3.rbac_pb2",
    "envoy.extensions.path.match.uri_template.v3.uri_template_match_pb2",
    "envoy.extensions.filters.http.cors.v3.cors_pb2",
    "envoy.extensions.filters.http.fault.v3.fault_pb2",
    "envoy.extensions.access_loggers.file.v3.file_pb2",
    "envoy.extensions.upstreams.http.v3.http_protocol_options_pb2",
)

_POLL_SECONDS = 0.2

# service -> (generated grpc module, service name, its one streaming method)
_SERVICES = {
    "ads": ("envoy.service.discovery.v3.ads_pb2_grpc", "AggregatedDiscoveryService", "StreamAggregatedResources"),
    "sds": ("envoy.service.secret.v3.sds_pb2_grpc", "SecretDiscoveryService", "StreamSecrets"),
}


def to_any(type_url: str, resource: dict):
    """Convert one resource dict (Envoy JSON) into a packed ``google.protobuf.Any``."""
    import importlib

    from google.protobuf import any_pb2, json_format, symbol_database

    for module in _TYPE_MODULES:
        importlib.import_module(module)
    message_class = symbol_database.Default().GetSymbol(type_url.rsplit("/", 1)[1])
    message = json_format.ParseDict(resource, message_class())
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


@dataclass(frozen=True)
class _Snapshot:
    version: int = 0
    resources: dict = field(default_factory=dict)  # name -> Any


class ResourceCache:
    """Resources by type URL, with a version per type; open streams push each new version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._types: dict[str, _Snapshot] = {}
        self.nacks: list[str] = []

    def set(self, type_url: str, resources: list[dict], name_field: str = "name") -> int:
        """Replace all resources of one type and return the new version."""
        packed = {r[name_field]: to_any(type_url, r) for r in resources}
        with self._lock:
            # A new snapshot object, so a stream never sees one type's version and resources mixed.
            snap = _Snapshot(self._types.get(type_url, _Snapshot()).version + 1, packed)
            self._types[type_url] = snap
            return snap.version

    def get(self, type_url: str) -> _Snapshot:
        """The current resources of `type_url` and their version."""
        with self._lock:
            return self._types.get(type_url, _Snapshot())

    def _record(self, request) -> None:
        with self._lock:
            if request.HasField("error_detail"):
                self.nacks.append(f"{request.type_url}: {request.error_detail.message}")

    def stream(self, request_iterator, context):
        """Serve one xDS stream: answer subscriptions and push newer versions until it closes."""
        from envoy.service.discovery.v3 import discovery_pb2

        requests: queue.SimpleQueue = queue.SimpleQueue()
        subscribed: dict[str, list[str]] = {}  # type URL -> names (empty = wildcard)
        sent: dict[str, tuple[int, str, list[str]]] = {}  # type URL -> (version, nonce, names)
        nonce = 0

        def read() -> None:
            try:
                for request in request_iterator:
                    requests.put(request)
            except Exception:  # the client went away: grpc raises on the reader side
                pass
            requests.put(None)

        threading.Thread(target=read, name="xds-stream-reader", daemon=True).start()
        while context.is_active():
            try:
                request = requests.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                request = False
            if request is None:
                return
            if request:
                self._record(request)
                last = sent.get(request.type_url)
                if last and request.response_nonce and request.response_nonce != last[1]:
                    continue  # stale: answers an older response (xDS protocol: ignore)
                subscribed[request.type_url] = list(request.resource_names)
            for type_url, names in subscribed.items():
                snap = self.get(type_url)
                last = sent.get(type_url)
                if last and last[0] == snap.version and last[2] == names:
                    continue
                nonce += 1
                picked = snap.resources if not names else {n: snap.resources[n] for n in names if n in snap.resources}
                sent[type_url] = (snap.version, str(nonce), names)
                yield discovery_pb2.DiscoveryResponse(
                    version_info=str(snap.version), type_url=type_url, nonce=str(nonce),
                    resources=list(picked.values()),
                )


def serve(socket_path: str, cache: ResourceCache, service: str):
    """Start a grpc server on ``unix:socket_path`` answering `service` ("ads" or "sds") from `cache`."""
    import importlib
    from concurrent import futures

    import grpc

    module_name, service_name, method = _SERVICES[service]
    module = importlib.import_module(module_name)
    servicer_class = type(f"{service_name}Servicer", (getattr(module, f"{service_name}Servicer"),), {
        method: lambda self, request_iterator, context: cache.stream(request_iterator, context),
    })  # fmt: skip
    # Envoy keeps one long-lived stream per xDS subscription; a few threads cover ADS + SDS.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix=f"meshctl-{service}"))
    getattr(module, f"add_{service_name}Servicer_to_server")(servicer_class(), server)
    server.add_insecure_port(f"unix:{socket_path}")
    server.start()
    return server
