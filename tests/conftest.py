"""Shared test fixtures: paths to ../shared test data (skipped when absent) and a CLI runner."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import meshctl.cli  # noqa: F401  first, so in-process runs get meshctl's plain help whatever imports Typer next

# Output assertions expect what a pipe gets: a CI runner's FORCE_COLOR must not turn it into Rich.
os.environ.pop("FORCE_COLOR", None)

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MESHCTL_SHARED", ROOT.parent / "shared"))
ISTIO_TESTDATA = SHARED / "istio-testdata"
GOTEMPLATE_CORPUS = SHARED / "gotemplate"


def require_shared(path: Path) -> Path:
    """Return `path` under ../shared, or skip the test with the reason when it is not there."""
    if not path.exists():
        pytest.skip(f"shared test data not found at {path} (clone without ../shared)")
    return path


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


def start_rig(max_seconds: float):
    """`Rig.start()` bounded to `max_seconds`, or skip when no envoy binary is installed."""
    from meshctl.errors import SourceError
    from meshctl.sandbox.rig import Rig, envoy_binary

    try:
        envoy_binary()
    except SourceError as exc:
        pytest.skip(str(exc))
    return Rig.start(max_seconds=max_seconds)


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


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def run_meshctl(*args: str, stdin: bytes | None = None, env: dict | None = None, timeout: float = 120) -> Result:
    """Run meshctl as a user does: a fresh interpreter, real argv, real pipes (stdout not a TTY)."""
    proc = subprocess.run(
        [sys.executable, "-m", "meshctl", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        cwd=ROOT,
    )
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def call_meshctl(*args: str, stdin: bytes = b"", environ: dict | None = None) -> Result:
    """Run meshctl in-process (faster than a subprocess) on an Env over buffers (stdout not a TTY).

    `environ` replaces the process environment the run sees (NO_COLOR, COLUMNS, ...).
    """
    from meshctl.cli import main
    from meshctl.env import Env

    out, err = io.StringIO(), io.StringIO()
    env = Env(stdout=out, stderr=err, stdin=io.BytesIO(stdin), environ=os.environ if environ is None else environ)
    code = main(list(args), env)
    return Result(int(code), out.getvalue(), err.getvalue())
