"""Injector webhook selection, root comparison and the seed chain: pure analysis with real certificates."""

from __future__ import annotations

import base64
import json

import pytest

from meshctl.analyze import webhooks as wh
from meshctl.analyze.rootca import compare_roots, root_bundle_from_dump, root_bundle_from_pem
from meshctl.analyze.sidecar import proxy_container_facts, seed_chain
from meshctl.decode.configdump import from_object
from meshctl.errors import DecodeError
from meshctl.sandbox.certs import TestCA


@pytest.fixture(scope="module")
def cas():
    return TestCA(), TestCA()


def mwc(name, revision, webhooks, labels=None):
    meta_labels = {"istio.io/rev": revision} if revision else {}
    return {"metadata": {"name": name, "labels": {**meta_labels, **(labels or {})}}, "webhooks": webhooks}


def webhook(name, ns_selector=None, obj_selector=None, service="istiod", path="/inject", ca=b""):
    return {
        "name": name,
        "clientConfig": {"service": {"name": service, "namespace": "istio-system", "path": path, "port": 443},
                         "caBundle": base64.b64encode(ca).decode()},
        "failurePolicy": "Ignore",
        "namespaceSelector": ns_selector,
        "objectSelector": obj_selector,
    }  # fmt: skip


# Istio's chart: 4 webhooks for the default revision (rev/namespace x object) — two shown here.
REV_IN = {"matchExpressions": [{"key": "istio.io/rev", "operator": "In", "values": ["1-21"]}]}
NS_ENABLED = {"matchExpressions": [{"key": "istio-injection", "operator": "In", "values": ["enabled"]}]}
NOT_FALSE = {"matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}]}


def configurations(ca_pem: bytes):
    return [
        mwc("istio-sidecar-injector", "default", [webhook("namespace.sidecar-injector.istio.io", NS_ENABLED, NOT_FALSE, ca=ca_pem)]),
        mwc("istio-sidecar-injector-1-21", "1-21", [webhook("rev.namespace.sidecar-injector.istio.io", REV_IN, NOT_FALSE, service="istiod-1-21", path="/inject/cluster/c1/net/n1")]),
        mwc("cert-manager-webhook", "", [webhook("webhook.cert-manager.io", service="cert-manager", path="/mutate")]),
        mwc("custom", "", [{"name": "x.example.com", "clientConfig": {"url": "https://inj.example.com/inject"}}]),
    ]  # fmt: skip


def test_finds_injectors_by_label_name_or_path_and_reads_ca(cas):
    found = wh.injector_webhooks(configurations(cas[0].root.cert_pem))
    assert [(w.configuration, w.revision, w.target) for w in found] == [
        ("custom", "", "https://inj.example.com/inject"),
        ("istio-sidecar-injector", "default", "istiod.istio-system:443/inject"),
        ("istio-sidecar-injector-1-21", "1-21", "istiod-1-21.istio-system:443/inject/cluster/c1/net/n1"),
    ]
    default = found[1]
    assert default.ca.subject == "O=cluster.local" and default.ca.count == 1
    assert default.ca.not_after == cas[0].root.not_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert found[2].ca.problem == "no caBundle"  # empty caBundle
    assert default.configmaps == ("istio-system/istio-sidecar-injector", "istio-system/istio")
    assert found[2].configmaps == ("istio-system/istio-sidecar-injector-1-21", "istio-system/istio-1-21")


@pytest.mark.parametrize(
    ("ns_labels", "pod_labels", "firing"),
    [
        ({"istio-injection": "enabled"}, {}, ["istio-sidecar-injector"]),
        ({"istio.io/rev": "1-21"}, {}, ["istio-sidecar-injector-1-21"]),
        ({"istio-injection": "enabled"}, {"sidecar.istio.io/inject": "false"}, []),
        ({}, {}, []),
        ({"istio-injection": "enabled", "istio.io/rev": "1-21"}, {}, ["istio-sidecar-injector", "istio-sidecar-injector-1-21"]),
    ],
)
def test_which_webhook_fires(ns_labels, pod_labels, firing, cas):
    found = [w for w in wh.injector_webhooks(configurations(b"")) if w.configuration != "custom"]
    verdicts = wh.evaluate(found, pod_labels=pod_labels, namespace="app", namespace_labels=ns_labels)
    assert [v.webhook.configuration for v in verdicts if v.fires] == firing
    notes = wh.injector_notes(verdicts, namespace="app", pod_labels=pod_labels, pod_annotations={}, host_network=False)
    assert any("more than once" in n for n in notes) is (len(firing) > 1)
    assert any("will not get a sidecar" in n for n in notes) is (not firing)


def test_reasons_name_the_failing_requirement_and_the_actual_value():
    [default] = [w for w in wh.injector_webhooks(configurations(b"")) if w.revision == "default"]
    [verdict] = wh.evaluate([default], pod_labels={"sidecar.istio.io/inject": "false"}, namespace="shop",
                            namespace_labels={"istio-injection": "disabled"})  # fmt: skip
    assert verdict.reasons == (
        "namespace shop fails namespaceSelector: istio-injection=enabled (istio-injection=disabled)",
        "pod fails objectSelector: sidecar.istio.io/inject!=false (sidecar.istio.io/inject=false)",
    )


def test_injector_skips_noted_even_when_webhook_fires():
    [default] = [w for w in wh.injector_webhooks(configurations(b"")) if w.revision == "default"]
    verdicts = wh.evaluate([default], pod_labels={}, namespace="kube-system", namespace_labels={"istio-injection": "enabled"})
    notes = wh.injector_notes(verdicts, namespace="kube-system", pod_labels={}, pod_annotations={"sidecar.istio.io/inject": "false"}, host_network=True)
    assert notes == [
        "the injector skips hostNetwork pods",
        "the injector never injects into namespace kube-system",
        "pod annotation sidecar.istio.io/inject=false: the injector skips it",
    ]


def secrets_dump(*pems: bytes) -> dict:
    secret = {"name": "ROOTCA", "secret": {"name": "ROOTCA", "validation_context": {"trusted_ca": {"inline_bytes": base64.b64encode(b"".join(pems)).decode()}}}}
    return {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump", "dynamic_active_secrets": [secret]}]}


def test_roots_compared_one_by_one(cas):
    a, b = cas[0].root.cert_pem, cas[1].root.cert_pem
    same = compare_roots("p1", root_bundle_from_dump(from_object(secrets_dump(a)), "p1"), "cm", root_bundle_from_pem(a, "cm"))
    assert same.identical and "have the identical ROOTCA" in same.summary()
    migrating = compare_roots("p1", root_bundle_from_dump(from_object(secrets_dump(a, b)), "p1"), "p2", root_bundle_from_pem(b, "p2"))
    assert (migrating.identical, migrating.shared, len(migrating.roots)) == (False, 1, 2)
    assert [(in_a, in_b) for _, in_a, in_b in migrating.roots] == [(True, False), (True, True)]
    disjoint = compare_roots("p1", root_bundle_from_pem(a, "p1"), "p2", root_bundle_from_pem(b, "p2"))
    assert disjoint.shared == 0 and "non identical ROOTCA" in disjoint.summary()


def test_resource_shaped_secret_dump_and_missing_rootca(cas):
    # config_dump?resource=dynamic_active_secrets lists DynamicSecret entries
    entry = secrets_dump(cas[0].root.cert_pem)["configs"][0]["dynamic_active_secrets"][0]
    dump = from_object({"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump.DynamicSecret", **entry}]})
    assert root_bundle_from_dump(dump, "p").certs[0].subject == "O=cluster.local"
    with pytest.raises(DecodeError, match="cannot find ROOTCA"):
        root_bundle_from_dump(from_object({"configs": []}), "pod x")


