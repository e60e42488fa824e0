"""`meshctl inject --dry-run`: Istio's sidecar injection, offline, exactly as istioctl kube-inject.

Reads workloads from -f FILE or stdin and prints them injected. The injector config comes from files
(istioctl's flag spellings, plus kebab-case aliases). meshctl never writes to a cluster.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from meshctl.errors import SourceError, UsageError

OUTPUT_FORMATS = ("yaml", "json", "patch")


def _read(path: str | None, what: str) -> str | None:
    if path is None:
        return None
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise SourceError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


app = typer.Typer(add_completion=False)


@app.command(context_settings={"help_option_names": ["-h", "--help"]})
def inject_command(
    filename: str = typer.Option(None, "-f", "--filename", help="Input Kubernetes resource filename ('-' or omitted: stdin)."),
    output: str = typer.Option(
        "yaml", "-o", "--output",
        help="yaml | json | patch (the webhook's JSONPatch); any other value is a file to write, as istioctl's -o.",
    ),
    inject_config_file: str = typer.Option(
        None, "--injectConfigFile", "--inject-config-file",
        help="Injection config (the istio-sidecar-injector ConfigMap's `config`, a bare template, or the ConfigMap).",
    ),
    values_file: str = typer.Option(None, "--valuesFile", "--values-file", help="Injection values (the ConfigMap's `values`)."),
    mesh_config_file: str = typer.Option(
        None, "--meshConfigFile", "--mesh-config-file", help="Mesh config file (Istio's defaults fill what it leaves out)."
    ),
    operator_file: str = typer.Option(
        None, "--operatorFileName", "--operator-file-name", help="IstioOperator file: its values and meshConfig apply."
    ),
    set_values: list[str] = typer.Option([], "--set", help="Override a value, e.g. --set values.global.proxy.image=proxyv2 (repeatable)."),
    native_sidecars: str = typer.Option(
        "auto", "--native-sidecars",
        help="auto | on | off. auto: on when every node's kubelet is >= 1.33 (cluster mode), off with config files.",
    ),
    revision: str = typer.Option("", "--revision", "-r", help="Control plane revision ('default' means none)."),
    diff: bool = typer.Option(False, "--diff", help="Show a unified diff of input vs injected output."),
    explain: bool = typer.Option(False, "--explain", help="Explain the decisions (templates, interception, probes, ...) on stderr."),
    compliance_policy: str = typer.Option(
        "", "--compliance-policy", help="istiod's COMPLIANCE_POLICY, e.g. fips-140-3 (adds COMPLIANCE_POLICY/GODEBUG to the proxy).",
    ),
    platform: str = typer.Option(
        "", "--platform", help="openshift: take the proxy UID/GID from the namespace's SCC ranges (read from the cluster, -n).",
    ),
    webhook: bool = typer.Option(
        False, "--webhook", help="Ask the cluster's injector webhook (port-forward to istiod); with --diff, show how it differs from the local render.",
    ),
    dry_run: bool = typer.Option(True, "--dry-run/--no-dry-run", help="Only print the result (meshctl never writes to a cluster)."),
) -> None:
    """Inject the Istio sidecar into workloads offline and print the result."""
    from meshctl.inject.pipeline import inject, unified_diff

    if not dry_run:
        raise UsageError("only --dry-run is supported: meshctl prints the injected objects and never applies them")
    if native_sidecars not in ("auto", "on", "off"):
        raise UsageError(f"--native-sidecars must be auto, on or off, not {native_sidecars!r}")
    fmt, out_path = (output, None) if output in OUTPUT_FORMATS else ("yaml", output)
    revision = "" if revision == "default" else revision
    injection = _injection_config(
        inject_config_file, values_file, mesh_config_file, operator_file, set_values, native_sidecars, revision, platform
    )
    injection.compliance_policy = compliance_policy
    source = _read(filename or "-", "input")
    result = _inject_with_webhook(source, injection, revision) if webhook else inject(source, injection)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    if webhook and diff:
        color = sys.stdout.isatty() and not _no_color()
        text = unified_diff(inject(source, injection).text, result.text, color=color, names=("local", "webhook"))
    else:
        text = _format(result, source, fmt, diff)
    if out_path:
        Path(out_path).write_text(text)
    else:
        sys.stdout.write(text)
    if explain:
        _explain(result.decisions)


def _injection_config(inject_config_file, values_file, mesh_config_file, operator_file, set_values, native_sidecars,
                      revision, platform):
    """The InjectionConfig from the files given; what they leave out comes from the cluster."""
    from meshctl.inject import config as cfg
    from meshctl.inject.pipeline import build_config

    settings = cfg.Settings()
    if operator_file:
        settings.apply_operator(_read(operator_file, "IstioOperator file"))
    for assignment in set_values:
        settings.apply_set(assignment)
    texts = {
        "inject_config": _read(inject_config_file, "injection config"),
        "values": _read(values_file, "values file"),
        "mesh": _read(mesh_config_file, "mesh config file"),
    }
    native = native_sidecars == "on"
    if texts["inject_config"] is None:
        # istioctl kube-inject without files: the cluster's ConfigMaps (files given still win).
        cluster = _cluster_config(revision)
        texts = {k: v if v is not None else cluster[k] for k, v in texts.items()}
        if native_sidecars == "auto":
            native = cluster["native_sidecars"]
    injection = build_config(**texts, settings=settings, revision=revision, native_sidecars=native)
    if platform:
        injection.platform_proxy_ids = _platform_proxy_ids(platform)
    return injection


def _inject_with_webhook(source: str, injection, revision: str):
    from dataclasses import replace

    from meshctl.commands._options import kube_flags
    from meshctl.inject.pipeline import inject
    from meshctl.sources.kube import connect
    from meshctl.sources.webhook_inject import WebhookInjector

    with WebhookInjector(connect(kube_flags()), revision) as injector:
        return inject(source, replace(injection, external_injector=injector))


def _platform_proxy_ids(platform: str) -> tuple[int, int]:
    """OpenShift: the proxy UID/GID istiod would use in the target namespace (its SCC annotations)."""
    from meshctl.commands._options import kube_flags
    from meshctl.inject.injector import openshift_proxy_ids
    from meshctl.sources.kube import connect

    if platform.lower() != "openshift":
        raise UsageError(f"--platform {platform!r}: only openshift changes injection")
    kube = connect(kube_flags())
    namespace = kube.read("/api/v1", "namespaces", kube.namespace, "")
    return openshift_proxy_ids((namespace.get("metadata") or {}).get("annotations") or {})


def _cluster_config(revision: str) -> dict:
    """The injector's `config`/`values` and the mesh config from the cluster, and native-sidecar support."""
    from meshctl.commands._options import kube_flags, warn
    from meshctl.inject.config import cluster_configmap_names, native_sidecars_supported
    from meshctl.sources.kube import connect

    try:
        kube = connect(kube_flags())
    except SourceError as exc:
        raise SourceError(f"no --injectConfigFile given, and the cluster's injector config cannot be read: {exc}") from None
    istio_ns = kube.options.istio_namespace
    injector_name, mesh_name = cluster_configmap_names(revision)
    injector = kube.read("/api/v1", "configmaps", injector_name, istio_ns).get("data") or {}
    mesh = kube.read("/api/v1", "configmaps", mesh_name, istio_ns).get("data") or {}
    if "config" not in injector:
        raise SourceError(f"configmap {injector_name} in namespace {istio_ns} has no `config` key")
    try:
        native = native_sidecars_supported(kube.list("/api/v1", "nodes"))
    except SourceError as exc:
        warn(f"cannot list nodes ({exc}); native sidecars off (use --native-sidecars on|off)")
        native = False
    return {"inject_config": injector["config"], "values": injector.get("values"), "mesh": mesh.get("mesh"),
            "native_sidecars": native}


def _format(result, source: str, fmt: str, diff: bool) -> str:
    from meshctl.inject import pipeline

    if diff:
        return pipeline.unified_diff(source, result.text, color=sys.stdout.isatty() and not _no_color())
    if fmt == "json":
        return pipeline.as_json(result.text)
    if fmt == "patch":
        return pipeline.as_patch(source, result.text)
    return result.text


from meshctl.commands._options import with_kube_options  # noqa: E402

command = with_kube_options(typer.main.get_command(app))


def _no_color() -> bool:
    import os

    return bool(os.environ.get("NO_COLOR"))


def _explain(decisions) -> None:
    from meshctl.inject.pipeline import explain_lines

    lines = explain_lines(decisions)
    if sys.stderr.isatty() and not _no_color():
        from rich.console import Console
        from rich.panel import Panel

        Console(stderr=True).print(Panel("\n".join(lines), title="injection decisions", expand=False))
    else:
        print("\n".join(lines), file=sys.stderr)
