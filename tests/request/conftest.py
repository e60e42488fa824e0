"""The sandbox mesh (meshctl.sandbox.mesh) shared by the tests here that run real Envoys."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def mesh():
    """Three real Envoys (sleep.foo, curl.bar -> httpbin.foo) and the app, for this module."""
    from meshctl.errors import SourceError
    from meshctl.sandbox.mesh import Mesh
    from meshctl.sandbox.rig import envoy_binary

    try:
        envoy_binary()
    except SourceError as exc:
        pytest.skip(str(exc))
    with Mesh.start(max_seconds=600) as running:
        yield running
