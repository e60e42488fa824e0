"""`pc diff A B`: what differs between two config dumps (files, admin URLs or pods).

Registers itself into the `pc` group (meshctl/commands/pc.py imports this module at its end).
Exit status 79 when the dumps differ, 0 when they are equal, so scripts can branch on it.
"""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from meshctl.commands._options import QueryOption, data_format, emit_data, emit_text, kube_flags, output_option
from meshctl.commands.pc import _command
from meshctl.errors import ExitStatus, UsageError

DiffOutput = output_option("short", ("short", "json", "yaml"))
SpecArgument = typer.Argument(metavar="A", help="A dump file ('-' for stdin), an admin URL (http://...), or a POD[.NAMESPACE].")


def _source_for(spec: str):
    """A file when the path exists (or '-'), an admin API for http(s) URLs, else a pod reference."""
    from meshctl.sources.select import open_source

    if spec.startswith(("http://", "https://")):
        return open_source(admin=spec)
    if spec == "-" or os.path.exists(spec):
        return open_source(file=spec)
    return open_source(pod=spec, **kube_flags())


def _load(spec: str):
    from meshctl.decode.configdump import parse

    return parse(_source_for(spec).fetch("config_dump?include_eds"))


@_command("diff")
def diff(
    before: Annotated[str, SpecArgument],
    after: Annotated[str, typer.Argument(metavar="B", help="The dump to compare A with (same forms as A).")],
    types: Annotated[
        Optional[list[str]],
        typer.Option("--type", metavar="TYPE", help="Compare only these resource types (repeatable): bootstrap, cluster, endpoint, listener, route, secret, ecds."),
    ] = None,
    output: DiffOutput = "short",
    query: QueryOption = None,
) -> None:
    """Compare two config dumps: resources added, removed and changed per type (exit 79 when they differ).

    Noise is ignored: version_info, last_updated, and the order of lists Envoy does not act on.
    """
    from meshctl.analyze.diff import RESOURCE_TYPES, diff_dumps

    if before == "-" and after == "-":
        raise UsageError("only one of A and B can be standard input")
    chosen = tuple(dict.fromkeys(types or RESOURCE_TYPES))
    unknown = [kind for kind in chosen if kind not in RESOURCE_TYPES]
    if unknown:
        raise UsageError(f"unknown --type {', '.join(unknown)} (choose from {', '.join(RESOURCE_TYPES)})")
    result = diff_dumps(_load(before), _load(after), chosen)
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
    from meshctl.render.text import render_tabular

    summary = Tabular(["TYPE", "ADDED", "REMOVED", "CHANGED"], padding=3)
    for kind, counts in result.counts().items():
        summary.rows.append([kind, str(counts["added"]), str(counts["removed"]), str(counts["changed"])])
    parts = [render_tabular(summary)]
    if result.equal:
        parts.append("The dumps are equal.\n")
    for change in result.changes:
        parts.append(f"\n{change.change.upper()} {change.type} {change.name}\n")
        if change.change == "changed":
            parts.append(unified_text(change, "A", "B"))
    return "".join(parts)
