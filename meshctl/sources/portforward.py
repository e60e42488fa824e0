"""Port-forward to a pod as a context manager: ``with forward(kube, pod, 15000) as fwd: fwd.port``.

The kubernetes client's PortForward carries ONE connection per websocket (a socket pair), so a
local listener on 127.0.0.1 opens one websocket per accepted connection, as kubectl opens one
stream pair per connection. The first websocket is opened before the listener is returned:
a refused port-forward (RBAC, no support, pod gone) fails here, not in the HTTP client later.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from meshctl.sources.kube import KubeClient

_CHUNK = 1 << 16


@dataclass
class Forwarding:
    """A running forward: the local port, and errors the pod side reported (port not listening ...)."""

    port: int
    errors: list[str] = field(default_factory=list)


@contextlib.contextmanager
def forward(kube: KubeClient, pod: dict, remote_port: int) -> Iterator[Forwarding]:
    """Forward 127.0.0.1:<ephemeral> to `remote_port` of `pod` while the block runs.

    Raises:
        SourceError: the API server refused the port-forward (message names verb/resource).
    """
    first = [kube.open_port_forward(pod, remote_port)]
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    forwarding = Forwarding(listener.getsockname()[1])
    stop = threading.Event()
    pumps: list[threading.Thread] = []

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if stop.is_set():
                conn.close()
                return
            try:
                port_forward = first.pop() if first else kube.open_port_forward(pod, remote_port)
            except Exception as exc:  # report through the HTTP client's failure, not a thread traceback
                forwarding.errors.append(str(exc))
                conn.close()
                continue
            pump = threading.Thread(target=_pump, args=(conn, port_forward, remote_port, forwarding, stop), daemon=True)
            pump.start()
            pumps.append(pump)

    acceptor = threading.Thread(target=accept_loop, name=f"meshctl port-forward :{forwarding.port}", daemon=True)
    acceptor.start()
    try:
        yield forwarding
    finally:
        stop.set()
        with contextlib.suppress(OSError):  # wake accept() so the thread sees `stop` now
            socket.create_connection(("127.0.0.1", forwarding.port), timeout=1).close()
        acceptor.join(timeout=2)
        listener.close()
        for port_forward in first:
            port_forward.close()
        for pump in pumps:
            pump.join(timeout=2)


def _pump(conn: socket.socket, port_forward, remote_port: int, forwarding: Forwarding, stop: threading.Event) -> None:
    """Copy bytes both ways between a local connection and the websocket's socket until either closes."""
    remote = port_forward.socket(remote_port)
    remote.setblocking(True)
    peers = {conn: remote, remote._socket: conn}
    with selectors.DefaultSelector() as selector:
        selector.register(conn, selectors.EVENT_READ)
        selector.register(remote._socket, selectors.EVENT_READ)
        try:
            open_ends = 2
            while open_ends and not stop.is_set():
                for key, _ in selector.select(timeout=0.2):
                    data = key.fileobj.recv(_CHUNK)
                    if data:
                        peers[key.fileobj].sendall(data)
                        continue
                    # one side finished: pass the half-close on and stop reading it
                    selector.unregister(key.fileobj)
                    open_ends -= 1
                    with contextlib.suppress(OSError):
                        peers[key.fileobj].shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            error = port_forward.error(remote_port)
            if error:
                forwarding.errors.append(error.strip())
            conn.close()
            port_forward.close()
