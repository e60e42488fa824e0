"""The xDS resources the rig's control plane serves, shaped like istiod's for a bookinfo sidecar.

Plain dicts in Envoy's JSON form (converted to protobuf by ``meshctl.sandbox.xds``). Names and
shapes follow istiod's output (pilot/pkg/networking/core: cluster_builder.go, listener.go,
httproute.go); fields that only matter on a real network (outlier detection, stats filters,
Istio's own Wasm/native filters which upstream Envoy lacks) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from meshctl.sandbox.certs import spiffe_id

CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
ENDPOINTS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener"
ROUTE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
SECRET = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"
EXTENSION_CONFIG = "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig"

HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
TCP_PROXY = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
ROUTER = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
UPSTREAM_TLS = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"
DOWNSTREAM_TLS = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
RAW_BUFFER = "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"
RBAC = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"
# An HTTP filter delivered by ECDS, as Istio delivers WasmPlugins (istio pilot/pkg/networking/core
# extension/wasmplugin.go); RBAC stands in for Wasm, which would need a module to load.
ECDS_FILTER = "default.ratings-authz"


@dataclass(frozen=True)
class Service:
    """A Kubernetes service as istiod sees it: host, port, endpoints (ip, tlsMode or None)."""

    name: str
    namespace: str
    port: int
    cluster_ip: str
    service_account: str
    endpoints: tuple[tuple[str, str | None], ...]
    protocol: str = "http"

    @property
    def host(self) -> str:
        """The service's FQDN (``NAME.NS.svc.cluster.local``)."""
        return f"{self.name}.{self.namespace}.svc.cluster.local"

    def cluster_name(self, subset: str = "") -> str:
        """Istio's outbound cluster name for the service (and `subset`)."""
        # istio pkg/model/service.go BuildSubsetKey: direction|port|subset|host
        return f"outbound|{self.port}|{subset}|{self.host}"


# bookinfo, seen from productpage: two sidecar'd services, one with a legacy (no sidecar) pod,
# and a database whose endpoints the control plane withholds so that its cluster stays warming.
SERVICES = (
    Service("details", "default", 9080, "10.96.12.40", "bookinfo-details", (("10.244.0.11", "istio"),)),
    Service("reviews", "default", 9080, "10.96.33.18", "bookinfo-reviews", (("10.244.0.12", "istio"), ("10.244.0.13", "istio"))),
    Service("ratings", "default", 9080, "10.96.7.201", "bookinfo-ratings", (("10.244.0.14", "istio"), ("10.244.1.5", None))),
)
REVIEWS_V1 = ("reviews", "v1", ("10.244.0.12",))
WARMING = Service("mysqldb", "db", 3306, "10.96.41.9", "mysqldb", (("10.244.2.3", "istio"),), protocol="tcp")
INBOUND_PORT = 9080


def sds_config() -> dict:
    """How Istio points Envoy at the agent's SDS socket (pilot/pkg/model/authentication.go)."""
    return {
        "api_config_source": {
            "api_type": "GRPC",
            "set_node_on_first_message_only": True,
            "transport_api_version": "V3",
            "grpc_services": [{"envoy_grpc": {"cluster_name": "sds-grpc"}}],
        },
        "initial_fetch_timeout": "0s",
        "resource_api_version": "V3",
    }


def _common_tls(peer_sans: list[str] | None, alpn: list[str]) -> dict:
    validation: dict = {}
    if peer_sans:
        validation["match_typed_subject_alt_names"] = [{"san_type": "URI", "matcher": {"exact": s}} for s in peer_sans]
    return {
        "tls_params": {"tls_minimum_protocol_version": "TLSv1_2", "tls_maximum_protocol_version": "TLSv1_3"},
        "alpn_protocols": alpn,
        "tls_certificate_sds_secret_configs": [{"name": "default", "sds_config": sds_config()}],
        "combined_validation_context": {
            "default_validation_context": validation,
            "validation_context_sds_secret_config": {"name": "ROOTCA", "sds_config": sds_config()},
        },
    }


