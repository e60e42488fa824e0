"""`meshctl inject-preview POD.NS|deployment/NAME.NS`: injection drift of a live workload.

Renders the workload with the cluster's current injector config (as a new pod would be injected)
and diffs the Istio-relevant parts against a running pod: the drift after an Istio upgrade or a
revision change (another image, args, revision). Exit 79 when they differ.
"""

from __future__ import annotations

from typing import Optional

import typer

from meshctl.commands import _template_options as tmpl
from meshctl.commands.inject import revision_option
from meshctl.commands.options import QueryOption, complete_pods, output_option
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env
from meshctl.errors import CheckFailed

app = typer.Typer(add_completion=False)
PreviewOutput = output_option("diff", ("diff", "json", "yaml"))


@app.command(context_settings={"help_option_names": ["-h", "--help"]})
def inject_preview(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="POD[.NS]|TYPE/NAME[.NS]", autocompletion=complete_pods, help="A pod, or a workload (deployment/NAME.NS)."),
    revision: Optional[str] = revision_option(
        "Render with this revision's injector ('default' means none). Not given: the revision of the injector "
        "webhook that fires now for the workload's pod labels and namespace, as for a restarted pod; when none "
        "fires, the drift is the sidecar going away (exit 79)."
    ),
    webhook: bool = typer.Option(False, "--webhook", help="Render with the cluster's injector webhook (port-forward to istiod)."),
    output: PreviewOutput = "diff",
    query: QueryOption = None,
    template_max_steps: int = tmpl.max_steps_option(),
    template_max_output: int = tmpl.max_output_option(),
    max_yaml_alias_nodes: int = tmpl.yaml_alias_nodes_option(),
) -> None:
    """Show how a running pod differs from what the injector would produce now."""
    from dataclasses import replace

    from meshctl.commands.inject import (
        choose_revision,
        cluster_config,
        connect_for_injection,
        open_webhook,
        report_choice,
        webhook_configurations,
    )  # fmt: skip
    from meshctl.goenc import goyaml
    from meshctl.gotemplate.host import HostAccess
    from meshctl.inject import preview
    from meshctl.inject.config import Settings
    from meshctl.inject.pipeline import build_config, inject
    from meshctl.inject.revision import Workload
    from meshctl.model.refs import PodRef

    env = Env.of(ctx)
    fmt = data_format(output, query)
    tmpl.limit_yaml_aliases(max_yaml_alias_nodes)
    kube = connect_for_injection(env)
    target = PodRef.parse(ref, kube.namespace)
    running = kube.resolve_pod(target)
    # A service has no pod template: the pod it selects stands for it.
    subject = running if target.kind in ("pod", "service") else kube.read_object(target)
    name = (running.get("metadata") or {}).get("name", "")
    configurations = choice = None
    if revision is None:
        configurations = webhook_configurations(kube)
        new_pod = _new_pod(kube, subject)
        labels = (new_pod.get("metadata") or {}).get("labels") or {}
        choice = choose_revision(env, kube, configurations, [Workload(f"{target.kind}/{target.name}", target.namespace, labels)])
        if choice.webhook is None:
            # Nothing would inject a restarted pod: the drift is the sidecar going away.
            diff = preview.drift(running, new_pod)
            _print(env, fmt, query, f"{target.namespace}/{name}", "no injector webhook fires", diff)
            raise CheckFailed(f"pod {name}: {choice.explanation()[0]}: a restarted pod now gets no sidecar "
                              "(`meshctl webhooks --pod` shows why)")  # fmt: skip
        report_choice(env, choice)
    revision = choice.revision if choice else ("" if revision == "default" else revision)
    cluster = cluster_config(env, kube, revision)
    config = build_config(
        inject_config=cluster["inject_config"], values=cluster["values"], mesh=cluster["mesh"],
        settings=Settings(), revision=revision, native_sidecars=cluster["native_sidecars"],
        host=HostAccess.isolated(cluster["origin"]),  # cluster templates get no local environment or network
        limits=tmpl.limits(template_max_steps, template_max_output),
    )
    source = goyaml.marshal(preview.injectable(subject))
    with tmpl.limit_errors("failed to run injection template: "):
        if webhook:
            with open_webhook(kube, configurations, choice, revision) as injector:
                result = inject(source, replace(config, external_injector=injector))
        else:
            result = inject(source, config)
    rendered = next(d for d in goyaml.unmarshal_all(result.text, float_numbers=False) if d)
    diff = preview.drift(running, preview.pod_template(rendered))
    source_name = f"revision {revision or 'default'}" + (f" via webhook {choice.webhook.configuration}" if choice else "")
    _print(env, fmt, query, f"{target.namespace}/{name}", source_name, diff)
    if not diff:
        env.message(f"pod {name}: no injection drift ({source_name})")
        return
    raise CheckFailed(f"pod {name} differs from what the injector renders now ({source_name})")


def _print(env: Env, fmt: str, query, pod: str, source: str, diff: str) -> None:
    """The drift: the unified diff as it is, or docs/json.md meshctl.inject-preview/v1."""
    if fmt in DATA_FORMATS:
        from meshctl.model.document import document

        emit(env, document("inject-preview", {"pod": pod, "renderedWith": source, "drift": bool(diff), "diff": diff}), fmt, query)
    elif diff:
        env.write(diff)


def _new_pod(kube, subject: dict) -> dict:
    """The pod template a new pod would be created from: a running pod's controller's template when it has one
    (a running pod carries the labels injection added, and any set on the pod by hand since)."""
    from meshctl.inject.preview import pod_template
    from meshctl.model.refs import WORKLOAD_KINDS, PodRef

    meta = subject.get("metadata") or {}
    if subject.get("kind") == "Pod":
        owner = next((r for r in meta.get("ownerReferences") or [] if r.get("controller")), None)
        kind = str((owner or {}).get("kind", "")).lower()
        if kind != "pod" and kind in WORKLOAD_KINDS:
            subject = kube.read_object(PodRef(kind, owner.get("name", ""), meta.get("namespace", "")))
    return pod_template(subject)


from meshctl.commands.options import with_kube_options  # noqa: E402

command = with_kube_options(typer.main.get_command(app))
