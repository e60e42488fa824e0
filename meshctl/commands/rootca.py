"""`meshctl rootca-compare`: do two proxies (or a proxy and istio-ca-root-cert) trust the same roots?

Sides are pods (read over port-forward/exec) or config dump files (`-f`, which istioctl cannot
read). Multi-root bundles are compared root by root. Exit 0 when the sides share a root, 79 when
they share none (istioctl: "non identical ROOTCA").
"""

from __future__ import annotations

from typing import Optional

import typer

from meshctl.commands.options import QueryOption, complete_pods, output_option, with_kube_options
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env

app = typer.Typer(add_completion=False)

OutputOption = output_option("short", ("short", "json", "yaml"))
ROOT_CONFIGMAP, ROOT_CONFIGMAP_KEY = "istio-ca-root-cert", "root-cert.pem"  # istiod's namespace controller


HELP = (
    "Compare the ROOTCA trust bundles of two proxies (POD1 POD2, or -f DUMP files, mixed freely), or of one "
    "proxy with ConfigMap istio-ca-root-cert in its namespace (--configmap). Bundles with several roots are "
    "compared root by root. Exit 79 when the two sides share no root."
)


@app.command(help=HELP)
def rootca_compare(
    ctx: typer.Context,
    pods: Optional[list[str]] = typer.Argument(None, metavar="POD[.NS]", autocompletion=complete_pods, show_default=False),
    files: Optional[list[str]] = typer.Option(None, "-f", "--file", metavar="PATH", help="A config dump file as one side (repeatable).", show_default=False),
    configmap: bool = typer.Option(False, "--configmap", help="Compare with ConfigMap istio-ca-root-cert of the pod's namespace (-n for a file)."),
    output: OutputOption = "short",
    query: QueryOption = None,
) -> None:
    """`meshctl rootca-compare` (its --help text is HELP)."""
    from meshctl.analyze.rootca import compare_roots, comparison_table
    from meshctl.errors import CheckFailed, UsageError

    env = Env.of(ctx)
    pods, files = list(pods or []), list(files or [])
    wanted = 1 if configmap else 2
    if len(pods) + len(files) != wanted:
        shape = "one pod or -f file with --configmap" if configmap else "two sides (pods and/or -f files)"
        raise UsageError(f"rootca-compare needs {shape}; got {len(pods) + len(files)}")
    kube = env.cluster() if pods or configmap else None
    from meshctl.sources.fleet import progress

    sides = []
    with progress(env.terminal.progress and len(pods) > 1, len(pods), "reading pods", env.stderr) as advance:
        for ref in pods:
            sides.append(_pod_side(env, kube, ref))
            advance(False)
    sides += [_file_side(env, path) for path in files]
    if configmap:
        sides.append(_configmap_side(kube, sides[0][2] or kube.namespace))
    (left, left_bundle, _), (right, right_bundle, _) = sides
    comparison = compare_roots(left, left_bundle, right, right_bundle)
    fmt = data_format(output, query)
    if fmt in DATA_FORMATS:
        emit(env, _document(comparison), fmt, query)
    else:
        emit(env, comparison_table(comparison))
    if not comparison.shared:
        raise CheckFailed(comparison.summary())
    if fmt not in DATA_FORMATS:
        emit(env, comparison.summary() + "\n")


def _pod_side(env: Env, kube, ref: str):
    from meshctl.analyze.rootca import root_bundle_from_dump
    from meshctl.decode.configdump import parse
    from meshctl.sources.pod import proxy_source

    source = proxy_source(kube, ref, env.notifier())
    # Only the secrets: a full dump of a big mesh is 100+ MB.
    dump = parse(source.fetch("config_dump?resource=dynamic_active_secrets"))
    namespace = (source.pod.get("metadata") or {}).get("namespace", "")
    return source.name, root_bundle_from_dump(dump, f"pod {source.name}"), namespace


def _file_side(env: Env, path: str):
    from meshctl.analyze.rootca import root_bundle_from_dump
    from meshctl.decode.configdump import parse
    from meshctl.sources.file import FileSource

    return path, root_bundle_from_dump(parse(FileSource(path, stdin=env.binary_stdin()).fetch("config_dump")), f"file {path}"), ""


def _configmap_side(kube, namespace: str):
    from meshctl.analyze.rootca import root_bundle_from_pem
    from meshctl.errors import SourceError

    configmap = kube.read("/api/v1", "configmaps", ROOT_CONFIGMAP, namespace)
    pem = (configmap.get("data") or {}).get(ROOT_CONFIGMAP_KEY)
    where = f"configmap {namespace}/{ROOT_CONFIGMAP}"
    if not pem:
        raise SourceError(f"{where} has no {ROOT_CONFIGMAP_KEY} key")
    return where, root_bundle_from_pem(pem.encode(), where), namespace


def _document(comparison) -> dict:
    """docs/json.md meshctl.rootca-compare/v1."""
    from meshctl.model.document import document

    return document("rootca-compare", {
        "left": comparison.left,
        "right": comparison.right,
        "identical": comparison.identical,
        "sharedRoots": comparison.shared,
        "roots": [
            {"subject": c.subject, "serialNumber": c.serial, "notAfter": c.not_after_rfc3339, "inLeft": a, "inRight": b}
            for c, a, b in comparison.roots
        ],
        "summary": comparison.summary(),
    })


def __getattr__(name: str):
    # `command` is built on first use (cli.py's getattr): `pc --help` imports this module for
    # `pc rootca-compare` only, and building the command costs more than the import.
    if name != "command":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()["command"] = built = with_kube_options(typer.main.get_command(app))
    return built
