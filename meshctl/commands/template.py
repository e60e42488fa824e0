"""`meshctl template render`: run an injection template the way istiod does, offline.

People write their own injection templates (``inject.istio.io/templates``, or
``sidecarInjectorWebhook.templates`` in the chart values). This renders one with Go's
text/template semantics, sprig and Istio's template functions, on Go-typed
``SidecarTemplateData`` (absent struct fields are zero values, as in istiod).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from meshctl.commands import _template_options as tmpl

app = typer.Typer(add_completion=False, no_args_is_help=True)


@app.callback()
def template() -> None:
    """Go templates as Istio's sidecar injector runs them."""


# SidecarTemplateData fields (Go names) and their values when the data file leaves them out.
_DATA_DEFAULTS = {
    "TypeMeta": {},
    "DeploymentMeta": {},
    "ObjectMeta": {},
    "Spec": {},
    "ProxyConfig": {},
    "MeshConfig": {},
    "Revision": "",
    "NativeSidecars": False,
    "ProxyImage": "",
    "ProxyInitImage": "",
    "InboundTrafficPolicyMode": "",
    "CompliancePolicy": "",
    "ProxyUID": 1337,
    "ProxyGID": 1337,
    "Values": {},
}


@app.command(
    help=(
        "Render TEMPLATE_FILE (Go text/template with sprig and Istio's functions) on SidecarTemplateData. "
        "--values gives .Values (YAML/JSON, numbers are float64 as in istiod); --data gives the other fields, "
        "keyed by their Go names (ObjectMeta, Spec, ProxyConfig, MeshConfig, Revision, ...), or is a Pod manifest "
        "(its metadata and spec become ObjectMeta and Spec). Template errors are reported with line:col and exit 65. "
        "The template is a file you name, so env/expandenv read the local environment and getHostByName "
        "resolves, as in istiod (docs/security.md)."
    )
)
def render(
    ctx: typer.Context,
    template_file: str = typer.Argument(..., metavar="TEMPLATE_FILE", help="The template ('-' for stdin)."),
    values: Optional[str] = typer.Option(None, "--values", metavar="FILE", help="YAML/JSON for .Values.", show_default=False),
    data: Optional[str] = typer.Option(None, "--data", metavar="FILE", help="YAML/JSON template data or a Pod.", show_default=False),
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="FILE", help="Write the result to FILE.", show_default=False),
    template_env: list[str] = tmpl.template_env_option("They win over the local environment."),
    template_max_steps: int = tmpl.max_steps_option(),
    template_max_output: int = tmpl.max_output_option(),
    max_yaml_alias_nodes: int = tmpl.yaml_alias_nodes_option(),
) -> None:
    """`meshctl template render` (its --help text is the decorator's)."""
    from meshctl.env import Env
    from meshctl.errors import DecodeError, UsageError
    from meshctl.gotemplate import Template, TemplateError
    from meshctl.gotemplate.host import HostAccess
    from meshctl.inject import template_data
    from meshctl.inject.template_funcs import injection_funcmap
    from meshctl.sources.file import FileSource

    env = Env.of(ctx)
    tmpl.limit_yaml_aliases(max_yaml_alias_nodes)
    if [template_file, values, data].count("-") > 1:
        raise UsageError("only one of TEMPLATE_FILE, --values and --data can be '-' (stdin)")
    text = _decode_text(FileSource(template_file, stdin=env.binary_stdin()).fetch(""), template_file)
    inputs = dict(_DATA_DEFAULTS)
    if data is not None:
        inputs.update(_template_inputs(_load_document(env, data)))
    if values is not None:
        inputs["Values"] = _load_document(env, values)
    name = "stdin" if template_file == "-" else Path(template_file).name
    try:
        typed = template_data.build(inputs)
    except (TypeError, ValueError, KeyError) as exc:
        raise DecodeError(f"--data {data}: {exc}") from None
    host = HostAccess.local(template_file, tmpl.parse_template_env(template_env))
    limits = tmpl.limits(template_max_steps, template_max_output)
    try:
        with tmpl.limit_errors():
            result = Template.parse(text, name=name, funcs=injection_funcmap(host), limits=limits).execute(typed)
    except TemplateError as exc:
        raise DecodeError(str(exc)) from None
    # Go writes bytes: invalid UTF-8 from "\xff"-style escapes goes out unchanged, through the one
    # redaction step of every output (a template can print a key it was given, or build one)
    encoded = result.encode("utf-8", "surrogateescape")
    if output is None:
        from meshctl.emit import write_chunks

        write_chunks(env, [encoded])
        return
    from meshctl.redact import redact_bytes

    try:
        Path(output).write_bytes(redact_bytes(encoded))
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None


def _decode_text(raw: bytes, origin: str) -> str:
    from meshctl.errors import DecodeError

    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"{origin}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _load_document(env, path: str):
    """One YAML/JSON document decoded as sigs.k8s.io/yaml does (numbers are float64)."""
    from meshctl.errors import DecodeError
    from meshctl.goenc import goyaml
    from meshctl.sources.file import FileSource

    text = _decode_text(FileSource(path, stdin=env.binary_stdin()).fetch(""), path)
    try:
        document = goyaml.unmarshal(text)
    except Exception as exc:  # the YAML library's own error types
        raise DecodeError(f"{path}: not valid YAML/JSON: {str(exc).splitlines()[0]}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise DecodeError(f"{path}: expected a mapping, got {type(document).__name__}")
    return document


def _template_inputs(document: dict) -> dict:
    """Template data keyed by Go field names; a Pod manifest maps to TypeMeta/ObjectMeta/Spec."""
    if "metadata" in document and "spec" in document:
        metadata = document.get("metadata") or {}
        return {
            "TypeMeta": {"apiVersion": document.get("apiVersion", ""), "kind": document.get("kind", "")},
            "DeploymentMeta": {"name": metadata.get("name", ""), "namespace": metadata.get("namespace", "")},
            "ObjectMeta": metadata,
            "Spec": document.get("spec") or {},
        }
    unknown = sorted(set(document) - set(_DATA_DEFAULTS))
    if unknown:
        from meshctl.errors import DecodeError

        raise DecodeError(f"--data: unknown template data field {unknown[0]!r} (known: {', '.join(_DATA_DEFAULTS)})")
    return document
