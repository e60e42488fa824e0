"""Benchmark: a cluster command's fixed cost, `meshctl pc cluster POD -o json` against the local fake
API server (tests/fakekube, in its own process), beside `kubectl get pod POD -o json` against the same
server. The pod's admin port is a small HTTP server serving istioctl's small config dump, reached
through the fake's real port-forward websocket; so meshctl does what it does in a cluster: load the
kubeconfig, GET the pod, port-forward, fetch, decode, print.

Goal: median wall time <= 2x kubectl's (runs alternate; CPU time of each, user + system from
getrusage of the child, is printed beside it: the 2 cores are shared).

    .venv/bin/python bench/bench_kube.py [--runs 9]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MESHCTL_SHARED", ROOT.parent / "shared"))
SMALL_DUMP = SHARED / "istio-testdata/istioctl/pkg/proxyconfig/testdata/config_dump.json"
sys.path.insert(0, str(ROOT / "tests"))


def timed(argv: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run of `argv`, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=120)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    kubectl = shutil.which("kubectl")
    if kubectl is None or not SMALL_DUMP.exists():
        raise SystemExit("bench: needs kubectl on PATH and ../shared")
    from fakekube import http_target

    # bytecode for every module, as an installed package has (PYTHONDONTWRITEBYTECODE would
    # otherwise make each run compile meshctl from source)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "meshctl")], check=True, stdout=subprocess.DEVNULL, timeout=300)

    with contextlib.ExitStack() as stack:
        host, port = stack.enter_context(http_target({"/config_dump?include_eds": SMALL_DUMP.read_bytes(),
                                                      "/config_dump": SMALL_DUMP.read_bytes()}))  # fmt: skip
        server = subprocess.Popen([sys.executable, "-m", "fakekube", "--pods", "1", "--namespaces", "1", "--admin", f"{host}:{port}",
                                   "--max-seconds", "600"], stdout=subprocess.PIPE, cwd=ROOT / "tests", text=True)  # fmt: skip
        stack.callback(server.wait, 10)
        stack.callback(server.terminate)
        _, _, kubeconfig = server.stdout.readline().split()
        env = {**os.environ, "KUBECONFIG": kubeconfig, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
        listed = subprocess.run([kubectl, "get", "pods", "-A", "-o", "jsonpath={.items[0].metadata.name} {.items[0].metadata.namespace}"],
                                capture_output=True, text=True, env=env, check=True, timeout=60).stdout.split()  # fmt: skip
        name, namespace = listed
        meshctl = [sys.executable, "-m", "meshctl", "pc", "cluster", f"{name}.{namespace}", "-o", "json"]
        baseline = [kubectl, "get", "pod", name, "-n", namespace, "-o", "json"]
        timed(meshctl, env), timed(baseline, env)  # warm the page cache and the server
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(timed(meshctl, env))
            theirs.append(timed(baseline, env))
    wall, cpu = (statistics.median(run[i] for run in ours) for i in (0, 1))
    base_wall, base_cpu = (statistics.median(run[i] for run in theirs) for i in (0, 1))
    verdict = "ok" if wall <= 2 * base_wall else "MISSED"
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print(f"meshctl pc cluster POD -o json   wall {wall:6.3f} s  cpu {cpu:6.3f} s")
    print(f"kubectl get pod POD -o json      wall {base_wall:6.3f} s  cpu {base_cpu:6.3f} s")
    print(f"ratio: wall {wall / base_wall:4.2f}x (goal <= 2x: {verdict}), cpu {cpu / base_cpu:4.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
