"""Benchmark: `meshctl snapshot -A` of 200 sidecar pods on the fake API server, 50 ms latency.

Every request to the fake API server (lists, gets, each port-forward and exec upgrade) sleeps
`--latency` first. Each pod's admin answers travel through a real port-forward websocket of the
fake (tests/fakekube), bridged to a small threaded HTTP server (tests/fakekube/targets.py) that
stands in for every pod's Envoy admin port. It serves an Envoy-sized synthetic dump made by
../shared/tools/gen_synthetic_dump.py (`--clusters`, default 1000: 7.4 MB with EDS), plus
/clusters?format=json, /server_info and /certs; `cat envoy-rev.json` is answered by exec.

Baseline, measured in the same run: the per-pod capture time (one pod after the other,
in-process, same latency, same code path: meshctl.snapshot.capture). Reported:
- wall ratio = wall / (pods x per-pod / concurrency); goal <= 2. With Envoy-sized dumps the
  per-pod time is mostly CPU (receive, scrub, compress), which 16 threads cannot divide on two
  cores, so the CPU floor (CPU seconds of meshctl and the fake / cores) is printed beside it;
- peak RSS of the meshctl process (getrusage of the child) against the largest dump; goal < 2x
  for what the snapshot adds above a one-pod snapshot (the interpreter and its imports: ~50 MB,
  more than a 7 MB dump by itself).

    .venv/bin/python bench/bench_snapshot.py [--pods 200] [--clusters 1000] [--latency 0.05] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MESHCTL_SHARED", ROOT.parent / "shared"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=1000, help="clusters in the synthetic dump")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sample", type=int, default=4, help="pods captured one by one for the per-pod baseline")
    args = parser.parse_args()

    import contextlib

    from meshctl.archive.writer import SnapshotWriter
    from meshctl.snapshot.capture import _capture_pod
    from meshctl.sources.kube import connect

    from fakekube import FakeKube, http_target, mesh

    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-snapshot-")))
        dump_path = workdir / "dump.json"
        subprocess.run([sys.executable, str(SHARED / "tools/gen_synthetic_dump.py"), "--clusters", str(args.clusters), str(dump_path)],
                       check=True, timeout=300)  # fmt: skip
        dump = dump_path.read_bytes()
        routes = {"/config_dump?include_eds": dump, "/clusters?format=json": b'{"cluster_statuses": []}',
                  "/server_info": b'{"state": "LIVE"}', "/certs": b'{"certificates": []}', "/stats?format=json": b'{"stats": []}',
                  "/logging": b"active loggers:\n  admin: info\n"}  # fmt: skip
        admin = stack.enter_context(http_target(routes))
        kube = stack.enter_context(FakeKube(workdir=workdir))
        pods = mesh(kube, args.pods)
        kube.back_sidecar(admin)
        kube.on_exec(["cat"], b'{"node": {}}', container="istio-proxy")
        kube.latency = args.latency

        client = connect({"kubeconfig": str(kube.kubeconfig_path)})
        with SnapshotWriter(str(workdir / "sample.tar.gz")) as writer:
            start = time.perf_counter()
            for sample in pods[: args.sample]:
                assert _capture_pod(client, writer, sample, 15000) == {}
            per_pod = (time.perf_counter() - start) / args.sample

        def snapshot(*selection: str) -> tuple[float, float, int, float]:
            command = [sys.executable, "-m", "meshctl", "snapshot", *selection, "-o", str(workdir / "mesh.tar.gz"),
                       "--concurrency", str(args.concurrency), "--kubeconfig", str(kube.kubeconfig_path)]  # fmt: skip
            # a fresh process per run, so ru_maxrss is this run's own peak
            probe = [sys.executable, "-c", _CHILD, *command]
            start = time.perf_counter()
            proc = subprocess.run(probe, capture_output=True, timeout=1200, env={**os.environ, "NO_COLOR": "1"})
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr.decode())
                raise SystemExit(f"snapshot failed: exit {proc.returncode}")
            peak_kb, cpu = (float(x) for x in proc.stdout.split())
            return wall, peak_kb * 1024, os.path.getsize(workdir / "mesh.tar.gz"), cpu

        _, one_rss, _, one_cpu = snapshot("-n", pods[0]["metadata"]["namespace"], "-l", f"app={pods[0]['metadata']['labels']['app']}")
        own_cpu = sum(os.times()[:2])
        wall, rss, size, cpu = snapshot("-A")
        server_cpu = sum(os.times()[:2]) - own_cpu
    ideal = args.pods * per_pod / args.concurrency
    mb = 1024 * 1024
    print(f"{args.pods} pods, API latency {args.latency * 1000:.0f} ms/request, concurrency {args.concurrency}")
    print(f"dump {len(dump) / mb:.1f} MB ({args.clusters} clusters, EDS); served by http_target behind the fake's port-forward")
    print(f"per-pod capture, sequential (baseline)  {per_pod * 1000:7.1f} ms")
    print(f"ideal = pods x per-pod / concurrency     {ideal:7.2f} s")
    print(f"meshctl snapshot -A wall time           {wall:7.2f} s   ratio {wall / ideal:4.2f}x   (goal <= 2x: {'met' if wall <= 2 * ideal else 'MISSED'})")
    print(f"meshctl process CPU time (user+sys)     {cpu:7.2f} s   (fake API server + admin stand-in: {server_cpu:.2f} s; {os.cpu_count()} cores)")
    # what meshctl spends per pod beyond its start-up (a 1-pod run): less sensitive to other load than wall time
    print(f"meshctl CPU per pod (above a 1-pod run) {(cpu - one_cpu) / (args.pods - 1) * 1000:7.1f} ms  "
          f"(fake API server + admin stand-in: {server_cpu / args.pods * 1000:.1f} ms)")
    floor = (cpu + server_cpu) / (os.cpu_count() or 1)
    print(f"CPU floor = both processes' CPU / cores {floor:7.2f} s   wall / max(ideal, floor) {wall / max(ideal, floor):4.2f}x   "
          f"(load average at the end: {os.getloadavg()[0]:.1f}: other work shares these cores)")
    print(f"archive size                            {size / mb:7.1f} MB  ({args.pods * len(dump) / mb:.0f} MB of dumps)")
    grown = rss - one_rss
    print(f"peak RSS, 1 pod (interpreter+imports)   {one_rss / mb:7.1f} MB")
    print(f"peak RSS, {args.pods} pods                      {rss / mb:7.1f} MB = {rss / len(dump):.1f}x the dump; "
          f"above 1 pod: {grown / mb:.1f} MB = {grown / len(dump):.2f}x the dump   (goal < 2x: {'met' if grown < 2 * len(dump) else 'MISSED'})")  # fmt: skip
    return 0


# Runs meshctl in this child, then prints its own peak RSS (KB) and CPU seconds.
_CHILD = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
sys.exit(code)
"""

if __name__ == "__main__":
    sys.exit(main())
