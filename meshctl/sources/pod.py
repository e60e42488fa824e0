"""A pod's Envoy as a source: port-forward to its admin port, else exec ``pilot-agent request``.

istioctl does the same two ways (pkg/kube/client.go EnvoyDo: port-forward; older releases and
restricted clusters: ``pilot-agent request GET <path>`` in istio-proxy). Port-forward is tried
first because it streams big dumps without buffering them in the exec protocol; when the API
server or kubelet refuses it, exec is tried, and if both fail the error shows both reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from meshctl.errors import SourceError
from meshctl.model.refs import PodRef
from meshctl.sources.kube import PROXY_CONTAINER, KubeClient, connect

DEFAULT_PROXY_ADMIN_PORT = 15000


@dataclass(frozen=True)
class PodEndpoint:
    """An HTTP endpoint inside a pod, and the in-container command that fetches the same paths."""

    port: int
    container: str
    exec_prefix: tuple[str, ...]  # argv before the path


# istioctl pkg/kube/client.go EnvoyDo / AllDiscoveryDo
PROXY_ADMIN = PodEndpoint(DEFAULT_PROXY_ADMIN_PORT, PROXY_CONTAINER, ("pilot-agent", "request", "GET"))
ISTIOD_DEBUG = PodEndpoint(15014, "discovery", ("pilot-discovery", "request", "GET"))


class PodSource:
    """Fetches HTTP paths from an endpoint of a pod (by default Envoy's admin API in istio-proxy)."""

    def __init__(
        self,
        kube: KubeClient,
        ref: PodRef | None = None,
        *,
        pod: dict | None = None,
        endpoint: PodEndpoint = PROXY_ADMIN,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.kube = kube
        self.ref = ref
        self.endpoint = endpoint
        self._notify = notify or (lambda message: None)
        self._pod = pod
        self._use_exec = False  # set once port-forward failed, so later fetches go straight to exec
        self.paths_used: list[str] = []  # "port-forward" / "exec" per fetch, for -v and tests

    @property
    def pod(self) -> dict:
        """The resolved pod (a workload reference resolves once), checked for the endpoint's container."""
        if self._pod is None:
            pod = self.kube.resolve_pod(self.ref)
            if self.endpoint.container == PROXY_CONTAINER:
                self.kube.require_proxy(pod)
            self._pod = pod
        return self._pod

    @property
    def name(self) -> str:
        meta = self.pod.get("metadata") or {}
        return f"{meta.get('name')}.{meta.get('namespace')}"

    def describe(self) -> str:
        return f"pod {self.name}" if self._pod is not None else f"pod {self.ref}"

    def fetch(self, path: str) -> bytes:
        pod = self.pod
        if self.kube.snapshot is not None:  # --snapshot: what the pod answered when it was taken
            data = self.kube.recorded_fetch(pod, self.endpoint, path)
            self._used("snapshot", f"read from snapshot {self.kube.snapshot} for {self.name}", path)
            return data
        forward_error = None
        if not self._use_exec:
            try:
                data = self._fetch_forwarded(pod, path)
                self._used("port-forward", f"port-forward to {self.name}:{self.endpoint.port}", path)
                return data
            except SourceError as exc:
                forward_error = str(exc)
                self._use_exec = True
                self._notify(f"port-forward to {self.name}:{self.endpoint.port} failed ({forward_error}); trying exec")
        try:
            data = self.kube.exec_in(pod, self.endpoint.container, [*self.endpoint.exec_prefix, path])
        except SourceError as exc:
            if forward_error is None:
                raise
            raise SourceError(
                f"cannot reach {self.endpoint.container} in pod {self.name}: port-forward failed: {forward_error}; exec failed: {exc}"
            ) from None
        self._used("exec", f"exec {' '.join(self.endpoint.exec_prefix)} in {self.name}/{self.endpoint.container}", path)
        return data

    def _fetch_forwarded(self, pod: dict, path: str) -> bytes:
        from meshctl.sources.portforward import ForwardedHTTP

        with ForwardedHTTP(self.kube, pod, self.endpoint.port) as http:
            return http.get(path)

    def _used(self, how: str, detail: str, path: str) -> None:
        self.paths_used.append(how)
        self._notify(f"{detail}: /{path}")


def proxy_source(kube: KubeClient, ref: str, flags: dict) -> PodSource:
    """The istio-proxy admin API of the pod `ref` names; `flags` may set proxy_admin_port and notify."""
    endpoint = PodEndpoint(flags.get("proxy_admin_port") or DEFAULT_PROXY_ADMIN_PORT, PROXY_CONTAINER, PROXY_ADMIN.exec_prefix)
    return PodSource(kube, PodRef.parse(ref, kube.namespace), endpoint=endpoint, notify=flags.get("notify"))


def pod_source(ref: str, *, timeout: float | None = None, **flags) -> PodSource:
    """open_source()'s pod branch: connect as kubectl would from the same flags, then parse `ref`.

    `timeout` (the admin --timeout) applies when --request-timeout is not given.
    """
    if flags.get("request_timeout") is None:
        flags["request_timeout"] = timeout
    return proxy_source(connect(flags), ref, flags)


def fetch_from_istiods(
    kube: KubeClient, path: str, *, revision: str | None = None, notify: Callable[[str], None] | None = None
) -> dict[str, bytes]:
    """GET `path` from the debug interface of every running istiod (istioctl AllDiscoveryDo).

    One unreachable istiod is reported through `notify` and skipped; none answering is an error.
    """
    namespace = kube.options.istio_namespace
    selector = "app=istiod" + (f",istio.io/rev={revision}" if revision else "")
    pods = [p for p in kube.list("/api/v1", "pods", namespace, selector) if (p.get("status") or {}).get("phase") == "Running"]
    if not pods:
        raise SourceError(f"no running istiod pods in namespace {namespace} (selector {selector}); use -i/--istio-namespace")
    answers, failures = {}, []
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        name = pod["metadata"]["name"]
        try:
            answers[name] = PodSource(kube, pod=pod, endpoint=ISTIOD_DEBUG, notify=notify).fetch(path)
        except SourceError as exc:
            failures.append(str(exc))
            (notify or (lambda message: None))(f"skipping istiod {name}: {exc}")
    if not answers:
        raise SourceError(f"no istiod answered /{path}: " + "; ".join(failures))
    return answers
