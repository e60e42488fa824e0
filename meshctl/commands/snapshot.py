"""`meshctl snapshot -o mesh.tar.gz`: capture a mesh once; `meshctl snapshot diff A B`: compare two.

Other read-only commands read a snapshot with ``--snapshot mesh.tar.gz`` (docs/snapshot.md).
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from meshctl.commands.options import (
    AllNamespacesOption,
    ConcurrencyOption,
    DiffTypesOption,
    QueryOption,
    SelectorOption,
    StrictOption,
    add_kube_options,
    diff_types,
    output_option,
    with_kube_options,
)
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env
from meshctl.errors import ExitStatus, UsageError

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
    from meshctl.archive.writer import SnapshotWriter
    from meshctl.snapshot.ambient import ztunnel_pods
    from meshctl.snapshot.capture import take_snapshot
    from meshctl.sources.fleet import stream_proxy_pods

    env = Env.of(ctx)
    if env.kube.snapshot:
        raise UsageError("snapshot captures from a cluster; --snapshot cannot be its source")
    SnapshotWriter.check_target(output)  # before the cluster is asked anything
    kube = env.cluster()
    namespace = env.kube.namespace
    ztunnels = ztunnel_pods(kube)  # an ambient cluster is worth a snapshot without sidecars
    selection = {"namespace": "" if all_namespaces else (namespace or kube.namespace), "allNamespaces": all_namespaces,
                 "selector": selector or ""}  # fmt: skip
    # the pods are stored as the list's pages come (memory: a page of pods, not all of them)
    pods = stream_proxy_pods(kube, namespace=namespace, all_namespaces=all_namespaces, selector=selector or "")
    with SnapshotWriter(output) as writer:  # an error before the end (no pods selected) leaves no archive
        manifest = take_snapshot(kube, writer, pods, selection=selection, concurrency=concurrency,
                                 proxy_admin_port=env.kube.proxy_admin_port, stream=env.stderr, progress=env.terminal.progress,
                                 ztunnels=ztunnels)  # fmt: skip
    _report(env, output, manifest, strict)


def _report(env: Env, path: str, manifest: dict, strict: bool) -> None:
    """One summary line on stderr; failed pods one per line; the exit status."""
    rows = manifest["pods"]
    failed = {key: row for key, row in rows.items() if row["status"] != "ok"}
    ztunnels = manifest.get("ztunnels") or {}
    failed_ztunnels = {key: row for key, row in ztunnels.items() if row["status"] != "ok"}
    for key, row in {**failed, **failed_ztunnels}.items():
        env.message(f"meshctl: {key}: {row['status']}: {row.get('error', '')}")
    for failure in manifest["failed"]:
        env.warn(f"{failure['what']}: {failure['error']}")
    env.message(f"meshctl: wrote {path}: {len(rows) - len(failed)} of {len(rows)} pods"
                + (f", {len(ztunnels) - len(failed_ztunnels)} of {len(ztunnels)} ztunnels" if ztunnels else "")
                + (f", {len(failed) + len(failed_ztunnels)} failed (see manifest.json)" if failed or failed_ztunnels else ""))  # fmt: skip
    if manifest["interrupted"]:
        raise typer.Exit(ExitStatus.INTERRUPTED)
    failures = len(failed) + len(failed_ztunnels)
    if failures and (strict or failures == len(rows) + len(ztunnels)):
        raise typer.Exit(ExitStatus.UNAVAILABLE)


DiffOutput = output_option("short", ("short", "json", "yaml"))


@app.command("diff")
def diff(
    ctx: typer.Context,
    before: Annotated[str, typer.Argument(metavar="A", help="The earlier snapshot.")],
    after: Annotated[str, typer.Argument(metavar="B", help="The later snapshot.")],
    types: DiffTypesOption = None,
    output: DiffOutput = "short",
    query: QueryOption = None,
) -> None:
    """Per pod and resource type, what was added, removed or changed between two snapshots (exit 79 when they differ).

    Noise is ignored: version_info, last_updated, and the order of lists Envoy does not act on.
    """
    from meshctl.archive.reader import SnapshotArchive
    from meshctl.snapshot.compare import compare_snapshots
    from meshctl.sources.snapshot import archive_limits

    chosen = diff_types(types)
    env = Env.of(ctx)
    limits = archive_limits(env.kube)
    with SnapshotArchive(before, **limits).seekable() as old, SnapshotArchive(after, **limits).seekable() as new:
        old.manifest(), new.manifest()  # both must be finished meshctl snapshots: two other tarballs are not "equal"
        result = compare_snapshots(old, new, chosen)
    fmt = data_format(output, query)
    if fmt in DATA_FORMATS:
        from meshctl.model.document import document

        emit(env, document("snapshot-diff", result.to_data()), fmt, query)
    else:
        from meshctl.render.diff import snapshot_diff_text

        emit(env, snapshot_diff_text(result, env.terminal))
    if not result.equal:
        raise typer.Exit(ExitStatus.CHECK_FAILED)


command = with_kube_options(add_kube_options(typer.main.get_command(app)))
