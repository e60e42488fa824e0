"""What every `pc` view shares: its options, and `run_view` (one source, or many pods at once).

A view module (``meshctl/commands/pc/<view>.py``) is three small parts:

1. ``fetch(source) -> input``: I/O. Fetch the admin path(s) and decode (usually `load_dump`).
2. ``view(input) -> ViewOutput``: pure. The result `emit` prints (a `Tabular`, `Sections`, text,
   or a JSON-able document for -o json|yaml) and the warnings for stderr.
3. The Typer command: it parses options and calls ``run_view(env, targets(ctx, pod, file,
   admin), fetch, view, output, query)``; ``MULTI_POD = True`` in the module adds the multi-pod
   options (-A, -l, --concurrency, --strict), which `targets` reads back.

`run_view` runs the two for the source the user named (-f, --admin, a POD). Without one, and
with -l, -A or -n, it selects the sidecar pods (`meshctl.sources.fleet`), fetches them
concurrently, maps the pure view over each as it arrives, and merges: text as one section per
pod (``POD: name.ns``, pods in namespace/name order), JSON/YAML as one object keyed by
``name.namespace``. A pod that fails is a row, not the end: ``meshctl: POD: error`` on stderr
and ``{"error": ...}`` in the data; exit 69 only when every pod failed (any, with --strict).
"""

# No `from __future__ import annotations`: Typer evals each annotation string of the options
# below whenever it builds a view (every `pc` run).

import functools
import io
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple, Optional

import typer

from meshctl.commands.options import AllNamespacesOption, ConcurrencyOption, SelectorOption, StrictOption, open_source, output_option
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env
from meshctl.errors import ExitStatus, SourceError

TableOutput = output_option("short", ("short", "json", "yaml", "wide"))
PlainOutput = output_option("short", ("short", "json", "yaml"))

FqdnOption = Annotated[str, typer.Option("--fqdn", help="Filter clusters by substring of Service FQDN field.")]
PortOption = Annotated[int, typer.Option("--port", help="Filter by port.")]
SubsetOption = Annotated[str, typer.Option("--subset", help="Filter clusters by substring of Subset field.")]
DirectionOption = Annotated[str, typer.Option("--direction", help="Filter clusters by Direction field.")]
AddressOption = Annotated[str, typer.Option("--address", help="Filter by address.")]
TypeOption = Annotated[str, typer.Option("--type", help="Filter listeners by type field (HTTP, TCP, HTTP+TCP).")]
VerboseOption = Annotated[bool, typer.Option("--verbose/--no-verbose", help="Output more information.")]
NameOption = Annotated[str, typer.Option("--name", help="Filter routes by route name field.")]
ClusterOption = Annotated[str, typer.Option("--cluster", help="Filter endpoints by cluster name field.")]
StatusOption = Annotated[str, typer.Option("--status", help="Filter endpoints by status field.")]


class Targets(NamedTuple):
    """Where a view reads from: one of `pod`, `file`, `admin`; or the pods -l/-A/-n select."""

    pod: Optional[str] = None
    file: Optional[str] = None
    admin: Optional[str] = None
    all_namespaces: bool = False
    selector: Optional[str] = None
    concurrency: int = 16
    strict: bool = False


_TARGETS_META = "meshctl.pc.targets"


def add_multi_pod_options(command):
    """Append -A/--all-namespaces, -l/--selector, --concurrency and --strict to a view's click
    command (`pc/__init__.py` does it for modules with ``MULTI_POD = True``); their values go to
    the context, where `targets` finds them. Returns the command."""
    for param in _multi_pod_params():
        param.expose_value = False
        param.callback = _store_target_option
        command.params.append(param)
    return command


def _multi_pod_params() -> list:
    import copy

    return [copy.copy(param) for param in _multi_pod_param_templates()]


@functools.lru_cache(maxsize=1)
def _multi_pod_param_templates() -> tuple:
    spec = typer.Typer(add_completion=False)

    @spec.command()
    def flags(all_namespaces: AllNamespacesOption = False, selector: SelectorOption = None,
              concurrency: ConcurrencyOption = 16, strict: StrictOption = False) -> None:  # fmt: skip
        pass

    return tuple(typer.main.get_command(spec).params)


