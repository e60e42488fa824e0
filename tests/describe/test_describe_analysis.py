"""describe pod/svc on istioctl's shared inputs: istioctl's text, ported from describe.go line by line
(its expected outputs are kept back), and meshctl's checks against the proxy's Envoy config."""

from __future__ import annotations

import copy
import json

import pytest

from meshctl.analyze.describe import (
    Check,
    IngressGateway,
    IstioConfig,
    convert_protocol,
    effective_peer_authentication,
    match_text,
    pod_report,
    referenced_namespaces,
    service_port_protocol,
    service_report,
)
from meshctl.decode.configdump import parse
from meshctl.render.describe import checks_text, pod_text, service_text

from helpers import require_shared
from helpers.describe import (
    DESCRIBE_TESTDATA,
    INGRESS_SECTION,
    ROUTES,
    SERVICE_SECTION,
    destination_rule,
    gateway,
    ingress_pod,
    ingress_service,
    peer_authentication,
    productpage_pod,
    productpage_service,
    service,
    virtual_service,
)


def _dump(name: str):
    return parse(require_shared(DESCRIBE_TESTDATA / name).read_bytes())


def _config(**kinds) -> IstioConfig:
    defaults = {"destination_rules": [destination_rule()], "virtual_services": [virtual_service()],
                "gateways": [gateway()], "peer_authentications": []}
    return IstioConfig(**{**defaults, **kinds})


class Described:
    """istioctl's text and meshctl's report for one description."""

    def __init__(self, text, report):
        self.text, self.report = text, report
        self.checks, self.warnings, self.document = report.checks, report.warnings, report.document


def describe_pod(pod, services, dump, config, *, namespace, root_namespace, ingress, ignore_unmeshed=False,
                 namespace_labels=None) -> Described:
    text = pod_text(pod, services, dump, config, namespace=namespace, root_namespace=root_namespace, ingress=ingress,
                    ignore_unmeshed=ignore_unmeshed)
    return Described(text, pod_report(pod, services, dump, config, root_namespace=root_namespace, ingress=ingress,
                                      namespace_labels=namespace_labels))


def describe_service(service, pods, dumps, config, *, namespace, ingress, root_namespace) -> Described:
    return Described(service_text(service, pods, dumps, config, namespace=namespace, ingress=ingress),
                     service_report(service, pods, dumps, config, root_namespace=root_namespace, ingress=ingress))


def _ingress(dump_name: str = "http_config.json", **service_kwargs) -> IngressGateway:
    ingress = ingress_pod()
    return IngressGateway([ingress], [ingress_service(**service_kwargs)],
                          {"istio-ingressgateway-5d8f8b8b8b-abcde.istio-system": _dump(dump_name)})


def test_describe_pod_behind_the_ingress_gateway():
    description = describe_pod(productpage_pod(), [productpage_service()], _dump("http_config.json"), _config(),
                               namespace="default", root_namespace="istio-system", ingress=_ingress())

    assert description.text == (
        "Pod: productpage-v1-1234567890\n"
        "   Pod Revision: default\n"
        "   Pod Ports: 9080 (productpage), 15090 (istio-proxy)\n"
        "--------------------\n"
        + SERVICE_SECTION
        + "--------------------\n"
        "Effective PeerAuthentication:\n"
        "   Workload mTLS mode: PERMISSIVE\n"
        "--------------------\n"
        + INGRESS_SECTION)
    assert description.warnings == []


def test_checks_compare_the_rules_with_envoy():
    description = describe_pod(productpage_pod(), [productpage_service()], _dump("http_config.json"), _config(),
                               namespace="default", root_namespace="istio-system", ingress=IngressGateway())

    assert [(c.mark, c.subject) for c in description.checks] == [
        ("INFO", "Data plane"),
        ("OK", "DestinationRule productpage.default subset v1"),
        # The shared dump has no listeners: the PERMISSIVE intent cannot be served.
        ("MISMATCH", "PeerAuthentication PERMISSIVE on port 9080"),
    ]
    assert description.checks[1].detail == "Envoy has outbound|9080|v1|productpage.default.svc.cluster.local (active)"
    assert description.document["mismatches"] == 1
    assert "Checked against the proxy's Envoy config:\n   INFO      Data plane: sidecar istio-proxy" in checks_text(
        description.checks)


