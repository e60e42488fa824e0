"""`meshctl inject-preview POD.NS|deployment/NAME.NS`: injection drift of a live workload.

Renders the workload with the cluster's current injector config (as a new pod would be injected)
and diffs the Istio-relevant parts against a running pod: the drift after an Istio upgrade or a
revision change (another image, args, revision). Exit 79 when they differ.
"""

from __future__ import annotations

import sys

import typer

from meshctl.errors import CheckFailed

app = typer.Typer(add_completion=False)


@app.command(context_settings={"help_option_names": ["-h", "--help"]})
def inject_preview(
    ref: str = typer.Argument(..., metavar="POD[.NS]|TYPE/NAME[.NS]", help="A pod, or a workload (deployment/NAME.NS)."),
    revision: str = typer.Option("", "--revision", "-r", help="Render with this revision's injector (default: the pod's)."),
) -> None:
    """Show how a running pod differs from what the injector would produce now."""
    from meshctl.commands._options import kube_flags
    from meshctl.commands.inject import _cluster_config
    from meshctl.gotemplate import goyaml
    from meshctl.inject import preview
    from meshctl.inject.config import Settings
    from meshctl.inject.pipeline import build_config, inject
    from meshctl.model.refs import PodRef
    from meshctl.sources.kube import _WORKLOAD_PATHS, connect

    flags = kube_flags()
    kube = connect(flags)
    target = PodRef.parse(ref, kube.namespace)
    running = kube.resolve_pod(target)
    if target.kind in ("pod", "service"):
        subject = running
    else:
        prefix, plural = _WORKLOAD_PATHS[target.kind]
        subject = kube.read(prefix, plural, target.name, target.namespace)
    pod_labels = (running.get("metadata") or {}).get("labels") or {}
    revision = revision or ("" if pod_labels.get("istio.io/rev", "default") == "default" else pod_labels["istio.io/rev"])
    cluster = _cluster_config(revision)
    config = build_config(
        inject_config=cluster["inject_config"], values=cluster["values"], mesh=cluster["mesh"],
        settings=Settings(), revision=revision, native_sidecars=cluster["native_sidecars"],
    )
    result = inject(goyaml.marshal(preview.injectable(subject)), config)
    rendered = next(d for d in goyaml.unmarshal_all(result.text, float_numbers=False) if d)
    diff = preview.drift(running, preview.pod_template(rendered))
    name = (running.get("metadata") or {}).get("name", "")
    if not diff:
        print(f"pod {name}: no injection drift (revision {revision or 'default'})", file=sys.stderr)
        return
    sys.stdout.write(diff)
    raise CheckFailed(f"pod {name} differs from what the injector renders now (revision {revision or 'default'})")


from meshctl.commands._options import with_kube_options  # noqa: E402

command = with_kube_options(typer.main.get_command(app))
