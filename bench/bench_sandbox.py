"""Benchmark: start-to-ready time of the sandbox rig (`meshctl sandbox`, the live tests' fixture).

Ready = the CA and certs made, ADS and SDS servers up, Envoy LIVE with all config applied and the
warming cluster pushed. The baseline, measured in the same run, is the bare Envoy binary with an
admin-only bootstrap reaching LIVE: the ratio says what the rig adds on top of Envoy's own start.
The goal is a few seconds; the ratio lets runs on different machines be compared.

    .venv/bin/python bench/bench_sandbox.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bare_envoy_ready(envoy: str) -> float:
    """Seconds for Envoy with an admin-only bootstrap to answer /ready with LIVE."""
    with tempfile.TemporaryDirectory(prefix="meshctl-bench-") as run_dir:
        config = Path(run_dir, "bootstrap.json")
        config.write_text(json.dumps({"admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}}}))
        started = time.monotonic()
        proc = subprocess.Popen(
            [envoy, "-c", str(config), "--admin-address-path", f"{run_dir}/admin", "--disable-hot-restart", "-l", "error"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            while True:
                try:
                    address = Path(run_dir, "admin").read_text().strip()
                    if address and urllib.request.urlopen(f"http://{address}/ready", timeout=1).read() == b"LIVE\n":
                        return time.monotonic() - started
                except OSError:
                    pass
                if time.monotonic() - started > 30:
                    raise RuntimeError("bare envoy did not become LIVE in 30s")
                time.sleep(0.01)
        finally:
            proc.terminate()
            proc.wait(10)


def rig_ready() -> float:
    from meshctl.sandbox.rig import Rig

    started = time.monotonic()
    with Rig.start(max_seconds=60):
        return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from meshctl.sandbox.rig import envoy_binary

    envoy = envoy_binary()
    bare = statistics.median(bare_envoy_ready(envoy) for _ in range(args.rounds))
    rig = statistics.median(rig_ready() for _ in range(args.rounds))
    print(f"bare envoy to LIVE (baseline): {bare:.2f} s (median of {args.rounds})")
    print(f"sandbox rig start-to-ready:    {rig:.2f} s (median of {args.rounds})")
    print(f"ratio rig / bare envoy:        {rig / bare:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
