"""Take a snapshot of a mesh from a cluster (I/O): API objects, istiod's sync status, every sidecar.

Each pod is fetched by `meshctl.sources.fleet.run_each` (bounded concurrency, progress on a TTY,
partial failure as data, Ctrl-C keeps what finished). A pod's admin paths are read over ONE
port-forward websocket and keep-alive HTTP connection (not one per path), streamed chunk by
chunk into a scrubbing spool, so memory holds chunks, not dumps. A pod that refuses
port-forward is read with `PodSource` (exec ``pilot-agent request``), as every command does.
"""

from __future__ import annotations

import http.client
import io
import os
import time

from meshctl.errors import SourceError
from meshctl.snapshot import layout
from meshctl.snapshot.writer import SnapshotWriter, json_bytes
from meshctl.sources.kube import PROXY_CONTAINER, KubeClient

# 64 KB reads: 16 threads x a few chunks stay a few MB.
_CHUNK = 1 << 16
_API_V1 = "/api/v1"
_WEBHOOKS = ("/apis/admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations")
ROOT_CERT_CONFIGMAP = "istio-ca-root-cert"


def take_snapshot(
    kube: KubeClient,
    writer: SnapshotWriter,
    pods: list[dict],
    *,
    selection: dict,
    concurrency: int,
    proxy_admin_port: int = 15000,
    progress: bool | None = None,
) -> dict:
    """Write everything into `writer`; return the manifest (also stored, last)."""
    from meshctl import __version__
    from meshctl.sources.fleet import run_each

    failures: list[dict] = []
    context = _context(kube)
    writer.add_bytes(layout.CONTEXT, json_bytes(context))
    for member, document in _cluster_objects(kube, pods, failures):
        writer.add_bytes(member, json_bytes(document))
    istiods = _capture_istiods(kube, writer, failures)
    _limit_malloc_arenas()
    run = run_each(pods, lambda pod: _capture_pod(kube, writer, pod, proxy_admin_port), concurrency=concurrency,
                   progress=progress, label="snapshot")  # fmt: skip
    pod_rows = {}
    for result in run:
        row = {"status": result.status, "seconds": round(result.seconds, 3)}
        if result.error:
            row["error"] = result.error
        if result.value:
            row["missing"] = result.value
        pod_rows[result.name] = row
    manifest = {
        "format": layout.FORMAT,
        "meshctlVersion": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **context,
        "selection": selection,
        "pods": {key: pod_rows[key] for key in sorted(pod_rows, key=lambda k: k.rpartition(".")[::-1])},
        "istiods": istiods,
        "failed": failures,
        "interrupted": run.interrupted,
        "secrets": "private keys are never stored: Envoy redacts them, and key-like PEM/base64 blocks are replaced by [redacted]",
    }
    writer.add_bytes(layout.MANIFEST, json_bytes(manifest))
    return manifest


def _limit_malloc_arenas() -> None:
    """Two glibc malloc arenas instead of one per fetch thread (MALLOC_ARENA_MAX=2).

    Each arena keeps the chunks its thread freed: with 16 threads streaming dumps that was 3-4x a
    dump above the interpreter's own size, and 1x with two arenas (bench/bench_snapshot.py).
    """
    import ctypes

    try:
        ctypes.CDLL(None).mallopt(-8, 2)  # M_ARENA_MAX; not glibc (musl, macOS): nothing to do
    except (OSError, AttributeError):
        pass


def _context(kube: KubeClient) -> dict:
    return {"context": _context_name(kube), "server": kube.server, "namespace": kube.namespace,
            "istioNamespace": kube.options.istio_namespace}  # fmt: skip


def _context_name(kube: KubeClient) -> str:
    """The kubeconfig context in use ("" in-cluster), for the manifest."""
    if kube.options.context:
        return kube.options.context
    from kubernetes import config

    files = kube.options.kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    existing = os.pathsep.join(p for p in files.split(os.pathsep) if p and os.path.exists(p))
    if not existing:
        return ""
    try:
        _, current = config.list_kube_config_contexts(existing)
    except Exception:  # the client already loaded this config; a name is nice to have, not needed
        return ""
    return (current or {}).get("name", "")