def test_a_subset_envoy_lacks_and_a_stale_reference_are_flagged():
    rule = destination_rule(subsets=[{"name": "v1", "labels": {"version": "v1"}},
                                     {"name": "v2", "labels": {"version": "v2"}}])

    with_v2 = describe_pod(productpage_pod(), [productpage_service()], _dump("http_config.json"),
                           _config(destination_rules=[rule]), namespace="default", root_namespace="istio-system",
                           ingress=IngressGateway())
    stale = describe_pod(productpage_pod(), [productpage_service()], _dump("http_config.json"),
                         _config(destination_rules=[], virtual_services=[]), namespace="default",
                         root_namespace="istio-system", ingress=IngressGateway())

    assert "   Matching subsets: v1\n      (Non-matching subsets v2)\n" in with_v2.text
    v2 = next(c for c in with_v2.checks if c.subject.endswith("subset v2"))
    assert (v2.ok, v2.detail) == (False, "Envoy has no cluster outbound|9080|v2|productpage.default.svc.cluster.local "
                                         "(stale config, or exportTo hides the rule)")
    assert "WARNING: Proxy is stale; it references to non-existent destination rule productpage.default\n" in stale.text
    assert "WARNING: Proxy is stale; it references to non-existent virtual service bookinfo.default\n" in stale.text
    assert Check(False, "VirtualService bookinfo.default", "Envoy routes (http.8080) carry it but the API server has "
                 "no such VirtualService") in stale.checks


def test_traffic_policy_and_port_level_settings_are_printed_as_istioctl_does():
    rule = destination_rule(trafficPolicy={
        "tls": {"mode": "ISTIO_MUTUAL"}, "connectionPool": {"tcp": {"maxConnections": 10}},
        "outlierDetection": {"consecutive5xxErrors": 3},
        "portLevelSettings": [{"port": {"number": 9080}, "tls": {"mode": "DISABLE"}, "loadBalancer": {"simple": "ROUND_ROBIN"}}]})

    text = describe_pod(productpage_pod(), [productpage_service()], _dump("http_config.json"),
                        _config(destination_rules=[rule]), namespace="default", root_namespace="istio-system",
                        ingress=IngressGateway()).text

    assert ('DestinationRule: productpage for "productpage"\n'
            "   Matching subsets: v1\n"
            "   Traffic Policy TLS Mode: ISTIO_MUTUAL\n"
            "   Policies: connection pool/outlier detection\n"
            "   Port Level Settings:\n"
            "    9080:\n"
            "      TLS Mode: DISABLE\n"
            "      Policies: load balancer\n") in text


def test_virtual_service_route_facts():
    vs = virtual_service(http=[
        {"match": [{"uri": {"prefix": "/api"}, "headers": {"end-user": {"exact": "jason"}, "x-b": {"prefix": "b"}}}],
         "fault": {"abort": {"httpStatus": 500, "percentage": {"value": 10}}},
         "route": [{"destination": {"host": "productpage", "subset": "v1"}, "weight": 90},
                   {"destination": {"host": "reviews"}, "weight": 10}]},
        {"route": [{"destination": {"host": "productpage", "subset": "v9"}}]}])
    rule = destination_rule()

    text = describe_pod(productpage_pod(), [productpage_service()], _dump("http_config.json"),
                        _config(virtual_services=[vs], destination_rules=[rule]), namespace="default",
                        root_namespace="istio-system", ingress=IngressGateway()).text

    assert ("VirtualService: bookinfo\n"
            '   Route to host "productpage" subset "v1" with weight 90%\n'
            '   Route to host "reviews" with weight 10%\n'
            "   Fault injection abort:{http_status:500 percentage:{value:10}}, Match: /api* when headers are "
            "end-user=jason; x-b=b*\n"
            "   1 additional destination(s) that will not reach this pod\n") in text


