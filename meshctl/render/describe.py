"""istioctl `x describe`'s text, line for line (istioctl/pkg/describe/describe.go: printPod,
printService, describePodServices, printDestinationRule, printVirtualService, printPeerAuthentication,
printIngressInfo), and meshctl's checks after it. What is printed comes from
meshctl.analyze.describe; this module only lays it out (istioctl's 0/3/6-space levels)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from meshctl.analyze.describe import (
    MESH_GATEWAY,
    PROXY_CONTAINER,
    PROXY_UID,
    Check,
    EffectivePeerAuthentication,
    IngressGateway,
    IstioConfig,
    contains,
    convert_protocol,
    destination_rule_ref,
    effective_peer_authentication,
    find_pod_port,
    http_route_facts,
    ingress_ip,
    ingress_services,
    is_meshed,
    kname,
    labels_of,
    matching_services,
    meta_of,
    port_protocol,
    rbac_policies,
    revision_of,
    service_port_protocol,
    sidecar_readiness,
    spec_of,
    subsets_for,
    tcp_route_facts,
    tls_mode,
    virtual_service_ref,
)
from meshctl.decode.configdump import ConfigDump

SEPARATOR = "--------------------"
LEVEL0, LEVEL1, LEVEL2 = 0, 3, 6
# pkg/url DeploymentRequirements
DEPLOYMENT_REQUIREMENTS = "https://istio.io/latest/docs/ops/deployment/application-requirements/"
# pkg/kube/labels: the canonical service name/revision labels, in lookup order
NAME_LABELS = ("service.istio.io/canonical-name", "app.kubernetes.io/name", "app")
REVISION_LABELS = ("service.istio.io/canonical-revision", "app.kubernetes.io/version", "version")


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def line(self, text: str = "") -> None:
        self.parts.append(text + "\n")

    def raw(self, text: str) -> None:
        self.parts.append(text)

    def text(self) -> str:
        return "".join(self.parts)


def _indent(n: int) -> str:
    return " " * n


def _print_destination_rule(out: _Writer, level: int, rule: Mapping, pods_labels, namespace: str) -> None:
    spec = spec_of(rule)
    out.line(f'{_indent(level)}DestinationRule: {kname(rule, namespace)} for {json.dumps(spec.get("host", ""))}')
    matching, other = subsets_for(rule, pods_labels)
    if matching or other:
        if not matching:
            out.line(f"{_indent(level + LEVEL1)}WARNING POD DOES NOT MATCH ANY SUBSETS.  (Non matching subsets {','.join(other)})")
        out.line(f"{_indent(level + LEVEL1)}Matching subsets: {','.join(matching)}")
        if other:
            out.line(f"{_indent(level + LEVEL2)}(Non-matching subsets {','.join(other)})")
    policy = spec.get("trafficPolicy")
    if policy is None:
        out.line(f"{_indent(level + LEVEL1)}No Traffic Policy")
        return
    if policy.get("tls") is not None:
        out.line(f"{_indent(level + LEVEL1)}Traffic Policy TLS Mode: {tls_mode(policy['tls'])}")
    if short := _short_policies(policy):
        out.raw(f"{_indent(level + LEVEL1)}{short}")
    if policy.get("portLevelSettings") is not None:
        out.line(f"{_indent(level + LEVEL1)}Port Level Settings:")
        for setting in policy["portLevelSettings"]:
            out.line(f"{_indent(4)}{(setting.get('port') or {}).get('number', 0)}:")  # istioctl: always 4 spaces
            if setting.get("tls") is not None:
                out.line(f"{_indent(level + LEVEL2)}TLS Mode: {tls_mode(setting['tls'])}")
            if short := _short_policies(setting):
                out.raw(f"{_indent(level + LEVEL2)}{short}")


def _print_virtual_service(out: _Writer, level: int, vs: Mapping, service: Mapping, matching: list[str],
                           other: list[str], rule: Mapping | None, namespace: str) -> None:
    """describe.go printVirtualService."""
    out.line(f"{_indent(level)}VirtualService: {kname(vs, namespace)}")
    spec = spec_of(vs)
    http, tcp, tls = spec.get("http") or [], spec.get("tcp") or [], spec.get("tls") or []
    matches = facts = 0
    mismatches: list[str] = []
    for routes_of_kind, facts_of in ((http, lambda r: http_route_facts(vs, r, service, matching, other, rule, namespace)),
                                     (tcp, lambda r: tcp_route_facts(vs, r, service))):
        for route in routes_of_kind:
            matched, new_facts = facts_of(route)
            if matched:
                matches += 1
                for fact in new_facts:
                    out.line(f"{_indent(level + LEVEL1)}{fact}")
                    facts += 1
            else:
                mismatches.extend(new_facts)
    if matches == 0:
        if http:
            out.line(f"{_indent(level + LEVEL1)}WARNING: No destinations match pod subsets (checked {len(http)} HTTP routes)")
        if tcp:
            out.line(f"{_indent(level + LEVEL1)}WARNING: No destinations match pod subsets (checked {len(tcp)} TCP routes)")
        for note in mismatches:
            out.line(f"{_indent(level + LEVEL2)}{note}")
        return
    possible = len(http) + len(tls) + len(tcp)
    if matches < possible:
        out.line(f"{_indent(level + LEVEL1)}{possible - matches} additional destination(s) that will not reach this pod")
        if facts == 0:
            for note in mismatches:
                out.line(f"{_indent(level + LEVEL2)}{note}")
        return
    if facts == 0:
        if http:
            out.line(f"{_indent(level + LEVEL1)}{len(http)} HTTP route(s)")
        if tcp:
            out.line(f"{_indent(level + LEVEL1)}{len(tcp)} TCP route(s)")


def _print_pod(out: _Writer, pod: Mapping, namespace: str, ignore_unmeshed: bool) -> None:
    """describe.go printPod."""
    spec, status = spec_of(pod), pod.get("status") or {}
    ports = []
    for container in spec.get("containers") or []:
        for port in container.get("ports") or []:
            protocol = "" if port_protocol(port) == "TCP" else f"/{port_protocol(port)}"
            ports.append(f"{port.get('containerPort', 0)}{protocol} ({container.get('name', '')})")
        if container.get("name") not in (PROXY_CONTAINER, "istio-operator"):
            if (container.get("securityContext") or {}).get("runAsUser") == PROXY_UID:
                out.line("WARNING: User ID (UID) 1337 is reserved for the sidecar proxy.")
    out.line(f"Pod: {kname(pod, namespace)}")
    out.line(f"   Pod Revision: {revision_of(pod)}")
    out.line(f"   Pod Ports: {', '.join(ports)}" if ports else "   Pod does not expose ports")
    if status.get("phase") != "Running":
        out.line(f"   Pod is not Running ({status.get('phase', '')})")
        return
    for key, what in (("containerStatuses", "Container"), ("initContainerStatuses", "Init Container")):
        for container_status in status.get(key) or []:
            if not container_status.get("ready"):
                out.line(f"WARNING: Pod {kname(pod, namespace)} {what} {container_status.get('name', '')} NOT READY")
    if ignore_unmeshed:
        return
    if not is_meshed(pod):
        out.line(f"WARNING: {kname(pod, namespace)} is not part of mesh; no Istio sidecar")
        return
    if (spec.get("securityContext") or {}).get("runAsUser") == PROXY_UID:
        out.line("   WARNING: User ID (UID) 1337 is reserved for the sidecar proxy.")
    labels = labels_of(pod)
    if not any(label in labels for label in NAME_LABELS):
        out.line(f"Suggestion: add required service name label for Istio telemetry. See {DEPLOYMENT_REQUIREMENTS}.")
    if not any(label in labels for label in REVISION_LABELS):
        out.line(f"Suggestion: add required service revision label for Istio telemetry. See {DEPLOYMENT_REQUIREMENTS}.")


def _print_service(out: _Writer, service: Mapping, pod: Mapping, namespace: str) -> None:
    out.line(f"Service: {kname(service, namespace)}")
    for port in spec_of(service).get("ports") or []:
        if port_protocol(port) != "TCP":
            continue  # istioctl ignores UDP ports
        target = find_pod_port(pod, port)
        if target is None:
            out.line(f"   no suitable port for manifest: {meta_of(pod).get('uid', '')}")
        else:
            out.line(f"   Port: {port.get('name', '')} {port.get('port', 0)}/{service_port_protocol(port)} targets pod port {target}")


def _describe_pod_services(out: _Writer, pod: Mapping, services: Sequence[Mapping], pods_labels, dump: ConfigDump,
                           config: IstioConfig, namespace: str) -> None:
    """describe.go describePodServices."""
    for row, service in enumerate(services):
        if row:
            out.line(SEPARATOR)
        _print_service(out, service, pod, namespace)
        ports = spec_of(service).get("ports") or []
        multi = len(ports) > 1
        level = LEVEL1 if multi else LEVEL0
        for port in ports:
            number = int(port.get("port", 0))
            if multi:
                out.line(f"{number}:")
            matching: list[str] = []
            other: list[str] = []
            rule = None
            if ref := destination_rule_ref(dump, service, number):
                rule = config.destination_rule(*ref)
                if rule is not None:
                    _print_destination_rule(out, level, rule, pods_labels, namespace)
                    matching, other = subsets_for(rule, pods_labels)
                else:
                    out.line(f"WARNING: Proxy is stale; it references to non-existent destination rule {ref[1]}.{ref[0]}")
            if ref := virtual_service_ref(dump, service, number):
                vs = config.virtual_service(*ref)
                if vs is not None:
                    _print_virtual_service(out, level, vs, service, matching, other, rule, namespace)
                else:
                    out.line(f"WARNING: Proxy is stale; it references to non-existent virtual service {ref[1]}.{ref[0]}")
            policies = rbac_policies(dump, number)
            if policies:
                prefix = f"{number} " if multi else ""
                out.line(f"{prefix}RBAC policies: {', '.join(policies)}")


def _print_peer_authentication(out: _Writer, effective: EffectivePeerAuthentication) -> None:
    out.line("Effective PeerAuthentication:")
    out.line(f"   Workload mTLS mode: {effective.mode}")
    if effective.per_port:
        out.line("   Port Level mTLS mode:")
        for port, mode in effective.per_port:
            out.line(f"      {port}: {mode}")
    if effective.applied:
        out.line("Applied PeerAuthentication:")
        out.line(f"   {', '.join(effective.applied)}")


def _print_ingress_service(out: _Writer, service: Mapping, pods: Sequence[Mapping]) -> None:
    """describe.go printIngressService: the http/http2 ports."""
    for port in spec_of(service).get("ports") or []:
        if port_protocol(port) != "TCP" or port.get("name") not in ("http", "http2"):
            continue
        if find_pod_port(pods[0], port) is None:
            continue
        number = int(port.get("port", 0))
        protocol = convert_protocol(number, str(port.get("name", "")), "TCP", port.get("appProtocol"))
        scheme = {"HTTP2": "http", "HTTP": "http"}.get(protocol, "")
        suffix = "" if scheme == "http" and number == 80 else f":{number}"
        out.line(f"Exposed on Ingress Gateway {scheme}://{ingress_ip(service, pods)}{suffix}")


def _print_ingress_info(out: _Writer, services: Sequence[Mapping], pods_labels, ingress: IngressGateway,
                        config: IstioConfig, namespace: str) -> None:
    """describe.go printIngressInfo (an ingress pod without a dump is skipped: the report warns)."""
    if not ingress.pods:
        out.line("Skipping Gateway information (no ingress gateway pods)")
        return
    found = ingress_services(ingress)
    if not found:
        out.line("Skipping Gateway information (no ingress gateway service)")
    seen_rules: dict[tuple[str, str], dict | None] = {}
    seen_services: dict[tuple[str, str], dict | None] = {}
    seen_gateways: set[tuple[str, str]] = set()
    for pod in ingress.pods:
        dump = ingress.dumps.get(f"{meta_of(pod).get('name')}.{meta_of(pod).get('namespace')}")
        if dump is None:
            continue
        for service in services:
            for port in spec_of(service).get("ports") or []:
                number = int(port.get("port", 0))
                matching: list[str] = []
                other: list[str] = []
                rule = None
                if ref := destination_rule_ref(dump, service, number):
                    if ref not in seen_rules:
                        seen_rules[ref] = config.destination_rule(*ref)
                        if seen_rules[ref] is None:
                            out.line(f"WARNING: Proxy is stale; it references to non-existent destination rule {ref[1]}.{ref[0]}")
                    rule = seen_rules[ref]
                if rule is not None:
                    matching, other = subsets_for(rule, pods_labels)
                ref = virtual_service_ref(dump, service, number)
                if not ref:
                    continue
                if ref not in seen_services:
                    seen_services[ref] = config.virtual_service(*ref)
                    if seen_services[ref] is None:
                        out.line(f"WARNING: Proxy is stale; it references to non-existent virtual service {ref[1]}.{ref[0]}")
                vs = seen_services[ref]
                if vs is None:
                    continue
                for gateway_name in spec_of(vs).get("gateways") or []:
                    if not gateway_name or gateway_name == MESH_GATEWAY:
                        continue
                    gw_namespace, _, name = gateway_name.partition("/") if "/" in gateway_name else (ref[0], "", gateway_name)
                    if (gw_namespace, name) in seen_gateways:
                        continue
                    gateway = config.gateway(gw_namespace, name)
                    if gateway is None:
                        out.line(f"WARNING: Proxy is stale; it references to non-existent gateway {gw_namespace}/{name}")
                        continue
                    seen_gateways.add((gw_namespace, name))
                    selector = spec_of(gateway).get("selector")
                    if selector is None:
                        out.raw(f"Ingress Gateway {gw_namespace}/{name} be applied all workloads")  # istioctl: no newline
                        continue
                    exposing = [(s, p) for s, p in found if any(contains(labels_of(pod_), selector) for pod_ in p)]
                    if exposing:
                        exposing.sort(key=lambda item: ingress_ip(*item))
                        out.line(SEPARATOR)
                        for ingress_service, ingress_pods in exposing:
                            _print_ingress_service(out, ingress_service, ingress_pods)
                        _print_virtual_service(out, LEVEL0, vs, service, matching, other, rule, namespace)


def checks_text(checks: Sequence[Check]) -> str:
    """meshctl's checks, after istioctl's text: ``OK|MISMATCH|INFO  subject: detail``."""
    if not checks:
        return ""
    lines = [SEPARATOR, "Checked against the proxy's Envoy config:"]
    lines += [f"   {c.mark.ljust(len('MISMATCH'))}  {c.subject}: {c.detail}" for c in checks]  # one width: greppable
    return "\n".join(lines) + "\n"


def _short_policies(policy: Mapping) -> str:
    extra = [label for key, label in (("loadBalancer", "load balancer"), ("connectionPool", "connection pool"),
                                      ("outlierDetection", "outlier detection")) if policy.get(key) is not None]
    return f"Policies: {'/'.join(extra)}\n" if extra else ""


def pod_text(pod: Mapping, services: Sequence[Mapping], dump: ConfigDump | None, config: IstioConfig, *,
             namespace: str, root_namespace: str, ingress: IngressGateway, ignore_unmeshed: bool = False) -> str:
    """`describe pod` as istioctl's podDescribeCmd prints it. `namespace` is the one described (names
    in it print bare); `services` all the Services of the pod's namespace; `dump` None without a sidecar."""
    out = _Writer()
    _print_pod(out, pod, namespace, ignore_unmeshed)
    selected = matching_services(pod, services)
    if not selected and not ignore_unmeshed:
        out.line(f"Warning: No Kubernetes Services select pod {kname(pod, namespace)} "
                 "(see https://istio.io/docs/setup/kubernetes/additional-setup/requirements/ )")
    pods_labels = [labels_of(pod)]
    out.line(SEPARATOR)
    if dump is not None:
        _describe_pod_services(out, pod, selected, pods_labels, dump, config, namespace)
    effective = effective_peer_authentication(config.peer_authentications, root_namespace,
                                              meta_of(pod).get("namespace", ""), labels_of(pod))
    out.line(SEPARATOR)
    _print_peer_authentication(out, effective)
    _print_ingress_info(out, selected, pods_labels, ingress, config, namespace)
    return out.text()


