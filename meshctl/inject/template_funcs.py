"""Istio's sidecar-injection template functions (`InjectionFuncmap`, pkg/kube/inject/template.go).

Each function follows the Go original at istio/istio 86c9f01 (see ../shared/gotemplate/istio-funcs.md).
Typed arguments (metav1.ObjectMeta, *meshconfig.ProxyConfig, []corev1.Container, ...) may be the
typed wrappers of meshctl.gotemplate.typed or plain dicts in their JSON form ("annotations", "containerPort", ...).
"""

from __future__ import annotations

import functools
import math

from meshctl.goenc import gojson, goyaml
from meshctl.goenc.gofmt import sprint, sprintf
from meshctl.goenc.values import MISSING, GoValue, is_nil
from meshctl.gotemplate.host import HostAccess
from meshctl.gotemplate.limits import check_size
from meshctl.gotemplate.params import arg_int, arg_str, type_error
from meshctl.gotemplate.sprig import txt_func_map
from meshctl.gotemplate.sprig.date import duration_string, parse_duration
from meshctl.gotemplate.sprig.defaults import go_json_or
from meshctl.gotemplate.sprig.strings import GO_SPACES, go_lower, strval
from meshctl.gotemplate.typed import proto_json

__all__ = ["PROXY_CONFIG_DEFAULTS", "injection_funcmap", "istio_funcmap"]


def _field(obj, go_name: str, json_name: str | None = None):
    """A struct field or proto getter by Go name, on a typed wrapper or on a JSON-form dict."""
    if obj is None or obj is MISSING:
        return None
    if isinstance(obj, GoValue):
        # The GoValue protocol of meshctl.gotemplate.exec: go_field(name) -> (found, value) on structs,
        # go_method(name) -> callable | None (proto getters are nil-safe on nil pointers).
        if obj.go_kind == "struct":
            found, value = obj.go_field(go_name)
            if found:
                return value
        method = obj.go_method(go_name)
        if method is None and is_nil(obj) and not go_name.startswith("Get"):
            # A field of a nil message: Istio reads it through the nil-safe proto getter (zero value).
            method = obj.go_method("Get" + go_name)
        return method() if method is not None else None
    if isinstance(obj, dict):
        key = json_name or go_name[0].lower() + go_name[1:]
        return obj.get(key, obj.get(go_name))
    return None


def _sprint(value) -> str:
    """fmt.Sprint of one value, with fast paths for the strings and small whole numbers that
    chart values usually are (%v of a float64 below 1e6 that is whole prints like an int)."""
    if type(value) is str:
        return value
    if type(value) is float and value.is_integer() and abs(value) < 1e6 and (value or math.copysign(1, value) > 0):
        return str(int(value))
    return sprint(value)


def _str_map(value) -> dict:
    """A Go map[string]string parameter (a nil map reads as empty)."""
    if value is None or value is MISSING or is_nil(value):
        return {}
    if isinstance(value, dict) or (isinstance(value, GoValue) and value.go_kind == "map"):
        return value
    raise type_error(value, "map[string]string")


def _items(value) -> list:
    if value is None or value is MISSING or is_nil(value):
        return []
    return list(value)


def _text(value) -> str:
    """A string-valued field, "" when unset (proto3/Go zero value)."""
    if value is None or value is MISSING:
        return ""
    return value if isinstance(value, str) else strval(value)


_UNENCODABLE = object()


