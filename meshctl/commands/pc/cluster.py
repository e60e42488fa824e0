"""`pc cluster`: Envoy's clusters, istioctl's columns (warming clusters included, marked)."""

# No `from __future__ import annotations`: Typer evals each annotation string when it builds the command.
import typer

from meshctl.commands.options import AdminOption, FileOption, PodArgument, QueryOption, RawOption
from meshctl.commands.pc.view import DirectionOption, FqdnOption, PortOption, SubsetOption, TableOutput, ViewOutput, load_dump, missing_section, resources, run_view, targets
from meshctl.emit import data_format
from meshctl.env import Env

MULTI_POD = True  # -l/-A/-n: the view over many pods (commands/pc/view.py)


def cluster(
    ctx: typer.Context,
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    fqdn: FqdnOption = "",
    port: PortOption = 0,
    subset: SubsetOption = "",
    direction: DirectionOption = "",
    output: TableOutput = "short",
    query: QueryOption = None,
    raw: RawOption = False,
) -> None:
    """Retrieve information about cluster configuration (warming clusters included, marked)."""
    from meshctl.analyze.filters import ClusterFilter

    fmt = data_format(output, query)
    flt = ClusterFilter(fqdn, port, subset, direction)
    where = targets(ctx, pod, file, admin)
    run_view(Env.of(ctx), where, lambda source: fetch_clusters(source, fmt), lambda dump: cluster_view(dump, flt, fmt, raw), fmt, query)


def fetch_clusters(source, fmt: str):
    """The dump, decoded only as far as `fmt` needs (big dumps: the short table reads a few fields)."""
    if fmt == "wide":
        return load_dump(source)  # the TLS columns resolve SDS clusters through the bootstrap
    if fmt != "short":
        return load_dump(source, sections={"ClustersConfigDump"})
    from meshctl.analyze.summaries import CLUSTER_TABLE_FIELDS  # (not imported for JSON or YAML)

    return load_dump(source, sections={"ClustersConfigDump"}, fields=CLUSTER_TABLE_FIELDS)


def cluster_view(dump, flt, fmt: str, raw: bool) -> ViewOutput:
    """The clusters `flt` keeps, in istioctl's order: a table (short, wide) or their JSON."""
    from meshctl.analyze.filters import select
    from meshctl.analyze.order import sort_clusters
    from meshctl.decode.resources import clusters

    warnings = (*dump.warnings, *missing_section(dump, "ClustersConfigDump", "clusters"))
    views = sort_clusters(select(clusters(dump), flt))
    if fmt in ("short", "wide"):
        return ViewOutput(pc_cluster_table(dump, views, wide=fmt == "wide"), warnings)
    return ViewOutput(resources(views, raw), warnings)


def pc_cluster_table(dump, views, *, wide: bool, type_prefix: bool = False):
    """istioctl's cluster table; -o wide adds the TLS columns (meshctl.analyze.tls)."""
    from meshctl.analyze.summaries import cluster_table

    extra = None
    if wide:
        from meshctl.analyze.tls import cluster_tls_columns

        extra = cluster_tls_columns(dump)
    return cluster_table(views, type_prefix=type_prefix, extra_columns=extra)
