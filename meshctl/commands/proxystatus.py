"""`meshctl proxy-status [POD]`: istiod's sync status per proxy, as `istioctl proxy-status` prints it.

Read from istiod's debug interface (port-forward to :15014 ``/debug/syncz``, else exec
``pilot-discovery request GET /debug/syncz``), or from files (`--syncz-file`, one per istiod) holding either
that answer or the xDS form istioctl receives.

With a POD on a cluster (or --istiod-file/--file), it compares instead, as `istioctl
proxy-status POD` does: istiod's ``/debug/config_dump?proxyID=POD.NS`` against the pod's Envoy
config dump. Exit status 79 when they differ (istioctl exits 0), so scripts can branch on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from meshctl.commands.options import QueryOption, complete_pods, output_option, with_kube_options
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env

app = typer.Typer(add_completion=False)

# "table" is istioctl's name for the default table (-o table).
OutputOption = output_option("short", ("short", "wide", "table", "json", "yaml"))


@app.command(
    help=(
        "Sync status (CDS/LDS/EDS/RDS/ECDS) of every proxy connected to istiod. "
        "-o wide shows one column per xDS type; -o json|yaml prints istiod's answer as istioctl does. "
        "With POD: compare the config istiod would send POD (/debug/config_dump?proxyID=) with POD's Envoy "
        "config dump, per type as istioctl does (\"Clusters Match\", \"Listeners Don't Match\", \"Routes Match (RDS last loaded at <local time>)\"), "
        "with the differing resources; -o json|yaml gives the structured diff; exit 79 when they differ. "
        "With POD, -o wide shows POD's row of the sync table instead, and --syncz-file filters the files' table to POD. "
        "As istioctl: --file is the proxy's config dump to compare, -v/--verbosity 1 is -o wide, -o table is short."
    )
)
def proxy_status(
    ctx: typer.Context,
    pod: Optional[str] = typer.Argument(None, metavar="POD[.NS]", autocompletion=complete_pods, help="The proxy to compare (with --syncz-file or -o wide: only its row).", show_default=False),
    files: Optional[list[str]] = typer.Option(None, "--syncz-file", metavar="PATH", help="An istiod's syncz answer, instead of asking istiod (repeatable; name = file stem).", show_default=False),
    revision: Optional[str] = typer.Option(None, "-r", "--revision", help="Only istiods of this revision."),
    output: OutputOption = "short",
    istiod_file: Optional[str] = typer.Option(None, "--istiod-file", metavar="PATH", help="Compare: istiod's /debug/config_dump?proxyID=POD.NS answer, instead of asking istiod.", show_default=False),
    proxy_file: Optional[str] = typer.Option(None, "--file", "--proxy-file", metavar="PATH", help="Compare: the proxy's config dump ('-' for stdin) instead of the pod's.", show_default=False),
    verbosity: int = typer.Option(0, "-v", "--verbosity", min=0, help="istioctl's: 1 shows every xDS type (-o wide)."),
    query: QueryOption = None,
) -> None:
    """`meshctl proxy-status` (its --help text is the decorator's)."""
    env = Env.of(ctx)
    # istioctl proxystatus.go: XdsStatusWriter{OutputFormat: table, Verbosity > 0: printAllVerbose}
    output = "wide" if output in ("short", "table") and verbosity > 0 else "short" if output == "table" else output
    output = data_format(output, query)
    if istiod_file or proxy_file or (pod and not files and output != "wide"):
        if files:
            from meshctl.errors import UsageError

            raise UsageError("--syncz-file reads sync status tables; compare with --istiod-file/--file instead")
        _compare(env, pod, istiod_file, proxy_file, output, revision, query)
        return
    from meshctl.analyze.proxystatus import STATUS_SCHEMA, filter_response, parse_syncz, status_rows, sync_statuses
    from meshctl.errors import SourceError, UsageError
    from meshctl.model.refs import PodRef
    from meshctl.model.tabular import Tabular
    from meshctl.render.goformats import JsonpbWriter

    namespace = env.kube.namespace or ""
    if files:
        answers = {Path(path).stem: _read(env, path) for path in files}
        ref = PodRef.parse(pod, namespace or "default") if pod else None
        if ref is not None and ref.kind != "pod":
            raise UsageError(f"with --syncz-file, name the proxy as POD.NAMESPACE, not {pod!r} (no cluster to resolve it)")
        proxy_id = str(ref) if ref else ""
    else:
        from meshctl.sources.pod import fetch_from_istiods, proxy_source

        kube = env.cluster()
        proxy_id = proxy_source(kube, pod, env.notifier()).name if pod else ""
        answers = fetch_from_istiods(kube, "debug/syncz", revision=revision, notify=env.notifier(), progress=env.terminal.progress, stream=env.stderr)
    # -n filters by namespace only when given (istioctl: all namespaces by default)
    responses = {
        istiod: filter_response(parse_syncz(istiod, data), namespace="" if proxy_id else namespace, proxy_id=proxy_id)
        for istiod, data in sorted(answers.items())
    }
    if output in DATA_FORMATS and query:  # a filter needs the data: istiod's answers as a list
        emit(env, list(responses.values()), output, query)
        return
    if output in DATA_FORMATS:
        from meshctl.render.data import to_yaml

        writer = JsonpbWriter(STATUS_SCHEMA)
        # istioctl prints with Fprintln, except on its namespace-filtered path (goldens
        # multiXdsStatusSinglePilot.yaml vs multiXdsStatusSingleNamespace.yaml).
        end = "" if output == "yaml" and namespace and not proxy_id else "\n"
        for response in responses.values():
            text = to_yaml(response)[:-1] if output == "yaml" else writer.dumps(response, "DiscoveryResponse")
            emit(env, text + end)
        return
    statuses = sync_statuses(responses)
    if not statuses:
        # istioctl status.go: "no proxies found (checked %d istiods)"
        raise SourceError(f"no proxies found (checked {len(responses)} istiods)" + (f" for {proxy_id}" if proxy_id else ""))
    header, rows = status_rows(statuses, verbose=output == "wide")
    emit(env, Tabular(list(header), [list(row) for row in rows]))  # istioctl's tabwriter layout, Rich on a terminal


def _compare(env: Env, pod: str | None, istiod_file: str | None, proxy_file: str | None, output: str, revision: str | None,
             query: str | None = None) -> None:
    """istioctl proxystatus.go with a pod argument: NewComparator(istiod answers, Envoy dump).Diff()."""
    from meshctl.analyze.proxystatus import compare_sync, first_config_dump
    from meshctl.decode.configdump import parse
    from meshctl.errors import ExitStatus, SourceError, UsageError
    from meshctl.sources.file import FileSource

    if output == "wide":
        raise UsageError("-o wide is the sync table; a comparison prints short, json or yaml")
    if istiod_file == "-" and proxy_file == "-":
        raise UsageError("only one of --istiod-file and --file can be standard input")
    stdin = env.binary_stdin()
    if istiod_file and proxy_file:
        proxy_id, proxy = pod or proxy_file, FileSource(proxy_file, stdin=stdin)
    elif not pod:
        raise UsageError("name the proxy to compare (POD[.NAMESPACE]), or give both --istiod-file and --file")
    else:
        from meshctl.sources.pod import fetch_from_istiods, proxy_source

        kube = env.cluster()
        pod_proxy = proxy_source(kube, pod, env.notifier())
        proxy_id = pod_proxy.name  # resolved as istioctl does before asking istiod for POD.NS
        proxy = FileSource(proxy_file, stdin=stdin) if proxy_file else pod_proxy
    if istiod_file:
        istiod, istiod_dump = istiod_file, parse(FileSource(istiod_file, stdin=stdin).fetch("debug/config_dump"))
    else:
        answers = fetch_from_istiods(kube, f"debug/config_dump?proxyID={proxy_id}", revision=revision, notify=env.notifier(),
                                     progress=env.terminal.progress, stream=env.stderr)  # fmt: skip
        found = first_config_dump(answers)
        if found is None:
            raise SourceError(f"no istiod has a config for {proxy_id} (checked {len(answers)} istiods; is the pod connected?)")
        istiod, istiod_dump = found
    comparison = compare_sync(istiod_dump, parse(proxy.fetch("config_dump")))
    if output in ("json", "yaml"):
        from meshctl.model.document import document

        emit(env, document("sync-diff", {"proxy": proxy_id, "istiod": istiod, **comparison.to_data()}), output, query)
    else:
        from meshctl.render.proxystatus import comparison_text

        emit(env, comparison_text(comparison))
    if not comparison.equal:
        raise typer.Exit(ExitStatus.CHECK_FAILED)


def _read(env: Env, path: str) -> bytes:
    from meshctl.sources.file import FileSource

    return FileSource(path, stdin=env.binary_stdin()).fetch("debug/syncz")


command = with_kube_options(typer.main.get_command(app))
