"""Injection inputs from text: the injector config, values, mesh config, IstioOperator and --set.

Pure functions over strings (commands/inject.py reads the files). They follow istioctl kube-inject:
an ``--injectConfigFile`` is the ConfigMap's ``config`` (or a bare template, used as ``sidecar``),
``--valuesFile`` the ConfigMap's ``values``, ``--meshConfigFile`` a MeshConfig with Istio's defaults
applied to what it leaves out, ``--operatorFileName`` an IstioOperator whose ``values`` and
``meshConfig`` take part. As a convenience each file may also be the rendered ConfigMap itself
(``istio-sidecar-injector`` / ``istio``), or a manifest containing it.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping

from meshctl.errors import DecodeError, UsageError
from meshctl.goenc import goyaml
from meshctl.gotemplate.host import HostAccess
from meshctl.gotemplate.limits import Limits
from meshctl.inject import meshconfig


def _load(text: str, what: str, *, float_numbers: bool = True):
    try:
        return goyaml.unmarshal_all(text, float_numbers=float_numbers)
    except goyaml.YAMLError as exc:
        raise DecodeError(f"cannot parse {what}: {exc}") from None


def _configmap_data(docs: list, key: str) -> dict | None:
    """The `data` of the first ConfigMap (also inside Lists) that has `key`."""
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        if doc.get("kind") == "List":
            found = _configmap_data(doc.get("items") or [], key)
            if found is not None:
                return found
        if doc.get("kind") == "ConfigMap" and key in (doc.get("data") or {}):
            return doc["data"]
    return None


def inject_config_text(text: str) -> tuple[str, str | None]:
    """(config text, values text or None) from an --injectConfigFile (a config or its ConfigMap)."""
    data = _configmap_data(_load(text, "injection config"), "config")
    if data is not None:
        return data["config"], data.get("values")
    return text, None


def raw_templates(config_text: str) -> tuple[dict[str, str], dict]:
    """istioctl readInjectConfigFile: (templates by name, the rest of the config).

    A file without ``templates:`` is one bare template, used as ``sidecar``.
    """
    try:
        docs = goyaml.unmarshal_all(config_text, float_numbers=False)
    except goyaml.YAMLError:
        docs = []
    cfg = docs[0] if docs and isinstance(docs[0], dict) else None
    if not cfg or not isinstance(cfg.get("templates"), dict) or not cfg["templates"]:
        return {"sidecar": config_text}, {}
    templates = {k: v for k, v in cfg["templates"].items() if isinstance(v, str)}
    return templates, cfg


class ParsedTemplates(Mapping):
    """Injection templates by name, each parsed the first time it is used (Istio's ParseTemplates).

    istiod parses every template of its config up front; a pod uses one or two of the eight in Istio's
    default config, and parsing them all is most of a one-pod `inject`. A parse error is reported when
    the template is used, with Istio's message; a template no pod uses is never parsed (so, unlike
    istioctl kube-inject, its syntax errors go unreported). Templates run with `host`'s access to the
    environment and network, within `limits`.
    """

    def __init__(self, raw: dict[str, str], host: HostAccess, limits: Limits = Limits()):
        self._raw = dict(raw)
        self._parsed: dict = {}
        self.host = host
        self.limits = limits

    def __getitem__(self, name: str):
        parsed = self._parsed.get(name)
        if parsed is None:
            from meshctl.gotemplate import TemplateError

            text = self._raw[name]
            try:
                parsed = self._parsed[name] = _parse_template(text, self.host, self.limits)
            except TemplateError as exc:
                raise DecodeError(f"failed to parse injection template {name!r}: {exc}") from None
        return parsed

    def __contains__(self, name) -> bool:
        return name in self._raw  # without parsing (Mapping's would)

    def __iter__(self):
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


@functools.lru_cache(maxsize=64)
def _parse_template(text: str, host: HostAccess, limits: Limits):
    """One template parsed with Istio's function map; configs sharing a template share its compiled form."""
    from meshctl.gotemplate import Template
    from meshctl.inject.template_funcs import injection_funcmap

    return Template.parse(text, name="inject", funcs=injection_funcmap(host), limits=limits)


def values_text(text: str) -> str:
    """--valuesFile: the values document (or the `values` of an injector ConfigMap)."""
    data = _configmap_data(_load(text, "values"), "values")
    return data["values"] if data is not None else text


def load_values(text: str | None) -> dict:
    """NewValuesConfig: values as Go's map[string]any from sigs.k8s.io/yaml (numbers are float64)."""
    return _first_mapping(_load(text, "values"), "configuration values") if text else {}


def _first_mapping(docs: list, what: str) -> dict:
    value = docs[0] if docs else None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DecodeError(f"could not parse {what}: not a mapping")
    return value


def mesh_overrides(text: str | None) -> dict:
    """A mesh config file (or the `mesh` of the istio ConfigMap) as a protobuf-JSON dict of overrides."""
    if not text:
        return {}
    docs = _load(text, "mesh config", float_numbers=False)
    data = _configmap_data(docs, "mesh")
    if data is not None:
        docs = _load(data["mesh"] or "", "mesh config", float_numbers=False)
    return _first_mapping(docs, "mesh config")


def parse_set_value(text: str):
    """The operator's --set value parsing: int, then float, then bool, else a string."""
    try:
        return int(text, 10)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        pass
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return text.replace("\\,", ",")


def _set_path(tree: dict, path: list[str], value) -> None:
    node = tree
    for p in path[:-1]:
        nxt = node.get(p)
        if not isinstance(nxt, dict):
            nxt = node[p] = {}
        node = nxt
    node[path[-1]] = value


