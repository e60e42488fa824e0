"""An Envoy bootstrap shaped like pilot-agent's ``etc/istio/proxy/envoy-rev.json``.

Compare istio/pkg/bootstrap/testdata/*_golden.json. Differences, each for a reason:
- ADS uses state-of-the-world ``GRPC`` instead of Istio's ``DELTA_GRPC``: the rig's control plane
  serves a handful of resources, and the config dump Envoy shows is the same either way.
- The admin API listens on 127.0.0.1 port 0 (Envoy picks a free port and writes it to
  ``--admin-address-path``), so several rigs can run at once; the 15090/15021 static listeners
  are left out because they would bind 0.0.0.0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

XDS_SOCKET = "etc/istio/proxy/XDS"
SDS_SOCKET = "var/run/secrets/workload-spiffe-uds/socket"
BOOTSTRAP_PATH = "etc/istio/proxy/envoy-rev.json"
ISTIO_VERSION = "1.28.0"

HTTP2_OPTIONS = {
    "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        "explicit_http_config": {"http2_protocol_options": {}},
    }
}


@dataclass(frozen=True)
class Workload:
    """Who the sidecar is: the pod behind the node id and the SPIFFE identity."""

    pod: str = "productpage-v1-6b746f74dc-9stvs"
    namespace: str = "default"
    service_account: str = "bookinfo-productpage"
    ip: str = "10.244.0.7"
    labels: dict = field(default_factory=lambda: {"app": "productpage", "version": "v1"})

    @property
    def node_id(self) -> str:
        """The Envoy node id, as pilot-agent builds it (``sidecar~IP~POD.NS~NS.svc.cluster.local``)."""
        # pilot-agent: sidecar~IP~POD.NS~NS.svc.cluster.local (istio pkg/model/context.go ServiceNode)
        return f"sidecar~{self.ip}~{self.pod}.{self.namespace}~{self.namespace}.svc.cluster.local"


def build(workload: Workload) -> dict:
    """The bootstrap as a dict (Envoy's snake_case JSON), for ``envoy -c``."""
    return {
        "node": {
            "id": workload.node_id,
            "cluster": f"{workload.labels.get('app', workload.pod)}.{workload.namespace}",
            "locality": {},
            "metadata": _node_metadata(workload),
        },
        "layered_runtime": {
            "layers": [
                {"name": "global config", "static_layer": {"re2.max_program_size.error_level": "32768"}},
                {"name": "admin", "admin_layer": {}},
            ]
        },
        "admin": {
            "access_log": [
                {
                    "name": "envoy.access_loggers.file",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
                        "path": "/dev/null",
                    },
                }
            ],
            "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
        },
        "dynamic_resources": {
            "lds_config": _ads_source(),
            "cds_config": _ads_source(),
            "ads_config": {
                "api_type": "GRPC",
                "set_node_on_first_message_only": True,
                "transport_api_version": "V3",
                "grpc_services": [{"envoy_grpc": {"cluster_name": "xds-grpc"}}],
            },
        },
        "static_resources": {
            "clusters": [
                _static_tcp("prometheus_stats", 15000, "0.250s"),
                _static_tcp("agent", 15020, "0.250s"),
                _pipe_cluster("sds-grpc", "./" + SDS_SOCKET),
                {
                    **_pipe_cluster("xds-grpc", "./" + XDS_SOCKET),
                    "circuit_breakers": {
                        "thresholds": [
                            {"priority": p, "max_connections": 100000, "max_pending_requests": 100000, "max_requests": 100000}
                            for p in ("DEFAULT", "HIGH")
                        ]
                    },
                    "upstream_connection_options": {"tcp_keepalive": {"keepalive_time": 300}},
                    "max_requests_per_connection": 1,
                },
            ]
        },
        "cluster_manager": {"outlier_detection": {"event_log_path": "/dev/null"}},
    }


def _node_metadata(workload: Workload) -> dict:
    return {
        "ISTIO_VERSION": ISTIO_VERSION,
        "NAME": workload.pod,
        "NAMESPACE": workload.namespace,
        "SERVICE_ACCOUNT": workload.service_account,
        "CLUSTER_ID": "Kubernetes",
        "MESH_ID": "cluster.local",
        "INSTANCE_IPS": workload.ip,
        "INTERCEPTION_MODE": "REDIRECT",
        "LABELS": dict(workload.labels),
        "WORKLOAD_NAME": workload.pod.rsplit("-", 2)[0],
        "OWNER": f"kubernetes://apis/apps/v1/namespaces/{workload.namespace}/deployments/{workload.pod.rsplit('-', 2)[0]}",
        "ENVOY_PROMETHEUS_PORT": 15090,
        "ENVOY_STATUS_PORT": 15021,
        "PILOT_SAN": ["istiod.istio-system.svc"],
        "PROXY_CONFIG": {
            "binaryPath": "/usr/local/bin/envoy",
            "configPath": "./etc/istio/proxy",
            "discoveryAddress": "istiod.istio-system.svc:15012",
            "drainDuration": "1s",
            "proxyAdminPort": 15000,
            "serviceCluster": "istio-proxy",
            "statusPort": 15020,
        },
    }


def _ads_source() -> dict:
    return {"ads": {}, "initial_fetch_timeout": "0s", "resource_api_version": "V3"}


def _static_tcp(name: str, port: int, connect_timeout: str) -> dict:
    return {
        "name": name,
        "alt_stat_name": f"{name};",
        "type": "STATIC",
        "connect_timeout": connect_timeout,
        "lb_policy": "ROUND_ROBIN",
        "load_assignment": _one_endpoint(name, {"socket_address": {"protocol": "TCP", "address": "127.0.0.1", "port_value": port}}),
    }


def _pipe_cluster(name: str, path: str) -> dict:
    return {
        "name": name,
        "alt_stat_name": f"{name};",
        "type": "STATIC",
        "typed_extension_protocol_options": HTTP2_OPTIONS,
        "connect_timeout": "1s",
        "lb_policy": "ROUND_ROBIN",
        "load_assignment": _one_endpoint(name, {"pipe": {"path": path}}),
    }


def _one_endpoint(cluster: str, address: dict) -> dict:
    return {"cluster_name": cluster, "endpoints": [{"lb_endpoints": [{"endpoint": {"address": address}}]}]}
