"""A fake ztunnel for live tests: its admin API over real HTTP, and cluster objects for ambient mode.

`ztunnel_admin(dump)` serves what a ztunnel's admin port (15000) answers to istioctl and meshctl:
``GET /config_dump`` (the dump given: the shared real dump, or one built here from the cluster's
pods) and ``/logging`` with ztunnel's semantics (ztunnel src/admin.rs handle_logging: GET or a POST
without parameters lists the level, ``POST ?level=L`` sets it, ``&reset`` restores the default,
an unknown level is 400). Put it behind the fake API server with
``kube.forward_port(15000, admin.address, pod=..., namespace=...)``.

The builders make the objects an ambient cluster has: the ztunnel DaemonSet and its pods (Istio's
chart: labels app=ztunnel, container istio-proxy), namespaces enrolled with
``istio.io/dataplane-mode=ambient``, captured pods (annotation ``ambient.istio.io/redirection:
enabled``, set by istio-cni), and ztunnel dump entries for pods, services and certificates shaped as
ztunnel 1.2x writes them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .builders import _STARTED, pod

ZTUNNEL_IMAGE = "docker.io/istio/ztunnel:1.24.2"
DEFAULT_LEVEL = "info"
# ztunnel's levels (tracing's, plus "off"); istioctl maps warning -> warn, critical -> error.
LEVELS = ("trace", "debug", "info", "warn", "error", "off")
HELP = "usage: POST /logging\t\t\t\t\t\t(To list current level)\nPOST /logging?level=<level>\n"


@dataclass
class ZtunnelAdmin:
    """A running fake admin API: `address` (host, port), the current `level`, the requests seen."""

    dump: bytes | Callable[[], bytes]
    level: str = DEFAULT_LEVEL
    address: tuple[str, int] = ("", 0)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path with query)

    @property
    def url(self) -> str:
        return f"http://{self.address[0]}:{self.address[1]}"

    def answer(self, method: str, path: str) -> tuple[int, bytes]:
        self.requests.append((method, path))
        split = urlsplit(path)
        if split.path == "/config_dump" and method == "GET":
            return 200, self.dump() if callable(self.dump) else self.dump
        if split.path == "/logging":
            return self._logging(method, parse_qs(split.query, keep_blank_values=True))
        return 404, f"invalid path: {path}\n".encode()

    def _logging(self, method: str, query: dict) -> tuple[int, bytes]:
        if method not in ("GET", "POST"):
            return 405, f"Invalid HTTP method\n {HELP}".encode()
        level = (query.get("level") or [""])[0]
        reset = "reset" in query
        if method == "POST" and (level or reset):
            if level and not _valid_level(level):
                return 400, f"Invalid level provided: {level}\n{HELP}".encode()
            self.level = DEFAULT_LEVEL if reset and not level else level
        return 200, f"current log level is {self.level}\n".encode()


def _valid_level(spec: str) -> bool:
    # ztunnel accepts "level" or comma-separated "target:level" / "target=level" directives.
    for part in spec.split(","):
        level = part.replace("=", ":").rsplit(":", 1)[-1]
        if level not in LEVELS:
            return False
    return True


@contextmanager
def ztunnel_admin(dump: bytes | Callable[[], bytes], *, level: str = DEFAULT_LEVEL) -> Iterator[ZtunnelAdmin]:
    """Serve a ztunnel admin API on 127.0.0.1 (HTTP/1.1 keep-alive) for the duration of the block."""
    admin = ZtunnelAdmin(dump, level)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            code, body = admin.answer(self.command, self.path)
            self.send_response(code)
            self.send_header("Content-Type", "application/json" if body[:1] in (b"{", b"[") else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, format, *args):  # noqa: A002 - stdlib signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    admin.address = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="fake-ztunnel")
    thread.start()
    try:
        yield admin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- cluster objects ---------------------------------------------------------------------------


def ztunnel_daemonset(namespace: str = "istio-system") -> dict:
    """Istio's ztunnel DaemonSet (manifests/charts/ztunnel): selector app=ztunnel."""
    return {
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "ztunnel", "namespace": namespace, "labels": {"app": "ztunnel"}},
        "spec": {"selector": {"matchLabels": {"app": "ztunnel"}},
                 "template": {"metadata": {"labels": {"app": "ztunnel", "sidecar.istio.io/inject": "false"}},
                              "spec": {"containers": [{"name": "istio-proxy", "image": ZTUNNEL_IMAGE}]}}},
        "status": {"currentNumberScheduled": 0, "desiredNumberScheduled": 0, "numberMisscheduled": 0,
                   "numberReady": 0},
    }  # fmt: skip


