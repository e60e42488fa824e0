"""xDS for the two-sidecar mesh (meshctl.sandbox.mesh): clients calling an RBAC-guarded server.

Shapes follow istiod's (pilot/pkg/networking/core): outbound ``0.0.0.0_PORT`` HTTP listeners with
RDS, ``outbound|PORT|SUBSET|FQDN`` EDS clusters with Istio's mTLS transport-socket match, and an
inbound ``virtualInbound`` listener with an mTLS filter chain per port whose HTTP connection
manager carries Istio's authorization filters. The RBAC policies are built as Istio builds them
from AuthorizationPolicies (pilot/pkg/security/authz/model: generator.go, model.go, permission.go,
principal.go; builder/builder.go), with ``authenticated`` principals (istiod's
``useAuthenticated``) because upstream Envoy has no ``istio_authn`` filter to set the
``io.istio.peer_principal`` filter state.

Differences from a pod, each because there is no iptables here: each proxy binds its listeners
for real (the client's outbound listener on 0.0.0.0:PORT, the server's virtualInbound on its own
loopback IP and the app's port), the inbound cluster is STATIC to the app's address instead of
ORIGINAL_DST, and each client binds its upstream connections to its own loopback IP (its pod IP).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from meshctl.sandbox.certs import TRUST_DOMAIN, spiffe_id
from meshctl.sandbox.resources import CLUSTER, DOWNSTREAM_TLS, ENDPOINTS, HCM, LISTENER, RAW_BUFFER, ROUTE, UPSTREAM_TLS, _common_tls, _router, _tcp_proxy

RBAC = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"
NETWORK_RBAC = "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC"
URI_TEMPLATE = "type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig"
EXT_AUTHZ = "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz"
CORS = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors"
FAULT = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault"
FILE_LOG = "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog"
TLS_INSPECTOR = "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"
# Istio's inbound mTLS chains match the ALPNs its clients offer (pilot/pkg/networking/util).
INBOUND_MTLS_ALPN = ["istio-peer-exchange", "istio", "istio-http/1.0", "istio-http/1.1", "istio-h2"]
ACCESS_LOG = "access.log"  # in each proxy's run directory
ACCESS_LOG_FORMAT = {
    "id": "%REQ(X-MESHCTL-REQUEST)%", "code": "%RESPONSE_CODE%", "cluster": "%UPSTREAM_CLUSTER%",
    "flags": "%RESPONSE_FLAGS%", "details": "%RESPONSE_CODE_DETAILS%", "host": "%UPSTREAM_HOST%",
}  # fmt: skip


@dataclass(frozen=True)
class Party:
    """One workload of the mesh: identity, (loopback) IP."""

    name: str
    namespace: str
    service_account: str
    ip: str

    @property
    def principal(self) -> str:
        """Its SPIFFE ID."""
        return spiffe_id(self.namespace, self.service_account)


@dataclass(frozen=True)
class Layout:
    """Who is where: the server (httpbin) and its app port, the backend app, the clients."""

    server: Party
    server_port: int  # the app's port: the server's inbound listener and filter chains
    app: Party  # the backend app behind the server (and the sidecar-less "plain" service)
    app_port: int
    clients: tuple[tuple[Party, int], ...]  # (client, the service port its outbound listener serves)
    server_tcp_port: int = 0  # a second app port, served as TCP (network RBAC + tcp_proxy)


# --- Istio's AuthorizationPolicy -> RBAC generation, for the attributes the mesh uses -------------------


def _quote_meta(text: str) -> str:
    """Go regexp.QuoteMeta: a backslash before each of \\.+*?()|[]{}^$."""
    return re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", text)


def _string(value: str, prefix: str = "") -> dict:
    """matcher.StringMatcherWithPrefix."""
    if value == "*":
        return {"safe_regex": {"regex": ".+"}}
    if value.startswith("*"):
        return {"suffix": value[1:]} if not prefix else {"safe_regex": {"regex": prefix + ".*" + _quote_meta(value[1:])}}
    if value.endswith("*"):
        return {"prefix": prefix + value[:-1]}
    return {"exact": prefix + value}


def _header(name: str, value: str, ignore_case: bool = False) -> dict:
    """matcher.HeaderMatcher (ignore_case: matcher.HostMatcher, for `hosts`)."""
    case = {"ignore_case": True} if ignore_case else {}
    if value == "*":
        return {"name": name, "present_match": True}
    if value.startswith("*"):
        return {"name": name, "string_match": {"suffix": value[1:], **case}}
    if value.endswith("*"):
        return {"name": name, "string_match": {"prefix": value[:-1], **case}}
    return {"name": name, "string_match": {"exact": value, **case}}


def _cidr(value: str) -> dict:
    """util.AddrStrToCidrRange: an address alone is a /32."""
    address, _, length = value.partition("/")
    return {"address_prefix": address, "prefix_len": int(length or 32)}


def _authenticated(matcher: dict) -> dict:
    return {"authenticated": {"principal_name": matcher}}


_PRINCIPAL_KEYS = {  # generator.go, by Source field
    "principals": lambda v: _authenticated(_string(v, "spiffe://")),
    "namespaces": lambda v: _authenticated({"safe_regex": {"regex": ".*/ns/" + ".*".join(_quote_meta(p) for p in v.split("*")) + "/.*"}}),
    "ip_blocks": lambda v: {"direct_remote_ip": _cidr(v)},
    "remote_ip_blocks": lambda v: {"remote_ip": _cidr(v)},
}
def _path(value: str) -> dict:
    """generator.go pathGenerator: a path with {*} or {**} is a uri_template (matcher/template.go)."""
    if "{*}" in value or "{**}" in value:
        template = value.replace("{**}", "**").replace("{*}", "*")
        return {"uri_template": {"name": "uri-template", "typed_config": {"@type": URI_TEMPLATE, "path_template": template}}}
    return {"url_path": {"path": _string(value)}}


_PERMISSION_KEYS = {  # generator.go, by Operation field
    "hosts": lambda v: {"header": _header(":authority", v, ignore_case=True)},
    "methods": lambda v: {"header": _header(":method", v)},
    "paths": _path,
    "ports": lambda v: {"destination_port": int(v)},
}
# model.go New: insertFront reverses the order the fields are added in.
_PRINCIPAL_ORDER = ("principals", "namespaces", "remote_ip_blocks", "ip_blocks")
_PERMISSION_ORDER = ("hosts", "methods", "paths", "ports")


def _rule_list(spec: dict, order, generators, extra: list[dict]) -> dict:
    """One ruleList -> and(or(values), not(or(not_values)), ...), `any` when empty (model.go)."""
    parts = []
    for key in order:
        values, not_values = spec.get(key) or [], spec.get(f"not_{key}") or []
        if values:
            parts.append(("or", [generators[key](v) for v in values]))
        if not_values:
            parts.append(("not", [generators[key](v) for v in not_values]))
    parts += extra
    return parts


def _permission(parts) -> dict:
    rules = [{"or_rules": {"rules": items}} if kind == "or" else {"not_rule": {"or_rules": {"rules": items}}} for kind, items in parts]
    return {"and_rules": {"rules": rules or [{"any": True}]}}


def _principal(parts) -> dict:
    ids = [{"or_ids": {"ids": items}} if kind == "or" else {"not_id": {"or_ids": {"ids": items}}} for kind, items in parts]
    return {"and_ids": {"ids": ids or [{"any": True}]}}


def policy(*, source: dict | None = None, operation: dict | None = None, headers: dict[str, list[str]] | None = None) -> dict:
    """One AuthorizationPolicy rule (one `from`, one `to`, `when request.headers[...]`) as Envoy RBAC."""
    when = [("or", [{"header": _header(name, v)} for v in values]) for name, values in (headers or {}).items()]
    return {
        "permissions": [_permission(_rule_list(operation or {}, _PERMISSION_ORDER, _PERMISSION_KEYS, []))],
        "principals": [_principal(_rule_list(source or {}, _PRINCIPAL_ORDER, _PRINCIPAL_KEYS, when))],
    }


def policy_name(namespace: str, name: str, rule: int, prefix: str = "") -> str:
    """builder.go policyName."""
    return f"{prefix}ns[{namespace}]-policy[{name}]-rule[{rule}]"


def server_policies(layout: Layout) -> dict[str, dict]:
    """The AuthorizationPolicies of namespace foo, by action: DENY, DRY_RUN (DENY shadow), CUSTOM, ALLOW."""
    ns = layout.server.namespace
    other = next((c.namespace for c, _ in layout.clients if c.namespace != ns), "bar")
    first = layout.clients[0][0]
    second = layout.clients[-1][0]
    return {
        "DENY": {
            policy_name(ns, "deny-delete", 0): policy(operation={"methods": ["DELETE"]}),
            policy_name(ns, "deny-admin", 0): policy(source={"not_namespaces": [ns]}, operation={"paths": ["/admin", "/admin/*"]}),
            policy_name(ns, "deny-blocked", 0): policy(headers={"x-block": ["yes", "true"]}),
        },
        "DRY_RUN": {policy_name(ns, "dry-run", 0): policy(operation={"paths": ["/dry*"]})},
        "CUSTOM": {policy_name(ns, "ext", 0, "istio-ext-authz-"): policy(operation={"paths": ["/custom/*"]})},
        "ALLOW": {
            policy_name(ns, "allow-first", 0): policy(source={"principals": [first.principal.removeprefix("spiffe://")]},
                                                      operation={"not_paths": ["/private*"]}),  # fmt: skip
            policy_name(ns, "allow-reads", 0): policy(source={"namespaces": [other]}, operation={
                "methods": ["GET", "HEAD"], "paths": ["/", "/get", "/data", "/api/*", "/status/*", "/search", "/inv*", "/headers", "/Case*"]}),
            policy_name(ns, "allow-reads", 1): policy(operation={"methods": ["POST"], "paths": ["/post"]}, headers={"x-team": ["blue", "green*"]}),
            policy_name(ns, "allow-ip", 0): policy(source={"ip_blocks": [f"{second.ip}/32"]}, operation={"methods": ["PUT"], "ports": [str(layout.server_port)]}),
            policy_name(ns, "allow-odd-methods", 0): policy(source={"principals": ["*"]}, operation={
                "not_methods": ["GET", "HEAD", "POST", "PUT", "DELETE"], "paths": ["/any/*"]}),
            # hosts match the authority without case (HostMatcher): PATCH by full name only
            policy_name(ns, "allow-by-host", 0): policy(source={"namespaces": [other]}, operation={
                "hosts": [f"httpbin.{ns}.svc.cluster.local*"], "methods": ["PATCH"]}),
            # remoteIpBlocks: the client address the HCM works out (X-Forwarded-For's last entry here)
            policy_name(ns, "allow-remote", 0): policy(source={"remote_ip_blocks": ["203.0.113.0/24"]}, operation={"paths": ["/remote"]}),
            # path templates: {*} is one path segment, {**} any number (Envoy's uri_template)
            policy_name(ns, "allow-templates", 0): policy(source={"namespaces": [other]}, operation={
                "methods": ["GET"], "paths": ["/tpl/{*}/end", "/files/{**}"]}),
        },
        # the TCP port (network RBAC: no HTTP attributes, builder.go BuildTCP)
        "TCP_DENY": {policy_name(ns, "deny-tcp-from-other", 0): policy(source={"namespaces": [other]})},
    }


# --- the server: virtualInbound with Istio's authorization filters ---------------------------------------


def _access_log() -> list[dict]:
    return [{"name": "envoy.access_loggers.file", "typed_config": {"@type": FILE_LOG, "path": ACCESS_LOG,
             "log_format": {"json_format": ACCESS_LOG_FORMAT}}}]  # fmt: skip


def ext_authz_cluster(layout: Layout) -> str:
    return f"outbound|9000||ext-authz.{layout.server.namespace}.svc.cluster.local"


def _authz_filters(layout: Layout) -> list[dict]:
    """builder.go BuildHTTP order: CUSTOM (RBAC shadow + ext_authz), then DENY (with dry-run
    shadow rules), then ALLOW, as istiod's listener builder inserts them."""
    policies = server_policies(layout)
    custom_rbac = {"@type": RBAC, "shadow_rules": {"action": "DENY", "policies": policies["CUSTOM"]}, "shadow_rules_stat_prefix": "istio_ext_authz_"}
    ext_authz = {
        "@type": EXT_AUTHZ, "transport_api_version": "V3", "status_on_error": {"code": "Forbidden"},
        "grpc_service": {"envoy_grpc": {"cluster_name": ext_authz_cluster(layout)}, "timeout": "0.5s"},
        "filter_enabled_metadata": {"filter": "envoy.filters.http.rbac", "path": [{"key": "istio_ext_authz_shadow_effective_policy_id"}],
                                    "value": {"string_match": {"prefix": "istio-ext-authz"}}},
    }  # fmt: skip
    deny = {"@type": RBAC, "rules": {"action": "DENY", "policies": policies["DENY"]},
            "shadow_rules": {"action": "DENY", "policies": policies["DRY_RUN"]}, "shadow_rules_stat_prefix": "istio_dry_run_deny_"}  # fmt: skip
    allow = {"@type": RBAC, "rules": {"action": "ALLOW", "policies": policies["ALLOW"]}}
    return [
        {"name": "envoy.filters.http.rbac", "typed_config": custom_rbac},
        {"name": "envoy.filters.http.ext_authz", "typed_config": ext_authz},
        {"name": "envoy.filters.http.rbac", "typed_config": deny},
        {"name": "envoy.filters.http.rbac", "typed_config": allow},
    ]


