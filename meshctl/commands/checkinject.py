"""`meshctl check-inject`: istioctl `x check-inject`'s table, WEBHOOK REVISION INJECTED REASON.

istioctl/pkg/checkinject/checkinject.go: for a pod (or a workload's pod) its labels and its
namespace's labels, or for ``-l k=v,...`` in ``-n NS`` labels a pod would have; each Istio
injector webhook configuration says whether it injects and why (meshctl.analyze.checkinject,
over the webhooks `meshctl webhooks` reads). A workload (deployment/NAME, ...) is judged by its pod
template, so the answer holds for the pods it will create. The injector's own exceptions that
selectors do not show (hostNetwork, system namespaces, an inject=false annotation) are notes on
stderr, as `meshctl webhooks --pod` gives them.
"""

from __future__ import annotations

from typing import Optional

import typer

from meshctl.commands.options import QueryOption, output_option, with_kube_options
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env

app = typer.Typer(add_completion=False)

_WORKLOADS = ("deployment", "statefulset", "daemonset", "replicaset", "replicationcontroller", "job")


@app.command(help=(
    "Check whether a pod, a workload's pods (deployment/NAME, ...) or pods with -l labels in -n NS will be "
    "injected, and why, per Istio injector webhook (istioctl x check-inject's WEBHOOK, REVISION, INJECTED, REASON)."))
def check_inject(
    ctx: typer.Context,
    resource: Optional[str] = typer.Argument(None, metavar="[[TYPE/]NAME[.NAMESPACE]]", show_default=False,
                                             help="A pod, or deployment/, statefulset/, daemonset/, replicaset/, job/ NAME."),
    labels: Optional[str] = typer.Option(None, "-l", "--labels", metavar="K=V,...", show_default=False,
                                         help="Check pod labels in -n NS before any pod exists (split pairs by commas)."),
    output: output_option("short", ("short", "json", "yaml")) = "short",
    query: QueryOption = None,
) -> None:
    """Will it be injected, and why, per injector webhook configuration."""
    from meshctl.analyze.checkinject import MULTIPLE, NO_HOOKS, analyze, check_inject_document, injected_count
    from meshctl.analyze.webhooks import evaluate, injector_notes, injector_webhooks
    from meshctl.errors import UsageError
    from meshctl.render.checkinject import check_inject_text

    env = Env.of(ctx)
    if bool(resource) == (labels is not None):
        raise UsageError("check-inject requires only [<resource-type>/]<resource-name>[.<namespace>], or specify labels flag")
    cluster = env.cluster()
    subject = _subject(cluster, resource, labels)
    namespace_object = cluster.read("/api/v1", "namespaces", subject["namespace"], "")
    namespace_labels = (namespace_object.get("metadata") or {}).get("labels") or {}
    webhooks = injector_webhooks(cluster.list("/apis/admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations"))
    results = analyze(webhooks, subject["labels"], namespace_labels)
    verdicts = evaluate(webhooks, pod_labels=subject["labels"], namespace=subject["namespace"], namespace_labels=namespace_labels)
    notes = [n for n in injector_notes(verdicts, namespace=subject["namespace"], pod_labels=subject["labels"],
                                       pod_annotations=subject["annotations"], host_network=subject["host_network"])
             if "injector webhooks would fire" not in n and "no injector webhook fires" not in n]  # the table says those
    fmt = data_format(output, query)
    if fmt in DATA_FORMATS:
        from meshctl.model.document import document

        emit(env, document("check-inject", {"namespace": subject["namespace"], "labels": subject["labels"],
                                            "webhooks": check_inject_document(results), "notes": notes}), fmt, query)
        return
    if not results:
        env.message(NO_HOOKS)
        return
    emit(env, check_inject_text(results))
    if injected_count(results) > 1:
        env.message(MULTIPLE)
    for note in notes:
        env.message(f"meshctl: note: {note}")


def _subject(cluster, resource: str | None, labels: str | None) -> dict:
    """Labels, annotations, hostNetwork and namespace of the pod to judge."""
    from meshctl.model.labels import parse_label_pairs
    from meshctl.model.refs import PodRef

    if labels is not None:
        return {"namespace": cluster.namespace, "labels": parse_label_pairs(labels), "annotations": {}, "host_network": False}
    ref = PodRef.parse(resource, cluster.namespace)
    obj = cluster.read_object(ref) if ref.kind in _WORKLOADS else cluster.resolve_pod(ref)
    template = ((obj.get("spec") or {}).get("template") or {}) if ref.kind in _WORKLOADS else obj
    meta = template.get("metadata") or {}
    return {"namespace": (obj.get("metadata") or {}).get("namespace") or ref.namespace,
            "labels": dict(meta.get("labels") or {}), "annotations": dict(meta.get("annotations") or {}),
            "host_network": bool((template.get("spec") or {}).get("hostNetwork"))}


command = with_kube_options(typer.main.get_command(app))
