"""The two protocols of the sources layer: a `Source` of Envoy data, and `ClusterAccess`.

`Source`: every way of reaching Envoy's data ends in bytes. A pod (port-forward or exec), an
admin URL, a file and stdin all answer `fetch(path)`, where `path` is an Envoy admin path such as
``config_dump?include_eds`` or ``clusters?format=json``. The decode layer cannot tell them apart
(istioctl setup*ConfigdumpWriter -> Prime).

`ClusterAccess`: what commands need of a Kubernetes cluster. Two implementations answer it:
`meshctl.sources.kube.KubeClient` (live: the API server, port-forward, exec) and
`meshctl.sources.snapshot.SnapshotKube` (recorded: a snapshot archive). Which one a run uses is
decided in one place, `meshctl.sources.select.open_cluster`; nothing else asks.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:  # annotations only: `pc ... -f FILE` never loads the pod modules
    from meshctl.model.options import KubeOptions
    from meshctl.model.pods import PodEndpoint
    from meshctl.model.refs import PodRef

Notify = Callable[[str], None]


class Source(Protocol):
    """Bytes of Envoy admin paths, from wherever they come."""

    def fetch(self, path: str) -> bytes:
        """Return the body Envoy's admin API gives for `path` (a file source returns its content)."""

    def describe(self) -> str:
        """A short phrase for messages: ``file dump.json``, ``admin http://127.0.0.1:15000``."""


class PodAnswer(NamedTuple):
    """What an endpoint in a pod answered, and how it was reached: "port-forward", "exec" or "snapshot"."""

    data: bytes
    way: str


class Forwarding(Protocol):
    """A running port-forward: the local port, and errors the pod side reported."""

    port: int
    errors: list[str]


class ClusterAccess(Protocol):
    """A Kubernetes cluster as meshctl reads it: API objects, exec, pods' HTTP endpoints, port-forward.

    Every failure is a one-line `meshctl.errors.SourceError` naming what was asked for.
    Implementations are safe to share between threads (multi-pod views fetch concurrently).
    """

    options: KubeOptions
    server: str  # for messages: the API server URL, or "snapshot PATH"
    timeout: float  # seconds per API request and pod transfer

    @property
    def namespace(self) -> str:
        """-n, else the context's namespace, else "default" (kubectl's rule)."""

    def get(self, path: str, *, verb: str, resource: str, namespace: str = "", query: list | None = None, not_found: str = "") -> dict:
        """GET an API path; errors name `verb` `resource` (a 404 raises `not_found` when given)."""

    def read(self, kind_path: str, plural: str, name: str, namespace: str) -> dict:
        """One object, e.g. ``read("/api/v1", "configmaps", "istio", "istio-system")``."""

    def list(self, kind_path: str, plural: str, namespace: str = "", label_selector: str = "") -> list[dict]:
        """The items of a list ("" namespace: all namespaces), filtered by a kubectl ``-l`` selector."""

    def read_object(self, ref: PodRef) -> dict:
        """The object `ref` names as it is: the pod, or the workload (deployment, service, ...)."""

    def resolve_pod(self, ref: PodRef) -> dict:
        """The pod `ref` names; a workload resolves to its best pod (kubectl's choice)."""

    def require_proxy(self, pod: dict) -> dict:
        """The pod's istio-proxy container spec; SourceError when it has none."""

    def exec_in(self, pod: dict, container: str, argv: list[str]) -> bytes:
        """Run `argv` in `container` of `pod`; its stdout (ExecFailed on refusal or non-zero exit)."""

    def fetch_from_pod(
        self, pod: dict, endpoint: PodEndpoint, path: str, notify: Notify | None = None, *, try_forward: bool = True,
        method: str = "GET",
    ) -> PodAnswer:
        """GET `path` from `endpoint` of `pod` (live: port-forward, else exec; recorded: the snapshot).

        `notify` hears how it was reached (``-v/--show-path``); ``try_forward=False`` skips a
        port-forward that already failed for this pod. ``method="POST"`` is for Envoy's /logging
        (reading levels is a POST too); a recording answers only the read.
        """

    def port_forward(self, pod: dict, port: int) -> AbstractContextManager[Forwarding]:
        """``with cluster.port_forward(pod, 15017) as fwd:`` 127.0.0.1:fwd.port reaches the pod's port."""