def inbound_cluster(layout: Layout, port: int | None = None) -> str:
    return f"inbound|{port or layout.server_port}||"


def _tcp_chain(layout: Layout) -> dict:
    """An mTLS chain for the TCP port: network RBAC (DENY), then tcp_proxy to the app."""
    port = layout.server_tcp_port
    rbac = {"@type": NETWORK_RBAC, "stat_prefix": "tcp.", "rules": {"action": "DENY", "policies": server_policies(layout)["TCP_DENY"]}}
    return {
        "name": f"0.0.0.0_{port}",
        "filter_chain_match": {"destination_port": port, "transport_protocol": "tls", "application_protocols": INBOUND_MTLS_ALPN},
        "filters": [{"name": "envoy.filters.network.rbac", "typed_config": rbac}, _tcp_proxy(inbound_cluster(layout, port), inbound_cluster(layout, port))],
        "transport_socket": {"name": "envoy.transport_sockets.tls", "typed_config": {
            "@type": DOWNSTREAM_TLS, "require_client_certificate": True, "common_tls_context": _common_tls(None, ["h2", "http/1.1"])}},
    }  # fmt: skip


def server_resources(layout: Layout) -> dict[str, list[dict]]:
    """CDS + LDS of the server sidecar (its routes are inline, as istiod's inbound ones)."""
    port, server = layout.server_port, layout.server
    fqdn = f"{server.name}.{server.namespace}.svc.cluster.local"
    manager = {
        "@type": HCM, "stat_prefix": f"inbound_0.0.0.0_{port}", "normalize_path": True, "access_log": _access_log(),
        "forward_client_cert_details": "APPEND_FORWARD", "set_current_client_cert_details": {"subject": True, "dns": True, "uri": True},
        "route_config": {"name": inbound_cluster(layout), "validate_clusters": False, "virtual_hosts": [{
            "name": f"inbound|http|{port}", "domains": ["*"],
            "routes": [
                {"name": "dst-health", "match": {"path": "/healthz/dst"}, "direct_response": {"status": 204}},
                {"name": "default", "match": {"prefix": "/"}, "route": {"cluster": inbound_cluster(layout), "timeout": "0s"},
                 "decorator": {"operation": f"{fqdn}:{port}/*"}},
            ]}]},
        "http_filters": [*_authz_filters(layout), _router()],
    }  # fmt: skip
    listener = {
        "name": "virtualInbound",
        "address": {"socket_address": {"address": server.ip, "port_value": port}},
        # One listener on both app ports, as iptables makes virtualInbound receive every port.
        "additional_addresses": [{"address": {"socket_address": {"address": server.ip, "port_value": layout.server_tcp_port}}}],
        "traffic_direction": "INBOUND",
        "listener_filters": [{"name": "envoy.filters.listener.tls_inspector", "typed_config": {"@type": TLS_INSPECTOR}}],
        "filter_chains": [{
            "name": f"0.0.0.0_{port}",
            "filter_chain_match": {"destination_port": port, "transport_protocol": "tls", "application_protocols": INBOUND_MTLS_ALPN},
            "filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": manager}],
            "transport_socket": {"name": "envoy.transport_sockets.tls", "typed_config": {
                "@type": DOWNSTREAM_TLS, "require_client_certificate": True, "common_tls_context": _common_tls(None, ["h2", "http/1.1"])}},
        }, _tcp_chain(layout)],
    }  # fmt: skip
    def static_app(cluster: str) -> dict:
        return {"name": cluster, "type": "STATIC", "connect_timeout": "1s", "load_assignment": {"cluster_name": cluster, "endpoints": [{"lb_endpoints": [
            {"endpoint": {"address": {"socket_address": {"address": layout.app.ip, "port_value": layout.app_port}}}}]}]}}  # fmt: skip

    clusters = [
        static_app(inbound_cluster(layout)),
        static_app(inbound_cluster(layout, layout.server_tcp_port)),
        {"name": ext_authz_cluster(layout), "type": "STATIC", "connect_timeout": "0.25s",
         "typed_extension_protocol_options": {"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
             "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions", "explicit_http_config": {"http2_protocol_options": {}}}},
         "load_assignment": {"cluster_name": ext_authz_cluster(layout), "endpoints": []}},
    ]  # fmt: skip
    return {CLUSTER: clusters, LISTENER: [listener]}


