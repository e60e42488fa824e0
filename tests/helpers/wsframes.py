"""Websocket frames as a server sends them (RFC 6455 5.2), and a websocket-client WebSocket over a socket pair.

For tests of the readers of port-forward and exec streams (meshctl/sources/portforward.py, kube.py):
the test writes exactly the frames it names to the server's end.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Iterator

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bytes = b"") -> bytes:
    """One frame; 7-bit, 16-bit or 64-bit length as RFC 6455 5.2 says (servers never mask: `mask` is for bad ones)."""
    size = len(payload)
    length = bytes([size]) if size < 126 else bytes([126]) + struct.pack("!H", size) if size < 1 << 16 else bytes([127]) + struct.pack("!Q", size)  # fmt: skip
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([(0x80 if fin else 0) | opcode, length[0] | (0x80 if mask else 0)]) + length[1:] + mask + payload


@contextlib.contextmanager
def websocket_pair() -> Iterator[tuple[object, socket.socket]]:
    """(a websocket-client WebSocket over our end, the server's end) of a connected socket pair."""
    import websocket

    ours, server = socket.socketpair()
    client = websocket.WebSocket()
    client.sock, client.connected = ours, True
    server.settimeout(10)
    ours.settimeout(10)
    with ours, server:
        yield client, server
