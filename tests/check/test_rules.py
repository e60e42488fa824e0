"""The fleet rules (meshctl.analyze.check) on data: Istio-shaped dumps built from the sandbox's resources."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest

from meshctl.analyze import check as rules
from meshctl.decode.configdump import from_object
from meshctl.errors import UsageError
from meshctl.render.check import junit_text
from meshctl.sandbox import resources
from meshctl.sandbox.certs import TestCA

from helpers.checkfacts import ADMIN, CA, NOW, WORKLOAD, dump, mesh, pod, pods


def severities(findings):
    return [(f.severity, f.code) for f in findings]


@pytest.mark.parametrize(
    ("proxy", "istiod", "expected"),
    [
        ("1.28.0", "1.28.3", ""),
        ("1.27.1", "1.28.0", ""),  # one minor behind: supported
        ("1.26.4", "1.28.0", "proxy 1.26.4 is 2 minor versions behind istiod 1.28.0 (Istio supports 1)"),
        ("1.29.0", "1.28.0", "proxy 1.29.0 is ahead of istiod 1.28.0: the data plane must not be newer than the control plane"),
        ("2.0.0", "1.28.0", "proxy 2.0.0 and istiod 1.28.0 differ in major version"),
        ("1.28-dev", "1.28.0", ""),
    ],
)
def test_skew_follows_istios_policy(proxy, istiod, expected):
    assert rules.skew_problem(proxy, istiod) == expected


def test_version_skew_rule_per_revision_and_unknowns():
    assert severities(rules.version_skew(pod(dump=dump(version="1.26.0")), mesh())) == [("error", "version-skew")]
    assert rules.version_skew(pod(), mesh())[0].msg == "proxy 1.28.0, istiod 1.28.0"
    assert severities(rules.version_skew(pod(revision="canary"), mesh())) == [("info", "istiod-missing")]
    unknown = rules.version_skew(pod(), mesh(istiod_versions=None, unknown={"istiod": "RBAC denied: cannot list pods"}))
    assert unknown[0].msg == "unknown: istiod version (proxy 1.28.0): RBAC denied: cannot list pods"
    # No ISTIO_VERSION in the bootstrap: the istio-proxy image tag.
    tagged = rules.PodFacts("p.ns", "ns", dump=dump(version=""), proxy_image="docker.io/istio/proxyv2:1.25.1-distroless")
    assert rules.proxy_version(tagged) == "1.25.1"


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("docker.io/istio/proxyv2:1.24.2", "1.24.2"),
        ("gcr.io/istio-release/proxyv2:1.22.0-distroless", "1.22.0"),
        ("localhost:5000/istio/proxyv2", ""),  # a registry port is no tag
        ("docker.io/istio/proxyv2:latest", ""),
        ("docker.io/istio/proxyv2@sha256:" + "a" * 64, ""),
    ],
)
def test_image_version(image, version):
    assert rules.image_version(image) == version


def test_pod_revision_from_label_then_status_annotation():
    assert rules.pod_revision({"istio.io/rev": "1-27"}, {}) == "1-27"
    assert rules.pod_revision({}, {"sidecar.istio.io/status": '{"revision":"canary","containers":["istio-proxy"]}'}) == "canary"
    assert rules.pod_revision({}, {"sidecar.istio.io/status": "not json"}) == "default"


def test_istiod_versions_by_revision_from_running_discovery_containers():
    from fakekube import pod as api_pod

    def istiod(name, revision, image, phase="Running"):
        return api_pod(name, "istio-system", labels={"app": "istiod", "istio.io/rev": revision}, phase=phase,
                       containers=[{"name": "discovery", "image": image}])  # fmt: skip

    pods = [istiod("a", "default", "istio/pilot:1.28.0"), istiod("b", "default", "istio/pilot:1.28.1"),
            istiod("c", "1-27", "istio/pilot:1.27.3"), istiod("d", "old", "istio/pilot:1.20.0", phase="Pending")]  # fmt: skip
    assert rules.istiod_versions(pods) == {"default": ("1.28.0", "1.28.1"), "1-27": ("1.27.3",)}


def test_warming_resources_are_warnings_with_their_age():
    updated = (NOW - timedelta(minutes=5, seconds=3)).isoformat().replace("+00:00", "Z")
    found = rules.xds_warming(pod(dump=dump(warming=[("outbound|3306||mysqldb.db.svc.cluster.local", updated)])), mesh())
    assert severities(found) == [("warning", "warming")]
    assert found[0].msg == "cluster outbound|3306||mysqldb.db.svc.cluster.local warming for 5m3s (endpoints or secrets not delivered)"
    assert rules.xds_warming(pod(), mesh()) == []


def test_workload_cert_states():
    assert severities(rules.workload_cert(pod(), mesh())) == [("info", "cert")]
    expiring = rules.workload_cert(pod(), mesh(cert_warn=timedelta(days=2)))
    assert expiring[0].msg == f"workload certificate expires in 23h1m ({WORKLOAD.not_after:%Y-%m-%dT%H:%M:%SZ}), within --cert-warn 2d"
    assert severities(rules.workload_cert(pod(), mesh(now=WORKLOAD.not_after + timedelta(seconds=1)))) == [("error", "cert-expired")]
    assert severities(rules.workload_cert(pod(), mesh(now=WORKLOAD.not_before - timedelta(hours=1)))) == [("error", "cert-not-yet-valid")]
    only_root = [s for s in resources.secrets(b"", b"", CA.root.cert_pem) if s["name"] == "ROOTCA"]
    assert severities(rules.workload_cert(pod(dump=dump(secrets=only_root)), mesh())) == [("error", "cert-missing")]


def test_root_ca_compared_root_by_root():
    other = TestCA().root.cert_pem
    assert severities(rules.root_ca(pod(), mesh())) == [("info", "rootca")]
    assert severities(rules.root_ca(pod(), mesh(root_certs={"default": other}))) == [("error", "rootca-mismatch")]
    both = mesh(root_certs={"default": CA.root.cert_pem + other})
    assert rules.root_ca(pod(), both)[0].msg == "ROOTCA and istio-ca-root-cert share 1 of 2 roots (CA migration?)"
    assert severities(rules.root_ca(pod(), mesh(root_certs={"default": None}))) == [("warning", "rootca-configmap-missing")]
    only_default = [s for s in resources.secrets(WORKLOAD.cert_pem, b"", CA.root.cert_pem) if s["name"] == "default"]
    missing = rules.root_ca(pod(dump=dump(secrets=only_default)), mesh())
    assert [(f.code, f.msg) for f in missing] == [("rootca-unreadable", "secret ROOTCA not in the dump (no SDS root secret yet?)")]
    denied = mesh(root_certs={}, unknown={"configmap:default": "RBAC denied"})
    assert rules.root_ca(pod(), denied)[0].msg == "unknown: ConfigMap istio-ca-root-cert not read: RBAC denied"


def test_tls_mode_rule_uses_the_socket_each_endpoint_selects():
    ratings = "outbound|9080||ratings.default.svc.cluster.local"
    # 10.244.0.14 carries tlsMode=istio, 10.244.1.5 no metadata (resources.SERVICES).
    healthy = {"10.244.0.14": ("ratings-v1.default", True), "10.244.1.5": ("ratings-legacy.default", False)}
    assert rules.tls_mode_targets(pod(), mesh(pods=pods(healthy))) == []
    swapped = {"10.244.0.14": ("ratings-v1.default", False), "10.244.1.5": ("ratings-v2.default", True)}
    found = rules.tls_mode_targets(pod(), mesh(pods=pods(swapped)))
    assert [(f.severity, f.code, f.target) for f in found] == [
        ("error", "mtls-to-plain-pod", ratings), ("warning", "plaintext-to-sidecar", ratings)]
    # The same words as explain mtls's verdict (one engine), and where the endpoint is.
    assert found[0].msg == f"SRC sends Istio mTLS (tlsMode=istio) to pod ratings-v1.default, which has no sidecar ({ratings} -> 10.244.0.14:9080)"
    assert found[1].msg.startswith("SRC sends plain text to sidecar pod ratings-v2.default: refused if its PeerAuthentication is STRICT")
    assert severities(rules.tls_mode_targets(pod(dump=dump(eds=False)), mesh())) == [("unknown", "no-eds")]
    unread = rules.tls_mode_targets(pod(), mesh(pods=None, unknown={"pods": "pods was not recorded in snapshot s.tgz"}))
    assert [(f.severity, f.code, f.msg) for f in unread] == [
        ("unknown", "pods-unknown", "unknown: pods (sidecar or not) behind the endpoints: pods was not recorded in snapshot s.tgz")]


def test_tls_mode_rule_judges_plaintext_by_the_targets_inbound_listener():
    """With the target's dump read (check's first pass), plain text to a STRICT sidecar fails
    and to a PERMISSIVE one passes, as explain mtls says with DST's dump."""
    from meshctl.analyze.mtls import server_facts

    from helpers.mtlsdata import make_dump, virtual_inbound

    target = {"10.244.1.5": ("ratings-v2.default", True)}
    strict = {"ratings-v2.default": server_facts(make_dump(listeners=[virtual_inbound(9080, "STRICT")]), "ratings-v2.default")}
    found = rules.tls_mode_targets(pod(), mesh(pods=pods(target), servers=strict))
    assert [(f.severity, f.code) for f in found] == [("error", "will-fail")]
    assert found[0].msg.startswith("no filter chain of DST's virtualInbound accepts raw_buffer on port 9080")
    permissive = {"ratings-v2.default": server_facts(make_dump(listeners=[virtual_inbound(9080, "PERMISSIVE")]), "ratings-v2.default")}
    assert rules.tls_mode_targets(pod(), mesh(pods=pods(target), servers=permissive)) == []


