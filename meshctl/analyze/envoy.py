"""Accessors of Envoy's config resources (snake_case dicts as the admin API prints them), pure.

What several analyses read the same way: cluster names as Istio builds them (subset keys), a
cluster's type, a listener's addresses, port, filter chains and type. Tolerant: a field of the
wrong type reads as absent, never an exception (dumps come from every Envoy version).
"""

from __future__ import annotations

import functools

HTTP_CONNECTION_MANAGER = "envoy.filters.network.http_connection_manager"
TCP_PROXY = "envoy.filters.network.tcp_proxy"
BLACK_HOLE_CLUSTER = "BlackHoleCluster"
PASSTHROUGH_CLUSTER = "PassthroughCluster"


# ---- cluster names (Istio subset keys) and types ---------------------------------------------


@functools.lru_cache(maxsize=1 << 16)  # sorting and printing both parse each name (20k clusters)
def parse_subset_key(key: str) -> tuple[str, str, str, int]:
    """istio pilot/pkg/model ParseSubsetKey: "dir|port|subset|fqdn" -> (direction, subset, fqdn, port)."""
    sep = "_." if key.startswith(("outbound_", "inbound_")) else "|"
    parts = key.split(sep, 3)  # = Go's three strings.Cut calls
    if len(parts) < 3:
        return (parts[0] if len(parts) == 2 else ""), "", "", 0
    port = _go_atoi(parts[1])
    if len(parts) == 3:
        return parts[0], "", "", port
    # A fourth separator leaves the FQDN empty, as in Go.
    return parts[0], parts[2], "" if sep in parts[3] else parts[3], port


_INT_MIN, _INT_MAX = -(1 << 63), (1 << 63) - 1  # Go's int on 64-bit platforms


def _go_atoi(text: str) -> int:
    """strconv.Atoi's value with its error ignored, as istioctl does: 0 for what is not a decimal
    number, and the nearest int for a number out of range (Atoi returns it with ErrRange)."""
    number = _decimal(text)
    return 0 if number is None else min(max(number, _INT_MIN), _INT_MAX)


def strict_atoi(text: str) -> int | None:
    """strconv.Atoi: the integer `text` spells (an optional sign, ASCII digits), else None, as where
    Go returns an error (not decimal, or out of int's range)."""
    number = _decimal(text)
    return number if number is not None and _INT_MIN <= number <= _INT_MAX else None


def _decimal(text: str) -> int | None:
    body = text[1:] if text[:1] in "+-" else text
    return int(text) if body.isascii() and body.isdigit() else None


def cluster_type(cluster: dict) -> str:
    """Cluster.GetType().String(): the `type` field, STATIC (the zero value) when absent."""
    value = cluster.get("type", "STATIC")
    return value if isinstance(value, str) else str(value)


# ---- listeners --------------------------------------------------------------------------------


def filter_chains(listener: dict) -> list[dict]:
    """The listener's filter chains, then its default filter chain (if any)."""
    chains = [chain for chain in listener.get("filter_chains") or [] if isinstance(chain, dict)]
    default = listener.get("default_filter_chain")
    if isinstance(default, dict):
        chains.append(default)
    return chains


def chain_filters(chain: dict) -> list[dict]:
    """The network filters of a filter chain."""
    return [item for item in chain.get("filters") or [] if isinstance(item, dict)]


def typed_config(item: dict) -> dict:
    """A filter's typed_config ({} when absent)."""
    config = item.get("typed_config")
    return config if isinstance(config, dict) else {}


def mentions(value, needle: str) -> bool:
    """Does any string in `value` contain `needle` (istioctl greps the serialized proto bytes)."""
    if isinstance(value, str):
        return needle in value
    if isinstance(value, dict):
        return any(mentions(item, needle) for item in value.values())
    if isinstance(value, list):
        return any(mentions(item, needle) for item in value)
    return False


def listener_type(listener: dict) -> str:
    """listener.go retrieveListenerType: HTTP | TCP | HTTP+TCP | UNKNOWN."""
    http = tcp = 0
    for chain in filter_chains(listener):
        for item in chain_filters(chain):
            if item.get("name") == HTTP_CONNECTION_MANAGER:
                http += 1
            elif item.get("name") == TCP_PROXY and not mentions(typed_config(item), BLACK_HOLE_CLUSTER):
                tcp += 1
    if http:
        return "HTTP" if not tcp else "HTTP+TCP"
    return "TCP" if tcp else "UNKNOWN"


def socket_address(listener: dict) -> dict:
    """The listener's socket address ({} for pipes and internal listeners)."""
    address = listener.get("address")
    socket = address.get("socket_address") if isinstance(address, dict) else None
    return socket if isinstance(socket, dict) else {}


def listener_address(listener: dict) -> str:
    """listener.go retrieveListenerAddress: socket address, pipe path, or ""."""
    address = listener.get("address")
    if not isinstance(address, dict):
        return ""
    if isinstance(address.get("socket_address"), dict):
        return str(address["socket_address"].get("address", ""))
    if isinstance(address.get("pipe"), dict):
        return str(address["pipe"].get("path", ""))
    return ""


def listener_addresses(listener: dict) -> list[str]:
    """The main address followed by the additional addresses."""
    addresses = [listener_address(listener)]
    for extra in listener.get("additional_addresses") or []:
        socket = ((extra or {}).get("address") or {}).get("socket_address") or {}
        addresses.append(str(socket.get("address", "")))
    return addresses


def listener_port(listener: dict) -> int:
    """The listener's port (0 when it has none)."""
    port = socket_address(listener).get("port_value", 0)
    return port if isinstance(port, int) else 0
