"""Options shared by commands, defined once, and the helpers that turn them into sources.

Commands declare them as ``file: FileOption = None`` (Typer's Annotated types), so the flags
read and behave the same everywhere. The Kubernetes flags are added to a command by
`with_kube_options`: their values land in the run's ``Env.kube`` as Click parses them, so a
command reads ``env.kube`` and ``env.cluster()``, not its own parameters.
"""

# No `from __future__ import annotations`: Typer would eval each annotation string of the
# Kubernetes flags below whenever it builds them (every run of a command that reads pods).

import functools
from typing import Annotated, Optional

import typer


def complete_pods(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of a POD[.NS] (meshctl.commands.complete: bounded, silent)."""
    from meshctl.commands.complete import pods

    return pods(ctx, incomplete)


def complete_namespaces(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of a namespace."""
    from meshctl.commands.complete import namespaces

    return namespaces(ctx, incomplete)


def complete_contexts(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion of a kubeconfig context."""
    from meshctl.commands.complete import contexts

    return contexts(ctx, incomplete)


PodArgument = Annotated[
    Optional[str],
    typer.Argument(metavar="POD[.NS]", autocompletion=complete_pods, help="Pod to read from, or TYPE/NAME[.NS] (deploy/reviews.bookinfo): the workload's best ready pod.", show_default=False),
]
FileOption = Annotated[
    Optional[str],
    typer.Option("-f", "--file", metavar="PATH", help="Read an Envoy config dump from PATH ('-' for stdin).", show_default=False),
]
AdminOption = Annotated[
    Optional[str],
    typer.Option("--admin", metavar="URL", help="Read from an Envoy admin API, e.g. http://127.0.0.1:15000.", show_default=False),
]


def _store_query(ctx, param, value):
    """--query's callback: remember it, and refuse it beside an explicit -o that prints no data."""
    if value:
        ctx.meta[_QUERY_META] = value
        _refuse_query_with_text(ctx)
    return value


QueryOption = Annotated[
    Optional[str],
    typer.Option("--query", metavar="EXPR", callback=_store_query, show_default=False,
                 help="JMESPath expression over the JSON output (implies -o json unless -o yaml)."),
]
_QUERY_META, _OUTPUT_META = "meshctl.query", "meshctl.output"


def _refuse_query_with_text(ctx) -> None:
    """--query filters a document: with -o short/wide/junit given explicitly it is a usage error."""
    from meshctl.emit import DATA_FORMATS

    output = ctx.meta.get(_OUTPUT_META)
    if ctx.meta.get(_QUERY_META) and output is not None and output not in DATA_FORMATS:
        conflict(ctx, f"--query filters JSON or YAML output: it cannot be used with -o {output}")


def conflict(ctx, message: str):
    """Raise Click's usage error (exit 2, one line) for options that cannot be used together."""
    from meshctl.typer_fast import click_errors

    raise click_errors()[1](message, ctx=ctx)


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


def check_choice(value: str, choices: tuple[str, ...], option: str) -> str:
    """`value` if it is one of `choices`, else a usage error naming them (and the closest, if any)."""
    if value in choices:
        return value
    import difflib

    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
    guess = f"; did you mean {close[0]}?" if close else ""
    raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}{guess}", param_hint=option)


def complete_choices(choices: tuple[str, ...]):
    """A shell completion function offering `choices` (Typer reads its parameters' annotations)."""

    def complete(incomplete: str) -> list[str]:
        return [choice for choice in choices if choice.startswith(incomplete)]

    return complete


def output_option(default: str, choices: tuple[str, ...]):
    """An `-o/--output` option with `default`, validated against `choices` (exit 2 otherwise).

    Given explicitly as a format that prints no document (short, wide, junit), it refuses --query.
    """

    def check(ctx: typer.Context, param: typer.CallbackParam, value: str) -> str:
        check_choice(value, choices, "-o")
        source = ctx.get_parameter_source(param.name)
        if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):
            ctx.meta[_OUTPUT_META] = value
            _refuse_query_with_text(ctx)
        return value

    return Annotated[
        str,
        typer.Option("-o", "--output", metavar="|".join(choices), callback=check, help=f"Output format: {', '.join(choices)}.",
                     autocompletion=complete_choices(choices)),
    ]


def diff_types(types: list[str] | None) -> tuple[str, ...]:
    """The --type values (all types when none), in order, checked (UsageError otherwise)."""
    from meshctl.analyze.diff import RESOURCE_TYPES
    from meshctl.errors import UsageError

    chosen = tuple(dict.fromkeys(types or RESOURCE_TYPES))
    unknown = [kind for kind in chosen if kind not in RESOURCE_TYPES]
    if unknown:
        raise UsageError(f"unknown --type {', '.join(unknown)} (choose from {', '.join(RESOURCE_TYPES)})")
    return chosen


