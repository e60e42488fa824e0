"""tls-mode groups a target pod's endpoints that share one problem into one finding, and says how
many more endpoints (clusters or ports) it stands for, in the right number (issue 20)."""

from __future__ import annotations

import copy
from datetime import timedelta

from meshctl.analyze import check as rules
from meshctl.decode.configdump import from_object
from meshctl.model.tabular import Finding
from meshctl.sandbox import resources

from helpers.checkfacts import ADMIN, WORKLOAD, dump, mesh, pod, pods

REVIEWS = "outbound|9080||reviews.default.svc.cluster.local"
V1, V2 = "outbound|9080|v1|reviews.default.svc.cluster.local", "outbound|9080|v2|reviews.default.svc.cluster.local"
NO_SIDECAR = {"10.244.0.12": ("reviews-v1.default", False)}  # in the reviews cluster and its v1 subset


def with_v2_subset():
    """The sandbox's dump plus a reviews v2 subset cluster whose one endpoint is reviews-v1's IP too."""
    clusters = resources.clusters(include_warming=False)
    v2 = copy.deepcopy(next(c for c in clusters if c["name"] == V1))
    v2["name"] = V2
    v2.get("eds_cluster_config", {}).pop("service_name", None)
    endpoint = {"endpoint": {"address": {"socket_address": {"address": "10.244.0.12", "port_value": 9080}}},
                "metadata": {"filter_metadata": {"envoy.transport_socket_match": {"tlsMode": "istio"}}}}  # fmt: skip
    assignments = [*resources.endpoints(), {"cluster_name": V2, "endpoints": [{"lb_endpoints": [endpoint]}]}]
    base = dump()
    configs = [
        {"@type": ADMIN + "BootstrapConfigDump", "bootstrap": {"node": {"metadata": {"ISTIO_VERSION": "1.28.0"}}}},
        {"@type": ADMIN + "ClustersConfigDump", "dynamic_active_clusters": [{"cluster": c} for c in [*clusters, v2]]},
        {"@type": ADMIN + "EndpointsConfigDump", "dynamic_endpoint_configs": [{"endpoint_config": a} for a in assignments]},
        {"@type": ADMIN + "SecretsConfigDump", "dynamic_active_secrets": base.section("SecretsConfigDump")["dynamic_active_secrets"]},
    ]  # fmt: skip
    return from_object({"configs": configs})


def test_two_endpoints_of_one_pod_are_one_finding():
    found = rules.tls_mode_targets(pod(), mesh(pods=pods(NO_SIDECAR)))
    message = "SRC sends Istio mTLS (tlsMode=istio) to pod reviews-v1.default, which has no sidecar"
    assert found == [Finding("error", "mtls-to-plain-pod", f"{message} ({REVIEWS} -> 10.244.0.12:9080, 1 more endpoint)", REVIEWS)]


def test_three_endpoints_of_one_pod_say_two_more():
    found = rules.tls_mode_targets(pod(dump=with_v2_subset()), mesh(pods=pods(NO_SIDECAR)))
    assert [(f.code, f.target) for f in found] == [("mtls-to-plain-pod", REVIEWS)]
    assert found[0].msg.endswith(f"({REVIEWS} -> 10.244.0.12:9080, 2 more endpoints)")


def test_verdicts_are_judged_at_the_checks_time():
    """SRC's workload certificate expired by mesh.now: mTLS to a sidecar pod will fail."""
    ratings = "outbound|9080||ratings.default.svc.cluster.local"
    sidecar = pods({"10.244.0.14": ("ratings-v1.default", True)})
    assert rules.tls_mode_targets(pod(), mesh(pods=sidecar)) == []
    found = rules.tls_mode_targets(pod(), mesh(pods=sidecar, now=WORKLOAD.not_after + timedelta(hours=1)))
    expires = f"{WORKLOAD.not_after:%Y-%m-%dT%H:%M:%SZ}"
    message = f"SRC's certificate default is not valid now (expires {expires}) ({ratings} -> 10.244.0.14:9080)"
    assert found == [Finding("error", "will-fail", message, ratings)]
