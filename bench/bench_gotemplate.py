"""Benchmark: render Istio's sidecar injection template with meshctl.gotemplate.

Parses ``injection-template.yaml`` (the ``sidecar`` template) once with sprig + Istio
functions, then executes it many times on one pod's template data, and prints the time
per render next to a baseline measured in the same run (rendering a 1-line template),
so the ratio does not depend on the machine's speed.

Data: the injector's Go-typed SidecarTemplateData (meshctl.inject.template_data) for a
one-container pod; Values are the chart defaults from the rendered injector ConfigMap.

    .venv/bin/python bench/bench_gotemplate.py [--renders N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "istio-testdata"
TEMPLATE = SHARED / "manifests/charts/istio-control/istio-discovery/files/injection-template.yaml"
CONFIGMAP = SHARED / "operator/pkg/helm/testdata/output/istiod-waypoint-workload-socket.golden.yaml"

POD = {
    "metadata": {
        "name": "hello",
        "namespace": "default",
        "labels": {"app": "hello", "version": "v1"},
        "annotations": {"prometheus.io/scrape": "true"},
    },
    "spec": {
        "serviceAccountName": "default",
        "containers": [
            {"name": "hello", "image": "fake.docker.io/google-samples/hello-go-gke:1.0", "ports": [{"containerPort": 80}]}
        ],
    },
}


def sidecar_data(values: dict):
    """The injector's Go-typed SidecarTemplateData (meshctl.inject.template_data) for POD."""
    from meshctl.inject import template_data

    proxy_config = {"proxyMetadata": {}, "interceptionMode": "REDIRECT"}
    return template_data.build(
        {
            "TypeMeta": {"kind": "Pod", "apiVersion": "v1"},
            "DeploymentMeta": {"namespace": "default", "name": "hello"},
            "ObjectMeta": POD["metadata"],
            "Spec": POD["spec"],
            "ProxyConfig": proxy_config,
            "MeshConfig": {"trustDomain": "cluster.local", "proxyListenPort": 15001, "defaultConfig": proxy_config},
            "Values": values,
            "Revision": "default",
            "NativeSidecars": False,
            "ProxyImage": "docker.io/istio/proxyv2:1.0.0",
            "ProxyInitImage": "docker.io/istio/proxyv2:1.0.0",
            "InboundTrafficPolicyMode": "",
            "CompliancePolicy": "",
            "ProxyUID": 1337,
            "ProxyGID": 1337,
        }
    )


def chart_values() -> dict:
    import yaml

    configmap = yaml.safe_load(CONFIGMAP.read_text())
    return json.loads(configmap["data"]["values"], parse_int=float)


def batch_ms(fn, repeat: int) -> float:
    """The mean time of one call over ``repeat`` calls, in milliseconds."""
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def interleaved_best(measures: dict, rounds: int = 5) -> dict:
    """Best batch of each measure, taking them in turns so that load from other processes
    on a shared machine affects all of them alike."""
    best = {name: float("inf") for name in measures}
    for _ in range(rounds):
        for name, (fn, repeat) in measures.items():
            best[name] = min(best[name], batch_ms(fn, repeat))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=100)
    args = parser.parse_args()
    if not TEMPLATE.exists():
        print(f"skipped: {TEMPLATE} not found (needs ../shared)")
        return 0
    from meshctl.gotemplate import Template
    from meshctl.gotemplate.host import HostAccess
    from meshctl.inject.template_funcs import injection_funcmap

    funcs = injection_funcmap(HostAccess.local())
    text = TEMPLATE.read_text()
    values = chart_values()
    data = sidecar_data(values)

    template = Template.parse(text, name="inject", funcs=funcs)
    output = template.execute(data)
    baseline_template = Template.parse('{{ .Values.global.proxy.image | default "x" }}', funcs=funcs)
    best = interleaved_best(
        {
            "parse": (lambda: Template.parse(text, name="inject", funcs=funcs).lookup("inject"), 2),
            "render": (lambda: template.execute(data), args.renders),
            "baseline": (lambda: baseline_template.execute(data), args.renders * 20),
        }
    )
    parse_ms, render_ms, baseline_ms = best["parse"], best["render"], best["baseline"]

    print(f"template: {TEMPLATE.name}, {len(text.splitlines())} lines, output {len(output.splitlines())} lines")
    print(f"parse+compile once: {parse_ms:7.2f} ms")
    print(f"render (per pod):   {render_ms:7.3f} ms")
    print(f"baseline (1-line):  {baseline_ms:7.4f} ms")
    print(f"ratio render/baseline: {render_ms / baseline_ms:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
