"""Injection rules ported from pkg/kube/inject (webhook.go, inject.go, openshift.go), on branches
Istio's goldens do not exercise. Each expected output is derived by reading the Go; the test says how.

Pods are injected with Istio's own templates and mesh config (../shared/istio-testdata), as the
golden tests do; native sidecars off unless a test says otherwise.
"""

from __future__ import annotations

import pytest

from meshctl.goenc import goyaml
from meshctl.inject import injector
from meshctl.inject.injector import InjectionError

from helpers import ISTIO_TESTDATA, require_shared
from helpers.injection import Case, config_for


def inject_pod(annotations=None, *, containers=None, init_containers=None, case=None) -> dict:
    """Inject one Pod (kube-inject) and return it as a dict."""
    from meshctl.inject.pipeline import inject

    require_shared(ISTIO_TESTDATA)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "app", "annotations": annotations or {}},
           "spec": {"containers": containers or [{"name": "web", "image": "nginx"}]}}  # fmt: skip
    if init_containers:
        pod["spec"]["initContainers"] = init_containers
    text = inject(goyaml.marshal(pod), config_for(case or Case("", "", native_sidecars=False))).text
    return goyaml.unmarshal(text.split("---\n")[0])


def proxy(pod: dict) -> dict:
    return injector.find_sidecar(pod)


def env(pod: dict, name: str):
    return next((e.get("value") for e in proxy(pod).get("env") or [] if e["name"] == name), None)


# --- prometheus merge (webhook.go applyPrometheusMerge, getPrometheusScrape, clearPrometheusAnnotations) ---


@pytest.mark.parametrize("spelling", ["prometheus.io/scrape", "prometheus.io.scrape", "prometheus-io/scrape"])
def test_scrape_false_in_any_spelling_keeps_the_pods_annotations(spelling):
    """getPrometheusScrape compares strutil.SanitizeLabelName(key) with "prometheus_io_scrape" and
    ParseBool("false") is false: applyPrometheusMerge does nothing, no env, annotations untouched."""
    pod = inject_pod({spelling: "false", "prometheus.io/port": "8080"})
    assert pod["metadata"]["annotations"][spelling] == "false"
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == "8080"
    assert env(pod, "ISTIO_PROMETHEUS_ANNOTATIONS") is None


def test_every_spelling_moves_to_the_env_and_is_cleared():
    """getPrometheusScrapeConfiguration reads each sanitised name (scrape stays "" when only port
    and path are given); clearPrometheusAnnotations deletes every spelling, then the three
    Istio annotations point at the agent (status port 15020)."""
    pod = inject_pod({"prometheus.io.port": "8080", "prometheus-io/path": "/m"})
    annotations = pod["metadata"]["annotations"]
    assert "prometheus.io.port" not in annotations and "prometheus-io/path" not in annotations
    assert (annotations["prometheus.io/port"], annotations["prometheus.io/path"], annotations["prometheus.io/scrape"]) == ("15020", "/stats/prometheus", "true")
    assert env(pod, "ISTIO_PROMETHEUS_ANNOTATIONS") == '{"scrape":"","path":"/m","port":"8080"}'


def test_unparsable_scrape_value_means_scrape():
    """getPrometheusScrape skips values ParseBool rejects and returns true at the end."""
    pod = inject_pod({"prometheus.io/scrape": "yes", "prometheus.io/port": "8080"})
    assert env(pod, "ISTIO_PROMETHEUS_ANNOTATIONS") == '{"scrape":"yes","path":"","port":"8080"}'


def test_port_already_the_agents_in_another_spelling_is_left_alone():
    """getPrometheusPort finds prometheus.io.port == "15020": the pod was injected already (or the
    user points at the agent), applyPrometheusMerge returns before touching anything."""
    pod = inject_pod({"prometheus.io.port": "15020"})
    assert pod["metadata"]["annotations"]["prometheus.io.port"] == "15020"
    assert "prometheus.io/port" not in pod["metadata"]["annotations"]
    assert env(pod, "ISTIO_PROMETHEUS_ANNOTATIONS") is None


