"""Every JSON document meshctl defines validates against its schema in docs/json.md.

Each document is produced by the real command (files, the Envoy rig, the fake API server) and
validated with jsonschema (helpers.jsondocs). The documents of commands with fixtures of their own
are validated beside those tests (VALIDATED_ELSEWHERE).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import ROOT, call_meshctl, require_shared
from helpers.jsondocs import schemas, validate

MESH = ROOT / "tests" / "pc" / "data" / "mesh_small.json"
NS = "bookinfo"


def run_json(*args: str, code: int = 0, stdin: bytes = b"") -> dict:
    result = call_meshctl(*args, stdin=stdin)
    assert result.exit_code == code, result
    return json.loads(result.stdout)


@pytest.fixture
def mesh(fake_kube, envoy_rig, tmp_path):
    """A fake cluster whose sidecars are the Envoy rig, istiod, an injector webhook and the root ConfigMap."""
    from fakekube import configmap, injector_webhook, istio_pod, pod

    fake_kube.add(istio_pod("reviews-v1-abc", NS), istio_pod("ratings-v1-abc", NS), istio_pod("details-v1-abc", NS))
    fake_kube.add(pod("istiod-7d4f9c-x1", "istio-system", labels={"app": "istiod", "istio.io/rev": "default"},
                      containers=[{"name": "discovery", "image": "docker.io/istio/pilot:1.28.0"}]),
                  injector_webhook(), configmap("istio-ca-root-cert", NS, {"root-cert.pem": envoy_rig.ca.root.cert_pem.decode()}))  # fmt: skip
    fake_kube.back_sidecar(("127.0.0.1", envoy_rig.admin_port), pod="reviews-v1-abc")
    fake_kube.back_sidecar(("127.0.0.1", envoy_rig.admin_port), pod="ratings-v1-abc")
    dump = tmp_path / "rig.json"
    dump.write_bytes(call_meshctl("pc", "all", "--admin", envoy_rig.admin_url, "-o", "json", "--raw").stdout.encode())
    return {"kube": ("--kubeconfig", str(fake_kube.kubeconfig_path)), "rig": envoy_rig, "dump": str(dump), "fake": fake_kube}


def differing_dump(tmp_path: Path) -> str:
    dump = json.loads(MESH.read_text())
    dump["configs"] = [c for c in dump["configs"] if not c["@type"].endswith("ListenersConfigDump")]
    path = tmp_path / "other.json"
    path.write_text(json.dumps(dump))
    return str(path)


def test_docs_name_a_schema_for_every_document_tested():
    assert set(schemas()) == set(PRODUCERS) | set(VALIDATED_ELSEWHERE), "docs/json.md and these tests list the same documents"
    for name, where in VALIDATED_ELSEWHERE.items():  # each names a test that validates that document
        path, _, test = where.partition("::")
        source = (ROOT / path).read_text()
        body = source[source.index(f"def {test}("):]
        assert f'"{name}"' in body.split("\ndef ")[0], where
    for name, schema in schemas().items():
        assert schema["properties"]["schemaVersion"] == {"const": name}, name


@pytest.mark.kube
@pytest.mark.envoy
def test_tls(mesh):
    validate(run_json("pc", "tls", "--admin", mesh["rig"].admin_url, "-o", "json"), "meshctl.tls/v1")


@pytest.mark.kube
@pytest.mark.envoy
def test_pods(mesh):
    document = run_json("pc", "cluster", "-n", NS, "-o", "json", "--fqdn", "details", *mesh["kube"])
    assert [item["pod"] for item in document["items"]] == [f"ratings-v1-abc.{NS}", f"reviews-v1-abc.{NS}"]
    assert [error["pod"] for error in document["errors"]] == [f"details-v1-abc.{NS}"]
    validate(document, "meshctl.pods/v1")
    validate(run_json("pc", "tls", "-n", NS, "-l", "app=reviews", "-o", "json", *mesh["kube"]), "meshctl.pods/v1")


@pytest.mark.kube
@pytest.mark.envoy
def test_explain_mtls(mesh):
    admin = mesh["rig"].admin_url
    validate(run_json("explain", "mtls", admin, "ratings:9080", "--dst-admin", admin, "-o", "json", code=79), "meshctl.explain-mtls/v1")
    validate(run_json("explain", "mtls", admin, "details:9080", "-o", "json"), "meshctl.explain-mtls/v1")


def test_diff(tmp_path):
    validate(run_json("pc", "diff", str(MESH), differing_dump(tmp_path), "-o", "json", code=79), "meshctl.diff/v1")
    validate(run_json("pc", "diff", str(MESH), str(MESH), "-o", "json"), "meshctl.diff/v1")


@pytest.mark.kube
@pytest.mark.envoy
def test_snapshot_diff(mesh, tmp_path):
    before, after = str(tmp_path / "a.tar.gz"), str(tmp_path / "b.tar.gz")
    assert call_meshctl("snapshot", "-n", NS, "-o", before, *mesh["kube"]).exit_code == 0
    mesh["fake"].back_sidecar(("127.0.0.1", mesh["rig"].admin_port), pod="details-v1-abc")
    assert call_meshctl("snapshot", "-n", NS, "-o", after, *mesh["kube"]).exit_code == 0
    document = run_json("snapshot", "diff", before, after, "-o", "json", code=79)
    assert {pod["status"] for pod in document["pods"]} == {"added", "equal"}
    validate(document, "meshctl.snapshot-diff/v1")


def test_sync_diff(tmp_path):
    other = differing_dump(tmp_path)
    validate(run_json("proxy-status", "p.default", "--istiod-file", str(MESH), "--proxy-file", other, "-o", "json", code=79), "meshctl.sync-diff/v1")


@pytest.mark.kube
@pytest.mark.envoy
def test_webhooks(mesh):
    validate(run_json("webhooks", "-o", "json", *mesh["kube"]), "meshctl.webhooks/v1")
    verdicts = run_json("webhooks", "--pod", f"reviews-v1-abc.{NS}", "-o", "json", *mesh["kube"])
    validate(verdicts, "meshctl.webhook-verdicts/v1")
    validate(run_json("webhooks", "--labels", "app=x", "-n", NS, "-o", "json", *mesh["kube"]), "meshctl.webhook-verdicts/v1")


@pytest.mark.kube
@pytest.mark.envoy
def test_rootca_compare(mesh):
    validate(run_json("rootca-compare", "-f", mesh["dump"], "-f", mesh["dump"], "-o", "json"), "meshctl.rootca-compare/v1")
    validate(run_json("rootca-compare", f"reviews-v1-abc.{NS}", "--configmap", "-o", "json", *mesh["kube"]), "meshctl.rootca-compare/v1")


@pytest.mark.kube
@pytest.mark.envoy
def test_sds_compare(mesh):
    rig = mesh["rig"]
    validate(run_json("sds", "--socket", rig.sds_socket, "--compare-admin", rig.admin_url, "-o", "json"), "meshctl.sds-compare/v1")


@pytest.mark.kube
@pytest.mark.envoy
def test_check(mesh):
    document = run_json("check", "-n", NS, "-o", "json", *mesh["kube"], code=79)
    assert {pod["pod"] for pod in document["pods"]} == {f"{name}-v1-abc.{NS}" for name in ("reviews", "ratings", "details")}
    validate(document, "meshctl.check/v1")


@pytest.mark.kube
@pytest.mark.envoy
def test_bootstrap(mesh):
    validate(run_json("bootstrap", "-f", str(MESH), "-o", "json"), "meshctl.bootstrap/v1")
    validate(run_json("bootstrap", f"reviews-v1-abc.{NS}", "-o", "json", *mesh["kube"]), "meshctl.bootstrap/v1")


@pytest.mark.kube
def test_inject_preview(fake_kube):
    from fakekube import injector_webhook, namespace, workload
    from helpers.injection import INJECT_DIR, injector_configmaps, node

    require_shared(INJECT_DIR)
    fake_kube.add(*injector_configmaps(), node("n0", "v1.33.0"), namespace("bookinfo", {"istio-injection": "enabled"}), injector_webhook())
    workload(fake_kube, "reviews", "bookinfo")
    document = run_json("inject-preview", "deployment/reviews.bookinfo", "-o", "json", "--kubeconfig", str(fake_kube.kubeconfig_path), code=79)
    assert document["drift"] is True and "+    image:" in document["diff"]
    validate(document, "meshctl.inject-preview/v1")


PRODUCERS = {
    "meshctl.tls/v1": test_tls,
    "meshctl.pods/v1": test_pods,
    "meshctl.explain-mtls/v1": test_explain_mtls,
    "meshctl.diff/v1": test_diff,
    "meshctl.snapshot-diff/v1": test_snapshot_diff,
    "meshctl.sync-diff/v1": test_sync_diff,
    "meshctl.webhooks/v1": test_webhooks,
    "meshctl.webhook-verdicts/v1": test_webhooks,
    "meshctl.rootca-compare/v1": test_rootca_compare,
    "meshctl.sds-compare/v1": test_sds_compare,
    "meshctl.check/v1": test_check,
    "meshctl.bootstrap/v1": test_bootstrap,
    "meshctl.inject-preview/v1": test_inject_preview,
}
# Documents whose commands have fixtures of their own: validated in these tests.
VALIDATED_ELSEWHERE = {
    "meshctl.request/v1": "tests/request/test_request_cli.py::test_json_yaml_and_query",
    "meshctl.authz/v1": "tests/request/test_request_cli.py::test_authz_check_wide_json_and_query",
    "meshctl.check-inject/v1": "tests/inject/test_check_inject_command.py::test_a_deployment_is_judged_by_its_pod_template",
    "meshctl.describe-pod/v1": "tests/describe/test_describe_command.py::test_checks_follow_and_a_mismatch_exits_79",
    "meshctl.describe-service/v1": "tests/describe/test_describe_command.py::test_describe_svc",
    "meshctl.log/v1": "tests/live/test_log_stats_live.py::test_many_pods_each_with_istioctls_header",
    "meshctl.explain-mtls-ambient/v1": "tests/ambient/test_explain_ambient_live.py::test_json_and_the_exit_status_of_failures",
    "meshctl.waypoints/v1": "tests/ambient/test_waypoint_live.py::test_wide_and_json_say_what_uses_a_waypoint",
}


def test_every_command_with_json_output_takes_a_query_and_yaml():
    from meshctl.commands.reference import _commands

    for path, command in _commands():
        options = {opt: param for param in command.params for opt in param.opts}
        output = options.get("-o") or options.get("--output")
        if output is None or "json" not in (output.metavar or ""):
            continue
        if path == "meshctl inject":  # istioctl kube-inject's -o: a format or a file to write, manifests either way
            continue
        assert "--query" in options, f"{path} prints JSON but takes no --query"
        assert "yaml" in output.metavar, f"{path} prints JSON but not YAML"
