"""A small cluster mixing ambient, sidecar and out-of-mesh workloads, with the ztunnel dumps that
match it: one source of truth for the pure ambient tests (objects and dumps as data) and the live
ones (`serve`: the same objects in FakeKube, each dump served by a fake ztunnel behind
port-forward; tests/ambient/conftest.py's `ambient_cluster` fixture).

    node-1: ztunnel-n1   shop/frontend (ambient)  shop/batch (opted out)  shop/late (enrolled, not captured)
                         legacy/reviews (sidecar) plain/db (no mesh)
    node-2: ztunnel-n2   shop/backend (ambient)   shop/waypoint (the waypoint's pod)  legacy/ratings (sidecar)

Namespace shop is labelled istio.io/dataplane-mode=ambient; its Service backend uses the waypoint
`waypoint` (label istio.io/use-waypoint). Each ztunnel lists every workload (captured pods with
protocol HBONE, the rest TCP) and holds certificates, signed by one test CA, for the identities of
the captured pods on its node.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta

from meshctl.sandbox.certs import TestCA

from fakekube import istio_pod, namespace, pod
from fakekube.ztunnel import (
    ZtunnelAdmin,
    ambient_pod,
    certificate_entry,
    gateway,
    service_entry,
    workload_entry,
    ztunnel_admin,
    ztunnel_daemonset,
    ztunnel_dump,
    ztunnel_pod,
)
from helpers import call_meshctl

NODES = ("node-1", "node-2")
ZTUNNELS = {"node-1": "ztunnel-n1", "node-2": "ztunnel-n2"}
VIPS = {"frontend": "10.96.0.10", "backend": "10.96.0.11", "waypoint": "10.96.0.12",
        "reviews": "10.96.0.20", "ratings": "10.96.0.21", "db": "10.96.0.30"}  # fmt: skip


# The ambient checks of this cluster as built (what `check -n shop` finds): (target, check) -> status.
# Everything passes but late-1, which is enrolled and was never redirected by istio-cni.
SHOP_CHECKS = {
    ("backend-5f4b.shop", "ztunnel-workload"): "PASS",
    ("frontend-6c7d.shop", "ztunnel-workload"): "PASS",
    ("late-1.shop", "ambient-capture"): "FAIL",
    ("waypoint/waypoint.shop", "waypoint"): "PASS",
    ("ztunnel-n1.istio-system", "ztunnel-admin"): "PASS",
    ("ztunnel-n1.istio-system", "ztunnel-certs"): "PASS",
    ("ztunnel-n2.istio-system", "ztunnel-admin"): "PASS",
    ("ztunnel-n2.istio-system", "ztunnel-certs"): "PASS",
}


def k8s_service(name: str, ns: str, vip: str, *, selector: dict | None = None, labels: dict | None = None, port: int = 9080) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels or {})},
            "spec": {"clusterIP": vip, "clusterIPs": [vip], "selector": selector or {"app": name},
                     "ports": [{"name": "http", "port": port, "protocol": "TCP", "targetPort": port}], "type": "ClusterIP"},
            "status": {"loadBalancer": {}}}  # fmt: skip


@dataclass
class AmbientMesh:
    namespaces: list[dict]
    pods: list[dict]
    services: list[dict]
    gateways: list[dict]
    ztunnel_pods: list[dict]
    dumps: dict[str, bytes]  # node -> /config_dump
    ca: TestCA = field(repr=False)

    def pod(self, key: str) -> dict:
        """The pod "name.namespace"."""
        return next(p for p in self.pods if f"{p['metadata']['name']}.{p['metadata']['namespace']}" == key)

    def namespace_labels(self, name: str) -> dict:
        return next(n for n in self.namespaces if n["metadata"]["name"] == name)["metadata"].get("labels") or {}

    def objects(self) -> list[dict]:
        """Everything FakeKube serves (Gateways only once custom resources are served)."""
        return [*self.namespaces, ztunnel_daemonset(), *self.ztunnel_pods, *self.pods, *self.services]


def build_mesh(*, programmed: str = "True", missing: tuple[str, str] | None = None, expired: str | None = None,
               strict: bool = False) -> AmbientMesh:
    """The cluster above. `missing` = (node, "name.namespace") leaves a workload out of that node's
    ztunnel; `expired` = "name.namespace" gives that pod's identity an expired certificate; `strict`
    adds istiod's converted STRICT PeerAuthentication for namespace shop."""
    ca = TestCA(validity=timedelta(days=30))
    namespaces = [namespace("shop", {"istio.io/dataplane-mode": "ambient"}), namespace("legacy", {"istio-injection": "enabled"}),
                  namespace("plain"), namespace("istio-system")]  # fmt: skip
    waypoint_pod = pod("waypoint-7d9f", "shop", node="node-2", service_account="waypoint",
                       labels={"gateway.networking.k8s.io/gateway-name": "waypoint", "istio.io/dataplane-mode": "none"},
                       annotations={"sidecar.istio.io/inject": "false"}, ip="10.244.2.9")
    pods = [
        ambient_pod("frontend-6c7d", "shop", node="node-1", ip="10.244.1.10"),
        ambient_pod("batch-1", "shop", node="node-1", ip="10.244.1.11", labels={"istio.io/dataplane-mode": "none"}, captured=False),
        ambient_pod("late-1", "shop", node="node-1", ip="10.244.1.12", captured=False),
        istio_pod("reviews-v1-abc", "legacy", app="reviews", node="node-1", ip="10.244.1.20"),
        pod("db-0", "plain", labels={"app": "db"}, node="node-1", ip="10.244.1.30"),
        ambient_pod("backend-5f4b", "shop", node="node-2", ip="10.244.2.10"),
        waypoint_pod,
        istio_pod("ratings-v1-def", "legacy", app="ratings", node="node-2", ip="10.244.2.20"),
    ]
    by_app = {p["metadata"]["labels"].get("app") or p["metadata"]["labels"].get("gateway.networking.k8s.io/gateway-name"): p for p in pods}
    services = [
        k8s_service("frontend", "shop", VIPS["frontend"]),
        k8s_service("backend", "shop", VIPS["backend"], labels={"istio.io/use-waypoint": "waypoint"}),
        k8s_service("waypoint", "shop", VIPS["waypoint"], selector={"gateway.networking.k8s.io/gateway-name": "waypoint"}, port=15008),
        k8s_service("reviews", "legacy", VIPS["reviews"]),
        k8s_service("ratings", "legacy", VIPS["ratings"]),
        k8s_service("db", "plain", VIPS["db"], port=5432),
    ]
    gateways = [gateway("waypoint", "shop", programmed=programmed, address=VIPS["waypoint"])]
    captured = {"frontend-6c7d.shop", "backend-5f4b.shop"}
    policies = []
    if strict:
        policies.append({"name": "converted_peer_authentication_default", "namespace": "shop", "scope": "Namespace",
                         "action": "Deny", "rules": [[[{"notPrincipals": [{"Presence": {}}]}]]]})
    waypoint_address = f"/{VIPS['waypoint']}"
    workloads = {}
    for p in pods:
        key = f"{p['metadata']['name']}.{p['metadata']['namespace']}"
        workloads[key] = workload_entry(p, protocol="HBONE" if key in captured else "TCP")
    service_entries = []
    for svc in services:
        name, ns = svc["metadata"]["name"], svc["metadata"]["namespace"]
        backend = by_app.get(name)
        port = svc["spec"]["ports"][0]["port"]
        service_entries.append(service_entry(name, ns, VIPS[name], [backend] if backend else [], port=port,
                                             waypoint=waypoint_address if name == "backend" else None))
    dumps = {}
    for node in NODES:
        certificates = []
        for key in sorted(captured):
            p = next(q for q in pods if f"{q['metadata']['name']}.{q['metadata']['namespace']}" == key)
            if p["spec"]["nodeName"] != node:
                continue
            identity = f"spiffe://cluster.local/ns/{p['metadata']['namespace']}/sa/{p['spec']['serviceAccountName']}"
            # An expired one: valid from a minute ago until 30 seconds ago.
            validity = timedelta(seconds=-30) if key == expired else timedelta(hours=24)
            certificates.append(certificate_entry(ca, identity, validity=validity))
        listed = [w for key, w in workloads.items() if missing is None or missing != (node, key)]
        dumps[node] = ztunnel_dump(workloads=listed, services=service_entries, certificates=certificates, policies=policies)
    ztunnel_pods = [ztunnel_pod(ZTUNNELS[node], node, ip=f"10.244.{index}.2") for index, node in enumerate(NODES, 1)]
    return AmbientMesh(namespaces, pods, services, gateways, ztunnel_pods, dumps, ca)


@dataclass
class LiveAmbient:
    kube: object
    mesh: AmbientMesh
    admins: dict[str, ZtunnelAdmin] = field(default_factory=dict)  # node -> its ztunnel's admin

    def meshctl(self, *args: str, stdin: bytes = b""):
        return call_meshctl(*args, "--kubeconfig", str(self.kube.kubeconfig_path), stdin=stdin)


def serve(kube, mesh: AmbientMesh, stack: ExitStack, *, gateways: bool = True) -> LiveAmbient:
    kube.add(*mesh.objects())
    if gateways:
        kube.add(*mesh.gateways)
    live = LiveAmbient(kube, mesh)
    for node, dump in mesh.dumps.items():
        admin = stack.enter_context(ztunnel_admin(dump))
        kube.forward_port(15000, admin.address, pod=ZTUNNELS[node], namespace="istio-system")
        live.admins[node] = admin
    return live