def _outbound_cluster(svc: Service, subset: str = "") -> dict:
    name = svc.cluster_name(subset)
    return {
        "name": name,
        "type": "EDS",
        "eds_cluster_config": {"eds_config": {"ads": {}, "initial_fetch_timeout": "0s", "resource_api_version": "V3"}, "service_name": name},
        "connect_timeout": "10s",
        "lb_policy": "LEAST_REQUEST",
        "circuit_breakers": {
            "thresholds": [
                {"max_connections": 4294967295, "max_pending_requests": 4294967295, "max_requests": 4294967295, "max_retries": 4294967295, "track_remaining": True}
            ]
        },
        "common_lb_config": {},
        "metadata": {
            "filter_metadata": {
                "istio": {
                    "services": [{"host": svc.host, "name": svc.name, "namespace": svc.namespace}],
                    **({"subset": subset} if subset else {}),
                }
            }
        },
        # istio cluster_builder.go buildUpstreamTLSSettings / transport_socket_matches: endpoints
        # labelled tlsMode=istio get Istio mTLS, every other endpoint plain text.
        "transport_socket_matches": [
            {
                "name": "tlsMode-istio",
                "match": {"tlsMode": "istio"},
                "transport_socket": {
                    "name": "envoy.transport_sockets.tls",
                    "typed_config": {
                        "@type": UPSTREAM_TLS,
                        "common_tls_context": _common_tls(
                            [spiffe_id(svc.namespace, svc.service_account)], ["istio-peer-exchange", "istio"]
                        ),
                        "sni": f"outbound_.{svc.port}_.{subset}_.{svc.host}",
                    },
                },
            },
            {
                "name": "tlsMode-disabled",
                "match": {},
                "transport_socket": {"name": "envoy.transport_sockets.raw_buffer", "typed_config": {"@type": RAW_BUFFER}},
            },
        ],
    }


def _original_dst(name: str, bind_ip: str | None = None) -> dict:
    cluster = {"name": name, "type": "ORIGINAL_DST", "connect_timeout": "10s", "lb_policy": "CLUSTER_PROVIDED",
               "circuit_breakers": {"thresholds": [{"max_connections": 4294967295, "max_pending_requests": 4294967295, "max_requests": 4294967295, "max_retries": 4294967295, "track_remaining": True}]}}  # noqa: E501
    if bind_ip:
        # Istio binds inbound connections to 127.0.0.6 so iptables lets them through.
        cluster["upstream_bind_config"] = {"source_address": {"address": bind_ip, "port_value": 0}}
    return cluster


def clusters(*, include_warming: bool) -> list[dict]:
    """CDS: outbound services (+ a subset), inbound, and the Passthrough/BlackHole clusters."""
    result = [_outbound_cluster(svc) for svc in SERVICES]
    name, subset, _ = REVIEWS_V1
    result.append(_outbound_cluster(_service(name), subset))
    if include_warming:
        result.append(_outbound_cluster(WARMING))
    result += [
        {**_original_dst(f"inbound|{INBOUND_PORT}||", "127.0.0.6"),
         "metadata": {"filter_metadata": {"istio": {"services": [{"host": "productpage.default.svc.cluster.local", "name": "productpage", "namespace": "default"}]}}}},
        _original_dst("PassthroughCluster"),
        _original_dst("InboundPassthroughCluster", "127.0.0.6"),
        {"name": "BlackHoleCluster", "type": "STATIC", "connect_timeout": "10s"},
    ]
    return result


def endpoints() -> list[dict]:
    """EDS for every EDS cluster except the warming one (its assignment is withheld)."""
    result = [_assignment(svc.cluster_name(), svc.endpoints, svc.port) for svc in SERVICES]
    name, subset, ips = REVIEWS_V1
    svc = _service(name)
    result.append(_assignment(svc.cluster_name(subset), tuple((ip, "istio") for ip in ips), svc.port))
    return result


def _assignment(cluster: str, eps: tuple[tuple[str, str | None], ...], port: int) -> dict:
    lb_endpoints = []
    for ip, tls_mode in eps:
        entry = {
            "endpoint": {"address": {"socket_address": {"address": ip, "port_value": port}}},
            "health_status": "HEALTHY",
            "load_balancing_weight": 1,
        }
        if tls_mode:
            # istio pilot/pkg/networking/util: tlsMode is copied from the pod's security.istio.io/tlsMode label
            entry["metadata"] = {"filter_metadata": {"envoy.transport_socket_match": {"tlsMode": tls_mode}}}
        lb_endpoints.append(entry)
    return {"cluster_name": cluster, "endpoints": [{"locality": {}, "lb_endpoints": lb_endpoints, "load_balancing_weight": len(lb_endpoints)}]}


