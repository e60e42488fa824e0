"""Kubernetes API access: kubeconfig, pod resolution, exec, and the port-forward websocket.

The kubeconfig is read by `meshctl.sources.kubeconfig` and requests go over the standard library
(`meshctl.sources.kubehttp`; a port-forward's websocket on the same connection, `meshctl.sources.kubews`)
and websocket-client (exec): the official ``kubernetes`` client costs ~0.5 s
to import, several times `kubectl get pod` (it is still used for auth-provider users, and for
the local listener of `port_forward`). Objects are read as plain JSON dicts: meshctl must keep
working against any API server version.

Every failure becomes a one-line :class:`SourceError` (exit 69) that names what was asked for:
the pod, the verb/resource RBAC denied, the context, the API server address.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from meshctl.errors import SourceError, UsageError
from meshctl.errors import short_reason as _short
from meshctl.model.ambient import is_ztunnel_pod
from meshctl.model.options import KubeOptions
from meshctl.model.pods import PROXY_CONTAINER, PodEndpoint, pod_key, proxy_container, request_argv
from meshctl.model.refs import PodRef
from meshctl.sources.base import Notify, PodAnswer
from meshctl.sources.deadline import Deadline, shut

# istioctl uses 15 s, which cuts off config dumps of big meshes (150 MB through an API server
# proxy at a few MB/s takes over a minute). 120 s still ends a hung call well within a CI step.
DEFAULT_REQUEST_TIMEOUT = 120.0
# Connecting is separate and short, so that an unreachable API server fails fast.
CONNECT_TIMEOUT = 10.0
_USER_AGENT = "meshctl"
# Offered for exec and port-forward upgrades, newest first, as kubectl offers them.
_STREAM_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"]

# kind -> (API path prefix, plural) for the workloads a PodRef can name.
_WORKLOAD_PATHS = {
    "deployment": ("/apis/apps/v1", "deployments"),
    "statefulset": ("/apis/apps/v1", "statefulsets"),
    "daemonset": ("/apis/apps/v1", "daemonsets"),
    "replicaset": ("/apis/apps/v1", "replicasets"),
    "replicationcontroller": ("/api/v1", "replicationcontrollers"),
    "job": ("/apis/batch/v1", "jobs"),
    "service": ("/api/v1", "services"),
}


def parse_timeout(text: str | float | None) -> float:
    """kubectl --request-timeout: ``30``, ``30s``, ``2m``, ``1h`` (or seconds as a number); ``0`` means the default.

    Raises:
        UsageError: not a duration.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool) and text > 0:
        return float(text)
    if text is None or str(text).strip() in ("", "0"):
        return DEFAULT_REQUEST_TIMEOUT
    text = str(text).strip()
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    for suffix in ("ms", "s", "m", "h"):
        if text.endswith(suffix):
            number, scale = text[: -len(suffix)], units[suffix]
            break
    else:
        number, scale = text, 1.0
    try:
        seconds = float(number) * scale
    except ValueError:
        raise UsageError(f"invalid --request-timeout {text!r}: use a duration such as 30s, 2m or 1h") from None
    if seconds <= 0:
        raise UsageError(f"invalid --request-timeout {text!r}: must be positive")
    return seconds


def connect(options: KubeOptions | dict) -> KubeClient:
    """The live cluster for these options (a dict of KubeOptions fields is accepted too).

    Commands do not call this: `meshctl.sources.select.open_cluster` (through `Env.cluster()`)
    chooses between the live cluster and a snapshot.
    """
    if isinstance(options, dict):
        options = KubeOptions(**{key: value for key, value in options.items() if key in KubeOptions._fields})
    return KubeClient(options)


class ExecFailed(SourceError):
    """A command run in a container failed (or could not be started)."""


