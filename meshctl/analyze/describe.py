"""`describe pod|svc`: the Istio configuration that affects a workload, as istioctl `x describe`
finds it, and each fact checked against the proxy's actual Envoy config (pure; istioctl's text
layout is meshctl.render.describe).

istioctl/pkg/describe/describe.go finds the DestinationRule and VirtualService through the
proxy's config (the ``istio`` filter metadata Istio writes on clusters and routes), fetches them
from the API server, and prints them with what they mean for this pod: subsets that match its
labels, routes that reach it, the effective PeerAuthentication, the ingress gateways exposing it.
meshctl.render.describe prints it line for line as istioctl (Go map iteration made deterministic).

meshctl then compares the API's intent with what Envoy holds: every subset of the
DestinationRule has its ``outbound|port|subset|host`` cluster (active, not warming); its TLS mode
is the transport socket of the service's cluster; each VirtualService for the host is on a route;
the effective mTLS mode of each port is the inbound listener's posture. Mismatches are flagged.

Inputs are plain API objects (dicts), decoded config dumps and the mesh config; nothing does I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from meshctl.analyze.filters import ClusterFilter, ListenerFilter
from meshctl.analyze.mtls import PERMISSIVE, PLAINTEXT_ONLY, STRICT, inbound_listener, server_side
from meshctl.analyze.tls import MTLS, MTLS_SDS, PLAINTEXT, TLS, cluster_tls_rows
from meshctl.decode.configdump import ConfigDump
from meshctl.decode.resources import clusters, listeners, routes
from meshctl.model.document import document as schema_document
from meshctl.model.labels import LabelSelector
from meshctl.model.views import ACTIVE, WARMING

K8S_SUFFIX = ".svc.cluster.local"
PROXY_CONTAINER = "istio-proxy"
PROXY_UID = 1337  # the sidecar proxy's user, reserved (istio.io pod requirements)
HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
RBAC_FILTER = "envoy.filters.http.rbac"  # wellknown.HTTPRoleBasedAccessControl
MESH_GATEWAY = "mesh"
_DR_PATH = re.compile(r"/apis/networking(\.istio\.io)?/v1(?:alpha3)?/namespaces/(?P<namespace>[^/]+)/destination-rule/(?P<name>[^/]+)")
_VS_PATH = re.compile(r"/apis/networking(\.istio\.io)?/v1(?:alpha3)?/namespaces/(?P<namespace>[^/]+)/virtual-service/(?P<name>[^/]+)")
_SVC_DOMAIN = re.compile(r"(?P<service>[^.]+)\.(?P<namespace>[^.]+)\.svc\.cluster\.local$")
AMBIENT_LABEL = "istio.io/dataplane-mode"
WAYPOINT_LABEL = "istio.io/use-waypoint"


# ---- Kubernetes helpers istioctl uses ---------------------------------------------------------------

def meta_of(obj: Mapping) -> Mapping:
    """An API object's metadata ({} when absent)."""
    return obj.get("metadata") or {}


def labels_of(obj: Mapping) -> dict[str, str]:
    """An API object's labels."""
    return dict(meta_of(obj).get("labels") or {})


def spec_of(obj: Mapping) -> Mapping:
    """An API object's spec ({} when absent)."""
    return obj.get("spec") or {}


def kname(obj: Mapping, namespace: str) -> str:
    """describe.go kname: the name, with ``.namespace`` when it is not the namespace described."""
    meta = meta_of(obj)
    return meta.get("name", "") if meta.get("namespace", "") == namespace else f"{meta.get('name', '')}.{meta.get('namespace', '')}"


def revision_of(pod: Mapping) -> str:
    """describe.go GetRevisionFromPodAnnotation: the istio.io/rev annotation, else the injection status's."""
    annotations = meta_of(pod).get("annotations") or {}
    if "istio.io/rev" in annotations:
        return str(annotations["istio.io/rev"])
    try:
        status = json.loads(annotations.get("sidecar.istio.io/status", ""))
    except ValueError:
        return ""
    return str(status.get("revision", "")) if isinstance(status, dict) else ""


def is_meshed(pod: Mapping) -> bool:
    """inject.FindSidecar: an istio-proxy container (native sidecars are init containers)."""
    spec = spec_of(pod)
    return any(c.get("name") == PROXY_CONTAINER for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])])


def port_protocol(port: Mapping) -> str:
    """A container or service port's protocol (TCP, the API server's default, when unset)."""
    return str(port.get("protocol") or "TCP")  # the API server's default


