"""Many sidecar pods at once: select them, then run one function per pod concurrently.

Used by ``meshctl check`` and by the multi-pod fetch / snapshot commands. The API:

``select_proxy_pods(kube, *, namespace=None, all_namespaces=False, selector="", refs=()) -> list[dict]``
    The running pods that have an ``istio-proxy`` container (a native-sidecar init container
    counts), sorted by namespace then name. Explicit ``refs`` ("pod.ns", "deploy/x.ns", as
    istioctl spells them) are resolved one by one and must name a sidecar pod (SourceError
    otherwise: a typo is the user's to fix, not a row); without refs, pods are listed in
    ``namespace`` (default: the context's) or in all namespaces, filtered by the label
    ``selector``. Refs cannot be combined with ``selector`` or ``all_namespaces`` (UsageError).

``run_each(pods, work, *, concurrency=16, progress=None, label="pods", stream=None) -> FleetRun``
    Calls ``work(pod) -> value`` for each pod on at most ``concurrency`` daemon threads (the
    work is I/O: port-forwards and HTTP). Iterating the returned ``FleetRun`` yields one
    ``PodResult`` per pod **as each finishes** (completion order, not input order):
    ``status`` is ``"ok"`` (``value`` set), ``"failed"`` (``error`` holds the one-line
    message of the exception ``work`` raised: partial failure is data, never a crash) or
    ``"not checked"``. Ctrl-C (SIGINT, while iterating on the main thread, the consumer's loop
    body included) stops scheduling: results already finished are still yielded, pods still
    running or waiting come as ``"not checked"``, and ``FleetRun.interrupted`` is True; a second
    Ctrl-C raises KeyboardInterrupt as usual. Work in flight is abandoned (daemon threads), so
    the process can exit at once. At most ``concurrency`` values exist before the consumer takes
    them, so a consumer that writes each result away (a snapshot) keeps memory bounded.
    ``label`` is the text before the progress bar. ``progress=None`` shows a Rich bar on `stream`
    (commands pass ``env.stderr``; the process's stderr by default) only when it is a TTY (rich is imported only then); True/False force it.

Helpers on pod dicts: ``pod_key(pod)`` ("name.namespace") and ``has_proxy(pod)``; every pod by IP
is ``meshctl.model.mesh.PodIndex``.

Each ``work`` call runs in its own thread, so it must not share unsynchronised state with other
calls; a ``ClusterAccess`` is safe to share (API connections are per thread, websockets per call).
"""

from __future__ import annotations

import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from meshctl.errors import MeshctlError, UsageError
from meshctl.model.pods import has_proxy, pod_key
from meshctl.model.refs import PodRef
from meshctl.sources.base import ClusterAccess

DEFAULT_CONCURRENCY = 16
OK, FAILED, NOT_CHECKED = "ok", "failed", "not checked"


def select_proxy_pods(
    kube: ClusterAccess, *, namespace: str | None = None, all_namespaces: bool = False, selector: str = "", refs: Iterable[str] = ()
) -> list[dict]:
    """The sidecar pods to work on (see the module docstring); sorted by namespace, then name."""
    refs = list(refs)
    if refs and (selector or all_namespaces):
        raise UsageError("give pod references or -l/-A, not both")
    if refs:
        pods = []
        for text in refs:
            pod = kube.resolve_pod(PodRef.parse(text, namespace or kube.namespace))
            kube.require_proxy(pod)
            pods.append(pod)
    else:
        where = "" if all_namespaces else (namespace or kube.namespace)
        pods = [p for p in kube.list("/api/v1", "pods", where, selector) if _running(p) and has_proxy(p)]
    unique = {pod_key(p): p for p in pods}
    return [unique[key] for key in sorted(unique, key=by_namespace)]


def by_namespace(key: str) -> tuple[str, str]:
    """The sort key of a "name.namespace" pod key: namespace, then name."""
    return key.rpartition(".")[::-1]


def stream_proxy_pods(kube: ClusterAccess, *, namespace: str | None = None, all_namespaces: bool = False,
                      selector: str = "") -> Iterator[dict]:  # fmt: skip
    """The pods `select_proxy_pods` chooses from a list (no refs), as each page of the list comes,
    unsorted: memory holds one page of pods, not all of them (a pod is ~35 KB as Python objects)."""
    where = "" if all_namespaces else (namespace or kube.namespace)
    for page in list_pages(kube, "/api/v1", "pods", where, selector):
        yield from (pod for pod in page if _running(pod) and has_proxy(pod))


LIST_PAGE = 100  # objects per request of a list read in pages (kubectl asks 500: a pod is ~7 KB of JSON)


def list_pages(kube: ClusterAccess, prefix: str, plural: str, namespace: str = "", selector: str = "",
               limit: int | None = None) -> Iterator[list[dict]]:  # fmt: skip
    """The items of a list a page at a time (``limit``, default `LIST_PAGE`, and ``continue``, as
    kubectl get reads lists); a server that does not page answers everything in the first."""
    path = f"{prefix}/namespaces/{namespace}/{plural}" if namespace else f"{prefix}/{plural}"
    token = ""
    while True:
        query = [("limit", str(limit or LIST_PAGE))] + [(name, value) for name, value in (("labelSelector", selector), ("continue", token)) if value]
        page = kube.get(path, verb="list", resource=plural, namespace=namespace, query=query)
        yield page.get("items") or []
        token = (page.get("metadata") or {}).get("continue") or ""
        if not token:
            return