def _plain(value):
    """The value as json.Marshal sees it: typed structs go through their JSON encoding, and
    NaN/Inf raise JSONError as Go's encoder does."""
    if isinstance(value, GoValue):
        return gojson.unmarshal(gojson.marshal(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        gojson.format_float(value)  # raises Go's "json: unsupported value"
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return gojson.unmarshal(gojson.marshal(value))


# ---------------------------------------------------------------------------
# Functions used by the pod templates


def annotation(meta, name, default):
    # template.go: a present key wins even when empty; otherwise fmt.Sprint(default).
    annotations = _str_map(_field(meta, "Annotations"))
    name = arg_str(name)
    if name in annotations:
        return annotations[name]
    return _sprint(None if default is MISSING else default)


def isset(m, key):
    return arg_str(key) in _str_map(m)


def value_or_default(value, default):
    # `value == "" || value == nil`: only an untyped "" or nil interface counts, not 0 or false.
    if value is None or value is MISSING or (type(value) is str and value == ""):
        return None if default is MISSING else default
    return value


def to_yaml(value):
    plain = go_json_or(_UNENCODABLE, _plain, None if value is MISSING else value)
    return "" if plain is _UNENCODABLE else goyaml.marshal(plain)


def indent(spaces, source):
    # Istio's indent pads every line but the first, via fmt "% Ns" (so a negative width pads too).
    # A width fmt's parser overflows on gives Go's error text on those lines instead of padding.
    spaces, source = arg_int(spaces), arg_str(source)
    if not _fmt_width_parses(spaces):
        first, *rest = source.split("\n")
        return "\n".join([first, *(sprintf(f"% {spaces}s%s", "", line) for line in rest)])
    check_size(len(source) + abs(spaces) * source.count("\n"))
    return source.replace("\n", "\n" + " " * abs(spaces))


def _fmt_width_parses(width: int) -> bool:
    """Whether fmt reads `width` as a literal width (fmt/print.go parsenum stops when the number so far
    exceeds 1e6 and more digits follow)."""
    number = 0
    for digit in str(abs(width)):
        if number > 1_000_000:
            return False
        number = number * 10 + int(digit)
    return True


def struct_to_json(value):
    if value is None or value is MISSING:
        return "{}"
    return go_json_or("{}", gojson.marshal, value)


def from_json(text):
    # Unlike sprig's fromJson, an error gives the string "{}".
    return go_json_or("{}", gojson.unmarshal, arg_str(text))


def contains(needle, haystack):
    return arg_str(needle) in arg_str(haystack)


def omit_nil(value):
    # template.go omitNil: nil entries go; a container emptied by removals becomes nil.
    if isinstance(value, dict) and not isinstance(value, GoValue):
        if not value:
            return value
        out = {}
        for k, v in value.items():
            cleaned = omit_nil(v)
            if cleaned is not None and cleaned is not MISSING:
                out[k] = cleaned
        return out or None
    if isinstance(value, list):
        if not value:
            return value
        out = [c for c in map(omit_nil, value) if c is not None and c is not MISSING]
        return out or None
    return None if value is MISSING else value


def exclude_inbound_port(port, excluded):
    port_str = _sprint(None if port is MISSING else port).strip(GO_SPACES)
    excluded = arg_str(excluded)
    if port_str in ("", "0"):
        return excluded
    out = []
    for p in excluded.split(","):
        if p == port_str:
            return excluded
        p = p.strip(GO_SPACES)
        if p:
            out.append(p)
    out.append(port_str)
    return ",".join(out)


def append_multus_network(existing, cni_network):
    existing, cni_network = arg_str(existing), arg_str(cni_network)
    if existing == "":
        return cni_network
    last = existing.rfind("]")
    if last != -1:
        try:
            networks = gojson.unmarshal(existing)
        except gojson.JSONError:
            return existing
        if not isinstance(networks, list) or not all(isinstance(n, dict) or n is None for n in networks):
            return existing  # json: cannot unmarshal ... into []map[string]any
        namespace, _, name = cni_network.rpartition("/")
        for net in networks:
            # An entry without "namespace" matches only a network given without one.
            if net and net.get("name") == name and net.get("namespace", "") == namespace:
                return existing
        entry = f'{{"name": "{name}", "namespace": "{namespace}"}}' if namespace else f'{{"name": "{name}"}}'
        return existing[:last] + ", " + entry + existing[last:]
    if any(net.strip() == cni_network for net in existing.split(",")):
        return existing
    return existing + ", " + cni_network


def directory(path):
    path = arg_str(path)
    return path[: path.rfind("/") + 1]


_OTEL_PREFIX = "resource.opentelemetry.io/"


def _otel_semconv_enabled(mesh_config) -> bool:
    for provider in _items(_field(mesh_config, "ExtensionProviders")):
        otel = _field(provider, "GetOpentelemetry", "opentelemetry")
        mode = _text(_field(otel, "ServiceAttributeEnrichment", "serviceAttributeEnrichment"))
        if mode == "OTEL_SEMANTIC_CONVENTIONS":
            return True
    return False


def _image_version(image: str) -> str:
    # The tag of "repo:tag", else the digest of "repo@sha256:..."; "" for neither.
    name, _, digest = image.partition("@")
    tag_sep = name.rfind(":")
    if tag_sep > name.rfind("/"):
        return name[tag_sep + 1 :]
    return digest


def otel_resource_attributes(mesh_config, annotations, labels, namespace, containers):
    # OpenTelemetry k8s semantic conventions for service.* resource attributes.
    if not _otel_semconv_enabled(mesh_config):
        return ""
    annotations, labels, namespace = _str_map(annotations), _str_map(labels), arg_str(namespace)
    containers = _items(containers)
    service_ns = annotations.get(_OTEL_PREFIX + "service.namespace") or namespace
    version = annotations.get(_OTEL_PREFIX + "service.version") or labels.get("app.kubernetes.io/version", "")
    if not version and len(containers) == 1:
        version = _image_version(_text(_field(containers[0], "Image")))
    first = _text(_field(containers[0], "Name")) if containers else ""
    instance = annotations.get(_OTEL_PREFIX + "service.instance.id") or f"{namespace}.$(POD_NAME).{first}"
    attrs = [f"service.namespace={service_ns}"]
    if version:
        attrs.append(f"service.version={version}")
    attrs.append(f"service.instance.id={instance}")
    return ",".join(attrs)


# ---------------------------------------------------------------------------
# protoToJSON: jsonpb of the proxy config after clearing fields equal to the defaults

# pkg/config/mesh/mesh.go DefaultProxyConfig(), in protobuf JSON form. cleanProxyConfig() clears a field
# of the template's ProxyConfig when it equals this value, so only the overrides get printed. (It also
# compares concurrency and the envoy metrics/access-log services, whose defaults are nil: set, they stay.)
PROXY_CONFIG_DEFAULTS = {
    "configPath": "./etc/istio/proxy",
    "binaryPath": "/usr/local/bin/envoy",
    "serviceCluster": "istio-proxy",
    "drainDuration": "45s",
    "terminationDrainDuration": "5s",
    "discoveryAddress": "istiod.istio-system.svc:15012",
    "proxyAdminPort": 15000,
    "controlPlaneAuthPolicy": "MUTUAL_TLS",
    "statNameLength": 189,
    "statusPort": 15020,
    "tracing": {"zipkin": {"address": "zipkin.istio-system:9411"}},
}


def _json_equal(value, want) -> bool:
    return go_json_or(None, lambda v: gojson.unmarshal(gojson.marshal(v)), value) == want


def clean_proxy_config(fields) -> gojson.StructFields:
    """inject.go cleanProxyConfig on the JSON form: drop fields equal to DefaultProxyConfig()."""
    return gojson.StructFields(
        (key, value)
        for key, value in fields
        if not (key in PROXY_CONFIG_DEFAULTS and _json_equal(value, PROXY_CONFIG_DEFAULTS[key]))
        and not (key == "proxyMetadata" and not value)
    )


def proto_to_json(message):
    if message is None or message is MISSING or is_nil(message):
        return "{}"
    form = proto_json(message)
    if isinstance(form, dict):
        form = gojson.StructFields(form.items())
    if isinstance(form, gojson.StructFields) and getattr(message, "go_type", "ProxyConfig").endswith("ProxyConfig"):
        form = clean_proxy_config(form)
    return go_json_or("{}", gojson.marshal, form)


# ---------------------------------------------------------------------------
# Used by the gateway-controller templates, or registered but unused


def strdict(*kv):
    kv = [arg_str(v) for v in kv]
    return {kv[i]: kv[i + 1] if i + 1 < len(kv) else "" for i in range(0, len(kv), 2)}


def merge_maps(*maps):
    if not maps:
        return None
    out: dict = {}
    for m in maps:
        out.update(_str_map(m))
    return out


def to_json_map(*maps):
    return go_json_or("", gojson.marshal, merge_maps(*maps))


def omit(d, *keys):
    drop = {arg_str(k) for k in keys}
    return {k: v for k, v in _str_map(d).items() if k not in drop}


def to_json(m):
    if m is None or m is MISSING or is_nil(m):
        return "{}"
    return go_json_or("{}", gojson.marshal, _str_map(m))


def format_duration(d):
    # durationpb.Duration.AsDuration().String(); accepts the proto, its JSON form ("23s") or nanoseconds.
    if isinstance(d, str):
        nanos = parse_duration(d) or 0
    elif isinstance(d, int) and not isinstance(d, bool):
        nanos = d
    elif d is None or d is MISSING or is_nil(d):
        nanos = 0
    else:
        nanos = int(_field(d, "Seconds", "seconds") or 0) * 10**9 + int(_field(d, "Nanos", "nanos") or 0)
    return duration_string(nanos)


def _container_ports(containers, include) -> str:
    ports = []
    for c in _items(containers):
        if not include(c):
            continue
        for p in _items(_field(c, "Ports")):
            if _text(_field(p, "Protocol")) in ("UDP", "SCTP"):
                continue
            ports.append(str(int(_field(p, "ContainerPort") or 0)))
    return ",".join(ports)


def include_inbound_ports(containers):
    return _container_ports(containers, lambda c: True)


def application_ports(containers):
    return _container_ports(containers, lambda c: _text(_field(c, "Name")) != "istio-proxy")


def env(host: HostAccess, key, default):
    # In Istio this reads istiod's environment, which meshctl cannot know; it reads what `host`
    # allows: meshctl's own environment for a template the user named, else only --template-env.
    return host.getenv(arg_str(key)) or arg_str(default)


# InjectionFuncmap without `env`, which reads what a HostAccess allows (istio_funcmap adds it).
_HERMETIC_FUNCS: dict = {
    "formatDuration": format_duration,
    "isset": isset,
    "excludeInboundPort": exclude_inbound_port,
    "includeInboundPorts": include_inbound_ports,
    "kubevirtInterfaces": lambda s: arg_str(s),
    "excludeInterfaces": lambda s: arg_str(s),
    "applicationPorts": application_ports,
    "annotation": annotation,
    "valueOrDefault": value_or_default,
    "toJSON": to_json,
    "fromJSON": from_json,
    "structToJSON": struct_to_json,
    "protoToJSON": proto_to_json,
    "toYaml": to_yaml,
    "indent": indent,
    "directory": directory,
    "contains": contains,
    "toLower": go_lower,
    "appendMultusNetwork": append_multus_network,
    "omit": omit,
    "strdict": strdict,
    "toJsonMap": to_json_map,
    "mergeMaps": merge_maps,
    "omitNil": omit_nil,
    "otelResourceAttributes": otel_resource_attributes,
}


def istio_funcmap(host: HostAccess) -> dict:
    """Istio's InjectionFuncmap (pkg/kube/inject/template.go), its `env` reading what `host` allows."""
    return {**_HERMETIC_FUNCS, "env": functools.partial(env, host)}


@functools.lru_cache(maxsize=8)
def injection_funcmap(host: HostAccess) -> dict:
    """The functions injection templates run with, as Istio registers them (sprig.TxtFuncMap(), then
    InjectionFuncmap overriding indent/contains/env/omit), reading what `host` allows. Do not modify."""
    return {**txt_func_map(host), **istio_funcmap(host)}
