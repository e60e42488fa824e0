"""SIGTERM and SIGINT while `meshctl snapshot` writes its archive leave no `.part` file behind.

The pod's admin API answers one byte per second, so the capture is in the middle of a transfer
when the signal arrives; the process must end (exit 130) within seconds and remove its temporary
file (or finish the archive with what it has, marked interrupted).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from fakekube import istio_pod
from helpers import ROOT
from helpers.slowserver import SlowServer, trickled_body

pytestmark = pytest.mark.kube


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_leaves_no_part_file(fake_kube, tmp_path, signum):
    fake_kube.add(istio_pod("app", "default"))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with SlowServer(trickled_body()) as server:
        fake_kube.forward_port(15000, server.address)
        fake_kube.on_exec(["pilot-agent", "request"], lambda req: time.sleep(60) or b"{}")
        proc = subprocess.Popen(
            [sys.executable, "-m", "meshctl", "snapshot", "-n", "default", "-o", str(out_dir / "mesh.tar.gz"), "--request-timeout", "60s"],
            cwd=ROOT, env={**os.environ, **fake_kube.env(), "NO_COLOR": "1"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while not any(name.endswith(".part") for name in os.listdir(out_dir)) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert any(name.endswith(".part") for name in os.listdir(out_dir)), "the capture never started"
            time.sleep(1)  # in the middle of the trickled transfer
            proc.send_signal(signum)
            _, stderr = proc.communicate(timeout=20)
        finally:
            proc.kill()
    assert proc.returncode == 130, stderr.decode()[-2000:]
    assert not [name for name in os.listdir(out_dir) if name.endswith(".part")]
