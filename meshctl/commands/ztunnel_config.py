"""`meshctl ztunnel-config` (`zc`): ztunnel's configuration, as istioctl ztunnel-config prints it.

istioctl/pkg/ztunnelconfig/ztunnelconfig.go: the same sub-commands, aliases, flags and output
(tables byte for byte; -o json|yaml as istioctl's types write them). Sources: a ztunnel pod, a
workload pod (the ztunnel on its node, filtered to the workload), --node, -f FILE, --admin URL,
--snapshot. With -f or --admin, a positional NAME[.NAMESPACE] filters to that workload as istioctl
does when it resolves a workload pod.
"""

# No `from __future__ import annotations`: Typer evaluates the annotations.
from typing import Annotated, Optional

import typer

from meshctl.commands.groups import LazyAliasGroup, lazy_group_app, one_command
from meshctl.commands.options import QueryOption, output_option
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env
from meshctl.errors import MeshctlError, SourceError, UsageError

# istioctl's aliases -> sub-command.
ALIASES = {
    "w": "workload", "workloads": "workload",
    "services": "service", "s": "service", "svc": "service",
    "policies": "policy", "p": "policy", "pol": "policy",
    "certificates": "certificate", "certs": "certificate", "cert": "certificate",
    "cons": "connections",
    "o": "log",
}  # fmt: skip


class _LazyAliasGroup(LazyAliasGroup):
    """Builds only the sub-command that runs (as `pc` does), resolves istioctl's aliases (`zc w`,
    `zc certs`) to it, and lists them under --help."""

    names = property(lambda self: tuple(SUBCOMMANDS))  # defined below, with the functions
    aliases = ALIASES
    build = staticmethod(lambda name: _build(name))


app = lazy_group_app(_LazyAliasGroup, "ztunnel-config", "Retrieve ztunnel configuration (workloads, services, policies, certificates, connections) or set its log level.")

ZtunnelArgument = Annotated[
    Optional[str],
    typer.Argument(metavar="[[TYPE/]NAME[.NAMESPACE]]", show_default=False,
                   help="A ztunnel pod, or a workload pod (read the ztunnel on its node, show only this workload); with -f/--admin, the workload to show."),
]  # fmt: skip
ZtunnelFileOption = Annotated[
    Optional[str],
    typer.Option("-f", "--file", metavar="PATH", help="Read a ztunnel config dump from PATH ('-' for stdin).", show_default=False),
]
AdminOption = Annotated[
    Optional[str],
    typer.Option("--admin", metavar="URL", help="Read from a ztunnel admin API, e.g. http://127.0.0.1:15000.", show_default=False),
]
NodeOption = Annotated[
    Optional[str],
    typer.Option("--node", metavar="NODE", help="Read the ztunnel on this node.", show_default=False),
]
PlainOutput = output_option("short", ("short", "json", "yaml"))
WorkloadNamespaceOption = Annotated[str, typer.Option("--workload-namespace", metavar="NS", help="Filter workloads by namespace field.")]


def _target(ref: str | None, namespace: str | None) -> tuple[str, str] | None:
    """NAME[.NAMESPACE] given with -f/--admin: the workload to filter to (no namespace: any)."""
    if not ref:
        return None
    name, dot, ns = ref.rpartition(".")
    return (name, ns) if dot and name else (ref, namespace or "")


def _show(env: Env, output: str, query, document, table) -> None:
    """Print the view: `document()` for -o json|yaml (or --query), else the `table()`."""
    fmt = data_format(output, query)
    emit(env, document() if fmt in DATA_FORMATS else table(), fmt, query)


def _load(ctx: typer.Context, ref, file, admin, node, *, single: bool):
    """(the decoded dump, the targeted workload (name, namespace) or None, the dump's bytes)."""
    from meshctl.commands.options import conflict, open_source
    from meshctl.decode.ztunnel import parse

    env = Env.of(ctx)
    if node and (file or admin or ref):  # ztunnelconfig.go: the same words
        conflict(ctx, "at most one of --file, --node, or pod name must be passed")
    if file or admin:
        source = open_source(env, file=file, admin=admin)
        target = _target(ref, env.kube.namespace)
    else:
        from meshctl.sources.ztunnel import ZtunnelSource, resolve_ztunnel

        cluster = env.cluster()
        resolved = resolve_ztunnel(cluster, ref, node=node, single=single)
        source = ZtunnelSource(cluster, resolved.pod, env.kube.proxy_admin_port, env.notifier())
        target = (resolved.workload_name, resolved.workload_namespace) if resolved.workload_name else None
    data = source.fetch("config_dump")
    dump = parse(data)
    env.retain(dump)
    for message in dump.warnings:
        env.warn(f"{source.describe()}: {message}")
    return dump, target, data


