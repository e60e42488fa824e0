"""`meshctl check-inject` on the fake cluster, with istioctl's shared injector webhooks installed."""

from __future__ import annotations

import json

import pytest
import yaml

from fakekube import istio_pod, namespace, pod, workload
from helpers import ISTIO_TESTDATA, call_meshctl, require_shared
from helpers.jsondocs import validate

pytestmark = pytest.mark.kube

CHECK_INJECT = ISTIO_TESTDATA / "istioctl/pkg/checkinject/testdata/check-inject"
DEFAULT = "istio-sidecar-injector"
REV16 = "istio-sidecar-injector-1-16"


@pytest.fixture
def cluster(fake_kube):
    for name in ("default-injector.yaml", "rev-16-injector.yaml"):
        for document in yaml.safe_load_all((require_shared(CHECK_INJECT) / name).read_text()):
            fake_kube.add(document)
    fake_kube.add(namespace("enabled", {"istio-injection": "enabled"}), namespace("canary", {"istio.io/rev": "1-16"}),
                  namespace("plain"), namespace("kube-system"))
    return fake_kube


def check(kube, *args: str):
    return call_meshctl("check-inject", *args, "--kubeconfig", str(kube.kubeconfig_path))


def rows(text: str) -> dict[str, list[str]]:
    import re

    return {cells[0]: cells[1:] for cells in (re.split(r"\s{2,}", line) for line in text.splitlines()[1:])}


def test_a_pod_in_an_injection_enabled_namespace(cluster):
    cluster.add(istio_pod("reviews-v1-abc", "enabled"))

    result = check(cluster, "reviews-v1-abc.enabled")

    assert result.exit_code == 0, result
    assert result.stdout.splitlines()[0].split() == ["WEBHOOK", "REVISION", "INJECTED", "REASON"]
    assert rows(result.stdout) == {
        DEFAULT: ["default", "✔", "Namespace label istio-injection=enabled matches"],
        REV16: ["1-16", "✘", "No matching namespace labels (istio.io/rev=1-16) or pod labels (istio.io/rev=1-16)"],
    }
    assert result.stderr == ""


def test_a_deployment_is_judged_by_its_pod_template(cluster):
    workload(cluster, "ratings", "canary", replicas=0, sidecar=False)
    cluster.add(pod("opted-out", "canary", labels={"app": "x", "sidecar.istio.io/inject": "false"}))

    deployment = check(cluster, "deployment/ratings", "-n", "canary")
    opted_out = check(cluster, "opted-out.canary", "-o", "json")

    assert rows(deployment.stdout)[REV16] == ["1-16", "✔", "Namespace label istio.io/rev=1-16 matches"]
    assert rows(deployment.stdout)[DEFAULT][1] == "✘"
    document = json.loads(opted_out.stdout)
    validate(document, "meshctl.check-inject/v1")
    assert [w["injected"] for w in document["webhooks"]] == [False, False]
    assert document["webhooks"][1]["reason"] == "Pod has sidecar.istio.io/inject=false label, preventing injection"


def test_labels_in_a_namespace_before_any_pod_exists(cluster):
    result = check(cluster, "-n", "plain", "-l", "app=helloworld,istio.io/rev=default")

    assert rows(result.stdout)[DEFAULT] == ["default", "✔", "Pod label istio.io/rev=default matches"]


def test_notes_for_what_selectors_do_not_show(cluster):
    cluster.add(namespace("kube-system", {"istio-injection": "enabled"}))

    result = check(cluster, "-n", "kube-system", "-l", "app=dns")

    assert rows(result.stdout)[DEFAULT][1] == "✔"
    assert result.stderr == "meshctl: note: the injector never injects into namespace kube-system\n"


def test_two_injecting_webhooks_and_none(cluster, fake_kube):
    leftover = yaml.safe_load((require_shared(CHECK_INJECT) / "default-injector.yaml").read_text())
    leftover["metadata"]["name"] = "istio-sidecar-injector-old"  # e.g. a revision removed by hand
    fake_kube.add(leftover)
    both = check(cluster, "-n", "enabled", "-l", "app=x")
    for name in (DEFAULT, REV16, "istio-sidecar-injector-old"):
        fake_kube.remove("mutatingwebhookconfigurations", name)
    none = check(cluster, "-n", "plain", "-l", "app=x")

    assert [r[1] for r in rows(both.stdout).values()] == ["✔", "✘", "✔"]
    assert both.stderr == "ERROR: multiple webhooks will inject, which can lead to errors\n"
    assert (none.exit_code, none.stdout, none.stderr) == (0, "", "ERROR: no Istio injection hooks present.\n")


def test_usage(cluster):
    neither = check(cluster)
    both = check(cluster, "x", "-l", "a=b")

    assert neither.exit_code == both.exit_code == 2
    assert "check-inject requires only [<resource-type>/]<resource-name>[.<namespace>]" in neither.stderr
