"""Port-forward bridged to real TCP targets: registry, kubelet error text, websocket (v4) protocol.

Websocket protocol (kubelet cri/streaming/portforward/websocket.go): for port i the data channel
is 2i and the error channel 2i+1; the server first sends the port as little-endian uint16 on both,
then copies bytes; an error is written as text on the error channel. The connection closes when
every port's copy has ended.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass

from .exec import FRAME_BYTES
from .websocket import ConnectionClosed, WebSocket

Target = tuple[str, int] | Callable[[], tuple[str, int]]


@dataclass
class _Forward:
    port: int
    target: Target
    pod: str | None
    namespace: str | None


@dataclass
class _Refusal:
    how: str
    pod: str | None
    namespace: str | None


def shutdown_quietly(sock: socket.socket) -> None:
    """Shut both directions (waking any thread blocked on the socket); a dead socket is fine."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _selects(entry, pod: dict) -> bool:
    meta = pod["metadata"]
    return entry.pod in (None, meta["name"]) and entry.namespace in (None, meta["namespace"])


class PortForwardRegistry:
    def __init__(self):
        self._forwards: list[_Forward] = []
        self._refusals: list[_Refusal] = []
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def register(self, port: int, target: Target, *, pod=None, namespace=None) -> None:
        self._forwards.append(_Forward(port, target, pod, namespace))

    def refuse(self, how: str, *, pod=None, namespace=None) -> None:
        if how not in ("upgrade", "connect"):
            raise ValueError(f"refusal must be 'upgrade' or 'connect', not {how!r}")
        self._refusals.append(_Refusal(how, pod, namespace))

    def refusal(self, pod: dict) -> str | None:
        matching = [r for r in self._refusals if _selects(r, pod)]
        return matching[-1].how if matching else None

    def connect(self, pod: dict, port: int) -> socket.socket:
        """A TCP connection to the target registered for (pod, port), or OSError with kubelet's message."""
        targets = [f for f in self._forwards if f.port == port and _selects(f, pod)]
        if targets and self.refusal(pod) != "connect":
            target = targets[-1].target
            host, target_port = target() if callable(target) else target
            try:
                sock = socket.create_connection((host, target_port), timeout=10)
            except OSError:
                pass
            else:
                sock.settimeout(None)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with self._lock:
                    self._open.add(sock)
                return sock
        raise OSError(kubelet_refused_message(pod, port))

    def release(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        sock.close()

    def close_all(self) -> None:
        with self._lock:
            socks = list(self._open)
        for sock in socks:
            shutdown_quietly(sock)


def kubelet_refused_message(pod: dict, port: int) -> str:
    """What the kubelet (containerd) reports when nothing listens on the port inside the pod."""
    sandbox = pod["metadata"]["uid"].replace("-", "")
    return (
        f"error forwarding port {port} to pod {sandbox}, uid : failed to execute portforward in network "
        f'namespace "/var/run/netns/cni-{pod["metadata"]["uid"]}": failed to connect to localhost:{port} '
        f'inside namespace "{sandbox}", IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused '
        f"IPv6 dial tcp6 [::1]:{port}: connect: connection refused "
    )


def serve_websocket_portforward(ws: WebSocket, registry: PortForwardRegistry, pod: dict, ports: list[int]) -> None:
    """Serve the python client's protocol until the client closes or every port's copy has ended."""
    targets: dict[int, socket.socket] = {}  # data channel -> target socket
    pumps = []
    remaining = [len(ports)]
    lock = threading.Lock()

    def port_done() -> None:
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            ws.close()

    def pump(channel: int, sock: socket.socket) -> None:
        prefix = bytes([channel])
        try:
            while data := sock.recv(FRAME_BYTES):
                ws.send(prefix + data)
        except (OSError, ConnectionClosed):
            pass
        port_done()

    try:
        for index, port in enumerate(ports):
            data_ch, err_ch = 2 * index, 2 * index + 1
            port_bytes = struct.pack("<H", port)
            ws.send(bytes([data_ch]) + port_bytes)
            ws.send(bytes([err_ch]) + port_bytes)
            try:
                sock = registry.connect(pod, port)
            except OSError as err:
                ws.send(bytes([err_ch]) + str(err).encode())
                port_done()
                continue
            targets[data_ch] = sock
            thread = threading.Thread(target=pump, args=(data_ch, sock), daemon=True, name=f"fakekube-pf-{port}")
            thread.start()
            pumps.append(thread)
        while True:
            _, message = ws.recv_message()
            if message and message[0] in targets:
                targets[message[0]].sendall(message[1:])
    except (ConnectionClosed, OSError):
        pass
    finally:
        for sock in targets.values():
            shutdown_quietly(sock)
        for thread in pumps:
            thread.join(timeout=5)
        for sock in targets.values():
            registry.release(sock)
        ws.close()