# --- a client: outbound listener, routes, clusters ---------------------------------------------------------


def _service_host(layout: Layout, name: str) -> str:
    return f"{name}.{layout.server.namespace}.svc.cluster.local"


def outbound(layout: Layout, port: int, name: str, subset: str = "") -> str:
    return f"outbound|{port}|{subset}|{_service_host(layout, name)}"


def _outbound_cluster(layout: Layout, client: Party, port: int, name: str, subset: str = "") -> dict:
    cluster = outbound(layout, port, name, subset)
    server = layout.server  # every sidecar'd service here runs on httpbin's pod (its identity)
    return {
        "name": cluster, "type": "EDS", "connect_timeout": "1s", "lb_policy": "LEAST_REQUEST",
        "eds_cluster_config": {"eds_config": {"ads": {}, "initial_fetch_timeout": "0s", "resource_api_version": "V3"}, "service_name": cluster},
        "upstream_bind_config": {"source_address": {"address": client.ip, "port_value": 0}},
        "metadata": {"filter_metadata": {"istio": {"services": [{"host": _service_host(layout, name), "name": name, "namespace": server.namespace}],
                                                   **({"subset": subset} if subset else {})}}},
        "transport_socket_matches": [
            {"name": "tlsMode-istio", "match": {"tlsMode": "istio"}, "transport_socket": {"name": "envoy.transport_sockets.tls", "typed_config": {
                "@type": UPSTREAM_TLS, "sni": f"outbound_.{port}_.{subset}_.{_service_host(layout, name)}",
                "common_tls_context": _common_tls([server.principal], ["istio-peer-exchange", "istio"])}}},
            {"name": "tlsMode-disabled", "match": {}, "transport_socket": {"name": "envoy.transport_sockets.raw_buffer", "typed_config": {"@type": RAW_BUFFER}}},
        ],
    }  # fmt: skip


