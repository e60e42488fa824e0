"""`pc stats` (istioctl `x envoy-stats`): Envoy's statistics, as tables of what matters when debugging.

istioctl/pkg/proxyconfig/proxyconfig.go StatsConfigCmd prints Envoy's raw answers; here that is
``-o raw`` (``/stats``, or ``/clusters`` with ``--type clusters``, after istioctl's "The result of
pod" line), ``-o json|yaml`` (``?format=json``) and ``-o prom`` (``/stats/prometheus``). The
default short view is meshctl's: per upstream cluster and per listener stat prefix
(meshctl.analyze.stats), or per upstream host with ``--type clusters``.
"""

# No `from __future__ import annotations`: Typer evals each annotation string when it builds the command.
from typing import Annotated

import typer

from meshctl.commands.options import AdminOption, FileOption, PodArgument, QueryOption, output_option
from meshctl.commands.pc.view import ViewOutput, run_view, targets
from meshctl.emit import DATA_FORMATS, data_format
from meshctl.env import Env

MULTI_POD = True  # -l/-A/-n: the view over many pods (commands/pc/view.py)
HELP = ("Envoy's statistics (istioctl x envoy-stats): per upstream cluster (connections, requests by status class, "
        "timeouts, retries, overflows, TLS failures, ejections) and per listener (requests, RBAC allowed/denied); "
        "--type clusters: per upstream host. -o raw|json|yaml|prom: Envoy's own answers, as istioctl prints them.")
StatsOutput = output_option("short", ("short", "json", "yaml", "prom", "raw"))
TypeOption = Annotated[str, typer.Option("-t", "--type", metavar="server|clusters",
                                         help="Where to grab the stats: server (/stats) or clusters (/clusters).")]
AllOption = Annotated[bool, typer.Option("--all", help="Short view: list idle clusters, listeners and hosts too.")]

# (--type, -o) -> Envoy admin path (istioctl setupEnvoyServerStatsConfig / setupEnvoyClusterStatsConfig)
_PATHS = {
    ("server", "short"): "stats?format=json", ("server", "json"): "stats?format=json",
    ("server", "yaml"): "stats?format=json", ("server", "prom"): "stats/prometheus", ("server", "raw"): "stats",
    ("clusters", "short"): "clusters?format=json", ("clusters", "json"): "clusters?format=json",
    ("clusters", "yaml"): "clusters?format=json", ("clusters", "raw"): "clusters",
}


def stats(
    ctx: typer.Context,
    pod: PodArgument = None,
    file: FileOption = None,
    admin: AdminOption = None,
    stats_type: TypeOption = "server",
    output: StatsOutput = "short",
    show_all: AllOption = False,
    query: QueryOption = None,
) -> None:
    """Envoy's statistics: tables of what matters when debugging, or Envoy's own answers."""
    from meshctl.errors import UsageError

    kind = {"server": "server", "cluster": "clusters", "clusters": "clusters"}.get(stats_type)
    if kind is None:
        raise UsageError(f"unknown stats type {stats_type} (server or clusters)")
    fmt = data_format(output, query)
    path = _PATHS.get((kind, fmt))
    if path is None:
        raise UsageError(f"-o {fmt} is not available for --type {kind} (allowed: json, yaml, short, raw)")
    env = Env.of(ctx)
    if env.kube.snapshot and path != "stats?format=json":
        raise UsageError("a snapshot records /stats?format=json: use -o short|json|yaml with --type server")
    run_view(env, targets(ctx, pod, file, admin), lambda source: fetch_stats(source, path),
             lambda fetched: stats_view(fetched, kind, fmt, show_all), fmt, query)


def fetch_stats(source, path: str) -> tuple[str, bytes]:
    """(the pod's name for istioctl's raw header, or "", Envoy's answer for `path`)."""
    from meshctl.sources.pod import PodSource

    data = source.fetch(path)
    return (source.pod["metadata"]["name"] if isinstance(source, PodSource) else ""), data


def stats_view(fetched: tuple[str, bytes], kind: str, fmt: str, show_all: bool) -> ViewOutput:
    """The short tables, Envoy's JSON for -o json|yaml, or its text for raw/prom."""
    from meshctl.decode.configdump import load_json

    pod_name, data = fetched
    if fmt in ("raw", "prom"):
        text = data.decode("utf-8", "replace")
        # istioctl printStatus: "\nThe result of pod %s:\n\n" before the answer (not for prom: a scrape format)
        return ViewOutput(f"\nThe result of pod {pod_name}:\n\n{text}" if pod_name and fmt == "raw" else text)
    if kind == "clusters":
        document = load_json(data, "Envoy /clusters?format=json")
        if fmt in DATA_FORMATS:
            return ViewOutput(document)
        from meshctl.analyze.stats import host_table
        from meshctl.decode.resources import host_endpoints

        return ViewOutput(host_table(host_endpoints(document), show_all=show_all))
    if fmt in DATA_FORMATS:
        return ViewOutput(load_json(data, "Envoy /stats?format=json"))
    from meshctl.analyze.stats import cluster_stats, cluster_table, filter_stats, filter_table
    from meshctl.decode.stats import parse_stats
    from meshctl.model.tabular import Sections

    parsed = parse_stats(data)
    tables = [cluster_table(cluster_stats(parsed), show_all=show_all), filter_table(filter_stats(parsed), show_all=show_all)]
    shown = [table for table in tables if table.rows]
    if len(shown) == 2:
        return ViewOutput(Sections([("clusters", shown[0]), ("listeners", shown[1])]))
    return ViewOutput(shown[0] if shown else tables[0])
