"""A two-proxy mesh on this machine: client sidecars calling a server sidecar over mTLS.

    with Mesh.start() as mesh:
        mesh.server.admin_url                 # httpbin's sidecar (RBAC, inbound routes)
        mesh.clients["sleep"].admin_url       # a client sidecar (outbound routes)
        mesh.send("sleep", "GET", "/get")     # -> Response(status, app, request_id)

Three real Envoys (meshctl.sandbox.rig, one control plane and SDS agent each, one test CA for all),
a backend app, and one loopback IP per workload (127.0.10.0/24) so that each client's connections
come from its own "pod IP". Two clients with different SPIFFE identities and namespaces (sleep in
foo, curl in bar) call httpbin in foo, whose sidecar enforces Istio-shaped AuthorizationPolicies
(meshctl.sandbox.mesh_resources). Each proxy writes a JSON access log (response code, upstream
cluster, flags) in its run directory.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from meshctl.errors import SourceError
from meshctl.sandbox import mesh_resources
from meshctl.sandbox.bootstrap import Workload
from meshctl.sandbox.mesh_resources import ACCESS_LOG, Layout, Party

SERVER = Party("httpbin", "foo", "httpbin", "127.0.10.2")
APP = Party("httpbin-app", "foo", "httpbin", "127.0.10.3")
CLIENTS = (Party("sleep", "foo", "sleep", "127.0.10.4"), Party("curl", "bar", "curl", "127.0.10.5"))
_ATTEMPTS = 3
REQUEST_ID_HEADER = "x-meshctl-request"  # the access logs key their lines by it
APP_HEADER = "x-app"  # set by the backend app only: tells its answers from Envoy's


class _PortTaken(Exception):
    """An Envoy could not bind a port chosen for it (taken in the meantime)."""


@dataclass(frozen=True)
class Response:
    """What the client app got back."""

    status: int
    app: bool  # the backend app answered (not an Envoy local reply)
    request_id: str


class _App(BaseHTTPRequestHandler):
    """The backend: 200 for every method and path, with x-app so a test can tell it answered."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        self.send_response(200)
        self.send_header(APP_HEADER, "backend")
        self.send_header("content-length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _answer

    def log_message(self, *args) -> None:  # quiet: the proxies' access logs tell the story
        pass


class Mesh:
    """A running mesh; create it with ``Mesh.start()``."""

    def __init__(self, layout: Layout, run_dir: Path) -> None:
        self.layout = layout
        self.run_dir = run_dir
        self.server = None  # Rig of httpbin's sidecar
        self.clients: dict[str, object] = {}  # client name -> Rig
        self.ports: dict[str, int] = {}  # client name -> its service port (outbound listener)
        self._counter = 0
        self._lock = threading.Lock()

    @classmethod
    @contextmanager
    def start(cls, run_dir: str | None = None, *, max_seconds: float | None = None, ready_timeout: float = 30.0, free_port=None):
        """Start the app, the server sidecar and the client sidecars; stop them all on exit.

        The ports are chosen free (`free_port(host)`, default: ask the kernel), then bound by Envoy
        a moment later: when another process takes one in between (a busy machine), the mesh
        starts again on new ports, up to three times.
        """
        from meshctl.sandbox.rig import _free_port

        free_port = free_port or _free_port
        base = Path(run_dir).resolve() if run_dir else Path(tempfile.mkdtemp(prefix="meshctl-mesh-"))
        with ExitStack() as outer:
            if run_dir is None:
                outer.callback(shutil.rmtree, base, True)
            for attempt in range(_ATTEMPTS):
                stack = ExitStack()
                try:
                    mesh = cls._launch(stack, base / f"try{attempt}" if attempt else base, max_seconds, ready_timeout, free_port)
                except _PortTaken as taken:
                    stack.close()
                    if attempt == _ATTEMPTS - 1:
                        raise SourceError(f"the mesh did not come up: {taken}") from None
                    continue
                except BaseException:
                    stack.close()
                    raise
                with stack:
                    yield mesh
                return

    @classmethod
    def _launch(cls, stack: ExitStack, base: Path, max_seconds: float | None, ready_timeout: float, free_port) -> Mesh:
        from meshctl.sandbox.certs import TestCA
        from meshctl.sandbox.rig import Rig

        app = _serve_app(APP.ip)
        stack.callback(app.server_close)
        stack.callback(app.shutdown)
        layout = Layout(SERVER, free_port(SERVER.ip), APP, app.server_address[1],
                        tuple((client, free_port("0.0.0.0")) for client in CLIENTS), free_port(SERVER.ip))  # fmt: skip
        mesh = cls(layout, base)
        ca = TestCA()
        mesh.server = stack.enter_context(Rig.start(
            base / SERVER.name, workload=workload_of(SERVER), served=mesh_resources.server_resources(layout), ca=ca,
            max_seconds=max_seconds, ready_timeout=ready_timeout))  # fmt: skip
        for client, port in layout.clients:
            mesh.clients[client.name] = stack.enter_context(Rig.start(
                base / client.name, workload=workload_of(client), served=mesh_resources.client_resources(layout, client, port), ca=ca,
                max_seconds=max_seconds, ready_timeout=ready_timeout))  # fmt: skip
            mesh.ports[client.name] = port
        mesh._wait_ready(time.monotonic() + ready_timeout)
        return mesh

    # -- facts ------------------------------------------------------------------------------------

    @property
    def nacks(self) -> list[str]:
        """Configs any of the proxies rejected (stays empty: the mesh's resources are valid)."""
        return [nack for rig in (self.server, *self.clients.values()) for nack in rig.nacks]

    def client_party(self, name: str) -> Party:
        """The identity and IP of client `name`."""
        return next(client for client, _ in self.layout.clients if client.name == name)

    # -- traffic ----------------------------------------------------------------------------------

    def send(self, client: str, method: str, path: str, headers: list[tuple[str, str]] | None = None, *,
             authority: str | None = None, timeout: float = 10.0) -> Response:  # fmt: skip
        """Send one request as `client`'s app would (to its sidecar's outbound listener)."""
        import http.client

        with self._lock:
            self._counter += 1
            request_id = f"r{self._counter}"
        port = self.ports[client]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("host", authority or f"httpbin:{port}")
            for name, value in headers or []:
                connection.putheader(name, value)
            connection.putheader(REQUEST_ID_HEADER, request_id)
            connection.endheaders()
            response = connection.getresponse()
            response.read()
            return Response(response.status, response.getheader(APP_HEADER) == "backend", request_id)
        finally:
            connection.close()

    def access_log(self, rig, *, wait_for: set[str] = frozenset(), timeout: float = 10.0) -> dict[str, dict]:
        """The JSON access-log lines of one proxy by request id; waits until `wait_for` are in
        (Envoy flushes its log files once a second)."""
        path = Path(rig.run_dir) / ACCESS_LOG
        deadline = time.monotonic() + timeout
        while True:
            lines = {}
            if path.exists():
                for line in path.read_text(errors="replace").splitlines():
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    lines[str(entry.get("id"))] = entry
            if wait_for <= lines.keys() or time.monotonic() > deadline:
                return lines
            time.sleep(0.2)

    def _wait_ready(self, deadline: float) -> None:
        """Until every client can reach the server through its outbound listener (SDS, listeners)."""
        import http.client

        for name, port in self.ports.items():
            while True:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    connection.request("GET", "/healthz/dst", headers={"host": f"httpbin:{port}"})
                    status = connection.getresponse().status
                    connection.close()
                    if status in (204, 403):  # answered by the server sidecar (or its RBAC)
                        break
                except OSError:
                    pass
                nacks = self.nacks
                if any("bind" in nack or "in use" in nack for nack in nacks):
                    raise _PortTaken("; ".join(nacks))
                if time.monotonic() > deadline:
                    why = f"; rejected config: {'; '.join(nacks)}" if nacks else f"; see the Envoy logs under {self.run_dir}"
                    raise SourceError(f"the mesh did not come up: client {name} cannot reach the server sidecar{why}")
                time.sleep(0.05)


def workload_of(party: Party) -> Workload:
    """The rig's Workload (pod, identity, IP) for a party of the mesh."""
    return Workload(pod=f"{party.name}-6d8f7b9c5-x2v4p", namespace=party.namespace, service_account=party.service_account,
                    ip=party.ip, labels={"app": party.name, "version": "v1"})  # fmt: skip


def _serve_app(ip: str) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((ip, 0), _App)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="meshctl-mesh-app", daemon=True).start()
    return server
