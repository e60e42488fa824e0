"""Application probe rewriting (pkg/kube/inject/app_probe.go).

With ``rewriteAppHTTPProbe`` on (or the ``sidecar.istio.io/rewriteAppHTTPProbers`` annotation), the
application's HTTP/TCP/gRPC probes and HTTP/TCP lifecycle hooks are redirected to the agent's status
port (``/app-health/<container>/readyz`` ...), and the original probes travel to the agent in the
``ISTIO_KUBE_APP_PROBERS`` environment variable of ``istio-proxy``.
"""

from __future__ import annotations

import copy

from meshctl.goenc import gojson

PROXY = "istio-proxy"
PROBERS_ENV = "ISTIO_KUBE_APP_PROBERS"
_PROBES = (("readinessProbe", "readyz"), ("livenessProbe", "livez"), ("startupProbe", "startupz"))
_HOOKS = (("preStop", "prestopz"), ("postStart", "poststartz"))

# JSON field order of corev1 actions (Go struct order), as json.Marshal writes them.
_HTTP_GET_ORDER = ("path", "port", "host", "scheme", "httpHeaders")


def should_rewrite(annotations: dict, spec_setting: bool) -> bool:
    """ShouldRewriteAppHTTPProbers: a parseable annotation wins over the values setting."""
    value = (annotations or {}).get("sidecar.istio.io/rewriteAppHTTPProbers")
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return bool(spec_setting)


def all_containers(pod: dict) -> list[dict]:
    """The pod's containers, then its init containers."""
    spec = pod.get("spec") or {}
    return list(spec.get("containers") or []) + list(spec.get("initContainers") or [])


def _ordered(action: dict, order) -> gojson.StructFields:
    return gojson.StructFields((k, action[k]) for k in order if k in action and action[k] not in (None, "", []))


def _prober_json(handler: dict) -> gojson.StructFields:
    """status.Prober / the lifecycle prober: {httpGet, tcpSocket, grpc, timeoutSeconds} with omitempty."""
    fields = []
    if handler.get("httpGet") is not None:
        fields.append(("httpGet", _ordered(handler["httpGet"], _HTTP_GET_ORDER)))
    if handler.get("tcpSocket") is not None:
        fields.append(("tcpSocket", _ordered(handler["tcpSocket"], ("port", "host"))))
    if handler.get("grpc") is not None:
        grpc = handler["grpc"]
        fields.append(("grpc", gojson.StructFields([("port", grpc.get("port", 0)), ("service", grpc.get("service"))])))
    if handler.get("timeoutSeconds"):
        fields.append(("timeoutSeconds", handler["timeoutSeconds"]))
    return gojson.StructFields(fields)


def _resolve_port(handler: dict, port_map: dict, target_port: int) -> dict | None:
    """updateNamedPort: named ports become numbers; probes already on the status port are skipped."""
    if handler.get("grpc") is not None:
        return handler
    action_key = "httpGet" if handler.get("httpGet") is not None else ("tcpSocket" if handler.get("tcpSocket") is not None else None)
    if action_key is None:
        return None
    handler = copy.deepcopy(handler)
    port = handler[action_key].get("port")
    if isinstance(port, str):
        if port not in port_map:
            return None
        handler[action_key]["port"] = port_map[port]
    elif port == target_port:
        return None
    return handler


def dump_app_probers(pod: dict, target_port: int) -> str:
    """DumpAppProbers: the JSON for ISTIO_KUBE_APP_PROBERS, "" when there is nothing to rewrite."""
    out = {}
    for c in all_containers(pod):
        name = c.get("name", "")
        if name == PROXY:
            continue
        port_map = {p["name"]: p.get("containerPort", 0) for p in c.get("ports") or [] if p.get("name")}
        for field, suffix in _PROBES:
            probe = c.get(field)
            if probe:
                resolved = _resolve_port(probe, port_map, target_port)
                if resolved is not None:
                    out[f"/app-health/{name}/{suffix}"] = _prober_json(resolved)
        for hook, suffix in _HOOKS:
            handler = (c.get("lifecycle") or {}).get(hook)
            if handler and handler.get("grpc") is None:
                resolved = _resolve_port(handler, port_map, target_port)
                if resolved is not None:
                    out[f"/app-lifecycle/{name}/{suffix}"] = _prober_json(resolved)
    if not out:
        return ""
    return gojson.marshal(out)


def merge_probers(env: list, probers: str, previously_injected: bool) -> list:
    """mergeOrAppendProbers: on re-injection the new probers join the ones the agent already has."""
    if previously_injected:
        for i, var in enumerate(env):
            if var.get("name") == PROBERS_ENV:
                try:
                    existing = gojson.unmarshal(var.get("value", ""))
                    merged = gojson.unmarshal(probers)
                except ValueError:
                    return env
                merged.update(existing)
                value = gojson.marshal({k: _prober_json(v) for k, v in merged.items()})
                return [*env[:i], {"name": PROBERS_ENV, "value": value}, *env[i + 1:]]
    return [*env, {"name": PROBERS_ENV, "value": probers}]


def _convert(handler: dict | None, url: str, status_port: int, *, lifecycle: bool = False) -> dict | None:
    """convertAppProber / convertAppLifecycleHandler: the handler pointed at the agent, or None."""
    if not handler:
        return None
    h = dict(handler)
    if h.get("httpGet") is not None:
        get = dict(h["httpGet"])
        get["port"], get["path"] = status_port, url
        if get.get("scheme"):
            get["scheme"] = "HTTP"  # kubelet -> HTTP -> istio-agent, which then speaks the app's scheme
        get.pop("host", None) if lifecycle else None
        h["httpGet"] = get
        return h
    if h.get("tcpSocket") is not None or (h.get("grpc") is not None and not lifecycle):
        h.pop("tcpSocket", None)
        h.pop("grpc", None)
        h["httpGet"] = {"path": url, "port": status_port}
        return h
    return None


def rewrite_probes(pod: dict, status_port: int) -> None:
    """patchRewriteProbe: point every application probe and hook at the agent (in place)."""
    spec = pod.get("spec") or {}
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            name = c.get("name", "")
            if name == PROXY:
                continue
            for field, suffix in _PROBES:
                converted = _convert(c.get(field), f"/app-health/{name}/{suffix}", status_port)
                if converted is not None:
                    c[field] = converted
            lifecycle = c.get("lifecycle")
            if lifecycle:
                for hook, suffix in _HOOKS:
                    converted = _convert(lifecycle.get(hook), f"/app-lifecycle/{name}/{suffix}", status_port, lifecycle=True)
                    if converted is not None:
                        lifecycle[hook] = converted
