"""`meshctl describe pod|svc`: istioctl `x describe`, then each fact checked against Envoy.

Reads what istioctl reads (istioctl/pkg/describe/describe.go): the pod (or the Service and the pods
it selects), the Services of its namespace, its sidecar's config dump, the Istio resources the
dump's metadata names, the PeerAuthentications of its namespace and of the mesh's root namespace
(mesh config ``istio[-REV]``), and the ingress gateways (``istio=ingressgateway`` pods, their
Services and config dumps). Istio resources are listed once for all namespaces (per namespace
when RBAC refuses that), at the newest API version the cluster serves.

istioctl's text comes first (meshctl.render.describe), then meshctl's checks; exit 79 when a
check finds a mismatch between the API's intent and the proxy's config (``-o json`` has them too).
"""

from __future__ import annotations

from typing import Optional

import typer

from meshctl.commands.options import QueryOption, complete_pods, output_option, with_kube_options
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Describe a pod or service and the Istio configuration that affects it (istioctl x describe).")

IgnoreUnmeshed = typer.Option(False, "--ignoreUnmeshed", "--ignore-unmeshed", help="Suppress warnings for unmeshed pods.")
Checks = typer.Option(True, "--checks/--no-checks", help="Check each fact against the proxy's Envoy config (exit 79 on a mismatch).")
Output = output_option("short", ("short", "json", "yaml"))



POD_HELP = ("Analyze a pod, its Services, DestinationRules and VirtualServices, and report the configuration objects "
            "that affect it; then check each against the pod's Envoy config.")
SERVICE_HELP = ("Analyze a service, its pods, DestinationRules and VirtualServices, and report the configuration objects "
                "that affect it; then check each against its first pod's Envoy config.")


@app.command("pod", help=POD_HELP)
def describe_pod(
    ctx: typer.Context,
    pod: str = typer.Argument(..., metavar="POD[.NS]", autocompletion=complete_pods, help="The pod (or TYPE/NAME of a workload)."),
    ignore_unmeshed: bool = IgnoreUnmeshed,
    checks: bool = Checks,
    output: Output = "short",
    query: QueryOption = None,
) -> None:
    """Describe a pod: istioctl's text, then the checks against its Envoy."""
    from meshctl.analyze.describe import is_meshed, pod_report, revision_of
    from meshctl.model.refs import PodRef
    from meshctl.render.describe import pod_text

    env = Env.of(ctx)
    cluster = env.cluster()
    described = env.kube.namespace or cluster.namespace
    target = cluster.resolve_pod(PodRef.parse(pod, described))
    namespace = target["metadata"]["namespace"]
    services = cluster.list("/api/v1", "services", namespace)
    # istioctl fails when a sidecar does not answer, unless told to ignore unmeshed pods
    dump = _config_dump(env, target, required=not ignore_unmeshed) if is_meshed(target) else None
    ingress, root_namespace, config = _istio_context(env, namespace, revision_of(target), [dump] if dump else [])
    namespace_labels = (cluster.read("/api/v1", "namespaces", namespace, "").get("metadata") or {}).get("labels") or {}
    report = pod_report(target, services, dump, config, root_namespace=root_namespace, ingress=ingress,
                        namespace_labels=namespace_labels)
    text = pod_text(target, services, dump, config, namespace=described, root_namespace=root_namespace,
                    ingress=ingress, ignore_unmeshed=ignore_unmeshed)
    _finish(env, text, report, checks, output, query)


@app.command("service", help=SERVICE_HELP)
def describe_service(
    ctx: typer.Context,
    service: str = typer.Argument(..., metavar="SERVICE[.NAMESPACE]", help="The service."),
    ignore_unmeshed: bool = IgnoreUnmeshed,
    checks: bool = Checks,
    output: Output = "short",
    query: QueryOption = None,
) -> None:
    """Describe a service: istioctl's text, then the checks against its first pod's Envoy."""
    from meshctl.analyze.describe import service_report, sidecar_readiness
    from meshctl.model.labels import LabelSelector
    from meshctl.model.refs import PodRef
    from meshctl.render.describe import service_text

    env = Env.of(ctx)
    cluster = env.cluster()
    described = env.kube.namespace or cluster.namespace
    ref = PodRef.parse(service, described)
    target = cluster.read("/api/v1", "services", ref.name, ref.namespace)
    selector = (target.get("spec") or {}).get("selector") or {}
    pods = cluster.list("/api/v1", "pods", ref.namespace, str(LabelSelector.from_map(selector))) if selector else []
    first = next((p for p in pods if not sidecar_readiness(p)), None)
    dumps = {}
    if first is not None:
        key = f"{first['metadata']['name']}.{first['metadata']['namespace']}"
        # describe.go describePodServices: with --ignoreUnmeshed an unreachable sidecar is no error
        dump = _config_dump(env, first, required=not ignore_unmeshed)
        if dump is not None:
            dumps[key] = dump
    ingress, root_namespace, config = _istio_context(env, ref.namespace, "", list(dumps.values()))
    report = service_report(target, pods, dumps, config, root_namespace=root_namespace, ingress=ingress)
    text = service_text(target, pods, dumps, config, namespace=described, ingress=ingress)
    _finish(env, text, report, checks, output, query)