def test_scrape_targets_override_port_and_path():
    """With scrape targets, scrape.Port/Path are set from the first target, whatever
    prometheus.io/port and prometheus.io/path say."""
    pod = inject_pod({"prometheus.io/port": "9000", "prometheus.io/path": "/old", "prometheus.istio.io/scrape-targets": "8080:/a,9100"})
    assert env(pod, "ISTIO_PROMETHEUS_ANNOTATIONS") == (
        '{"scrape":"","path":"/a","port":"8080","targets":[{"port":"8080","path":"/a"},{"port":"9100","path":"/metrics"}]}')
    assert "prometheus.istio.io/scrape-targets" not in pod["metadata"]["annotations"]


@pytest.mark.parametrize(("annotations", "message"), [
    ({"prometheus.io/port": "http"}, 'invalid prometheus scrape configuration: invalid port "http"'),
    ({"prometheus.io/port": "70000"}, 'invalid prometheus scrape configuration: invalid port "70000"'),
    ({"prometheus.istio.io/scrape-targets": "8080,015020:/x"}, "invalid prometheus scrape targets: target port 015020 conflicts with agent port"),
])
def test_invalid_scrape_ports_fail_injection(annotations, message):
    """The port checks of applyPrometheusMerge: Atoi must parse and be 1..65535; the canonical
    number (Itoa(Atoi)) must not be the agent's port. postProcessPod's error fails the injection."""
    with pytest.raises(InjectionError, match=f"^failed to process pod: {message}$"):
        inject_pod(annotations)


def test_secure_merged_metrics_port_becomes_an_annotation():
    """applySecurePrometheusAnnotation: istio-proxy's ENVOY_SECURE_MERGED_METRICS_PORT (set, not
    "0") is copied to prometheus.istio.io/secure-port unless some spelling of it exists."""
    def pod(port, annotations=None):
        return {"metadata": {"annotations": dict(annotations or {})}, "spec": {"containers": [
            {"name": "istio-proxy", "env": [{"name": "ENVOY_SECURE_MERGED_METRICS_PORT", "value": port}]}]}}

    for value, existing, expected in [("15091", {}, "15091"), ("0", {}, None), ("", {}, None),
                                         ("15091", {"prometheus.istio.io.secure-port": "1"}, None)]:
        target = pod(value, existing)
        injector.apply_secure_prometheus_annotation(target)
        assert target["metadata"]["annotations"].get("prometheus.istio.io/secure-port") == expected, (value, existing)


# --- the user's istio-proxy user (webhook.go adjustInitContainerUser) -------------------------------


def user_proxy(**context) -> list:
    return [{"name": "web", "image": "nginx"}, {"name": "istio-proxy", "image": "auto", "securityContext": context}]


def test_redirect_with_a_user_run_as_user_changes_iptables_uid():
    """Not TPROXY: the template renders `-u 1337` (ProxyUID is GetProxyIDs(nil) = 1337), then
    adjustInitContainerUser replaces it with the user's non-zero RunAsUser; istio-proxy keeps it."""
    pod = inject_pod(containers=user_proxy(runAsUser=1500))
    init = injector._find(pod["spec"]["initContainers"], "istio-init")
    assert init["args"][init["args"].index("-u") + 1] == "1500"
    assert proxy(pod)["securityContext"]["runAsUser"] == 1500


def test_run_as_group_alone_leaves_iptables_uid():
    """RunAsUser nil: only the validation container (absent here) would change; -u stays 1337."""
    pod = inject_pod(containers=user_proxy(runAsGroup=2000))
    init = injector._find(pod["spec"]["initContainers"], "istio-init")
    assert init["args"][init["args"].index("-u") + 1] == "1337"
    assert proxy(pod)["securityContext"]["runAsGroup"] == 2000


def test_cni_validation_container_runs_as_the_users_proxy_identity():
    """With istio-cni the template has istio-validation instead of istio-init: not TPROXY, so its
    RunAsUser/RunAsGroup become the user's, and its `-u` too."""
    case = Case("", "", sets=("components.cni.enabled=true",), native_sidecars=False)
    pod = inject_pod(containers=user_proxy(runAsUser=1500, runAsGroup=2000), case=case)
    validation = injector._find(pod["spec"]["initContainers"], "istio-validation")
    assert (validation["securityContext"]["runAsUser"], validation["securityContext"]["runAsGroup"]) == (1500, 2000)
    assert validation["args"][validation["args"].index("-u") + 1] == "1500"


