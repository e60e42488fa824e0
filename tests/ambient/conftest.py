"""Fixtures of the ambient tests."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from helpers.ambient import build_mesh, serve


@pytest.fixture
def ambient_cluster(fake_kube):
    """tests/helpers/ambient.py's cluster, live (a `LiveAmbient`)."""
    with ExitStack() as stack:
        yield serve(fake_kube, build_mesh(), stack)
