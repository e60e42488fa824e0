"""FakeKube: a local Kubernetes API server over real HTTP for tests and benchmarks.

Serves discovery, GET/LIST with label and field selectors, Status errors (401/403/404/400),
exec over websocket (v5/v4.channel.k8s.io) and port-forward (the python client's websocket
protocol, and kubectl's SPDY, tunnelled over websocket or plain) bridged to real TCP ports.
Runs in a daemon thread; `with FakeKube() as kube:` bounds its lifetime.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from . import resources, status
from .crds import DEFAULT_CRDS
from .exec import ExecHandler, ExecRegistry, cat_files, is_true, pilot_agent_request, serve_exec
from .portforward import PortForwardRegistry, serve_websocket_portforward, shutdown_quietly
from .selectors import SelectorError, field_selector, label_selector
from .spdy import TUNNEL_PROTOCOL, serve_spdy_exec, serve_spdy_portforward
from .store import Store
from .table import custom_table, pod_table, wants_table
from .websocket import WebSocket, handshake_response


@dataclass
class RequestRecord:
    """One request as the fake saw it (for assertions and benchmark accounting)."""

    method: str
    path: str
    query: dict[str, list[str]]
    verb: str = ""  # get | list | create (exec/portforward) | discovery
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    user: str = ""
    code: int = 0
    protocol: str = ""  # negotiated websocket/SPDY sub-protocol for exec and port-forward


@dataclass(frozen=True)
class Denial:
    verb: str
    resource: str  # "pods" or "pods/exec"
    namespace: str | None
    name: str | None

    def matches(self, verb: str, resource: str, namespace: str, name: str) -> bool:
        return (
            self.verb in (verb, "*")
            and self.resource in (resource, "*")
            and (self.namespace is None or self.namespace == namespace)
            and (self.name is None or self.name == name)
        )


@dataclass
class _Route:
    rtype: resources.ResourceType
    namespace: str  # "" = all namespaces / cluster scope
    name: str
    subresource: str


class FakeKube:
    """A fake Kubernetes API server on 127.0.0.1 speaking real HTTP.

    Attributes you may set at any time: `latency` (seconds slept before answering each request,
    websocket/SPDY upgrades included), `user` (the name RBAC messages quote; an `Impersonate-User`
    header, i.e. `--as`, overrides it), `token` (when set, requests need `Authorization: Bearer
    <token>` or get 401). `tls=True` serves HTTPS with a throwaway CA written into the kubeconfig:
    client-go (kubectl) sends bearer tokens only over TLS.

    Exec: websocket v5/v4.channel.k8s.io and SPDY v4.channel.k8s.io. Port-forward: the python
    client's websocket protocol, and kubectl's SPDY (tunnelled in websocket, or plain). Frames are
    cut at 32 KiB as the kubelet does, so client-side costs per frame show up as in a cluster.
    A command's output starts `execs.start_seconds` (0.1) after the upgrade, as a runtime starting
    the process takes that long and kubectl's websocket client relies on it (exec.PROCESS_START_SECONDS).
    `kubectl get pods` gets a server-side Table (READY/STATUS/RESTARTS/AGE) as from a real server.
    Custom resources: storing a CustomResourceDefinition serves its kind at every served version
    (discovery, get, list with selectors, Tables from its printer columns), as kube-apiserver does.
    The Istio and Gateway API CRDs (crds.DEFAULT_CRDS) are installed unless `crds=()` is passed.
    Not served: writes (POST/PUT/PATCH/DELETE answer 405), watch (400), logs, attach.

    Typical use::

        with FakeKube() as kube:
            kube.add(istio_pod("reviews-v1-abc", "default"))
            kube.add(custom_object("networking.istio.io/v1", "VirtualService", "reviews", spec={...}))
            kube.on_exec(["pilot-agent", "request", "GET"], pilot_agent_request(admin_url))
            kube.forward_port(15000, ("127.0.0.1", envoy_admin_port))
            kube.deny("list", "pods", namespace="kube-system")
            ...  # point clients at kube.url / kube.kubeconfig_path
            assert kube.requests_for(verb="list", resource="pods")
    """

    starts = 0  # start() calls in this process: tests/suite_rules.py checks the `kube` marker with it

    def __init__(self, *, latency: float = 0.0, user: str = "kubernetes-admin", token: str | None = None,
                 tls: bool = False, workdir: str | Path | None = None, context: str = "fake",
                 namespace: str = "default", crds: Sequence[dict] = DEFAULT_CRDS, client_ca: bytes | None = None):
        self.latency = latency
        self.tls = tls
        # with tls: clients must show a certificate this CA (PEM) signed, as an API server with --client-ca-file
        self.client_ca = client_ca
        # Like a >= 1.30 server; False answers only the legacy per-group documents (older servers).
        self.aggregated_discovery = True
        self.ca_pem: bytes | None = None
        self.user = user
        self.token = token
        self.context = context
        self.default_namespace = namespace
        self.store = Store()
        self.add(*crds)
        self.execs = ExecRegistry()
        self.forwards = PortForwardRegistry()
        self.requests: list[RequestRecord] = []
        self._denials: list[Denial] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._workdir = Path(workdir) if workdir else None
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        self.kubeconfig_path: Path | None = None

    # ---- lifetime -------------------------------------------------------------------------
    def start(self) -> FakeKube:
        """Bind a free port on 127.0.0.1, write the kubeconfig, and serve in a daemon thread."""
        FakeKube.starts += 1
        if self._workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="fakekube-")
            self._workdir = Path(self._tmp.name)
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        if self.tls:
            from .tls import make_server_context

            context, self.ca_pem = make_server_context(self._workdir)
            if self.client_ca:
                context.verify_mode = ssl.CERT_REQUIRED
                context.load_verify_locations(cadata=self.client_ca.decode())
            # Handshake in the handler thread (first read), not in the accept loop.
            server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fakekube", daemon=True)
        self._thread.start()
        self.kubeconfig_path = self._workdir / "kubeconfig"
        self.kubeconfig_path.write_text(self.kubeconfig())
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections (websocket sessions end) and remove temporary files."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._conn_lock:
            conns = list(self._connections)
        for conn in conns:
            shutdown_quietly(conn)
        self.forwards.close_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> FakeKube:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "FakeKube not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment for a subprocess (meshctl, kubectl) that should talk to this server."""
        return {"KUBECONFIG": str(self.kubeconfig_path)}

    def kubeconfig(self, *, extra_contexts: Sequence[str] = ()) -> str:
        """A kubeconfig (YAML is a JSON superset, so JSON it is) with context `self.context` -> this server."""
        user: dict = {"token": self.token} if self.token else {}
        cluster: dict = {"server": self.url}
        if self.ca_pem:
            cluster["certificate-authority-data"] = base64.b64encode(self.ca_pem).decode()
        contexts = [{"name": name, "context": {"cluster": "fake", "user": "fake-user",
                                                "namespace": self.default_namespace}}
                    for name in (self.context, *extra_contexts)]
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": cluster}],
            "users": [{"name": "fake-user", "user": user}],
            "contexts": contexts,
            "current-context": self.context,
            "preferences": {},
        }
        return json.dumps(config, indent=2)

    # ---- state ----------------------------------------------------------------------------
    def add(self, *objects: dict) -> dict:
        """Store objects of any served kind (resources.BUILTIN_TYPES, or the kinds of stored CRDs; a CRD
        itself makes its kind served). Returns the last one as stored."""
        stored = {}
        for obj in objects:
            stored = self.store.add(obj)
        return stored

    def remove(self, resource: str, name: str, namespace: str = "") -> None:
        """Delete an object; `resource` is a plural, or `plural.group` where groups share it (`gateways`)."""
        self.store.remove(resource, name, namespace)

    def deny(self, verb: str, resource: str, *, namespace: str | None = None, name: str | None = None) -> None:
        """Answer 403 Forbidden for `verb` on `resource` ("pods", "pods/exec", "*"), optionally scoped.

        Exec and port-forward are checked as verb "create" on pods/exec and pods/portforward (the
        websocket upgrade check of Kubernetes >= 1.31).
        """
        self._denials.append(Denial(verb, resource, namespace, name))

    def allow_all(self) -> None:
        self._denials.clear()

    def on_exec(self, argv_prefix: Sequence[str], handler: ExecHandler | bytes | str, *, pod: str | None = None,
                namespace: str | None = None, container: str | None = None) -> None:
        """Register what a command answers; the longest matching argv prefix wins.

        `handler(req: ExecRequest) -> ExecResult | bytes | str` (bytes/str = stdout, exit 0), or the
        bytes/str itself. Unregistered commands fail as containerd does for a missing binary.
        """
        self.execs.register(argv_prefix, handler, pod=pod, namespace=namespace, container=container)

    def back_sidecar(self, admin: tuple[str, int], *, run_dir: str | Path | None = None, pod: str | None = None,
                     namespace: str | None = None, admin_port: int = 15000) -> None:
        """Make pods' `istio-proxy` answer like a sidecar whose Envoy admin listens at `admin`:
        port-forward to `admin_port` reaches it, `pilot-agent request GET <path>` fetches from it, and
        (with `run_dir`, e.g. the Envoy rig's) `cat /etc/istio/proxy/envoy-rev.json` reads its files."""
        host, port = admin
        self.forward_port(admin_port, (host, port), pod=pod, namespace=namespace)
        self.on_exec(["pilot-agent", "request"], pilot_agent_request(f"http://{host}:{port}"), pod=pod,
                     namespace=namespace, container="istio-proxy")
        if run_dir is not None:
            self.on_exec(["cat"], cat_files(run_dir), pod=pod, namespace=namespace, container="istio-proxy")

    def forward_port(self, port: int, target: tuple[str, int] | Callable[[], tuple[str, int]], *,
                     pod: str | None = None, namespace: str | None = None) -> None:
        """Bridge port-forwards to the pod's `port` to a real TCP `target` (host, port)."""
        self.forwards.register(port, target, pod=pod, namespace=namespace)

    def refuse_port_forward(self, how: str = "upgrade", *, pod: str | None = None,
                            namespace: str | None = None) -> None:
        """Make port-forward fail: "upgrade" rejects the upgrade (HTTP 400, as a proxy without
        websocket/SPDY support would), "connect" accepts it but reports connection refused on the
        port's error channel (nothing listening in the pod)."""
        self.forwards.refuse(how, pod=pod, namespace=namespace)

    def get_json(self, path: str, headers: dict | None = None) -> tuple[int, dict]:
        """GET `path` over plain HTTP (no client library in between): (status code, decoded JSON body)."""
        import ssl
        import urllib.error
        import urllib.request

        context = None
        if self.tls:
            context = ssl.create_default_context(cadata=self.ca_pem.decode())
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10, context=context) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as err:
            return err.code, json.load(err)

    def requests_for(self, **fields) -> list[RequestRecord]:
        """Recorded requests whose attributes equal all `fields` (e.g. verb="list", resource="pods")."""
        return [r for r in list(self.requests) if all(getattr(r, k) == v for k, v in fields.items())]

    def clear_requests(self) -> None:
        self.requests.clear()

    # ---- request handling (called from handler threads) ------------------------------------
    def _authenticate(self, headers) -> None:
        if self.token is not None and headers.get("Authorization") != f"Bearer {self.token}":
            raise status.unauthorized()

    def _authorize(self, rec: RequestRecord, group: str) -> None:
        resource = f"{rec.resource}/{rec.subresource}" if rec.subresource else rec.resource
        for denial in list(self._denials):
            if denial.matches(rec.verb, resource, rec.namespace, rec.name):
                raise status.forbidden(rec.user, rec.verb, rec.resource, group, rec.namespace or None,
                                       rec.name or None, rec.subresource or None)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops connects under benchmark concurrency (then the
    # client's SYN retry costs a whole second).
    request_queue_size = 256
    fake: FakeKube

    def process_request(self, request, client_address):
        # Go servers (kube-apiserver) set TCP_NODELAY; without it a small websocket frame after
        # another waits for the peer's delayed ACK (40 ms per exchange).
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.fake._conn_lock:
            self.fake._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.fake._conn_lock:
            self.fake._connections.discard(request)
        super().shutdown_request(request)


def _parse_route(registry: resources.Registry, path: str) -> _Route | None:
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        return None
    rtype = registry.by_path(group, version, rest[0])
    if rtype is None:
        return None
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    return _Route(rtype, namespace, name, subresource)


def _dumps(body: dict) -> bytes:
    try:
        import orjson
    except ImportError:  # the fake also runs where only the stdlib is installed
        return json.dumps(body, separators=(",", ":")).encode()
    return orjson.dumps(body)


def _list_kind(rtype: resources.ResourceType) -> str:
    return rtype.list_kind or f"{rtype.kind}List"


def _served(obj: dict, rtype: resources.ResourceType) -> dict:
    """The object as served at the requested version: custom resources are converted (the CRDs here use
    conversion strategy None, which only rewrites apiVersion)."""
    if not rtype.custom or obj.get("apiVersion") == rtype.api_version:
        return obj
    return {**obj, "apiVersion": rtype.api_version}


def _item(obj: dict, rtype: resources.ResourceType) -> dict:
    # Items of a built-in list carry no kind/apiVersion (the list has them); custom resources, served
    # as unstructured objects, keep theirs.
    if rtype.custom:
        return _served(obj, rtype)
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "fakekube"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass  # the request log replaces stderr noise

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_PATCH(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    # -- plumbing
    def _send_json(self, code: int, body: dict, rec: RequestRecord | None = None, *,
                   content_type: str = "application/json") -> None:
        data = _dumps(body)
        if rec is not None:  # recorded before the answer leaves: a client that has it finds it in the log
            rec.code = code
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_text(self, code: int, text: str, rec: RequestRecord) -> None:
        data = text.encode()
        rec.code = code
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        fake = self.server.fake
        if fake.latency:
            time.sleep(fake.latency)
        split = urlsplit(self.path)
        query = parse_qs(split.query, keep_blank_values=True)
        user = self.headers.get("Impersonate-User") or fake.user
        rec = RequestRecord(self.command, split.path, query, user=user)
        fake.requests.append(rec)
        # Bodies are not used (the fake is read-only) but must be drained for keep-alive.
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        try:
            self._dispatch(fake, split.path.rstrip("/") or "/", query, rec)
        except status.ApiError as err:
            self._send_json(err.code, err.status, rec)
        except status.KubeletError as err:
            self._send_text(err.code, err.text, rec)

    def _dispatch(self, fake: FakeKube, path: str, query: dict, rec: RequestRecord) -> None:
        fake._authenticate(self.headers)
        if (fake.aggregated_discovery and path in ("/api", "/apis")
                and resources.wants_aggregated(self.headers.get("Accept", ""))):
            rec.verb = "discovery"
            self._send_json(200, fake.store.registry.aggregated_discovery(core=path == "/api"), rec,
                            content_type=resources.AGGREGATED_CONTENT_TYPE)
            return
        discovery = self._discovery(fake, path)
        if discovery is not None:
            rec.verb = "discovery"
            self._send_json(200, discovery, rec)
            return
        route = _parse_route(fake.store.registry, path)
        if route is None:
            raise status.not_found_path()
        rec.resource, rec.namespace, rec.name, rec.subresource = (
            route.rtype.plural, route.namespace, route.name, route.subresource)
        if route.subresource in ("exec", "attach", "portforward"):
            rec.verb = "create"
        elif self.command != "GET":
            raise status.method_not_allowed(self.command)
        elif route.name:
            rec.verb = "get"
        elif is_true(query, "watch"):
            rec.verb = "watch"
            raise status.bad_request("fakekube does not serve watch requests")
        else:
            rec.verb = "list"
        fake._authorize(rec, route.rtype.group)
        if route.subresource == "exec":
            self._exec(fake, route, query, rec)
        elif route.subresource == "portforward":
            self._portforward(fake, route, query, rec)
        elif route.subresource in ("", "status"):
            if route.name:
                obj = _served(fake.store.get(route.rtype, route.namespace, route.name), route.rtype)
                table = self._table(route.rtype, [obj], {"resourceVersion": obj["metadata"]["resourceVersion"]})
                self._send_json(200, table or obj, rec)
            else:
                self._list(fake, route, query, rec)
        else:
            raise status.not_found_path()

    def _discovery(self, fake: FakeKube, path: str) -> dict | None:
        if path == "/version":
            return resources.version_info()
        if path == "/api":
            return resources.api_versions(f"127.0.0.1:{fake.port}")
        registry = fake.store.registry
        if path == "/apis":
            return registry.api_group_list()
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "api":
            return registry.api_resource_list("", parts[1])
        if len(parts) == 2 and parts[0] == "apis":
            return registry.api_group(parts[1])
        if len(parts) == 3 and parts[0] == "apis":
            return registry.api_resource_list(parts[1], parts[2])
        return None

    def _table(self, rtype: resources.ResourceType, objects: list[dict], list_meta: dict) -> dict | None:
        """The server-side Table when the client asks for one (kubectl get) and the kind has printers."""
        if not wants_table(self.headers.get("Accept", "")):
            return None
        if rtype.custom:
            return custom_table(rtype.columns, objects, list_meta)
        if rtype.plural == "pods" and not rtype.group:
            return pod_table(objects, list_meta)
        return None

    def _list(self, fake: FakeKube, route: _Route, query: dict, rec: RequestRecord) -> None:
        rtype = route.rtype
        try:
            predicates = [label_selector(query.get("labelSelector", [""])[0]),
                          field_selector(query.get("fieldSelector", [""])[0], rtype.kind)]
        except SelectorError as err:
            raise status.bad_request(str(err)) from None
        items = [o for o in fake.store.list(rtype, route.namespace if rtype.namespaced and route.namespace else None)
                 if all(p(o) for p in predicates)]
        # Chunking (`limit` + `continue`): kubectl get asks for limit=500.
        start = 0
        if cont := query.get("continue", [""])[0]:
            start = int(base64.urlsafe_b64decode(cont.encode()).decode())
        meta: dict = {"resourceVersion": fake.store.resource_version}
        limit = int(query.get("limit", ["0"])[0] or 0)
        end = start + limit if limit else len(items)
        if end < len(items):
            meta["continue"] = base64.urlsafe_b64encode(str(end).encode()).decode()
            meta["remainingItemCount"] = len(items) - end
        if rtype.custom:
            meta = {"continue": meta.pop("continue", ""), **meta}  # unstructured lists always carry it
        body = self._table(rtype, items[start:end], meta) or {
            "kind": _list_kind(rtype), "apiVersion": rtype.api_version, "metadata": meta,
            "items": [_item(o, rtype) for o in items[start:end]]}
        self._send_json(200, body, rec)

    def _pod(self, fake: FakeKube, route: _Route) -> dict:
        if route.rtype.plural != "pods" or route.rtype.group:
            raise status.not_found_path()
        return fake.store.get(route.rtype, route.namespace, route.name)

    def _upgrade_websocket(self, offered: list[str], supported: Sequence[str], rec: RequestRecord) -> WebSocket:
        """Answer 101 with the first offered protocol we support (wsstream's rule) and wrap the socket."""
        chosen = next((p for p in offered if p in supported), None)
        if chosen is None:
            raise status.bad_request(
                f"requested protocol(s) are not supported: {offered}; supports {list(supported)}")
        rec.code, rec.protocol = 101, chosen
        self.wfile.write(handshake_response(self.headers["Sec-WebSocket-Key"], chosen))
        self.wfile.flush()
        self.close_connection = True
        return WebSocket(self.rfile, self.connection, chosen)

    def _offered_protocols(self) -> list[str]:
        header = ",".join(self.headers.get_all("Sec-WebSocket-Protocol") or [])
        return [p.strip() for p in header.split(",") if p.strip()]

    def _is_websocket(self) -> bool:
        return self.headers.get("Upgrade", "").lower() == "websocket"

    def _exec(self, fake: FakeKube, route: _Route, query: dict, rec: RequestRecord) -> None:
        pod = self._pod(fake, route)
        phase = pod.get("status", {}).get("phase", "")
        if phase in ("Succeeded", "Failed"):  # pkg/registry/core/pod/strategy.go ExecLocation
            raise status.bad_request(f"cannot exec into a container in a completed pod; current phase is {phase}")
        container = _pick_container(pod, query.get("container", [""])[0])
        argv = query.get("command", [])
        if not argv:
            raise status.bad_request("you must specify at least 1 command")
        if not _running(pod, container):
            raise status.container_not_running(container)
        if self._is_websocket():
            ws = self._upgrade_websocket(self._offered_protocols(), ("v5.channel.k8s.io", "v4.channel.k8s.io"), rec)
            serve_exec(ws, fake.execs, pod, container, argv, query)
            return
        self._upgrade_spdy(("v4.channel.k8s.io",), rec)
        serve_spdy_exec((self.rfile, self.connection), fake.execs, pod, container, argv, query)

    def _portforward(self, fake: FakeKube, route: _Route, query: dict, rec: RequestRecord) -> None:

        pod = self._pod(fake, route)
        if fake.forwards.refusal(pod) == "upgrade":
            raise status.bad_request("Upgrade request required")
        if self._is_websocket():
            offered = self._offered_protocols()
            if TUNNEL_PROTOCOL in offered:
                ws = self._upgrade_websocket(offered, (TUNNEL_PROTOCOL,), rec)
                serve_spdy_portforward(ws, fake.forwards, pod)
                return
            ws = self._upgrade_websocket(offered, ("v4.channel.k8s.io", "portforward.k8s.io"), rec)
            ports = [int(p) for value in query.get("ports", []) for p in value.split(",") if p]
            if not ports:
                ws.close()
                return
            serve_websocket_portforward(ws, fake.forwards, pod, ports)
            return
        self._upgrade_spdy(("portforward.k8s.io",), rec)
        serve_spdy_portforward((self.rfile, self.connection), fake.forwards, pod)

    def _upgrade_spdy(self, supported: Sequence[str], rec: RequestRecord) -> None:
        """Answer 101 to `Upgrade: SPDY/3.1`, choosing the first offered X-Stream-Protocol-Version we support
        (apimachinery util/httpstream Handshake)."""
        if not self.headers.get("Upgrade", "").lower().startswith("spdy/3.1"):
            raise status.bad_request("Upgrade request required")
        offered = [p.strip() for value in self.headers.get_all("X-Stream-Protocol-Version") or []
                   for p in value.split(",") if p.strip()]
        chosen = next((p for p in offered if p in supported), None)
        if chosen is None:
            raise status.protocol_mismatch(offered, supported)
        rec.code, rec.protocol = 101, f"SPDY/3.1 {chosen}"
        self.wfile.write(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
                         b"X-Stream-Protocol-Version: " + chosen.encode() + b"\r\n\r\n")
        self.wfile.flush()
        self.close_connection = True


def _running(pod: dict, container: str) -> bool:
    statuses = pod.get("status", {}).get("containerStatuses") or []
    return any(cs.get("name") == container and "running" in (cs.get("state") or {}) for cs in statuses)


def _pick_container(pod: dict, requested: str) -> str:
    """The exec REST storage's rule (pkg/registry/core/pod/strategy.go streamLocation)."""
    names = [c["name"] for c in pod.get("spec", {}).get("containers", [])]
    name = pod["metadata"]["name"]
    if not requested:
        if len(names) == 1:
            return names[0]
        raise status.bad_request(f"a container name must be specified for pod {name}, choose one of: {names}")
    init_names = [c["name"] for c in pod.get("spec", {}).get("initContainers", [])]
    if requested not in names and requested not in init_names:
        raise status.bad_request(f"container {requested} is not valid for pod {name}")
    return requested