def test_tproxy_by_annotation_runs_the_proxy_as_root():
    """TPROXY (here from the pod annotation adjustInitContainerUser also reads): the proxy's
    RunAsUser becomes 0, and `-u` still takes the user's 1500."""
    pod = inject_pod({"sidecar.istio.io/interceptionMode": "TPROXY"}, containers=user_proxy(runAsUser=1500))
    assert proxy(pod)["securityContext"]["runAsUser"] == 0
    init = injector._find(pod["spec"]["initContainers"], "istio-init")
    assert init["args"][init["args"].index("-u") + 1] == "1500"


# --- container order (webhook.go reorderPod) and native sidecars (inject.go RunTemplate) ----------


def test_istio_init_is_last_even_when_the_app_waits_for_the_proxy():
    """Without native sidecars reorderPod moves istio-validation first and istio-init and
    enable-core-dump last; holdApplicationUntilProxyStarts moves only the app containers."""
    case = Case("", "", sets=("values.global.proxy.holdApplicationUntilProxyStarts=true",), native_sidecars=False)
    pod = inject_pod(init_containers=[{"name": "setup", "image": "busybox"}], case=case)
    assert [c["name"] for c in pod["spec"]["initContainers"]] == ["setup", "istio-init"]
    assert [c["name"] for c in pod["spec"]["containers"]] == ["istio-proxy", "web"]


def test_native_sidecar_order():
    """With native sidecars: MoveFirst enable-core-dump, istio-proxy, istio-validation, istio-init
    leaves istio-init, istio-proxy, then the user's init containers."""
    pod = inject_pod({"sidecar.istio.io/nativeSidecar": "true"}, init_containers=[{"name": "setup", "image": "busybox"}])
    assert [c["name"] for c in pod["spec"]["initContainers"]] == ["istio-init", "istio-proxy", "setup"]


def test_only_exactly_true_moves_a_users_proxy_container_to_init_containers():
    """RunTemplate moves the user's istio-proxy from containers to initContainers when `native`,
    which the annotation sets only when it is exactly "true" (else the flag, off here). Istio's
    template reads the annotation as "anything but false", so with "yes" it renders a native
    sidecar while the user's customisation stays in containers: istio-proxy ends up in both lists."""
    custom = [{"name": "web", "image": "nginx"}, {"name": "istio-proxy", "image": "auto", "resources": {"limits": {"cpu": "1"}}}]
    moved = inject_pod({"sidecar.istio.io/nativeSidecar": "true"}, containers=custom)
    assert [c["name"] for c in moved["spec"]["containers"]] == ["web"]
    assert injector._find(moved["spec"]["initContainers"], "istio-proxy")["resources"]["limits"]["cpu"] == "1"
    both = inject_pod({"sidecar.istio.io/nativeSidecar": "yes"}, containers=custom)
    assert [c["name"] for c in both["spec"]["containers"]] == ["web", "istio-proxy"]
    assert injector._find(both["spec"]["initContainers"], "istio-proxy") is not None


# --- OpenShift (webhook.go inject, isSidecarUserMatchingAppUser; openshift.go ParseBlock) -----------


def test_openshift_resets_the_proxy_user_only_when_it_equals_the_apps():
    pod = {"spec": {"containers": [{"name": "web", "securityContext": {"runAsUser": 1000620000}},
                                   {"name": "istio-proxy", "securityContext": {"runAsUser": 1000620000}}]}}  # fmt: skip
    assert injector.sidecar_user_matches_app_user(pod)
    pod["spec"]["containers"][1]["securityContext"]["runAsUser"] = 1337
    assert not injector.sidecar_user_matches_app_user(pod)
    # Both unset count as 0 == 0: a match (Istio then clears nothing that is not there).
    assert injector.sidecar_user_matches_app_user({"spec": {"containers": [{"name": "web"}, {"name": "istio-proxy"}]}})


