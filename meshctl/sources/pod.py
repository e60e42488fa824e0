"""A pod's endpoint as a Source: Envoy's admin API in istio-proxy, or istiod's debug interface.

How the pod is reached (port-forward, exec, or a snapshot's recording) is the cluster's business
(`meshctl.sources.base.ClusterAccess.fetch_from_pod`); this module only names the pod and the
endpoint, and remembers that a port-forward failed so that later paths go straight to exec.
"""

from __future__ import annotations

from meshctl.errors import SourceError
from meshctl.model.pods import ISTIOD_DEBUG, PROXY_ADMIN, PROXY_CONTAINER, PodEndpoint, proxy_admin
from meshctl.model.refs import PodRef
from meshctl.sources.base import ClusterAccess, Notify


class PodSource:
    """Fetches HTTP paths from an endpoint of a pod (by default Envoy's admin API in istio-proxy)."""

    def __init__(
        self,
        cluster: ClusterAccess,
        ref: PodRef | None = None,
        *,
        pod: dict | None = None,
        endpoint: PodEndpoint = PROXY_ADMIN,
        notify: Notify | None = None,
    ) -> None:
        self.cluster = cluster
        self.ref = ref
        self.endpoint = endpoint
        self._notify = notify
        self._pod = pod
        self._use_exec = False  # set once port-forward failed, so later fetches go straight to exec
        self.paths_used: list[str] = []  # "port-forward" / "exec" / "snapshot" per fetch, for -v and tests

    @property
    def pod(self) -> dict:
        """The resolved pod (a workload reference resolves once), checked for the endpoint's container."""
        if self._pod is None:
            pod = self.cluster.resolve_pod(self.ref)
            if self.endpoint.container == PROXY_CONTAINER:
                self.cluster.require_proxy(pod)
            self._pod = pod
        return self._pod

    @property
    def name(self) -> str:
        """The pod as ``name.namespace``."""
        meta = self.pod.get("metadata") or {}
        return f"{meta.get('name')}.{meta.get('namespace')}"

    def describe(self) -> str:
        """``pod NAME.NS`` (the reference as given until the pod is resolved)."""
        return f"pod {self.name}" if self._pod is not None else f"pod {self.ref}"

    def fetch(self, path: str) -> bytes:
        """GET `path` from the endpoint (how it is reached: the cluster's fetch_from_pod)."""
        return self._request("GET", path)

    def post(self, path: str) -> bytes:
        """``POST /<path>``: Envoy's /logging (a read without a query, a level change with one)."""
        return self._request("POST", path)

    def _request(self, method: str, path: str) -> bytes:
        # A GET is asked for as before `method` existed: ClusterAccess doubles need not know it.
        extra = {} if method == "GET" else {"method": method}
        answer = self.cluster.fetch_from_pod(self.pod, self.endpoint, path, self._notify, try_forward=not self._use_exec, **extra)
        self._use_exec = self._use_exec or answer.way == "exec"
        self.paths_used.append(answer.way)
        return answer.data


def proxy_source(cluster: ClusterAccess, ref: str, notify: Notify | None = None) -> PodSource:
    """The istio-proxy admin API of the pod `ref` names (port: the cluster options' --proxy-admin-port)."""
    endpoint = proxy_admin(cluster.options.proxy_admin_port)
    return PodSource(cluster, PodRef.parse(ref, cluster.namespace), endpoint=endpoint, notify=notify)


def fetch_from_istiods(cluster: ClusterAccess, path: str, *, revision: str | None = None, notify: Notify | None = None,
                       progress: bool = False, stream=None) -> dict[str, bytes]:
    """GET `path` from the debug interface of every running istiod (istioctl AllDiscoveryDo), concurrently.

    One unreachable istiod is reported through `notify` and skipped; none answering is an error.
    With `progress` and more than one istiod, a progress bar is drawn on `stream` (run_each's).
    """
    from meshctl.sources.fleet import OK, run_each

    namespace = cluster.options.istio_namespace
    selector = "app=istiod" + (f",istio.io/rev={revision}" if revision else "")
    pods = [p for p in cluster.list("/api/v1", "pods", namespace, selector) if (p.get("status") or {}).get("phase") == "Running"]
    if not pods:
        raise SourceError(f"no running istiod pods in namespace {namespace} (selector {selector}); use -i/--istio-namespace")
    pods = sorted(pods, key=lambda p: p["metadata"]["name"])
    run = run_each(pods, lambda pod: PodSource(cluster, pod=pod, endpoint=ISTIOD_DEBUG, notify=notify).fetch(path),
                   progress=progress and len(pods) > 1, label="asking istiods", stream=stream)  # fmt: skip
    results = {result.pod["metadata"]["name"]: result for result in run}
    answers, failures = {}, []
    for name, result in sorted(results.items()):
        if result.status == OK:
            answers[name] = result.value
        else:
            failures.append(result.error)
            (notify or (lambda message: None))(f"skipping istiod {name}: {result.error}")
    if not answers:
        raise SourceError(f"no istiod answered /{path}: " + "; ".join(failures))
    return answers