def test_no_destination_reaches_the_pod():
    vs = virtual_service(http=[{"route": [{"destination": {"host": "productpage", "subset": "v9"}}]},
                               {"route": [{"destination": {"host": "productpage.other.svc.cluster.local"}}]}])

    text = describe_pod(productpage_pod(), [productpage_service()], _dump("http_config.json"),
                        _config(virtual_services=[vs]), namespace="default", root_namespace="istio-system",
                        ingress=IngressGateway()).text

    assert ("VirtualService: bookinfo\n"
            "   WARNING: No destinations match pod subsets (checked 2 HTTP routes)\n"
            "      Warning: Route to UNKNOWN subset v9; check DestinationRule productpage\n"
            '      Route to host "productpage.other.svc.cluster.local" with weight 0%\n') in text


def test_pod_warnings_not_running_unmeshed_and_names_outside_the_namespace():
    plain = productpage_pod()
    plain["spec"]["containers"] = [c for c in plain["spec"]["containers"] if c["name"] != "istio-proxy"]
    plain["spec"]["containers"][0]["securityContext"] = {"runAsUser": 1337}
    plain["metadata"]["labels"] = {"app": "productpage"}
    pending = productpage_pod(phase="Pending")

    unmeshed = describe_pod(plain, [], None, _config(), namespace="other", root_namespace="istio-system",
                            ingress=IngressGateway())
    not_running = describe_pod(pending, [], None, _config(), namespace="default", root_namespace="istio-system",
                               ingress=IngressGateway())

    assert unmeshed.text.startswith(
        "WARNING: User ID (UID) 1337 is reserved for the sidecar proxy.\n"
        "Pod: productpage-v1-1234567890.default\n"
        "   Pod Revision: default\n"
        "   Pod Ports: 9080 (productpage)\n"
        "WARNING: productpage-v1-1234567890.default is not part of mesh; no Istio sidecar\n"
        "Warning: No Kubernetes Services select pod productpage-v1-1234567890.default "
        "(see https://istio.io/docs/setup/kubernetes/additional-setup/requirements/ )\n"
        "--------------------\n")
    assert "   Pod is not Running (Pending)\n" in not_running.text
    assert unmeshed.checks == [Check(None, "Data plane", "none: no sidecar and not in ambient mode")]


def test_ambient_pods_are_described_as_captured_by_ztunnel():
    ambient = productpage_pod(labels={"istio.io/use-waypoint": "waypoint"})
    ambient["spec"]["containers"] = ambient["spec"]["containers"][:1]

    description = describe_pod(ambient, [], None, _config(), namespace="default", root_namespace="istio-system",
                               ingress=IngressGateway(), namespace_labels={"istio.io/dataplane-mode": "ambient"})

    assert description.checks == [Check(None, "Data plane", "ambient: captured by its node's ztunnel "
                                        "(istio.io/dataplane-mode=ambient on the namespace), waypoint waypoint")]


@pytest.mark.parametrize(
    ("policies", "mode", "per_port", "applied"),
    [
        ([], "PERMISSIVE", (), ()),
        ([peer_authentication("default", "istio-system", "STRICT")], "STRICT", (), ("default.istio-system",)),
        ([peer_authentication("default", "istio-system", "STRICT"), peer_authentication("ns", "default", "DISABLE")],
         "DISABLE", (), ("default.istio-system", "ns.default")),
        ([peer_authentication("ns", "default", "STRICT"),
          peer_authentication("pp", "default", None, selector={"app": "productpage"},
                              port_level={"9080": {"mode": "DISABLE"}, "8080": {}})],
         "STRICT", ((8080, "STRICT"), (9080, "DISABLE")), ("ns.default", "pp.default")),
        # a selector in the root namespace is listed as applied but is no policy of any scope
        ([peer_authentication("mesh-pp", "istio-system", "DISABLE", selector={"app": "productpage"})],
         "PERMISSIVE", (), ("mesh-pp.istio-system",)),
        ([peer_authentication("other", "default", "STRICT", selector={"app": "reviews"})], "PERMISSIVE", (), ()),
    ],
)
def test_effective_peer_authentication_workload_over_namespace_over_mesh(policies, mode, per_port, applied):
    effective = effective_peer_authentication(policies, "istio-system", "default", productpage_pod()["metadata"]["labels"])

    assert (effective.mode, effective.per_port, effective.applied) == (mode, per_port, applied)


