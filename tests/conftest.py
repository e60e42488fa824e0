"""Shared test fixtures: paths to ../shared test data (skipped when absent) and a CLI runner."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

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


def call_meshctl(*args: str, stdin: bytes = b"") -> Result:
    """Run meshctl in-process (faster than a subprocess), capturing stdout/stderr."""
    from meshctl.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr = out, err
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        code = main(list(args))
    finally:
        sys.stdout, sys.stderr, sys.stdin = old
    return Result(int(code), out.getvalue(), err.getvalue())
