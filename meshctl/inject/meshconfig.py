"""Istio's MeshConfig and ProxyConfig defaults and merge rules, on the protobuf-JSON form.

The defaults live in Go code, not in any file (pkg/config/mesh/mesh.go ``DefaultMeshConfig`` and
``DefaultProxyConfig``); a mesh file only lists overrides. ``apply_mesh_config`` reproduces
``mesh.ApplyMeshConfig``: top-level fields override, ``defaultConfig`` is merged (JSON merge patch)
onto the default ProxyConfig, ``extensionProviders`` are merged by name.
Messages are dicts keyed by protobuf JSON names (``defaultConfig``, ``interceptionMode``).
"""

from __future__ import annotations

import copy


def default_proxy_config() -> dict:
    """mesh.DefaultProxyConfig() (a fresh copy: callers merge into it)."""
    # One table for both uses: protoToJSON clears the fields that still equal these defaults.
    from meshctl.inject.template_funcs import PROXY_CONFIG_DEFAULTS

    return copy.deepcopy(PROXY_CONFIG_DEFAULTS)


def default_mesh_config() -> dict:
    """mesh.DefaultMeshConfig() (the fields that can matter offline)."""
    return {
        "enableTracing": True,
        "accessLogEncoding": "TEXT",
        "protocolDetectionTimeout": "0s",
        "ingressService": "istio-ingressgateway",
        "ingressControllerMode": "STRICT",
        "ingressClass": "istio",
        "trustDomain": "cluster.local",
        "trustDomainAliases": [],
        "enableAutoMtls": True,
        "outboundTrafficPolicy": {"mode": "ALLOW_ANY"},
        "inboundTrafficPolicy": {"mode": "PASSTHROUGH"},
        "localityLbSetting": {"enabled": True},
        "certificates": [],
        "defaultConfig": default_proxy_config(),
        "rootNamespace": "istio-system",
        "proxyListenPort": 15001,
        "proxyInboundListenPort": 15006,
        "connectTimeout": "10s",
        "defaultServiceExportTo": ["*"],
        "defaultVirtualServiceExportTo": ["*"],
        "defaultDestinationRuleExportTo": ["*"],
        "dnsRefreshRate": "60s",
        "serviceSettings": [],
        "enablePrometheusMerge": True,
        "defaultProviders": {},
        "extensionProviders": [
            {"name": "prometheus", "prometheus": {}},
            {"name": "stackdriver", "stackdriver": {}},
            {"name": "envoy", "envoyFileAccessLog": {"path": "/dev/stdout"}},
        ],
    }


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch (evanphx/json-patch MergePatch, Istio's OverlayYAML)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def _merge_messages(base: dict, overlay: dict) -> dict:
    """protomarshal.ApplyYAML onto an existing message: nested messages merge, everything else replaces."""
    out = dict(base)
    for k, v in overlay.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k not in ("proxyMetadata", "runtimeValues"):
            out[k] = _merge_messages(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def apply_mesh_config(overrides: dict | None, base: dict | None = None) -> dict:
    """mesh.ApplyMeshConfig(yaml, base or DefaultMeshConfig())."""
    mesh = copy.deepcopy(base) if base is not None else default_mesh_config()
    overrides = overrides or {}
    prev_proxy = mesh.get("defaultConfig") or {}
    prev_providers = mesh.get("extensionProviders") or []
    prev_aliases = mesh.get("trustDomainAliases") or []
    prev_default_providers = mesh.get("defaultProviders") or {}
    rest = {k: v for k, v in overrides.items() if k not in ("defaultConfig", "defaultProviders", "extensionProviders")}
    mesh = _merge_messages(mesh, rest)
    mesh["defaultConfig"] = merge_proxy_config(prev_proxy, overrides.get("defaultConfig")) if overrides.get("defaultConfig") else prev_proxy
    mesh["defaultProviders"] = _merge_messages(prev_default_providers, overrides.get("defaultProviders") or {})
    providers = {p.get("name"): p for p in prev_providers}
    for p in overrides.get("extensionProviders") or []:
        providers[p.get("name")] = p
    mesh["extensionProviders"] = list(providers.values())
    mesh["trustDomainAliases"] = sorted(set(prev_aliases) | set(mesh.get("trustDomainAliases") or []))
    return mesh


def merge_proxy_config(proxy_config: dict, overlay) -> dict:
    """mesh.MergeProxyConfig: the overlay (YAML/JSON object) merge-patched onto the proxy config."""
    return merge_patch(proxy_config, overlay or {})