def _istio_context(env: Env, namespace: str, revision: str, dumps: list):
    """(ingress gateways, the mesh's root namespace, the Istio resources) for a workload in `namespace`."""
    from meshctl.analyze.describe import IstioConfig, referenced_namespaces

    ingress = _ingress(env)
    root_namespace = _root_namespace(env, revision)
    namespaces = {namespace, root_namespace, *referenced_namespaces([*dumps, *ingress.dumps.values()])}
    return ingress, root_namespace, IstioConfig(**_istio_resources(env, namespaces))


def _finish(env: Env, text: str, report, checks: bool, output: str, query: Optional[str]) -> None:
    from meshctl.errors import ExitStatus
    from meshctl.render.describe import checks_text

    for warning in report.warnings:
        env.warn(warning)
    fmt = data_format(output, query)
    if fmt in DATA_FORMATS:
        emit(env, report.document, fmt, query)
    else:
        emit(env, text + (checks_text(report.checks) if checks else ""))
    if checks and report.mismatches:
        raise typer.Exit(ExitStatus.CHECK_FAILED)


def _config_dump(env: Env, pod: dict, *, required: bool = False):
    """The pod's Envoy config dump; None when unreachable (SourceError when `required`)."""
    from meshctl.decode.configdump import parse
    from meshctl.errors import SourceError
    from meshctl.model.pods import proxy_admin
    from meshctl.sources.pod import PodSource

    source = PodSource(env.cluster(), pod=pod, endpoint=proxy_admin(env.kube.proxy_admin_port), notify=env.notifier())
    try:
        return parse(source.fetch("config_dump"))
    except SourceError as exc:
        if required:
            raise SourceError(f"failed to execute command on sidecar: {exc}") from None
        return None


def _ingress(env: Env):
    """Running ingress gateway pods in every namespace, their namespaces' Services, their config dumps."""
    from meshctl.analyze.describe import IngressGateway
    from meshctl.errors import SourceError
    from meshctl.model.istio import INGRESS_SELECTOR
    from meshctl.model.pods import pod_key

    cluster = env.cluster()
    try:
        pods = [p for p in cluster.list("/api/v1", "pods", "", INGRESS_SELECTOR)
                if (p.get("status") or {}).get("phase") == "Running"]
    except SourceError as exc:
        env.warn(f"Could not find ingress gateway pods: {exc}")
        return IngressGateway()
    services = [s for ns in sorted({p["metadata"]["namespace"] for p in pods}) for s in _list_or_empty(env, "/api/v1", "services", ns)]
    dumps = {}
    for pod in pods:
        dump = _config_dump(env, pod)
        if dump is not None:
            dumps[pod_key(pod)] = dump
    return IngressGateway(pods, services, dumps)


def _list_or_empty(env: Env, prefix: str, plural: str, namespace: str = "") -> list[dict]:
    from meshctl.errors import SourceError

    try:
        return env.cluster().list(prefix, plural, namespace)
    except SourceError as exc:
        env.warn(str(exc))
        return []


def _root_namespace(env: Env, revision: str) -> str:
    """meshConfig.rootNamespace from the ``istio[-REV]`` ConfigMap (describe.go getMeshConfig); the
    Istio namespace (mesh.DefaultMeshConfig's istio-system) when it cannot be read."""
    from meshctl.errors import SourceError
    from meshctl.goenc import goyaml

    istio_namespace = env.kube.istio_namespace
    name = "istio" if revision in ("", "default") else f"istio-{revision}"
    try:
        configmap = env.cluster().read("/api/v1", "configmaps", name, istio_namespace)
        # the cluster's text: go-yaml's rules and alias limit, as istiod reads it
        mesh = goyaml.unmarshal((configmap.get("data") or {}).get("mesh") or "", float_numbers=False) or {}
        root = mesh.get("rootNamespace")
        return root if isinstance(root, str) and root else istio_namespace
    except (SourceError, goyaml.YAMLError, AttributeError) as exc:
        env.warn(f"failed to fetch mesh config (using root namespace {istio_namespace}): {str(exc).splitlines()[0]}")
        return istio_namespace


def _istio_resources(env: Env, namespaces: set[str]) -> dict[str, list[dict]]:
    """Each Istio resource kind at the newest version served: every namespace in one list, else
    (RBAC) the namespaces that matter; a kind the cluster does not serve is empty, with a warning."""
    from meshctl.errors import SourceError
    from meshctl.model.istio import DESCRIBE_RESOURCES
    from meshctl.sources.istio import list_istio

    found = {}
    for key, resource in DESCRIBE_RESOURCES.items():
        try:
            listed = list_istio(env.cluster(), resource)
        except SourceError:
            listed = ([item for ns in sorted(namespaces) for item in _namespace_istio(env, resource, ns)], "")
        if listed is None:
            env.warn(f"{resource.plural}.{resource.group} is not served by the cluster (no Istio CRDs?)")
        found[key] = listed[0] if listed else []
    return found


def _namespace_istio(env: Env, resource, namespace: str) -> list[dict]:
    from meshctl.errors import SourceError
    from meshctl.sources.istio import list_istio

    try:
        return (list_istio(env.cluster(), resource, namespace) or ([], ""))[0]
    except SourceError as exc:
        env.warn(str(exc))
        return []


# istioctl's aliases: `describe po`, `describe svc`
app.command("po", hidden=True, help=POD_HELP)(describe_pod)
app.command("svc", hidden=True, help=SERVICE_HELP)(describe_service)

command = with_kube_options(typer.main.get_group(app))