def test_injector_revision():
    assert severities(rules.injector_revision(pod(), mesh())) == [("info", "revision")]
    assert severities(rules.injector_revision(pod(revision="1-26"), mesh())) == [("error", "revision-gone")]
    still_served = mesh(istiod_versions={"default": ("1.28.0",), "1-26": ("1.26.1",)})
    assert severities(rules.injector_revision(pod(revision="1-26"), still_served)) == [("warning", "revision-no-webhook")]


def test_unreachable_pod_is_one_failed_result():
    facts = rules.PodFacts("p.ns", "ns", admin_error="port-forward failed: refused")
    results = rules.run_checks(facts, mesh())
    assert [(r.check, r.status, r.detail) for r in results] == [("admin-api", "FAIL", "port-forward failed: refused")]
    assert [r.check for r in rules.run_checks(pod(), mesh())] == [c.name for c in rules.CHECKS]


def test_report_fail_on_table_and_junit():
    healthy = rules.PodReport("a.ns", "ns", tuple(rules.run_checks(pod(), mesh(cert_warn=timedelta(days=2)))))
    down = rules.PodReport("b.ns", "ns", tuple(rules.run_checks(rules.PodFacts("b.ns", "ns", admin_error="refused"), mesh())))
    skipped = rules.PodReport("c.ns", "ns", not_checked="interrupted before it started")
    report = rules.Report((healthy, down, skipped))
    assert report.counts() == {"pass": 6, "warn": 1, "fail": 1, "unknown": 0, "notChecked": 1}
    assert report.failing == 1 and rules.Report(report.pods, fail_on="warning").failing == 2
    table = rules.report_table(report)
    assert table.rows[-1] == ["c.ns", "-", "NOT CHECKED", "interrupted before it started"]
    root = ET.fromstring(junit_text(report))
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("21", "1", "13")
    document = rules.report_document(report)
    assert document["summary"] == {"pods": 3, "checks": 8, "pass": 6, "warn": 1, "fail": 1, "unknown": 0, "notChecked": 1}


