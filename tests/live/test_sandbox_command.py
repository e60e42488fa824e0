"""`meshctl sandbox` as a user runs it: bounded, prints where to connect, stops cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from helpers import ROOT, run_meshctl

pytestmark = pytest.mark.envoy


def test_sandbox_run_commands_against_the_real_envoy():
    result = run_meshctl(
        "sandbox", "--for", "60",
        "--run", 'meshctl pc secret --admin "$MESHCTL_ADMIN"',
        "--run", 'meshctl sds --socket "$MESHCTL_SDS_SOCKET" --compare-admin "$MESHCTL_ADMIN"',
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "default" in result.stdout and "ROOTCA" in result.stdout and "same" in result.stdout
    assert re.search(r"admin API\s+http://127\.0\.0\.1:\d+", result.stderr)
    assert result.stderr.rstrip().endswith("meshctl: sandbox stopped")


def test_sandbox_exits_with_the_failing_command_status():
    result = run_meshctl("sandbox", "--for", "60", "--run", "exit 3", "--run", "true")
    assert result.exit_code == 3
    assert result.stderr.strip().splitlines()[-1] == "meshctl: error: a --run command exited with status 3"


def test_sandbox_stops_cleanly_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "-m", "meshctl", "sandbox", "--for", "120"], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    try:
        banner = [proc.stdout.readline().decode() for _ in range(4)]
        pid = int(re.search(r"Envoy pid (\d+)", banner[0]).group(1))
        run_dir = banner[3].split()[-1]
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert err.decode().strip() == "meshctl: sandbox stopped"
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}"), "Envoy outlived the sandbox"
    assert not os.path.exists(run_dir)
