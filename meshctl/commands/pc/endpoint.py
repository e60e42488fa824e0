"""`pc endpoint`: endpoints from `/clusters?format=json`, or from a config dump with EDS."""

# No `from __future__ import annotations`: Typer evals each annotation string when it builds the command.
import typer

from meshctl.commands.options import AdminOption, FileOption, PodArgument, QueryOption, RawOption
from meshctl.commands.pc.view import AddressOption, ClusterOption, PlainOutput, PortOption, StatusOption, ViewOutput, missing_section, plain_resources, run_view, targets
from meshctl.emit import data_format
from meshctl.env import Env

MULTI_POD = True  # -l/-A/-n: the view over many pods (commands/pc/view.py)


def _endpoints_command(fetch, doc: str):
    """A Typer command over `fetch`: `pc endpoint` and `pc eds` take the same flags and differ only in what they read."""

    def command(
        ctx: typer.Context,
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
        _run(ctx, fetch, targets(ctx, pod, file, admin), (address, port, cluster, status), output, query, raw)

    command.__doc__ = doc
    return command


def _run(ctx, fetch, where, filter_fields: tuple, output: str, query, raw: bool) -> None:
    from meshctl.analyze.filters import EndpointFilter

    fmt = data_format(output, query)
    flt = EndpointFilter(*filter_fields)
    run_view(Env.of(ctx), where, fetch, lambda fetched: endpoint_view(fetched, flt, fmt, raw), fmt, query)


def fetch_eds(source):
    """istioctl proxyconfig.go edsConfigCmd: the config dump with EDS, whatever the source."""
    from meshctl.commands.pc.view import load_dump

    return "dump", load_dump(source, "config_dump?include_eds", {"EndpointsConfigDump"})


def fetch_endpoints(source):
    """("dump", ConfigDump) for a config dump (a file), else ("hosts", the parsed /clusters?format=json)."""
    from meshctl.decode.configdump import from_object, load_json, looks_like_dump, parse

    data = source.fetch("clusters?format=json")
    document = None if looks_like_dump(data) else load_json(data, "endpoint data")
    if document is None:
        return "dump", parse(data, {"EndpointsConfigDump"})
    if isinstance(document, dict) and "configs" in document:
        return "dump", from_object(document)
    return "hosts", document


def endpoint_view(fetched, flt, fmt: str, raw: bool) -> ViewOutput:
    """The endpoints `flt` keeps: istioctl's table, or the reduced ClusterLoadAssignments / cluster statuses."""
    from meshctl.analyze.filters import select, select_endpoints, select_host_statuses
    from meshctl.analyze.order import sort_host_endpoints, sort_load_assignments
    from meshctl.analyze.summaries import eds_endpoint_table, host_endpoint_table
    from meshctl.decode.resources import host_endpoints, load_assignments

    kind, data = fetched
    if kind == "dump":
        warnings = tuple(missing_section(data, "EndpointsConfigDump", "endpoints (dump it with ?include_eds)"))
        views, assignments = select_endpoints(sort_load_assignments(load_assignments(data)), flt)
        if fmt == "short":
            return ViewOutput(eds_endpoint_table(views), warnings)
        return ViewOutput(plain_resources(assignments, raw), warnings)
    views = host_endpoints(data)
    if fmt == "short":
        return ViewOutput(host_endpoint_table(sort_host_endpoints(select(views, flt))))
    return ViewOutput(plain_resources(select_host_statuses(data, views, flt), raw))


endpoint = _endpoints_command(fetch_endpoints, "Retrieve endpoints, from `/clusters?format=json` output or from a config dump with EDS.")
eds = _endpoints_command(fetch_eds, "Retrieve endpoints from the config dump's EDS (config_dump?include_eds), as istioctl's `pc eds`.")