def test_the_oldest_policy_of_a_scope_wins():
    older = peer_authentication("b-older", "default", "STRICT")
    older["metadata"]["creationTimestamp"] = "2025-01-01T00:00:00Z"
    newer = peer_authentication("a-newer", "default", "DISABLE")
    newer["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z"

    assert effective_peer_authentication([newer, older], "istio-system", "default", {}).mode == "STRICT"


def test_peer_authentication_section_lists_port_levels_and_applied_policies():
    policies = [peer_authentication("pp", "default", "STRICT", selector={"app": "productpage"},
                                    port_level={"9080": {"mode": "PERMISSIVE"}})]

    text = describe_pod(productpage_pod(), [productpage_service()], _dump("http_config.json"),
                        _config(peer_authentications=policies), namespace="default", root_namespace="istio-system",
                        ingress=IngressGateway()).text

    assert ("Effective PeerAuthentication:\n"
            "   Workload mTLS mode: STRICT\n"
            "   Port Level mTLS mode:\n"
            "      9080: PERMISSIVE\n"
            "Applied PeerAuthentication:\n"
            "   pp.default\n") in text


def test_ingress_over_https_with_a_load_balancer_ip():
    description = describe_pod(productpage_pod(), [productpage_service()], _dump("http_config.json"), _config(),
                               namespace="default", root_namespace="istio-system",
                               ingress=_ingress("tls_config.json", load_balancer_ip="203.0.113.7"))

    # The https port is not one istioctl shows; http2 on 80 needs no port suffix.
    assert description.text.endswith("--------------------\nExposed on Ingress Gateway http://203.0.113.7\n"
                                     f"VirtualService: bookinfo\n   {ROUTES}\n")


def test_ingress_edge_cases():
    no_pods = describe_pod(productpage_pod(), [productpage_service()], _dump("http_config.json"), _config(),
                           namespace="default", root_namespace="istio-system", ingress=IngressGateway())
    unselected = _ingress()
    unselected.services[0]["spec"]["selector"] = {"istio": "egressgateway"}
    no_service = describe_pod(productpage_pod(), [productpage_service()], _dump("http_config.json"), _config(),
                              namespace="default", root_namespace="istio-system", ingress=unselected)
    missing_gateway = describe_pod(productpage_pod(), [productpage_service()], _dump("http_config.json"),
                                   _config(gateways=[]), namespace="default", root_namespace="istio-system",
                                   ingress=_ingress())
    no_dump = _ingress()
    no_dump.dumps.clear()
    unreachable = describe_pod(productpage_pod(), [productpage_service()], _dump("http_config.json"), _config(),
                               namespace="default", root_namespace="istio-system", ingress=no_dump)

    assert no_pods.text.endswith("Skipping Gateway information (no ingress gateway pods)\n")
    assert "Skipping Gateway information (no ingress gateway service)\n" in no_service.text
    assert "Exposed on" not in no_service.text
    assert missing_gateway.text.endswith(
        "WARNING: Proxy is stale; it references to non-existent gateway default/bookinfo-gateway\n")
    assert unreachable.warnings == ["ingress gateway istio-ingressgateway-5d8f8b8b8b-abcde.istio-system: config dump "
                                    "not available, its Gateway information is left out"]


def test_describe_service():
    pods = [productpage_pod(), productpage_pod(ready=False)]
    pods[1]["metadata"]["name"] = "productpage-v1-notready"
    dumps = {"productpage-v1-1234567890.default": _dump("http_config.json")}

    description = describe_service(productpage_service(), pods, dumps, _config(), namespace="default",
                                   ingress=_ingress(), root_namespace="istio-system")

    assert description.text == (
        "WARNING: Pod productpage-v1-notready Container istio-proxy NOT READY\n"
        + SERVICE_SECTION
        + "--------------------\n"
        + INGRESS_SECTION)
    assert description.document["pods"] == ["productpage-v1-1234567890.default"]


def test_describe_service_without_istio_pods():
    plain = productpage_pod()
    plain["status"]["containerStatuses"] = plain["status"]["containerStatuses"][:1]

    none = describe_service(productpage_service(), [], {}, _config(), namespace="default", ingress=IngressGateway(),
                            root_namespace="istio-system")
    unmeshed = describe_service(productpage_service(), [plain], {}, _config(), namespace="other",
                                ingress=IngressGateway(), root_namespace="istio-system")

    assert none.text == 'Service "productpage" has no pods.\n'
    assert unmeshed.text == ('Pod productpage-v1-1234567890.default: no container "istio-proxy" in pod\n'
                             'Service "productpage.default" has no Istio pods.  (1 pods in service).\n'
                             "Use `istioctl kube-inject` or redeploy with Istio automatic sidecar injection.\n")


def test_multi_port_services_prefix_each_port():
    svc = service("productpage", "default", {"app": "productpage"},
                  [{"name": "http", "port": 9080, "targetPort": 9080}, {"name": "grpc-web", "port": 9090},
                   {"name": "dns", "port": 53, "protocol": "UDP"}, {"port": 9091, "targetPort": "metrics"}])

    text = describe_pod(productpage_pod(), [svc], _dump("http_config.json"), _config(), namespace="default",
                        root_namespace="istio-system", ingress=IngressGateway()).text

    assert ("Service: productpage\n"
            "   Port: http 9080/HTTP targets pod port 9080\n"
            "   Port: grpc-web 9090/GRPC-Web targets pod port 9090\n"
            f"   no suitable port for manifest: {productpage_pod()['metadata'].get('uid', '')}\n"
            "9080:\n"
            '   DestinationRule: productpage for "productpage"\n'
            "      Matching subsets: v1\n"
            "      No Traffic Policy\n"
            "   VirtualService: bookinfo\n"
            f"      {ROUTES}\n"
            "9090:\n"
            "53:\n"
            "9091:\n"
            "--------------------\n") in text


@pytest.mark.parametrize(
    ("port", "expected"),
    [({"name": "http-web", "port": 80}, "HTTP"), ({"name": "", "port": 80}, "auto-detect"),
     ({"name": "mysql", "port": 3306}, "MySQL"), ({"name": "db", "port": 3306}, "TCP"),
     ({"name": "x", "port": 8080}, "UnsupportedProtocol"), ({"name": "", "port": 80, "appProtocol": "hbone"}, "HBONE"),
     ({"name": "x", "port": 80, "appProtocol": "kubernetes.io/h2c"}, "HTTP2"), ({"name": "GRPC", "port": 1}, "GRPC"),
     ({"name": "https", "port": 443, "protocol": "UDP"}, "UDP")],
)
def test_service_port_protocols(port, expected):
    assert service_port_protocol(port) == expected


def test_render_match_variants():
    assert match_text({}) == "Match:"
    assert match_text({"uri": {"regex": "^/x"}, "ignoreUriCase": True}) == 'Match: regex:"^/x" uncased'
    assert convert_protocol(25, "", "TCP", None) == "TCP"


def test_referenced_namespaces_come_from_the_dumps_metadata():
    assert referenced_namespaces([_dump("http_config.json"), _dump("tls_config.json")]) == {"default"}


def test_document_is_json():
    description = describe_pod(productpage_pod(), [productpage_service()], _dump("http_config.json"), _config(),
                               namespace="default", root_namespace="istio-system", ingress=_ingress())

    document = json.loads(json.dumps(description.document))
    assert document["services"] == ["productpage.default"] and document["peerAuthentication"]["mode"] == "PERMISSIVE"
    assert copy.deepcopy(document)["checks"][0]["status"] == "INFO"