_NOT_DESCRIBED = {"not running": None, "no proxy": 'Pod {pod}: no container "istio-proxy" in pod',
                  "proxy not ready": "WARNING: Pod {pod} Container istio-proxy NOT READY"}


def service_text(service: Mapping, pods: Sequence[Mapping], dumps: Mapping[str, ConfigDump], config: IstioConfig, *,
                 namespace: str, ingress: IngressGateway) -> str:
    """`describe svc` as istioctl's svcDescribeCmd prints it: the first ready sidecar pod's config.
    `pods` are those the Service selects, `dumps` their config dumps by ``name.namespace``."""
    out = _Writer()
    meshed = []
    for pod in pods:
        problem = sidecar_readiness(pod)
        if problem == "not running":
            out.line(f"   Pod is not Running ({(pod.get('status') or {}).get('phase', '')})")
        elif problem:
            out.line(_NOT_DESCRIBED[problem].format(pod=kname(pod, namespace)))
        else:
            meshed.append(pod)
    if not meshed:
        name = json.dumps(kname(service, namespace))
        if not pods:
            out.line(f"Service {name} has no pods.")
        else:
            out.line(f"Service {name} has no Istio pods.  ({len(pods)} pods in service).")
            out.line("Use `istioctl kube-inject` or redeploy with Istio automatic sidecar injection.")
        return out.text()
    pod = meshed[0]
    pods_labels = [labels_of(p) for p in meshed]
    dump = dumps.get(f"{meta_of(pod).get('name')}.{meta_of(pod).get('namespace')}")
    if dump is not None:
        _describe_pod_services(out, pod, [service], pods_labels, dump, config, namespace)
    _print_ingress_info(out, [service], pods_labels, ingress, config, namespace)
    return out.text()
