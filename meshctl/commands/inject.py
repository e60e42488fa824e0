"""`meshctl inject --dry-run`: Istio's sidecar injection, offline, exactly as istioctl kube-inject.

Reads workloads from -f FILE or stdin and prints them injected. The injector config comes from files
(istioctl's flag spellings, plus kebab-case aliases). meshctl never writes to a cluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from meshctl.commands import _template_options as tmpl
from meshctl.env import Env
from meshctl.errors import DecodeError, SourceError, UsageError

OUTPUT_FORMATS = ("yaml", "json", "patch")


def _read(env: Env, path: str | None, what: str, *, implicit_stdin: bool = False) -> str | None:
    """The text of input file `path` ('-': standard input; `implicit_stdin`: the user gave no path)."""
    if path is None:
        return None
    from meshctl.sources.file import read_input

    raw = read_input(path, what=what, stdin=env.binary_stdin(), implicit_stdin=implicit_stdin)
    return decode_text(raw, f"{what} {'(stdin)' if path == '-' else path}")


def decode_text(raw: bytes, what: str) -> str:
    """YAML/template text: UTF-8 (a BOM is dropped) or UTF-16 with a BOM, as go-yaml reads it."""
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"{what}: not {'UTF-16' if encoding == 'utf-16' else 'UTF-8'} text ({exc.reason} at byte {exc.start})") from None


def revision_option(help_text: str):
    """`-r/--revision`, None when not given (then the firing webhook decides; see meshctl.inject.revision)."""
    return typer.Option(None, "--revision", "-r", show_default=False, help=help_text)


app = typer.Typer(add_completion=False)


@app.command(context_settings={"help_option_names": ["-h", "--help"]})
def inject_command(
    ctx: typer.Context,
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
    revision: Optional[str] = revision_option(
        "Control plane revision ('default' means none). Not given, in cluster mode (no --injectConfigFile, or "
        "--webhook): the revision of the injector webhook that fires for the workloads' namespace and labels. "
        "When none fires, the default revision is used with a note on stderr (istioctl kube-inject's choice); "
        "when several fire, the first in configuration-name order (the API server's) with a note."
    ),
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
    template_env: list[str] = tmpl.template_env_option(
        "Templates from the cluster or a snapshot see only these; templates from --injectConfigFile see the "
        "local environment too."
    ),
    template_max_steps: int = tmpl.max_steps_option(),
    template_max_output: int = tmpl.max_output_option(),
    max_yaml_alias_nodes: int = tmpl.yaml_alias_nodes_option(),
    mesh_configmap: str = typer.Option(
        "istio", "--meshConfigMapName", help="Cluster mode: the mesh ConfigMap (istioctl's; -REV is added to the default name for a revision).",
    ),
    inject_configmap: str = typer.Option(
        "istio-sidecar-injector", "--injectConfigMapName", hidden=True,
        help="Cluster mode: the injector ConfigMap (istioctl's hidden flag; -REV is added to the default name for a revision).",
    ),
    webhook_config: str = typer.Option(
        "istio-sidecar-injector", "--webhookConfig",
        help="istioctl's MutatingWebhookConfiguration name: it only names it in messages (the webhook is found by revision).",
    ),
) -> None:
    """Inject the Istio sidecar into workloads offline and print the result."""
    from dataclasses import replace

    from meshctl.inject.pipeline import inject, unified_diff

    env = Env.of(ctx)
    tmpl.limit_yaml_aliases(max_yaml_alias_nodes)
    del webhook_config  # kubeinject.go uses whcName only in a warning; the webhook is found by revision
    if not dry_run:
        raise UsageError("only --dry-run is supported: meshctl prints the injected objects and never applies them")
    if native_sidecars not in ("auto", "on", "off"):
        raise UsageError(f"--native-sidecars must be auto, on or off, not {native_sidecars!r}")
    fmt, out_path = (output, None) if output in OUTPUT_FORMATS else ("yaml", output)
    source = _read(env, filename or "-", "input file", implicit_stdin=filename is None)
    kube = configurations = choice = None
    if inject_config_file is None or webhook:
        kube = connect_for_injection(env)
        if revision is None:
            from meshctl.inject.revision import workloads

            configurations = webhook_configurations(kube)
            choice = choose_revision(env, kube, configurations, workloads(source, kube.namespace))
            if choice:
                report_choice(env, choice)
    revision = choice.revision if choice else ("" if revision in (None, "default") else revision)
    injection = _injection_config(
        env, inject_config_file, values_file, mesh_config_file, operator_file, set_values, native_sidecars, revision, platform,
        kube, tmpl.parse_template_env(template_env), tmpl.limits(template_max_steps, template_max_output),
        (mesh_configmap, inject_configmap),
    )
    injection.compliance_policy = compliance_policy
    with tmpl.limit_errors("failed to run injection template: "):
        if webhook:
            with open_webhook(kube, configurations, choice, revision) as injector:
                result = inject(source, replace(injection, external_injector=injector))
        else:
            result = inject(source, injection)
    for warning in result.warnings:
        env.message(warning)
    if webhook and diff:
        with tmpl.limit_errors("failed to run injection template: "):
            local = inject(source, injection).text
        text = unified_diff(local, result.text, color=env.terminal.color, names=("local", "webhook"))
    else:
        text = _format(result, source, fmt, diff, env.terminal.color)
    if out_path:
        Path(out_path).write_text(text)
    else:
        env.write(text)
    if explain:
        _explain(env, result.decisions, choice.explanation()[:1] if choice else [], [injection.templates.host.describe()])


def _injection_config(env, inject_config_file, values_file, mesh_config_file, operator_file, set_values, native_sidecars,
                      revision, platform, kube, template_env, limits, configmaps=("istio", "istio-sidecar-injector")):
    """The InjectionConfig from the files given; what they leave out comes from the cluster.

    Templates from --injectConfigFile (a file the user named) see the local environment and network, as
    with istioctl kube-inject; templates from the cluster or a snapshot see neither, only --template-env.
    """
    from meshctl.gotemplate.host import HostAccess
    from meshctl.inject import config as cfg
    from meshctl.inject.pipeline import build_config

    settings = cfg.Settings()
    if operator_file:
        settings.apply_operator(_read(env, operator_file, "IstioOperator file"))
    for assignment in set_values:
        settings.apply_set(assignment)
    texts = {
        "inject_config": _read(env, inject_config_file, "injection config"),
        "values": _read(env, values_file, "values file"),
        "mesh": _read(env, mesh_config_file, "mesh config file"),
    }
    native = native_sidecars == "on"
    host = HostAccess.local(f"--injectConfigFile {inject_config_file}", template_env)
    if texts["inject_config"] is None:
        # istioctl kube-inject without files: the cluster's ConfigMaps (files given still win).
        cluster = cluster_config(env, kube, revision, *configmaps)
        texts = {k: v if v is not None else cluster[k] for k, v in texts.items()}
        if native_sidecars == "auto":
            native = cluster["native_sidecars"]
        host = HostAccess.isolated(cluster["origin"], template_env)
    injection = build_config(**texts, settings=settings, revision=revision, native_sidecars=native, host=host,
                             limits=limits)
    if platform:
        injection.platform_proxy_ids = _platform_proxy_ids(env, platform, kube)
    return injection


def _platform_proxy_ids(env: Env, platform: str, kube) -> tuple[int, int]:
    """OpenShift: the proxy UID/GID istiod would use in the target namespace (its SCC annotations)."""
    from meshctl.inject.injector import openshift_proxy_ids

    if platform.lower() != "openshift":
        raise UsageError(f"--platform {platform!r}: only openshift changes injection")
    kube = kube or env.cluster()
    namespace = kube.read("/api/v1", "namespaces", kube.namespace, "")
    return openshift_proxy_ids((namespace.get("metadata") or {}).get("annotations") or {})


def connect_for_injection(env: Env):
    """The run's cluster, for its injector config; an error says why the cluster was needed."""
    try:
        return env.cluster()
    except SourceError as exc:
        raise SourceError(f"no --injectConfigFile given, and the cluster's injector config cannot be read: {exc}") from None


