"""`pc diff A B`: what differs between two config dumps (files, admin URLs or pods).

Exit status 79 when the dumps differ, 0 when they are equal, so scripts can branch on it.
"""

# No `from __future__ import annotations`: Typer evals each annotation string when it builds the command.
from typing import Annotated

import typer

from meshctl.commands.options import DiffTypesOption, QueryOption, diff_types, output_option, source_for_spec
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env
from meshctl.errors import ExitStatus, UsageError

DiffOutput = output_option("short", ("short", "json", "yaml"))
SpecArgument = typer.Argument(metavar="A", help="A dump file ('-' for stdin), an admin URL (http://...), or a POD[.NAMESPACE].")


def diff(
    ctx: typer.Context,
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
    from meshctl.decode.configdump import parse

    env = Env.of(ctx)
    if before == "-" and after == "-":
        raise UsageError("only one of A and B can be standard input")
    from meshctl.sources.fleet import progress
    from meshctl.sources.select import spec_kind

    pods = sum(spec_kind(spec) == "pod" for spec in (before, after))
    dumps = []
    with progress(env.terminal.progress and pods > 1, 2, "reading pods", env.stderr) as advance:
        for spec in (before, after):
            dumps.append(parse(source_for_spec(env, spec).fetch("config_dump?include_eds")))
            advance(False)
    env.retain(dumps)
    result = diff_dumps(*dumps, diff_types(types))
    fmt = data_format(output, query)
    if fmt in DATA_FORMATS:
        from meshctl.model.document import document

        emit(env, document("diff", result.to_data()), fmt, query)
    else:
        from meshctl.render.diff import dump_diff_text

        emit(env, dump_diff_text(result, env.terminal))
    if not result.equal:
        raise typer.Exit(ExitStatus.CHECK_FAILED)
