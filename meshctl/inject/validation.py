"""Validation of injection annotations (pkg/kube/inject/validate.go), before any template runs."""

from __future__ import annotations

import ipaddress

from meshctl.errors import DecodeError


class InvalidAnnotation(DecodeError):
    """An injection annotation has a value Istio rejects (exit 65, like istioctl's data errors)."""


def _parse_port(text: str) -> int:
    s = text.strip()
    if not s.isdigit() or not s.isascii() or int(s) > 65535:
        raise ValueError(f'failed parsing port "{text}": strconv.ParseUint: parsing "{s}": invalid syntax')
    return int(s)


def _port_list(ports: str) -> None:
    try:
        stripped = ports.strip()
        for p in stripped.split(",") if stripped else ():
            _parse_port(p)
    except ValueError as exc:
        raise ValueError(f'portList "{ports}" invalid: {exc}') from None


def _cidr_list(cidrs: str) -> None:
    for cidr in cidrs.split(",") if cidrs else ():
        # netip.ParsePrefix: an address, "/", and a prefix length (host bits may be set).
        addr, slash, bits = cidr.partition("/")
        try:
            if not slash or not bits.isdigit() or (len(bits) > 1 and bits[0] == "0"):
                raise ValueError("no '/'" if not slash else f"bad bits after slash: {bits!r}")
            ipaddress.ip_interface(cidr)
        except ValueError as exc:
            raise ValueError(f"failed parsing cidr '{cidr}': netip.ParsePrefix({cidr!r}): {exc}") from None


def _wrap(prefix: str, check, allow_star: bool = False):
    def validate(value: str) -> None:
        if allow_star and value == "*":
            return
        try:
            check(value)
        except ValueError as exc:
            raise ValueError(f"{prefix} invalid: {exc}") from None

    return validate


def _interception_mode(mode: str) -> None:
    if mode not in ("REDIRECT", "TPROXY", "NONE"):
        raise ValueError(f"interceptionMode invalid, use REDIRECT,TPROXY,NONE: {mode}")


def _uint(bits: int):
    def validate(value: str) -> None:
        if not value.isdigit() or not value.isascii() or int(value) >= 1 << bits:
            raise ValueError(f'strconv.ParseUint: parsing "{value}": invalid syntax')

    return validate


def _bool(value: str) -> None:
    if value not in ("1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"):
        raise ValueError(f'strconv.ParseBool: parsing "{value}": invalid syntax')


def _status_port(value: str) -> None:
    _parse_port(value)


def _resource_quantity(value: str) -> None:
    """validate.go validateResourceQuantity: no control characters, then resource.ParseQuantity."""
    import unicodedata

    from meshctl.inject.quantity import parse

    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("value contains control characters")
    parse(value)  # QuantityError is a ValueError


# validate.go AnnotationValidation. Not checked here, for want of their Go in ../shared/istio-src:
# the interface names of traffic.sidecar.istio.io/excludeInterfaces, kubevirtInterfaces and
# istio.io/reroute-virtual-interfaces (netutil.ValidateInterfaceNames), and proxy.istio.io/config
# beyond being YAML for a ProxyConfig (agent.ValidateMeshConfigProxyConfig).
VALIDATORS = {
    "sidecar.istio.io/interceptionMode": _interception_mode,
    "status.sidecar.istio.io/port": _status_port,
    "readiness.status.sidecar.istio.io/initialDelaySeconds": _uint(32),
    "readiness.status.sidecar.istio.io/periodSeconds": _uint(32),
    "readiness.status.sidecar.istio.io/failureThreshold": _uint(32),
    "traffic.sidecar.istio.io/includeOutboundIPRanges": _wrap("includeIPRanges", _cidr_list, allow_star=True),
    "traffic.sidecar.istio.io/excludeOutboundIPRanges": _wrap("excludeIPRanges", _cidr_list),
    "traffic.sidecar.istio.io/includeInboundPorts": _wrap("includeInboundPorts", _port_list, allow_star=True),
    "traffic.sidecar.istio.io/excludeInboundPorts": _wrap("excludeInboundPorts", _port_list),
    "traffic.sidecar.istio.io/excludeOutboundPorts": _wrap("excludeOutboundPorts", _port_list),
    "prometheus.istio.io/merge-metrics": _bool,
    "sidecar.istio.io/proxyCPU": _resource_quantity,
    "sidecar.istio.io/proxyMemory": _resource_quantity,
    "sidecar.istio.io/proxyCPULimit": _resource_quantity,
    "sidecar.istio.io/proxyMemoryLimit": _resource_quantity,
}


def validate_annotations(annotations: dict) -> None:
    """Raise InvalidAnnotation naming every annotation whose value Istio would reject."""
    errors = []
    for name in sorted(annotations or {}):
        check = VALIDATORS.get(name)
        if check is None:
            continue
        value = annotations[name]
        try:
            check(value)
        except ValueError as exc:
            errors.append(f"invalid value '{value}' for annotation '{name}': {exc}")
    if errors:
        raise InvalidAnnotation("injection failed: " + "; ".join(errors))
