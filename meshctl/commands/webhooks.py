"""`meshctl webhooks`: the sidecar injector webhooks, and which would fire for a pod and why."""

from __future__ import annotations

from typing import Optional

import typer

from meshctl.commands._template_options import limit_yaml_aliases, yaml_alias_nodes_option
from meshctl.commands.options import QueryOption, complete_pods, output_option, with_kube_options
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env

app = typer.Typer(add_completion=False)

OutputOption = output_option("short", ("short", "json", "yaml"))


@app.command(
    help=(
        "List MutatingWebhookConfigurations that look like Istio's sidecar injector (service, path, "
        "failurePolicy, selectors, caBundle subject/expiry). With --pod POD[.NS], or --labels k=v "
        "(and -n NS), evaluate the selectors: which webhook would fire, why, and which ConfigMaps feed it."
    )
)
def webhooks(
    ctx: typer.Context,
    pod: Optional[str] = typer.Option(None, "--pod", metavar="POD[.NS]", autocompletion=complete_pods, help="Evaluate for this pod's labels and namespace.", show_default=False),
    labels: Optional[str] = typer.Option(None, "--labels", metavar="K=V,...", help="Evaluate for a pod with these labels (in -n NS).", show_default=False),
    namespace_labels: Optional[str] = typer.Option(None, "--namespace-labels", metavar="K=V,...", help="The namespace's labels (default: read from the cluster; required with -f).", show_default=False),  # noqa: E501
    file: Optional[str] = typer.Option(None, "-f", "--file", metavar="PATH", help="Read webhook configurations from a file (kubectl get mutatingwebhookconfigurations -o yaml).", show_default=False),
    output: OutputOption = "short",
    query: QueryOption = None,
    max_yaml_alias_nodes: int = yaml_alias_nodes_option(),
) -> None:
    """`meshctl webhooks` (its --help text is the decorator's)."""
    from meshctl.analyze import webhooks as analysis
    from meshctl.errors import UsageError
    from meshctl.model.document import document
    from meshctl.model.labels import parse_label_pairs

    env = Env.of(ctx)
    fmt = data_format(output, query)
    limit_yaml_aliases(max_yaml_alias_nodes)
    if pod and labels:
        raise UsageError("give --pod or --labels, not both")
    kube = None
    if file:
        configurations = _read_list(env, file)
    else:
        kube = env.cluster()
        configurations = kube.list("/apis/admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations")
    found = analysis.injector_webhooks(configurations)
    if not pod and labels is None:
        if fmt in DATA_FORMATS:
            emit(env, document("webhooks", {"webhooks": [analysis.webhook_document(w) for w in found]}), fmt, query)
            return
        table = analysis.webhook_table(found)
    else:
        subject = _subject(kube, pod, labels, env.kube.namespace, namespace_labels, parse_label_pairs)
        verdicts = analysis.evaluate(found, pod_labels=subject["labels"], namespace=subject["namespace"],
                                     namespace_labels=subject["namespace_labels"])  # fmt: skip
        notes = analysis.injector_notes(verdicts, namespace=subject["namespace"], pod_labels=subject["labels"],
                                        pod_annotations=subject["annotations"], host_network=subject["host_network"])  # fmt: skip
        if fmt in DATA_FORMATS:
            emit(env, document("webhook-verdicts", {"pod": subject["name"], "namespace": subject["namespace"],
                                                    "webhooks": [analysis.verdict_document(v) for v in verdicts], "notes": notes}), fmt, query)  # fmt: skip
            return
        table = analysis.verdict_table(verdicts)
        for note in notes:
            env.message(f"meshctl: note: {note}")
    emit(env, table)


def _subject(kube, pod_ref, labels, namespace, namespace_labels, parse_label_pairs) -> dict:
    """The pod (real or described by --labels) and its namespace's labels."""
    from meshctl.errors import UsageError
    from meshctl.model.refs import PodRef

    if pod_ref:
        if kube is None:
            raise UsageError("--pod needs a cluster; with -f use --labels and --namespace-labels")
        pod = kube.resolve_pod(PodRef.parse(pod_ref, kube.namespace))
        meta = pod.get("metadata") or {}
        name, namespace = meta.get("name", ""), meta.get("namespace", "")
        pod_labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
        host_network = bool((pod.get("spec") or {}).get("hostNetwork"))
    else:
        name, namespace = "", namespace or (kube.namespace if kube else "default")
        pod_labels, annotations, host_network = parse_label_pairs(labels or ""), {}, False
    if namespace_labels is not None:
        ns_labels = parse_label_pairs(namespace_labels)
    elif kube is not None:
        ns_object = kube.read("/api/v1", "namespaces", namespace, "")
        ns_labels = (ns_object.get("metadata") or {}).get("labels") or {}
    else:
        raise UsageError("with -f, give the namespace's labels with --namespace-labels (may be empty: '')")
    return {"name": name, "namespace": namespace, "labels": pod_labels, "annotations": annotations,
            "host_network": host_network, "namespace_labels": ns_labels}  # fmt: skip


def _read_list(env: Env, path: str) -> list[dict]:
    """Webhook configurations from a List, a single object, or a multi-document YAML file."""
    from meshctl.errors import DecodeError
    from meshctl.goenc import goyaml
    from meshctl.sources.file import FileSource

    try:  # as kubectl reads it: go-yaml's rules, its alias limit included
        documents = [d for d in goyaml.unmarshal_all(FileSource(path, stdin=env.binary_stdin()).fetch(""), float_numbers=False) if d]
    except goyaml.YAMLError as exc:
        raise DecodeError(f"{path} is not YAML/JSON: {exc}") from None
    items = []
    for document in documents:
        if not isinstance(document, dict):
            raise DecodeError(f"{path}: expected Kubernetes objects, found {type(document).__name__}")
        items.extend((document.get("items") or []) if "items" in document else [document])
    configurations = [i for i in items if isinstance(i, dict) and i.get("kind", "MutatingWebhookConfiguration") == "MutatingWebhookConfiguration"]
    if not configurations:
        raise DecodeError(f"{path} holds no MutatingWebhookConfiguration")
    for configuration in configurations:  # a crafted file: the shape the analysis reads, or one line
        webhooks = configuration.get("webhooks") or []
        if not isinstance(configuration.get("metadata") or {}, dict) or not isinstance(webhooks, list) or not all(isinstance(w, dict) for w in webhooks):
            raise DecodeError(f"{path}: a MutatingWebhookConfiguration whose metadata or webhooks have the wrong type")
    return configurations


command = with_kube_options(typer.main.get_command(app))