def find_pod_port(pod: Mapping, service_port: Mapping) -> int | None:
    """podutil FindPort: a numeric targetPort as is, a named one among the containers' ports with the
    same protocol; targetPort defaults to the port, as the API server fills it in."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for container in spec_of(pod).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target and port_protocol(port) == port_protocol(service_port):
                return int(port.get("containerPort", 0))
    return None


# pkg/config/protocol Instance names and Parse
_PROTOCOLS = {"tcp": "TCP", "udp": "UDP", "grpc": "GRPC", "grpc-web": "GRPC-Web", "http": "HTTP",
              "http_proxy": "HTTP_PROXY", "http2": "HTTP2", "https": "HTTPS", "tls": "TLS", "mongo": "Mongo",
              "redis": "Redis", "mysql": "MySQL"}
UNSUPPORTED = "UnsupportedProtocol"
# pkg/config/kube/conversion.go wellKnownPorts: TCP without a name (SMTP, DNS, MySQL, MongoDB)
_WELL_KNOWN_TCP_PORTS = (25, 53, 3306, 27017)
_APP_PROTOCOLS = {"kubernetes.io/h2c": "HTTP2", "kubernetes.io/ws": "HTTP", "kubernetes.io/wss": "HTTPS"}


def convert_protocol(port: int, name: str, protocol: str, app_protocol: str | None) -> str:
    """pkg/config/kube ConvertProtocol: appProtocol, else the port name's prefix, else TCP for well-known ports."""
    if protocol == "UDP":
        return "UDP"
    if app_protocol is not None:
        name = app_protocol
        if name in _APP_PROTOCOLS:
            return _APP_PROTOCOLS[name]
    if name[:8].lower() == "grpc-web":
        return "GRPC-Web"
    found = _PROTOCOLS.get(name.split("-", 1)[0].lower(), UNSUPPORTED)
    if found == UNSUPPORTED and port in _WELL_KNOWN_TCP_PORTS:
        return "TCP"
    return found


def service_port_protocol(port: Mapping) -> str:
    """describe.go findProtocolForPort."""
    name, app_protocol = str(port.get("name") or ""), port.get("appProtocol")
    if not name and app_protocol is None and port_protocol(port) != "UDP":
        return "auto-detect"
    found = convert_protocol(int(port.get("port", 0)), name, port_protocol(port), app_protocol)
    if found == UNSUPPORTED and app_protocol == "hbone":
        return "HBONE"
    return found


def selects(selector: Mapping | None, labels: Mapping) -> bool:
    """klabels.SelectorFromSet(selector).Matches(labels): every pair present (empty selects all)."""
    return LabelSelector.from_map(dict(selector or {})).matches(dict(labels))


def contains(labels: Mapping | None, subset: Mapping | None) -> bool:
    """pkg/maps Contains: every pair of `subset` is in `labels`."""
    labels = labels or {}
    return all(labels.get(k) == v for k, v in (subset or {}).items())


def extend_fqdn(host: str) -> str:
    """describe.go extendFQDN."""
    if host.startswith("*") or host.endswith(K8S_SUFFIX):
        return host
    return host + K8S_SUFFIX


def resolve_short_name(host: str, namespace: str) -> str:
    """pilot model ResolveShortnameToFQDN without a domain: ``reviews`` -> ``reviews.<namespace>``."""
    if not host or host == "*" or "." in host or ":" in host or _is_ipv4(host):
        return host
    return f"{host}.{namespace}" if namespace else host


