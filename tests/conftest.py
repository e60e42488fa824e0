"""Shared fixtures (the helpers they use are in tests/helpers/, imported as `helpers`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import meshctl.cli  # noqa: F401  first, so in-process runs get meshctl's plain help whatever imports Typer next

from helpers import ISTIO_TESTDATA, require_shared, start_rig

# Output assertions expect what a pipe gets: a CI runner's FORCE_COLOR must not turn it into Rich.
os.environ.pop("FORCE_COLOR", None)

# Strict mode (MESHCTL_STRICT=1), marker checks and Hypothesis profiles; pytester for their tests.
pytest_plugins = ("helpers.suite_rules", "pytester")


@pytest.fixture
def istio_testdata() -> Path:
    return require_shared(ISTIO_TESTDATA)


@pytest.fixture(scope="session")
def envoy_rig():
    """One running sandbox for the session (meshctl.sandbox.rig.Rig): real Envoy, ADS, SDS.

    Use `envoy_rig.admin_url` / `.admin_port` / `.sds_socket`; don't kill or stop it (tests that
    need a dying Envoy start their own rig). Rotating its cert is fine: compare against
    `envoy_rig.workload_serial` read at the time.
    """
    with start_rig(max_seconds=1800) as rig:
        yield rig


@pytest.fixture
def fake_kube(tmp_path):
    """A fake Kubernetes API server on 127.0.0.1 (tests/fakekube), empty, stopped after the test.

    `.url`, `.kubeconfig_path` (context "fake", namespace "default"), `.env()` ({"KUBECONFIG": ...});
    `.add(obj, ...)` with builders from `fakekube` (istio_pod, workload, mesh, injector_webhook,
    configmap, namespace); `.on_exec(argv_prefix, handler)`, `.forward_port(15000, (host, port))`,
    `.back_sidecar((host, admin_port), run_dir=...)`, `.refuse_port_forward("upgrade"|"connect")`,
    `.deny(verb, resource)`, `.latency`, `.token`, `.requests_for(...)`. HTTPS: `FakeKube(tls=True)`.
    """
    from fakekube import FakeKube

    with FakeKube(workdir=tmp_path) as kube:
        yield kube


@pytest.fixture(scope="session")
def certs():
    """The test certificate factory (helpers.tlsdata.CertFactory)."""
    from helpers.tlsdata import CertFactory

    return CertFactory()
