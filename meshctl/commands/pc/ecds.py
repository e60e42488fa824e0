"""`pc ecds`: extension configurations (ECDS), istioctl's columns."""

# No `from __future__ import annotations`: Typer evals each annotation string when it builds the command.
import typer

from meshctl.commands.options import AdminOption, FileOption, PodArgument, QueryOption, RawOption
from meshctl.commands.pc.view import PlainOutput, ViewOutput, load_dump, missing_section, plain_resources, run_view, targets
from meshctl.emit import data_format
from meshctl.env import Env

MULTI_POD = True  # -l/-A/-n: the view over many pods (commands/pc/view.py)


def ecds(
    ctx: typer.Context,
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    output: PlainOutput = "short",
    query: QueryOption = None,
    raw: RawOption = False,
) -> None:
    """Retrieve information about extension configurations (ECDS)."""
    fmt = data_format(output, query)
    where = targets(ctx, pod, file, admin)
    fetch = lambda source: load_dump(source, sections={"EcdsConfigDump"})  # noqa: E731
    run_view(Env.of(ctx), where, fetch, lambda dump: ecds_view(dump, fmt, raw), fmt, query)


def ecds_view(dump, fmt: str, raw: bool) -> ViewOutput:
    """istioctl's ECDS table, or (ecds.go PrintEcds) the whole EcdsConfigDump message in the dump's order."""
    from meshctl.analyze.order import sort_ecds
    from meshctl.analyze.summaries import ecds_table
    from meshctl.decode.resources import ecds_filters

    warnings = (*dump.warnings, *missing_section(dump, "EcdsConfigDump", "extension configurations"))
    if fmt == "short":
        return ViewOutput(ecds_table(sort_ecds(ecds_filters(dump))), warnings)
    return ViewOutput(plain_resources([dump.section("EcdsConfigDump") or {}], raw)[0], warnings)