def deep_merge(base: dict, overlay: dict) -> dict:
    """Values overlay: maps merge key by key, anything else replaces (null included)."""
    out = dict(base)
    for k, v in overlay.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _as_float_numbers(v):
    if isinstance(v, dict):
        return {k: _as_float_numbers(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_as_float_numbers(x) for x in v]
    if isinstance(v, int) and not isinstance(v, bool):
        return float(v)
    return v


class Settings:
    """Values and mesh overrides collected from --set flags and IstioOperator files."""

    def __init__(self):
        self.values: dict = {}
        self.mesh: dict = {}
        self.templates: dict[str, str] = {}

    def apply_set(self, assignment: str) -> None:
        """One ``--set PATH=VALUE`` in IstioOperator terms (``values.global.hub=...``)."""
        path, sep, raw = assignment.partition("=")
        if not sep or not path:
            raise UsageError(f"--set {assignment!r}: expected PATH=VALUE")
        self.apply_path(path.strip().split("."), parse_set_value(raw))

    def apply_path(self, parts: list[str], value) -> None:
        """Set `value` at the IstioOperator path `parts` (values.*, meshConfig.*, components.cni.enabled)."""
        if parts[:2] == ["components", "cni"] and parts[2:] == ["enabled"]:
            # The CNI component's state reaches the injector as pilot.cni.enabled.
            parts = ["values", "pilot", "cni", "enabled"]
        if parts[0] == "values" and len(parts) > 2 and parts[1] == "cni":
            parts = ["values", "pilot", "cni", *parts[2:]]
        if parts[0] == "meshConfig":
            if len(parts) < 2:
                raise UsageError("--set meshConfig needs a field, e.g. meshConfig.trustDomain=example.org")
            _set_path(self.mesh, parts[1:], value)
            return
        if parts[0] in ("hub", "tag") and len(parts) == 1:
            parts = ["values", "global", parts[0]]
        if parts[0] == "values":
            parts = parts[1:]
        if not parts:
            raise UsageError("--set values needs a field, e.g. values.global.hub=docker.io/istio")
        _set_path(self.values, parts, _as_float_numbers(value))

    def apply_operator(self, text: str) -> None:
        """An IstioOperator: spec.values, spec.meshConfig, spec.hub/tag and the CNI component."""
        docs = _load(text, "IstioOperator file", float_numbers=False)
        iop = next((d for d in docs if isinstance(d, dict) and d.get("kind") == "IstioOperator"), None)
        if iop is None:
            raise DecodeError("operator file has no IstioOperator resource")
        spec = iop.get("spec") or {}
        values = copy.deepcopy(spec.get("values") or {})
        if isinstance(values.get("cni"), dict):
            pilot = values.setdefault("pilot", {})
            pilot["cni"] = deep_merge(pilot.get("cni") or {}, values.pop("cni"))
        for key in ("hub", "tag"):
            if key in spec:
                values.setdefault("global", {})[key] = spec[key]
        cni = ((spec.get("components") or {}).get("cni") or {})
        if "enabled" in cni:
            values.setdefault("pilot", {}).setdefault("cni", {})["enabled"] = cni["enabled"]
        templates = (values.get("sidecarInjectorWebhook") or {}).get("templates") or {}
        self.templates.update({k: v for k, v in templates.items() if isinstance(v, str)})
        self.values = deep_merge(self.values, _as_float_numbers(values))
        self.mesh = deep_merge(self.mesh, spec.get("meshConfig") or {})


def build_mesh(mesh_text: str | None, settings: Settings, edit=None) -> dict:
    """The effective MeshConfig: Istio's defaults, the mesh file, then IstioOperator/--set meshConfig."""
    overrides = deep_merge(mesh_overrides(mesh_text), settings.mesh)
    mesh = meshconfig.apply_mesh_config(overrides)
    if edit is not None:
        edit(mesh)
    return mesh


DEFAULT_MESH_CONFIGMAP = "istio"  # istioctl kubeinject.go defaultMeshConfigMapName
DEFAULT_INJECT_CONFIGMAP = "istio-sidecar-injector"  # defaultInjectConfigMapName (and defaultInjectWebhookConfigName)


def cluster_configmap_names(revision: str, mesh: str = DEFAULT_MESH_CONFIGMAP, inject: str = DEFAULT_INJECT_CONFIGMAP) -> tuple[str, str, str]:
    """(injector, mesh, values) ConfigMap names for a revision ("" = default) and istioctl's
    --injectConfigMapName / --meshConfigMapName.

    kubeinject.go getInjectConfigFromConfigMap and getMeshConfigFromConfigMap add "-REV" to the
    default names only; GetValuesFromConfigMap reads istio-sidecar-injector-REV whenever a
    revision is given, whatever --injectConfigMapName says.
    """
    injector = f"{inject}-{revision}" if revision and inject == DEFAULT_INJECT_CONFIGMAP else inject
    mesh_name = f"{mesh}-{revision}" if revision and mesh == DEFAULT_MESH_CONFIGMAP else mesh
    values = f"{DEFAULT_INJECT_CONFIGMAP}-{revision}" if revision else inject
    return injector, mesh_name, values


_KUBELET_VERSION = re.compile(r"v?(\d+)\.(\d+)")


def native_sidecars_supported(nodes: list[dict]) -> bool:
    """ENABLE_NATIVE_SIDECARS=auto: on when every node's kubelet is Kubernetes 1.33 or newer."""
    versions = []
    for node in nodes:
        text = ((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "")
        m = _KUBELET_VERSION.match(text)
        if not m:
            return False
        versions.append((int(m.group(1)), int(m.group(2))))
    return bool(versions) and min(versions) >= (1, 33)
