"""Many pods for one `pc` view: ``pc cluster -l app=reviews``, ``pc listener -A``, ``pc route -n NS``.

`add_multi_pod(command)` adds -A/--all-namespaces, -l/--selector, --concurrency and
--strict to a view. Given a POD (or -f/--admin) a view runs exactly as before.
Without one, and with -l, -A or -n, the sidecar pods are selected (meshctl.sources.fleet) and
the view runs for each pod concurrently, its output captured per pod, then printed grouped:
text as one section per pod (``POD: name.ns``, in pod order), JSON/YAML as one object keyed by
``name.namespace``. A pod that fails is a row, not the end: ``meshctl: POD: error`` on stderr
and ``{"error": ...}`` in the data; exit 69 only when every pod failed (any, with --strict).
"""

# No `from __future__ import annotations`: Typer would eval each annotation string of the options
# below whenever it builds them (every `pc` view run).

import contextvars
import functools
import io
import sys
import threading

import typer

from meshctl.commands._options import AllNamespacesOption, ConcurrencyOption, SelectorOption, StrictOption
from meshctl.errors import ExitStatus, SourceError


def _params() -> list:
    """The options as click parameters (fresh copies: one set per command)."""
    import copy

    return [copy.copy(param) for param in _param_templates()]


@functools.lru_cache(maxsize=1)
def _param_templates() -> tuple:
    spec = typer.Typer(add_completion=False)

    @spec.command()
    def flags(all_namespaces: AllNamespacesOption = False, selector: SelectorOption = None,
              concurrency: ConcurrencyOption = 16, strict: StrictOption = False) -> None:  # fmt: skip
        pass

    return tuple(typer.main.get_command(spec).params)


_NAMES = ("all_namespaces", "selector", "concurrency", "strict")


def add_multi_pod(command) -> None:
    """Add the multi-pod options to a view's click command."""
    command.params.extend(_params())
    original = command.callback

    @functools.wraps(original)
    def callback(*args, **kwargs):
        options = {name: kwargs.pop(name) for name in _NAMES}
        if kwargs.get("pod") or kwargs.get("file") or kwargs.get("admin"):
            return original(*args, **kwargs)
        from meshctl.commands._options import kube_flags

        if not (options["selector"] or options["all_namespaces"] or kube_flags().get("namespace")):
            return original(*args, **kwargs)  # its own "no input" error
        return _run_for_pods(original, kwargs, **options)

    command.callback = callback


class _ThreadStreams(io.TextIOBase):
    """sys.stdout/sys.stderr stand-in: writes of a thread with a buffer go there, others pass through."""

    def __init__(self, fallback) -> None:
        self._fallback = fallback
        self._local = threading.local()

    def capture(self, buffer: io.StringIO | None) -> None:
        self._local.buffer = buffer

    def write(self, text: str) -> int:
        return (getattr(self._local, "buffer", None) or self._fallback).write(text)

    def flush(self) -> None:
        self._fallback.flush()

    def isatty(self) -> bool:
        return False  # captured output is data: plain text, no colour

    def __getattr__(self, name):
        return getattr(self._fallback, name)


def _run_for_pods(view, kwargs: dict, *, all_namespaces: bool, selector: str | None, concurrency: int, strict: bool) -> None:
    from meshctl.commands._options import data_format, emit_data, emit_text, kube_flags
    from meshctl.sources.fleet import OK, pod_key, run_each, select_proxy_pods
    from meshctl.sources.kube import connect

    flags = kube_flags()
    kube = connect(flags)
    pods = select_proxy_pods(kube, namespace=flags.get("namespace"), all_namespaces=all_namespaces, selector=selector or "")
    if not pods:
        where = "any namespace" if all_namespaces else f"namespace {flags.get('namespace') or kube.namespace}"
        raise SourceError(f"no running sidecar pods in {where}" + (f" matching {selector}" if selector else ""))
    fmt = data_format(kwargs.get("output", "short"), kwargs.get("query"))
    per_pod = dict(kwargs, **({"output": "json", "query": None} if fmt in ("json", "yaml") else {}))
    context = contextvars.copy_context()  # threads do not inherit the Kubernetes flags' context
    stdout, stderr = _ThreadStreams(sys.stdout), _ThreadStreams(sys.stderr)

    def work(pod: dict) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        stdout.capture(out)
        stderr.capture(err)
        try:
            context.copy().run(view, **dict(per_pod, pod=pod_key(pod)))
        finally:
            stdout.capture(None)
            stderr.capture(None)
        return out.getvalue(), err.getvalue()

    sys.stdout, sys.stderr = stdout, stderr
    try:
        results = {result.name: result for result in run_each(pods, work, concurrency=concurrency)}
    finally:
        sys.stdout, sys.stderr = stdout._fallback, stderr._fallback
    ordered = [results[pod_key(pod)] for pod in pods]
    for result in ordered:
        if result.status == OK:
            for line in result.value[1].splitlines():
                print(f"meshctl: {result.name}: {line.removeprefix('meshctl: ')}", file=sys.stderr)
        else:
            print(f"meshctl: {result.name}: {result.status}: {result.error}", file=sys.stderr)
    if fmt in ("json", "yaml"):
        import orjson

        document = {r.name: orjson.loads(r.value[0]) if r.status == OK else {"error": r.error} for r in ordered}
        emit_data(document, output=fmt, query=kwargs.get("query"))
    else:
        emit_text("\n".join(f"POD: {r.name}\n{r.value[0]}" for r in ordered if r.status == OK))
    failed = sum(result.status != OK for result in ordered)
    if failed and (strict or failed == len(ordered)):
        raise typer.Exit(ExitStatus.UNAVAILABLE)