def _running(pod: dict) -> bool:
    # Pending pods have no Envoy yet, terminated ones none any more; pods being deleted are leaving.
    return (pod.get("status") or {}).get("phase") == "Running" and not (pod.get("metadata") or {}).get("deletionTimestamp")


@dataclass(frozen=True)
class PodResult:
    """What happened to one pod: `status` is "ok", "failed" or "not checked"."""

    pod: dict
    status: str
    value: Any = None
    error: str = ""
    seconds: float = 0.0

    @property
    def name(self) -> str:
        """The pod as ``name.namespace``."""
        return pod_key(self.pod)


class FleetRun:
    """An iterable of PodResult in completion order; see `run_each`."""

    def __init__(self, pods: list[dict], work: Callable[[dict], Any], *, concurrency: int, progress: bool | None, label: str,
                 stream=None) -> None:  # fmt: skip
        if concurrency < 1:
            raise UsageError(f"--concurrency must be at least 1, not {concurrency}")
        self.pods = list(pods)
        self.interrupted = False
        self._work = work
        self._concurrency = concurrency
        self._stream = sys.stderr if stream is None else stream
        self._progress = _isatty(self._stream) if progress is None else progress
        self._label = label
        self._stop = threading.Event()

    def __iter__(self) -> Iterator[PodResult]:
        with _sigint_sets(self._stop), _progress_bar(self._progress, len(self.pods), self._label, self._stream) as advance:
            for result in self._results():
                advance(result.status != OK)
                yield result

    def _results(self) -> Iterator[PodResult]:
        done: queue.Queue[PodResult] = queue.Queue()
        waiting = iter(enumerate(self.pods))
        running: dict[int, dict] = {}
        try:
            while True:
                while len(running) < self._concurrency and not self._stop.is_set():
                    index, pod = next(waiting, (None, None))
                    if pod is None:
                        break
                    running[index] = pod
                    threading.Thread(target=self._run_one, args=(index, pod, done), daemon=True, name=f"fleet {pod_key(pod)}").start()
                if not running or self._stop.is_set():
                    break
                try:
                    index, result = done.get(timeout=0.1)  # short: a Ctrl-C flag is noticed promptly
                except queue.Empty:
                    continue
                del running[index]
                yield result
        except KeyboardInterrupt:  # off the main thread no handler is installed: the exception is the signal
            self._stop.set()
        if self._stop.is_set():
            self.interrupted = True
            while not done.empty():  # finished before the stop: those are results, not "not checked"
                index, result = done.get_nowait()
                del running[index]
                yield result
            for _, pod in sorted(running.items()):
                yield PodResult(pod, NOT_CHECKED, error="interrupted while running")
            for _, pod in waiting:
                yield PodResult(pod, NOT_CHECKED, error="interrupted before it started")

    def _run_one(self, index: int, pod: dict, done: queue.Queue) -> None:
        started = time.monotonic()
        try:
            result = PodResult(pod, OK, value=self._work(pod))
        except Exception as exc:  # one pod's surprise must not sink the fleet; the row says what it was
            result = PodResult(pod, FAILED, error=failure_message(exc))
        done.put((index, PodResult(result.pod, result.status, result.value, result.error, time.monotonic() - started)))


def failure_message(exc: Exception) -> str:
    """A pod's failure as its row says it: a MeshctlError's own message, else ``unexpected TYPE: ...``."""
    if isinstance(exc, MeshctlError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


def run_each(
    pods: list[dict], work: Callable[[dict], Any], *, concurrency: int = DEFAULT_CONCURRENCY, progress: bool | None = None, label: str = "pods",
    stream=None,
) -> FleetRun:
    """Run `work` on each pod concurrently; iterate the result for PodResults (see the module docstring)."""
    return FleetRun(pods, work, concurrency=concurrency, progress=progress, label=label, stream=stream)


def progress(enabled: bool, total: int, label: str, stream=None):
    """A progress bar over `total` steps for work that is not `run_each`'s (a few pods read in turn):
    ``with progress(env.terminal.progress, 2, "reading pods", env.stderr) as advance: ...; advance(failed)``."""
    return _progress_bar(enabled, total, label, sys.stderr if stream is None else stream)


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class _sigint_sets:
    """While active on the main thread, the first SIGINT sets `event` instead of raising; the next raises."""

    def __init__(self, event: threading.Event) -> None:
        self._event = event
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self._event.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class _progress_bar:
    """A Rich progress bar on `stream` when `enabled`: "LABEL ━━━━ 12/309 done, 1 failed 0:00:03".

    Entering returns ``advance(failed: bool)``, called once per finished pod.
    """

    def __init__(self, enabled: bool, total: int, label: str, stream) -> None:
        self._bar = None
        self._failed = 0
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("done{task.fields[failed]}"),
                                 TimeElapsedColumn(), console=Console(file=stream), transient=True)  # fmt: skip
            self._task = self._bar.add_task(label, total=total, failed="")

    def _advance(self, failed: bool) -> None:
        self._failed += failed
        self._bar.update(self._task, advance=1, failed=f", {self._failed} failed" if self._failed else "")

    def __enter__(self) -> Callable[[bool], None]:
        if self._bar is None:
            return lambda failed: None
        self._bar.start()
        return self._advance

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
