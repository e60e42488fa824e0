"""`meshctl check [-n NS | -A] [-l SELECTOR] [POD.NS ...]`: fleet health checks for CI."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from meshctl.commands.options import QueryOption, complete_pods, output_option, with_kube_options
from meshctl.emit import DATA_FORMATS, data_format, emit
from meshctl.env import Env

HELP = """Check every selected sidecar pod, concurrently: admin API reachable, proxy/istiod version
skew, xDS resources warming, workload certificate validity (--cert-warn), ROOTCA vs ConfigMap
istio-ca-root-cert, explain mtls's verdict for every endpoint that is a pod (Istio mTLS to pods
without sidecars, plain text to STRICT sidecars, ...), and an injector webhook for the sidecar's
revision. On an ambient cluster (a ztunnel DaemonSet, or pods enrolled with
istio.io/dataplane-mode), also: a reachable ztunnel on every node with captured pods, pods captured
and known to their ztunnel as HBONE workloads, ztunnel certificates, waypoints programmed and
istio.io/use-waypoint labels naming existing ones. A check whose facts could not be read (or a
snapshot did not record) is UNKNOWN.

Output: a table (POD, CHECK, STATUS, DETAIL), -o json|yaml (schema meshctl.check/v1 in docs/json.md) or -o junit.
One unreachable pod is one failed row. Exit status: 0 when no check reaches --fail-on, 79 when
one does, 130 after Ctrl-C (what finished is printed)."""

OutputOption = output_option("table", ("table", "json", "yaml", "junit"))
CONFIGMAP = "istio-ca-root-cert"

app = typer.Typer(add_completion=False)


@app.command(help=HELP)
def check(
    ctx: typer.Context,
    refs: Annotated[Optional[list[str]], typer.Argument(metavar="POD.NS", autocompletion=complete_pods, show_default=False,
                                                                     help="Pods (or TYPE/NAME.NS) to check instead of listing sidecar pods.")] = None,
    all_namespaces: Annotated[bool, typer.Option("-A", "--all-namespaces", help="Check sidecar pods in every namespace.")] = False,
    selector: Annotated[str, typer.Option("-l", "--selector", metavar="SELECTOR", help="Only pods matching this label selector.")] = "",
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=256, help="Pods checked at the same time.")] = 16,
    cert_warn: Annotated[str, typer.Option("--cert-warn", metavar="DURATION", help="Warn when the workload cert expires within this (e.g. 24h, 7d).")] = "24h",
    fail_on: Annotated[str, typer.Option("--fail-on", metavar="warning|error", help="Lowest status that makes the exit status 79.")] = "error",
    output: OutputOption = "table",
    query: QueryOption = None,
) -> None:
    """`meshctl check` (its --help text is HELP)."""
    import dataclasses

    from meshctl.analyze import check as rules
    from meshctl.errors import CheckFailed, ExitStatus, UsageError
    from meshctl.sources import fleet

    env = Env.of(ctx)
    if fail_on not in rules.FAIL_ON:
        raise UsageError(f"--fail-on {fail_on!r}: use warning or error")
    warn_within = rules.parse_duration(cert_warn, "--cert-warn")
    kube = env.cluster()
    pods = fleet.select_proxy_pods(kube, namespace=env.kube.namespace, all_namespaces=all_namespaces, selector=selector, refs=refs or ())
    mesh = mesh_facts(kube, pods, now=env.now(), cert_warn=warn_within)
    port = env.kube.proxy_admin_port
    # Two passes: per-pod rules while each dump is held, then the traffic rule, which needs every
    # pod's inbound side (small facts kept from the first pass), so it agrees with explain mtls.
    run = fleet.run_each(pods, lambda pod: rules.first_pass(pod_facts(kube, pod, port), mesh), concurrency=concurrency, label="checking pods",
                         stream=env.stderr, progress=env.terminal.progress)  # fmt: skip
    finished = list(run)  # (the collector is paused for the run: cli.main)
    servers = {result.value.pod.name: result.value.server for result in finished if result.status == fleet.OK and result.value.server}
    mesh = dataclasses.replace(mesh, servers=servers)
    reports = [pod_report(result, mesh) for result in finished]
    if not refs and not run.interrupted:
        reports += ambient_reports(env, kube, all_namespaces=all_namespaces, selector=selector, cert_warn=warn_within)
    report = rules.Report(rules.sort_pods(reports), fail_on=fail_on, interrupted=run.interrupted)
    fmt = data_format(output, query)
    if fmt in DATA_FORMATS:
        emit(env, rules.report_document(report), fmt, query)
    elif output == "junit":
        from meshctl.render.check import junit_text

        emit(env, junit_text(report))
    else:
        emit(env, rules.report_table(report))
    if run.interrupted:
        env.message(f"meshctl: interrupted: {report.counts()['notChecked']} of {len(pods)} pods not checked")
        raise typer.Exit(ExitStatus.INTERRUPTED)
    if report.failing:
        raise CheckFailed(report.failing_summary())


def ambient_reports(env, kube, *, all_namespaces: bool, selector: str, cert_warn) -> list:
    """The ambient checks (meshctl.analyze.ambient_check) when the cluster runs ztunnels or the
    selection has pods enrolled in ambient; one report per ztunnel, ambient pod and waypoint."""
    from meshctl.analyze.ambient_check import run_ambient_checks
    from meshctl.analyze.check import UNKNOWN, UNKNOWN_FACT, CheckResult, PodReport
    from meshctl.commands.ambient_facts import check_facts
    from meshctl.errors import MeshctlError
    from meshctl.model.tabular import Finding

    try:
        facts = check_facts(env, kube, namespace=env.kube.namespace or kube.namespace, all_namespaces=all_namespaces,
                            selector=selector, now=env.now(), cert_warn=cert_warn)  # fmt: skip
    except MeshctlError as exc:  # pods or namespaces not listable: unknown, not passed
        finding = Finding(UNKNOWN_FACT, "ambient-unknown", f"unknown: ambient checks not run: {exc}", "ambient")
        return [PodReport("ambient", "", (CheckResult("ambient", UNKNOWN, (finding,)),))]
    return run_ambient_checks(facts) if facts is not None else []


def pod_facts(kube, pod: dict, port: int):
    """Fetch the pod's config dump (with EDS); an unreachable or unreadable admin API is a fact, not an error."""
    from meshctl.analyze.check import PodFacts
    from meshctl.errors import MeshctlError
    from meshctl.model.pods import proxy_admin, proxy_container
    from meshctl.sources.pod import PodSource

    meta = pod.get("metadata") or {}
    proxy = proxy_container(pod) or {}
    facts = {"name": f"{meta.get('name')}.{meta.get('namespace')}", "namespace": str(meta.get("namespace", "")),
             "labels": meta.get("labels") or {}, "annotations": meta.get("annotations") or {}, "proxy_image": str(proxy.get("image", ""))}  # fmt: skip
    source = PodSource(kube, pod=pod, endpoint=proxy_admin(port))
    try:
        return PodFacts(**facts, dump=_parse(source.fetch("config_dump?include_eds")))
    except MeshctlError as exc:
        return PodFacts(**facts, admin_error=str(exc))