class KubeClient:
    """A connection to one API server as one user, as kubectl would make it from the same flags.

    The live `meshctl.sources.base.ClusterAccess`.
    """

    def __init__(self, options: KubeOptions) -> None:
        from meshctl.model.limits import BODY_FLAG, DEFAULT_MAX_BODY, parse_size

        self.options = options
        self.timeout = parse_timeout(options.request_timeout)
        self.max_body = parse_size(options.max_body_size, DEFAULT_MAX_BODY, BODY_FLAG)
        from meshctl.model.urls import without_userinfo
        from meshctl.sources.kubeconfig import load
        from meshctl.sources.kubehttp import Connections

        self._config = load(options)
        self._http = Connections(self._config, CONNECT_TIMEOUT)
        self.context_namespace = self._config.namespace
        self.context = self._config.context  # the kubeconfig context in use ("" in-cluster)
        # a kubeconfig server URL may hold credentials: they are never printed nor stored (snapshots)
        self.server = without_userinfo(self._config.server)

    @property
    def namespace(self) -> str:
        """-n, else the context's namespace, else "default" (kubectl's rule)."""
        return self.options.namespace or self.context_namespace or "default"

    # -- plain API reads -------------------------------------------------------------------

    def get(
        self, path: str, *, verb: str, resource: str, namespace: str = "", query: list | None = None, not_found: str = ""
    ) -> dict:
        """GET an API path and return the JSON object; errors name `verb` `resource` (404: `not_found`)."""
        from urllib.parse import urlencode

        from meshctl.sources.http11 import HTTPException

        target = self._config.base_path + path + (f"?{urlencode(query)}" if query else "")
        headers = {"Accept": "application/json", "User-Agent": _USER_AGENT, **self._config.headers}
        deadline = Deadline(self.timeout)
        try:
            # one wall clock from connect to the body's last byte: the connections `watch` their sockets
            # (meshctl.sources.kubehttp), so the watchdog can shut one still in its TLS handshake or headers
            with deadline.guard():
                response = self._http.get(target, headers, self.timeout)
                data = _read_limited(response, self.max_body, f"the API server's answer to {verb} {resource}")
            if deadline.fired:
                raise TimeoutError
        except (HTTPException, OSError) as exc:
            self._http.discard()
            if deadline.fired or isinstance(exc, TimeoutError):
                raise SourceError(f"the API server at {self.server} did not answer {verb} {resource} within {self.timeout:g}s (--request-timeout)") from None
            raise SourceError(f"cannot reach the API server at {self.server}: {_short(exc)}") from None
        except Exception:
            # a body refused part-way (LimitExceeded, past --max-body-size) is still on the connection:
            # kept alive, the next request on it (a port-forward's upgrade) would read it as its answer
            self._http.discard()
            raise
        if response.status == 404 and not_found:
            raise SourceError(not_found)
        if not 200 <= response.status <= 299:
            raise self._api_error(response.status, data, verb, resource, namespace)
        try:
            return json.loads(data)
        except ValueError:
            raise SourceError(f"the API server at {self.server} answered {path} with non-JSON data") from None

    def _api_error(self, status: int | None, body: Any, verb: str, resource: str, namespace: str) -> SourceError:
        message = status_message(body)
        where = f" in namespace {namespace}" if namespace else ""
        if status == 403:
            return SourceError(f"RBAC denied: cannot {verb} {resource}{where}: {message or 'forbidden'}")
        if status == 401:
            return SourceError(f"unauthorized: the API server at {self.server} rejected the credentials ({message or 'Unauthorized'})")
        if status == 404:
            return SourceError(f"{resource} not found{where}" + (f" ({message})" if message else ""))
        return SourceError(f"cannot {verb} {resource}{where}: HTTP {status}" + (f": {message}" if message else ""))

    def read(self, kind_path: str, plural: str, name: str, namespace: str) -> dict:
        """One object; a 404 is ``<kind> NAME not found [in namespace NS]``."""
        path = f"{kind_path}/namespaces/{namespace}/{plural}/{name}" if namespace else f"{kind_path}/{plural}/{name}"
        where = f" in namespace {namespace}" if namespace else ""
        return self.get(path, verb="get", resource=plural, namespace=namespace, not_found=f"{plural[:-1]} {name} not found{where}")

    def list(self, kind_path: str, plural: str, namespace: str = "", label_selector: str = "") -> list[dict]:
        """The items of a list (all namespaces when `namespace` is ""), filtered by `label_selector`."""
        path = f"{kind_path}/namespaces/{namespace}/{plural}" if namespace else f"{kind_path}/{plural}"
        query = [("labelSelector", label_selector)] if label_selector else []
        return self.get(path, verb="list", resource=plural, namespace=namespace, query=query).get("items") or []

    # -- pods ------------------------------------------------------------------------------

    def read_object(self, ref: PodRef) -> dict:
        """The object `ref` names as it is: the pod, or the workload (deployment, service, ...) itself."""
        prefix, plural = ("/api/v1", "pods") if ref.kind == "pod" else _WORKLOAD_PATHS[ref.kind]
        return self.read(prefix, plural, ref.name, ref.namespace)

    def resolve_pod(self, ref: PodRef) -> dict:
        """The pod object `ref` names; a workload resolves to its best pod (kubectl's choice)."""
        workload = self.read_object(ref)
        if ref.kind == "pod":
            return workload
        from meshctl.model.labels import LabelSelector  # (a pod named as such needs no selector: ~1.5 ms of dataclasses)

        spec = workload.get("spec") or {}
        if ref.kind in ("service", "replicationcontroller"):
            selector = LabelSelector.from_map(spec.get("selector") or {})
        else:
            selector = LabelSelector.from_dict(spec.get("selector"))
        if selector.is_empty():
            raise SourceError(f"{ref.kind} {ref.name} in namespace {ref.namespace} has no pod selector")
        pods = self.list("/api/v1", "pods", ref.namespace, str(selector))
        if not pods:
            raise SourceError(f"{ref.kind} {ref.name} in namespace {ref.namespace} selects no pods (selector {selector})")
        return min(pods, key=_pod_preference)

    def require_proxy(self, pod: dict) -> dict:
        """The pod's istio-proxy container spec (a regular or a native sidecar init container)."""
        container = proxy_container(pod)
        if container is not None and is_ztunnel_pod(pod):
            raise SourceError(f"pod {pod_key(pod)} is a ztunnel, not a sidecar: read it with `meshctl ztunnel-config`")
        if container is not None:
            return container
        spec = pod.get("spec") or {}
        containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
        meta = pod.get("metadata") or {}
        names = ", ".join(c.get("name", "?") for c in containers) or "none"
        raise SourceError(
            f"pod {meta.get('name')} in namespace {meta.get('namespace')} has no {PROXY_CONTAINER} container "
            f"(containers: {names}); is it injected?"
        )

    # -- exec and port-forward (websocket) ----------------------------------------------------

    def open_stream(self, pod: dict, subresource: str, query: list, what: str):
        """Open a pod's portforward (or exec) websocket on the API connection (`meshctl.sources.kubews`:
        the GET of the pod and its port-forward share one TCP connection and TLS handshake), the
        upgrade within --request-timeout from connect to its answer.

        Raises:
            SourceError: RBAC denied ``create pods/<subresource>``, or the API server unreachable (`what` first).
        """
        from meshctl.sources.http11 import HTTPException
        from meshctl.sources.kubews import UpgradeRefused

        target, headers = self._stream_request(pod, subresource, query)
        headers = {"User-Agent": _USER_AGENT, **headers}
        deadline = Deadline(self.timeout)
        try:
            # the connection `watch`es its socket (a new one from connect, TLS handshake included)
            with deadline.guard():
                socket = self._http.upgrade(target, headers, _STREAM_PROTOCOLS, self.timeout)
            if deadline.fired:
                socket.shutdown()
                raise TimeoutError
        except UpgradeRefused as exc:
            raise SourceError(str(self._api_error(exc.status, exc.body, "create", f"pods/{subresource}", _pod_name(pod)[1]))) from None
        except (OSError, ValueError, HTTPException) as exc:
            self._http.discard()  # a connection that failed in connect or TLS is not kept
            raise self._stream_error(what, exc, deadline) from None
        return socket

    def open_websocket(self, pod: dict, subresource: str, query: list, what: str, deadline: Deadline | None = None):
        """Open a pod's exec/portforward websocket (channel.k8s.io) with websocket-client, on a
        connection of its own, as kubectl would, within `deadline` (default: --request-timeout from
        now; a TLS handshake is bounded per read, CONNECT_TIMEOUT). For exec, and the kubernetes
        client's PortForward (`port_forward`); HTTP over a port-forward uses `open_stream`.

        Opened here rather than by kubernetes.stream.ws_client.create_websocket, which forwards
        only the Authorization header (so --as would silently run as the real user) and hides the
        handshake's HTTP status inside ApiException(status=0).

        Raises:
            SourceError: RBAC denied ``create pods/<subresource>``, or the API server unreachable (`what` first).
        """
        from websocket import WebSocket, WebSocketBadStatusException, WebSocketException

        config = self._config
        target, headers = self._stream_request(pod, subresource, query)
        scheme = "wss" if self._http.https else "ws"
        host = f"[{config.host}]" if ":" in config.host else config.host
        url = f"{scheme}://{host}:{config.port}{target}"
        header = [f"sec-websocket-protocol: {','.join(_STREAM_PROTOCOLS)}"]
        header += [f"{key}: {value}" for key, value in headers.items()]
        sslopt = {"context": config.ssl_context, "server_hostname": config.tls_server_name or config.host} if self._http.https else {}
        options = {"header": header, "timeout": CONNECT_TIMEOUT}
        if self._http.proxy:
            options.update(http_proxy_host=self._http.proxy[0], http_proxy_port=self._http.proxy[1], proxy_type="http",
                           http_proxy_auth=self._http.proxy_auth)  # fmt: skip
        socket = WebSocket(sslopt=sslopt, skip_utf8_validation=False)
        deadline = deadline or Deadline(self.timeout)
        try:
            # the upgrade's answer is read by websocket-client: the watchdog shuts its socket once it
            # exists (websocket-client makes it inside connect; the guard fires again until the block ends)
            with deadline.guard(shut(lambda: socket.sock)):
                socket.connect(url, **options)
            if deadline.fired:
                raise TimeoutError
        except WebSocketBadStatusException as exc:
            resource = f"pods/{subresource}"
            raise SourceError(str(self._api_error(exc.status_code, exc.resp_body, "create", resource, _pod_name(pod)[1]))) from None
        except (WebSocketException, OSError) as exc:
            socket.shutdown()
            raise self._stream_error(what, exc, deadline) from None
        return socket

    def _stream_request(self, pod: dict, subresource: str, query: list) -> tuple[str, dict[str, str]]:
        """The target (path and query) of a pod's exec/portforward upgrade, and the kubeconfig's headers."""
        from urllib.parse import urlencode

        name, namespace = _pod_name(pod)
        path = f"{self._config.base_path}/api/v1/namespaces/{quote(namespace)}/pods/{quote(name)}/{subresource}"
        return f"{path}?{urlencode(query, doseq=True)}", dict(self._config.headers)

    def _stream_error(self, what: str, exc: BaseException, deadline: Deadline) -> SourceError:
        """A failed upgrade as one line: no answer in time, or the API server unreachable."""
        if deadline.fired or isinstance(exc, TimeoutError):
            return SourceError(f"{what}: the API server at {self.server} did not answer within {self.timeout:g}s (--request-timeout)")
        return SourceError(f"{what}: cannot reach the API server at {self.server}: {_short(exc)}")

    def exec_in(self, pod: dict, container: str, argv: list[str]) -> bytes:
        """Run `argv` in `container` of `pod`; return its stdout.

        Raises:
            ExecFailed: the exec was refused, timed out, or the command exited non-zero (with stderr).
        """
        from meshctl.model.limits import LimitExceeded

        name, namespace = _pod_name(pod)
        what = f"exec {' '.join(argv[:3])} in {name}.{namespace}/{container}"
        query = [("command", list(argv)), ("container", container), ("stderr", "true"), ("stdin", "false"),
                 ("stdout", "true"), ("tty", "false")]  # fmt: skip
        deadline = Deadline(self.timeout)  # the whole exec: the upgrade, then the command's output
        try:
            socket = self.open_websocket(pod, "exec", query, what, deadline)
        except SourceError as exc:
            raise ExecFailed(str(exc)) from None
        _bound_frames(socket)
        try:
            with deadline.guard(shut(socket.sock)):
                channels = _read_channels(socket, deadline.end, self.max_body, what)
            if deadline.fired:  # the watchdog ended the stream: what came is not all
                raise TimeoutError
        except (TimeoutError, OSError, ConnectionError) as exc:
            socket.shutdown()  # no close handshake with a server that is not answering
            if deadline.expired or isinstance(exc, TimeoutError):
                raise ExecFailed(f"{what}: no answer within {self.timeout:g}s (--request-timeout)") from None
            raise ExecFailed(f"{what}: {_short(exc)}") from None
        except LimitExceeded:
            socket.shutdown()  # the rest of an output too large to keep: not waited for, not left streaming
            raise
        socket.close()
        stdout, stderr, status = channels[1], channels[2], channels[3]
        problem = exec_status_problem(b"".join(status))
        if problem:
            detail = b"".join(stderr).decode("utf-8", "replace").strip().splitlines()
            raise ExecFailed(f"{what}: {problem}" + (f": {detail[-1]}" if detail else ""))
        return b"".join(stdout)

    def fetch_from_pod(
        self, pod: dict, endpoint: PodEndpoint, path: str, notify: Notify | None = None, *, try_forward: bool = True,
        method: str = "GET",
    ) -> PodAnswer:
        """`method` `path` of `endpoint` of `pod`: over a port-forward, else by exec'ing its request command.

        istioctl does the same two ways (pkg/kube/client.go EnvoyDo: port-forward; older releases and
        restricted clusters: ``pilot-agent request GET <path>`` in istio-proxy). Port-forward comes
        first because it streams big dumps without buffering them in the exec protocol; a caller
        whose port-forward failed once passes ``try_forward=False`` (the answer's way says "exec").
        If both fail, the error has both reasons.
        """
        notify = notify or (lambda message: None)
        name, namespace = _pod_name(pod)
        forward_error = None
        if try_forward:
            try:
                from meshctl.sources.portforward import ForwardedHTTP

                with ForwardedHTTP(self, pod, endpoint.port) as http:
                    data = http.request(method, path)
                notify(f"port-forward to {name}.{namespace}:{endpoint.port}: {_verb(method)}/{path}")
                return PodAnswer(data, "port-forward")
            except SourceError as exc:
                forward_error = str(exc)
                notify(f"port-forward to {name}.{namespace}:{endpoint.port} failed ({forward_error}); trying exec")
        try:
            data = self.exec_in(pod, endpoint.container, request_argv(endpoint, path, method))
        except SourceError as exc:
            if forward_error is None:
                raise
            raise SourceError(
                f"cannot reach {endpoint.container} in pod {name}.{namespace}: port-forward failed: {forward_error}; exec failed: {exc}"
            ) from None
        argv = request_argv(endpoint, path, method)[:-1]
        notify(f"exec {' '.join(argv)} in {name}.{namespace}/{endpoint.container}: /{path}")
        return PodAnswer(data, "exec")

    def port_forward(self, pod: dict, port: int):
        """``with kube.port_forward(pod, port) as fwd:``: 127.0.0.1:fwd.port reaches `port` of `pod`."""
        from meshctl.sources.portforward import forward

        return forward(self, pod, port)

    def open_port_forward(self, pod: dict, port: int):
        """A kubernetes.stream PortForward carrying one connection to `port` of `pod`."""
        from kubernetes.stream.ws_client import PortForward

        name, namespace = _pod_name(pod)
        socket = self.open_websocket(pod, "portforward", [("ports", str(port))], f"port-forward to {name}.{namespace}:{port}")
        socket.settimeout(None)  # PortForward's proxy thread select()s; reads must not time out
        return PortForward(socket, [port])


