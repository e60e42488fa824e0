"""Hand-made config dumps for `explain mtls`: Istio-shaped clients and servers (helpers for the tests).

Shapes follow istiod's output: auto-mTLS clusters with tlsMode-istio / tlsMode-disabled matches
(pilot cluster_builder.go), DestinationRule DISABLE / ISTIO_MUTUAL / SIMPLE clusters, and the
virtualInbound listener with per-port chains for STRICT, PERMISSIVE and DISABLE
(pilot listener_builder.go / filterchain_options.go).
"""

from __future__ import annotations

import base64
import json

from meshctl.decode.configdump import from_object

ADMIN = "type.googleapis.com/envoy.admin.v3."
UPSTREAM_TLS = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"
DOWNSTREAM_TLS = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
RAW_BUFFER = {"name": "envoy.transport_sockets.raw_buffer", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"}}
TCP_PROXY = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
SDS = {"api_config_source": {"api_type": "GRPC", "transport_api_version": "V3", "grpc_services": [{"envoy_grpc": {"cluster_name": "sds-grpc"}}]},
       "initial_fetch_timeout": "0s", "resource_api_version": "V3"}  # fmt: skip
SDS_SOCKET = "./var/run/secrets/workload-spiffe-uds/socket"


def spiffe(sa: str, ns: str = "default") -> str:
    return f"spiffe://cluster.local/ns/{ns}/sa/{sa}"


def common_tls(*, sans=(), cert: bool = True, alpn=("istio-peer-exchange", "istio")) -> dict:
    context: dict = {"alpn_protocols": list(alpn)}
    if cert:
        context["tls_certificate_sds_secret_configs"] = [{"name": "default", "sds_config": SDS}]
    validation = {"match_subject_alt_names": [{"exact": san} for san in sans]} if sans else {}
    context["combined_validation_context"] = {
        "default_validation_context": validation,
        "validation_context_sds_secret_config": {"name": "ROOTCA", "sds_config": SDS},
    }
    return context


def upstream_tls(sni: str, sans=(), *, cert: bool = True) -> dict:
    return {"name": "envoy.transport_sockets.tls",
            "typed_config": {"@type": UPSTREAM_TLS, "common_tls_context": common_tls(sans=sans, cert=cert), "sni": sni}}  # fmt: skip


def cluster_name(host: str, port: int, subset: str = "") -> str:
    return f"outbound|{port}|{subset}|{host}"


def _eds_cluster(host: str, port: int, subset: str) -> dict:
    name = cluster_name(host, port, subset)
    return {"name": name, "type": "EDS", "connect_timeout": "10s",
            "eds_cluster_config": {"eds_config": {"ads": {}, "resource_api_version": "V3"}, "service_name": name}}  # fmt: skip


def auto_mtls_cluster(host: str, port: int = 9080, subset: str = "", sa: str = "reviews") -> dict:
    """Istio's default: tlsMode=istio endpoints get mTLS, the others plain text."""
    sni = f"outbound_.{port}_.{subset}_.{host}"
    return {**_eds_cluster(host, port, subset), "transport_socket_matches": [
        {"name": "tlsMode-istio", "match": {"tlsMode": "istio"}, "transport_socket": upstream_tls(sni, [spiffe(sa)])},
        {"name": "tlsMode-disabled", "match": {}, "transport_socket": RAW_BUFFER},
    ]}  # fmt: skip


def disable_cluster(host: str, port: int = 9080) -> dict:
    """DestinationRule trafficPolicy.tls.mode DISABLE: no transport socket at all."""
    return _eds_cluster(host, port, "")


def istio_mutual_cluster(host: str, port: int = 9080, sa: str = "reviews") -> dict:
    """DestinationRule ISTIO_MUTUAL: mTLS for every endpoint, metadata or not."""
    return {**_eds_cluster(host, port, ""), "transport_socket": upstream_tls(f"outbound_.{port}_._.{host}", [spiffe(sa)])}


def simple_tls_cluster(host: str, port: int = 9080) -> dict:
    """DestinationRule SIMPLE: TLS without a client certificate."""
    return {**_eds_cluster(host, port, ""), "transport_socket": upstream_tls(host, cert=False)}


def assignment(cluster: str, endpoints, port: int = 9080) -> dict:
    """endpoints: (ip, tlsMode or None); tlsMode goes where istiod puts it."""
    lb_endpoints = []
    for ip, tls_mode in endpoints:
        entry = {"endpoint": {"address": {"socket_address": {"address": ip, "port_value": port}}}, "health_status": "HEALTHY"}
        if tls_mode:
            entry["metadata"] = {"filter_metadata": {"envoy.transport_socket_match": {"tlsMode": tls_mode},
                                                     "istio": {"workload": "reviews-v1;default;reviews;v1;Kubernetes"}}}  # fmt: skip
        lb_endpoints.append(entry)
    return {"cluster_name": cluster, "endpoints": [{"locality": {}, "lb_endpoints": lb_endpoints}]}


def route(port: int, host: str, cluster: str, *, cluster_ip: str = "") -> dict:
    short = host.split(".")[0]
    namespace = host.split(".")[1]
    domains = [host, short, f"{short}.{namespace}", f"{short}.{namespace}.svc"] + ([cluster_ip] if cluster_ip else [])
    return {"name": str(port), "virtual_hosts": [
        {"name": f"{host}:{port}", "domains": domains + [f"{d}:{port}" for d in domains],
         "routes": [{"match": {"prefix": "/"}, "route": {"cluster": cluster}}]},
        {"name": "allow_any", "domains": ["*"], "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "PassthroughCluster"}}]},
    ]}  # fmt: skip


def tcp_listener(ip: str, port: int, cluster: str) -> dict:
    return {"name": f"{ip}_{port}", "address": {"socket_address": {"address": ip, "port_value": port}}, "traffic_direction": "OUTBOUND",
            "filter_chains": [{"filters": [{"name": "envoy.filters.network.tcp_proxy", "typed_config": {"@type": TCP_PROXY, "stat_prefix": cluster, "cluster": cluster}}]}]}  # fmt: skip


def _tcp(cluster: str) -> list:
    return [{"name": "envoy.filters.network.tcp_proxy", "typed_config": {"@type": TCP_PROXY, "stat_prefix": cluster, "cluster": cluster}}]


def _downstream_tls(require_client_certificate: bool = True) -> dict:
    return {"name": "envoy.transport_sockets.tls", "typed_config": {
        "@type": DOWNSTREAM_TLS, "require_client_certificate": require_client_certificate,
        "common_tls_context": common_tls(alpn=("h2", "http/1.1"))}}  # fmt: skip


def virtual_inbound(port: int = 9080, mode: str = "PERMISSIVE", *, require_client_certificate: bool = True) -> dict:
    """virtualInbound with the chains istiod writes for `port` under PeerAuthentication `mode`."""
    inbound = f"inbound|{port}||"
    chains = [{"name": "virtualInbound-blackhole", "filter_chain_match": {"destination_port": 15006}, "filters": _tcp("BlackHoleCluster")}]
    if mode in ("STRICT", "PERMISSIVE"):
        chains.append({"name": f"0.0.0.0_{port}", "filter_chain_match": {"destination_port": port, "transport_protocol": "tls"},
                       "filters": _tcp(inbound), "transport_socket": _downstream_tls(require_client_certificate)})  # fmt: skip
    if mode in ("PERMISSIVE", "DISABLE"):
        match = {"destination_port": port} | ({"transport_protocol": "raw_buffer"} if mode == "PERMISSIVE" else {})
        chains.append({"name": f"0.0.0.0_{port}", "filter_chain_match": match, "filters": _tcp(inbound)})
    # The passthrough chains for ports without a service (mTLS and plain, PERMISSIVE mesh-wide).
    chains += [
        {"name": "virtualInbound", "filter_chain_match": {"prefix_ranges": [{"address_prefix": "0.0.0.0", "prefix_len": 0}], "transport_protocol": "tls"},
         "filters": _tcp("InboundPassthroughCluster"), "transport_socket": _downstream_tls()},
        {"name": "virtualInbound", "filter_chain_match": {"prefix_ranges": [{"address_prefix": "0.0.0.0", "prefix_len": 0}]},
         "filters": _tcp("InboundPassthroughCluster")},
    ]  # fmt: skip
    return {"name": "virtualInbound", "address": {"socket_address": {"address": "0.0.0.0", "port_value": 15006}},
            "traffic_direction": "INBOUND", "filter_chains": chains}  # fmt: skip


def bootstrap(pod: str = "productpage-v1-abc", namespace: str = "default", ip: str = "10.244.0.7") -> dict:
    def static(name: str, address: dict) -> dict:
        return {"name": name, "type": "STATIC",
                "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [{"endpoint": {"address": address}}]}]}}  # fmt: skip

    return {"bootstrap": {
        "node": {"id": f"sidecar~{ip}~{pod}.{namespace}~{namespace}.svc.cluster.local",
                 "metadata": {"NAMESPACE": namespace, "INSTANCE_IPS": ip, "NAME": pod}},
        "static_resources": {"clusters": [static("sds-grpc", {"pipe": {"path": SDS_SOCKET}})]}}}  # fmt: skip


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def secret(name: str, *, chain: bytes = b"", root: bytes = b"") -> dict:
    body: dict = {"name": name}
    if name == "ROOTCA" or root:
        body["validation_context"] = {"trusted_ca": {"inline_bytes": _b64(root)}} if root else {}
    else:
        body["tls_certificate"] = {"certificate_chain": {"inline_bytes": _b64(chain)}, "private_key": {"inline_bytes": _b64(b"[redacted]")}}
    return {"name": name, "version_info": "1", "secret": body}


def istio_secrets(ca=None, sa: str = "productpage", *, active=("default", "ROOTCA"), warming=()) -> dict:
    """default (a workload cert from `ca`, a meshctl.sandbox.certs.TestCA) and ROOTCA."""

    def make(name: str) -> dict:
        if ca is None:
            return secret(name)
        if name == "ROOTCA":
            return secret(name, root=ca.root.cert_pem)
        return secret(name, chain=ca.issue_workload(spiffe(sa)).cert_pem)

    return {"dynamic_active_secrets": [make(n) for n in active], "dynamic_warming_secrets": [make(n) for n in warming]}


def dump_document(*, clusters=(), warming=(), assignments=None, listeners=(), routes=(), secrets=None, node=None) -> dict:
    """A /config_dump document; `assignments` None means "fetched without ?include_eds"."""
    configs = [{"@type": ADMIN + "BootstrapConfigDump", **(node or bootstrap())},
               {"@type": ADMIN + "ClustersConfigDump",
                "dynamic_active_clusters": [{"version_info": "1", "cluster": c} for c in clusters],
                "dynamic_warming_clusters": [{"version_info": "1", "cluster": c} for c in warming]}]  # fmt: skip
    if assignments is not None:
        configs.append({"@type": ADMIN + "EndpointsConfigDump", "dynamic_endpoint_configs": [{"endpoint_config": a} for a in assignments]})
    configs.append({"@type": ADMIN + "ListenersConfigDump", "dynamic_listeners": [{"name": listener["name"], "active_state": {"listener": listener}} for listener in listeners]})
    configs.append({"@type": ADMIN + "RoutesConfigDump", "dynamic_route_configs": [{"route_config": r} for r in routes]})
    if secrets is not None:
        configs.append({"@type": ADMIN + "SecretsConfigDump", **secrets})
    return {"configs": configs}


def make_dump(**parts):
    return from_object(dump_document(**parts))


def dump_bytes(**parts) -> bytes:
    return json.dumps(dump_document(**parts)).encode()


# A bookinfo-ish client (productpage) and server (reviews-v1 at 10.244.0.12).
REVIEWS = "reviews.default.svc.cluster.local"
REVIEWS_CLUSTER = cluster_name(REVIEWS, 9080)
REVIEWS_IP = "10.244.0.12"


def client(cluster=None, endpoints=((REVIEWS_IP, "istio"),), *, warming: bool = False, with_route: bool = True, secrets="default", eds: bool = True, **extra) -> dict:
    """Parts of productpage's dump calling reviews:9080 through `cluster` (auto mTLS by default)."""
    cluster = cluster or auto_mtls_cluster(REVIEWS)
    parts = {
        "clusters": () if warming else (cluster,),
        "warming": (cluster,) if warming else (),
        "assignments": [assignment(cluster["name"], endpoints)] if eds and not warming else ([] if eds else None),
        "routes": (route(9080, REVIEWS, cluster["name"], cluster_ip="10.96.33.18"),) if with_route else (),
        "secrets": istio_secrets() if secrets == "default" else secrets,
    }
    return parts | extra


def server(mode: str = "STRICT", *, ip: str = REVIEWS_IP, secrets="default", **options) -> dict:
    return {
        "listeners": (virtual_inbound(9080, mode, **options),),
        "secrets": istio_secrets(sa="reviews") if secrets == "default" else secrets,
        "node": bootstrap("reviews-v1-xyz", "default", ip),
    }
