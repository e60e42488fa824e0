"""`meshctl proxy-config` (`pc`): Envoy configuration views, istioctl-exact.

Each sub-command: options -> Source -> decode -> filter/sort/summarise -> render.
"""

import functools
from datetime import datetime, timezone
from typing import Annotated

import typer
from typer.core import TyperGroup
from typer.models import CommandInfo

from meshctl.commands._options import (
    AdminOption,
    FileOption,
    PodArgument,
    QueryOption,
    RawOption,
    data_format,
    emit_data,
    emit_text,
    output_option,
    source_from,
    warn,
)

# istioctl's aliases (`pc c`, `pc clusters`, ...) -> canonical sub-command names.
_ALIASES: dict[str, str] = {}
# The sub-commands, in `pc --help` order; each becomes a click command only when invoked (_build).
_SUBCOMMANDS: dict[str, CommandInfo] = {}
# Sub-commands defined in another module, imported only to build them: (module, function).
_IMPORTED = {"rootca-compare": ("meshctl.commands.rootca", "rootca_compare")}
# -l/-A/-n without a POD run these views on many pods (meshctl/commands/_multipod.py).
_VIEWS = ("cluster", "listener", "route", "endpoint", "ecds", "all", "secret", "tls", "bootstrap")


class _LazyGroup(TyperGroup):
    """Builds only the sub-command that runs (Typer would build every one, with their option sets,
    on every `pc` run), and resolves istioctl's aliases to it."""

    def list_commands(self, ctx):
        return [*_SUBCOMMANDS, *_IMPORTED]

    def get_command(self, ctx, cmd_name):
        name = _ALIASES.get(cmd_name, cmd_name)
        if name not in self.commands and name in self.list_commands(ctx):
            self.commands[name] = _build(name)
        return self.commands.get(name)

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        return (command.name if command else name), command, rest

    def format_epilog(self, ctx, formatter):
        names: dict[str, list[str]] = {}
        for alias, name in _ALIASES.items():
            names.setdefault(name, []).append(alias)
        with formatter.section("Aliases (as istioctl)"):
            formatter.write_dl([(name, ", ".join(aliases)) for name, aliases in names.items()])
        super().format_epilog(ctx, formatter)