def _parse(data: bytes):
    """The pod's config dump; a body that is not JSON is the pod's failure, worded for the admin API."""
    import orjson

    from meshctl.decode.configdump import from_object
    from meshctl.errors import DecodeError

    try:
        return from_object(orjson.loads(data))
    except orjson.JSONDecodeError:
        raise DecodeError("the admin API answered /config_dump with data that is not JSON (truncated?)") from None


def pod_report(result, mesh):
    """A fleet result as the pod's report: its check results (the second pass run), a failed row, or not checked."""
    from meshctl.analyze.check import FAIL, CheckResult, PodReport, second_pass
    from meshctl.model.tabular import Finding
    from meshctl.sources.fleet import FAILED, NOT_CHECKED, failure_message

    namespace = str((result.pod.get("metadata") or {}).get("namespace", ""))
    if result.status == NOT_CHECKED:
        return PodReport(result.name, namespace, not_checked=result.error)
    error = result.error
    if result.status != FAILED:
        try:
            return PodReport(result.name, namespace, tuple(second_pass(result.value, mesh)))
        except Exception as exc:  # as run_each does for the first pass: a crash is this pod's row, not the run's end
            error = failure_message(exc)
    # a rule crashed on this pod's data: report it as the pod's one failed row
    return PodReport(result.name, namespace, (CheckResult("-", FAIL, (Finding("error", "internal", error, result.name),)),))


def mesh_facts(kube, pods: list[dict], *, now, cert_warn):
    """istiod versions, injector webhooks, every pod (sidecar or not) and istio-ca-root-cert per namespace, fetched concurrently.

    Each is optional: a denied or failed read leaves that fact unknown (the rules say so) instead
    of failing the run.
    """
    from concurrent.futures import ThreadPoolExecutor

    from meshctl.analyze.check import MeshFacts, istiod_versions, webhook_revisions
    from meshctl.analyze.webhooks import injector_webhooks
    from meshctl.errors import MeshctlError, SourceError
    from meshctl.model.mesh import PodIndex

    namespaces = sorted({str((p.get("metadata") or {}).get("namespace", "")) for p in pods})
    reads = {
        "istiod": lambda: istiod_versions(kube.list("/api/v1", "pods", kube.options.istio_namespace, "app=istiod")),
        "webhooks": lambda: webhook_revisions(injector_webhooks(kube.list("/apis/admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations"))),
        "pods": lambda: PodIndex.of(all_pods()),
    }

    def all_pods() -> list[dict]:
        from meshctl.sources.snapshot import NotRecorded

        try:
            return kube.list("/api/v1", "pods")
        except NotRecorded:
            raise  # a snapshot without them: unknown, not the selected sidecar pods alone
        except SourceError:  # no cluster-wide list: the selected namespaces still cover most endpoints
            return [p for namespace in namespaces for p in kube.list("/api/v1", "pods", namespace)]

    def root_cert(namespace: str):
        try:
            configmap = kube.read("/api/v1", "configmaps", CONFIGMAP, namespace)
        except SourceError as exc:
            if str(exc).startswith("configmap "):  # kube.read's not-found message
                return None
            raise
        return str((configmap.get("data") or {}).get("root-cert.pem", "")).encode()

    for namespace in namespaces:
        reads[f"configmap:{namespace}"] = lambda namespace=namespace: root_cert(namespace)
    found, unknown = {}, {}
    with ThreadPoolExecutor(max_workers=min(8, len(reads))) as pool:
        futures = {key: pool.submit(read) for key, read in reads.items()}
        for key, future in futures.items():
            try:
                found[key] = future.result()
            except MeshctlError as exc:
                unknown[key] = str(exc)
    return MeshFacts(
        now=now, cert_warn=cert_warn, istiod_versions=found.get("istiod"), webhook_revisions=found.get("webhooks"),
        root_certs={ns: found[f"configmap:{ns}"] for ns in namespaces if f"configmap:{ns}" in found},
        pods=found.get("pods") or PodIndex.unread(unknown.get("pods", "")), unknown=unknown,
    )  # fmt: skip


command = with_kube_options(typer.main.get_command(app))
