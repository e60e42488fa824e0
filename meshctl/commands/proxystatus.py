"""`meshctl proxy-status [POD]`: istiod's sync status per proxy, as `istioctl proxy-status` prints it.

Read from istiod's debug interface (port-forward to :15014 ``/debug/syncz``, else exec
``pilot-discovery request GET /debug/syncz``), or from files (`-f`, one per istiod) holding either
that answer or the xDS form istioctl receives.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from meshctl.commands._options import kube_flags, output_option, with_kube_options

app = typer.Typer(add_completion=False)

OutputOption = output_option("short", ("short", "wide", "json", "yaml"))


@app.command(
    help=(
        "Sync status (CDS/LDS/EDS/RDS/ECDS) of every proxy connected to istiod, or of POD. "
        "-o wide shows one column per xDS type; -o json|yaml prints istiod's answer as istioctl does."
    )
)
def proxy_status(
    pod: Optional[str] = typer.Argument(None, metavar="[POD[.NAMESPACE]]", help="Only this proxy.", show_default=False),
    files: Optional[list[str]] = typer.Option(None, "-f", "--file", metavar="PATH", help="An istiod's syncz answer (repeatable; name = file stem).", show_default=False),
    revision: Optional[str] = typer.Option(None, "-r", "--revision", help="Only istiods of this revision."),
    output: OutputOption = "short",
) -> None:
    from meshctl.analyze.proxystatus import STATUS_SCHEMA, filter_response, parse_syncz, status_rows, sync_statuses
    from meshctl.errors import SourceError, UsageError
    from meshctl.model.refs import PodRef
    from meshctl.render.goformats import JsonpbWriter
    from meshctl.render.text import tabwrite

    flags = kube_flags()
    namespace = flags.get("namespace", "")
    if files:
        answers = {Path(path).stem: _read(path) for path in files}
        ref = PodRef.parse(pod, namespace or "default") if pod else None
        if ref is not None and ref.kind != "pod":
            raise UsageError(f"with -f, name the proxy as POD.NAMESPACE, not {pod!r} (no cluster to resolve it)")
        proxy_id = str(ref) if ref else ""
    else:
        from meshctl.sources.kube import connect
        from meshctl.sources.pod import fetch_from_istiods, proxy_source

        kube = connect(flags)
        proxy_id = proxy_source(kube, pod, flags).name if pod else ""
        answers = fetch_from_istiods(kube, "debug/syncz", revision=revision, notify=flags.get("notify"))
    # -n filters by namespace only when given (istioctl: all namespaces by default)
    responses = {
        istiod: filter_response(parse_syncz(istiod, data), namespace="" if proxy_id else namespace, proxy_id=proxy_id)
        for istiod, data in sorted(answers.items())
    }
    if output in ("json", "yaml"):
        from meshctl.render.data import to_yaml

        writer = JsonpbWriter(STATUS_SCHEMA)
        # istioctl prints with Fprintln, except on its namespace-filtered path (goldens
        # multiXdsStatusSinglePilot.yaml vs multiXdsStatusSingleNamespace.yaml).
        end = "" if output == "yaml" and namespace and not proxy_id else "\n"
        for response in responses.values():
            text = to_yaml(response)[:-1] if output == "yaml" else writer.dumps(response, "DiscoveryResponse")
            sys.stdout.write(text + end)
        return
    statuses = sync_statuses(responses)
    if not statuses:
        # istioctl status.go: "no proxies found (checked %d istiods)"
        raise SourceError(f"no proxies found (checked {len(responses)} istiods)" + (f" for {proxy_id}" if proxy_id else ""))
    header, rows = status_rows(statuses, verbose=output == "wide")
    sys.stdout.write(tabwrite("".join("\t".join(row) + "\n" for row in [header, *rows])))


def _read(path: str) -> bytes:
    from meshctl.sources.file import FileSource

    return FileSource(path).fetch("debug/syncz")


command = with_kube_options(typer.main.get_command(app))
