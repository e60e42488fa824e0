"""`pc bootstrap`: the bootstrap an Envoy started with (a config dump, or pilot-agent's envoy-rev.json)."""

# No `from __future__ import annotations`: Typer evals each annotation string when it builds the command.
import typer

from meshctl.commands.options import AdminOption, FileOption, PodArgument, QueryOption, RawOption, output_option
from meshctl.commands.pc.view import ViewOutput, plain_resources, run_view, targets
from meshctl.emit import DATA_FORMATS, data_format
from meshctl.env import Env

MULTI_POD = True  # -l/-A/-n: the view over many pods (commands/pc/view.py)

BootstrapOutput = output_option("json", ("json", "yaml", "short"))


def bootstrap(
    ctx: typer.Context,
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    output: BootstrapOutput = "json",
    query: QueryOption = None,
    raw: RawOption = False,
) -> None:
    """Retrieve information about the bootstrap configuration of an Envoy instance (a config dump or envoy-rev.json)."""
    fmt = data_format(output, query)
    where = targets(ctx, pod, file, admin)
    run_view(Env.of(ctx), where, fetch_bootstrap, lambda document: bootstrap_view(document, fmt, raw), fmt, query)


def fetch_bootstrap(source) -> dict:
    """The BootstrapConfigDump of the source's config dump (or bootstrap file)."""
    from meshctl.decode.bootstrap import bootstrap_of

    return bootstrap_of(source.fetch("config_dump"))  # of a big dump, only the bootstrap section is parsed


def bootstrap_view(document: dict, fmt: str, raw: bool) -> ViewOutput:
    """The BootstrapConfigDump as JSON/YAML, or the node/discovery facts and static clusters (short)."""
    if fmt in DATA_FORMATS:
        return ViewOutput(plain_resources([document], raw)[0])
    from meshctl.analyze.bootstrap import bootstrap_tables
    from meshctl.model.tabular import Sections

    return ViewOutput(Sections([("", table) for table in bootstrap_tables(document["bootstrap"]) if table.rows]))