def ztunnel_pod(name: str, node: str, namespace: str = "istio-system", **pod_kwargs) -> dict:
    """A ztunnel pod on `node` (one per node), container `istio-proxy` as in Istio's chart."""
    container = {"name": "istio-proxy", "image": ZTUNNEL_IMAGE, "args": ["proxy", "ztunnel"],
                 "ports": [{"containerPort": 15020, "name": "ztunnel-stats", "protocol": "TCP"}]}
    return pod(name, namespace, labels={"app": "ztunnel", "sidecar.istio.io/inject": "false"},
               annotations={"sidecar.istio.io/inject": "false", "prometheus.io/port": "15020"},
               containers=[container], node=node, service_account="ztunnel", **pod_kwargs)


def ambient_pod(name: str, namespace: str, *, app: str | None = None, captured: bool = True, **pod_kwargs) -> dict:
    """An application pod without a sidecar; `captured` adds istio-cni's redirection annotation."""
    app = app or name.split("-")[0]
    annotations = {"ambient.istio.io/redirection": "enabled"} if captured else {}
    labels = {"app": app, **pod_kwargs.pop("labels", {})}
    containers = [{"name": app, "image": f"docker.io/istio/examples-bookinfo-{app}-v1:1.20.2",
                   "ports": [{"containerPort": 9080, "protocol": "TCP"}]}]
    return pod(name, namespace, labels=labels, annotations=annotations, containers=containers,
               service_account=pod_kwargs.pop("service_account", f"bookinfo-{app}"), **pod_kwargs)


def gateway(name: str, namespace: str, *, class_name: str = "istio-waypoint", programmed: str | None = "True",
            labels: dict | None = None, address: str | None = None) -> dict:
    """A Gateway API Gateway as `istioctl waypoint apply` creates it, with status as istiod writes it."""
    status: dict = {"conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "Resource accepted",
                                    "lastTransitionTime": _STARTED, "observedGeneration": 1}]}
    if programmed is not None:
        reason, message = ("Programmed", "Resource programmed, assigned to service(s) "
                           f"{name}.{namespace}.svc.cluster.local:15008") if programmed == "True" else ("Invalid", "no ready pods")
        status["conditions"].append({"type": "Programmed", "status": programmed, "reason": reason, "message": message,
                                     "lastTransitionTime": _STARTED, "observedGeneration": 1})
    if address:
        status["addresses"] = [{"type": "IPAddress", "value": address}]
    return {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels or {}), "generation": 1},
        "spec": {"gatewayClassName": class_name,
                 "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE", "allowedRoutes": {"namespaces": {"from": "Same"}}}]},
        "status": status,
    }  # fmt: skip


# --- ztunnel dump entries ----------------------------------------------------------------------


