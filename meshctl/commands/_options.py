"""Options shared by the `pc` sub-commands (and other commands that read Envoy data), defined once.

Sub-commands declare them as ``file: FileOption = None`` and pass them to `source_from` and
`emit_data`, so the flags read and behave the same everywhere.
"""

# No `from __future__ import annotations`: Typer would eval each annotation string of the
# Kubernetes flags below whenever it builds them (every run of a command that reads pods).

import contextvars
import functools
import sys
from typing import Annotated, Optional

import typer


PodArgument = Annotated[
    Optional[str],
    typer.Argument(metavar="[POD[.NAMESPACE]]", help="Pod to read from (live sources; use -f for files).", show_default=False),
]
FileOption = Annotated[
    Optional[str],
    typer.Option("-f", "--file", metavar="PATH", help="Read an Envoy config dump from PATH ('-' for stdin).", show_default=False),
]
AdminOption = Annotated[
    Optional[str],
    typer.Option("--admin", metavar="URL", help="Read from an Envoy admin API, e.g. http://127.0.0.1:15000.", show_default=False),
]
QueryOption = Annotated[
    Optional[str],
    typer.Option("--query", metavar="EXPR", help="JMESPath expression over the JSON output (implies -o json unless -o yaml).", show_default=False),
]
# Many pods at once (meshctl.sources.fleet): `pc` views, `snapshot`.
AllNamespacesOption = Annotated[bool, typer.Option("-A", "--all-namespaces", help="Sidecar pods in every namespace.")]
SelectorOption = Annotated[
    Optional[str],
    typer.Option("-l", "--selector", metavar="SELECTOR", help="Sidecar pods matching this label selector (in -n NS, or -A).", show_default=False),
]
ConcurrencyOption = Annotated[int, typer.Option("--concurrency", min=1, max=256, help="Pods fetched at the same time.")]
StrictOption = Annotated[bool, typer.Option("--strict", help="Exit 69 when any pod fails (default: only when every pod fails).")]
# `pc diff` and `snapshot diff`: which resource types to compare (see diff_types).
DiffTypesOption = Annotated[
    Optional[list[str]],
    typer.Option("--type", metavar="TYPE", help="Compare only these resource types (repeatable): bootstrap, cluster, endpoint, listener, route, secret, ecds."),
]
RawOption = Annotated[
    bool,
    typer.Option("--raw", help="With -o json|yaml: print Envoy's own JSON (snake_case) instead of istioctl's protobuf JSON."),
]


def output_option(default: str, choices: tuple[str, ...]):
    """An `-o/--output` option with `default`, validated against `choices` (exit 2 otherwise)."""

    def check(value: str) -> str:
        if value not in choices:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}")
        return value

    return Annotated[
        str,
        typer.Option("-o", "--output", metavar="|".join(choices), callback=check, help=f"Output format: {', '.join(choices)}."),
    ]


def source_from(*, file: str | None, admin: str | None, pod: str | None):
    """The Source for these options (meshctl.sources.select.open_source)."""
    from meshctl.sources.select import open_source

    return open_source(file=file, admin=admin, pod=pod, **kube_flags())


def diff_types(types: list[str] | None) -> tuple[str, ...]:
    """The --type values (all types when none), in order, checked (UsageError otherwise)."""
    from meshctl.analyze.diff import RESOURCE_TYPES
    from meshctl.errors import UsageError

    chosen = tuple(dict.fromkeys(types or RESOURCE_TYPES))
    unknown = [kind for kind in chosen if kind not in RESOURCE_TYPES]
    if unknown:
        raise UsageError(f"unknown --type {', '.join(unknown)} (choose from {', '.join(RESOURCE_TYPES)})")
    return chosen


def data_format(output: str, query: str | None) -> str:
    """The data format to print: `--query` turns a table request into JSON."""
    if query and output not in ("json", "yaml"):
        return "json"
    return output


def emit_data(document, *, output: str, query: str | None) -> None:
    """Print JSON-able `document` as istioctl-style JSON or YAML, after `--query` if given."""
    from meshctl.render.data import to_json, to_yaml

    if query:
        from meshctl.analyze.query import apply_query

        document = apply_query(query, document)
    sys.stdout.write(to_yaml(document) if output == "yaml" else to_json(document))


def emit_text(text: str) -> None:
    sys.stdout.write(text)