def _verb(method: str) -> str:
    """"POST " for -v lines (GET, the usual, is not said)."""
    return "" if method == "GET" else f"{method} "


def _read_channels(sock, deadline: float, limit: int, what: str) -> dict[int, list[bytes]]:
    """Frames of a channel.k8s.io websocket by channel until the server closes it.

    Read here rather than through WSClient.update(), whose per-channel buffers grow by bytes
    concatenation: quadratic, 77 s for a 60 MB dump against 1.2 s for this loop. All channels
    together hold at most `limit` bytes (--max-body-size).
    """
    import time

    from websocket import ABNF, WebSocketConnectionClosedException, WebSocketException, WebSocketTimeoutException

    from meshctl.model.limits import too_large

    channels: dict[int, list[bytes]] = {1: [], 2: [], 3: []}
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        try:
            opcode, frame = sock.recv_data_frame(True)
        except WebSocketTimeoutException:
            raise TimeoutError from None
        except WebSocketConnectionClosedException:
            return channels
        except WebSocketException as exc:  # a frame RFC 6455 forbids (a close reason not UTF-8, reserved bits ...)
            raise ConnectionError(f"the API server broke the websocket protocol: {_short(exc)}") from None
        if opcode == ABNF.OPCODE_CLOSE:
            return channels
        data = frame.data  # bytes for a text message too: websocket-client decodes text only in recv()
        # channel 255 is v5's "close channel" signal; nothing to collect
        if opcode in (ABNF.OPCODE_BINARY, ABNF.OPCODE_TEXT) and data and data[0] != 255:
            size += len(data)
            if size > limit:
                raise too_large(f"the output of {what}", limit)
            channels.setdefault(data[0], []).append(data[1:])


