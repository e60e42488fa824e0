"""Take a snapshot of a mesh from a cluster (I/O): API objects, istiod's sync status, every sidecar,
and ambient mode's ztunnels and waypoints (meshctl.snapshot.ambient).

Each pod is fetched by `meshctl.sources.fleet.run_each` (bounded concurrency, progress on a TTY,
partial failure as data, Ctrl-C keeps what finished). A pod's admin paths are read over ONE
port-forward websocket and keep-alive HTTP connection (`ForwardedHTTP`, not one per path),
streamed chunk by chunk into a scrubbing spool, so memory holds chunks, not dumps. A pod that
refuses port-forward is read with `PodSource` (exec ``pilot-agent request``), as every command does.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from meshctl.archive import layout
from meshctl.archive.writer import SnapshotWriter, json_bytes
from meshctl.errors import SourceError
from meshctl.model.istio import DESCRIBE_RESOURCES, INGRESS_SELECTOR
from meshctl.model.pods import PROXY_CONTAINER
from meshctl.sources.base import ClusterAccess
from meshctl.sources.istio import list_istio

_API_V1 = "/api/v1"
_WEBHOOKS = ("/apis/admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations")
ROOT_CERT_CONFIGMAP = "istio-ca-root-cert"


def record_pods(writer: SnapshotWriter, pods: Iterable[dict]) -> list[dict]:
    """Store each pod as a GET returns it, as it comes (`stream_proxy_pods`: a page of the list at
    a time); return them sorted by namespace and name, each cut to what capturing its sidecar
    needs (its name and namespace). The pods as read were ~35 KB of Python objects each: at 2000
    pods, ten times an Envoy-sized dump for the whole run (bench/bench_snapshot.py)."""
    from meshctl.model.pods import pod_key
    from meshctl.sources.fleet import by_namespace

    kept = {}
    for pod in pods:
        writer.add_bytes(_member(_API_V1, "pods", pod), json_bytes(_as_read(pod, _API_V1, "pods")))
        meta = pod["metadata"]
        kept[pod_key(pod)] = {"metadata": {"name": meta["name"], "namespace": meta["namespace"]}}
    return [kept[key] for key in sorted(kept, key=by_namespace)]


def take_snapshot(
    kube: ClusterAccess,
    writer: SnapshotWriter,
    pods: Iterable[dict],
    *,
    selection: dict,
    concurrency: int,
    proxy_admin_port: int = 15000,
    progress: bool | None = None,
    stream=None,
    ztunnels: list[dict] | None = None,
) -> dict:
    """Write everything into `writer`; return the manifest (also stored, last). The progress bar is drawn on `stream` (see run_each).

    `pods` may be an iterator (`stream_proxy_pods`): each is stored as it comes. `ztunnels`: the
    ztunnel pods whose dumps to keep (None: the DaemonSet's, meshctl.snapshot.ambient).

    Raises:
        SourceError: no pod was selected and the cluster runs no ztunnel (no archive is worth writing).
    """
    from meshctl import __version__
    from meshctl.snapshot.ambient import ambient_objects, capture_ztunnels, ztunnel_pods
    from meshctl.sources.fleet import by_namespace, run_each

    failures: list[dict] = []
    context = _context(kube)
    writer.add_bytes(layout.CONTEXT, json_bytes(context))
    pods = record_pods(writer, pods)
    ztunnels = ztunnel_pods(kube) if ztunnels is None else ztunnels
    if not pods and not ztunnels:
        where = "any namespace" if selection.get("allNamespaces") else f"namespace {selection.get('namespace')}"
        raise SourceError(f"no running sidecar pods in {where}" + (f" matching {selection['selector']}" if selection.get("selector") else ""))
    recorded: dict[str, object] = {}
    written = set()
    for member, document in (*_cluster_objects(kube, pods, failures, recorded), *ambient_objects(kube, ztunnels, failures, recorded)):
        if member not in written:  # an ambient namespace may be a selected pod's namespace too
            written.add(member)
            writer.add_bytes(member, json_bytes(document))
    writer.add_bytes(layout.RECORDED, json_bytes(recorded))
    istiods = _capture_istiods(kube, writer, failures)
    ztunnel_rows = capture_ztunnels(kube, writer, ztunnels, proxy_admin_port, concurrency, progress=progress, stream=stream) if ztunnels else {}
    _limit_malloc_arenas()
    run = run_each(pods, lambda pod: _capture_pod(kube, writer, pod, proxy_admin_port), concurrency=concurrency,
                   progress=progress, label="snapshot", stream=stream)  # fmt: skip
    pod_rows = {}
    for result in run:
        row = {"status": result.status, "seconds": round(result.seconds, 3)}
        if result.error:
            row["error"] = result.error
        if result.value:
            row["missing"] = result.value
        pod_rows[result.name] = row
    manifest = {
        "format": layout.FORMAT,
        "meshctlVersion": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **context,
        "selection": selection,
        "pods": {key: pod_rows[key] for key in sorted(pod_rows, key=by_namespace)},
        "istiods": istiods,
        "ztunnels": ztunnel_rows,
        "failed": failures,
        "interrupted": run.interrupted,
        "secrets": "private keys are never stored: Envoy redacts them, and key-like PEM/base64 blocks are replaced by [redacted]",
    }
    writer.add_bytes(layout.MANIFEST, json_bytes(manifest))
    return manifest


def _limit_malloc_arenas() -> None:
    """Two glibc malloc arenas instead of one per fetch thread (MALLOC_ARENA_MAX=2).

    Each arena keeps the chunks its thread freed: with 16 threads streaming dumps that was 3-4x a
    dump above the interpreter's own size, and 1x with two arenas (bench/bench_snapshot.py).
    """
    import ctypes

    try:
        ctypes.CDLL(None).mallopt(-8, 2)  # M_ARENA_MAX; not glibc (musl, macOS): nothing to do
    except (OSError, AttributeError):
        pass


def _context(kube: ClusterAccess) -> dict:
    return {"context": _context_name(kube), "server": kube.server, "namespace": kube.namespace,
            "istioNamespace": kube.options.istio_namespace}  # fmt: skip


def _context_name(kube: ClusterAccess) -> str:
    """The kubeconfig context in use ("" in-cluster), for the manifest."""
    return kube.options.context or getattr(kube, "context", "") or ""


# Lists every verdict may need, each read across namespaces (else in the pods' namespaces and the
# Istio namespace): all pods, sidecar or not (IPs, labels), Services, and the nodes (their kubelet
# versions decide native sidecars for `inject`); and the Istio resources `describe` and the
# verdicts read (DestinationRules, VirtualServices, Gateways, PeerAuthentications), absent when the
# cluster does not serve their CRDs. `cluster/recorded.json` says which were read, and where.
FACT_LISTS = ((_API_V1, "pods"), (_API_V1, "services"), (_API_V1, "nodes"))
_CLUSTER_SCOPED = {"nodes"}


def _cluster_objects(kube: ClusterAccess, pods: list[dict], failures: list[dict], recorded: dict):
    """(member, object) for the pods' namespaces, injector webhooks and ConfigMaps, istiod pods,
    FACT_LISTS and DESCRIBE_RESOURCES; `recorded` gets the scope of each list read in full. The
    `pods` themselves were stored by `record_pods` (as names here), and are not stored again."""
    istio_ns = kube.options.istio_namespace
    seen: set[str] = {_member(_API_V1, "pods", pod) for pod in pods}
    try:  # `describe` shows the ingress gateways exposing a workload
        ingress = kube.list(_API_V1, "pods", "", INGRESS_SELECTOR)
    except SourceError as exc:
        failures.append({"what": f"pods {INGRESS_SELECTOR}", "error": str(exc)})
        ingress = []
    namespaces = {pod["metadata"]["namespace"] for pod in [*pods, *ingress]} | {istio_ns}
    # (what, API prefix, plural, read): list items carry no kind, so the member comes from the read.
    # Cluster-wide lists, filtered here: a few requests whatever the number of namespaces.
    reads = [
        (f"pods {INGRESS_SELECTOR}", _API_V1, "pods", lambda: ingress),
        ("namespaces", _API_V1, "namespaces", lambda: [n for n in kube.list(_API_V1, "namespaces") if n["metadata"]["name"] in namespaces]),
        ("mutatingwebhookconfigurations", *_WEBHOOKS, lambda: kube.list(*_WEBHOOKS)),
        # injector (istio-sidecar-injector[-REV]), mesh (istio[-REV]) and root-cert ConfigMaps
        (f"configmaps in {istio_ns}", _API_V1, "configmaps",
         lambda: [c for c in kube.list(_API_V1, "configmaps", istio_ns) if c["metadata"]["name"].startswith("istio")]),
        (f"configmaps {ROOT_CERT_CONFIGMAP}", _API_V1, "configmaps", lambda: [
            c for c in kube.get(f"{_API_V1}/configmaps", verb="list", resource="configmaps",
                                query=[("fieldSelector", f"metadata.name={ROOT_CERT_CONFIGMAP}")]).get("items") or []
            if c["metadata"]["namespace"] in namespaces - {istio_ns}]),
        *((plural, prefix, plural, lambda prefix=prefix, plural=plural: _fact_list(kube, prefix, plural, sorted(namespaces), recorded))
          for prefix, plural in FACT_LISTS),
        # stored under the newest version: the versions of a kind differ in apiVersion only (conversion None)
        *((f"{r.plural}.{r.group}", f"/apis/{r.group}/{r.versions[0]}", r.plural,
           lambda r=r: _istio_list(kube, r, sorted(namespaces), recorded)) for r in DESCRIBE_RESOURCES.values()),
    ]  # fmt: skip
    for what, prefix, plural, read in reads:
        try:
            for obj in read():  # (a list read a page at a time fails on any page)
                member = _member(prefix, plural, obj)
                if member not in seen:
                    seen.add(member)
                    yield member, _as_read(obj, prefix, plural)
        except SourceError as exc:
            failures.append({"what": what, "error": str(exc)})


def _fact_list(kube: ClusterAccess, prefix: str, plural: str, namespaces: list[str], recorded: dict) -> Iterator[dict]:
    """Every object of the kind; in `namespaces` only when listing across namespaces is denied.

    Read a page at a time (`list_pages`: all the pods of a big cluster were ~35 KB each as Python
    objects), and recorded once read to the end.
    """
    from meshctl.sources.fleet import list_pages

    pages = list_pages(kube, prefix, plural)
    try:
        first = next(pages)
        scope: object = "*"
    except SourceError:
        if plural in _CLUSTER_SCOPED:
            raise
        pages = (page for namespace in namespaces for page in list_pages(kube, prefix, plural, namespace))
        first, scope = [], namespaces
    yield from first
    for page in pages:
        yield from page
    recorded[f"{prefix}/{plural}"] = scope


def _istio_list(kube: ClusterAccess, resource, namespaces: list[str], recorded: dict) -> list[dict]:
    """An Istio resource as `_fact_list` reads a kind; nothing recorded when its CRD is not served."""
    key = f"/apis/{resource.group}/{resource.versions[0]}/{resource.plural}"
    try:
        found = list_istio(kube, resource)
        scope: object = "*"
    except SourceError:
        found = [list_istio(kube, resource, namespace) for namespace in namespaces]
        found = None if any(part is None for part in found) else ([item for items, _ in found for item in items], "")
        scope = namespaces
    if found is None:
        raise SourceError(f"{resource.plural}.{resource.group} is not served by the cluster")
    recorded[key] = scope
    return found[0]


# plural -> kind, to store listed objects as a GET returns them (list items carry no kind)
_KINDS = {"pods": "Pod", "namespaces": "Namespace", "configmaps": "ConfigMap", "services": "Service", "nodes": "Node",
          "mutatingwebhookconfigurations": "MutatingWebhookConfiguration", "destinationrules": "DestinationRule",
          "virtualservices": "VirtualService", "gateways": "Gateway", "peerauthentications": "PeerAuthentication"}  # fmt: skip


def _as_read(obj: dict, prefix: str, plural: str) -> dict:
    api_version = prefix.removeprefix("/apis/").removeprefix("/api/")
    return {"kind": _KINDS[plural], "apiVersion": api_version, **obj}


def _member(prefix: str, plural: str, obj: dict) -> str:
    meta = obj.get("metadata") or {}
    return layout.object_member(prefix, plural, meta.get("namespace", ""), meta.get("name", ""))


def _capture_istiods(kube: ClusterAccess, writer: SnapshotWriter, failures: list[dict]) -> dict:
    """istiod's /debug/syncz (what `proxy-status` reads) and /version (`version`) from each running istiod."""

    rows = {}
    try:
        pods = kube.list(_API_V1, "pods", kube.options.istio_namespace, "app=istiod")
    except SourceError:
        return rows  # already recorded with the other API objects
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        name = pod["metadata"]["name"]
        if (pod.get("status") or {}).get("phase") != "Running":
            continue
        answers = _istiod_answers(kube, pod)
        rows[name] = {"status": "ok"}
        for stem, path in layout.ISTIOD_FETCHES:
            answer = answers.get(stem)
            if isinstance(answer, bytes):
                writer.add_bytes(layout.istiod_member(name, stem), answer)
                continue
            if stem == "syncz":  # the version is also in the istiod pod's image
                rows[name] = {"status": "failed", "error": str(answer)}
            failures.append({"what": f"istiod {name} /{path}", "error": str(answer)})
    return rows


def _istiod_answers(kube: ClusterAccess, pod: dict) -> dict[str, bytes | SourceError]:
    """istiod's debug paths over one port-forward (as a sidecar's), else each by PodSource (exec)."""
    from meshctl.model.pods import ISTIOD_DEBUG
    from meshctl.sources.pod import PodSource
    from meshctl.sources.portforward import ForwardedHTTP

    answers: dict[str, bytes | SourceError] = {}
    try:
        with ForwardedHTTP(kube, pod, ISTIOD_DEBUG.port) as http:
            for stem, path in layout.ISTIOD_FETCHES:
                answers[stem] = http.get(path)
    except SourceError:
        pass  # port-forward refused or broke: exec for what is missing
    source = PodSource(kube, pod=pod, endpoint=ISTIOD_DEBUG)
    for stem, path in layout.ISTIOD_FETCHES:
        if stem not in answers:
            try:
                answers[stem] = source.fetch(path)
            except SourceError as exc:
                answers[stem] = exc
    return answers


def _capture_pod(kube: ClusterAccess, writer: SnapshotWriter, pod: dict, admin_port: int) -> dict:
    """Store one sidecar's admin answers; {path: error} for what is missing. No config dump = failed."""
    from meshctl.model.pods import proxy_admin
    from meshctl.sources.pod import PodSource

    meta = pod["metadata"]
    namespace, name = meta["namespace"], meta["name"]
    source = PodSource(kube, pod=pod, endpoint=proxy_admin(admin_port))
    missing, streamed = {}, set()
    try:
        _stream_admin_paths(kube, pod, admin_port, writer, streamed)
    except SourceError:
        pass  # port-forward refused or broke: PodSource fetches the rest (port-forward again, then exec)
    fetches = [(stem, path, source.fetch) for stem, path in layout.PROXY_FETCHES]
    fetches += [(path, path, source.post) for path in layout.PROXY_READS_BY_POST]
    for stem, path, fetch in fetches:
        if stem in streamed:
            continue
        try:
            writer.add_bytes(layout.pod_member(namespace, name, stem), fetch(path))
        except SourceError as exc:
            if stem == "config_dump":
                raise
            missing[path] = str(exc)
    try:
        rev = kube.exec_in(pod, PROXY_CONTAINER, ["cat", layout.ENVOY_REV])
        writer.add_bytes(layout.pod_member(namespace, name, "envoy-rev"), rev)
    except SourceError as exc:
        missing[layout.ENVOY_REV] = str(exc)
    return missing


def _stream_admin_paths(kube: ClusterAccess, pod: dict, admin_port: int, writer: SnapshotWriter, stored: set[str]) -> None:
    """Fetch every admin path over one port-forward websocket and keep-alive HTTP connection.

    Raises:
        SourceError: the port-forward was refused or broke (paths stored so far are in `stored`).
    """
    from meshctl.sources.portforward import ForwardedHTTP

    meta = pod["metadata"]
    reads = [(stem, path, "GET") for stem, path in layout.PROXY_FETCHES]
    reads += [(path, path, "POST") for path in layout.PROXY_READS_BY_POST]  # Envoy answers /logging to POST only
    with ForwardedHTTP(kube, pod, admin_port) as http:
        for stem, path, method in reads:
            member = layout.pod_member(meta["namespace"], meta["name"], stem)
            writer.add_stream(member, lambda spool, path=path, method=method: http.request_into(method, path, spool))
            stored.add(stem)
