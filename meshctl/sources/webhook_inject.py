"""Ask the cluster's sidecar injector webhook to inject a pod (istioctl kube-inject's ExternalInjector).

Given the injector webhook to ask (the one that fires for the pod, or the one serving --revision:
``webhook_for_revision``), port-forwards to a pod behind its
Service (the webhook port's targetPort, 15017 by default), POSTs an AdmissionReview over TLS verified
with the webhook's caBundle and server name ``<service>.<namespace>.svc``, and returns the JSONPatch
from the response. ``with WebhookInjector(kube, configurations, webhook) as injector: patch = injector(pod, ns)``.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import socket
import ssl

from meshctl.errors import DecodeError, SourceError
from meshctl.model.webhooks import InjectorWebhook
from meshctl.sources.base import ClusterAccess

DEFAULT_POD_PORT = 15017  # istiod's webhook port (istioctl's fallback too)
TIMEOUT = 10.0


def webhook_for_revision(webhooks: list[InjectorWebhook], revision: str) -> InjectorWebhook:
    """The first injector webhook serving `revision` ("" = default): istioctl's choice with --revision."""
    wanted = revision or "default"
    for webhook in webhooks:
        if (webhook.revision or "default") == wanted:
            return webhook
    served = sorted({w.revision or "default" for w in webhooks})
    raise SourceError(
        f"no sidecar injector webhook for revision {wanted} (MutatingWebhookConfigurations serve: {', '.join(served) or 'none'})"
    )


def _client_config(configurations: list[dict], webhook: InjectorWebhook) -> dict:
    for config in configurations:
        if (config.get("metadata") or {}).get("name") == webhook.configuration:
            for entry in config.get("webhooks") or []:
                if entry.get("name") == webhook.name:
                    return entry.get("clientConfig") or {}
    raise SourceError(f"webhook {webhook.configuration}/{webhook.name} is not in the MutatingWebhookConfigurations")


def _ssl_context(ca_bundle_b64: str | None) -> ssl.SSLContext:
    if not ca_bundle_b64:
        return ssl.create_default_context()
    try:
        pem = base64.b64decode(ca_bundle_b64).decode()
        return ssl.create_default_context(cadata=pem)
    except (ValueError, ssl.SSLError) as exc:
        raise SourceError(f"the webhook's caBundle is not a PEM certificate bundle: {exc}") from None


class WebhookInjector:
    """A live connection to the injector webhook (a port-forward for service webhooks)."""

    def __init__(self, kube: ClusterAccess, configurations: list[dict], webhook: InjectorWebhook) -> None:
        self.kube = kube
        self.name = webhook.name
        client = _client_config(configurations, webhook)
        self.context = _ssl_context(client.get("caBundle"))
        self.service = client.get("service")
        self.url = client.get("url", "")
        self._stack = contextlib.ExitStack()
        self.address: tuple[str, int] | None = None
        self.server_name = ""
        self.path = "/"

    def __enter__(self) -> WebhookInjector:
        from urllib.parse import urlsplit

        if self.service:
            self._forward_to_service()
        else:
            parts = urlsplit(self.url)
            self.address = (parts.hostname or "", parts.port or 443)
            self.server_name = parts.hostname or ""
            self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def _forward_to_service(self) -> None:
        from meshctl.model.labels import LabelSelector

        name, namespace = self.service.get("name", ""), self.service.get("namespace", "")
        service = self.kube.read("/api/v1", "services", name, namespace)
        selector = LabelSelector.from_map((service.get("spec") or {}).get("selector") or {})
        pods = [p for p in self.kube.list("/api/v1", "pods", namespace, str(selector))
                if (p.get("status") or {}).get("phase") == "Running"]  # fmt: skip
        if selector.is_empty() or not pods:
            raise SourceError(f"service {name} in namespace {namespace} has no running pod to port-forward to")
        pod = pods[0]
        port = DEFAULT_POD_PORT
        for entry in (service.get("spec") or {}).get("ports") or []:
            if entry.get("port") == self.service.get("port", 443):
                port = _target_port(entry.get("targetPort"), pod, port)
        forwarding = self._stack.enter_context(self.kube.port_forward(pod, port))
        self.address = ("127.0.0.1", forwarding.port)
        self.server_name = f"{name}.{namespace}.svc"
        self.path = self.service.get("path") or "/"

    def __call__(self, pod: dict, namespace: str) -> list | None:
        """The webhook's JSONPatch for `pod` (None when it returns none)."""
        meta = pod.get("metadata") or {}
        review = {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "00000000-0000-0000-0000-000000000000",
                "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "resource": {"group": "", "version": "v1", "resource": "pods"},
                "name": meta.get("name", ""),
                "namespace": meta.get("namespace") or namespace,
                "operation": "CREATE",
                "object": pod,
            },
        }
        body = self._post(json.dumps(review).encode())
        try:
            response = json.loads(body).get("response") or {}
        except (ValueError, AttributeError):
            raise SourceError(f"webhook {self.name} answered with something that is not an AdmissionReview") from None
        if not response.get("allowed", False):
            message = (response.get("status") or {}).get("message") or "no reason given"
            raise DecodeError(f"webhook {self.name} rejected the pod: {message}")
        patch = response.get("patch")
        if not patch:
            return None
        try:
            return json.loads(base64.b64decode(patch))
        except ValueError:
            raise SourceError(f"webhook {self.name} returned a patch that is not base64 JSON") from None

    def _post(self, payload: bytes) -> bytes:
        host, port = self.address
        context, server_name = self.context, self.server_name

        class Connection(http.client.HTTPSConnection):
            def connect(self):
                raw = socket.create_connection((host, port), timeout=TIMEOUT)
                self.sock = context.wrap_socket(raw, server_hostname=server_name)

        connection = Connection(host, port, timeout=TIMEOUT, context=context)
        try:
            connection.request("POST", self.path, body=payload, headers={"Content-Type": "application/json"})
            answer = connection.getresponse()
            body = answer.read()
        except ssl.SSLError as exc:
            raise SourceError(f"TLS to webhook {self.name} ({server_name}) failed: {exc.reason or exc}") from None
        except OSError as exc:
            raise SourceError(f"cannot reach webhook {self.name} at {server_name}: {exc}") from None
        finally:
            connection.close()
        if answer.status != 200:
            raise SourceError(f"webhook {self.name} answered HTTP {answer.status}: {body[:200].decode(errors='replace')}")
        return body


def _target_port(target, pod: dict, default: int) -> int:
    """A Service targetPort: a number, or a container port name on the pod."""
    if isinstance(target, int):
        return target
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target:
                return int(port.get("containerPort", default))
    return default
