"""The inject pipeline's entry points: config from texts, injection, and output forms.

``build_config`` turns the input texts into an InjectionConfig (templates parsed once);
``inject`` runs Istio's injection on a YAML stream; ``as_json``/``as_patch``/``unified_diff``/
``explain_lines`` derive the other outputs. Pure: the command passes texts in and prints results.
"""

from __future__ import annotations

from meshctl.errors import DecodeError
from meshctl.goenc import goyaml
from meshctl.gotemplate.host import HostAccess
from meshctl.gotemplate.limits import Limits
from meshctl.inject import config as cfg
from meshctl.inject import template_data
from meshctl.inject.injector import InjectionConfig, InjectionResult, inject_text


def build_config(
    *,
    inject_config: str,
    values: str | None = None,
    mesh: str | None = None,
    settings: cfg.Settings | None = None,
    revision: str = "",
    native_sidecars: bool = False,
    compliance_policy: str = "",
    mesh_edit=None,
    host: HostAccess = HostAccess.isolated("the cluster"),
    limits: Limits = Limits(),
) -> InjectionConfig:
    """An InjectionConfig from the texts of istioctl's files (see meshctl.inject.config).

    `mesh_edit(mesh)`, if given, changes the effective mesh config in place after the defaults and
    files are applied (what Istio's tests do to the Go MeshConfig). The templates are parsed when first
    used and run within `limits`, with `host`'s access to the environment and network: none by default,
    as for templates from the cluster (see meshctl.gotemplate.host).
    """
    settings = settings or cfg.Settings()
    config_text, embedded_values = cfg.inject_config_text(inject_config)
    raw, _ = cfg.raw_templates(config_text)
    raw = {**raw, **settings.templates}
    values_doc = cfg.load_values(cfg.values_text(values) if values is not None else embedded_values)
    values_doc = cfg.deep_merge(values_doc, settings.values)
    return InjectionConfig(
        templates=cfg.ParsedTemplates(raw, host, limits),
        values=values_doc,
        mesh=cfg.build_mesh(mesh, settings, mesh_edit),
        revision=revision,
        native_sidecars=native_sidecars,
        compliance_policy=compliance_policy,
    )


def _render(template, inputs: dict) -> str:
    from meshctl.gotemplate import LimitExceeded, TemplateError

    try:
        return template_data.render(template, inputs)
    except LimitExceeded:
        raise  # the command names the flag that raises the limit
    except TemplateError as exc:
        raise DecodeError(f"failed to run injection template: {exc}") from None


def inject(text: str, config: InjectionConfig) -> InjectionResult:
    """Inject every workload in the YAML stream `text`."""
    return inject_text(text, config, _render)


def _documents(text: str) -> list:
    return [d for d in goyaml.unmarshal_all(text, float_numbers=False) if d is not None]


def as_json(output: str) -> str:
    """The injected objects as JSON: one object, or a v1 List of them."""
    import orjson

    docs = _documents(output)
    value = docs[0] if len(docs) == 1 else {"apiVersion": "v1", "kind": "List", "items": docs}
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


def pod_templates(doc) -> list[tuple[str, dict]]:
    """(name, pod template or pod) pairs of a workload document, Lists flattened."""
    if not isinstance(doc, dict):
        return []
    kind = doc.get("kind")
    name = f"{kind}/{(doc.get('metadata') or {}).get('name', '')}"
    if kind == "List":
        return [p for item in doc.get("items") or [] for p in pod_templates(item)]
    if kind == "Pod":
        return [(name, {"metadata": doc.get("metadata") or {}, "spec": doc.get("spec") or {}})]
    spec = doc.get("spec") or {}
    if kind == "CronJob":  # injection writes the pod's metadata to the jobTemplate (see injector.into_object)
        job_template = spec.get("jobTemplate") or {}
        template = (job_template.get("spec") or {}).get("template") or {}
        return [(name, {"metadata": job_template.get("metadata") or {}, "spec": template.get("spec") or {}})]
    template = spec.get("template")
    return [(name, template)] if isinstance(template, dict) else []


def as_patch(source: str, output: str) -> str:
    """The RFC 6902 JSONPatch an admission webhook would return for each pod (as JSON)."""
    import jsonpatch
    import orjson

    before = [p for d in _documents(source) for p in pod_templates(d)]
    after = [p for d in _documents(output) for p in pod_templates(d)]
    patches = [
        {"object": name, "patch": jsonpatch.make_patch(old, new).patch}
        for (name, old), (_, new) in zip(before, after)
    ]
    value = patches[0]["patch"] if len(patches) == 1 else patches
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n"


def unified_diff(source: str, output: str, *, color: bool, names: tuple[str, str] = ("input", "injected")) -> str:
    """A unified diff of two texts (input vs injected output by default), ANSI-coloured when asked."""
    import difflib

    lines = difflib.unified_diff(source.splitlines(True), output.splitlines(True), *names)
    text = []
    for line in lines:
        if not line.endswith("\n"):
            line += "\n"
        if color and line.startswith(("+", "-", "@@")) and not line.startswith(("+++", "---")):
            code = "32" if line[0] == "+" else ("31" if line[0] == "-" else "36")
            line = f"\x1b[{code}m{line[:-1]}\x1b[0m\n"
        text.append(line)
    return "".join(text)


def explain_lines(decisions) -> list[str]:
    """A few lines per pod template: whether and how it was injected, and what decided it."""
    lines = []
    for d in decisions:
        if not d.injected:
            lines.append(f"{d.workload}: not injected ({d.reason})")
            continue
        lines.append(f"{d.workload}: injected with template(s) {', '.join(d.templates)}")
        lines.extend(f"  {what}  ({why})" for what, why in d.notes)
    return lines or ["no workloads in the input"]