def workload_entry(pod_obj: dict, *, protocol: str = "HBONE", waypoint: str | None = None, network: str = "",
                   trust_domain: str = "cluster.local", status: str = "Healthy", policies: tuple[str, ...] = ()) -> dict:
    """How ztunnel lists a pod (ztunnel src/state/workload.rs, serialized camelCase)."""
    meta, spec = pod_obj["metadata"], pod_obj["spec"]
    labels = meta.get("labels") or {}
    app = labels.get("app", meta["name"])
    entry = {
        "uid": f"Kubernetes//Pod/{meta['namespace']}/{meta['name']}",
        "workloadIps": [ip["ip"] for ip in pod_obj["status"].get("podIPs") or []],
        "protocol": protocol,
        "name": meta["name"], "namespace": meta["namespace"],
        "serviceAccount": spec.get("serviceAccountName", "default"),
        "workloadName": app, "workloadType": "pod",
        "canonicalName": labels.get("service.istio.io/canonical-name", app),
        "canonicalRevision": labels.get("service.istio.io/canonical-revision", "latest"),
        "clusterId": "Kubernetes", "trustDomain": trust_domain,
        "node": spec.get("nodeName", ""), "status": status, "capacity": 1,
        "nativeTunnel": False,
    }  # fmt: skip
    if network:
        entry["network"] = network
    if waypoint:
        entry["waypoint"] = {"destination": waypoint, "hboneMtlsPort": 15008}
    if policies:
        entry["authorizationPolicies"] = list(policies)
    return entry


def service_entry(name: str, namespace: str, vip: str, pods: list[dict], *, port: int = 9080, waypoint: str | None = None) -> dict:
    """How ztunnel lists a Service and its endpoints."""
    hostname = f"{name}.{namespace}.svc.cluster.local"
    endpoints = {}
    for pod_obj in pods:
        uid = f"Kubernetes//Pod/{pod_obj['metadata']['namespace']}/{pod_obj['metadata']['name']}"
        endpoints[f"{uid}:/{pod_obj['status']['podIP']}"] = {
            "workloadUid": uid, "service": f"{namespace}/{hostname}", "port": {str(port): port}}
    entry = {"name": name, "namespace": namespace, "hostname": hostname, "vips": [f"/{vip}"], "ports": {str(port): port},
             "endpoints": endpoints, "ipFamilies": "IPv4"}
    if waypoint:
        entry["waypoint"] = {"destination": waypoint, "hboneMtlsPort": 15008}
    return entry


def certificate_entry(ca, identity: str, *, validity: timedelta = timedelta(hours=24)) -> dict:
    """ztunnel's certificate for `identity`, issued now by `ca` (meshctl.sandbox.certs.TestCA);
    serial numbers in decimal and times in RFC 3339, as ztunnel writes them."""
    issued = ca.issue_workload(identity, validity=validity)
    return {"identity": identity, "state": "Available", "certChain": [_cert(issued)], "rootCerts": [_cert(ca.root)]}


def _cert(issued) -> dict:
    return {"pem": issued.cert_pem.decode(), "serialNumber": str(issued.serial),
            "validFrom": issued.not_before.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "expirationTime": issued.not_after.strftime("%Y-%m-%dT%H:%M:%SZ")}


def ztunnel_dump(*, workloads=(), services=(), certificates=(), policies=(), states: dict | None = None) -> bytes:
    """A ztunnel `/config_dump` body (lists, as ztunnel >= 1.22 writes its sections)."""
    return json.dumps({
        "workloads": list(workloads), "services": list(services), "policies": list(policies),
        "certificates": list(certificates), "workloadState": states or {},
        "config": {"proxyMode": "Shared", "clusterId": "Kubernetes", "network": ""},
    }, indent=2).encode()  # fmt: skip


def curl_in_shell(admin: ZtunnelAdmin):
    """An exec handler for ``sh -c 'exec curl ... "http://localhost:PORT/$0"' PATH`` in a ztunnel
    debug image: answers from `admin` as curl --fail-with-body does (exit 22 on HTTP >= 400).

    Register it only for debug images: the default distroless ztunnel has no sh (the fake then
    fails as containerd does for a missing binary)."""
    from .exec import ExecResult

    def handler(req) -> ExecResult:
        if len(req.argv) != 4 or "curl" not in req.argv[2] or "/$0" not in req.argv[2]:
            return ExecResult(stderr=f"sh: unexpected command {req.argv!r}\n", exit_code=2)
        code, body = admin.answer("GET", "/" + req.argv[3].lstrip("/"))
        if code >= 400:
            return ExecResult(stdout=body, stderr=f"curl: (22) The requested URL returned error: {code}\n", exit_code=22)
        return ExecResult(stdout=body)

    return handler