def _is_ipv4(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def service_host(service: Mapping) -> str:
    """``<name>.<namespace>.svc.cluster.local``."""
    meta = meta_of(service)
    return extend_fqdn(f"{meta.get('name', '')}.{meta.get('namespace', '')}")


# ---- the API objects and mesh facts a description reads ------------------------------------------

@dataclass
class IstioConfig:
    """Istio resources as the API server listed them (dicts), looked up by kind, namespace, name."""

    destination_rules: list[dict] = field(default_factory=list)
    virtual_services: list[dict] = field(default_factory=list)
    gateways: list[dict] = field(default_factory=list)
    peer_authentications: list[dict] = field(default_factory=list)

    def _find(self, items: list[dict], namespace: str, name: str) -> dict | None:
        return next((o for o in items if meta_of(o).get("namespace") == namespace and meta_of(o).get("name") == name), None)

    def destination_rule(self, namespace: str, name: str) -> dict | None:
        """The DestinationRule, or None (the API server has no such object)."""
        return self._find(self.destination_rules, namespace, name)

    def virtual_service(self, namespace: str, name: str) -> dict | None:
        """The VirtualService, or None."""
        return self._find(self.virtual_services, namespace, name)

    def gateway(self, namespace: str, name: str) -> dict | None:
        """The (networking.istio.io) Gateway, or None."""
        return self._find(self.gateways, namespace, name)


@dataclass
class IngressGateway:
    """Running ``istio=ingressgateway`` pods, the Services of their namespaces, and their dumps."""

    pods: list[dict] = field(default_factory=list)
    services: list[dict] = field(default_factory=list)
    dumps: dict[str, ConfigDump] = field(default_factory=dict)  # "name.namespace" -> dump


@dataclass(frozen=True)
class Check:
    """One fact compared with Envoy: ok True (agrees), False (mismatch) or None (for information)."""

    ok: bool | None
    subject: str
    detail: str

    @property
    def mark(self) -> str:
        """OK, MISMATCH or INFO."""
        return {True: "OK", False: "MISMATCH", None: "INFO"}[self.ok]

    def document(self) -> dict:
        """The JSON form."""
        return {"status": self.mark, "subject": self.subject, "detail": self.detail}


# ---- what the proxy's config says (istio filter metadata) -------------------------------------------

def _istio_config(metadata) -> str | None:
    """.filter_metadata.istio.config, "" when absent; None when the resource has no metadata."""
    if not isinstance(metadata, dict):
        return None
    istio = (metadata.get("filter_metadata") or {}).get("istio")
    value = istio.get("config") if isinstance(istio, dict) else None
    return value if isinstance(value, str) else ""


def destination_rule_ref(dump: ConfigDump, service: Mapping, port: int) -> tuple[str, str] | None:
    """describe.go getIstioDestinationRuleNameForSvc: (namespace, name) from the first active outbound
    cluster of the service's port that carries metadata."""
    flt = ClusterFilter(fqdn=service_host(service), port=port, direction="outbound")
    for view in clusters(dump):
        if view.state != ACTIVE or not flt.matches(view):
            continue
        path = _istio_config(view.raw.get("metadata"))
        if path is None:
            continue
        match = _DR_PATH.search(path)
        return (match["namespace"], match["name"]) if match else None
    return None


def _route_cluster(route: Mapping) -> str:
    action = route.get("route") or {}
    if "cluster" in action:
        return str(action["cluster"])
    weighted = (action.get("weighted_clusters") or {}).get("clusters") or []
    return str(weighted[0].get("name", "")) if weighted else ""


def route_targets_service(route: Mapping, vhost: Mapping, service: Mapping, port: int) -> bool:
    """describe.go routeDestinationMatchesSvc: a ``<svc>.<ns>.svc.cluster.local`` domain, or a route
    to ``outbound|<port>|*|<svc>.<ns>.svc.cluster.local`` (ingress gateways' ``*:80`` hosts)."""
    meta = meta_of(service)
    name, namespace = meta.get("name"), meta.get("namespace")
    for domain in vhost.get("domains") or []:
        match = _SVC_DOMAIN.search(str(domain))
        if match and match["service"] == name and match["namespace"] == namespace:
            return True
    cluster = re.search(rf"outbound\|{port}\|[^|]*\|(?P<service>[^.]+)\.(?P<namespace>[^.]+)\.svc\.cluster\.local$",
                        _route_cluster(route))
    return bool(cluster and cluster["service"] == name and cluster["namespace"] == namespace)


def _http_route_configs(dump: ConfigDump, port: int):
    for view in routes(dump):
        if view.state != ACTIVE:
            continue
        if view.name != str(port) and not view.name.startswith(("http.", "https.")):
            continue
        yield view


def virtual_service_ref(dump: ConfigDump, service: Mapping, port: int) -> tuple[str, str] | None:
    """describe.go getIstioVirtualServiceNameForSvc: from the first route reaching the service."""
    for view in _http_route_configs(dump, port):
        for vhost in view.raw.get("virtual_hosts") or []:
            for route in vhost.get("routes") or []:
                if route_targets_service(route, vhost, service, port):
                    match = _VS_PATH.search(_istio_config(route.get("metadata")) or "")
                    return (match["namespace"], match["name"]) if match else None
    return None


def rbac_policies(dump: ConfigDump, port: int) -> list[str]:
    """describe.go getIstioRBACPolicies: the policy names of the first RBAC filter of the inbound HCM
    (virtualInbound's first HTTP connection manager, or the port's own inbound listener), sorted."""
    hcm = _inbound_http_connection_manager(dump, port)
    for http_filter in (hcm or {}).get("http_filters") or []:
        if http_filter.get("name") == RBAC_FILTER:
            rules = ((http_filter.get("typed_config") or {}).get("rules") or {}).get("policies") or {}
            return sorted(rules)
    return []


def _inbound_http_connection_manager(dump: ConfigDump, port: int) -> dict | None:
    flt = ListenerFilter(port=port)
    for view in listeners(dump):
        if view.state != ACTIVE:
            continue  # istioctl reads the active state of dynamic listeners only
        if view.name == "virtualInbound" and (hcm := _first_hcm(view.raw)):
            return hcm
        if flt.matches(view):
            if ((view.raw.get("address") or {}).get("socket_address") or {}).get("address") == "0.0.0.0":
                continue  # an outbound listener
            if hcm := _first_hcm(view.raw):
                return hcm
    return None


def _first_hcm(listener: Mapping) -> dict | None:
    for chain in listener.get("filter_chains") or []:
        for network_filter in chain.get("filters") or []:
            typed = network_filter.get("typed_config") or {}
            if typed.get("@type") == HCM_TYPE:
                return typed
    return None


# ---- DestinationRule and VirtualService text (describe.go) ------------------------------------------

def subsets_for(destination_rule: Mapping | None, pods_labels: Sequence[Mapping]) -> tuple[list[str], list[str]]:
    """getDestRuleSubsets: subset names that select one of the pods, and those that select none."""
    matching, other = [], []
    for subset in spec_of(destination_rule or {}).get("subsets") or []:
        chosen = any(selects(subset.get("labels"), labels) for labels in pods_labels)
        (matching if chosen else other).append(str(subset.get("name", "")))
    return matching, other


def tls_mode(tls: Mapping | None) -> str:
    """A ClientTLSSettings mode (DISABLE, the proto enum's default, when unset)."""
    return str((tls or {}).get("mode") or "DISABLE")  # proto3 enum default


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def proto_text(value) -> str:
    """A message as Go's prototext prints it (``field:value``, nested ``{}``), for the matches istioctl
    prints with String(). Go inserts random spaces there on purpose; this is the spaceless form."""
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            for element in item if isinstance(item, list) else [item]:
                parts.append(f"{_camel_to_snake(key)}:{_nested(element)}")
        return " ".join(parts)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _nested(value) -> str:
    return "{" + proto_text(value) + "}" if isinstance(value, dict) else proto_text(value)


def string_match_text(match: Mapping | None) -> str:
    """describe.go renderStringMatch: exact as is, prefix with ``*``, others as prototext."""
    if not match:
        return ""
    if "exact" in match:
        return str(match["exact"])
    if "prefix" in match:
        return f"{match['prefix']}*"
    return " ".join(f"{_camel_to_snake(k)}:{_nested(v)}" for k, v in match.items())


def match_text(match: Mapping) -> str:
    """describe.go renderMatch: ``Match: <uri>[ uncased][ when headers are k=v; ...]``."""
    text = "Match: "
    if match.get("uri") is not None:
        text += string_match_text(match["uri"])
        if match.get("ignoreUriCase"):
            text += " uncased"
    headers = match.get("headers") or {}
    if headers:
        text += " when headers are " + "; ".join(f"{k}={string_match_text(v)}" for k, v in sorted(headers.items()))
    return text.strip()


def matches_text(matches: Sequence[Mapping] | None) -> str:
    """describe.go renderMatches: the matches joined, or ``everything``."""
    return ", ".join(match_text(m) for m in matches) if matches else "everything"


def http_route_facts(vs: Mapping, route: Mapping, service: Mapping, matching: list[str], other: list[str],
                      rule: Mapping | None, namespace: str) -> tuple[bool, list[str]]:
    """describe.go httpRouteMatchSvc."""
    host = service_host(service)
    vs_namespace = meta_of(vs).get("namespace", "")
    facts: list[str] = []
    mismatches: list[str] = []
    matched = False
    for destination in route.get("route") or []:
        dest = destination.get("destination") or {}
        dest_host, subset, weight = str(dest.get("host", "")), str(dest.get("subset") or ""), int(destination.get("weight") or 0)
        if extend_fqdn(resolve_short_name(dest_host, vs_namespace)) == host:
            if subset:
                if subset in other:
                    mismatches.append(f"Route to non-matching subset {subset} for ({matches_text(route.get('match'))})")
                    continue
                if subset not in matching:
                    if rule is None:
                        mismatches.append(f"Warning: Route to subset {subset} but NO DESTINATION RULE defining subsets!")
                    else:
                        mismatches.append(f"Warning: Route to UNKNOWN subset {subset}; check DestinationRule {kname(rule, namespace)}")
                    continue
            matched = True
            if weight > 0:
                fact = f'Route to host "{dest_host}"'
                if subset:
                    fact += f' subset "{subset}"'
                facts.append(f"{fact} with weight {weight}%")
        elif not subset:
            facts.append(f'Route to host "{dest_host}" with weight {weight}%')
        else:
            facts.append(f"Route to {dest_host} with invalid config")
    if matched:
        request_facts = []
        if route.get("fault") is not None:
            request_facts.append(f"Fault injection {proto_text(route['fault'])}")
        request_facts.extend(match_text(m) for m in route.get("match") or [])
        if request_facts:
            facts.append(", ".join(request_facts))
    if not matched and mismatches:
        facts.extend(mismatches)
    return matched, facts


def tcp_route_facts(vs: Mapping, route: Mapping, service: Mapping) -> tuple[bool, list[str]]:
    """describe.go tcpRouteMatchSvc: whether a TCP route reaches the service, and its matches."""
    host = service_host(service)
    namespace = meta_of(vs).get("namespace", "")
    matched = any(extend_fqdn(resolve_short_name(str((d.get("destination") or {}).get("host", "")), namespace)) == host
                  for d in route.get("route") or [])
    return matched, [proto_text(m) for m in route.get("match") or []] if matched else []


# ---- the pod, its services, PeerAuthentication, ingress (describe.go) -------------------------------

def matching_services(pod: Mapping, services: Sequence[Mapping]) -> list[dict]:
    """The Services whose (non-empty) selector selects the pod, in the API's order."""
    labels = labels_of(pod)
    return [dict(s) for s in services if spec_of(s).get("selector") and selects(spec_of(s)["selector"], labels)]


MTLS_MODES = ("UNSET", "DISABLE", "PERMISSIVE", "STRICT")


@dataclass(frozen=True)
class EffectivePeerAuthentication:
    """authn.MergedPeerAuthentication: the workload's mode and per-port overrides."""

    mode: str
    per_port: tuple[tuple[int, str], ...] = ()
    applied: tuple[str, ...] = ()  # "name.namespace" of the policies that select the workload

    def mode_for(self, port: int) -> str:
        """The effective mode on `port` (a port-level setting, else the workload's)."""
        return dict(self.per_port).get(port, self.mode)


def _mtls_mode(mtls: Mapping | None) -> str | None:
    """The mode a PeerAuthentication's mtls sets, None when UNSET (inherit)."""
    mode = str((mtls or {}).get("mode") or "UNSET")
    if mode == "UNSET":
        return None
    return mode if mode in MTLS_MODES else "UNKNOWN"  # model.ConvertToMutualTLSMode


def effective_peer_authentication(policies: Sequence[Mapping], root_namespace: str, namespace: str,
                                  labels: Mapping) -> EffectivePeerAuthentication:
    """describe.go describePeerAuthentication + authn.ComposePeerAuthentication: the policies of the
    root namespace and the workload's namespace that select it; the oldest of each scope (mesh,
    namespace, workload) wins; an UNSET mode inherits; no policy means PERMISSIVE."""
    candidates = [p for p in policies if meta_of(p).get("namespace") == root_namespace]
    candidates += [p for p in policies if meta_of(p).get("namespace") == namespace]
    matched = [p for p in candidates if selects((spec_of(p).get("selector") or {}).get("matchLabels"), labels)]
    scopes: dict[str, Mapping] = {}
    for policy in matched:
        selector = (spec_of(policy).get("selector") or {}).get("matchLabels")
        in_root = meta_of(policy).get("namespace") == root_namespace
        scope = ("mesh" if in_root else "namespace") if not selector else (None if in_root else "workload")
        if scope is None:
            continue  # a workload selector in the root namespace is not a policy of this kind
        stamp = str(meta_of(policy).get("creationTimestamp") or "")
        if scope not in scopes or stamp < str(meta_of(scopes[scope]).get("creationTimestamp") or ""):
            scopes[scope] = policy
    mode = "PERMISSIVE"
    for scope in ("mesh", "namespace", "workload"):
        if scope in scopes and (found := _mtls_mode(spec_of(scopes[scope]).get("mtls"))):
            mode = found
    per_port = []
    if "workload" in scopes:
        for port, mtls in (spec_of(scopes["workload"]).get("portLevelMtls") or {}).items():
            per_port.append((int(port), _mtls_mode(mtls) or mode))
    applied = tuple(f"{meta_of(p).get('name')}.{meta_of(p).get('namespace')}" for p in matched)
    return EffectivePeerAuthentication(mode, tuple(sorted(per_port)), applied)


def ingress_ip(service: Mapping, pods: Sequence[Mapping]) -> str:
    """describe.go getIngressIP: the load balancer's IP, else the first pod's host IP, else unknown."""
    if not pods:
        return "unknown"
    balancer = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    if balancer:
        return str(balancer[0].get("ip", ""))
    return str((pods[0].get("status") or {}).get("hostIP") or "unknown")


# ---- what meshctl adds: the facts checked against Envoy -----------------------------------------------

def _cluster_state(dump: ConfigDump, name: str) -> str | None:
    states = {view.state for view in clusters(dump) if view.name == name}
    return ACTIVE if ACTIVE in states else (WARMING if WARMING in states else next(iter(states), None))


def _expected_tls(rule: Mapping | None, port: int) -> str | None:
    """The DestinationRule's TLS mode for the port (port-level settings first), None when it sets none."""
    policy = spec_of(rule or {}).get("trafficPolicy") or {}
    for setting in policy.get("portLevelSettings") or []:
        if int((setting.get("port") or {}).get("number", -1)) == port and setting.get("tls") is not None:
            return tls_mode(setting["tls"])
    return tls_mode(policy["tls"]) if policy.get("tls") is not None else None


# DestinationRule TLS mode -> the transport socket modes (meshctl.analyze.tls) Envoy should use
_TLS_EXPECTATIONS = {"ISTIO_MUTUAL": (MTLS_SDS,), "MUTUAL": (MTLS, MTLS_SDS), "SIMPLE": (TLS,), "DISABLE": (PLAINTEXT,)}


def _tls_check(dump: ConfigDump, host: str, port: int, rule: Mapping | None, rule_name: str) -> Check | None:
    name = f"outbound|{port}||{host}"
    view = next((v for v in clusters(dump) if v.name == name), None)
    if view is None:
        return None
    rows = cluster_tls_rows(view.raw, {}, view.state)
    modes = [row.mode for row in rows]
    used = ", ".join(f"{row.match_text}={row.mode}" if row.match is not None else row.mode for row in rows)
    expected = _expected_tls(rule, port)
    if expected is None:
        istio_match = any(row.match == {"tlsMode": "istio"} and row.mode == MTLS_SDS for row in rows)
        detail = f"no TLS mode set: auto mTLS; Envoy cluster {name} uses {used}"
        return Check(True if istio_match else None, f"mTLS to {host}:{port}", detail + ("" if istio_match else
                     " (no istio mTLS match for sidecar endpoints)"))
    wanted = _TLS_EXPECTATIONS.get(expected, ())
    agree = bool(modes) and all(mode in wanted for mode in modes)
    return Check(agree, f"DestinationRule {rule_name} TLS mode {expected}",
                 f"Envoy cluster {name} uses {used}" + ("" if agree else f" (expected {' or '.join(wanted)})"))


def _subset_checks(dump: ConfigDump, host: str, port: int, rule: Mapping, rule_name: str) -> list[Check]:
    checks = []
    for subset in spec_of(rule).get("subsets") or []:
        cluster = f"outbound|{port}|{subset.get('name', '')}|{host}"
        state = _cluster_state(dump, cluster)
        subject = f"DestinationRule {rule_name} subset {subset.get('name', '')}"
        if state == ACTIVE:
            checks.append(Check(True, subject, f"Envoy has {cluster} (active)"))
        elif state == WARMING:
            checks.append(Check(False, subject, f"Envoy's {cluster} is warming (no endpoints or secrets yet)"))
        elif state is None:
            checks.append(Check(False, subject, f"Envoy has no cluster {cluster} (stale config, or exportTo hides the rule)"))
        else:
            checks.append(Check(True, subject, f"Envoy has {cluster} ({state})"))
    return checks


def _applicable(items: Sequence[Mapping], host: str, namespace: str, key: str) -> list[Mapping]:
    """Rules whose host (DestinationRule.host / VirtualService.hosts) names the service."""
    found = []
    for item in items:
        hosts = spec_of(item).get(key)
        hosts = hosts if isinstance(hosts, list) else [hosts]
        item_namespace = meta_of(item).get("namespace", "")
        if any(isinstance(h, str) and h and extend_fqdn(resolve_short_name(h, item_namespace)) == host for h in hosts):
            found.append(item)
    return found


def _route_refs(dump: ConfigDump) -> dict[tuple[str, str], list[str]]:
    """VirtualService (namespace, name) -> the route configs whose routes carry it."""
    refs: dict[tuple[str, str], list[str]] = {}
    for view in routes(dump):
        for vhost in view.raw.get("virtual_hosts") or []:
            for route in vhost.get("routes") or []:
                match = _VS_PATH.search(_istio_config(route.get("metadata")) or "")
                if match:
                    places = refs.setdefault((match["namespace"], match["name"]), [])
                    if view.name not in places:
                        places.append(view.name)
    return refs


def envoy_checks(pod: Mapping, services: Sequence[Mapping], dump: ConfigDump, config: IstioConfig,
                 effective: EffectivePeerAuthentication | None) -> list[Check]:
    """meshctl's comparison of the API's intent with the proxy's config (see the module docstring)."""
    checks: list[Check] = []
    refs = _route_refs(dump)
    for service in services:
        host = service_host(service)
        namespace = meta_of(service).get("namespace", "")
        for port in spec_of(service).get("ports") or []:
            number = int(port.get("port", 0))
            ref = destination_rule_ref(dump, service, number)
            rule = config.destination_rule(*ref) if ref else None
            applicable = _applicable(config.destination_rules, host, namespace, "host")
            if rule is None and applicable:
                rule = applicable[0]
                name = f"{meta_of(rule).get('name')}.{meta_of(rule).get('namespace')}"
                checks.append(Check(False, f"DestinationRule {name}", f"applies to {host} but Envoy's outbound|{number}||{host} "
                                    "does not carry it (stale config, exportTo, or a Sidecar resource hides it)"))
            if rule is not None:
                name = f"{meta_of(rule).get('name')}.{meta_of(rule).get('namespace')}"
                checks.extend(_subset_checks(dump, host, number, rule, name))
            if tls := _tls_check(dump, host, number, rule, f"{meta_of(rule).get('name')}.{meta_of(rule).get('namespace')}" if rule else ""):
                checks.append(tls)
        for vs in _applicable(config.virtual_services, host, namespace, "hosts"):
            gateways = spec_of(vs).get("gateways") or [MESH_GATEWAY]
            if MESH_GATEWAY not in gateways:
                continue  # gateway-only routes are not in a sidecar's config
            key = (meta_of(vs).get("namespace", ""), meta_of(vs).get("name", ""))
            name = f"{key[1]}.{key[0]}"
            if key in refs:
                checks.append(Check(True, f"VirtualService {name}", f"Envoy routes carry it ({', '.join(refs[key])})"))
            else:
                checks.append(Check(False, f"VirtualService {name}", f"routes {host} but no Envoy route carries it "
                                    "(stale config, exportTo, or another VirtualService for the host won)"))
    for key, places in sorted(refs.items()):
        if config.virtual_service(*key) is None:
            checks.append(Check(False, f"VirtualService {key[1]}.{key[0]}",
                                f"Envoy routes ({', '.join(places)}) carry it but the API server has no such VirtualService"))
    if effective is not None:
        checks.extend(_mtls_checks(pod, services, dump, effective))
    return checks


_POSTURE = {"STRICT": STRICT, "PERMISSIVE": PERMISSIVE, "DISABLE": PLAINTEXT_ONLY}


def _mtls_checks(pod: Mapping, services: Sequence[Mapping], dump: ConfigDump,
                 effective: EffectivePeerAuthentication) -> list[Check]:
    checks = []
    ports = sorted({p for s in services for sp in spec_of(s).get("ports") or [] if port_protocol(sp) == "TCP"
                    for p in [find_pod_port(pod, sp)] if p})
    for port in ports:
        mode = effective.mode_for(port)
        listener = inbound_listener(dump, port)
        subject = f"PeerAuthentication {mode} on port {port}"
        if listener is None:
            checks.append(Check(False, subject, "Envoy has no inbound listener for the port"))
            continue
        posture = server_side(listener, port=port, ip=None, transport="tls", alpn=(), sni="").mode
        wanted = _POSTURE.get(mode)
        checks.append(Check(posture == wanted if wanted else None, subject,
                            f"Envoy's {listener.name} accepts {_posture_text(posture)}"))
    return checks


def _posture_text(posture: str) -> str:
    return {STRICT: "mTLS only (STRICT)", PERMISSIVE: "mTLS and plaintext (PERMISSIVE)",
            PLAINTEXT_ONLY: "plaintext only (DISABLE)"}.get(posture, posture)


def dataplane_checks(pod: Mapping, namespace_labels: Mapping) -> list[Check]:
    """Sidecar or ambient, and the revision: what serves this pod's traffic."""
    labels = labels_of(pod)
    if is_meshed(pod):
        spec = spec_of(pod)
        proxy = next(c for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
                     if c.get("name") == PROXY_CONTAINER)
        return [Check(None, "Data plane", f"sidecar {PROXY_CONTAINER} ({proxy.get('image', '')}), revision "
                                          f"{revision_of(pod) or 'default'}")]
    mode = labels.get(AMBIENT_LABEL) or (namespace_labels or {}).get(AMBIENT_LABEL)
    if mode == "ambient":
        where = "pod" if labels.get(AMBIENT_LABEL) else "namespace"
        waypoint = labels.get(WAYPOINT_LABEL) or (namespace_labels or {}).get(WAYPOINT_LABEL)
        detail = f"ambient: captured by its node's ztunnel ({AMBIENT_LABEL}=ambient on the {where})"
        if waypoint:
            detail += f", waypoint {waypoint}"
        return [Check(None, "Data plane", detail)]
    return [Check(None, "Data plane", "none: no sidecar and not in ambient mode")]


# ---- the reports: what the commands print after istioctl's text, and the JSON form --------------------

def ingress_services(ingress: IngressGateway) -> list[tuple[dict, list[dict]]]:
    """describe.go printIngressInfo's foundIngresses: each Service of an ingress gateway namespace that
    selects some of the gateway pods, with those pods (namespaces in name order)."""
    found = []
    for ns in sorted({meta_of(p).get("namespace", "") for p in ingress.pods}):
        pods_here = [p for p in ingress.pods if meta_of(p).get("namespace") == ns]
        for service in (s for s in ingress.services if meta_of(s).get("namespace") == ns):
            selected = [p for p in pods_here if labels_of(p) and contains(labels_of(p), spec_of(service).get("selector"))]
            if selected:
                found.append((dict(service), selected))
    return found


def missing_ingress_dumps(ingress: IngressGateway) -> list[str]:
    """Ingress gateway pods (``name.namespace``) whose config dump could not be read."""
    keys = [f"{meta_of(p).get('name')}.{meta_of(p).get('namespace')}" for p in ingress.pods]
    return [key for key in keys if key not in ingress.dumps]


def sidecar_readiness(pod: Mapping) -> str:
    """Why describe svc leaves a selected pod out ("" when its istio-proxy is ready):
    "not running", "no proxy" or "proxy not ready" (describe.go svcDescribeCmd, containerReady)."""
    status = pod.get("status") or {}
    if status.get("phase") != "Running":
        return "not running"
    statuses = [*(status.get("containerStatuses") or []), *(status.get("initContainerStatuses") or [])]
    proxy = next((s for s in statuses if s.get("name") == PROXY_CONTAINER), None)
    if proxy is None:
        return "no proxy"
    return "" if proxy.get("ready") else "proxy not ready"


@dataclass
class Report:
    """meshctl's checks, warnings about what could not be read, and the JSON document."""

    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    document: dict = field(default_factory=dict)

    @property
    def mismatches(self) -> int:
        """How many checks found a mismatch."""
        return sum(c.ok is False for c in self.checks)


def _report(checks: list[Check], ingress: IngressGateway, document: dict, warnings: Sequence[str] = ()) -> Report:
    warnings = [*warnings, *(f"ingress gateway {name}: config dump not available, its Gateway information is left out"
                             for name in missing_ingress_dumps(ingress))]
    document["checks"] = [c.document() for c in checks]
    document["mismatches"] = sum(c.ok is False for c in checks)
    return Report(checks, warnings, document)


def pod_report(pod: Mapping, services: Sequence[Mapping], dump: ConfigDump | None, config: IstioConfig, *,
               root_namespace: str, ingress: IngressGateway, namespace_labels: Mapping | None = None) -> Report:
    """`describe pod`'s checks and document; `services` are all the Services of the pod's namespace,
    `dump` None when the pod has no reachable sidecar."""
    selected = matching_services(pod, services)
    pod_namespace = meta_of(pod).get("namespace", "")
    effective = effective_peer_authentication(config.peer_authentications, root_namespace, pod_namespace, labels_of(pod))
    checks = dataplane_checks(pod, namespace_labels or {})
    if dump is not None:
        checks += envoy_checks(pod, selected, dump, config, effective)
    document = schema_document("describe-pod", {
        "pod": f"{meta_of(pod).get('name')}.{pod_namespace}", "revision": revision_of(pod), "meshed": is_meshed(pod),
        "services": [f"{meta_of(s).get('name')}.{meta_of(s).get('namespace')}" for s in selected],
        "peerAuthentication": {"mode": effective.mode, "portLevel": {str(p): m for p, m in effective.per_port},
                               "applied": list(effective.applied)},
    })
    return _report(checks, ingress, document)


def service_report(service: Mapping, pods: Sequence[Mapping], dumps: Mapping[str, ConfigDump], config: IstioConfig, *,
                   root_namespace: str, ingress: IngressGateway) -> Report:
    """`describe svc`'s checks (against the first ready sidecar pod's config, as istioctl describes it)."""
    meshed = [p for p in pods if not sidecar_readiness(p)]
    document = schema_document("describe-service", {"service": f"{meta_of(service).get('name')}.{meta_of(service).get('namespace')}",
                                                    "pods": [f"{meta_of(p).get('name')}.{meta_of(p).get('namespace')}" for p in meshed]})
    if not meshed:
        return Report(document={**document, "checks": [], "mismatches": 0})
    pod = meshed[0]
    key = f"{meta_of(pod).get('name')}.{meta_of(pod).get('namespace')}"
    dump = dumps.get(key)
    if dump is None:
        return _report([], ingress, document, [f"no config dump from {key}"])
    effective = effective_peer_authentication(config.peer_authentications, root_namespace,
                                              meta_of(pod).get("namespace", ""), labels_of(pod))
    return _report(envoy_checks(pod, [service], dump, config, effective), ingress, document)


def referenced_namespaces(dumps: Sequence[ConfigDump]) -> set[str]:
    """Namespaces of the Istio configs the dumps' metadata names (what a snapshot must capture)."""
    found = set()
    for dump in dumps:
        for view in [*clusters(dump), *routes(dump)]:
            texts = [_istio_config(view.raw.get("metadata")) or ""]
            for vhost in view.raw.get("virtual_hosts") or []:
                texts += [_istio_config(r.get("metadata")) or "" for r in vhost.get("routes") or []]
            for text in texts:
                for pattern in (_DR_PATH, _VS_PATH):
                    if match := pattern.search(text):
                        found.add(match["namespace"])
    return found