def cluster_config(env: Env, kube, revision: str, mesh_configmap: str = "istio", inject_configmap: str = "istio-sidecar-injector") -> dict:
    """The injector's `config`/`values` and the mesh config from the cluster, native-sidecar support, and
    `origin`: whose templates these are (for messages and --explain)."""
    from meshctl.inject.config import cluster_configmap_names, native_sidecars_supported
    from meshctl.sources import injector

    injector_name, mesh_name, values_name = cluster_configmap_names(revision, mesh_configmap, inject_configmap)
    config = injector.injector_configmaps(kube, injector_name, mesh_name, values_name)
    try:
        native = native_sidecars_supported(injector.nodes(kube))
    except SourceError as exc:
        env.warn(f"cannot list nodes ({exc}); native sidecars off (use --native-sidecars on|off)")
        native = False
    source = f"the snapshot {env.kube.snapshot}" if env.kube.snapshot else "the cluster"
    origin = f"{source}'s ConfigMap {kube.options.istio_namespace}/{injector_name}"  # whose templates they are
    return {**config, "native_sidecars": native, "origin": origin}


def webhook_configurations(kube) -> list[dict]:
    """The cluster's MutatingWebhookConfigurations (meshctl.sources.injector)."""
    from meshctl.sources.injector import webhook_configurations as read

    return read(kube)


