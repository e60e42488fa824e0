"""The fake API server driven through the official `kubernetes` client and raw HTTP: GET/LIST,
selectors, discovery, Status errors, latency and the request log."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from fakekube import configmap, injector_webhook, istio_pod, mesh, namespace, pod, workload


@pytest.fixture
def api(fake_kube):
    from kubernetes import client, config

    return client.ApiClient(config.new_client_from_config(str(fake_kube.kubeconfig_path)).configuration)


def _names(items) -> list[str]:
    return [i.metadata.name for i in items]


@pytest.mark.kube
def test_list_pods_through_the_python_client_parses_into_models(fake_kube, api):
    from kubernetes import client

    pods = workload(fake_kube, "reviews", "bookinfo", replicas=3)
    fake_kube.add(istio_pod("ratings-v1-7d9c", "default"))
    core = client.CoreV1Api(api)

    listed = core.list_namespaced_pod("bookinfo")

    assert _names(listed.items) == sorted(p["metadata"]["name"] for p in pods)
    proxy = next(c for c in listed.items[0].spec.containers if c.name == "istio-proxy")
    assert proxy.args[:4] == ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"]
    assert listed.items[0].status.container_statuses[1].image_id.startswith("docker.io/istio/proxyv2@sha256:")
    assert _names(core.list_pod_for_all_namespaces().items) == [*_names(listed.items), "ratings-v1-7d9c"]


@pytest.mark.kube
@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=reviews", ["reviews-v1", "reviews-v2"]),
        ("app==reviews,version!=v1", ["reviews-v2"]),
        ("version in (v1, v3)", ["details-v1", "ratings-nosidecar", "reviews-v1"]),
        ("version notin (v1)", ["reviews-v2"]),
        ("istio.io/rev", ["details-v1", "reviews-v1", "reviews-v2"]),
        ("!istio.io/rev", ["ratings-nosidecar"]),
        ("app=reviews,istio.io/rev=canary", ["reviews-v2"]),
    ],
)
def test_label_selectors_equality_and_set_based(fake_kube, api, selector, expected):
    from kubernetes import client

    fake_kube.add(
        istio_pod("reviews-v1", app="reviews", version="v1"),
        istio_pod("reviews-v2", app="reviews", version="v2", revision="canary"),
        istio_pod("details-v1", app="details", version="v1"),
        pod("ratings-nosidecar", labels={"app": "ratings", "version": "v1"}),
    )

    listed = client.CoreV1Api(api).list_namespaced_pod("default", label_selector=selector)

    assert _names(listed.items) == expected


@pytest.mark.kube
def test_field_selectors_name_namespace_phase_and_unsupported(fake_kube, api):
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    fake_kube.add(pod("a", "one"), pod("b", "two", phase="Pending"), pod("c", "two"))
    core = client.CoreV1Api(api)

    assert _names(core.list_pod_for_all_namespaces(field_selector="metadata.namespace=two").items) == ["b", "c"]
    assert _names(core.list_pod_for_all_namespaces(field_selector="status.phase!=Running").items) == ["b"]
    assert _names(core.list_pod_for_all_namespaces(field_selector="metadata.name==c").items) == ["c"]
    with pytest.raises(ApiException) as raised:
        core.list_pod_for_all_namespaces(field_selector="spec.bogus=x")
    assert raised.value.status == 400
    assert json.loads(raised.value.body)["message"] == "field label not supported: spec.bogus"


@pytest.mark.kube
def test_other_kinds_read_through_their_apis(fake_kube, api):
    from kubernetes import client

    fake_kube.add(namespace("bookinfo", {"istio-injection": "enabled"}),
                  configmap("istio-ca-root-cert", "bookinfo", {"root-cert.pem": "PEM"}),
                  injector_webhook(), injector_webhook("canary"))
    workload(fake_kube, "productpage", "bookinfo", replicas=1)
    workload(fake_kube, "db", "bookinfo", replicas=2, kind="StatefulSet", sidecar=False)

    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    assert core.read_namespaced_config_map("istio-ca-root-cert", "bookinfo").data == {"root-cert.pem": "PEM"}
    assert core.read_namespace("bookinfo").metadata.labels["istio-injection"] == "enabled"
    hooks = client.AdmissionregistrationV1Api(api).list_mutating_webhook_configuration().items
    assert [(h.metadata.name, h.webhooks[0].client_config.service.name) for h in hooks] == [
        ("istio-sidecar-injector", "istiod"), ("istio-sidecar-injector-canary", "istiod-canary")]
    deployment = apps.read_namespaced_deployment("productpage", "bookinfo")
    rs = apps.list_namespaced_replica_set("bookinfo").items[0]
    assert rs.metadata.owner_references[0].uid == deployment.metadata.uid
    selected = core.list_namespaced_pod("bookinfo", label_selector="app=productpage").items
    assert selected[0].metadata.owner_references[0].name == rs.metadata.name
    assert _names(apps.list_namespaced_stateful_set("bookinfo").items) == ["db"]
    assert _names(core.list_namespaced_pod("bookinfo", label_selector="app=db").items) == ["db-0", "db-1"]


@pytest.mark.kube
def test_not_found_is_a_real_status(fake_kube, api):
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException) as raised:
        client.CoreV1Api(api).read_namespaced_pod("missing", "default")

    assert raised.value.status == 404
    assert json.loads(raised.value.body) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'pods "missing" not found', "reason": "NotFound",
        "details": {"name": "missing", "kind": "pods"}, "code": 404,
    }
    code, body = fake_kube.get_json("/apis/apps/v1/namespaces/default/deployments/gone")
    assert (code, body["message"], body["details"]) == (
        404, 'deployments.apps "gone" not found', {"name": "gone", "group": "apps", "kind": "deployments"})


@pytest.mark.kube
def test_rbac_denial_names_verb_resource_and_scope(fake_kube, api):
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    fake_kube.add(istio_pod("reviews-v1", "default"))
    fake_kube.user = "system:serviceaccount:ci:meshctl"
    fake_kube.deny("list", "pods")
    fake_kube.deny("get", "pods", namespace="default", name="reviews-v1")
    fake_kube.deny("list", "mutatingwebhookconfigurations")
    core = client.CoreV1Api(api)

    with pytest.raises(ApiException) as namespaced:
        core.list_namespaced_pod("default")
    with pytest.raises(ApiException) as cluster:
        core.list_pod_for_all_namespaces()
    with pytest.raises(ApiException) as named:
        core.read_namespaced_pod("reviews-v1", "default")
    with pytest.raises(ApiException) as webhooks:
        client.AdmissionregistrationV1Api(api).list_mutating_webhook_configuration()

    user = 'User "system:serviceaccount:ci:meshctl"'
    assert namespaced.value.status == 403
    assert json.loads(namespaced.value.body)["message"] == (
        f'pods is forbidden: {user} cannot list resource "pods" in API group "" in the namespace "default"')
    assert json.loads(cluster.value.body)["message"] == (
        f'pods is forbidden: {user} cannot list resource "pods" in API group "" at the cluster scope')
    assert json.loads(named.value.body)["details"] == {"name": "reviews-v1", "kind": "pods"}
    assert json.loads(webhooks.value.body)["message"] == (
        f"mutatingwebhookconfigurations.admissionregistration.k8s.io is forbidden: {user} cannot list resource "
        f'"mutatingwebhookconfigurations" in API group "admissionregistration.k8s.io" at the cluster scope')
    # Impersonation (kubectl --as) changes who is denied.
    code, body = fake_kube.get_json("/api/v1/namespaces/default/pods", {"Impersonate-User": "jane"})
    assert (code, body["reason"]) == (403, "Forbidden")
    assert 'User "jane" cannot list' in body["message"]


@pytest.mark.kube
def test_token_required_gives_401_status(fake_kube):
    fake_kube.token = "s3cret"

    code, body = fake_kube.get_json("/api/v1/pods")
    assert (code, body) == (401, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                  "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
    assert fake_kube.get_json("/api/v1/pods", {"Authorization": "Bearer s3cret"})[0] == 200


@pytest.mark.kube
def test_discovery_documents(fake_kube):
    _, core = fake_kube.get_json("/api/v1")
    _, groups = fake_kube.get_json("/apis")
    _, apps = fake_kube.get_json("/apis/apps/v1")

    assert core["groupVersion"] == "v1"
    pods = next(r for r in core["resources"] if r["name"] == "pods")
    assert (pods["singularName"], pods["kind"], pods["shortNames"]) == ("pod", "Pod", ["po"])
    assert {"pods/exec", "pods/portforward"} <= {r["name"] for r in core["resources"]}
    # Built-in groups in the server's order, then the installed CRDs' groups (crds.DEFAULT_CRDS).
    assert [g["name"] for g in groups["groups"]] == [
        "apps", "admissionregistration.k8s.io", "apiextensions.k8s.io", "gateway.networking.k8s.io",
        "networking.istio.io", "security.istio.io"]
    assert apps["groupVersion"] == "apps/v1"
    assert fake_kube.get_json("/apis/nosuch.io/v1")[0] == 404


@pytest.mark.kube
def test_list_chunking_with_limit_and_continue(fake_kube, api):
    from kubernetes import client

    fake_kube.add(*(pod(f"p{i:02d}") for i in range(7)))
    core = client.CoreV1Api(api)

    first = core.list_namespaced_pod("default", limit=3)
    second = core.list_namespaced_pod("default", limit=3, _continue=first.metadata._continue)
    last = core.list_namespaced_pod("default", limit=3, _continue=second.metadata._continue)

    assert _names(first.items) + _names(second.items) + _names(last.items) == [f"p{i:02d}" for i in range(7)]
    assert first.metadata.remaining_item_count == 4
    assert last.metadata._continue is None


@pytest.mark.kube
def test_latency_is_added_to_every_request_and_the_log_records_them(fake_kube, api):
    from kubernetes import client

    fake_kube.add(pod("a"))
    core = client.CoreV1Api(api)
    core.list_namespaced_pod("default")  # warm the connection pool
    fake_kube.clear_requests()
    fake_kube.latency = 0.05

    started = time.perf_counter()
    for _ in range(4):
        core.read_namespaced_pod("a", "default")
    elapsed = time.perf_counter() - started

    assert elapsed >= 4 * 0.05
    assert [(r.verb, r.resource, r.name, r.code) for r in fake_kube.requests] == [("get", "pods", "a", 200)] * 4


@pytest.mark.kube
def test_https_mode_verifies_with_the_kubeconfig_ca_and_checks_the_token(tmp_path):
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException

    from fakekube import FakeKube

    with FakeKube(tls=True, token="s3cret", workdir=tmp_path) as kube:
        kube.add(pod("a"))
        assert kube.url.startswith("https://")
        core = client.CoreV1Api(config.new_client_from_config(str(kube.kubeconfig_path)))
        listed = core.list_namespaced_pod("default")
        kube.token = "rotated"
        with pytest.raises(ApiException) as raised:
            core.list_namespaced_pod("default")

    assert _names(listed.items) == ["a"]
    assert raised.value.status == 401


@pytest.mark.kube
def test_mesh_spreads_pods_over_workloads_and_namespaces(fake_kube):
    pods = mesh(fake_kube, 23, namespaces=2, apps_per_namespace=5)

    assert len(pods) == 23
    assert len({p["metadata"]["name"] for p in pods}) == 23
    code, listed = fake_kube.get_json("/api/v1/pods?labelSelector=security.istio.io%2FtlsMode%3Distio")
    assert (code, len(listed["items"])) == (200, 23)
    _, deployments = fake_kube.get_json("/apis/apps/v1/deployments")
    assert len(deployments["items"]) == 10
    _, namespaces = fake_kube.get_json("/api/v1/namespaces?labelSelector=istio-injection%3Denabled")
    assert [n["metadata"]["name"] for n in namespaces["items"]] == ["mesh-0", "mesh-1"]


@pytest.mark.kube
def test_mesh_pods_have_distinct_names_and_ips_at_benchmark_scale(fake_kube):
    pods = mesh(fake_kube, 500)

    assert len({(p["metadata"]["namespace"], p["metadata"]["name"]) for p in pods}) == 500
    assert len({p["status"]["podIP"] for p in pods}) == 500


@pytest.mark.kube
def test_runs_as_its_own_process_for_benchmarks(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    tests_dir = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-m", "fakekube", "--pods", "12", "--latency", "0.01", "--max-seconds", "60",
         "--workdir", str(tmp_path)],
        cwd=tests_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        ready = proc.stdout.readline().split()
        url = ready[1]
        with urllib.request.urlopen(url + "/api/v1/pods", timeout=10) as response:
            items = json.load(response)["items"]
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)

    assert ready[0] == "READY" and ready[2] == str(tmp_path / "kubeconfig")
    assert len(items) == 12
    assert proc.returncode == 0
    assert stderr == "served 1 requests\n"


@pytest.mark.parametrize(
    ("seconds", "expected"),
    # apimachinery util/duration/duration_test.go cases
    [(1, "1s"), (70, "70s"), (190, "3m10s"), (4200, "70m"), (47 * 3600, "47h"), (49 * 3600, "2d1h"),
     ((8 * 24 + 2) * 3600, "8d"), (367 * 24 * 3600, "367d"), ((365 * 2 * 24 + 25) * 3600, "2y1d"),
     ((365 * 8 * 24 + 2) * 3600, "8y"), (-5, "<invalid>")],
)
def test_age_column_formats_like_kubernetes(seconds, expected):
    from fakekube.table import human_duration

    assert human_duration(seconds) == expected


@pytest.mark.kube
def test_pod_table_for_kubectl_human_output(fake_kube):
    fake_kube.add(istio_pod("reviews-v1"), pod("plain", ready=False))
    accept = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}

    _, table = fake_kube.get_json("/api/v1/namespaces/default/pods", accept)

    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]][:5] == ["Name", "Ready", "Status", "Restarts", "Age"]
    assert [row["cells"][:4] for row in table["rows"]] == [["plain", "0/1", "Running", "0"],
                                                          ["reviews-v1", "2/2", "Running", "0"]]
    assert table["rows"][0]["object"]["metadata"]["name"] == "plain"