def _store_target_option(ctx, param, value):
    ctx.meta.setdefault(_TARGETS_META, {})[param.name] = value
    return value


def targets(ctx, pod: Optional[str], file: Optional[str], admin: Optional[str]) -> Targets:
    """The view's Targets: the source options given, and the multi-pod options Click parsed.

    One source (POD, -f, --admin) and a pod selection (-A, -l) together are a usage error.
    """
    chosen = Targets(pod, file, admin, **ctx.meta.get(_TARGETS_META, {}))
    one = [name for name, value in (("a POD", pod), ("-f", file), ("--admin", admin)) if value]
    many = [name for name, value in (("-A", chosen.all_namespaces), ("-l", chosen.selector)) if value]
    if one and many:
        from meshctl.commands.options import conflict

        conflict(ctx, f"{one[0]} reads one proxy and {' and '.join(many)} selects pods: give one or the other")
    return chosen


class ViewOutput(NamedTuple):
    """A view's result (what `emit` prints) and its warnings (``meshctl: warning: ...`` lines)."""

    result: Any
    warnings: tuple = ()


def one_source(env: Env, targets: Targets) -> bool:
    """True when the view reads the one source named (or reports that none was), False for the
    pods -l/-A/-n select."""
    return bool(targets.pod or targets.file or targets.admin or not (targets.selector or targets.all_namespaces or env.kube.namespace))


def selected_pods(env: Env, targets: Targets) -> list:
    """The running sidecar pods -l/-A/-n select, in namespace/name order (SourceError when none)."""
    from meshctl.sources.fleet import select_proxy_pods

    cluster = env.cluster()
    pods = select_proxy_pods(cluster, namespace=env.kube.namespace, all_namespaces=targets.all_namespaces, selector=targets.selector or "")
    if not pods:
        where = "any namespace" if targets.all_namespaces else f"namespace {env.kube.namespace or cluster.namespace}"
        raise SourceError(f"no running sidecar pods in {where}" + (f" matching {targets.selector}" if targets.selector else ""))
    return pods


def run_view(env: Env, targets: Targets, fetch: Callable, view: Callable, output: str, query: Optional[str]) -> None:
    """Fetch, view and emit, for the one source named or for the pods -l/-A/-n select (see module docstring)."""
    if one_source(env, targets):
        if not (targets.pod or targets.file or targets.admin or env.kube.snapshot):
            from meshctl.errors import UsageError

            raise UsageError("no input: name a POD[.NAMESPACE], give -f FILE or --admin URL, or select pods with -n NS, -l SELECTOR or -A",
                             hint="-f - reads standard input")  # fmt: skip
        source = open_source(env, file=targets.file, admin=targets.admin, pod=targets.pod)
        fetched = fetch(source)
        env.retain(fetched)  # the GC policy (cli.main) decides what becomes of a big dump at the end
        out = view(fetched)
        for message in out.warnings:
            env.warn(message)
        emit(env, out.result, output, query)
        return
    _run_for_pods(env, targets, fetch, view, output, query)


