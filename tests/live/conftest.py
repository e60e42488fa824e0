"""Fixtures for tests against a real Envoy: a private rig a test may kill."""

from __future__ import annotations

import os
import signal

import pytest

from helpers import start_rig


@pytest.fixture
def own_rig():
    """A rig only this test uses, so that it can stop, freeze or kill Envoy."""
    with start_rig(max_seconds=120) as rig:
        yield rig
        if rig.envoy_running():
            os.kill(rig.envoy_pid, signal.SIGCONT)  # a frozen Envoy cannot handle the SIGTERM of stop()
