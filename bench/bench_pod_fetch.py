"""Benchmark: fetching a config dump from a pod through the fake API server (port-forward, exec).

Serves a synthetic dump of SIZE MB behind the fake Kubernetes API server (tests/fakekube) and
fetches it through meshctl's pod source both ways. The baseline, measured in the same run, is a
plain HTTP GET of the same bytes from the same local server (what `--admin` does); ratios are
printed so the numbers compare across machines. Everything binds 127.0.0.1 and stops at exit.

    .venv/bin/python bench/bench_pod_fetch.py [--size-mb 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from timing import best_of

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from meshctl.sources.admin import AdminSource
    from meshctl.sources.kube import connect
    from meshctl.sources.pod import proxy_source

    from fakekube import FakeKube, istio_pod
    from fakekube.targets import http_target

    entry = b'{"@type":"type.googleapis.com/x","pad":"' + b"a" * 1000 + b'"}'
    count = int(args.size_mb * 1e6 / len(entry))
    dump = b'{"configs": [' + b",".join([entry] * count) + b"]}"
    with FakeKube() as kube, http_target({"/config_dump": dump}) as target:
        kube.add(istio_pod("bench-1", "default"), istio_pod("bench-2", "default"))
        kube.forward_port(15000, target)
        kube.refuse_port_forward("upgrade", pod="bench-2")
        kube.on_exec(["pilot-agent", "request", "GET"], dump, pod="bench-2")
        client = connect({"kubeconfig": str(kube.kubeconfig_path)})
        forwarded, executed = proxy_source(client, "bench-1"), proxy_source(client, "bench-2")
        assert forwarded.fetch("config_dump") == dump and executed.fetch("config_dump") == dump
        assert forwarded.paths_used == ["port-forward"] and executed.paths_used == ["exec"]
        baseline = best_of(lambda: AdminSource(f"http://{target[0]}:{target[1]}").fetch("config_dump"), args.rounds)
        via_forward = best_of(lambda: forwarded.fetch("config_dump"), args.rounds)
        via_exec = best_of(lambda: executed.fetch("config_dump"), args.rounds)
    print(f"dump {len(dump) / 1e6:.1f} MB, best of {args.rounds}")
    print(f"direct HTTP (baseline)   {baseline:7.3f} s")
    print(f"pod via port-forward     {via_forward:7.3f} s   ratio {via_forward / baseline:5.1f}x")
    print(f"pod via exec             {via_exec:7.3f} s   ratio {via_exec / baseline:5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