_MAX_FRAME = 64 << 20  # kubelet and the API server send exec frames of at most a few tens of KB


def _bound_frames(socket) -> None:
    """Refuse a websocket frame longer than _MAX_FRAME when its header arrives, before its payload.

    websocket-client reads a whole frame into memory before returning it: a frame header claiming
    gigabytes would be a memory bomb whatever the size limit on the output says.
    """
    frames = socket.frame_buffer
    read_length = frames.recv_length

    def bounded() -> None:
        read_length()
        if frames.length is not None and frames.length > _MAX_FRAME:
            raise ConnectionError(f"the exec stream sent a websocket frame of {frames.length} bytes")

    frames.recv_length = bounded


def _read_limited(response, limit: int, what: str) -> bytes:
    """A response's body (`meshctl.sources.http11.Response`), refused past `limit` bytes (its Content-Length first)."""
    from meshctl.model.limits import BoundedBuffer, too_large

    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > limit:
        raise too_large(what, limit)
    buffer = BoundedBuffer(limit, what)
    while chunk := response.read(1 << 20):
        buffer.write(chunk)
    response.close()  # read to its end: the connection is kept for the next request
    return buffer.getvalue()


def status_message(body: Any) -> str:
    """The message of a metav1.Status body (bytes or str), or ''."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not body:
        return ""
    try:
        document = json.loads(body)
    except ValueError:
        return str(body).strip().splitlines()[0][:200]
    return str(document.get("message", "")) if isinstance(document, dict) else ""


def exec_status_problem(data: bytes) -> str:
    """The error channel's metav1.Status -> '' on success, else what went wrong."""
    if not data.strip():
        # v4/v5 servers always end with a Status, Success included (kubelet remotecommand
        # v4WriteStatusFunc): none means the stream was cut and stdout may be truncated.
        return "the exec stream ended without a status (connection lost?)"
    try:
        status = json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace").strip()[:200]
    if status.get("status") == "Success":
        return ""
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            return f"exit code {cause.get('message')}"
    return str(status.get("message") or status.get("reason") or "failed")


def _pod_name(pod: dict) -> tuple[str, str]:
    meta = pod.get("metadata") or {}
    return str(meta.get("name", "")), str(meta.get("namespace", ""))


def _pod_preference(pod: dict) -> tuple:
    """kubectl's choice among a workload's pods: sort.Reverse(podutils.ActivePods) (first wins).

    Assigned before unassigned, Running before Unknown before Pending, ready before not ready,
    ready longer first, fewer restarts first, older first.
    """
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    phase_rank = {"Running": 0, "Unknown": 1, "Pending": 2}.get(status.get("phase", ""), 3)
    ready_since = ""
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready" and condition.get("status") == "True":
            ready_since = condition.get("lastTransitionTime") or "0"
    restarts = sum(int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or [])
    created = (pod.get("metadata") or {}).get("creationTimestamp") or "9999"
    return (
        0 if spec.get("nodeName") else 1,
        phase_rank,
        0 if ready_since else 1,
        ready_since or "9999",  # RFC 3339 strings sort as times: earlier = ready longer
        restarts,
        created,
        (pod.get("metadata") or {}).get("name", ""),
    )