def _assignment(cluster: str, endpoints: list[tuple[str, int, bool]]) -> dict:
    lb = [{"endpoint": {"address": {"socket_address": {"address": ip, "port_value": port}}}, "health_status": "HEALTHY", "load_balancing_weight": 1,
           **({"metadata": {"filter_metadata": {"envoy.transport_socket_match": {"tlsMode": "istio"}}}} if sidecar else {})}
          for ip, port, sidecar in endpoints]  # fmt: skip
    return {"cluster_name": cluster, "endpoints": [{"locality": {"region": "local", "zone": "loopback"}, "lb_endpoints": lb}] if lb else []}


def _route(name: str, match: dict, **action) -> dict:
    return {"name": name, "match": match, **action}


def client_routes(layout: Layout, port: int) -> dict:
    """The outbound route table of one client for its service port: every match kind and action."""
    httpbin = outbound(layout, port, "httpbin")

    def to(cluster: str) -> dict:
        return {"cluster": cluster, "timeout": "0s", "retry_policy": {"retry_on": "connect-failure,refused-stream,unavailable,cancelled", "num_retries": 2}}

    fqdn = _service_host(layout, "httpbin")
    short = [fqdn, "httpbin", f"httpbin.{layout.server.namespace}.svc", f"httpbin.{layout.server.namespace}"]
    routes = [
        _route("teapot", {"path": "/status/teapot"}, direct_response={"status": 418, "body": {"inline_string": "I'm a teapot"}}),
        _route("moved", {"prefix": "/old/"}, redirect={"path_redirect": "/new", "response_code": "FOUND"}),
        _route("v2-by-header", {"prefix": "/", "headers": [{"name": "x-version", "string_match": {"exact": "v2"}}]}, route=to(outbound(layout, port, "httpbin", "v2"))),
        _route("api-split", {"safe_regex": {"regex": "/api/v[0-9]+/.*"}}, route={"weighted_clusters": {"clusters": [
            {"name": outbound(layout, port, "httpbin", "v1"), "weight": 70}, {"name": outbound(layout, port, "httpbin", "v2"), "weight": 30}]}, "timeout": "0s"}),
        # Envoy matches a prefix on the path without its query: this route never matches.
        _route("debug-query", {"prefix": "/get?debug"}, direct_response={"status": 200, "body": {"inline_string": "debug"}}),
        _route("data-exact", {"path": "/data", "case_sensitive": False}, route=to(outbound(layout, port, "httpbin", "v1"))),
        _route("admin", {"path_separated_prefix": "/admin"}, route=to(outbound(layout, port, "httpbin", "v2"))),
        _route("search", {"prefix": "/search", "query_parameters": [{"name": "q", "present_match": True}]}, route=to(outbound(layout, port, "httpbin", "v1"))),
        _route("inverted", {"prefix": "/inv", "headers": [{"name": "x-debug", "string_match": {"exact": "1"}, "invert_match": True}]}, route=to(outbound(layout, port, "httpbin", "v1"))),
        _route("range", {"prefix": "/range", "headers": [{"name": "x-n", "range_match": {"start": 10, "end": 20}}]}, route=to(outbound(layout, port, "httpbin", "v2"))),
        _route("gone", {"prefix": "/gone"}, route=to(outbound(layout, port, "gone"))),
        _route("empty", {"prefix": "/empty"}, route=to(outbound(layout, port, "empty"))),
        _route("plain", {"prefix": "/plain"}, route=to(outbound(layout, port, "plain"))),
        _route("tcp", {"prefix": "/tcp"}, route=to(outbound(layout, port, "tcp-echo"))),
        _route("case", {"prefix": "/Case"}, direct_response={"status": 200, "body": {"inline_string": "case-sensitive prefix"}}),
        _route("default", {"prefix": "/"}, route=to(httpbin), decorator={"operation": f"{fqdn}:{port}/*"}),
    ]  # fmt: skip
    return {
        "name": str(port), "validate_clusters": False, "ignore_port_in_host_matching": False,
        "virtual_hosts": [
            {"name": f"{fqdn}:{port}", "domains": short + [f"{d}:{port}" for d in short], "routes": routes, "include_request_attempt_count": True},
            {"name": "example-wildcard", "domains": ["*.example.com"], "routes": [_route("any", {"prefix": "/"}, route=to(outbound(layout, port, "httpbin", "v1")))]},
            {"name": "api-prefix-wildcard", "domains": ["api.*"], "routes": [_route("api", {"prefix": "/"}, direct_response={"status": 200})]},
        ],
    }  # fmt: skip