def workload(
    ctx: typer.Context,
    pod: ZtunnelArgument = None,
    file: ZtunnelFileOption = None,
    admin: AdminOption = None,
    node: NodeOption = None,
    address: Annotated[str, typer.Option("--address", metavar="IP", help="Filter workloads by address field.")] = "",
    workload_namespace: WorkloadNamespaceOption = "",
    workload_node: Annotated[str, typer.Option("--workload-node", metavar="NODE", help="Filter workloads by node.")] = "",
    output: PlainOutput = "short",
    query: QueryOption = None,
) -> None:
    """Retrieve information about workload configuration for the ztunnel instance."""
    from meshctl.analyze import ztunnel as views

    env = Env.of(ctx)
    dump, target, _ = _load(ctx, pod, file, admin, node, single=False)
    name, namespace = target or ("", workload_namespace)
    flt = views.WorkloadFilter(address=address, node=workload_node, namespace=namespace, name=name)
    _show(env, output, query, lambda: views.workload_document(dump, flt), lambda: views.workload_table(dump, flt))


def service(
    ctx: typer.Context,
    pod: ZtunnelArgument = None,
    file: ZtunnelFileOption = None,
    admin: AdminOption = None,
    node: NodeOption = None,
    service_namespace: Annotated[str, typer.Option("--service-namespace", metavar="NS", help="Filter services by namespace field.")] = "",
    output: PlainOutput = "short",
    query: QueryOption = None,
) -> None:
    """Retrieve information about services for the ztunnel instance."""
    from meshctl.analyze import ztunnel as views

    env = Env.of(ctx)
    dump, _, _ = _load(ctx, pod, file, admin, node, single=False)
    flt = views.NamespaceFilter(service_namespace)
    _show(env, output, query, lambda: views.service_document(dump, flt), lambda: views.service_table(dump, flt))


def policy(
    ctx: typer.Context,
    pod: ZtunnelArgument = None,
    file: ZtunnelFileOption = None,
    admin: AdminOption = None,
    node: NodeOption = None,
    policy_namespace: Annotated[str, typer.Option("--policy-namespace", metavar="NS", help="Filter policies by namespace field.")] = "",
    output: PlainOutput = "short",
    query: QueryOption = None,
) -> None:
    """Retrieve information about policies for the ztunnel instance."""
    from meshctl.analyze import ztunnel as views

    env = Env.of(ctx)
    dump, _, _ = _load(ctx, pod, file, admin, node, single=False)
    flt = views.NamespaceFilter(policy_namespace)
    _show(env, output, query, lambda: views.policy_document(dump, flt), lambda: views.policy_table(dump, flt))


def certificate(
    ctx: typer.Context,
    pod: ZtunnelArgument = None,
    file: ZtunnelFileOption = None,
    admin: AdminOption = None,
    node: NodeOption = None,
    cert_warn: Annotated[str, typer.Option("--cert-warn", metavar="DURATION", help="-o wide: flag certificates past their rotation point that expire within this.")] = "24h",
    output: output_option("short", ("short", "json", "yaml", "wide")) = "short",
    query: QueryOption = None,
) -> None:
    """Retrieve certificates for the ztunnel instance (-o wide: decoded: SPIFFE ID, issuer, time left, problems)."""
    from meshctl.analyze import ztunnel as views
    from meshctl.model.durations import parse_duration

    env = Env.of(ctx)
    warn_within = parse_duration(cert_warn, "--cert-warn")
    dump, _, _ = _load(ctx, pod, file, admin, node, single=True)
    fmt = data_format(output, query)
    if fmt in DATA_FORMATS:
        emit(env, views.certificate_document(dump), fmt, query)
        return
    now, problems = env.now(), []
    if fmt == "wide":
        from meshctl.analyze.ztunnel_certs import certificate_wide_table

        table = certificate_wide_table(dump, now, warn_within)
    else:
        table = views.certificate_table(dump, now, problems)
    for problem in dict.fromkeys(problems):
        env.warn(problem)
    emit(env, table)


def connections(
    ctx: typer.Context,
    pod: ZtunnelArgument = None,
    file: ZtunnelFileOption = None,
    admin: AdminOption = None,
    node: NodeOption = None,
    direction: Annotated[str, typer.Option("--direction", metavar="inbound|outbound", help="Filter workloads by direction (inbound or outbound).")] = "",
    raw: Annotated[bool, typer.Option("--raw", help="If set, show IP addresses instead of names.")] = False,
    workload_namespace: WorkloadNamespaceOption = "",
    output: PlainOutput = "short",
    query: QueryOption = None,
) -> None:
    """Retrieve connections for the ztunnel instance."""
    from meshctl.analyze import ztunnel as views

    env = Env.of(ctx)
    dump, target, _ = _load(ctx, pod, file, admin, node, single=True)
    name, namespace = target or ("", workload_namespace)
    flt = views.ConnectionsFilter(namespace=namespace, direction=direction, raw=raw, workload=name)
    _show(env, output, query, lambda: views.connections_document(dump, flt), lambda: views.connections_table(dump, flt))


