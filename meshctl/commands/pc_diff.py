"""`pc diff A B`: what differs between two config dumps (files, admin URLs or pods).

Registers itself into the `pc` group (meshctl/commands/pc.py imports this module at its end).
Exit status 79 when the dumps differ, 0 when they are equal, so scripts can branch on it.
"""

# No `from __future__ import annotations`: Typer would eval each annotation string when it builds
# a sub-command of this module (measured ~2.5 ms when the whole `pc` group was built eagerly).
from typing import Annotated

import typer

from meshctl.commands._options import DiffTypesOption, QueryOption, data_format, diff_types, emit_data, emit_text, kube_flags, output_option
from meshctl.commands.pc import _command
from meshctl.errors import ExitStatus, UsageError

DiffOutput = output_option("short", ("short", "json", "yaml"))
SpecArgument = typer.Argument(metavar="A", help="A dump file ('-' for stdin), an admin URL (http://...), or a POD[.NAMESPACE].")


def _load(spec: str):
    from meshctl.decode.configdump import parse
    from meshctl.sources.select import source_for_spec

    return parse(source_for_spec(spec, **kube_flags()).fetch("config_dump?include_eds"))


@_command("diff")
def diff(
    before: Annotated[str, SpecArgument],
    after: Annotated[str, typer.Argument(metavar="B", help="The dump to compare A with (same forms as A).")],
    types: DiffTypesOption = None,
    output: DiffOutput = "short",
    query: QueryOption = None,
) -> None:
    """Compare two config dumps: resources added, removed and changed per type (exit 79 when they differ).

    Noise is ignored: version_info, last_updated, and the order of lists Envoy does not act on.
    """
    from meshctl.analyze.diff import diff_dumps

    if before == "-" and after == "-":
        raise UsageError("only one of A and B can be standard input")
    result = diff_dumps(_load(before), _load(after), diff_types(types))
    fmt = data_format(output, query)
    if fmt in ("json", "yaml"):
        emit_data(result.to_data(), output=fmt, query=query)
    else:
        emit_text(_diff_text(result, before, after))
    if not result.equal:
        raise typer.Exit(ExitStatus.CHECK_FAILED)


def _diff_text(result, before: str, after: str) -> str:
    from meshctl.analyze.diff import unified_text
    from meshctl.model.tabular import Tabular
    from meshctl.render.table import render_table

    summary = Tabular(["TYPE", "ADDED", "REMOVED", "CHANGED"], padding=3)
    for kind, counts in result.counts().items():
        summary.rows.append([kind, str(counts["added"]), str(counts["removed"]), str(counts["changed"])])
    parts = [render_table(summary)]
    if result.equal:
        parts.append("The dumps are equal.\n")
    for change in result.changes:
        parts.append(f"\n{change.change.upper()} {change.type} {change.name}\n")
        if change.change == "changed":
            parts.append(unified_text(change, "A", "B"))
    return "".join(parts)
