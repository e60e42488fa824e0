"""Run the fake API server as its own process (for bench/ scripts that want it off their GIL).

    PYTHONPATH=tests python -m fakekube --pods 500 --latency 0.05 --admin 127.0.0.1:15000 --max-seconds 600

Prints one line `READY <url> <kubeconfig>` on stdout when serving, then serves until SIGTERM/SIGINT
or --max-seconds, whichever comes first. Every pod is backed by the --admin Envoy (port-forward to
15000 and `pilot-agent request`), and by --run-dir for `cat` (e.g. envoy-rev.json).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from . import FakeKube, mesh


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakekube", description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=0, help="sidecar pods to create (fakekube.mesh)")
    parser.add_argument("--namespaces", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--admin", help="HOST:PORT of the Envoy admin that backs every istio-proxy")
    parser.add_argument("--run-dir", help="directory standing in for the proxy's filesystem (cat)")
    parser.add_argument("--workdir", help="where to write the kubeconfig (a temp dir by default)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS (CA in the kubeconfig)")
    parser.add_argument("--token", help="require this bearer token (kubectl sends it only with --tls)")
    parser.add_argument("--max-seconds", type=float, default=600, help="hard lifetime")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with FakeKube(latency=args.latency, tls=args.tls, token=args.token, workdir=args.workdir) as kube:
        if args.pods:
            mesh(kube, args.pods, namespaces=args.namespaces)
        if args.admin:
            host, _, port = args.admin.rpartition(":")
            kube.back_sidecar((host, int(port)), run_dir=args.run_dir)
        print(f"READY {kube.url} {kube.kubeconfig_path}", flush=True)
        stop.wait(args.max_seconds)
        print(f"served {len(kube.requests)} requests", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