def choose_revision(env: Env, kube, configurations: list[dict], workloads: list):
    """The RevisionChoice for the input's workloads (None without any): they must all get the same revision."""
    from meshctl.analyze.webhooks import injector_webhooks
    from meshctl.inject.revision import choose

    if not workloads:
        return None
    webhooks = injector_webhooks(configurations)
    namespace_labels: dict[str, dict] = {}
    choices = []
    for workload in workloads:
        if workload.namespace not in namespace_labels:
            namespace_labels[workload.namespace] = _namespace_labels(env, kube, workload)
        choices.append(choose(webhooks, workload, namespace_labels[workload.namespace]))
    if len({c.revision for c in choices}) > 1:
        detail = ", ".join(f"{c.workload.name} in {c.workload.namespace}: {c.label if c.webhook else 'no webhook'}" for c in choices)
        raise UsageError(f"the input's workloads would be injected by different revisions ({detail}): "
                         "inject them separately or give --revision")  # fmt: skip
    return choices[0]


def _namespace_labels(env: Env, kube, workload) -> dict:
    """The labels of the workload's namespace; none when it does not exist yet (a manifest that creates it)."""
    from meshctl.sources.injector import namespace_labels

    labels = namespace_labels(kube, workload.namespace, workload.name)
    if labels is None:
        env.message(f"meshctl: note: namespace {workload.namespace} not found: webhook selectors evaluated with no namespace labels")
        return {}
    return labels


def report_choice(env: Env, choice) -> None:
    """Notes on stderr when the choice may surprise: no webhook fires, or several do."""
    if choice.webhook is None:
        env.message(f"meshctl: note: {choice.explanation()[0]}: the API server would not inject it; using the default "
                    "revision's config, as istioctl kube-inject does (give --revision to choose; `meshctl webhooks "
                    "--labels ... -n NS` shows why)")  # fmt: skip
    elif len(choice.firing) > 1:
        for line in choice.explanation():
            env.message(f"meshctl: note: {line}")


def open_webhook(kube, configurations: list[dict] | None, choice, revision: str):
    """A WebhookInjector for the webhook that fires (`choice`), or for `revision`'s webhook."""
    from meshctl.analyze.webhooks import injector_webhooks
    from meshctl.sources.webhook_inject import WebhookInjector, webhook_for_revision

    configurations = configurations if configurations is not None else webhook_configurations(kube)
    webhook = choice.webhook if choice and choice.webhook else webhook_for_revision(injector_webhooks(configurations), revision)
    return WebhookInjector(kube, configurations, webhook)


def _format(result, source: str, fmt: str, diff: bool, color: bool) -> str:
    from meshctl.inject import pipeline

    if diff:
        return pipeline.unified_diff(source, result.text, color=color)
    if fmt == "json":
        return pipeline.as_json(result.text)
    if fmt == "patch":
        return pipeline.as_patch(source, result.text)
    return result.text


def _explain(env: Env, decisions, header: list[str], trailer: list[str]) -> None:
    from meshctl.inject.pipeline import explain_lines

    lines = header + explain_lines(decisions) + trailer
    if env.terminal.stderr_color:
        from rich.console import Console
        from rich.panel import Panel
        from rich.text import Text

        from meshctl.render.safe import safe_line

        # Text, not markup: the lines quote the cluster's names and annotations
        body = Text("\n".join(safe_line(line) for line in lines))
        Console(file=env.stderr).print(Panel(body, title="injection decisions", expand=False))
    else:
        env.message("\n".join(lines))


from meshctl.commands.options import with_kube_options  # noqa: E402

command = with_kube_options(typer.main.get_command(app))
