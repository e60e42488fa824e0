"""`pc tls`: the upstream TLS of each cluster, one row per transport socket match, with SDS sources."""

# No `from __future__ import annotations`: Typer evals each annotation string when it builds the command.
import typer

from meshctl.commands.options import AdminOption, FileOption, PodArgument, QueryOption
from meshctl.commands.pc.view import DirectionOption, FqdnOption, PlainOutput, PortOption, SubsetOption, ViewOutput, load_dump, missing_section, run_view, targets
from meshctl.emit import DATA_FORMATS, data_format
from meshctl.env import Env

MULTI_POD = True  # -l/-A/-n: the view over many pods (commands/pc/view.py)


def tls(
    ctx: typer.Context,
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    fqdn: FqdnOption = "",
    port: PortOption = 0,
    subset: SubsetOption = "",
    direction: DirectionOption = "",
    output: PlainOutput = "short",
    query: QueryOption = None,
) -> None:
    """Show the upstream TLS of each cluster: one row per transport socket match, with SDS secrets and their source."""
    from meshctl.analyze.filters import ClusterFilter

    fmt = data_format(output, query)
    flt = ClusterFilter(fqdn=fqdn, port=port, subset=subset, direction=direction)
    where = targets(ctx, pod, file, admin)
    # the clusters, and the bootstrap for static clusters' endpoints (analyze.tls.dump_static_endpoints)
    fetch = lambda source: load_dump(source, sections={"ClustersConfigDump", "BootstrapConfigDump"})  # noqa: E731
    run_view(Env.of(ctx), where, fetch, lambda dump: tls_view(dump, flt, fmt), fmt, query)


def tls_view(dump, flt, fmt: str) -> ViewOutput:
    """The TLS rows of the clusters `flt` keeps: a table, or their JSON."""
    from meshctl.analyze.filters import select
    from meshctl.analyze.order import sort_clusters
    from meshctl.analyze.tls import dump_static_endpoints, tls_rows, tls_table
    from meshctl.decode.resources import clusters

    warnings = (*dump.warnings, *missing_section(dump, "ClustersConfigDump", "clusters"))
    views = sort_clusters(select(clusters(dump), flt))
    rows = tls_rows([(view.raw, view.state) for view in views], dump_static_endpoints(dump))
    if fmt in DATA_FORMATS:
        from meshctl.model.document import document

        return ViewOutput(document("tls", {"clusters": [row.to_dict() for row in rows]}), warnings)
    return ViewOutput(tls_table(rows), warnings)
