"""Benchmark: `meshctl inject`, in one process over Istio's cases and as one CLI run for one pod.

1. Builds each distinct config once (templates are parsed once and shared), then injects every
   pkg/kube/inject case (the error cases excluded) several times and prints the best time per case.
   The goal is <= 20 ms per case. A baseline measured in the same run (PyYAML with libyaml loading
   and dumping each case's golden output) is printed next to it as a ratio, so the number can be
   compared across machines.
2. `meshctl inject --dry-run` for one pod with the injector ConfigMap of Istio's tests (8 templates,
   one used) as a fresh process, median wall time vs `kubectl version --client` (goal <= 3x, issue 16),
   and how much of it is importing pydantic (Typer's coercion of list options such as `--set`).

    .venv/bin/python bench/bench_inject.py [--rounds N] [--cli-runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from timing import best_of

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the test helpers (helpers.injection: Istio's cases)


def _best(fn, rounds: int) -> float:
    # CPU time: the machine is shared, wall time is noisy.
    return best_of(fn, rounds, clock=time.process_time)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cli-runs", type=int, default=11, help="fresh processes per CLI measure (0: skip)")
    args = parser.parse_args()

    from helpers.injection import INJECT_DIR, all_cases, config_for

    if not INJECT_DIR.exists():
        print(f"shared test data not found at {INJECT_DIR}", file=sys.stderr)
        return 2
    import yaml

    from meshctl.inject.pipeline import inject

    cases = [c for c in all_cases() if not c.skip and not c.error]
    start = time.perf_counter()
    work = [(config_for(c), (INJECT_DIR / c.input).read_text()) for c in cases]
    setup = time.perf_counter() - start
    goldens = [(INJECT_DIR / c.golden).read_text() for c in cases]
    loader, dumper = getattr(yaml, "CSafeLoader", yaml.SafeLoader), getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    def run_inject():
        for config, source in work:
            inject(source, config)

    def run_baseline():
        for text in goldens:
            yaml.dump_all(list(yaml.load_all(text, Loader=loader)), Dumper=dumper)

    first = _best(run_inject, 1)
    per_case = _best(run_inject, args.rounds) / len(cases) * 1000
    baseline = _best(run_baseline, args.rounds) / len(cases) * 1000
    print(f"cases: {len(cases)} (configs built in {setup:.2f} s wall, {len({c.config_key for c in cases})} distinct)")
    print(f"first pass (compiles templates): {first / len(cases) * 1000:.1f} ms/case CPU")
    print(f"inject: {per_case:.1f} ms/case CPU (goal <= 20 ms: {'met' if per_case <= 20 else 'NOT met'})")
    print(f"baseline, PyYAML+libyaml load+dump of the golden: {baseline:.1f} ms/case")
    print(f"ratio inject/baseline: {per_case / baseline:.1f}x")
    if args.cli_runs:
        one_pod_cli(args.cli_runs)
    return 0


def _wall(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one run of `argv`."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(), timeout=120)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[-300:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def _env() -> dict:
    return {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}


def _pydantic_import_seconds(argv: list[str]) -> float:
    """Seconds spent importing pydantic (through Typer's coercion adapters) in one run of `argv`,
    from `python -X importtime`: the cumulative time of the outermost such imports."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *argv[1:]], capture_output=True, text=True, env=_env(), timeout=120)
    entries = []  # (depth, module, cumulative us), children before their parent
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line[13:]:
            continue
        _, cumulative, name = line[12:].split("|")
        if not cumulative.strip().isdigit():
            continue
        entries.append(((len(name) - len(name.lstrip())) // 2, name.strip(), int(cumulative)))
    total = 0
    for i, (depth, name, cumulative) in enumerate(entries):
        if not name.startswith(("pydantic", "typer._adapters")):
            continue
        parent = next((n for d, n, _ in entries[i + 1:] if d < depth), "")
        if not parent.startswith(("pydantic", "typer._adapters")):
            total += cumulative
    return total / 1e6


def one_pod_cli(runs: int) -> None:
    """`meshctl inject --dry-run` of one pod with 8 templates available, vs `kubectl version --client`."""
    from helpers.injection import INJECT_DIR, INJECTOR_CONFIGMAP, MESH_CONFIGMAP

    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print("kubectl not found: the one-pod CLI ratio is skipped")
        return
    argv = [sys.executable, "-m", "meshctl", "inject", "--dry-run", "-f", str(INJECT_DIR / "hello.yaml"),
            "--injectConfigFile", str(INJECTOR_CONFIGMAP), "--meshConfigFile", str(MESH_CONFIGMAP)]
    _wall(argv)  # warm the page cache
    times = {"meshctl": [], "kubectl": []}
    for _ in range(runs):  # interleaved, so load from other processes affects both alike
        times["meshctl"].append(_wall(argv))
        times["kubectl"].append(_wall([kubectl, "version", "--client"]))
    meshctl, kubectl_time = (statistics.median(wall for wall, _ in times[name]) for name in ("meshctl", "kubectl"))
    meshctl_cpu, kubectl_cpu = (statistics.median(cpu for _, cpu in times[name]) for name in ("meshctl", "kubectl"))
    pydantic = statistics.median(_pydantic_import_seconds(argv) for _ in range(3))
    ratio = meshctl / kubectl_time
    print(f"inject --dry-run, one pod (8 templates, 1 used): {meshctl * 1000:.0f} ms vs kubectl version --client "
          f"{kubectl_time * 1000:.0f} ms: ratio {ratio:.1f}x (goal <= 3x: {'met' if ratio <= 3 else 'NOT met'})")
    without = (meshctl - pydantic) / kubectl_time
    print(f"  of which importing pydantic for Typer's list-option coercion: {pydantic * 1000:.0f} ms "
          f"(without it: {without:.1f}x)")
    # CPU time is steadier than wall time on a loaded machine (kubectl is multi-threaded: compare with care)
    print(f"  CPU (user + system): {meshctl_cpu * 1000:.0f} ms vs {kubectl_cpu * 1000:.0f} ms: {meshctl_cpu / kubectl_cpu:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
