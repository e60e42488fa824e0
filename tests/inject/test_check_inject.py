"""check-inject: istioctl's verdict per injector configuration on the shared webhook inputs (pure layer).

Expected reasons follow istioctl/pkg/checkinject/checkinject.go analyzeWebhooksMatchStatus, worked
through by hand for each case (istioctl's own expectations are kept back).
"""

from __future__ import annotations

import copy

import pytest
import yaml

from meshctl.analyze.checkinject import WebhookAnalysis, analyze, check_inject_document
from meshctl.analyze.webhooks import injector_webhooks
from meshctl.render.checkinject import check_inject_text

from helpers import ISTIO_TESTDATA, require_shared

CHECK_INJECT = ISTIO_TESTDATA / "istioctl/pkg/checkinject/testdata/check-inject"
NO_MATCH = ("No matching namespace labels (istio.io/rev=default, istio-injection=enabled) "
            "or pod labels (istio.io/rev=default, sidecar.istio.io/inject=true)")


def _configs(*names: str) -> list[dict]:
    folder = require_shared(CHECK_INJECT)
    return [doc for name in names for doc in yaml.safe_load_all((folder / name).read_text()) if doc]


def _rows(configs, pod_labels, ns_labels) -> list[tuple]:
    results = analyze(injector_webhooks(configs), pod_labels, ns_labels)
    return [(r.name, r.revision, r.injected, r.reason) for r in results]


@pytest.mark.parametrize(
    ("pod_labels", "ns_labels", "expected"),
    [
        ({"app": "x"}, {"istio-injection": "enabled"},
         (True, "Namespace label istio-injection=enabled matches")),
        ({"istio.io/rev": "default"}, {}, (True, "Pod label istio.io/rev=default matches")),
        ({}, {"istio.io/rev": "default"}, (True, "Namespace label istio.io/rev=default matches")),
        ({}, {"istio-injection": "disabled"},
         (False, "Namespace has istio-injection=disabled label, preventing injection")),
        ({"sidecar.istio.io/inject": "false"}, {"istio-injection": "enabled"},
         (False, "Pod has sidecar.istio.io/inject=false label, preventing injection")),
        ({"sidecar.istio.io/inject": "true"}, {}, (True, "Pod label sidecar.istio.io/inject=true matches")),
        ({}, {}, (False, NO_MATCH)),
    ],
)
def test_default_injector(pod_labels, ns_labels, expected):
    assert _rows(_configs("default-injector.yaml"), pod_labels, ns_labels) == [
        ("istio-sidecar-injector", "default", *expected)]


def test_a_revision_namespace_is_injected_by_that_revision_only():
    rows = _rows(_configs("default-injector.yaml", "rev-16-injector.yaml"), {}, {"istio.io/rev": "1-16"})

    assert rows == [("istio-sidecar-injector", "default", False, NO_MATCH),
                    ("istio-sidecar-injector-1-16", "1-16", True, "Namespace label istio.io/rev=1-16 matches")]


def test_a_deactivated_injector_never_matches():
    rows = _rows(_configs("never-match-injector.yaml"), {"istio.io/rev": "default"}, {"istio-injection": "enabled"})

    assert rows == [("istio-sidecar-injector-deactivated", "default", False,
                     "The injection webhook is deactivated, and will never match labels.")]


def test_injection_in_all_namespaces_is_called_out():
    config = _configs("default-injector.yaml")[0]
    config["webhooks"][2]["namespaceSelector"] = {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system", "istio-system"]}]}

    rows = _rows([config], {}, {"kubernetes.io/metadata.name": "bookinfo"})

    assert rows[0][2:] == (True, "Namespace label kubernetes.io/metadata.name=bookinfo matches "
                                 "(Automatic injection is enabled in all namespaces).")


def test_configurations_without_istio_webhooks_are_not_rows():
    other = copy.deepcopy(_configs("default-injector.yaml")[0])
    other["metadata"]["name"] = "linkerd-proxy-injector"
    for webhook in other["webhooks"]:
        webhook["name"] = "linkerd-proxy-injector.linkerd.io"

    assert [r[0] for r in _rows(_configs("default-injector.yaml") + [other], {}, {})] == ["istio-sidecar-injector"]


def test_table_is_laid_out_as_istioctl_lays_it_out():
    results = [WebhookAnalysis("istio-sidecar-injector", "default", True, "Namespace label istio-injection=enabled matches"),
               WebhookAnalysis("istio-sidecar-injector-1-16", "1-16", False, "No matching labels")]

    text = check_inject_text(results)

    # Columns two spaces apart; INJECTED is sized for istioctl's always-on colour escapes (9 bytes).
    assert text == (
        "WEBHOOK                      REVISION  INJECTED      REASON\n"
        "istio-sidecar-injector       default   ✔             Namespace label istio-injection=enabled matches\n"
        "istio-sidecar-injector-1-16  1-16      ✘             No matching labels\n")
    assert check_inject_document(results)[1] == {"webhook": "istio-sidecar-injector-1-16", "revision": "1-16",
                                                  "injected": False, "reason": "No matching labels"}
