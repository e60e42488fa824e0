"""`pc all`: every summary of one dump (istioctl configdump.go PrintFullSummary), or the whole dump."""

# No `from __future__ import annotations`: Typer evals each annotation string when it builds the command.
from typing import Annotated

import typer

from meshctl.commands.options import AdminOption, FileOption, PodArgument, QueryOption, RawOption
from meshctl.commands.pc.view import (
    AddressOption,
    ClusterOption,
    DirectionOption,
    FqdnOption,
    NameOption,
    PortOption,
    StatusOption,
    SubsetOption,
    TableOutput,
    TypeOption,
    VerboseOption,
    ViewOutput,
    load_dump,
    one_source,
    run_view,
    targets,
)
from meshctl.emit import data_format
from meshctl.env import Env

MULTI_POD = True  # -l/-A/-n: the view over many pods (commands/pc/view.py)


def all_config(
    ctx: typer.Context,
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

    env = Env.of(ctx)
    fmt = data_format(output, query)
    filters = (
        ClusterFilter(fqdn, port, subset, direction),
        ListenerFilter(address, port, type, verbose),
        RouteFilter(name, verbose),
        EndpointFilter(address, port, cluster, status),
    )
    where = targets(ctx, pod, file, admin)
    now = env.now()
    if fmt == "json" and not query:
        # The whole dump as JSON: re-encoded from its bytes as it is written, never built as objects
        # (for several pods, each laid out as deep as the pods document holds it).
        from meshctl.render.data import POD_RESULT_INDENT

        indent = 0 if one_source(env, where) else POD_RESULT_INDENT
        run_view(env, where, lambda source: source.fetch("config_dump?include_eds"), lambda data: dump_json_view(data, raw, indent), fmt, query)
        return
    if fmt == "yaml" and not query and one_source(env, where):
        # The whole dump as YAML: made from its bytes as it is written (render.dumpyaml)
        run_view(env, where, lambda source: source.fetch("config_dump?include_eds"), lambda data: dump_yaml_view(data, raw), fmt, query)
        return
    fetch = lambda source: load_dump(source, "config_dump?include_eds")  # noqa: E731
    run_view(env, where, fetch, lambda dump: all_view(dump, filters, fmt, raw, with_headers, now), fmt, query)


def dump_json_view(data: bytes, raw: bool, indent: int = 0) -> ViewOutput:
    """The dump's bytes as istioctl's JSON, made while it is written (`indent` spaces deep: see
    `istioctl_dump_json`); `full_dump` when they are not laid out as Envoy's."""
    from meshctl.decode.configdump import parse
    from meshctl.model.tabular import Serialized
    from meshctl.render.dumpjson import istioctl_dump_json

    streamed = istioctl_dump_json(data, raw, indent)
    if streamed is None:
        dump = parse(data)
        return ViewOutput(full_dump(dump, raw), tuple(dump.warnings))
    chunks, warnings = streamed
    return ViewOutput(Serialized(chunks, redacted=True), tuple(warnings))


def dump_yaml_view(data: bytes, raw: bool) -> ViewOutput:
    """The dump's bytes as istioctl's YAML, made while it is written (`istioctl_dump_yaml`);
    `full_dump` when they are not laid out as Envoy's."""
    from meshctl.decode.configdump import parse
    from meshctl.model.tabular import Serialized
    from meshctl.render.dumpyaml import istioctl_dump_yaml

    streamed = istioctl_dump_yaml(data, raw)
    if streamed is None:
        dump = parse(data)
        return ViewOutput(full_dump(dump, raw), tuple(dump.warnings))
    chunks, warnings = streamed
    return ViewOutput(Serialized(chunks, format="yaml"), tuple(warnings))


def all_view(dump, filters, fmt: str, raw: bool, with_headers: bool, now) -> ViewOutput:
    """The summaries as `Sections` (short, wide), or the whole dump as istioctl's JSON."""
    if fmt in ("short", "wide"):
        return ViewOutput(all_sections(dump, *filters, wide=fmt == "wide", with_headers=with_headers, now=now), tuple(dump.warnings))
    return ViewOutput(full_dump(dump, raw), tuple(dump.warnings))


def all_sections(dump, cluster_filter, listener_filter, route_filter, endpoint_filter, *, wide: bool, with_headers: bool, now):
    """istioctl configdump.go PrintFullSummary: (header title, table or text) per section."""
    from meshctl.analyze.bootstrap import dump_version_table
    from meshctl.analyze.filters import select, select_endpoints
    from meshctl.analyze.order import sort_clusters, sort_listeners, sort_load_assignments, sort_routes
    from meshctl.analyze.secrets import secret_table
    from meshctl.analyze.summaries import eds_endpoint_table, listener_table, route_table
    from meshctl.commands.pc.cluster import pc_cluster_table
    from meshctl.decode.resources import clusters, listeners, load_assignments, routes
    from meshctl.model.tabular import Sections
    from meshctl.render.text import render_tabular

    views, _ = select_endpoints(sort_load_assignments(load_assignments(dump)), endpoint_filter)
    return Sections(
        [
            # istioctl's plain text even on a terminal: the version block is not a table
            ("BOOTSTRAP INFO", render_tabular(dump_version_table(dump))),
            ("CLUSTER INFO", pc_cluster_table(dump, sort_clusters(select(clusters(dump), cluster_filter)), wide=wide, type_prefix=True)),
            ("LISTENER INFO", listener_table(sort_listeners(select(listeners(dump), listener_filter)), verbose=listener_filter.verbose, type_prefix=True)),
            ("ROUTE INFO", route_table(select(sort_routes(routes(dump)), route_filter), verbose=route_filter.verbose, type_prefix=True)),
            ("SECRET INFO", secret_table(dump.section("SecretsConfigDump"), now=now, wide=wide, type_prefix=True)),
            ("ENDPOINTS INFO", eds_endpoint_table(views, type_prefix=True)),
        ],
        with_headers=with_headers,
    )


def full_dump(dump, raw: bool) -> dict:
    """The whole dump (known and unknown sections), as istioctl's protobuf JSON or Envoy's own."""
    from meshctl.decode.protojson import to_camel

    configs = [entry for found in dump.entries.values() for entry in found]
    configs += [section.raw for section in dump.unknown_sections]
    return {"configs": configs if raw else [to_camel(config) for config in configs]}
