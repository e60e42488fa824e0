"""Benchmark: `meshctl check -A` over 500 sidecar pods on the fake API server with 50 ms latency.

Every request to the fake API server (lists, gets, and each port-forward upgrade) sleeps
`--latency` first. Each pod fetch is a real `config_dump?include_eds` through a real
port-forward websocket. What answers it (`--admin`):
- `recorded` (default): a small threaded HTTP server (tests/fakekube/targets.py) standing in for
  the 500 pods' admin ports, serving the dump recorded from the real Envoy rig at start;
- `rig`: the real Envoy rig itself, one Envoy for all 500 pods. Envoy renders config_dump on its
  main thread (~20-25 ms here), so 500 fetches serialise to 10+ s in Envoy alone: a limit of the
  set-up (in a cluster every pod has its own Envoy), not of meshctl.
Goal: wall time <= 10 s for 500 pods at the default concurrency of 16.

The baseline, measured in the same run, is the per-pod time: checking a handful of pods one
after the other in-process (port-forward + fetch + decode + rules, same latency). The printed
ratio is wall / (pods x per-pod time / concurrency): 1.0 would be perfect parallelism; the
fixed costs (interpreter start, imports, listing pods, mesh facts) push it above 1.

    .venv/bin/python bench/bench_check.py [--pods 500] [--latency 0.05] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--admin", choices=("recorded", "rig"), default="recorded", help="what answers the pods' admin port")
    parser.add_argument("--sample", type=int, default=8, help="pods checked one by one for the per-pod baseline")
    args = parser.parse_args()

    import contextlib

    from meshctl.analyze.check import run_checks
    from meshctl.commands.check import mesh_facts, pod_facts
    from meshctl.sandbox.rig import Rig
    from meshctl.sources.kube import connect

    from fakekube import FakeKube, configmap, http_target, injector_webhook, mesh, pod

    with contextlib.ExitStack() as stack:
        rig = stack.enter_context(Rig.start(max_seconds=600))
        kube = stack.enter_context(FakeKube())
        if args.admin == "rig":
            admin = ("127.0.0.1", rig.admin_port)
        else:
            admin = stack.enter_context(http_target({"/config_dump?include_eds": rig.admin().fetch("config_dump?include_eds")}))
        pods = mesh(kube, args.pods)
        kube.add(pod("istiod-1", "istio-system", labels={"app": "istiod", "istio.io/rev": "default"},
                     containers=[{"name": "discovery", "image": "docker.io/istio/pilot:1.28.0"}]), injector_webhook())  # fmt: skip
        for namespace in sorted({p["metadata"]["namespace"] for p in pods}):
            kube.add(configmap("istio-ca-root-cert", namespace, {"root-cert.pem": rig.ca.root.cert_pem.decode()}))
        kube.back_sidecar(admin)
        kube.latency = args.latency

        client = connect({"kubeconfig": str(kube.kubeconfig_path)})
        facts = mesh_facts(client, pods[: args.sample], now=datetime.now(timezone.utc), cert_warn=rig_cert_warn())
        start = time.perf_counter()
        for sample in pods[: args.sample]:
            results = run_checks(pod_facts(client, sample, 15000), facts)
            assert results[0].status == "PASS", results[0]
        per_pod = (time.perf_counter() - start) / args.sample

        kube.clear_requests()
        command = [sys.executable, "-m", "meshctl", "check", "-A", "-o", "json", "--cert-warn", "30m",
                   "--concurrency", str(args.concurrency), "--kubeconfig", str(kube.kubeconfig_path)]  # fmt: skip
        start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(command, capture_output=True, timeout=600, env={**os.environ, "NO_COLOR": "1"})
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        import json

        summary = json.loads(proc.stdout)["summary"]
        forwards = len(kube.requests_for(subresource="portforward"))
    ideal = args.pods * per_pod / args.concurrency
    print(f"{args.pods} pods, API latency {args.latency * 1000:.0f} ms/request, concurrency {args.concurrency}, admin: {args.admin}")
    print(f"exit {proc.returncode}; summary {summary}; port-forwards {forwards}")
    print(f"per-pod check, sequential (baseline)   {per_pod * 1000:7.1f} ms")
    print(f"ideal = pods x per-pod / concurrency     {ideal:7.2f} s")
    print(f"meshctl process CPU time (user+sys)     {cpu:7.2f} s")
    print(f"meshctl check -A wall time              {wall:7.2f} s   ratio {wall / ideal:4.2f}x   (goal <= 10 s: {'met' if wall <= 10 else 'MISSED'})")
    return 0 if proc.returncode in (0, 79) else 1


def rig_cert_warn():
    from datetime import timedelta

    return timedelta(minutes=30)  # the rig's certs live 1h: no expiry warning in the numbers


if __name__ == "__main__":
    sys.exit(main())
