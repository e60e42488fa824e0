"""Fixtures the tests of meshctl's Kubernetes access share (a module may define its own of the same name)."""

from __future__ import annotations

import socket

import pytest

from fakekube import istio_pod

SIDECAR_POD, SIDECAR_NS = "reviews-v1-abc", "default"


@pytest.fixture
def pair():
    """Two connected sockets, (ours, the server's), each read bounded to 10 s."""
    ours, server = socket.socketpair()
    ours.settimeout(10)
    server.settimeout(10)
    yield ours, server
    ours.close()
    server.close()


@pytest.fixture
def sidecar(fake_kube):
    """The fake API server with an injected pod, reviews-v1-abc in default."""
    fake_kube.add(istio_pod(SIDECAR_POD, SIDECAR_NS))
    return fake_kube
