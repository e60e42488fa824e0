"""Unit tests of the pure injection pieces (no shared data needed)."""

from __future__ import annotations

import pytest

from meshctl.inject import config as cfg
from meshctl.inject import kubetypes, meshconfig, probes, quantity, smp
from meshctl.inject.injector import deploy_meta_from_pod, inject_required, injection_status
from meshctl.inject.validation import InvalidAnnotation, validate_annotations


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("2000m", "2"), ("1024Mi", "1Gi"), ("1536Mi", "1536Mi"), ("100m", "100m"), ("0.5", "500m"), (1000, "1k"),
     ("12e2", "1200"), ("1e3", "1e3"), ("0", "0"), ("1.5Gi", "1536Mi"), ("500", "500"), (2, "2")],
)
def test_quantity_canonical_form(given, canonical):
    assert quantity.canonical(given) == canonical


def test_quantity_rejects_garbage():
    with pytest.raises(quantity.QuantityError):
        quantity.canonical("lots")


def test_typed_reserialisation_adds_and_drops_like_go():
    deploy = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x", "creationTimestamp": None},
        "spec": {"paused": False, "minReadySeconds": 0, "replicas": 0, "template": {"spec": {"containers": [
            {"name": "c", "ports": [{"containerPort": 80, "hostPort": 0}],
             "securityContext": {"runAsUser": 0, "privileged": False},
             "resources": {"limits": {"cpu": "2000m"}}},
        ], "volumes": [{"name": "v", "emptyDir": None}]}}},
    }
    out = kubetypes.normalize(deploy)
    assert out["metadata"] == {"name": "x"}
    assert out["status"] == {} and out["spec"]["strategy"] == {} and out["spec"]["replicas"] == 0
    assert "paused" not in out["spec"] and "minReadySeconds" not in out["spec"]
    container = out["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"] == [{"containerPort": 80}]
    assert container["securityContext"] == {"runAsUser": 0, "privileged": False}
    assert container["resources"] == {"limits": {"cpu": "2"}}
    assert out["spec"]["template"]["spec"]["volumes"] == [{"name": "v"}]
    assert kubetypes.normalize({"apiVersion": "v1", "kind": "ReplicationController"})["status"] == {"replicas": 0}


def test_strategic_merge_by_key_puts_new_patch_items_first():
    pod = {"spec": {"containers": [{"name": "app", "env": [{"name": "A", "value": "1"}]}]}}
    patch = {"spec": {"containers": [{"name": "istio-proxy"}, {"name": "app", "env": [{"name": "B", "value": "2"}]}]}}
    merged = smp.patch_pod(pod, patch)
    assert [c["name"] for c in merged["spec"]["containers"]] == ["istio-proxy", "app"]
    # mergeSortedSlice: an item only the patch has goes before the original's items.
    assert merged["spec"]["containers"][1]["env"] == [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]


