"""`meshctl snapshot -o mesh.tar.gz`: capture a mesh once; `meshctl snapshot diff A B`: compare two.

Other read-only commands read a snapshot with ``--snapshot mesh.tar.gz`` (docs/snapshot.md).
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from meshctl.commands._options import (
    AllNamespacesOption,
    ConcurrencyOption,
    DiffTypesOption,
    QueryOption,
    SelectorOption,
    StrictOption,
    add_kube_options,
    data_format,
    diff_types,
    emit_data,
    emit_text,
    kube_flags,
    output_option,
)
from meshctl.errors import ExitStatus, SourceError, UsageError

app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]})  # fmt: skip


@app.callback(invoke_without_command=True)
def snapshot(
    ctx: typer.Context,
    output: Annotated[Optional[str], typer.Option("-o", "--output", metavar="PATH", help="The archive to write (tar.gz); written atomically.", show_default=False)] = None,
    all_namespaces: AllNamespacesOption = False,
    selector: SelectorOption = None,
    concurrency: ConcurrencyOption = 16,
    strict: StrictOption = False,
) -> None:
    """Capture sidecars' config dumps (with EDS), /clusters, /server_info, /certs and pod specs, the
    injector webhooks and ConfigMaps, istio-ca-root-cert and istiod's sync status into one tar.gz.
    Private keys are never stored. Read it back with `--snapshot PATH` on read-only commands.
    """
    if ctx.invoked_subcommand:
        return
    if not output:
        raise UsageError("give the archive to write with -o PATH (e.g. -o mesh.tar.gz)")
    from meshctl.snapshot.capture import take_snapshot
    from meshctl.snapshot.writer import SnapshotWriter
    from meshctl.sources.fleet import select_proxy_pods
    from meshctl.sources.kube import connect

    flags = kube_flags()
    if flags.get("snapshot"):
        raise UsageError("snapshot captures from a cluster; --snapshot cannot be its source")
    kube = connect(flags)
    pods = select_proxy_pods(kube, namespace=flags.get("namespace"), all_namespaces=all_namespaces, selector=selector or "")
    if not pods:
        where = "any namespace" if all_namespaces else f"namespace {flags.get('namespace') or kube.namespace}"
        raise SourceError(f"no running sidecar pods in {where}" + (f" matching {selector}" if selector else ""))
    selection = {"namespace": "" if all_namespaces else (flags.get("namespace") or kube.namespace), "allNamespaces": all_namespaces,
                 "selector": selector or ""}  # fmt: skip
    with SnapshotWriter(output) as writer:
        manifest = take_snapshot(kube, writer, pods, selection=selection, concurrency=concurrency,
                                 proxy_admin_port=flags.get("proxy_admin_port") or 15000)  # fmt: skip
    _report(output, manifest, strict)


def _report(path: str, manifest: dict, strict: bool) -> None:
    """One summary line on stderr; failed pods one per line; the exit status."""
    rows = manifest["pods"]
    failed = {key: row for key, row in rows.items() if row["status"] != "ok"}
    for key, row in failed.items():
        print(f"meshctl: {key}: {row['status']}: {row.get('error', '')}", file=sys.stderr)
    for failure in manifest["failed"]:
        print(f"meshctl: warning: {failure['what']}: {failure['error']}", file=sys.stderr)
    print(f"meshctl: wrote {path}: {len(rows) - len(failed)} of {len(rows)} pods"
          + (f", {len(failed)} failed (see manifest.json)" if failed else ""), file=sys.stderr)  # fmt: skip
    if manifest["interrupted"]:
        raise typer.Exit(ExitStatus.INTERRUPTED)
    if failed and (strict or len(failed) == len(rows)):
        raise typer.Exit(ExitStatus.UNAVAILABLE)


DiffOutput = output_option("short", ("short", "json", "yaml"))


@app.command("diff")
def diff(
    before: Annotated[str, typer.Argument(metavar="A", help="The earlier snapshot.")],
    after: Annotated[str, typer.Argument(metavar="B", help="The later snapshot.")],
    types: DiffTypesOption = None,
    output: DiffOutput = "short",
    query: QueryOption = None,
) -> None:
    """Per pod and resource type, what was added, removed or changed between two snapshots (exit 79 when they differ).

    Noise is ignored: version_info, last_updated, and the order of lists Envoy does not act on.
    """
    from meshctl.snapshot.compare import compare_snapshots
    from meshctl.snapshot.reader import SnapshotArchive

    chosen = diff_types(types)
    with SnapshotArchive(before).seekable() as old, SnapshotArchive(after).seekable() as new:
        result = compare_snapshots(old, new, chosen)
    fmt = data_format(output, query)
    if fmt in ("json", "yaml"):
        emit_data(result.to_data(), output=fmt, query=query)
    else:
        emit_text(_diff_text(result))
    if not result.equal:
        raise typer.Exit(ExitStatus.CHECK_FAILED)


def _diff_text(result) -> str:
    """A table of pods (status and resource counts), then one line per changed resource."""
    from meshctl.model.tabular import Tabular
    from meshctl.render.table import render_table

    pods = Tabular(["POD", "STATUS", "ADDED", "REMOVED", "CHANGED"], padding=3)
    changes = Tabular(["POD", "CHANGE", "TYPE", "NAME"], padding=3)
    for pod in result.pods:
        counts = {"added": 0, "removed": 0, "changed": 0}
        for change in pod.diff.changes if pod.diff else ():
            counts[change.change] += 1
            changes.rows.append([pod.pod, change.change, change.type, change.name])
        pods.rows.append([pod.pod, pod.status, *(str(counts[c]) for c in ("added", "removed", "changed"))])
    text = render_table(pods)
    if changes.rows:
        text += "\n" + render_table(changes)
    if result.equal:
        text += "The snapshots are equal.\n"
    return text


command = add_kube_options(typer.main.get_command(app))