def _cluster_objects(kube: KubeClient, pods: list[dict], failures: list[dict]):
    """(member, object) for the pods, their namespaces, injector webhooks and ConfigMaps, istiod pods."""
    istio_ns = kube.options.istio_namespace
    for pod in pods:
        yield _member(_API_V1, "pods", pod), _as_read(pod, _API_V1, "pods")
    namespaces = {pod["metadata"]["namespace"] for pod in pods} | {istio_ns}
    # (what, API prefix, plural, read): list items carry no kind, so the member comes from the read.
    # Cluster-wide lists, filtered here: a few requests whatever the number of namespaces.
    reads = [
        ("namespaces", _API_V1, "namespaces", lambda: [n for n in kube.list(_API_V1, "namespaces") if n["metadata"]["name"] in namespaces]),
        ("mutatingwebhookconfigurations", *_WEBHOOKS, lambda: kube.list(*_WEBHOOKS)),
        # injector (istio-sidecar-injector[-REV]), mesh (istio[-REV]) and root-cert ConfigMaps
        (f"configmaps in {istio_ns}", _API_V1, "configmaps",
         lambda: [c for c in kube.list(_API_V1, "configmaps", istio_ns) if c["metadata"]["name"].startswith("istio")]),
        (f"configmaps {ROOT_CERT_CONFIGMAP}", _API_V1, "configmaps", lambda: [
            c for c in kube.get(f"{_API_V1}/configmaps", verb="list", resource="configmaps",
                                query=[("fieldSelector", f"metadata.name={ROOT_CERT_CONFIGMAP}")]).get("items") or []
            if c["metadata"]["namespace"] in namespaces - {istio_ns}]),
        (f"istiod pods in {istio_ns}", _API_V1, "pods", lambda: kube.list(_API_V1, "pods", istio_ns, "app=istiod")),
    ]  # fmt: skip
    for what, prefix, plural, read in reads:
        try:
            objects = read()
        except SourceError as exc:
            failures.append({"what": what, "error": str(exc)})
            continue
        for obj in objects:
            yield _member(prefix, plural, obj), _as_read(obj, prefix, plural)


# plural -> kind, to store listed objects as a GET returns them (list items carry no kind)
_KINDS = {"pods": "Pod", "namespaces": "Namespace", "configmaps": "ConfigMap",
          "mutatingwebhookconfigurations": "MutatingWebhookConfiguration"}  # fmt: skip


def _as_read(obj: dict, prefix: str, plural: str) -> dict:
    api_version = prefix.removeprefix("/apis/").removeprefix("/api/")
    return {"kind": _KINDS[plural], "apiVersion": api_version, **obj}


def _member(prefix: str, plural: str, obj: dict) -> str:
    meta = obj.get("metadata") or {}
    return layout.object_member(prefix, plural, meta.get("namespace", ""), meta.get("name", ""))


def _capture_istiods(kube: KubeClient, writer: SnapshotWriter, failures: list[dict]) -> dict:
    """istiod's /debug/syncz (what `proxy-status` reads) from each running istiod."""
    from meshctl.sources.pod import ISTIOD_DEBUG, PodSource

    rows = {}
    try:
        pods = kube.list(_API_V1, "pods", kube.options.istio_namespace, "app=istiod")
    except SourceError:
        return rows  # already recorded with the other API objects
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        name = pod["metadata"]["name"]
        if (pod.get("status") or {}).get("phase") != "Running":
            continue
        try:
            writer.add_bytes(layout.istiod_member(name), PodSource(kube, pod=pod, endpoint=ISTIOD_DEBUG).fetch(layout.SYNCZ_PATH))
            rows[name] = {"status": "ok"}
        except SourceError as exc:
            rows[name] = {"status": "failed", "error": str(exc)}
            failures.append({"what": f"istiod {name} /{layout.SYNCZ_PATH}", "error": str(exc)})
    return rows


