"""The bookinfo scenario of istioctl's describe tests, as API objects: productpage behind the
ingress gateway, its DestinationRule (subset v1) and the gateway's VirtualService, whose Envoy
config is in ../shared/istio-testdata/istioctl/pkg/describe/testdata/describe/; and what istioctl
prints for it (ported from describe.go, its own expected outputs being kept back)."""

from __future__ import annotations

from fakekube import custom_object, istio_pod, pod
from helpers import ISTIO_TESTDATA

NETWORKING = "networking.istio.io/v1"
DESCRIBE_TESTDATA = ISTIO_TESTDATA / "istioctl/pkg/describe/testdata/describe"
ROUTES = "Match: /productpage, Match: /static*, Match: /login, Match: /logout, Match: /api/v1/products*"
# What istioctl prints for productpage's service port (describePodServices) and for the ingress
# gateway exposing it (printIngressInfo), with the shared dumps and the objects below.
SERVICE_SECTION = (
    "Service: productpage\n"
    "   Port: http 9080/HTTP targets pod port 9080\n"
    'DestinationRule: productpage for "productpage"\n'
    "   Matching subsets: v1\n"
    "   No Traffic Policy\n"
    "VirtualService: bookinfo\n"
    f"   {ROUTES}\n")
INGRESS_SECTION = ("Exposed on Ingress Gateway http://172.18.0.2\n"
                   "VirtualService: bookinfo\n"
                   f"   {ROUTES}\n")
MATCHES = [{"uri": {"exact": "/productpage"}}, {"uri": {"prefix": "/static"}}, {"uri": {"exact": "/login"}},
           {"uri": {"exact": "/logout"}}, {"uri": {"prefix": "/api/v1/products"}}]


def productpage_pod(**kwargs) -> dict:
    return istio_pod("productpage-v1-1234567890", "default", app="productpage", version="v1", **kwargs)


def service(name: str, namespace: str, selector: dict, ports: list[dict], **extra) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": selector, "ports": [{"protocol": "TCP", **p} for p in ports], "type": "ClusterIP"},
            **extra}


def productpage_service() -> dict:
    return service("productpage", "default", {"app": "productpage"}, [{"name": "http", "port": 9080, "targetPort": 9080}])


def destination_rule(**spec) -> dict:
    return custom_object(NETWORKING, "DestinationRule", "productpage", "default",
                         spec={"host": "productpage", "subsets": [{"name": "v1", "labels": {"version": "v1"}}], **spec})


def virtual_service(**spec) -> dict:
    return custom_object(NETWORKING, "VirtualService", "bookinfo", "default", spec={
        "hosts": ["*"], "gateways": ["bookinfo-gateway"],
        "http": [{"match": MATCHES, "route": [{"destination": {"host": "productpage", "port": {"number": 9080}}}]}],
        **spec})


def gateway() -> dict:
    return custom_object(NETWORKING, "Gateway", "bookinfo-gateway", "default", spec={
        "selector": {"istio": "ingressgateway"},
        "servers": [{"port": {"number": 8080, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]})


def ingress_pod() -> dict:
    return pod("istio-ingressgateway-5d8f8b8b8b-abcde", "istio-system",
               labels={"app": "istio-ingressgateway", "istio": "ingressgateway"},
               containers=[{"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.2",
                            "ports": [{"containerPort": 8080, "protocol": "TCP"}, {"containerPort": 8443, "protocol": "TCP"}]}])


def ingress_service(load_balancer_ip: str | None = None) -> dict:
    extra = {"status": {"loadBalancer": {"ingress": [{"ip": load_balancer_ip}]}}} if load_balancer_ip else {}
    return service("istio-ingressgateway", "istio-system", {"istio": "ingressgateway"},
                   [{"name": "status-port", "port": 15021, "targetPort": 15021},
                    {"name": "http2", "port": 80, "targetPort": 8080},
                    {"name": "https", "port": 443, "targetPort": 8443}], **extra)


def mesh_configmap(root_namespace: str = "istio-system") -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"},
            "data": {"mesh": f"rootNamespace: {root_namespace}\ntrustDomain: cluster.local\n"}}


def peer_authentication(name: str, namespace: str, mode: str | None = None, *, selector: dict | None = None,
                        port_level: dict | None = None) -> dict:
    spec: dict = {}
    if mode:
        spec["mtls"] = {"mode": mode}
    if selector:
        spec["selector"] = {"matchLabels": selector}
    if port_level:
        spec["portLevelMtls"] = port_level
    return custom_object("security.istio.io/v1", "PeerAuthentication", name, namespace, spec=spec)
