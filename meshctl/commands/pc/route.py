"""`pc route`: Envoy's route configurations, istioctl's columns."""

# No `from __future__ import annotations`: Typer evals each annotation string when it builds the command.
import typer

from meshctl.commands.options import AdminOption, FileOption, PodArgument, QueryOption, RawOption
from meshctl.commands.pc.view import NameOption, PlainOutput, VerboseOption, ViewOutput, load_dump, missing_section, resources, run_view, targets
from meshctl.emit import data_format
from meshctl.env import Env

MULTI_POD = True  # -l/-A/-n: the view over many pods (commands/pc/view.py)


def route(
    ctx: typer.Context,
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

    fmt = data_format(output, query)
    flt = RouteFilter(name, verbose)
    where = targets(ctx, pod, file, admin)
    fetch = lambda source: load_dump(source, sections={"RoutesConfigDump"})  # noqa: E731
    run_view(Env.of(ctx), where, fetch, lambda dump: route_view(dump, flt, fmt, raw), fmt, query)


def route_view(dump, flt, fmt: str, raw: bool) -> ViewOutput:
    """The route configurations `flt` keeps, in istioctl's order: its table, or their JSON."""
    from meshctl.analyze.filters import select
    from meshctl.analyze.order import sort_routes
    from meshctl.analyze.summaries import route_table
    from meshctl.decode.resources import routes

    warnings = (*dump.warnings, *missing_section(dump, "RoutesConfigDump", "routes"))
    views = select(sort_routes(routes(dump)), flt)  # istioctl sorts all, then filters
    if fmt == "short":
        return ViewOutput(route_table(views, verbose=flt.verbose), warnings)
    return ViewOutput(resources(views, raw), warnings)