def test_seed_chain_and_container_facts():
    bootstrap = {
        "node": {"metadata": {"PROXY_CONFIG": {"discoveryAddress": "istiod-1-21.istio-system.svc:15012"}}},
        "static_resources": {"clusters": [
            {"name": "xds-grpc", "load_assignment": {"endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"pipe": {"path": "./etc/istio/proxy/XDS"}}}}]}]}},
            {"name": "sds-grpc", "load_assignment": {"endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"pipe": {"path": "./var/run/secrets/workload-spiffe-uds/socket"}}}}]}]}},
        ]},
    }  # fmt: skip
    container = {"name": "istio-proxy", "image": "proxyv2:1.21.0", "args": ["proxy", "sidecar"],
                 "env": [{"name": "CA_ADDR", "value": "cert-manager-istio-csr.cert-manager.svc:443"},
                         {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                         {"name": "ISTIO_META_TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}  # fmt: skip
    chain = seed_chain(bootstrap, container)
    assert [link["hops"] for link in chain] == [
        ["xds-grpc", "./etc/istio/proxy/XDS (pilot-agent xDS proxy)", "istiod istiod-1-21.istio-system.svc:15012"],
        ["sds-grpc", "./var/run/secrets/workload-spiffe-uds/socket (pilot-agent SDS server)", "CA cert-manager-istio-csr.cert-manager.svc:443"],
    ]
    pod = {"metadata": {"name": "p", "namespace": "n", "labels": {"istio.io/rev": "default"},
                        "annotations": {"sidecar.istio.io/status": json.dumps({"revision": "1-21"})}}}  # fmt: skip
    facts = proxy_container_facts(pod, container)
    assert facts["revision"] == "1-21"
    # secret references are named, never resolved; POD_NAME is not a seeding variable
    assert facts["env"] == {"CA_ADDR": "cert-manager-istio-csr.cert-manager.svc:443", "ISTIO_META_TOKEN": "(secret s/k)"}