def test_strategic_merge_nulls_delete_and_plain_lists_replace():
    pod = {"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"containers": [{"name": "c", "args": ["x"]}]}}
    patch = {"metadata": {"labels": {"a": None}}, "spec": {"containers": [{"name": "c", "args": ["y"]}]}}
    merged = smp.patch_pod(pod, patch)
    assert merged["metadata"]["labels"] == {"b": "2"}
    assert merged["spec"]["containers"][0]["args"] == ["y"]


def test_strategic_merge_requires_merge_key():
    with pytest.raises(smp.PatchError):
        smp.patch_pod({"spec": {"containers": [{"name": "c"}]}}, {"spec": {"containers": [{"image": "x"}]}})


@pytest.mark.parametrize(
    ("annotation", "value", "fragment"),
    [
        ("traffic.sidecar.istio.io/includeOutboundIPRanges", "bad", "includeIPRanges invalid"),
        ("traffic.sidecar.istio.io/excludeOutboundIPRanges", "*", "excludeIPRanges invalid"),
        ("traffic.sidecar.istio.io/includeInboundPorts", "70000", "includeInboundPorts invalid"),
        ("traffic.sidecar.istio.io/excludeOutboundPorts", "1,x", "excludeOutboundPorts invalid"),
        ("sidecar.istio.io/interceptionMode", "MAGIC", "interceptionMode invalid"),
        ("status.sidecar.istio.io/port", "-1", "failed parsing port"),
    ],
)
def test_invalid_annotations_are_named(annotation, value, fragment):
    with pytest.raises(InvalidAnnotation) as err:
        validate_annotations({annotation: value})
    assert annotation in str(err.value) and fragment in str(err.value)
    assert err.value.exit_status == 65


VALID_ANNOTATIONS = {
    "traffic.sidecar.istio.io/includeOutboundIPRanges": "*",
    "traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.0.0.1/8,::1/128",
    "traffic.sidecar.istio.io/includeInboundPorts": "*",
    "traffic.sidecar.istio.io/excludeInboundPorts": " 80, 443 ",
    "traffic.sidecar.istio.io/excludeOutboundPorts": "",
    "sidecar.istio.io/interceptionMode": "TPROXY",
    "status.sidecar.istio.io/port": "15020",
}


@pytest.mark.parametrize(("annotation", "value"), VALID_ANNOTATIONS.items())
def test_valid_annotations_pass(annotation, value):
    assert validate_annotations({annotation: value}) is None


def test_only_the_invalid_annotation_is_named():
    bad = "traffic.sidecar.istio.io/includeInboundPorts"
    with pytest.raises(InvalidAnnotation) as err:
        validate_annotations({**VALID_ANNOTATIONS, bad: "80,x"})
    message = str(err.value)
    assert message.startswith(f"injection failed: invalid value '80,x' for annotation '{bad}': includeInboundPorts invalid: ")
    assert message.count("invalid value") == 1


def test_probe_rewrite_resolves_named_ports_and_skips_rewritten_ones():
    pod = {"spec": {"containers": [
        {"name": "app", "ports": [{"name": "http", "containerPort": 8080}],
         "livenessProbe": {"httpGet": {"port": "http", "path": "/live"}},
         "readinessProbe": {"httpGet": {"port": 15020, "path": "/app-health/app/readyz"}},
         "startupProbe": {"tcpSocket": {"port": 9000}, "timeoutSeconds": 2}},
        {"name": "istio-proxy", "readinessProbe": {"httpGet": {"port": 15021}}},
    ]}}
    assert probes.dump_app_probers(pod, 15020) == (
        '{"/app-health/app/livez":{"httpGet":{"path":"/live","port":8080}},'
        '"/app-health/app/startupz":{"tcpSocket":{"port":9000},"timeoutSeconds":2}}'
    )
    probes.rewrite_probes(pod, 15020)
    app = pod["spec"]["containers"][0]
    assert app["livenessProbe"]["httpGet"] == {"port": 15020, "path": "/app-health/app/livez"}
    assert app["startupProbe"] == {"timeoutSeconds": 2, "httpGet": {"path": "/app-health/app/startupz", "port": 15020}}
    assert pod["spec"]["containers"][1]["readinessProbe"] == {"httpGet": {"port": 15021}}


def test_probe_rewrite_annotation_overrides_values():
    assert probes.should_rewrite({"sidecar.istio.io/rewriteAppHTTPProbers": "false"}, True) is False
    assert probes.should_rewrite({"sidecar.istio.io/rewriteAppHTTPProbers": "junk"}, True) is True
    assert probes.should_rewrite({}, False) is False


def test_mesh_defaults_fill_what_the_file_leaves_out():
    mesh = meshconfig.apply_mesh_config({"defaultConfig": {"drainDuration": "2s"}, "trustDomain": "example.org"})
    pc = mesh["defaultConfig"]
    assert (pc["drainDuration"], pc["statusPort"], pc["proxyAdminPort"]) == ("2s", 15020, 15000)
    assert (mesh["trustDomain"], mesh["proxyListenPort"], mesh["enablePrometheusMerge"]) == ("example.org", 15001, True)


def test_proxy_config_merge_is_a_json_merge_patch():
    merged = meshconfig.merge_proxy_config({"statusPort": 15020, "proxyMetadata": {"A": "1"}},
                                           {"proxyMetadata": {"B": "2"}, "discoveryAddress": "x:1"})
    assert merged == {"statusPort": 15020, "proxyMetadata": {"A": "1", "B": "2"}, "discoveryAddress": "x:1"}
    assert "proxyMetadata" not in meshconfig.merge_proxy_config(merged, {"proxyMetadata": None})


def test_set_flags_follow_istio_operator_paths():
    settings = cfg.Settings()
    for assignment in ("components.cni.enabled=true", "values.cni.provider=multus", "values.global.proxy.statusPort=123",
                       "values.global.proxy.excludeInboundPorts=4,5,6", "meshConfig.trustDomain=x.org", "tag=1.2"):
        settings.apply_set(assignment)
    assert settings.values == {
        "pilot": {"cni": {"enabled": True, "provider": "multus"}},
        "global": {"proxy": {"statusPort": 123.0, "excludeInboundPorts": "4,5,6"}, "tag": 1.2},
    }
    assert settings.mesh == {"trustDomain": "x.org"}


def test_bare_template_file_becomes_the_sidecar_template():
    assert cfg.raw_templates("spec:\n  containers: []\n")[0] == {"sidecar": "spec:\n  containers: []\n"}
    templates, _ = cfg.raw_templates("templates:\n  a: x\n  b: z\n")
    assert templates == {"a": "x", "b": "z"}


def test_injection_policy():
    pod = {"metadata": {"annotations": {"sidecar.istio.io/inject": "false"}}, "spec": {}}
    assert inject_required(pod)[0] is False
    pod["metadata"]["labels"] = {"sidecar.istio.io/inject": "true"}  # the label wins over the annotation
    assert inject_required(pod)[0] is True
    assert inject_required({"metadata": {}, "spec": {"hostNetwork": True}})[0] is False
    assert inject_required({"metadata": {"namespace": "kube-system"}, "spec": {}})[0] is False


def test_deploy_meta_from_pod_follows_the_controller():
    pod = {"metadata": {"name": "web-5d8-abc", "generateName": "web-5d8-", "labels": {"pod-template-hash": "5d8"},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d8", "controller": True}]}}
    assert deploy_meta_from_pod(pod) == ({"name": "web", "namespace": ""}, {"apiVersion": "apps/v1", "kind": "Deployment"})
    job = {"metadata": {"name": "j", "generateName": "x", "ownerReferences": [
        {"apiVersion": "batch/v1", "kind": "Job", "name": "backup-28391200", "controller": True}]}}
    assert deploy_meta_from_pod(job) == ({"name": "backup", "namespace": ""}, {"apiVersion": "batch/v1", "kind": "CronJob"})


def test_status_annotation_lists_what_the_templates_added():
    template_pod = {"spec": {"initContainers": [{"name": "istio-init"}], "volumes": [{"name": "v"}]}}
    assert injection_status(template_pod, "") == (
        '{"initContainers":["istio-init"],"containers":null,"volumes":["v"],"imagePullSecrets":null,"revision":"default"}'
    )


_POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: default\nspec:\n  containers:\n  - name: app\n    image: app\n"


def test_templates_are_parsed_when_first_used():
    from meshctl.errors import DecodeError
    from meshctl.inject.pipeline import build_config, inject

    config_text = (
        "policy: enabled\ntemplates:\n"
        "  sidecar: |\n    spec:\n      containers:\n      - name: istio-proxy\n        image: proxy\n"
        "  broken: |\n    {{ if }}\n"
    )
    config = build_config(inject_config=config_text)
    assert len(config.templates) == 2 and "broken" in config.templates
    # A template no pod uses is never parsed, so its syntax error does not fail the run.
    result = inject(_POD, config)
    assert "istio-proxy" in result.text
    assert config.templates._parsed.keys() == {"sidecar"}
    with pytest.raises(DecodeError, match=r"failed to parse injection template 'broken': template: inject:1: missing value for if"):
        inject(_POD.replace("  name: p\n", "  name: p\n  annotations:\n    inject.istio.io/templates: broken\n"), config)
