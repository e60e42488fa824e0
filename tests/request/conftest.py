"""The sandbox mesh (meshctl.sandbox.mesh) shared by the tests here that run real Envoys."""

from __future__ import annotations

import pytest

from helpers import require_envoy


@pytest.fixture(scope="module")
def mesh():
    """Three real Envoys (sleep.foo, curl.bar -> httpbin.foo) and the app, for this module."""
    from meshctl.sandbox.mesh import Mesh

    require_envoy()  # skips, or fails under MESHCTL_STRICT=1
    with Mesh.start(max_seconds=600) as running:
        yield running