def test_durations():
    assert rules.parse_duration("1h30m", "--cert-warn") == timedelta(minutes=90)
    assert rules.parse_duration("7d", "--cert-warn") == timedelta(days=7)
    assert rules.parse_duration("90", "--cert-warn") == timedelta(seconds=90)  # seconds, as kubectl reads a bare number
    for bad in ("", "1x", "h1", "-5m"):
        with pytest.raises(UsageError, match="invalid --cert-warn"):
            rules.parse_duration(bad, "--cert-warn")


def test_time_left_is_a_duration_for_short_lived_certificates():
    from meshctl.model.durations import time_left

    assert time_left(timedelta(hours=23, minutes=59, seconds=30)) == "23h59m"  # an Istio certificate: not "0 days"
    assert time_left(timedelta(days=364, hours=23)) == "364d23h"
    assert time_left(-timedelta(hours=2)) == "expired 2h ago"


def test_root_pem_is_what_the_sandbox_secret_carries():
    # Guard for the fixtures above: the ROOTCA secret holds the CA root as base64 inline_bytes.
    root = [s for s in resources.secrets(b"x", b"y", CA.root.cert_pem) if s["name"] == "ROOTCA"][0]
    assert base64.b64decode(root["validation_context"]["trusted_ca"]["inline_bytes"]) == CA.root.cert_pem


def test_warming_listeners_and_secrets_count_too():
    listeners = {"@type": ADMIN + "ListenersConfigDump", "dynamic_listeners": [
        {"name": "0.0.0.0_8080", "warming_state": {"listener": {"name": "0.0.0.0_8080"}, "last_updated": "2026-01-01T00:00:00.120Z"}},
        {"name": "virtualInbound", "active_state": {"listener": {"name": "virtualInbound"}}}]}
    secrets = {"@type": ADMIN + "SecretsConfigDump", "dynamic_warming_secrets": [{"name": "file-cert:/etc/certs/cert.pem"}]}
    found = rules.warming_resources(from_object({"configs": [listeners, secrets]}))
    assert found == [("listener", "0.0.0.0_8080", "2026-01-01T00:00:00.120Z"), ("secret", "file-cert:/etc/certs/cert.pem", "")]
    now = datetime(2026, 1, 1, 0, 2, 0, tzinfo=timezone.utc)
    messages = [f.msg for f in rules.xds_warming(pod(dump=from_object({"configs": [listeners, secrets]})), mesh(now=now))]
    assert messages == ["listener 0.0.0.0_8080 warming for 1m59s (endpoints or secrets not delivered)",
                        "secret file-cert:/etc/certs/cert.pem warming (endpoints or secrets not delivered)"]


def test_a_rule_crashing_on_one_pod_is_that_pods_failed_row():
    from meshctl.commands.check import pod_report
    from meshctl.sources.fleet import FAILED, PodResult

    report = pod_report(PodResult({"metadata": {"name": "p", "namespace": "ns"}}, FAILED, error="unexpected KeyError: 'x'"), mesh())
    assert [(r.check, r.status, r.detail) for r in report.results] == [("-", "FAIL", "unexpected KeyError: 'x'")]