@pytest.mark.parametrize(("annotations", "ids"), [
    ({"openshift.io/sa.scc.uid-range": "1000620000/10000", "openshift.io/sa.scc.supplemental-groups": "5000/10"}, (1000629999, 5009)),
    ({"openshift.io/sa.scc.uid-range": "1000-2000"}, (2000, 2000)),  # dash form; groups fall back to the UID range
    ({"openshift.io/sa.scc.uid-range": "junk", "openshift.io/sa.scc.supplemental-groups": "7/3,100/5"}, (1337, 9)),  # first block's max
    ({}, (1337, 1337)),
])
def test_openshift_proxy_ids(annotations, ids):
    """GetProxyIDs: the UID range's End, the first supplemental block's Max (the UID range when
    that annotation is absent), 1337 for what does not parse (ParseBlock: start/size or start-end)."""
    assert injector.openshift_proxy_ids(annotations) == ids


# --- injection policy (inject.go injectRequired) ----------------------------------------------------


@pytest.mark.parametrize(("value", "injected"), [("true", True), ("false", False), ("", True), ("no", True), ("False", True), ("y", True), ("off", True)])
def test_only_true_and_false_decide(value, injected):
    """injectRequired switches on the exact strings "true" and "false"; anything else is logged
    as invalid and kube-inject's policy (enabled) applies: "no" and "False" still inject."""
    pod = {"metadata": {"annotations": {"sidecar.istio.io/inject": value}}, "spec": {}}
    assert injector.inject_required(pod)[0] is injected
    labelled = {"metadata": {"labels": {"sidecar.istio.io/inject": value}, "annotations": {"sidecar.istio.io/inject": "false"}}, "spec": {}}
    assert injector.inject_required(labelled)[0] is injected  # a present label wins, even an invalid one


# --- annotation validation (validate.go AnnotationValidation) ---------------------------------------


@pytest.mark.parametrize(("name", "value", "rejected"), [
    ("sidecar.istio.io/proxyCPU", "lots", True),  # resource.ParseQuantity
    ("sidecar.istio.io/proxyMemoryLimit", "1Gi\x07", True),  # a control character, before parsing
    ("sidecar.istio.io/proxyMemory", "512Mi", False),
    ("prometheus.istio.io/merge-metrics", "yes", True),  # strconv.ParseBool
    ("sidecar.istio.io/enableCoreDump", "sure", False),  # not in Istio's map: the template reads it
    ("traffic.sidecar.istio.io/includeOutboundPorts", "x", False),  # not in Istio's map either
])
def test_validated_annotations_are_istios(name, value, rejected):
    from meshctl.inject.validation import InvalidAnnotation, validate_annotations

    if rejected:
        with pytest.raises(InvalidAnnotation, match=f"invalid value '{value}' for annotation '{name}'"):
            validate_annotations({name: value})
    else:
        validate_annotations({name: value})



@pytest.mark.parametrize(("revision", "mesh", "inject", "names"), [
    ("", "istio", "istio-sidecar-injector", ("istio-sidecar-injector", "istio", "istio-sidecar-injector")),
    ("1-22", "istio", "istio-sidecar-injector", ("istio-sidecar-injector-1-22", "istio-1-22", "istio-sidecar-injector-1-22")),
    # a name the user chose is used as is; the values still come from the revision's default name
    ("1-22", "my-mesh", "my-injector", ("my-injector", "my-mesh", "istio-sidecar-injector-1-22")),
    ("", "my-mesh", "my-injector", ("my-injector", "my-mesh", "my-injector")),
])
def test_configmap_names_as_kube_inject_reads_them(revision, mesh, inject, names):
    """kubeinject.go getInjectConfigFromConfigMap / getMeshConfigFromConfigMap add "-REV" to the
    default names only; GetValuesFromConfigMap always reads istio-sidecar-injector-REV for a revision."""
    from meshctl.inject.config import cluster_configmap_names

    assert cluster_configmap_names(revision, mesh, inject) == names