def emit_table(table) -> None:
    """Print a Tabular: istioctl's plain text when piped, a Rich table on a terminal (--color).

    With no rows and an `empty_msg`, the message goes to stderr instead, so that stdout stays
    data (STYLE.md rule 8).
    """
    from meshctl.render.table import render_table

    if not table.rows and table.empty_msg:
        print(table.empty_msg, file=sys.stderr)
        return
    sys.stdout.write(render_table(table))


def warn(message: str) -> None:
    print(f"meshctl: warning: {message}", file=sys.stderr)


# ---- Kubernetes flags (owner: kube-client) --------------------------------------------------
# kubectl's names, added to a command by `with_kube_options` so that every command that reads
# pods accepts them after its name, as istioctl/kubectl do, without redeclaring them.


def _kube_params() -> list:
    """The flags as click parameters (fresh copies: one set per command)."""
    import copy

    return [copy.copy(param) for param in _kube_param_templates()]


@functools.lru_cache(maxsize=1)
def _kube_param_templates() -> tuple:
    """The flags built once by typer from a signature (typer vendors a minimal click): ~30 ms each time."""
    spec = typer.Typer(add_completion=False)

    @spec.command()
    def flags(
        kubeconfig: Annotated[Optional[str], typer.Option("--kubeconfig", metavar="PATH", help="Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster).", show_default=False)] = None,
        context: Annotated[Optional[str], typer.Option("--context", metavar="NAME", help="Kubeconfig context to use.", show_default=False)] = None,
        namespace: Annotated[Optional[str], typer.Option("-n", "--namespace", metavar="NS", help="Namespace of the pod (default: the context's).", show_default=False)] = None,
        istio_namespace: Annotated[str, typer.Option("-i", "--istio-namespace", metavar="NS", help="Namespace of istiod and its ConfigMaps.")] = "istio-system",
        as_user: Annotated[Optional[str], typer.Option("--as", metavar="USER", help="Impersonate USER (API reads, exec and port-forward).", show_default=False)] = None,
        request_timeout: Annotated[Optional[str], typer.Option("--request-timeout", "--timeout", metavar="DURATION", help="Per API request and pod transfer, e.g. 30s, 2m (default 120s: big dumps are slow); with --admin, the whole fetch (default 30s).", show_default=False)] = None,
        proxy_admin_port: Annotated[int, typer.Option("--proxy-admin-port", min=1, max=65535, help="Envoy admin port inside the pod.")] = 15000,
        show_path: Annotated[bool, typer.Option("-v", "--show-path", help="Say on stderr how the pod was reached (port-forward or exec).")] = False,
        snapshot: Annotated[Optional[str], typer.Option("--snapshot", metavar="PATH", help="Read from a snapshot (meshctl snapshot -o PATH) instead of the cluster.", show_default=False)] = None,
    ) -> None:  # fmt: skip
        pass

    return tuple(typer.main.get_command(spec).params)


def with_kube_options(command):
    """Add the Kubernetes flags to a click command (to every sub-command of a group); returns it.

    The callback sees the flags through `kube_flags()`. A flag whose spelling the command already
    uses (say, its own -n) is left out for that command.
    """
    if hasattr(command, "commands"):
        for sub_command in command.commands.values():
            with_kube_options(sub_command)
        return command
    return add_kube_options(command)


def add_kube_options(command):
    """Add the Kubernetes flags to this command's own parameters (a group's too); returns it."""
    import functools

    taken = {opt for param in command.params for opt in (*param.opts, *getattr(param, "secondary_opts", ()))}
    own_names = {param.name for param in command.params}
    added = [
        p for p in _kube_params()
        if p.name not in own_names and not taken & {*p.opts, *getattr(p, "secondary_opts", ())}
    ]  # fmt: skip
    command.params.extend(added)
    added_names = [p.name for p in added]
    original = command.callback

    @functools.wraps(original)
    def callback(*args, **kwargs):
        flags = {name: kwargs.pop(name) for name in added_names if name in kwargs}
        token = _KUBE_FLAGS.set(flags)
        try:
            return original(*args, **kwargs)
        finally:
            _KUBE_FLAGS.reset(token)

    command.callback = callback
    return command


_KUBE_FLAGS: contextvars.ContextVar[dict] = contextvars.ContextVar("meshctl_kube_flags", default={})


def kube_flags() -> dict:
    """The Kubernetes flags of the running command, as open_source() keyword arguments."""
    flags = dict(_KUBE_FLAGS.get())
    if flags.pop("show_path", False):
        flags["notify"] = lambda message: print(f"meshctl: {message}", file=sys.stderr)
    return {name: value for name, value in flags.items() if value is not None}

