"""Parsed JSON -> the BootstrapConfigDump, from a config dump, a bootstrap dump or envoy-rev.json."""

from __future__ import annotations

from meshctl.decode.configdump import from_object
from meshctl.decode.protojson import has_camel_keys, to_snake
from meshctl.errors import DecodeError

# Fields of envoy.config.bootstrap.v3.Bootstrap that tell a bootstrap from other JSON.
_BOOTSTRAP_FIELDS = frozenset(
    {"node", "static_resources", "dynamic_resources", "admin", "layered_runtime", "cluster_manager", "stats_config",
     "staticResources", "dynamicResources", "layeredRuntime", "clusterManager", "statsConfig"}
)  # fmt: skip


def bootstrap_of(data: bytes) -> dict:
    """`bootstrap_document` of input bytes; of a config dump only its bootstrap section is parsed."""
    from meshctl.decode.configdump import load_json, looks_like_dump, parse

    if looks_like_dump(data):
        return dump_bootstrap(parse(data, sections={"BootstrapConfigDump"}))
    return bootstrap_document(load_json(data, "input"))


def dump_bootstrap(dump) -> dict:
    """The BootstrapConfigDump section of a ConfigDump; DecodeError when it has none."""
    section = dump.section("BootstrapConfigDump")
    if not isinstance(section, dict) or not isinstance(section.get("bootstrap"), dict):
        raise DecodeError("config dump has no bootstrap (BootstrapConfigDump) section")
    return section


def bootstrap_document(document) -> dict:
    """The BootstrapConfigDump (``{"bootstrap": {...}, ...}``, snake_case) in parsed JSON.

    Accepts a full config dump, a BootstrapConfigDump (what `istioctl pc bootstrap -o json`
    prints) and a plain bootstrap file such as pilot-agent's ``envoy-rev.json``.
    """
    if isinstance(document, dict) and "configs" in document:
        return dump_bootstrap(from_object(document))
    if isinstance(document, dict) and isinstance(document.get("bootstrap"), dict):
        wrapper = document
    elif isinstance(document, dict) and _BOOTSTRAP_FIELDS & document.keys():
        wrapper = {"bootstrap": document}
    else:
        raise DecodeError("input is neither an Envoy config dump nor a bootstrap (no configs, bootstrap or node)")
    bootstrap = wrapper["bootstrap"]
    if has_camel_keys(wrapper) or has_camel_keys(bootstrap) or has_camel_keys(_dict(bootstrap.get("node"))):
        wrapper = to_snake(wrapper)  # protobuf JSON (istioctl -o json): read as Envoy's own names
    return wrapper


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}