def _run_for_pods(env: Env, targets: Targets, fetch: Callable, view: Callable, output: str, query: Optional[str]) -> None:
    from meshctl.model.pods import pod_key, proxy_admin
    from meshctl.sources.fleet import FAILED, OK, failure_message, run_each
    from meshctl.sources.pod import PodSource

    pods = selected_pods(env, targets)
    cluster = env.cluster()
    endpoint = proxy_admin(env.kube.proxy_admin_port)
    fmt = data_format(output, query)

    def work(pod: dict):
        """Fetch one pod (a worker thread): its input, and what -v would say about it."""
        said = []
        notify = said.append if env.kube.show_path else None
        return fetch(PodSource(cluster, pod=pod, endpoint=endpoint, notify=notify)), said

    # pod key -> (text or None, document, stderr lines, error or None); views mapped as the fetches finish
    sections, failed = {}, 0
    for result in run_each(pods, work, concurrency=targets.concurrency, stream=env.stderr, progress=env.terminal.progress, label="reading pods"):
        status, error = result.status, result.error
        if status == OK:
            fetched, said = result.value
            try:
                sections[result.name] = _pod_section(env, view(fetched), fmt, said)
                continue
            except Exception as exc:  # as run_each treats the fetch: one pod's failure is its row
                status, error = FAILED, failure_message(exc)
        sections[result.name] = (None, None, [f"{status}: {error}"], error)
        failed += 1
    ordered = [(pod_key(pod), sections[pod_key(pod)]) for pod in pods]
    empty = {name: lines for name, (text, _, lines, _) in ordered if text == ""}  # nothing on stdout
    for name, (_, _, lines, _) in ordered:
        for line in lines if name not in empty else ():
            env.message(f"meshctl: {name}: {line.removeprefix('meshctl: ')}")
    for line in empty_pods_summary(empty, len(pods)):
        env.message(line)
    if fmt in DATA_FORMATS:
        from meshctl.model.document import pods_document
        from meshctl.model.tabular import Serialized

        results = [(name, document) for name, (_, document, _, error) in ordered if error is None]
        errors = [(name, error) for name, (_, _, _, error) in ordered if error is not None]
        if any(isinstance(document, Serialized) for _, document in results):  # JSON made as it is written
            from meshctl.render.data import pods_json_chunks

            emit(env, Serialized(pods_json_chunks(results, errors)), fmt, query)
        else:
            emit(env, pods_document(results, errors), fmt, query)
    else:
        emit(env, "\n".join(f"POD: {name}\n{text}" for name, (text, _, _, _) in ordered if text))
    if failed and (targets.strict or failed == len(pods)):
        raise typer.Exit(ExitStatus.UNAVAILABLE)


def empty_pods_summary(empty: dict[str, list[str]], total: int) -> list[str]:
    """One stderr line per distinct message of the pods that printed nothing (`empty`: pod -> its
    stderr lines, e.g. "No active or warming secrets found."), instead of a section per pod."""
    by_message: dict[tuple, list[str]] = {}
    for name, lines in empty.items():
        by_message.setdefault(tuple(line.removeprefix("meshctl: ") for line in lines), []).append(name)
    summary = []
    for lines, names in by_message.items():
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        what = "; ".join(lines) or "nothing to show"
        summary.append(f"meshctl: {len(names)} of {total} pods: {what} ({shown})")
    return summary


def _pod_section(env: Env, out: ViewOutput, fmt: str, said: list) -> tuple:
    """(text or None, document or None, stderr lines, None) of one pod's view output.

    The text and lines are what the single-pod command prints, made by the same `emit` on an Env
    over buffers (the run's terminal decision kept); `said` are the -v lines of its fetch. A table
    without rows is no text at all (not istioctl's lone header): the pod joins the one-line summary
    of the pods with nothing to show.
    """
    from meshctl.model.tabular import Tabular

    pod_env = Env(stdout=io.StringIO(), stderr=io.StringIO(), terminal=env.terminal, kube=env.kube, environ=env.environ)
    for message in out.warnings:
        pod_env.warn(message)
    if fmt in DATA_FORMATS:
        return None, out.result, said + pod_env.stderr.getvalue().splitlines(), None
    emit(pod_env, out.result, fmt)
    text = "" if isinstance(out.result, Tabular) and not out.result.rows else pod_env.stdout.getvalue()
    return text, None, said + pod_env.stderr.getvalue().splitlines(), None


def load_dump(source, path: str = "config_dump", sections=None, fields=None):
    """The config dump at `path`; `sections` (names) and `fields` limit what big dumps are decoded to (None: all)."""
    from meshctl.decode.configdump import parse

    return parse(source.fetch(path), sections, fields)


def missing_section(dump, section: str, what: str) -> list:
    """A warning when the dump lacks `section` (``[]`` when it has it)."""
    return [] if dump.section(section) is not None else [f"the config dump has no {what} ({section})"]


def resources(views, raw: bool) -> list:
    """The JSON form of resources: istioctl's protobuf JSON (no @type, camelCase) or Envoy's own."""
    return plain_resources([view.raw for view in views], raw)


def plain_resources(items: list, raw: bool) -> list:
    """`items` as istioctl prints them (protobuf JSON: camelCase, no @type), or as they are with --raw."""
    if raw:
        return items
    from meshctl.decode.protojson import istioctl_resource

    return [istioctl_resource(item) for item in items]
