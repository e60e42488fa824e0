"""Benchmark: `meshctl inject` on all of Istio's shared injection cases, in one process.

Builds each distinct config once (templates are parsed once and shared), then injects every
pkg/kube/inject case (the error cases excluded) several times and prints the best time per case.
The goal is <= 20 ms per case. A baseline measured in the same run (PyYAML with libyaml loading
and dumping each case's golden output) is printed next to it as a ratio, so the number can be
compared across machines.

    .venv/bin/python bench/bench_inject.py [--rounds N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from timing import best_of

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _best(fn, rounds: int) -> float:
    # CPU time: the machine is shared, wall time is noisy.
    return best_of(fn, rounds, clock=time.process_time)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from tests.inject.cases import INJECT_DIR, all_cases, config_for

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
