"""Every finding of the fleet rules in full: severity, code, message and target, per branch and at the
boundaries (certificate validity and --cert-warn, Istio's skew policy), and the report's table,
closing line and JSON document (docs/json.md meshctl.check/v1). test_rules.py covers the same rules
by code; here the words a user reads and the target a finding names are pinned too (issue 20)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from meshctl.analyze import check as rules
from meshctl.decode.configdump import from_object
from meshctl.model.mesh import PodIndex
from meshctl.model.tabular import Finding
from meshctl.sandbox.certs import TestCA

from helpers.checkfacts import ADMIN, CA, NOW, WORKLOAD, dump, mesh, pod, root_secret, secrets_only, workload_secret

POD = "productpage-v1-abc.default"  # the name pod() gives
EXPIRY = f"{WORKLOAD.not_after:%Y-%m-%dT%H:%M:%SZ}"


# --- admin API ---------------------------------------------------------------------------------


def test_admin_unreachable_names_the_pod_and_the_reason():
    down = rules.PodFacts("p.ns", "ns", admin_error="port-forward failed: connection refused")
    assert rules.admin_reachable(down, mesh()) == [Finding("error", "admin-unreachable", "port-forward failed: connection refused", "p.ns")]
    silent = rules.PodFacts("q.ns", "ns")
    assert rules.admin_reachable(silent, mesh()) == [Finding("error", "admin-unreachable", "Envoy admin API not reachable", "q.ns")]
    assert rules.admin_reachable(pod(), mesh()) == []


# --- version skew ------------------------------------------------------------------------------


def test_version_findings_in_full():
    no_version = rules.PodFacts(POD, "default", dump=dump(version=""), proxy_image="docker.io/istio/proxyv2:latest")
    assert rules.version_skew(no_version, mesh()) == [Finding("unknown", "version-unknown", "unknown: proxy version (no ISTIO_VERSION, image tag not a version)", POD)]
    assert rules.version_skew(pod(), mesh(istiod_versions=None)) == [Finding("unknown", "istiod-unknown", "unknown: istiod version (proxy 1.28.0): not read", POD)]
    assert rules.version_skew(pod(revision="canary"), mesh()) == [Finding("info", "istiod-missing", "proxy 1.28.0; no running istiod of revision canary to compare with", POD)]
    # Each distinct istiod version once, in order; the one the proxy is ahead of is an error.
    several = mesh(istiod_versions={"default": ("1.28.1", "1.27.2", "1.28.1")})
    assert rules.version_skew(pod(), several) == [
        Finding("error", "version-skew", "proxy 1.28.0 is ahead of istiod 1.27.2: the data plane must not be newer than the control plane", POD),
        Finding("info", "version", "proxy 1.28.0, istiod 1.28.1", POD),
    ]


def test_version_skew_reads_the_revision_from_the_status_annotation():
    annotated = rules.PodFacts(POD, "default", annotations={"sidecar.istio.io/status": '{"revision":"canary"}'}, dump=dump())
    canary = mesh(istiod_versions={"canary": ("1.29.0",), "default": ("1.20.0",)})  # one minor ahead: supported
    assert rules.version_skew(annotated, canary) == [Finding("info", "version", "proxy 1.28.0, istiod 1.29.0", POD)]


def test_skew_is_unjudged_when_either_side_is_no_version():
    assert rules.skew_problem("dev", "1.28.0") == ""
    assert rules.skew_problem("1.28.0", "master") == ""
    assert rules.skew_problem("1.27.9", "1.28.0") == ""  # exactly MAX_MINOR_SKEW behind


# --- warming -----------------------------------------------------------------------------------


def test_warming_finding_targets_the_resource():
    updated = (NOW - timedelta(seconds=7)).isoformat().replace("+00:00", "Z")
    found = rules.xds_warming(pod(dump=dump(warming=[("outbound|80||a.b.svc.cluster.local", updated)])), mesh())
    assert found == [Finding("warning", "warming", "cluster outbound|80||a.b.svc.cluster.local warming for 7s (endpoints or secrets not delivered)",
                             "outbound|80||a.b.svc.cluster.local")]  # fmt: skip


def test_warming_age_only_from_a_zoned_timestamp():
    for updated in ("yesterday", "2026-01-01T00:00:00"):  # not a time; no zone: no age rather than a wrong one
        found = rules.xds_warming(pod(dump=dump(warming=[("c", updated)])), mesh())
        assert [f.msg for f in found] == ["cluster c warming (endpoints or secrets not delivered)"]


def test_warming_resources_without_names_or_times():
    clusters = {"@type": ADMIN + "ClustersConfigDump", "dynamic_warming_clusters": [{"cluster": {}}]}
    listeners = {"@type": ADMIN + "ListenersConfigDump", "dynamic_listeners": [{"warming_state": {}}]}
    secrets = {"@type": ADMIN + "SecretsConfigDump", "dynamic_warming_secrets": [{"last_updated": "2026-01-01T00:00:00Z"}, {"name": "s"}]}
    found = rules.warming_resources(from_object({"configs": [clusters, listeners, secrets]}))
    assert found == [("cluster", "", ""), ("listener", "", ""), ("secret", "", "2026-01-01T00:00:00Z"), ("secret", "s", "")]


# --- workload certificate ----------------------------------------------------------------------


def test_workload_cert_findings_in_full():
    assert rules.workload_cert(pod(), mesh()) == [Finding("info", "cert", f"workload certificate expires in 23h1m ({EXPIRY})", "default")]
    assert rules.workload_cert(pod(), mesh(cert_warn=timedelta(days=1))) == [
        Finding("warning", "cert-expiring", f"workload certificate expires in 23h1m ({EXPIRY}), within --cert-warn 24h", "default")
    ]
    assert rules.workload_cert(pod(dump=secrets_only(active=[root_secret(CA.root.cert_pem)])), mesh()) == [
        Finding("error", "cert-missing", "no workload certificate (SDS secret default not in the dump)", "default")
    ]
    warming = secrets_only(warming=[workload_secret(WORKLOAD.cert_pem)])
    assert rules.workload_cert(pod(dump=warming), mesh()) == [Finding("error", "cert-warming", "workload certificate secret default is still warming", "default")]


def test_workload_cert_unreadable_says_why():
    empty = rules.workload_cert(pod(dump=secrets_only(active=[workload_secret(b"")])), mesh())
    assert empty == [Finding("error", "cert-unreadable", "workload certificate unreadable (no certificate data)", "default")]
    garbage = rules.workload_cert(pod(dump=secrets_only(active=[workload_secret(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")])), mesh())
    assert [(f.severity, f.code, f.target) for f in garbage] == [("error", "cert-unreadable", "default")]
    assert garbage[0].msg.startswith("workload certificate unreadable (") and "no certificate data" not in garbage[0].msg


def test_workload_cert_validity_boundaries():
    # A certificate is valid from not_before to not_after inclusive of neither end for this check:
    # at not_after it has expired, at not_before it is not valid yet.
    assert rules.workload_cert(pod(), mesh(now=WORKLOAD.not_after)) == [Finding("error", "cert-expired", f"workload certificate expired at {EXPIRY}", "default")]
    assert rules.workload_cert(pod(), mesh(now=WORKLOAD.not_before)) == [
        Finding("error", "cert-not-yet-valid", f"workload certificate not valid before {WORKLOAD.not_before:%Y-%m-%dT%H:%M:%SZ}", "default")
    ]
    # --cert-warn is "expiring within": exactly that much left is not yet a warning.
    left = WORKLOAD.not_after - NOW
    assert [f.code for f in rules.workload_cert(pod(), mesh(cert_warn=left))] == ["cert"]
    assert [f.code for f in rules.workload_cert(pod(), mesh(cert_warn=left + timedelta(seconds=1)))] == ["cert-expiring"]


# --- root CA -----------------------------------------------------------------------------------


def test_root_ca_findings_in_full():
    other = TestCA().root.cert_pem
    assert rules.root_ca(pod(), mesh()) == [Finding("info", "rootca", "ROOTCA equals istio-ca-root-cert (1 root)", "ROOTCA")]
    two = CA.root.cert_pem + other
    both = pod(dump=dump(secrets=[workload_secret(WORKLOAD.cert_pem), root_secret(two)]))
    assert rules.root_ca(both, mesh(root_certs={"default": two})) == [Finding("info", "rootca", "ROOTCA equals istio-ca-root-cert (2 roots)", "ROOTCA")]
    assert rules.root_ca(pod(), mesh(root_certs={"default": two})) == [Finding("warning", "rootca-partial", "ROOTCA and istio-ca-root-cert share 1 of 2 roots (CA migration?)", "ROOTCA")]
    assert rules.root_ca(pod(), mesh(root_certs={"default": other})) == [
        Finding("error", "rootca-mismatch", "ROOTCA shares no root with istio-ca-root-cert in default: mTLS with peers trusting it fails", "ROOTCA")
    ]
    assert rules.root_ca(pod(), mesh(root_certs={"default": None})) == [
        Finding("warning", "rootca-configmap-missing", "ConfigMap istio-ca-root-cert not found in namespace default", "istio-ca-root-cert")
    ]
    assert rules.root_ca(pod(), mesh(root_certs={})) == [Finding("unknown", "rootca-unknown", "unknown: ConfigMap istio-ca-root-cert not read: not read", "istio-ca-root-cert")]


def test_root_ca_unreadable_secret_or_configmap():
    no_root = pod(dump=secrets_only(active=[workload_secret(WORKLOAD.cert_pem)]))
    assert rules.root_ca(no_root, mesh()) == [Finding("error", "rootca-unreadable", "secret ROOTCA not in the dump (no SDS root secret yet?)", "ROOTCA")]
    empty_root = pod(dump=secrets_only(active=[workload_secret(WORKLOAD.cert_pem), root_secret(b"")]))
    assert rules.root_ca(empty_root, mesh()) == [Finding("error", "rootca-unreadable", "secret ROOTCA holds no certificate", "ROOTCA")]
    bad = rules.root_ca(pod(), mesh(root_certs={"default": b"not a certificate"}))
    assert [(f.severity, f.code, f.target) for f in bad] == [("error", "rootca-unreadable", "istio-ca-root-cert")]
    assert "ConfigMap default/istio-ca-root-cert" in bad[0].msg


# --- tls-mode ------------------------------------------------------------------------------------


def test_tls_mode_unknown_pods_and_endpoints_in_full():
    assert rules.tls_mode_targets(pod(), mesh(pods=None)) == [Finding("unknown", "pods-unknown", "unknown: pods (sidecar or not) behind the endpoints: not read", POD)]
    denied = PodIndex.unread("pods is forbidden: RBAC denied")
    assert rules.tls_mode_targets(pod(), mesh(pods=denied)) == [Finding("unknown", "pods-unknown", "unknown: pods (sidecar or not) behind the endpoints: pods is forbidden: RBAC denied", POD)]
    assert rules.tls_mode_targets(pod(dump=dump(eds=False)), mesh()) == [Finding("unknown", "no-eds", "unknown: endpoints (the dump was fetched without config_dump?include_eds)", POD)]


# --- injector revision -------------------------------------------------------------------------


def test_injector_revision_findings_in_full():
    assert rules.injector_revision(pod(), mesh()) == [Finding("info", "revision", "revision default has an injector webhook", POD)]
    assert rules.injector_revision(pod(revision="1-26"), mesh()) == [Finding("error", "revision-gone", "injected by revision 1-26, which no webhook (nor running istiod) serves any more", POD)]
    still_served = mesh(istiod_versions={"1-26": ("1.26.1",)})
    assert rules.injector_revision(pod(revision="1-26"), still_served) == [
        Finding("warning", "revision-no-webhook",
                "injected by revision 1-26: istiod still runs but no webhook injects it any more (a restart changes the sidecar)", POD)]  # fmt: skip
    denied = mesh(webhook_revisions=None, unknown={"webhooks": "RBAC denied"})
    assert rules.injector_revision(pod(), denied) == [Finding("unknown", "webhooks-unknown", "unknown: webhooks not read (revision default): RBAC denied", POD)]
    assert rules.injector_revision(pod(), mesh(webhook_revisions=None))[0].msg == "unknown: webhooks not read (revision default): "


# --- passes --------------------------------------------------------------------------------------


def test_first_pass_keeps_the_pods_facts_but_not_its_dump():
    full = rules.PodFacts(POD, "default", {"istio.io/rev": "default"}, {"a": "b"}, "proxyv2:1.28.0", dump(), "")
    done = rules.first_pass(full, mesh())
    assert (done.pod.name, done.pod.namespace, dict(done.pod.labels), dict(done.pod.annotations), done.pod.proxy_image, done.pod.dump) == (
        POD,
        "default",
        {"istio.io/rev": "default"},
        {"a": "b"},
        "proxyv2:1.28.0",
        None,
    )
    assert done.pod.client is not None and done.server is not None
    assert [r.check for r in done.results] == [c.name for c in rules.CHECKS if not c.cross_pod]
    assert rules.first_pass(full, mesh(pods=None)).pod.client is None  # no pods: no traffic facts to judge later
    down = rules.PodFacts("p.ns", "ns", admin_error="refused")
    unreachable = rules.first_pass(down, mesh())
    assert unreachable.pod == down and unreachable.server is None


def test_first_pass_keeps_the_admin_error_and_names_its_server():
    from meshctl.analyze.mtls import server_facts

    full = rules.PodFacts(POD, "default", dump=dump(), admin_error="slow")
    done = rules.first_pass(full, mesh())
    assert done.pod.admin_error == "slow"
    assert done.server == server_facts(dump(), POD)


# --- facts from API objects --------------------------------------------------------------------


def test_pod_revision_ignores_a_status_that_is_no_object():
    assert rules.pod_revision({}, {"sidecar.istio.io/status": '["canary"]'}) == "default"


def test_proxy_version_from_the_image_when_there_is_no_dump():
    assert rules.proxy_version(rules.PodFacts("p.ns", "ns", proxy_image="docker.io/istio/proxyv2:1.27.0")) == "1.27.0"


def test_image_version_edge_cases():
    assert rules.image_version("proxyv2:1.24.2") == "1.24.2"  # a Docker Hub short name
    assert rules.image_version("localhost:5000/istio/proxyv2:1.24.2") == "1.24.2"  # registry port, then the tag
    assert rules.image_version("docker.io/istio/proxyv2:v1.24.2") == "1.24.2"
    assert rules.image_version("docker.io/istio/proxyv2:1.24.2@sha256:" + "b" * 64) == "1.24.2"
    # A colon before the last "/" is a registry's port, never a tag; all after the first "@" is a digest.
    assert rules.image_version("registry:1.25/istio/proxyv2") == ""
    assert rules.image_version("istio/proxyv2@sha256:1.2@x:1.3") == ""
    assert rules.minor_version("v1.28.0") == (1, 28)


def test_istiod_versions_reads_only_running_discovery_containers():
    def istiod(image, phase="Running", labels=None, sidecar=None):
        containers = [{"name": "discovery", "image": image}] + ([{"name": "istio-proxy", "image": sidecar}] if sidecar else [])
        return {"metadata": {"labels": labels or {}}, "status": {"phase": phase}, "spec": {"containers": containers}}

    pods = [istiod("istio/pilot:1.20.0", phase="Pending"), istiod("istio/pilot:1.28.0", sidecar="istio/proxyv2:1.27.0"),
            istiod("istio/pilot:1.26.0", labels={"istio.io/rev": "old"}), {"status": {"phase": "Running"}, "spec": {"containers": [{"name": "x"}]}}]  # fmt: skip
    assert rules.istiod_versions(pods) == {"default": ("1.28.0",), "old": ("1.26.0",)}


def test_webhook_revisions_default_for_an_unnamed_revision():
    hooks = [SimpleNamespace(revision=""), SimpleNamespace(revision="canary")]
    assert rules.webhook_revisions(hooks) == frozenset({"default", "canary"})


# --- the report ----------------------------------------------------------------------------------


def result(check, status, *findings):
    return rules.CheckResult(check, status, tuple(findings))


def test_failing_summary_counts_checks_and_pods():
    fail = result("root-ca", "FAIL", Finding("error", "rootca-mismatch", "m"))
    warn = result("workload-cert", "WARN", Finding("warning", "cert-expiring", "w"))
    ok = result("xds-warming", "PASS")
    one = rules.Report((rules.PodReport("a.ns", "ns", (fail, ok)),))
    assert one.failing_summary() == "1 check failed on 1 of 1 pod"
    many = rules.Report((rules.PodReport("a.ns", "ns", (fail, fail)), rules.PodReport("b.ns", "ns", (ok, warn)), rules.PodReport("c.ns", "ns", (ok,))))
    assert many.failing_summary() == "2 checks failed on 1 of 3 pods"
    assert rules.Report(many.pods, fail_on="warning").failing_summary() == "3 checks warned or failed on 2 of 3 pods"


def test_report_table_columns_padding_and_empty_detail():
    report = rules.Report((rules.PodReport("a.ns", "ns", (result("xds-warming", "PASS"),)),))
    table = rules.report_table(report)
    assert table.columns == ["POD", "CHECK", "STATUS", "DETAIL"]
    assert table.rows == [["a.ns", "xds-warming", "PASS", "-"]]
    assert table.padding == 3 and table.empty_msg == "No sidecar pods found."


def test_report_document_passing_with_unknowns():
    unknown = result("version-skew", "UNKNOWN", Finding("unknown", "istiod-unknown", "u", "a.ns"))
    report = rules.Report((rules.PodReport("a.ns", "ns", (unknown, result("xds-warming", "PASS"))),))
    document = rules.report_document(report)
    assert document["result"] == "pass"
    assert document["summary"] == {"pods": 1, "checks": 2, "pass": 1, "warn": 0, "fail": 0, "unknown": 1, "notChecked": 0}
    assert document["pods"][0]["notChecked"] is None
    assert document["pods"][0]["checks"][0] == {"check": "version-skew", "status": "UNKNOWN", "detail": "u",
                                                "findings": [{"severity": "unknown", "code": "istiod-unknown", "message": "u", "target": "a.ns"}]}  # fmt: skip
