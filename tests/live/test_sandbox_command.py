"""`meshctl sandbox` as a user runs it: bounded, prints where to connect, stops cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

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
    secrets, comparison = _tables(result.stdout)
    assert secrets[0] == ["RESOURCE NAME", "TYPE", "STATUS", "VALID CERT", "SERIAL NUMBER", "NOT AFTER", "NOT BEFORE"]
    assert [row[:4] for row in secrets[1:]] == [["default", "Cert Chain", "ACTIVE", "true"], ["ROOTCA", "CA", "ACTIVE", "true"]]
    (_, _, _, _, workload, workload_after, workload_before), (_, _, _, _, root, root_after, root_before) = secrets[1:]
    # random serials of up to 159 bits, in hex
    assert re.fullmatch("[0-9a-f]{1,40}", workload) and re.fullmatch("[0-9a-f]{1,40}", root) and workload != root
    # the sandbox's CA backdates by a minute: a workload cert for 1 h, a root for a day
    assert _time(workload_after) - _time(workload_before) == timedelta(hours=1, minutes=1)
    assert _time(root_after) - _time(root_before) == timedelta(days=1, minutes=1)
    assert comparison == [
        ["RESOURCE NAME", "MATCH", "AGENT SERIAL", "ENVOY SERIAL", "AGENT NOT BEFORE", "ENVOY NOT BEFORE",
         "AGENT NOT AFTER", "ENVOY NOT AFTER", "ENVOY STATUS"],
        ["default", "same", workload, workload, workload_before, workload_before, workload_after, workload_after, "ACTIVE"],
        ["ROOTCA", "same", root, root, root_before, root_before, root_after, root_after, "ACTIVE"],
    ]  # fmt: skip
    expected_stderr = [
        r"meshctl sandbox: Envoy pid \d+ is LIVE \(ready in \d+\.\d\ds\)",
        r"  admin API   http://127\.0\.0\.1:\d+",
        r"  SDS socket  (\S+)/var/run/secrets/workload-spiffe-uds/socket",
        r"  run dir     \S+",
        r"  node        sidecar~10\.244\.0\.7~productpage-v1-6b746f74dc-9stvs\.default~default\.svc\.cluster\.local",
        r"  warming     outbound\|3306\|\|mysqldb\.db\.svc\.cluster\.local \(its endpoints are withheld\)",
        "",
        re.escape('$ meshctl pc secret --admin "$MESHCTL_ADMIN"'),
        "",
        re.escape('$ meshctl sds --socket "$MESHCTL_SDS_SOCKET" --compare-admin "$MESHCTL_ADMIN"'),
        "meshctl: sandbox stopped",
    ]
    lines = result.stderr.splitlines()
    assert len(lines) == len(expected_stderr), result.stderr
    for pattern, line in zip(expected_stderr, lines):
        assert re.fullmatch(pattern, line), (pattern, line)


def _tables(text: str) -> list[list[list[str]]]:
    """The tables printed one after another, each a header and rows of cells (cut at the header's columns)."""
    tables = []
    for line in text.splitlines():
        if line.startswith("RESOURCE NAME"):
            starts = [match.start() for match in re.finditer(r"(?<!\S)\S+(?: \S+)*", line)]
            tables.append([])
        tables[-1].append([line[a:b].strip() for a, b in zip(starts, [*starts[1:], None])])
    return tables


def _time(rfc3339: str) -> datetime:
    return datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ")


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
