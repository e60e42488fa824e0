"""`check-inject`: istioctl's verdict per injector webhook configuration (pure).

istioctl/pkg/checkinject/checkinject.go analyzeRunningWebhooks: one row per
MutatingWebhookConfiguration that has a webhook named ``*istio.io``; its webhooks are tried in
order and the first whose selectors both match (with a label to quote) injects; otherwise the
first one whose object selector excludes the pod, or whose namespace carries istio-injection
other than enabled, gives the reason; otherwise "No matching ... labels". The webhooks and their
selectors come from `meshctl.analyze.webhooks.injector_webhooks` and are matched with
`meshctl.model.labels.LabelSelector`, as `meshctl webhooks --pod` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from meshctl.model.labels import LabelSelector
from meshctl.model.webhooks import InjectorWebhook

INJECTION_LABEL = "istio-injection"  # analyzers/util InjectionLabelName
# istioctl/pkg/util NeverMatch: how istioctl's tag commands deactivate a webhook.
NEVER_MATCH = {"matchLabels": {"istio.io/deactivated": "never-match"}}
NO_HOOKS = "ERROR: no Istio injection hooks present."
MULTIPLE = "ERROR: multiple webhooks will inject, which can lead to errors"


@dataclass(frozen=True)
class WebhookAnalysis:
    """One row of istioctl's table."""

    name: str
    revision: str
    injected: bool
    reason: str


def analyze(webhooks: list[InjectorWebhook], pod_labels: dict[str, str], namespace_labels: dict[str, str]) -> list[WebhookAnalysis]:
    """Rows sorted by configuration name, for the configurations istioctl counts as Istio's."""
    results = []
    ordered = sorted(webhooks, key=lambda w: (w.configuration, w.position))
    for configuration, group in groupby(ordered, key=lambda w: w.configuration):
        hooks = list(group)
        if not any(w.name.endswith("istio.io") for w in hooks):  # isIstioWebhook
            continue
        reason, injected = _match_status(hooks, pod_labels, namespace_labels)
        results.append(WebhookAnalysis(configuration, hooks[0].revision, injected, reason))
    return results


def _match_status(hooks: list[InjectorWebhook], pod_labels: dict[str, str], ns_labels: dict[str, str]) -> tuple[str, bool]:
    # checkinject.go analyzeWebhooksMatchStatus
    for hook in hooks:
        ns_matched, ns_label = _matched_selector_info(hook.namespace_selector, ns_labels)
        pod_matched, pod_label = _matched_selector_info(hook.object_selector, pod_labels)
        if ns_matched and pod_matched:
            if ns_label and pod_label:
                return f"Namespace label {ns_label} matches, and pod label {pod_label} matches", True
            if ns_label:
                reason = f"Namespace label {ns_label} matches"
                if "kubernetes.io/metadata.name" in ns_label:
                    reason += " (Automatic injection is enabled in all namespaces)."
                return reason, True
            if pod_label:
                return f"Pod label {pod_label} matches", True
        elif ns_matched:
            for expression in (hook.object_selector or {}).get("matchExpressions") or []:
                key, operator = expression.get("key"), expression.get("operator")
                if key not in pod_labels:
                    continue
                value = pod_labels[key]
                if operator == "DoesNotExist" or (operator == "NotIn" and value in (expression.get("values") or [])):
                    return f"Pod has {key}={value} label, preventing injection", False
        elif pod_matched:
            value = ns_labels.get(INJECTION_LABEL)
            if value is not None and value != "enabled":
                return f"Namespace has {INJECTION_LABEL}={value} label, preventing injection", False
    return _no_match_reason(hooks), False


def _matched_selector_info(selector: dict | None, labels: dict[str, str]) -> tuple[bool, str]:
    """(matches, "key=value" of the first In/NotIn expression the object has a label for)."""
    if selector is None:
        return True, ""
    if not LabelSelector.from_dict(selector).matches(labels):
        return False, ""
    for expression in selector.get("matchExpressions") or []:
        key = expression.get("key")
        if expression.get("operator") in ("In", "NotIn") and key in labels:
            return True, f"{key}={labels[key]}"
    return True, ""


def _no_match_reason(hooks: list[InjectorWebhook]) -> str:
    def in_labels(selector: dict | None) -> list[str]:
        return [f"{e.get('key')}={v}" for e in (selector or {}).get("matchExpressions") or []
                if e.get("operator") == "In" for v in e.get("values") or []]

    if any(_never_matches(h.namespace_selector) and _never_matches(h.object_selector) for h in hooks):
        return "The injection webhook is deactivated, and will never match labels."
    namespace = [label for h in hooks for label in in_labels(h.namespace_selector)]
    pod = [label for h in hooks for label in in_labels(h.object_selector)]
    return f"No matching namespace labels ({', '.join(namespace)}) or pod labels ({', '.join(pod)})"


def _never_matches(selector: dict | None) -> bool:
    return bool(selector) and selector.get("matchLabels") == NEVER_MATCH["matchLabels"] and not selector.get("matchExpressions")


def injected_count(results: list[WebhookAnalysis]) -> int:
    """How many configurations inject (istioctl errors when more than one would)."""
    return sum(r.injected for r in results)


def check_inject_document(results: list[WebhookAnalysis]) -> list[dict]:
    """The JSON form: one object per row."""
    return [{"webhook": r.name, "revision": r.revision, "injected": r.injected, "reason": r.reason} for r in results]
