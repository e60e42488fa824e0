"""A snapshot file standing in for the cluster (``--snapshot mesh.tar.gz``).

`SnapshotKube` answers what `KubeClient` answers (API reads and lists, exec, pod admin paths)
from what the snapshot recorded, so every read-only command runs unchanged on it and prints what
it printed live. Reads that were not recorded fail as the cluster would (404 -> the same "not
found" message) or with a SourceError that says the snapshot lacks them and, when the capture
failed, why.
"""

from __future__ import annotations

import functools
import os

from meshctl.errors import DecodeError, SourceError
from meshctl.model.labels import parse_selector
from meshctl.model.options import KubeOptions
from meshctl.model.pods import ISTIOD_DEBUG, PROXY_ADMIN, PROXY_CONTAINER, PodEndpoint
from meshctl.sources.base import Notify, PodAnswer
from meshctl.sources.kube import DEFAULT_REQUEST_TIMEOUT, ExecFailed, KubeClient


class NotRecorded(SourceError):
    """The snapshot did not record this list: the fact is unknown (never an empty answer)."""


class SnapshotKube(KubeClient):
    """The recorded `meshctl.sources.base.ClusterAccess`: a snapshot archive (SnapshotArchive) answers.

    Reads that do not depend on where the objects come from (pod resolution, error wording) are
    KubeClient's own.
    """

    def __init__(self, archive, options: KubeOptions) -> None:
        from meshctl.archive import layout
        from meshctl.model.limits import BODY_FLAG, DEFAULT_MAX_BODY, parse_size

        self.options = options
        self.timeout = DEFAULT_REQUEST_TIMEOUT
        self.max_body = parse_size(options.max_body_size, DEFAULT_MAX_BODY, BODY_FLAG)
        self.archive = archive
        self.snapshot = archive.path
        self.server = f"snapshot {archive.path}"
        self._members = archive.cluster_members()
        context = _json(self._members[layout.CONTEXT], layout.CONTEXT, archive.path)
        self.context_namespace = context.get("namespace")
        # None: a snapshot from before the record of lists (it holds only the selected sidecar pods).
        self.recorded = _json(self._members[layout.RECORDED], layout.RECORDED, archive.path) if layout.RECORDED in self._members else None

    def get(self, path, *, verb, resource, namespace="", query=None, not_found=""):
        """The recorded object at `path`, or the recorded objects a list of `path` returns."""
        member = f"cluster{path}.json"
        if member in self._members:
            return _json(self._members[member], member, self.snapshot)
        selector = dict(query or {}).get("labelSelector", "")
        items = self._list(path.rstrip("/") + "/", selector)
        if items is None:
            if not_found:
                raise SourceError(f"{not_found} (in snapshot {self.snapshot})")
            raise SourceError(str(self._api_error(404, None, verb, resource, namespace)) + f" (in snapshot {self.snapshot})")
        return {"items": items}

    def _list(self, prefix: str, selector: str) -> list[dict] | None:
        """Objects listed under `prefix` (all namespaces when it names none); None: not a list path."""
        parts = prefix.strip("/").split("/")
        api_length = 2 if parts[0] == "api" else 3
        scope = parts[api_length:]
        if len(scope) in (1, 3) and (len(scope) == 1 or scope[0] == "namespaces"):
            self._require_recorded("/" + "/".join(parts[:api_length]), scope[-1], scope[1] if len(scope) == 3 else "")
        if len(scope) == 3 and scope[0] == "namespaces":
            wanted = lambda name: name.startswith(f"cluster{prefix}") and name.count("/") == prefix.count("/")  # noqa: E731
        elif len(scope) == 1:
            api, plural = "/".join(parts[:api_length]), scope[0]
            wanted = lambda name: name.startswith(f"cluster/{api}/") and name.split("/")[-2] == plural  # noqa: E731
        else:
            return None
        matches = parse_selector(selector).matches
        items = []
        for name in sorted(self._members):
            if wanted(name):
                obj = _json(self._members[name], name, self.snapshot)
                if matches((obj.get("metadata") or {}).get("labels") or {}):
                    # as the API lists them: items carry no kind (a GET's object does)
                    items.append({k: v for k, v in obj.items() if k not in ("kind", "apiVersion")})
        return items

    def _require_recorded(self, api: str, plural: str, namespace: str) -> None:
        """Raise NotRecorded unless the snapshot holds every object of this list."""
        from meshctl.archive import layout

        kind = f"{api}/{plural}"
        if kind in layout.UNTRACKED_LISTS:
            return
        where = f"in namespace {namespace}" if namespace else "in all namespaces"
        if self.recorded is None:
            if kind == "/api/v1/pods" and namespace:
                return  # an older snapshot's namespaced pod lists: what it selected, as before
            raise NotRecorded(f"{plural} {where} was not recorded in snapshot {self.snapshot} (taken by an older meshctl)")
        scope = self.recorded.get(kind)
        if scope == "*" or (namespace and isinstance(scope, list) and namespace in scope):
            return
        if scope is None:
            raise NotRecorded(f"{plural} {where} was not recorded in snapshot {self.snapshot}{self._failed(plural)}")
        # Read per namespace when the capture could not list across them: as the live cluster denies it.
        raise SourceError(f"{plural} {where} was not recorded in snapshot {self.snapshot} (only in {', '.join(scope) or 'no namespace'})")

    def _failed(self, plural: str) -> str:
        try:
            failed = self.archive.manifest().get("failed") or []
        except DecodeError:
            return ""
        reasons = [row.get("error", "") for row in failed if row.get("what") == plural]
        return f" (capture failed: {reasons[0]})" if reasons else ""

    def exec_in(self, pod: dict, container: str, argv: list[str]) -> bytes:
        """What the recorded command printed: ``cat envoy-rev.json``, ``pilot-agent|pilot-discovery request GET``."""
        from meshctl.archive import layout

        meta = pod.get("metadata") or {}
        namespace, name = meta.get("namespace", ""), meta.get("name", "")
        member, what = None, " ".join(argv[:4])
        if container == PROXY_CONTAINER and argv == ["cat", layout.ENVOY_REV]:
            member = layout.pod_member(namespace, name, "envoy-rev")
        elif container == PROXY_CONTAINER and tuple(argv[:-1]) == PROXY_ADMIN.exec_prefix:
            stem = layout.proxy_stem(argv[-1])
            member = stem and layout.pod_member(namespace, name, stem)
            what = f"/{argv[-1]}"
        elif container == ISTIOD_DEBUG.container and tuple(argv[:-1]) == ISTIOD_DEBUG.exec_prefix:
            stem = layout.istiod_stem(argv[-1])
            member = stem and layout.istiod_member(name, stem)
        data = self.archive.read(member) if member else None
        if data is None:
            raise ExecFailed(f"{what} of {name}.{namespace}/{container} is not in snapshot {self.snapshot}{self._why(f'{name}.{namespace}')}")
        return data

    def fetch_from_pod(
        self, pod: dict, endpoint: PodEndpoint, path: str, notify: Notify | None = None, *, try_forward: bool = True,
        method: str = "GET",
    ) -> PodAnswer:
        """What the pod's endpoint answered for `path` when the snapshot was taken. A POST is answered
        only when it reads (Envoy's /logging without a query); a change is refused."""
        from meshctl.archive import layout

        if method != "GET" and path.lstrip("/") not in layout.PROXY_READS_BY_POST:
            raise SourceError(f"snapshot {self.snapshot} is a recording: {method} /{path.lstrip('/')} would change the proxy")
        # The admin API in istio-proxy (a sidecar's Envoy, or a ztunnel) is recorded per path,
        # whichever command would fetch it by exec.
        prefix = PROXY_ADMIN.exec_prefix if endpoint.container == PROXY_CONTAINER else endpoint.exec_prefix
        data = self.exec_in(pod, endpoint.container, [*prefix, path.lstrip("/")])
        meta = pod.get("metadata") or {}
        if notify is not None:
            notify(f"read from snapshot {self.snapshot} for {meta.get('name')}.{meta.get('namespace')}: /{path}")
        return PodAnswer(data, "snapshot")

    def port_forward(self, pod: dict, port: int):
        """A recording cannot forward ports: SourceError."""
        raise SourceError(f"snapshot {self.snapshot} is a recording: no port-forward")

    def open_websocket(self, pod: dict, subresource: str, query: list, what: str):
        """A recording has no exec or port-forward streams: SourceError."""
        raise SourceError(f"snapshot {self.snapshot} is a recording: no {subresource}")

    open_stream = open_websocket

    def _why(self, pod_key: str) -> str:
        """``: capture failed: ...`` from the manifest, when it says why the pod's data is missing."""
        try:
            row = self.archive.manifest().get("pods", {}).get(pod_key) or {}
        except DecodeError:
            return ""
        return f" (capture {row['status']}: {row['error']})" if row.get("error") else ""


