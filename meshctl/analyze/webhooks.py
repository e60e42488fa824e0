"""Sidecar injector webhooks: which exist, which would fire for a pod, and why (pure).

Input is the API's MutatingWebhookConfiguration list as dicts. "Would fire" evaluates the
webhook's namespaceSelector and objectSelector as the API server does; istioctl check-inject
(istioctl/pkg/checkinject/checkinject.go) answers the same question with less detail. The
injector itself may still skip a pod the webhook sends it (pkg/kube/inject/inject.go
injectRequired: hostNetwork, ignored system namespaces, an explicit inject=false): those show up
as notes.
"""

from __future__ import annotations

import base64
import binascii

from meshctl.model.labels import LabelSelector, Requirement
from meshctl.model.tabular import Tabular
from meshctl.model.webhooks import CaSummary, InjectorWebhook, Verdict

REVISION_LABEL = "istio.io/rev"
INJECT_LABEL = "sidecar.istio.io/inject"
# inject.go: namespaces the injector never injects into.
IGNORED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "local-path-storage")


def injector_webhooks(configurations: list[dict]) -> list[InjectorWebhook]:
    """The injector webhooks among `configurations`, sorted by configuration then webhook name."""
    found = []
    for config in configurations:
        meta = config.get("metadata") or {}
        labels = meta.get("labels") or {}
        for position, webhook in enumerate(config.get("webhooks") or []):
            client = webhook.get("clientConfig") or {}
            service = client.get("service") or {}
            path = service.get("path") or ""
            url = client.get("url") or ""
            istio_labelled = REVISION_LABEL in labels or labels.get("app") == "sidecar-injector"
            # istioctl isIstioWebhook: webhook names ending in istio.io; also any /inject endpoint.
            if not (istio_labelled or str(webhook.get("name", "")).endswith("istio.io") or "/inject" in path + url):
                continue
            if service:
                target = f"{service.get('name')}.{service.get('namespace')}:{service.get('port', 443)}{path}"
            else:
                target = url
            found.append(
                InjectorWebhook(
                    configuration=str(meta.get("name", "")),
                    name=str(webhook.get("name", "")),
                    revision=str(labels.get(REVISION_LABEL, "")),
                    target=target,
                    service_namespace=str(service.get("namespace", "")),
                    failure_policy=str(webhook.get("failurePolicy", "Fail")),  # the API's default
                    namespace_selector=webhook.get("namespaceSelector"),
                    object_selector=webhook.get("objectSelector"),
                    ca=ca_summary(client.get("caBundle")),
                    position=position,
                )
            )
    return sorted(found, key=lambda w: (w.configuration, w.name))


def ca_summary(ca_bundle: str | None) -> CaSummary:
    """Subject and expiry of the first certificate of a base64 caBundle (count of all)."""
    from meshctl.decode.x509 import parse_bundle

    if not ca_bundle:
        return CaSummary(problem="no caBundle")
    try:
        data = base64.b64decode(ca_bundle, validate=True)
    except (binascii.Error, ValueError):
        return CaSummary(problem="caBundle is not base64")
    bundle = parse_bundle(data)
    certs = bundle.certs
    if not certs:
        return CaSummary(problem="; ".join(bundle.problems) or "no certificate")
    return CaSummary(certs[0].subject, certs[0].not_after_rfc3339, len(certs), "; ".join(bundle.problems))


def evaluate(
    webhooks: list[InjectorWebhook],
    *,
    pod_labels: dict[str, str],
    namespace: str,
    namespace_labels: dict[str, str],
) -> list[Verdict]:
    """Which webhooks the API server would call for a pod with these labels, and why (or why not)."""
    verdicts = []
    for webhook in webhooks:
        ns_ok, ns_reason = _explain("namespace", namespace, webhook.namespace_selector, namespace_labels)
        pod_ok, pod_reason = _explain("pod", "", webhook.object_selector, pod_labels)
        verdicts.append(Verdict(webhook, ns_ok and pod_ok, (ns_reason, pod_reason)))
    return verdicts