def client_resources(layout: Layout, client: Party, port: int) -> dict[str, list[dict]]:
    """CDS, EDS, LDS, RDS of one client sidecar whose services listen on `port`."""
    server_ep = [(layout.server.ip, layout.server_port, True)]
    clusters = [_outbound_cluster(layout, client, port, "httpbin", subset) for subset in ("", "v1", "v2")]
    clusters += [_outbound_cluster(layout, client, port, name) for name in ("plain", "empty", "tcp-echo")]
    endpoints = [_assignment(outbound(layout, port, "httpbin", subset), server_ep) for subset in ("", "v1", "v2")]
    endpoints += [_assignment(outbound(layout, port, "plain"), [(layout.app.ip, layout.app_port, False)]), _assignment(outbound(layout, port, "empty"), []),
                  _assignment(outbound(layout, port, "tcp-echo"), [(layout.server.ip, layout.server_tcp_port, True)])]  # fmt: skip
    manager = {
        "@type": HCM, "stat_prefix": f"outbound_0.0.0.0_{port}", "use_remote_address": False, "access_log": _access_log(),
        "rds": {"config_source": {"ads": {}, "initial_fetch_timeout": "0s", "resource_api_version": "V3"}, "route_config_name": str(port)},
        "http_filters": [{"name": "envoy.filters.http.cors", "typed_config": {"@type": CORS}},
                         {"name": "envoy.filters.http.fault", "typed_config": {"@type": FAULT}}, _router()],
    }  # fmt: skip
    listener = {
        "name": f"0.0.0.0_{port}", "address": {"socket_address": {"address": "0.0.0.0", "port_value": port}},
        "traffic_direction": "OUTBOUND",
        "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": manager}]}],
    }
    return {CLUSTER: clusters, ENDPOINTS: endpoints, LISTENER: [listener], ROUTE: [client_routes(layout, port)]}


__all__ = ["Layout", "Party", "client_resources", "server_resources", "server_policies", "TRUST_DOMAIN"]