app = typer.Typer(
    cls=_LazyGroup,
    name="proxy-config",
    help="Retrieve Envoy configuration (clusters, listeners, routes, endpoints, secrets, ...) from a config dump.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

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


def _command(name: str, *aliases: str):
    """Register a sub-command under its istioctl name and (hidden) aliases."""

    def register(function):
        _SUBCOMMANDS[name] = CommandInfo(name, callback=_without_gc(function))
        _ALIASES.update(dict.fromkeys(aliases, name))
        return function

    return register


def _build(name: str):
    """The click command for sub-command `name`, with the multi-pod and Kubernetes flags."""
    from meshctl.commands._multipod import add_multi_pod
    from meshctl.commands._options import add_kube_options
    from meshctl.plain_coercion import without_pydantic

    if name in _IMPORTED:
        import importlib

        module_name, function_name = _IMPORTED[name]
        module = importlib.import_module(module_name)
        info = CommandInfo(name, callback=getattr(module, function_name), help=module.HELP)
    else:
        info = _SUBCOMMANDS[name]
    command = typer.main.get_command_from_info(
        info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode
    )
    if name in _VIEWS:
        add_multi_pod(command)
    return without_pydantic(add_kube_options(command))


def _without_gc(command):
    """`command` run with the cyclic collector paused: views and tables are acyclic, and on big
    dumps the collector's passes over them cost as much as building them."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        from meshctl.decode.configdump import paused_gc

        with paused_gc():
            return command(*args, **kwargs)

    return run


def _load_dump(file, admin, pod, path: str = "config_dump", sections=None, fields=None):
    """The config dump; `sections` (names) and `fields` limit what big dumps are decoded to (None: all)."""
    from meshctl.decode.configdump import parse

    dump = parse(source_from(file=file, admin=admin, pod=pod).fetch(path), sections, fields)
    for message in dump.warnings:
        warn(message)
    return dump


def _resources(views, raw: bool) -> list:
    """The JSON form of resources: istioctl's protobuf JSON (no @type, camelCase) or Envoy's own."""
    if raw:
        return [view.raw for view in views]
    from meshctl.decode.protojson import to_camel

    return [to_camel({k: v for k, v in view.raw.items() if k != "@type"}) for view in views]


def _missing(dump, section: str, what: str) -> None:
    if dump.section(section) is None:
        warn(f"the config dump has no {what} ({section})")


def _cluster_table(dump, views, *, wide: bool, type_prefix: bool = False):
    from meshctl.analyze.summaries import cluster_summary

    extra = None
    if wide:
        # TLS columns come from the TLS/SDS decoder (meshctl.analyze.tls).
        from meshctl.analyze.tls import cluster_tls_columns

        extra = cluster_tls_columns(dump)
    return cluster_summary(views, type_prefix=type_prefix, extra_columns=extra)


def _text(table) -> str:
    # Plain istioctl text when piped, a Rich table on a terminal (meshctl.render.table).
    from meshctl.render.table import render_table

    return render_table(table)


@_command("cluster", "c", "clusters")
def cluster(
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    fqdn: FqdnOption = "",
    port: PortOption = 0,
    subset: SubsetOption = "",
    direction: DirectionOption = "",
    output: TableOutput = "short",
    query: QueryOption = None,
    raw: RawOption = False,
) -> None:
    """Retrieve information about cluster configuration (warming clusters included, marked)."""
    from meshctl.analyze.filters import ClusterFilter
    from meshctl.analyze.summaries import CLUSTER_SUMMARY_FIELDS, sorted_clusters
    from meshctl.decode.resources import clusters

    output = data_format(output, query)
    if output == "wide":
        dump = _load_dump(file, admin, pod)  # the TLS columns resolve SDS clusters through the bootstrap
    else:
        fields = CLUSTER_SUMMARY_FIELDS if output == "short" else None
        dump = _load_dump(file, admin, pod, sections={"ClustersConfigDump"}, fields=fields)
    _missing(dump, "ClustersConfigDump", "clusters")
    views = sorted_clusters(clusters(dump), ClusterFilter(fqdn, port, subset, direction))
    if output in ("short", "wide"):
        emit_text(_text(_cluster_table(dump, views, wide=output == "wide")))
    else:
        emit_data(_resources(views, raw), output=output, query=query)


@_command("listener", "l", "listeners")
def listener(
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    address: AddressOption = "",
    port: PortOption = 0,
    type: TypeOption = "",
    verbose: VerboseOption = True,
    output: PlainOutput = "short",
    query: QueryOption = None,
    raw: RawOption = False,
) -> None:
    """Retrieve information about listener configuration (warming listeners included, marked)."""
    from meshctl.analyze.filters import ListenerFilter
    from meshctl.analyze.summaries import listener_summary, sorted_listeners
    from meshctl.decode.resources import listeners

    dump = _load_dump(file, admin, pod, sections={"ListenersConfigDump"})
    _missing(dump, "ListenersConfigDump", "listeners")
    flt = ListenerFilter(address, port, type, verbose)
    output = data_format(output, query)
    if output == "short":
        emit_text(_text(listener_summary(sorted_listeners(listeners(dump), flt), verbose=verbose)))
    else:
        # istioctl PrintListenerDump keeps the dump's order.
        emit_data(_resources([v for v in listeners(dump) if flt.matches(v)], raw), output=output, query=query)


@_command("route", "r", "routes")
def route(
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    name: NameOption = "",
    verbose: VerboseOption = True,
    output: PlainOutput = "short",
    query: QueryOption = None,
    raw: RawOption = False,
) -> None:
    """Retrieve information about route configuration."""
    from meshctl.analyze.filters import RouteFilter
    from meshctl.analyze.summaries import route_summary, sorted_routes
    from meshctl.decode.resources import routes

    dump = _load_dump(file, admin, pod, sections={"RoutesConfigDump"})
    _missing(dump, "RoutesConfigDump", "routes")
    views = sorted_routes(routes(dump), RouteFilter(name, verbose))
    output = data_format(output, query)
    if output == "short":
        emit_text(_text(route_summary(views, verbose=verbose)))
    else:
        emit_data(_resources(views, raw), output=output, query=query)


@_command("endpoint", "ep", "endpoints")
def endpoint(
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    address: AddressOption = "",
    port: PortOption = 0,
    cluster: ClusterOption = "",
    status: StatusOption = "",
    output: PlainOutput = "short",
    query: QueryOption = None,
    raw: RawOption = False,
) -> None:
    """Retrieve endpoints, from `/clusters?format=json` output or from a config dump with EDS."""
    from meshctl.analyze.filters import EndpointFilter
    from meshctl.decode.configdump import from_object, load_json, looks_like_dump, parse

    data = source_from(file=file, admin=admin, pod=pod).fetch("clusters?format=json")
    flt = EndpointFilter(address, port, cluster, status)
    output = data_format(output, query)
    document = None if looks_like_dump(data) else load_json(data, "endpoint data")
    if document is None or (isinstance(document, dict) and "configs" in document):
        dump = parse(data, {"EndpointsConfigDump"}) if document is None else from_object(document)
        _missing(dump, "EndpointsConfigDump", "endpoints (dump it with ?include_eds)")
        _print_eds_endpoints(dump, flt, output=output, query=query, raw=raw)
    else:
        _print_host_endpoints(document, flt, output=output, query=query, raw=raw)


def _filtered_assignments(dump, flt) -> tuple[list, list[dict]]:
    """(endpoint views, ClusterLoadAssignments reduced to them), in istioctl's order."""
    from meshctl.analyze.summaries import sorted_load_assignments
    from meshctl.decode.resources import eds_endpoints, load_assignments

    views, assignments = [], []
    for assignment in sorted_load_assignments(load_assignments(dump)):
        kept = [view for view in eds_endpoints(assignment) if flt.matches(view)]
        views += kept
        if kept:
            assignments.append(_reduce_assignment(assignment, {id(view.raw) for view in kept}))
    return views, assignments


def _reduce_assignment(assignment: dict, kept: set[int]) -> dict:
    # configdump/endpoint.go PrintEndpoints: drop filtered-out endpoints and emptied localities.
    groups = []
    for group in assignment.get("endpoints") or []:
        lb_endpoints = [ep for ep in group.get("lb_endpoints") or [] if id(ep) in kept]
        if lb_endpoints:
            groups.append({**group, "lb_endpoints": lb_endpoints})
    return {**assignment, "endpoints": groups}


def _print_eds_endpoints(dump, flt, *, output: str, query, raw: bool) -> None:
    from meshctl.analyze.summaries import eds_endpoint_summary

    views, assignments = _filtered_assignments(dump, flt)
    if output == "short":
        emit_text(_text(eds_endpoint_summary(views)))
    else:
        emit_data(_plain_resources(assignments, raw), output=output, query=query)


def _plain_resources(items: list[dict], raw: bool) -> list:
    from meshctl.decode.protojson import to_camel

    return items if raw else [to_camel({k: v for k, v in item.items() if k != "@type"}) for item in items]


def _print_host_endpoints(document, flt, *, output: str, query, raw: bool) -> None:
    from meshctl.analyze.summaries import host_endpoint_summary, sorted_host_endpoints
    from meshctl.decode.resources import host_endpoints

    views = host_endpoints(document)
    if output == "short":
        emit_text(_text(host_endpoint_summary(sorted_host_endpoints(views, flt))))
        return
    # clusters.go PrintEndpoints: cluster statuses in Envoy's order, with only matching hosts.
    kept = {id(view.raw) for view in views if flt.matches(view)}
    statuses = []
    for status in document.get("cluster_statuses") or []:
        hosts = [host for host in status.get("host_statuses") or [] if id(host) in kept]
        if hosts:
            statuses.append({**status, "host_statuses": hosts})
    emit_data(_plain_resources(statuses, raw), output=output, query=query)


@_command("ecds", "ecd")
def ecds(
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    output: PlainOutput = "short",
    query: QueryOption = None,
    raw: RawOption = False,
) -> None:
    """Retrieve information about extension configurations (ECDS)."""
    from meshctl.analyze.summaries import ecds_summary, sorted_ecds
    from meshctl.decode.resources import ecds_filters

    dump = _load_dump(file, admin, pod, sections={"EcdsConfigDump"})
    _missing(dump, "EcdsConfigDump", "extension configurations")
    output = data_format(output, query)
    if output == "short":
        emit_text(_text(ecds_summary(sorted_ecds(ecds_filters(dump)))))
        return
    # istioctl ecds.go PrintEcds: the whole EcdsConfigDump message, in the dump's order.
    section = dump.section("EcdsConfigDump") or {}
    emit_data(_plain_resources([section], raw)[0], output=output, query=query)


@_command("all", "a")
def all_(
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    fqdn: FqdnOption = "",
    port: PortOption = 0,
    subset: SubsetOption = "",
    direction: DirectionOption = "",
    address: AddressOption = "",
    type: TypeOption = "",
    verbose: VerboseOption = True,
    name: NameOption = "",
    cluster: ClusterOption = "",
    status: StatusOption = "",
    with_headers: Annotated[bool, typer.Option("--with-headers", help="Print a header before each section.")] = False,
    output: TableOutput = "short",
    query: QueryOption = None,
    raw: RawOption = False,
) -> None:
    """Retrieve all configuration: version, clusters, listeners, routes, secrets, endpoints."""
    from meshctl.analyze.filters import ClusterFilter, EndpointFilter, ListenerFilter, RouteFilter

    dump = _load_dump(file, admin, pod, "config_dump?include_eds")
    output = data_format(output, query)
    if output not in ("short", "wide"):
        emit_data(_full_dump(dump, raw), output=output, query=query)
        return
    sections = _all_sections(
        dump,
        ClusterFilter(fqdn, port, subset, direction),
        ListenerFilter(address, port, type, verbose),
        RouteFilter(name, verbose),
        EndpointFilter(address, port, cluster, status),
        wide=output == "wide",
    )
    if with_headers:
        emit_text("\n".join(f"------ {title} ------\n\n{body}" for title, body in sections))
    else:
        emit_text("\n".join(body for _, body in sections))


def _all_sections(dump, cluster_filter, listener_filter, route_filter, endpoint_filter, *, wide: bool):
    """istioctl configdump.go PrintFullSummary: (header title, text) per section."""
    from meshctl.analyze.bootstrap import version_summary
    from meshctl.analyze.secrets import secret_summary
    from meshctl.analyze.summaries import eds_endpoint_summary, listener_summary, route_summary, sorted_clusters, sorted_listeners, sorted_routes
    from meshctl.decode.resources import clusters, listeners, routes

    views, _ = _filtered_assignments(dump, endpoint_filter)
    now = datetime.now(timezone.utc)
    return [
        ("BOOTSTRAP INFO", version_summary(dump)),
        ("CLUSTER INFO", _text(_cluster_table(dump, sorted_clusters(clusters(dump), cluster_filter), wide=wide, type_prefix=True))),
        ("LISTENER INFO", _text(listener_summary(sorted_listeners(listeners(dump), listener_filter), verbose=listener_filter.verbose, type_prefix=True))),
        ("ROUTE INFO", _text(route_summary(sorted_routes(routes(dump), route_filter), verbose=route_filter.verbose, type_prefix=True))),
        ("SECRET INFO", _text(secret_summary(dump.section("SecretsConfigDump"), now=now, wide=wide, type_prefix=True))),
        ("ENDPOINTS INFO", _text(eds_endpoint_summary(views, type_prefix=True))),
    ]


def _full_dump(dump, raw: bool) -> dict:
    from meshctl.decode.protojson import to_camel

    configs = [entry for found in dump.entries.values() for entry in found]
    configs += [section.raw for section in dump.unknown_sections]
    return {"configs": configs if raw else [to_camel(config) for config in configs]}


# secret, tls and bootstrap (TLS/SDS decoding) register themselves (_command) on import.
from meshctl.commands import pc_tls  # noqa: E402,F401
# `pc diff` (semantic diff of two dumps) registers itself the same way.
from meshctl.commands import pc_diff  # noqa: E402,F401

# The group alone: _LazyGroup builds the sub-command asked for (cli.py makes the group plain, _build
# each sub-command).
command = typer.main.get_group(app)
