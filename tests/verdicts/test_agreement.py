"""explain mtls and check agree: random small meshes, every (SRC, DST) pair, one verdict engine.

Each mesh has 2-5 pods, each with a sidecar (inbound STRICT, PERMISSIVE or DISABLE, its admin API
readable or not), without one, or captured by ztunnel; 1-3 services whose endpoints are random
pods, each endpoint with or without ``tlsMode=istio``, each service's cluster auto-mTLS,
ISTIO_MUTUAL or DISABLE. For every sidecar SRC whose dump was read and every other pod DST that
SRC has an endpoint for, `explain mtls SRC DST` (DST given as its pod: its dump when readable,
else its IPs and the pod list) and `check`'s tls-mode findings for SRC about DST's IP must agree:
explain says "will fail" exactly when check has an error about DST (with explain's first reason
as its message), and explain's verdict carries a caution exactly when check warns.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timezone

import pytest

from meshctl.analyze import check as rules
from meshctl.analyze.mtls import VERDICT_FAIL, Destination, explain_mtls
from meshctl.model.mesh import PodIndex

from fakekube import istio_pod, pod
from helpers.mtlsdata import assignment, auto_mtls_cluster, bootstrap, disable_cluster, istio_mutual_cluster, make_dump, virtual_inbound

PORT = 9080
MODES = ("STRICT", "PERMISSIVE", "DISABLE")
CLUSTERS = {"auto": auto_mtls_cluster, "istio-mutual": istio_mutual_cluster, "disable": disable_cluster}
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def random_mesh(rng: random.Random):
    """(pod objects, {pod key: dump or None (admin unreadable)}) for sidecar pods, as a cluster would hold them."""
    pods, inbound = [], {}
    for index in range(rng.randint(2, 5)):
        name, ip = f"w{index}", f"10.0.0.{index + 1}"
        kind = rng.choice(("sidecar", "sidecar", "plain", "ambient"))
        if kind == "sidecar":
            pods.append(istio_pod(name, "default", ip=ip))
            inbound[f"{name}.default"] = rng.choice(MODES) if rng.random() < 0.8 else None  # None: admin unreadable
        else:
            annotations = {"ambient.istio.io/redirection": "enabled"} if kind == "ambient" else None
            pods.append(pod(name, "default", ip=ip, annotations=annotations))
    services = []
    for index in range(rng.randint(1, 3)):
        host = f"svc{index}.default.svc.cluster.local"
        members = rng.sample(pods, rng.randint(1, len(pods)))
        endpoints = [(p["status"]["podIP"], "istio" if rng.random() < 0.5 else None) for p in members]
        services.append((CLUSTERS[rng.choice(list(CLUSTERS))](host, PORT), endpoints))
    dumps = {}
    for obj in pods:
        key = f"{obj['metadata']['name']}.default"
        if key in inbound and inbound[key] is not None:
            dumps[key] = make_dump(
                node=bootstrap(obj["metadata"]["name"], "default", obj["status"]["podIP"]),
                clusters=[cluster for cluster, _ in services],
                assignments=[assignment(cluster["name"], endpoints, PORT) for cluster, endpoints in services],
                listeners=[virtual_inbound(PORT, inbound[key])],
            )
        elif key in inbound:
            dumps[key] = None
    return pods, dumps


def check_findings(pods, dumps) -> dict[str, list]:
    """check's two passes over the sidecar pods; pod key -> its tls-mode findings."""
    mesh = rules.MeshFacts(now=NOW, pods=PodIndex.of(pods))
    done = {}
    for key, dump in dumps.items():
        facts = rules.PodFacts(key, "default", dump=dump, admin_error="" if dump is not None else "admin API unreachable")
        done[key] = rules.first_pass(facts, mesh)
    mesh = rules.MeshFacts(now=NOW, pods=mesh.pods, servers={key: d.server for key, d in done.items() if d.server})
    found = {}
    for key, first in done.items():
        results = {r.check: r for r in rules.second_pass(first, mesh)}
        found[key] = list(results["tls-mode"].findings) if "tls-mode" in results else None
    return found


def about(findings, ip: str, severity: str) -> list[str]:
    """Messages of `severity` whose endpoint (the one named after "->") is at `ip`."""
    return [f.msg for f in findings if f.severity == severity and re.search(rf"-> {re.escape(ip)}:\d+", f.msg)]


@pytest.mark.parametrize("seed", range(150))
def test_explain_and_check_agree_on_every_pair(seed):
    compare_pairs(seed)


def compare_pairs(seed: int) -> int:
    """Assert the agreement for the mesh of `seed`; the number of (SRC, DST) pairs compared."""
    rng = random.Random(seed)
    pods, dumps = random_mesh(rng)
    index = PodIndex.of(pods)
    findings = check_findings(pods, dumps)
    compared = 0
    for src_key, src in dumps.items():
        if src is None:
            assert findings[src_key] is None  # unreachable: only its admin-api row
            continue
        for dst in index.pods:
            if dst.key == src_key:
                continue
            dst_dump = dumps.get(dst.key)
            explanation = explain_mtls(src, Destination(dst.key, "", None, dst.ips), dst_dump, pods=index, target=dst, now=NOW)
            if not explanation.paths:
                # SRC has no endpoint at DST: check has nothing to say about it either.
                assert not about(findings[src_key], dst.ips[0], "error") and not about(findings[src_key], dst.ips[0], "warning")
                continue
            compared += 1
            errors = about(findings[src_key], dst.ips[0], "error")
            warnings = about(findings[src_key], dst.ips[0], "warning")
            failing = [e for path in explanation.paths for e in path.endpoints if e.problems]
            assert (explanation.verdict == VERDICT_FAIL) == bool(errors), (seed, src_key, dst.key, explanation.summary(), errors)
            assert {e.problems[0] for e in failing} == {message.rpartition(" (")[0] for message in errors}, (seed, src_key, dst.key)
            cautions = {c for path in explanation.paths for e in path.endpoints if not e.problems for c in e.cautions}
            assert cautions == {message.rpartition(" (")[0] for message in warnings}, (seed, src_key, dst.key)
    return compared


def test_the_generator_covers_every_case():
    """Over the seeds, each kind of finding occurs and most meshes have pairs to compare: the
    agreement above is not vacuous."""
    seen, compared = set(), 0
    for seed in range(150):
        pods, dumps = random_mesh(random.Random(seed))
        for messages in check_findings(pods, dumps).values():
            seen.update(f.code for f in messages or ())
        compared += bool(compare_pairs(seed))
    assert {"mtls-to-plain-pod", "plaintext-to-sidecar", "will-fail"} <= seen
    assert compared >= 100