def _explain(what: str, name: str, selector: dict | None, labels: dict[str, str]) -> tuple[bool, str]:
    parsed = LabelSelector.from_dict(selector)
    subject = f"{what} {name}".strip()
    kind = "namespaceSelector" if what == "namespace" else "objectSelector"
    if parsed.is_empty():
        return True, f"{kind} is empty: every {what} matches"
    failing = parsed.failing(labels)
    if not failing:
        return True, f"{subject} matches {kind} {parsed}"
    return False, f"{subject} fails {kind}: " + ", ".join(_why_not(r, labels) for r in failing)


def _why_not(requirement: Requirement, labels: dict[str, str]) -> str:
    if requirement.key in labels:
        return f"{requirement} ({requirement.key}={labels[requirement.key]})"
    return f"{requirement} ({requirement.key} not set)"


def injector_notes(
    verdicts: list[Verdict], *, namespace: str, pod_labels: dict[str, str], pod_annotations: dict[str, str], host_network: bool
) -> list[str]:
    """What the injector (not the webhook selectors) would do differently, and conflicts."""
    notes = []
    firing = [v for v in verdicts if v.fires]
    if len(firing) > 1:
        names = ", ".join(f"{v.webhook.configuration}/{v.webhook.name}" for v in firing)
        notes.append(f"{len(firing)} injector webhooks would fire ({names}): the pod would be mutated more than once")
    if not firing:
        notes.append("no injector webhook fires: the pod will not get a sidecar")
        return notes
    if host_network:
        notes.append("the injector skips hostNetwork pods")
    if namespace in IGNORED_NAMESPACES:
        notes.append(f"the injector never injects into namespace {namespace}")
    for source, values in (("label", pod_labels), ("annotation", pod_annotations)):
        value = values.get(INJECT_LABEL)
        if value is not None and value.lower() not in ("true", "y", "yes", "on", ""):
            notes.append(f"pod {source} {INJECT_LABEL}={value}: the injector skips it")
    return notes


def webhook_table(webhooks: list[InjectorWebhook]) -> Tabular:
    """The injector webhooks: service, path, failure policy, selectors, CA subject and expiry."""
    rows = [
        [
            f"{w.configuration}/{w.name}",
            w.revision or "-",
            w.target,
            w.failure_policy,
            str(LabelSelector.from_dict(w.namespace_selector)) or "<all>",
            str(LabelSelector.from_dict(w.object_selector)) or "<all>",
            w.ca.subject or w.ca.problem or "-",
            w.ca.not_after or "-",
        ]
        for w in webhooks
    ]
    columns = ["WEBHOOK", "REVISION", "SERVICE", "FAILURE POLICY", "NAMESPACE SELECTOR", "OBJECT SELECTOR", "CA SUBJECT", "CA NOT AFTER"]
    return Tabular(columns=columns, rows=rows, padding=3, empty_msg="No sidecar injector webhooks found.")


def verdict_table(verdicts: list[Verdict]) -> Tabular:
    """For each injector webhook: would it fire, and why."""
    rows = [
        [
            f"{v.webhook.configuration}/{v.webhook.name}",
            v.webhook.revision or "-",
            "yes" if v.fires else "no",
            "; ".join(v.reasons),
            ",".join(v.webhook.configmaps) if v.fires else "-",
        ]
        for v in verdicts
    ]
    return Tabular(
        columns=["WEBHOOK", "REVISION", "FIRES", "WHY", "CONFIGMAPS"], rows=rows, padding=3,
        empty_msg="No sidecar injector webhooks found.",
    )  # fmt: skip


def webhook_document(webhook: InjectorWebhook) -> dict:
    """The JSON form of an injector webhook."""
    return {
        "configuration": webhook.configuration,
        "name": webhook.name,
        "revision": webhook.revision,
        "service": webhook.target,
        "failurePolicy": webhook.failure_policy,
        "namespaceSelector": webhook.namespace_selector,
        "objectSelector": webhook.object_selector,
        "caBundle": {"subject": webhook.ca.subject, "notAfter": webhook.ca.not_after, "certificates": webhook.ca.count,
                     "problem": webhook.ca.problem},  # fmt: skip
        "configMaps": list(webhook.configmaps),
    }


def verdict_document(verdict: Verdict) -> dict:
    """The JSON form of a verdict."""
    return {**webhook_document(verdict.webhook), "fires": verdict.fires, "reasons": list(verdict.reasons)}
