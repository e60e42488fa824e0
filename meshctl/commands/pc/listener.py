"""`pc listener`: Envoy's listeners and filter chains, istioctl's columns (warming ones marked)."""

# No `from __future__ import annotations`: Typer evals each annotation string when it builds the command.
import typer

from meshctl.commands.options import AdminOption, FileOption, PodArgument, QueryOption, RawOption
from meshctl.commands.pc.view import AddressOption, PlainOutput, PortOption, TypeOption, VerboseOption, ViewOutput, load_dump, missing_section, resources, run_view, targets
from meshctl.emit import data_format
from meshctl.env import Env

MULTI_POD = True  # -l/-A/-n: the view over many pods (commands/pc/view.py)


def listener(
    ctx: typer.Context,
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

    fmt = data_format(output, query)
    flt = ListenerFilter(address, port, type, verbose)
    where = targets(ctx, pod, file, admin)
    fetch = lambda source: load_dump(source, sections={"ListenersConfigDump"})  # noqa: E731
    run_view(Env.of(ctx), where, fetch, lambda dump: listener_view(dump, flt, fmt, raw), fmt, query)


def listener_view(dump, flt, fmt: str, raw: bool) -> ViewOutput:
    """The listeners `flt` keeps: istioctl's table, or their JSON in the dump's order (PrintListenerDump)."""
    from meshctl.analyze.filters import select
    from meshctl.analyze.order import sort_listeners
    from meshctl.analyze.summaries import listener_table
    from meshctl.decode.resources import listeners

    warnings = (*dump.warnings, *missing_section(dump, "ListenersConfigDump", "listeners"))
    if fmt == "short":
        return ViewOutput(listener_table(sort_listeners(select(listeners(dump), flt)), verbose=flt.verbose), warnings)
    return ViewOutput(resources(select(listeners(dump), flt), raw), warnings)
