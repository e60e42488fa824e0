"""Benchmark: `meshctl pc` start-up and big-dump costs, as ratios to baselines run alongside.

Each measurement is the median of a few runs of a fresh process (wall and CPU time, user +
system from getrusage of the children; peak RSS for big dumps), next to its baseline measured in
the same run:

- `meshctl --version` vs the venv's `python -c pass`                       goal <= 2x
- `meshctl pc cluster -f <small istioctl dump> | cat` vs `kubectl version --client`   goal <= 2.5x
- `meshctl pc --help` vs `kubectl version --client`                        goal <= 4x
- `meshctl inject --dry-run` of one pod (istioctl's kubeinject testdata) vs `kubectl version --client`   goal <= 3x
- 148 MB dump (gen_synthetic_dump.py --clusters 20000 --endpoints 4, made in a temp dir):
  `pc cluster --fqdn svc123. -o json` vs the equivalent jq filter           goal <= 0.35x time, <= 0.7x RSS
  `pc cluster` (short table of all 20k clusters)                           goal <= 1.5 s
  `pc all -o json` (the whole dump, istioctl's JSON) vs `jq .`             goal <= 0.5x time, <= 1.2x RSS
  with --yaml, `pc all -o yaml` vs `jq .`                                  goal <= 0.5x time, <= 1.2x RSS
- 50k-cluster dump (--big-secret): `pc secret`                             goal <= 0.6 s, <= 500 MB
  redaction (meshctl.redact) of `pc all -o json`'s 300 MB output vs that command's time   goal <= 0.10x:
  the redaction the command does (each new piece of render.dumpjson, `_redacted`), and what the
  stream redactor would cost on the whole output (as for several pods' dumps)

Runs alternate subject and baseline (the machine is shared: each pair sees the same load), and
print CPU time beside wall time: on a loaded machine the CPU ratio is the steadier one (a
start-up's wall median read alone once gave `--version` 2.20x where its instruction count, under
valgrind --tool=callgrind, is 1.80x `python -c pass`).

    .venv/bin/python bench/bench_pc.py [--runs N] [--skip-big] [--big-secret] [--yaml]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import wall_of

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SMALL_DUMP = SHARED / "istio-testdata/istioctl/pkg/proxyconfig/testdata/config_dump.json"
GENERATOR = SHARED / "tools/gen_synthetic_dump.py"
PYTHON = sys.executable
MESHCTL = [PYTHON, "-m", "meshctl"]
JQ_FILTER = (
    '[.configs[] | select(."@type" | endswith("ClustersConfigDump"))'
    " | (.static_clusters // []) + (.dynamic_active_clusters // []) + (.dynamic_warming_clusters // [])"
    ' | .[] | .cluster | select(.name | contains("svc123."))]'
)


def run(argv: list[str], *, shell_pipe: bool = False, timeout: float = 300) -> tuple[float, float]:
    """Run once; return the wall time and the CPU time (user + system, of every process it made) in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    if shell_pipe:
        # `cmd | cat`: stdout is a pipe, as when a user pipes meshctl into another tool.
        wall, status = wall_of(" ".join(argv) + " | cat >/dev/null", shell=True, timeout=timeout, env=_env())
    else:
        wall, status = wall_of(argv, stdout=subprocess.DEVNULL, timeout=timeout, env=_env())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if status != 0:
        raise SystemExit(f"bench: {' '.join(argv)} exited {status}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _env() -> dict:
    return {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}


def peak_rss(argv: list[str]) -> tuple[float, int, float]:
    """Time, peak RSS and CPU time (user + system) of one run, in a fresh helper process so
    earlier children do not mask it. CPU time shows the work done when other load stretches the
    wall time (the 2 cores are shared)."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(time.perf_counter() - t, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)"
    )
    out = subprocess.run([PYTHON, "-c", code, *argv], capture_output=True, text=True, check=True, timeout=600, env=_env())
    seconds, rss, cpu = out.stdout.split()
    return float(seconds), int(rss), float(cpu)


def report(label: str, value: float, baseline: float, goal: float, unit: str = "s") -> None:
    ratio = value / baseline
    verdict = "ok" if ratio <= goal else "MISSED"
    print(f"{label:<58} {value:8.3f} {unit} vs {baseline:8.3f} {unit}  ratio {ratio:5.2f} (goal <= {goal}) {verdict}")


def paired(label: str, subject: list[str], baseline: list[str], runs: int, goal_time: float, goal_rss: float | None) -> None:
    """Subject and baseline run alternately; medians of wall and CPU time, the larger peak RSS."""
    subject_runs, baseline_runs = [], []
    for _ in range(runs):
        subject_runs.append(peak_rss(subject))
        baseline_runs.append(peak_rss(baseline))
    wall, cpu = (statistics.median(r[i] for r in subject_runs) for i in (0, 2))
    base_wall, base_cpu = (statistics.median(r[i] for r in baseline_runs) for i in (0, 2))
    report(f"{label} (wall)", wall, base_wall, goal_time)
    report(f"{label} (CPU)", cpu, base_cpu, goal_time)
    if goal_rss is not None:
        report(f"{label} (peak RSS)", max(r[1] for r in subject_runs) / 1024, max(r[1] for r in baseline_runs) / 1024, goal_rss, unit="MB")


def alternating(label: str, subject: list[str], baseline: list[str], runs: int, goal: float, *, shell_pipe: bool = False) -> None:
    """Subject and baseline run alternately (each pair sees the same load); medians of wall and CPU time."""
    subject_runs, baseline_runs = [], []
    for _ in range(runs):
        subject_runs.append(run(subject, shell_pipe=shell_pipe))
        baseline_runs.append(run(baseline))
    for index, what in ((0, "wall"), (1, "CPU")):
        median, base = statistics.median(r[index] for r in subject_runs), statistics.median(r[index] for r in baseline_runs)
        report(f"{label} ({what})", median, base, goal)


def startup(runs: int) -> None:
    alternating("meshctl --version / python -c pass", [*MESHCTL, "--version"], [PYTHON, "-c", "pass"], runs, 2.0)
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print("kubectl not found: start-up ratios against it skipped")
        return
    kubectl_version = [kubectl, "version", "--client"]
    small = [*MESHCTL, "pc", "cluster", "-f", str(SMALL_DUMP)]
    alternating("pc cluster -f small | cat / kubectl version --client", small, kubectl_version, runs, 2.5, shell_pipe=True)
    alternating("pc --help / kubectl version --client", [*MESHCTL, "pc", "--help"], kubectl_version, runs, 4.0)
    testdata = SHARED / "istio-testdata/istioctl/pkg/kubeinject/testdata"
    inject = [*MESHCTL, "inject", "--dry-run", "--meshConfigFile", str(testdata / "mesh-config.yaml"), "--injectConfigFile",
              str(testdata / "inject-config.yaml"), "--valuesFile", str(testdata / "inject-values.yaml"),
              "-f", str(testdata / "deployment/hello.yaml"), "--set", "values.global.proxy.privileged=true"]  # fmt: skip
    alternating("inject --dry-run (one pod) / kubectl version --client", inject, kubectl_version, runs, 3.0)


def big_dump(runs: int, yaml: bool = False) -> None:
    jq = shutil.which("jq")
    with tempfile.TemporaryDirectory(prefix="meshctl-bench-") as tmp:
        dump = Path(tmp) / "dump-20k.json"
        subprocess.run([PYTHON, str(GENERATOR), str(dump), "--clusters", "20000", "--endpoints", "4"], check=True, timeout=600)
        print(f"synthetic dump: {dump.stat().st_size / 1e6:.0f} MB")
        query = [*MESHCTL, "pc", "cluster", "-f", str(dump), "--fqdn", "svc123.", "-o", "json"]
        table = [*MESHCTL, "pc", "cluster", "-f", str(dump)]
        meshctl_runs = [peak_rss(query) for _ in range(runs)]
        meshctl_time = statistics.median(t for t, _, _ in meshctl_runs)
        meshctl_rss = max(r for _, r, _ in meshctl_runs)
        table_runs = [peak_rss(table) for _ in range(runs)]
        table_time = statistics.median(t for t, _, _ in table_runs)
        table_cpu = statistics.median(c for _, _, c in table_runs)
        if jq is None:
            print("jq not found: ratios against it skipped")
        else:
            jq_runs = [peak_rss([jq, JQ_FILTER, str(dump)]) for _ in range(runs)]
            jq_time = statistics.median(t for t, _, _ in jq_runs)
            jq_rss = max(r for _, r, _ in jq_runs)
            report("pc cluster --fqdn svc123. -o json / jq (time)", meshctl_time, jq_time, 0.35)
            report("pc cluster --fqdn svc123. -o json / jq (peak RSS)", meshctl_rss / 1024, jq_rss / 1024, 0.7, unit="MB")
        verdict = "ok" if table_time <= 1.5 else "MISSED"
        print(f"{'pc cluster (short table, 20k clusters)':<58} {table_time:8.3f} s  (goal <= 1.5 s) {verdict}  [cpu {table_cpu:.3f} s]")
        if jq is not None:
            paired("pc all -o json / jq . (20k clusters)", [*MESHCTL, "pc", "all", "-f", str(dump), "-o", "json"], [jq, ".", str(dump)], runs, 0.5, 1.2)
            if yaml:
                paired("pc all -o yaml / jq . (20k clusters)", [*MESHCTL, "pc", "all", "-f", str(dump), "-o", "yaml"], [jq, ".", str(dump)], runs, 0.5, 1.2)
        absolute("pc secret (20k clusters)", [*MESHCTL, "pc", "secret", "-f", str(dump)], runs, 0.6, 500)
        redaction(dump, runs)


def absolute(label: str, argv: list[str], runs: int, goal_seconds: float, goal_mb: float) -> None:
    """Median wall and CPU time, and peak RSS, of `argv` against fixed goals."""
    measured = [peak_rss(argv) for _ in range(runs)]
    wall, cpu = (statistics.median(r[i] for r in measured) for i in (0, 2))
    rss = max(r[1] for r in measured) / 1024
    verdict = "ok" if wall <= goal_seconds and rss <= goal_mb else "MISSED"
    print(f"{label:<58} {wall:8.3f} s  cpu {cpu:.3f} s  peak {rss:6.0f} MB  (goal <= {goal_seconds} s, <= {goal_mb} MB) {verdict}")


def big_secret(runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="meshctl-bench-") as tmp:
        dump = Path(tmp) / "dump-50k.json"
        subprocess.run([PYTHON, str(GENERATOR), str(dump), "--clusters", "50000", "--endpoints", "4"], check=True, timeout=900)
        print(f"synthetic dump: {dump.stat().st_size / 1e6:.0f} MB")
        absolute("pc secret (50k clusters)", [*MESHCTL, "pc", "secret", "-f", str(dump)], runs, 0.6, 500)


def redaction(dump: Path, runs: int) -> None:
    """The redaction step's share of the biggest output: `pc all -o json` of the dump (~300 MB).

    The command's time (which includes redaction) is the baseline; the redaction of its output,
    timed alone in a fresh process (a whole document, and streamed in 64 KB chunks as a streaming
    writer would feed it), is the cost. CPU time, so that the shared cores' load cancels out.
    """
    out = dump.with_name("all.json")
    command = [*MESHCTL, "pc", "all", "-f", str(dump), "-o", "json"]
    with open(out, "wb") as sink:
        subprocess.run(command, stdout=sink, check=True, timeout=900, env=_env())
    command_cpu = statistics.median(peak_rss(command)[2] for _ in range(runs))
    code = (
        "import sys, time; from meshctl.redact import StreamRedactor, redact_text; "
        "text = open(sys.argv[1]).read(); t = time.process_time(); redact_text(text); whole = time.process_time() - t; "
        "t = time.process_time(); s = StreamRedactor(); [s.feed(text[i:i + 65536]) for i in range(0, len(text), 65536)]; "
        "s.finish(); print(whole, time.process_time() - t)"
    )
    costs = [subprocess.run([PYTHON, "-c", code, str(out)], capture_output=True, text=True, check=True, timeout=600,
                            env=_env()).stdout.split() for _ in range(runs)]  # fmt: skip
    whole = statistics.median(float(c[0]) for c in costs)
    streamed = statistics.median(float(c[1]) for c in costs)
    # the command's own redaction: CPU time spent in render.dumpjson's `_redacted`, during the command's work
    in_path = (
        "import sys, time; from meshctl.render import dumpjson; spent = [0.0]; made = dumpjson._redacted\n"
        "def timed(batch, memos):\n t = time.process_time(); out = made(batch, memos); spent[0] += time.process_time() - t; return out\n"
        "dumpjson._redacted = timed; chunks, _ = dumpjson.istioctl_dump_json(open(sys.argv[1], 'rb').read())\n"
        "for chunk in chunks: pass\nprint(spent[0])"
    )
    in_command = statistics.median(float(subprocess.run([PYTHON, "-c", in_path, str(dump)], capture_output=True, text=True, check=True,
                                                        timeout=600, env=_env()).stdout) for _ in range(runs))  # fmt: skip
    print(f"output of pc all -o json: {out.stat().st_size / 1e6:.0f} MB")
    report("the command's redaction (dumpjson's new pieces) / the command (cpu)", in_command, command_cpu, 0.10)
    report("redaction of the whole output / the command (cpu)", whole, command_cpu, 0.10)
    report("streamed redaction (64 KB chunks) / the command (cpu)", streamed, command_cpu, 0.10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median); big-dump runs use min(runs, 3)")
    parser.add_argument("--skip-big", action="store_true", help="skip the 148 MB dump")
    parser.add_argument("--big-secret", action="store_true", help="also pc secret on a 50k-cluster dump (~370 MB, a minute to make)")
    parser.add_argument("--yaml", action="store_true", help="also pc all -o yaml of the 20k dump (not streamed: ~20 s of CPU a run)")
    args = parser.parse_args()
    if not SMALL_DUMP.exists():
        raise SystemExit(f"bench: shared test data not found at {SMALL_DUMP}")
    print(f"load average: {os.getloadavg()[0]:.2f} (2 shared cores: ratios, not absolute times, are the measure)")
    # An installed meshctl runs from bytecode (pip compiles it); a checkout under
    # PYTHONDONTWRITEBYTECODE=1 would recompile every module on every run (~60 ms more).
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "meshctl")], check=True, stdout=subprocess.DEVNULL, timeout=300)
    startup(args.runs)
    if not args.skip_big:
        big_dump(min(args.runs, 3), args.yaml)
    if args.big_secret:
        big_secret(min(args.runs, 3))


if __name__ == "__main__":
    main()
