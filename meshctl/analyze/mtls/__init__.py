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

The package follows that chain: `client` (SRC, steps 1-3), `server` (DST, step 4) and `verdict`
(both put together: `explain_mtls`; and the same verdict over a whole dump, `endpoint_verdicts`,
which `check`'s tls-mode rule runs, so the two cannot disagree). Each endpoint is also judged by
the pod behind it (`meshctl.model.mesh.PodIndex`): Istio mTLS to a pod without a sidecar fails. The text of an explanation is `meshctl.render.mtls`.
"""

from meshctl.analyze.mtls.client import (
    SOCKET_MATCH_KEY,
    ClusterChoice,
    Destination,
    choose_clusters,
    is_ip,
    matches_endpoint,
    parse_destination,
    select_socket,
    upstream_endpoints,
    workload_ips,
    workload_name,
    workload_namespace,
)
from meshctl.analyze.mtls.server import (
    INBOUND_CAPTURE_PORT,
    ISTIO_MTLS_ALPN,
    NO_CHAIN,
    PERMISSIVE,
    PLAINTEXT_ONLY,
    STRICT,
    VIRTUAL_INBOUND,
    ServerSide,
    inbound_listener,
    inbound_listener_of,
    select_chain,
    server_side,
)
from meshctl.analyze.mtls.verdict import (
    VERDICT_FAIL,
    VERDICT_MTLS,
    VERDICT_PLAINTEXT,
    VERDICT_TLS,
    VERDICT_UNKNOWN,
    VERDICTS,
    WORKLOAD_SECRET,
    ClientFacts,
    EndpointResult,
    EndpointTls,
    Explanation,
    OutboundEndpoint,
    PathResult,
    ServerFacts,
    client_facts,
    endpoint_verdicts,
    explain_mtls,
    istio_mtls,
    server_facts,
    worst,
)

__all__ = [
    "INBOUND_CAPTURE_PORT", "ISTIO_MTLS_ALPN", "NO_CHAIN", "PERMISSIVE", "PLAINTEXT_ONLY", "SOCKET_MATCH_KEY", "STRICT",
    "VERDICTS", "VERDICT_FAIL", "VERDICT_MTLS", "VERDICT_PLAINTEXT", "VERDICT_TLS", "VERDICT_UNKNOWN", "VIRTUAL_INBOUND",
    "ClusterChoice", "Destination", "EndpointResult", "EndpointTls", "Explanation", "PathResult", "ServerSide", "choose_clusters",
    "explain_mtls", "inbound_listener", "is_ip", "matches_endpoint", "parse_destination", "select_chain", "select_socket",
    "server_side", "upstream_endpoints", "workload_ips", "workload_name", "workload_namespace", "worst",
    # the one engine explain and check share (a pod list, each side's facts), and explain request's per-endpoint TLS
    "WORKLOAD_SECRET", "ClientFacts", "EndpointTls", "OutboundEndpoint", "ServerFacts", "client_facts", "endpoint_verdicts",
    "inbound_listener_of", "istio_mtls", "server_facts",
]  # fmt: skip