def _capture_pod(kube: KubeClient, writer: SnapshotWriter, pod: dict, admin_port: int) -> dict:
    """Store one sidecar's admin answers; {path: error} for what is missing. No config dump = failed."""
    from meshctl.sources.pod import PROXY_ADMIN, PodEndpoint, PodSource

    meta = pod["metadata"]
    namespace, name = meta["namespace"], meta["name"]
    source = PodSource(kube, pod=pod, endpoint=PodEndpoint(admin_port, PROXY_CONTAINER, PROXY_ADMIN.exec_prefix))
    missing, streamed = {}, set()
    try:
        _stream_admin_paths(kube, pod, admin_port, writer, streamed)
    except SourceError:
        pass  # port-forward refused or broke: PodSource fetches the rest (port-forward again, then exec)
    for stem, path in layout.PROXY_FETCHES:
        if stem in streamed:
            continue
        try:
            writer.add_bytes(layout.pod_member(namespace, name, stem), source.fetch(path))
        except SourceError as exc:
            if stem == "config_dump":
                raise
            missing[path] = str(exc)
    try:
        rev = kube.exec_in(pod, PROXY_CONTAINER, ["cat", layout.ENVOY_REV])
        writer.add_bytes(layout.pod_member(namespace, name, "envoy-rev"), rev)
    except SourceError as exc:
        missing[layout.ENVOY_REV] = str(exc)
    return missing


def _stream_admin_paths(kube: KubeClient, pod: dict, admin_port: int, writer: SnapshotWriter, stored: set[str]) -> None:
    """Fetch every admin path over one port-forward websocket and keep-alive HTTP connection.

    HTTP is spoken straight over the websocket's data channel, reading a frame only when the
    spool wants more: the kubernetes client's PortForward (used by `pc`) buffers everything the
    pod sends without limit, i.e. one whole dump per pod in flight.
    """
    from websocket import WebSocketException

    meta = pod["metadata"]
    where = f"port-forward to {meta['name']}.{meta['namespace']}:{admin_port}"
    # KubeClient's websocket opener: kubectl's headers, --as, TLS verification and RBAC messages
    socket = kube._open_websocket(pod, "portforward", [("ports", str(admin_port))], where)
    socket.settimeout(kube.timeout)
    stream = _ForwardedStream(socket)
    conn = http.client.HTTPConnection("127.0.0.1", admin_port)
    conn.sock = _ForwardedSocket(socket, stream)
    try:
        for stem, path in layout.PROXY_FETCHES:
            member = layout.pod_member(meta["namespace"], meta["name"], stem)
            writer.add_stream(member, lambda spool, path=path: _get_into(conn, path, spool))
            stored.add(stem)
    except (OSError, http.client.HTTPException, WebSocketException) as exc:
        raise SourceError(f"{where}: {stream.error or str(exc) or type(exc).__name__}") from None
    finally:
        conn.close()


def _get_into(conn: http.client.HTTPConnection, path: str, sink) -> None:
    conn.request("GET", f"/{path}", headers={"Accept": "application/json"})
    response = conn.getresponse()
    if response.status != 200:
        response.read()
        raise http.client.HTTPException(f"/{path} answered HTTP {response.status}")
    # one buffer per response, filled in place: a body passes through memory once, not per read
    buffer = memoryview(bytearray(_CHUNK))
    while count := response.readinto(buffer):
        sink.write(buffer[:count])
    if response.length:
        raise http.client.IncompleteRead(b"", response.length)


