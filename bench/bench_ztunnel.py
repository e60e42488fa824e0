"""Benchmark: `meshctl ztunnel-config` start-up and big-dump costs, as ratios to baselines run alongside.

Each measurement is the median wall time of a few runs of a fresh process, next to its baseline
measured in the same run:

- `meshctl zc workload -f <istioctl's ztunnel dump> | cat` vs `kubectl version --client`   goal <= 2.5x
  (the same goal as `pc cluster -f` in bench_pc.py)
- a big ztunnel dump (20k workloads, 4k services with 5 endpoints each, 3.3k connection
  states; 14 MB, made in a temp dir; jq 1.6+ on PATH):
  `zc workload --workload-namespace ns7 -o json` vs jq's `[.workloads[] | select(.namespace == "ns7")]`
                                                                                     goal <= 1.5x
  `zc all` (every table of the dump) vs jq's `.` (the whole dump read and written)  goal <= 2x

    .venv/bin/python bench/bench_ztunnel.py [--runs N] [--skip-big]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import wall_of

ROOT = Path(__file__).resolve().parent.parent
SMALL_DUMP = ROOT.parent / "shared/istio-testdata/istioctl/pkg/writer/ztunnel/configdump/testdata/dump.json"
MESHCTL = [sys.executable, "-m", "meshctl"]


def run(argv: list[str], *, pipe: bool = False) -> float:
    """Run once; the wall time in seconds (stdout to a pipe through cat when `pipe`)."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    if pipe:
        wall, status = wall_of(" ".join(argv) + " | cat >/dev/null", shell=True, env=env, timeout=600)
    else:
        wall, status = wall_of(argv, stdout=subprocess.DEVNULL, env=env, timeout=600)
    if status != 0:
        raise SystemExit(f"bench: {' '.join(argv)} exited {status}")
    return wall


def median(argv: list[str], runs: int, **kwargs) -> float:
    return statistics.median(run(argv, **kwargs) for _ in range(runs))


def report(label: str, value: float, baseline: float, goal: float) -> None:
    ratio = value / baseline
    print(f"{label:<62} {value:7.3f} s / {baseline:7.3f} s = {ratio:5.2f}x   goal <= {goal:g}x   {'ok' if ratio <= goal else 'MISSED'}")


def big_dump(path: Path, workloads: int = 20000, services: int = 4000) -> None:
    """A ztunnel dump shaped like ztunnel 1.2x's (lists), with certificates and connections."""
    items = []
    for i in range(workloads):
        ns = f"ns{i % 50}"
        items.append({"uid": f"Kubernetes//Pod/{ns}/app{i}-5d8f7c9b-x{i}", "workloadIps": [f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"],
                      "protocol": "HBONE" if i % 3 else "TCP", "name": f"app{i}-5d8f7c9b-x{i}", "namespace": ns,
                      "serviceAccount": f"sa{i % 200}", "workloadName": f"app{i}", "workloadType": "deployment",
                      "canonicalName": f"app{i % 400}", "canonicalRevision": "v1", "clusterId": "Kubernetes",
                      "trustDomain": "cluster.local", "node": f"node-{i % 100}", "status": "Healthy", "capacity": 1})
    svcs = []
    for s in range(services):
        ns = f"ns{s % 50}"
        endpoints = {f"{items[(s * 5 + k) % workloads]['uid']}:x": {"workloadUid": items[(s * 5 + k) % workloads]["uid"],
                                                                    "service": f"{ns}/svc{s}.{ns}.svc.cluster.local", "port": {"9080": 9080}}
                     for k in range(5)}
        svcs.append({"name": f"svc{s}", "namespace": ns, "hostname": f"svc{s}.{ns}.svc.cluster.local", "vips": [f"/10.96.{s // 256}.{s % 256}"],
                     "ports": {"9080": 9080}, "endpoints": endpoints, "ipFamilies": "IPv4"})
    states = {f"uid-{i}": {"state": "Up", "info": {"name": items[i]["name"], "namespace": items[i]["namespace"], "serviceAccount": "sa"},
                           "connections": {"inbound": [{"src": "10.9.9.9:4000", "originalDst": "x", "actualDst": f"{items[i]['workloadIps'][0]}:9080", "protocol": "HBONE"}],
                                           "outbound": []}}
              for i in range(0, workloads, 6)}
    path.write_text(json.dumps({"workloads": items, "services": svcs, "policies": [], "certificates": [], "workloadState": states}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    kubectl = shutil.which("kubectl")
    if SMALL_DUMP.exists() and kubectl:
        report("zc workload -f <istioctl dump> | cat  vs kubectl version --client",
               median([*MESHCTL, "zc", "workload", "-f", str(SMALL_DUMP)], args.runs, pipe=True),
               median([kubectl, "version", "--client"], args.runs), 2.5)
    if args.skip_big:
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-ztunnel-") as tmp:
        dump = Path(tmp) / "ztunnel.json"
        big_dump(dump)
        print(f"big dump: {dump.stat().st_size / 1e6:.0f} MB")
        jq = shutil.which("jq")
        zc = median([*MESHCTL, "zc", "workload", "--workload-namespace", "ns7", "-o", "json", "-f", str(dump)], args.runs)
        if jq:
            baseline = median([jq, '[.workloads[] | select(.namespace == "ns7")]', str(dump)], args.runs)
            report("zc workload --workload-namespace ns7 -o json  vs jq select", zc, baseline, 1.5)
            report("zc all (every table)  vs jq .", median([*MESHCTL, "zc", "all", "-f", str(dump)], args.runs),
                   median([jq, ".", str(dump)], args.runs), 2.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
