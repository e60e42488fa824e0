"""Pod references (istioctl's parsing) and label selectors (apimachinery's semantics): pure."""

from __future__ import annotations

import pytest

from meshctl.errors import UsageError
from meshctl.model.labels import LabelSelector, parse_label_pairs
from meshctl.model.refs import PodRef


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # istioctl handlers_test.go TestInferPodInfo / inferNsInfo cases
        ("istio-ingressgateway-8d9697654-qdzgh.istio-system", ("pod", "istio-ingressgateway-8d9697654-qdzgh", "istio-system")),
        ("istio-ingressgateway-8d9697654-qdzgh", ("pod", "istio-ingressgateway-8d9697654-qdzgh", "kube-system")),
        ("reviews.v1.pod.bookinfo", ("pod", "reviews.v1.pod", "bookinfo")),
        ("deployment/productpage-v1.bookinfo", ("deployment", "productpage-v1", "bookinfo")),
        ("Deployment/httpbin", ("deployment", "httpbin", "kube-system")),
        ("deployment.apps/x", ("deployment", "x", "kube-system")),  # the '.' in the type is not a namespace
        ("deployment.apps/x.ns", ("deployment", "x", "ns")),
        ("deploy/x", ("deployment", "x", "kube-system")),
        ("sts/db-0.data", ("statefulset", "db-0", "data")),
        ("ds/agent", ("daemonset", "agent", "kube-system")),
        ("rs/web-7d9c", ("replicaset", "web-7d9c", "kube-system")),
        ("job/migrate.ops", ("job", "migrate", "ops")),
        ("svc/productpage.bookinfo", ("service", "productpage", "bookinfo")),
        ("pod/details-v1-abc", ("pod", "details-v1-abc", "kube-system")),
        ("po/details-v1-abc.default", ("pod", "details-v1-abc", "default")),
    ],
)
def test_pod_ref_parses_like_istioctl(text, expected):
    ref = PodRef.parse(text, "kube-system")
    assert (ref.kind, ref.name, ref.namespace) == expected


@pytest.mark.parametrize("text", ["", ".ns", "pod.", "cronjob/nightly", "deployment/", "a/b/c"])
def test_bad_pod_refs_are_usage_errors(text):
    with pytest.raises(UsageError) as caught:
        PodRef.parse(text)
    assert "\n" not in str(caught.value)


def test_pod_ref_prints_back_as_typed():
    assert str(PodRef.parse("deploy/x.ns")) == "deployment/x.ns"
    assert str(PodRef.parse("x", "ns")) == "x.ns"


def selector(**kwargs) -> LabelSelector:
    return LabelSelector.from_dict(kwargs)


@pytest.mark.parametrize(
    ("sel", "labels", "matches"),
    [
        ({}, {}, True),  # empty selector: everything
        ({"matchLabels": {"app": "a"}}, {"app": "a", "x": "y"}, True),
        ({"matchLabels": {"app": "a"}}, {"app": "b"}, False),
        ({"matchLabels": {"app": "a"}}, {}, False),
        ({"matchExpressions": [{"key": "k", "operator": "In", "values": ["1", "2"]}]}, {"k": "2"}, True),
        ({"matchExpressions": [{"key": "k", "operator": "In", "values": ["1", "2"]}]}, {}, False),
        ({"matchExpressions": [{"key": "k", "operator": "NotIn", "values": ["false"]}]}, {}, True),  # missing key passes
        ({"matchExpressions": [{"key": "k", "operator": "NotIn", "values": ["false"]}]}, {"k": "false"}, False),
        ({"matchExpressions": [{"key": "k", "operator": "Exists"}]}, {"k": ""}, True),
        ({"matchExpressions": [{"key": "k", "operator": "Exists"}]}, {}, False),
        ({"matchExpressions": [{"key": "k", "operator": "DoesNotExist"}]}, {}, True),
        ({"matchExpressions": [{"key": "k", "operator": "DoesNotExist"}]}, {"k": "x"}, False),
        ({"matchExpressions": [{"key": "k", "operator": "Bogus", "values": ["x"]}]}, {"k": "x"}, False),
        ({"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "Exists"}]}, {"a": "1"}, False),
    ],
)
def test_selector_semantics(sel, labels, matches):
    assert selector(**sel).matches(labels) is matches
    assert (not selector(**sel).failing(labels)) is matches


def test_selector_prints_in_kubectl_syntax():
    sel = selector(
        matchLabels={"app": "reviews"},
        matchExpressions=[
            {"key": "tier", "operator": "In", "values": ["a", "b"]},
            {"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]},
            {"key": "x", "operator": "Exists"},
            {"key": "y", "operator": "DoesNotExist"},
        ],
    )
    assert str(sel) == "app=reviews,tier in (a,b),sidecar.istio.io/inject!=false,x,!y"
    assert str(LabelSelector.from_map({"b": "2", "a": "1"})) == "a=1,b=2"


def test_label_pairs():
    assert parse_label_pairs("app=a, istio.io/rev=1-21,empty=") == {"app": "a", "istio.io/rev": "1-21", "empty": ""}
    assert parse_label_pairs("") == {}
    with pytest.raises(UsageError):
        parse_label_pairs("novalue")
