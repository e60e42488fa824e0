"""A websocket frame header claiming gigabytes (port-forward or exec) is refused before its payload is read.

The peer of both streams is the API server and the kubelet; neither reader grows a buffer to a
length a frame header claims beyond what kubelet ever sends.
"""

from __future__ import annotations

import socket
import struct
import types

import pytest

from meshctl.sources import kube, portforward


def _giant_header() -> bytes:
    return bytes([0x82, 127]) + struct.pack("!Q", 1 << 40)  # FIN + binary, 64-bit length: 1 TiB


def test_port_forward_refuses_a_giant_frame():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(_giant_header() + b"x" * 100)
        with pytest.raises(ConnectionError, match="websocket frame of 1099511627776 bytes"):
            portforward._FrameReader(ours).next(block=True)


def test_exec_refuses_a_giant_frame():
    from websocket._abnf import frame_buffer

    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(_giant_header() + b"x" * 100)
        stream = types.SimpleNamespace(frame_buffer=frame_buffer(ours.recv, True))
        kube._bound_frames(stream)
        with pytest.raises(ConnectionError, match="websocket frame of 1099511627776 bytes"):
            stream.frame_buffer.recv_frame()
