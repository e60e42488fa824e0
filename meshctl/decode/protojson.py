"""snake_case <-> camelCase keys of Envoy JSON, without a schema.

Envoy's admin API prints proto field names (``transport_socket_matches``); istioctl re-marshals with
protojson (``transportSocketMatches``). Field *order* is the same in both (declaration order), so
only keys change. Keys of maps and of ``google.protobuf.Struct`` values are data, not field names,
and must stay as they are: those places are listed below. Anything unknown is carried through.
"""

from __future__ import annotations

import re

# Fields whose value is a Struct or map<string, Struct>: the whole subtree is data.
_VERBATIM_SUBTREES = frozenset(
    {
        "filter_metadata", "filterMetadata",
        "static_layer", "staticLayer",
        "default_subset", "defaultSubset",
        "per_filter_config", "perFilterConfig",
        "extension_protocol_options", "extensionProtocolOptions",
    }
)
# Fields that are maps: the keys are data, the values are messages (or scalars).
_MAPS = frozenset(
    {
        "typed_per_filter_config", "typedPerFilterConfig",
        "typed_extension_protocol_options", "typedExtensionProtocolOptions",
        "typed_filter_metadata", "typedFilterMetadata",
        "key_values", "keyValues",  # wasm EnvironmentVariables
        "policies",  # RBAC: policy name -> Policy
    }
)
# Any payloads whose "value" is a Struct (udpa/xds TypedStruct, google.protobuf.Struct).
_STRUCT_VALUE_TYPES = ("TypedStruct", "google.protobuf.Struct", "google.protobuf.Value")
# Struct fields known by their parent: TransportSocketMatch.match (e.g. {"tlsMode": "istio"}).
_STRUCT_CHILDREN = frozenset({("transport_socket_matches", "match"), ("transportSocketMatches", "match")})
# A Metadata message has these fields; a "metadata" without them is a Struct (e.g. Node.metadata).
_METADATA_FIELDS = frozenset({"filter_metadata", "filterMetadata", "typed_filter_metadata", "typedFilterMetadata"})

# An RBAC `metadata` Principal/Permission is a MetadataMatcher (fields filter, path, value), not a Struct.
_MATCHER_FIELDS = frozenset({"filter", "path"})

_SNAKE_FIELD = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
_CAMEL_FIELD = re.compile(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+")
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _camel_key(key: str, cache: dict[str, str] = {}) -> str:  # noqa: B006 - deliberate memo
    try:
        return cache[key]
    except KeyError:
        pass
    if _SNAKE_FIELD.fullmatch(key):
        # protoc ToJsonName: drop each "_" and upper-case the next character.
        head, *rest = key.split("_")
        converted = head + "".join(part[:1].upper() + part[1:] for part in rest)
    else:
        converted = key
    cache[key] = converted
    return converted


def camel_field_name(name: str) -> str:
    """A snake_case proto field name as protobuf JSON spells it (protoc ToJsonName); other keys as they are."""
    return _camel_key(name)


def _snake_key(key: str, cache: dict[str, str] = {}) -> str:  # noqa: B006 - deliberate memo
    try:
        return cache[key]
    except KeyError:
        pass
    converted = _CAMEL_HUMP.sub(lambda m: "_" + m.group(1).lower(), key) if _CAMEL_FIELD.fullmatch(key) else key
    cache[key] = converted
    return converted


def to_camel(value):
    """Return `value` as istioctl's protobuf JSON: camelCase field names, map keys sorted.

    Go's protojson prints map entries (and Struct fields, a map) sorted by key; Envoy does not.
    """
    return _convert(value, _camel_key, True)


def istioctl_resource(resource: dict) -> dict:
    """A resource as istioctl prints it with -o json: protobuf JSON (camelCase, maps sorted), no @type."""
    return to_camel({key: value for key, value in resource.items() if key != "@type"})


def to_snake(value):
    """Return `value` with proto field names in Envoy's snake_case (the decode layer's form)."""
    return _convert(value, _snake_key, False)


def _sorted_data(value):
    if isinstance(value, dict):
        return {key: _sorted_data(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_data(item) for item in value]
    return value


# What `_convert` makes of a field's value (`field_value_kind`).
DATA, MAP, MESSAGE = "data", "map", "message"


def field_value_kind(key: str, parent: str, struct_value: bool, value_keys) -> str:
    """What the projection makes of the value of field `key` (snake_case or camelCase): DATA (kept
    as it is, keys and all: a Struct), MAP (its keys are data, its values messages converted with
    no parent) or MESSAGE (converted, `key` the parent of its fields and its items' fields).

    `parent`: the field holding the object (through lists); `struct_value`: the object is an Any of
    a Struct type (`is_struct_type`); `value_keys`: the value's keys when it is an object, else None.
    """
    if key in _VERBATIM_SUBTREES or (struct_value and key == "value") or (parent, key) in _STRUCT_CHILDREN:
        return DATA
    if value_keys is not None:
        if key in _MAPS:
            return MAP
        if key == "metadata" and not (_METADATA_FIELDS & value_keys) and not _MATCHER_FIELDS <= value_keys:
            return DATA
    return MESSAGE


def is_struct_type(type_url) -> bool:
    """Whether an Any's "@type" names a type whose "value" is a Struct (TypedStruct, Struct, Value)."""
    return isinstance(type_url, str) and type_url.endswith(_STRUCT_VALUE_TYPES)


def _convert(value, convert_key, sort_maps: bool, parent: str = ""):
    if isinstance(value, list):
        return [_convert(item, convert_key, sort_maps, parent) for item in value]
    if not isinstance(value, dict):
        return value
    struct_value = _is_struct_any(value)
    convert_data = _sorted_data if sort_maps else (lambda data: data)
    result = {}
    for key, item in value.items():
        new_key = convert_key(key)
        kind = field_value_kind(key, parent, struct_value, item.keys() if isinstance(item, dict) else None)
        if kind is DATA:
            result[new_key] = convert_data(item)
        elif kind is MAP:
            names = sorted(item) if sort_maps else item
            result[new_key] = {name: _convert(item[name], convert_key, sort_maps) for name in names}
        else:
            result[new_key] = _convert(item, convert_key, sort_maps, key)
    return result


def _is_struct_any(value: dict) -> bool:
    return is_struct_type(value.get("@type"))


def convert_value(value, parent: str = "", data: bool = False):
    """`value` as `to_camel` makes it where it is the value of field `parent` (or, `data`, is kept as it is)."""
    return _sorted_data(value) if data else _convert(value, _camel_key, True, parent)


def has_camel_keys(value: dict) -> bool:
    """True when the keys of `value` (one level) are protobuf-JSON camelCase rather than Envoy's."""
    return any(_CAMEL_FIELD.fullmatch(key) for key in value)