def all_config(
    ctx: typer.Context,
    pod: ZtunnelArgument = None,
    file: ZtunnelFileOption = None,
    admin: AdminOption = None,
    node: NodeOption = None,
    with_headers: Annotated[bool, typer.Option("--with-headers", help="Print summary with headers.")] = False,
    output: PlainOutput = "short",
    query: QueryOption = None,
) -> None:
    """Retrieve all configuration for the ztunnel instance (-o json: the dump as ztunnel gave it)."""
    from meshctl.analyze import ztunnel as views
    from meshctl.model.tabular import Sections

    env = Env.of(ctx)
    dump, _, data = _load(ctx, pod, file, admin, node, single=False)
    fmt = data_format(output, query)
    if fmt in DATA_FORMATS:
        # configdump.go PrintFullDump: the bytes ztunnel answered, then a newline (keys redacted if any were there).
        if fmt == "json" and not query and not dump.redacted:
            emit(env, data.decode("utf-8", "replace") + "\n")
        else:
            emit(env, dict(dump.document), fmt, query)
        return
    problems: list[str] = []
    sections = views.full_tables(dump, env.now(), problems)
    for problem in dict.fromkeys(problems):
        env.warn(problem)
    # configdump.go PrintFullSummary: a newline before each table and its header, i.e. one before
    # the blocks and one between them.
    emit(env, "\n")
    emit(env, Sections(sections, with_headers=with_headers))


LEVEL_HELP = ("Comma-separated minimum per-logger level of messages to output, in the form of [<logger>:]<level>,"
              "[<logger>:]<level>,... or <level> to change all active loggers; level is one of trace, debug, info, "
              "warning, error, critical, off.")


def log(
    ctx: typer.Context,
    pod: Annotated[Optional[str], typer.Argument(metavar="[[TYPE/]NAME[.NAMESPACE]]", show_default=False,
                                                 help="A ztunnel pod (default: every pod of daemonset ztunnel).")] = None,
    node: NodeOption = None,
    level: Annotated[str, typer.Option("--level", metavar="LEVELS", help=LEVEL_HELP)] = "",
    reset: Annotated[bool, typer.Option("-r", "--reset", help="Reset levels to default value (info).")] = False,
    output: output_option("short", ("short",)) = "short",
) -> None:
    """Retrieve the logging levels of ztunnel pods (all, the one named, or the one on --node), and set them with --level or --reset."""
    from meshctl.analyze.ztunnel import log_query
    from meshctl.commands.options import conflict
    from meshctl.model.ambient import is_ztunnel_pod
    from meshctl.model.pods import pod_key
    from meshctl.model.refs import PodRef
    from meshctl.sources.ztunnel import daemonset_pods, post_admin, ztunnel_on_node

    env = Env.of(ctx)
    try:
        path = log_query(level, reset)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if env.kube.snapshot:
        raise UsageError("ztunnel-config log talks to running ztunnels: not available with --snapshot")
    if node and pod:  # ztunnelconfig.go validateArgs
        conflict(ctx, "at most one of --file, --node, or pod name must be passed")
    cluster = env.cluster()
    if pod:
        found = cluster.resolve_pod(PodRef.parse(pod, env.kube.namespace or env.kube.istio_namespace))
        if not is_ztunnel_pod(found):
            raise UsageError(f"workloads command is only supported by Ztunnel proxies: {pod_key(found)}")
        pods = [found]
    elif node:  # istioctl takes --node here but reads every ztunnel; meshctl reads the node's
        pods = [ztunnel_on_node(cluster, node, env.kube.istio_namespace)]
    else:
        pods = daemonset_pods(cluster, env.kube.istio_namespace)
    if reset:
        env.warn('log level reset; using default value "info" for Ztunnel')
    failures = []
    for target in pods:
        try:
            answer = post_admin(cluster, target, env.kube.proxy_admin_port, path)
        except MeshctlError as exc:  # istioctl reports each pod's failure and goes on
            failures.append(f"{pod_key(target)}: {exc}")
            continue
        emit(env, f"{pod_key(target)}:\n{answer}\n")
    if failures:
        raise SourceError("; ".join(failures))


# name -> the function, in `zc --help` order.
SUBCOMMANDS = {"workload": workload, "service": service, "policy": policy, "certificate": certificate,
               "connections": connections, "all": all_config, "log": log}  # fmt: skip


def _build(name: str):
    """The click command for sub-command `name`, with the Kubernetes flags."""
    from meshctl.commands.options import add_kube_options

    return add_kube_options(one_command(name, SUBCOMMANDS[name]))


# The group alone: _LazyAliasGroup builds the sub-command asked for.
command = typer.main.get_group(app)
