"""Sidecar injector webhooks as data (stdlib only): what analyze, inject and sources share."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CaSummary:
    """The caBundle of a webhook: its first certificate's subject and expiry, how many, what is wrong."""

    subject: str = ""
    not_after: str = ""  # RFC 3339
    count: int = 0
    problem: str = ""


@dataclass(frozen=True)
class InjectorWebhook:
    """One webhook of a MutatingWebhookConfiguration that looks like Istio's sidecar injector."""

    configuration: str
    name: str
    revision: str
    target: str  # "istiod-1-21.istio-system:443/inject" or the URL
    service_namespace: str
    failure_policy: str
    namespace_selector: dict | None
    object_selector: dict | None
    ca: CaSummary = field(default_factory=CaSummary)
    position: int = 0  # index in its configuration's webhooks (the API server calls them in this order)

    @property
    def configmaps(self) -> tuple[str, ...]:
        """The ConfigMaps istiod's injector for this revision reads (istio-sidecar-injector[-REV], istio[-REV])."""
        suffix = "" if self.revision in ("", "default") else f"-{self.revision}"
        namespace = f"{self.service_namespace}/" if self.service_namespace else ""
        return (f"{namespace}istio-sidecar-injector{suffix}", f"{namespace}istio{suffix}")


@dataclass(frozen=True)
class Verdict:
    """Would `webhook` fire for a pod, and the reasons (each selector's answer)."""

    webhook: InjectorWebhook
    fires: bool
    reasons: tuple[str, ...]