def open_source(env, *, file: str | None = None, admin: str | None = None, pod: str | None = None):
    """The Source for -f FILE, --admin URL or a POD, with the run's flags, cluster and stdin."""
    from meshctl.sources.select import open_source as open_selected

    return open_selected(file=file, admin=admin, pod=pod, options=env.kube, cluster=env.cluster,
                         notify=env.notifier(), stdin=env.binary_stdin())  # fmt: skip


def source_for_spec(env, spec: str):
    """The Source for a positional spec (a dump file, '-', an admin URL, or a POD[.NAMESPACE])."""
    from meshctl.sources.select import source_for_spec as source_for

    return source_for(spec, options=env.kube, cluster=env.cluster, notify=env.notifier(), stdin=env.binary_stdin())


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
        kubeconfig: Annotated[Optional[str], typer.Option("--kubeconfig", "-c", metavar="PATH", help="Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster).", show_default=False)] = None,
        context: Annotated[Optional[str], typer.Option("--context", metavar="NAME", help="Kubeconfig context to use.", show_default=False, autocompletion=complete_contexts)] = None,
        namespace: Annotated[Optional[str], typer.Option("-n", "--namespace", metavar="NS", help="Namespace of the pod (default: the context's).", show_default=False,
                                                                 autocompletion=complete_namespaces)] = None,
        istio_namespace: Annotated[str, typer.Option("-i", "--istio-namespace", "--istioNamespace", metavar="NS", help="Namespace of istiod and its ConfigMaps.")] = "istio-system",
        as_user: Annotated[Optional[str], typer.Option("--as", metavar="USER", help="Impersonate USER (API reads, exec and port-forward).", show_default=False)] = None,
        request_timeout: Annotated[Optional[str], typer.Option("--request-timeout", "--timeout", metavar="DURATION", help="Per API request and pod transfer, e.g. 30s, 2m (default 120s: big dumps are slow).", show_default=False)] = None,  # noqa: E501
        proxy_admin_port: Annotated[int, typer.Option("--proxy-admin-port", min=1, max=65535, help="Envoy admin port inside the pod.")] = 15000,
        show_path: Annotated[bool, typer.Option("-v", "--show-path", help="Say on stderr how the pod was reached (port-forward or exec).")] = False,
        snapshot: Annotated[Optional[str], typer.Option("--snapshot", metavar="PATH", help="Read from a snapshot (meshctl snapshot -o PATH) instead of the cluster.", show_default=False)] = None,
        max_body_size: Annotated[Optional[str], typer.Option("--max-body-size", metavar="SIZE", help="Largest answer read from Envoy, a pod or the API (default 1Gi).", show_default=False)] = None,
        max_snapshot_size: Annotated[Optional[str], typer.Option("--max-snapshot-size", metavar="SIZE", help="Largest snapshot read, inflated (default 16Gi).", show_default=False)] = None,
    ) -> None:  # fmt: skip
        pass

    return tuple(typer.main.get_command(spec).params)


def with_kube_options(command):
    """Add the Kubernetes flags to a click command (to every sub-command of a group); returns it.

    Their values go to ``Env.kube`` (a `KubeOptions`), not to the command's callback. A spelling the
    command already uses (say, its own -n) is left out for that command; the flag's other spellings stay.
    """
    if hasattr(command, "commands"):
        for sub_command in command.commands.values():
            with_kube_options(sub_command)
        return command
    return add_kube_options(command)


def add_kube_options(command):
    """Add the Kubernetes flags to this command's own parameters (a group's too); returns it."""
    taken = {opt for param in command.params for opt in (*param.opts, *getattr(param, "secondary_opts", ()))}
    own_names = {param.name for param in command.params}
    added = []
    for param in _kube_params():
        if param.name in own_names:
            continue
        # A spelling the command uses itself (proxy-status's -v is istioctl's --verbosity) is left
        # out; the flag keeps its other spellings (--show-path).
        param.opts = [opt for opt in param.opts if opt not in taken]
        if param.opts:
            added.append(param)
    for param in added:
        param.expose_value = False
        param.callback = _store_kube_option
        if param.name == "request_timeout" and "--admin" in taken:
            param.help = f"{param.help[:-1]}; with --admin, the whole fetch (default 30s)."
    command.params.extend(added)
    return command


def _store_kube_option(ctx, param, value):
    """Click's parameter callback: the parsed flag into the run's Env (``env.kube``)."""
    from meshctl.env import Env
    from meshctl.model.options import DEFAULT_ISTIO_NAMESPACE

    if param.name == "istio_namespace":
        value = value or DEFAULT_ISTIO_NAMESPACE
    elif param.name not in ("request_timeout", "proxy_admin_port", "show_path"):
        value = value or None  # "" is "not given", as kubectl reads it
    env = Env.of(ctx)
    env.kube = env.kube._replace(**{param.name: value})
    return value
