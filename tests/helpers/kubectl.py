"""The real kubectl against the fake API server: one command, or a bounded `kubectl port-forward`.

kubectl is the protocol referee of tests/fakekube (tests/fakekube_tests/test_fake_vs_kubectl.py) and
of the fakes that stand behind it (the fake ztunnel of tests/ambient).
"""

from __future__ import annotations

import os
import re
import selectors
import subprocess
from contextlib import contextmanager


def kubectl(kube, *args: str, stdin: bytes | None = None, cache: str = "kubectl-cache",
            env: dict | None = None) -> subprocess.CompletedProcess:
    """Run kubectl against `kube`, keeping its discovery cache in the test's directory."""
    return subprocess.run(
        ["kubectl", f"--cache-dir={kube.kubeconfig_path.parent / cache}", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=60,
        env={**os.environ, **kube.env(), **(env or {})},
    )


@contextmanager
def port_forward(kube, pod_name: str, namespace: str, port: int, *, websockets: bool = True):
    """Run `kubectl port-forward` (bounded) and yield (local_port, process)."""
    env = {} if websockets else {"KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"}
    cache = kube.kubeconfig_path.parent / "kubectl-cache"
    proc = subprocess.Popen(
        ["kubectl", f"--cache-dir={cache}", "port-forward", "-n", namespace, f"pod/{pod_name}", f":{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **kube.env(), **env},
    )
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            assert sel.select(timeout=30), "kubectl port-forward printed nothing in 30 s"
        line = proc.stdout.readline().decode()
        match = re.search(r"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)", line)
        assert match, line + proc.stderr.read1().decode()
        yield int(match.group(1)), proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