def snapshot_client(options: KubeOptions) -> SnapshotKube:
    """The recording in ``options.snapshot`` (meshctl.sources.select.open_cluster's --snapshot branch)."""
    path = options.snapshot
    try:
        stat = os.stat(path)
    except OSError:
        stat = None  # SnapshotArchive says what is wrong with the path
    limits = archive_limits(options)
    return SnapshotKube(_archive(path, stat and (stat.st_mtime_ns, stat.st_size), limits["max_member"], limits["max_total"]), options)


def archive_limits(options: KubeOptions) -> dict[str, int]:
    """SnapshotArchive's limits from --max-body-size (a member) and --max-snapshot-size (all, inflated)."""
    from meshctl.model.limits import BODY_FLAG, DEFAULT_MAX_BODY, DEFAULT_MAX_SNAPSHOT, SNAPSHOT_FLAG, parse_size

    return {"max_member": parse_size(options.max_body_size, DEFAULT_MAX_BODY, BODY_FLAG),
            "max_total": parse_size(options.max_snapshot_size, DEFAULT_MAX_SNAPSHOT, SNAPSHOT_FLAG)}  # fmt: skip


@functools.lru_cache(maxsize=4)
def _archive(path: str, version, max_member: int, max_total: int):
    """One reader per file (and version of it) per process: a multi-pod view connects once per pod."""
    from meshctl.archive.reader import SnapshotArchive

    return SnapshotArchive(path, max_member=max_member, max_total=max_total)


def _json(data: bytes, member: str, path: str) -> dict:
    from meshctl.archive.reader import check_object

    return check_object(data, member, path)