def listeners(outbound_port: int, inbound_port: int) -> list[dict]:
    """LDS: virtualOutbound/virtualInbound (bound to 127.0.0.1 on the given ports) and
    per-service outbound listeners that, as in Istio, do not bind (bind_to_port false)."""
    http_svc = SERVICES[0]
    return [
        {
            "name": "virtualOutbound",
            "address": {"socket_address": {"address": "127.0.0.1", "port_value": outbound_port}},
            "use_original_dst": True,
            "traffic_direction": "OUTBOUND",
            "filter_chains": [
                {"name": "virtualOutbound-blackhole", "filter_chain_match": {"destination_port": outbound_port},
                 "filters": [_tcp_proxy("BlackHoleCluster", "BlackHoleCluster")]},
                {"name": "virtualOutbound-catchall-tcp", "filters": [_tcp_proxy("PassthroughCluster", "PassthroughCluster")]},
            ],
        },
        {
            "name": "virtualInbound",
            "address": {"socket_address": {"address": "127.0.0.1", "port_value": inbound_port}},
            "traffic_direction": "INBOUND",
            "listener_filters": [
                {"name": "envoy.filters.listener.original_dst", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst"}},
                {"name": "envoy.filters.listener.tls_inspector", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"}},
            ],
            "filter_chains": [
                {"name": "virtualInbound-blackhole", "filter_chain_match": {"destination_port": inbound_port},
                 "filters": [_tcp_proxy("BlackHoleCluster", "BlackHoleCluster")]},
                # PERMISSIVE mTLS: one chain for Istio mTLS, one for plain text (istio listener_builder.go)
                {"name": f"0.0.0.0_{INBOUND_PORT}", "filter_chain_match": {"destination_port": INBOUND_PORT, "transport_protocol": "tls"},
                 "filters": [_inbound_hcm()],
                 "transport_socket": {"name": "envoy.transport_sockets.tls", "typed_config": {
                     "@type": DOWNSTREAM_TLS, "require_client_certificate": True,
                     "common_tls_context": _common_tls(None, ["h2", "http/1.1"])}}},
                {"name": f"0.0.0.0_{INBOUND_PORT}", "filter_chain_match": {"destination_port": INBOUND_PORT, "transport_protocol": "raw_buffer"},
                 "filters": [_inbound_hcm()]},
                {"name": "virtualInbound", "filters": [_tcp_proxy("InboundPassthroughCluster", "InboundPassthroughCluster")]},
            ],
        },
        {
            "name": f"0.0.0.0_{http_svc.port}",
            "address": {"socket_address": {"address": "0.0.0.0", "port_value": http_svc.port}},
            "bind_to_port": False,
            "traffic_direction": "OUTBOUND",
            "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": {
                "@type": HCM, "stat_prefix": f"outbound_0.0.0.0_{http_svc.port}",
                "rds": {"config_source": {"ads": {}, "initial_fetch_timeout": "0s", "resource_api_version": "V3"}, "route_config_name": str(http_svc.port)},
                "http_filters": [_ecds_filter(), _router()], "use_remote_address": False}}]}],
        },
        {
            "name": f"{WARMING.cluster_ip}_{WARMING.port}",
            "address": {"socket_address": {"address": WARMING.cluster_ip, "port_value": WARMING.port}},
            "bind_to_port": False,
            "traffic_direction": "OUTBOUND",
            "filter_chains": [{"filters": [_tcp_proxy(f"outbound|{WARMING.port}||{WARMING.host}", WARMING.cluster_name())]}],
        },
    ]


def routes() -> list[dict]:
    """RDS: the outbound HTTP route table for port 9080, with Istio's allow_any fallback."""
    vhosts = []
    for svc in SERVICES:
        cluster = svc.cluster_name(REVIEWS_V1[1] if svc.name == REVIEWS_V1[0] else "")
        short = [svc.host, svc.name, f"{svc.name}.{svc.namespace}.svc", f"{svc.name}.{svc.namespace}", svc.cluster_ip]
        vhosts.append({
            "name": f"{svc.host}:{svc.port}",
            "domains": short + [f"{d}:{svc.port}" for d in short],
            "routes": [{
                "name": "default",
                "match": {"prefix": "/"},
                "route": {"cluster": cluster, "timeout": "0s", "max_grpc_timeout": "0s",
                          "retry_policy": {"retry_on": "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes", "num_retries": 2}},
                "decorator": {"operation": f"{svc.host}:{svc.port}/*"},
            }],
            "include_request_attempt_count": True,
        })
    vhosts.append({
        "name": "allow_any",
        "domains": ["*"],
        "routes": [{"name": "allow_any", "match": {"prefix": "/"}, "route": {"cluster": "PassthroughCluster", "timeout": "0s", "max_grpc_timeout": "0s"}}],
        "include_request_attempt_count": True,
    })
    return [{"name": str(SERVICES[0].port), "virtual_hosts": vhosts, "validate_clusters": False, "ignore_port_in_host_matching": True}]


def secrets(workload_chain_pem: bytes, workload_key_pem: bytes, root_pem: bytes) -> list[dict]:
    """SDS: pilot-agent's two secrets, ``default`` (workload cert chain + key) and ``ROOTCA``."""
    return [
        {"name": "default", "tls_certificate": {"certificate_chain": {"inline_bytes": _b64(workload_chain_pem)},
                                                 "private_key": {"inline_bytes": _b64(workload_key_pem)}}},
        {"name": "ROOTCA", "validation_context": {"trusted_ca": {"inline_bytes": _b64(root_pem)}}},
    ]


