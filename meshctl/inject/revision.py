"""Which control plane revision injects a workload when no --revision is given (pure).

The API server calls every mutating webhook whose namespaceSelector and objectSelector match the
pod (meshctl.analyze.webhooks.evaluate), configurations in name order (apiserver
mutating_webhook_manager.go sorts them by name). Istio's injector skips a pod that already carries
``sidecar.istio.io/status`` (pkg/kube/inject/inject.go injectRequired), so when several injector
webhooks match, the first one called decides the revision; Istio's revision and tag webhooks are
built not to overlap, so several firing is a misconfiguration worth reporting.
"""

from __future__ import annotations

from dataclasses import dataclass

from meshctl.analyze.webhooks import evaluate
from meshctl.errors import DecodeError
from meshctl.goenc import goyaml
from meshctl.inject import kubetypes
from meshctl.inject.pipeline import pod_templates
from meshctl.model.webhooks import InjectorWebhook, Verdict


@dataclass(frozen=True)
class Workload:
    """A pod as the API server would see it at admission: its namespace and labels."""

    name: str  # "Deployment/reviews"
    namespace: str
    labels: dict


@dataclass(frozen=True)
class RevisionChoice:
    """The revision that injects a workload, the webhook that decides it, and every webhook that fires."""
    workload: Workload
    revision: str  # "" = the default revision
    webhook: InjectorWebhook | None  # None: no injector webhook fires
    firing: tuple[Verdict, ...]
    served: tuple[str, ...] = ()  # the revisions any injector webhook serves

    @property
    def label(self) -> str:
        """The revision's name, ``default`` for the default revision."""
        return self.revision or "default"

    def explanation(self) -> list[str]:
        """Why this revision: the firing webhook(s) and the selector evidence."""
        subject = f"{self.workload.name} in namespace {self.workload.namespace}"
        if not self.firing:
            served = f"webhooks serve revision(s) {', '.join(self.served)}" if self.served else "no injector webhooks"
            return [f"no injector webhook fires for {subject} ({served})"]
        first = self.firing[0]
        lines = [f"revision {self.label} for {subject}: webhook {_name(first)} fires ({'; '.join(first.reasons)})"]
        if len(self.firing) > 1:
            others = ", ".join(f"{_name(v)} (revision {v.webhook.revision or 'default'})" for v in self.firing[1:])
            lines.append(
                f"{len(self.firing)} injector webhooks fire; the API server calls them all, in configuration-name "
                f"order, and the injector skips a pod already injected, so the first wins; also firing: {others}. "
                "Istio's revision and tag webhooks are meant not to overlap: check their selectors"
            )
        return lines


def _name(verdict: Verdict) -> str:
    return f"{verdict.webhook.configuration}/{verdict.webhook.name}"


def webhook_revision(webhook: InjectorWebhook) -> str:
    """The revision a webhook injects with ("" = default): its istio.io/rev label, as webhooks.py reads it."""
    return "" if webhook.revision in ("", "default") else webhook.revision


def choose(webhooks: list[InjectorWebhook], workload: Workload, namespace_labels: dict[str, str]) -> RevisionChoice:
    """The revision whose webhook the API server would call first for `workload`."""
    verdicts = evaluate(webhooks, pod_labels=workload.labels, namespace=workload.namespace, namespace_labels=namespace_labels)
    firing = tuple(v for v in verdicts if v.fires)
    served = tuple(sorted({w.revision or "default" for w in webhooks}))
    if not firing:
        return RevisionChoice(workload, "", None, (), served)
    return RevisionChoice(workload, webhook_revision(firing[0].webhook), firing[0].webhook, firing, served)


def workloads(text: str, default_namespace: str) -> list[Workload]:
    """The pods of the workloads in a YAML stream (Lists flattened), with their namespaces."""
    found = []

    def visit(doc) -> None:
        if isinstance(doc, dict) and doc.get("kind") == "List":
            for item in doc.get("items") or []:
                visit(item)
        elif kubetypes.is_workload(doc):
            namespace = (doc.get("metadata") or {}).get("namespace") or default_namespace
            for name, template in pod_templates(doc):
                labels = (template.get("metadata") or {}).get("labels") or {}
                found.append(Workload(name, namespace, dict(labels)))

    try:
        docs = goyaml.unmarshal_all(text, float_numbers=False)
    except goyaml.YAMLError as exc:
        raise DecodeError(f"cannot parse input document: {exc}") from None
    for doc in docs:
        visit(doc)
    return found