class _ForwardedStream(io.RawIOBase):
    """The pod side's bytes of a port-forward websocket (channel.k8s.io: data channel 0, errors 1).

    Each channel's first frame carries the port number, not data (kubelet portforward/websocket.go).
    Frames are parsed here from large reads of the websocket's own socket: websocket-client's
    recv_data_frame costs ~6 Python-level recv calls per frame, which was a third of a pod's CPU.
    """

    def __init__(self, socket) -> None:
        self._socket = socket
        self._frames = _FrameReader(socket.sock)
        self._pending = memoryview(b"")
        self._started = {0: False, 1: False}
        self._channel = None  # channel of the message whose continuation frames may follow
        self._ended = False
        self.error = ""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        # Copy every data frame already received, blocking only while nothing is copied: the
        # reply may be complete, and the pod then waits for our next request.
        count = 0
        while count < len(buffer):
            if not self._pending and not self._next_data(block=not count):
                break
            taken = min(len(buffer) - count, len(self._pending))
            buffer[count : count + taken] = self._pending[:taken]
            self._pending = self._pending[taken:]
            count += taken
        return count

    def _next_data(self, *, block: bool) -> bool:
        """Make the next data-channel payload pending; False at the end or if it is not yet here."""
        while not self._ended:
            frame = self._frames.next(block=block)
            if frame is None:
                return False
            opcode, payload = frame
            if opcode == _OP_CLOSE:
                self._ended = True
            elif opcode == _OP_PING:
                self._socket.pong(bytes(payload))
            elif opcode == _OP_CONTINUATION and self._channel == 0:
                self._pending = payload
                return bool(payload)
            elif opcode == _OP_BINARY and payload:
                channel, self._channel = payload[0], None
                if channel not in self._started:
                    continue
                if not self._started[channel]:
                    self._started[channel] = True
                elif channel == 1:
                    self.error += bytes(payload[1:]).decode("utf-8", "replace").strip()
                    raise ConnectionError(self.error)
                else:
                    self._channel = channel
                    self._pending = payload[1:]
                    if self._pending:
                        return True
        return False


_OP_CONTINUATION, _OP_BINARY, _OP_CLOSE, _OP_PING = 0x0, 0x2, 0x8, 0x9
_READ_BLOCK = 1 << 16


class _FrameReader:
    """Websocket frames (RFC 6455 5.2) from a socket: (opcode, payload view valid until the next call)."""

    def __init__(self, sock) -> None:
        self._sock = sock
        self._buffer = bytearray(_READ_BLOCK)
        self._view = memoryview(self._buffer)
        self._start = self._end = 0

    def next(self, *, block: bool):
        """The next frame; None if `block` is false and no whole frame is buffered."""
        if block and self._start == self._end and not self._receive():
            return _OP_CLOSE, memoryview(b"")  # closed between frames: the end, as a close frame
        header = self._need(2, block)
        if header is None:
            return None
        first, second = header[0], header[1]
        if second & 0x80:
            raise ConnectionError("the API server sent a masked websocket frame")  # RFC 6455 5.1
        length, size = second & 0x7F, 2
        if length >= 126:
            size = 4 if length == 126 else 10
            header = self._need(size, block)
            if header is None:
                return None
            length = int.from_bytes(header[2:size], "big")
        frame = self._need(size + length, block)
        if frame is None:
            return None
        self._start += size + length
        return first & 0x0F, frame[size:]

    def _need(self, count: int, block: bool):
        """A view of the next `count` buffered bytes (reading more if `block`), or None."""
        while self._end - self._start < count:
            if not block:
                return None
            if self._start + count > len(self._buffer):
                # move the partial frame to the front; grow only for a frame larger than the buffer
                kept = self._end - self._start
                if count > len(self._buffer):
                    self._buffer = self._buffer[self._start : self._end] + bytearray(count - kept)
                    self._view = memoryview(self._buffer)
                else:
                    self._buffer[:kept] = self._buffer[self._start : self._end]
                self._start, self._end = 0, kept
            if not self._receive():
                raise ConnectionError("the port-forward connection closed in the middle of a frame")
        return self._view[self._start : self._start + count]

    def _receive(self) -> int:
        if self._start == self._end:  # nothing buffered: read from the front
            self._start = self._end = 0
        received = self._sock.recv_into(self._view[self._end :])
        self._end += received
        return received


class _ForwardedSocket:
    """What http.client needs of a socket, over a port-forward websocket."""

    def __init__(self, socket, stream: _ForwardedStream) -> None:
        self._socket = socket
        self._stream = stream

    def sendall(self, data: bytes) -> None:
        from websocket import ABNF

        self._socket.send(b"\x00" + bytes(data), opcode=ABNF.OPCODE_BINARY)

    def makefile(self, mode: str):
        # a fresh reader per response over the same stream, like socket.makefile; no pipelining,
        # so no reader holds bytes of the next response. Its buffer serves the status line and
        # headers; a body is read past it, straight into _get_into's buffer.
        return io.BufferedReader(_Unclosed(self._stream))

    def close(self) -> None:
        self._socket.close()


class _Unclosed(io.RawIOBase):
    def __init__(self, stream: io.RawIOBase) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._stream.readinto(buffer)