def _b64(data: bytes) -> str:
    import base64

    # protobuf JSON carries `bytes` fields as base64
    return base64.b64encode(data).decode()


def _service(name: str) -> Service:
    return next(svc for svc in SERVICES if svc.name == name)


def _tcp_proxy(stat_prefix: str, cluster: str) -> dict:
    return {"name": "envoy.filters.network.tcp_proxy", "typed_config": {"@type": TCP_PROXY, "stat_prefix": stat_prefix, "cluster": cluster}}


def extension_configs() -> list[dict]:
    """ECDS: the one filter config the outbound HTTP listener discovers by name."""
    return [{"name": ECDS_FILTER, "typed_config": {"@type": RBAC, "rules": {"action": "ALLOW", "policies": {
        "allow-all": {"permissions": [{"any": True}], "principals": [{"any": True}]}}}}}]


def _ecds_filter() -> dict:
    return {"name": ECDS_FILTER, "config_discovery": {
        "config_source": {"ads": {}, "initial_fetch_timeout": "0s", "resource_api_version": "V3"},
        "type_urls": [RBAC]}}


def _router() -> dict:
    return {"name": "envoy.filters.http.router", "typed_config": {"@type": ROUTER}}


def _inbound_hcm() -> dict:
    cluster = f"inbound|{INBOUND_PORT}||"
    return {"name": "envoy.filters.network.http_connection_manager", "typed_config": {
        "@type": HCM, "stat_prefix": f"inbound_0.0.0.0_{INBOUND_PORT}",
        "route_config": {"name": cluster, "validate_clusters": False, "virtual_hosts": [{
            "name": f"inbound|http|{INBOUND_PORT}", "domains": ["*"],
            "routes": [{"name": "default", "match": {"prefix": "/"}, "route": {"cluster": cluster, "timeout": "0s", "max_grpc_timeout": "0s"},
                        "decorator": {"operation": f"productpage.default.svc.cluster.local:{INBOUND_PORT}/*"}}]}]},
        "http_filters": [_router()], "forward_client_cert_details": "APPEND_FORWARD",
        "set_current_client_cert_details": {"subject": True, "dns": True, "uri": True}}}


def traffic_path(listen_port: int, upstream_port: int, *, name: str = "echo", port: int = 8080,
                 deny_prefix: str = "/admin") -> tuple[dict, dict]:
    """(listener, cluster) that carry real requests without iptables: an inbound-style HTTP listener
    bound to 127.0.0.1:`listen_port` (stat prefix ``inbound_0.0.0.0_<port>``) whose Istio-shaped RBAC
    filter denies `deny_prefix` (policy ``ns[default]-policy[deny-admin]-rule[0]``, as pilot's authz
    builder names it) and routes the rest to ``outbound|<port>||<name>.default.svc.cluster.local``, a
    STATIC cluster on 127.0.0.1:`upstream_port`. Counters then move as istiod's config would make them."""
    host = f"{name}.default.svc.cluster.local"
    cluster = f"outbound|{port}||{host}"
    rbac = {"name": "envoy.filters.http.rbac", "typed_config": {"@type": RBAC, "rules": {"action": "DENY", "policies": {
        "ns[default]-policy[deny-admin]-rule[0]": {
            "permissions": [{"and_rules": {"rules": [{"or_rules": {"rules": [
                {"url_path": {"path": {"prefix": deny_prefix}}}]}}]}}],
            "principals": [{"and_ids": {"ids": [{"any": True}]}}]}}}}}
    listener = {
        "name": f"0.0.0.0_{port}",
        "address": {"socket_address": {"address": "127.0.0.1", "port_value": listen_port}},
        "traffic_direction": "INBOUND",
        "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": {
            "@type": HCM, "stat_prefix": f"inbound_0.0.0.0_{port}",
            "route_config": {"name": f"inbound|{port}||", "virtual_hosts": [{
                "name": f"inbound|http|{port}", "domains": ["*"],
                "routes": [{"name": "default", "match": {"prefix": "/"}, "route": {"cluster": cluster, "timeout": "5s"}}]}]},
            "http_filters": [rbac, _router()]}}]}],
    }
    upstream = {"name": cluster, "type": "STATIC", "connect_timeout": "1s",
                "load_assignment": {"cluster_name": cluster, "endpoints": [{"lb_endpoints": [
                    {"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": upstream_port}}}}]}]}}
    return listener, upstream
