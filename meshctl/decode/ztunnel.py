"""ztunnel `/config_dump` bytes -> ZtunnelDump, and its structs -> the JSON istioctl prints.

Reading follows Go's encoding/json as istioctl's ``ConfigWriter.Prime`` uses it
(istioctl/pkg/writer/ztunnel/configdump/configdump.go), made tolerant:

- an object key names a field by its exact JSON name, else case-insensitively (Go's rule: the dump's
  ``workloadState`` fills istioctl's ``workloadstate``); of repeated keys the last wins;
- JSON null leaves a field at its zero value (nil for slices, maps and pointers);
- keys istioctl's types do not have are ignored by them and kept in each struct's ``raw``;
- a section may be a list or a map (older ztunnels key workloads by "network/ip"):
  ``unmarshalListOrMap`` takes a map's values;
- where Go would reject the whole dump (a string where a number belongs, a port out of range),
  meshctl keeps the zero value and records a warning.

Writing (`go_json`) is Go's ``json.Marshal`` of the same structs: field order, ``omitempty``,
nil slices and maps as null, map keys sorted as strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from meshctl.decode.configdump import load_json
from meshctl.errors import DecodeError
from meshctl.model.ztunnel import (
    CIDRVIP,
    STRING,
    CertsDump,
    ListOf,
    MapOf,
    PointerTo,
    Scalar,
    WorkloadState,
    ZtunnelDump,
    ZtunnelPolicy,
    ZtunnelService,
    ZtunnelWorkload,
    go_fields,
)
from meshctl.redact import REDACTED, redact_bytes, redact_text

# configdump.go rawDump: JSON name -> (ZtunnelDump attribute, item struct, list-or-map section).
_SECTIONS = {
    "services": ("services", ZtunnelService, True),
    "workloads": ("workloads", ZtunnelWorkload, True),
    "policies": ("policies", ZtunnelPolicy, True),
    "certificates": ("certificates", CertsDump, True),
    "workloadstate": ("workload_state", WorkloadState, False),
}
_MAX_WARNINGS = 20
_UINT_LIMITS = {"uint16": 0xFFFF, "uint32": 0xFFFF_FFFF, "int": 2**63 - 1}
_DIGITS = re.compile(r"[0-9]+")


def parse(data: bytes) -> ZtunnelDump:
    """Decode ztunnel's `/config_dump` (raises DecodeError only when it is not one at all)."""
    document = load_json(data, "ztunnel config dump")
    if not isinstance(document, dict):
        raise DecodeError(f"not a ztunnel config dump: a JSON {_json_type(document)}, not an object")
    reader = _Reader()
    if redact_bytes(data) is not data:
        # A ztunnel never dumps keys; a tampered or hand-made file might. Output is redacted anyway
        # (meshctl.emit); here the decoded views lose them too, and a warning says where they were.
        document = reader.redact(document, "")
    table = _FieldTable.of_names(tuple(_SECTIONS))
    values: dict[str, Any] = {}
    for key, value in document.items():
        name = table.find(key)
        if name is not None:
            values[name] = value
    if not values:
        if "configs" in document:
            raise DecodeError("this is an Envoy config dump (it has `configs`), not ztunnel's: read it with `meshctl pc`")
        reader.warn("", "none of workloads, services, policies, certificates, workloadState: is this a ztunnel config dump?")
    sections: dict[str, Any] = {}
    for name, value in values.items():
        attr, struct, list_or_map = _SECTIONS[name]
        sections[attr] = reader.section(value, struct, name) if list_or_map else reader.value(MapOf(STRING, struct), value, name)
    return ZtunnelDump(**sections, document=document, warnings=reader.finish(), redacted=reader.redactions > 0)


class _FieldTable:
    """Go's field lookup for a struct (or rawDump's names): exact JSON name first, then a
    case-insensitive match; the answers for keys seen before are kept (dumps repeat them)."""

    def __init__(self, names: dict[str, Any]) -> None:
        self.exact = dict(names)
        self.folded = {name.casefold(): value for name, value in reversed(list(names.items()))}
        self.seen: dict[str, Any] = {}

    @staticmethod
    @cache
    def of_names(names: tuple[str, ...]) -> _FieldTable:
        return _FieldTable({n: n for n in names})

    def find(self, key: str):
        found = self.exact.get(key)
        if found is None:
            if key not in self.seen:
                self.seen[key] = self.folded.get(key.casefold())
            found = self.seen[key]
        return found


# A path in the dump, built only when a warning needs it: () or (parent path, key or index).
Path = tuple


def path_text(path: Path) -> str:
    """"workloads[3].capacity" for (((("workloads",), 3), "capacity")) and the like."""
    parts = []
    while path:
        path, step = path if len(path) == 2 else ((), path[0])
        if isinstance(step, tuple):  # a map-shaped section's key
            step = f"[{step[0]!r}]"
        parts.append(f"[{step}]" if isinstance(step, int) else step if step.startswith("[") else f".{step}")
    text = "".join(reversed(parts))
    return text[1:] if text.startswith(".") else text


class _Reader:
    """One decoding pass: Go's rules for each kind, with warnings instead of failures."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.dropped = 0
        self.redactions = 0

    def warn(self, path, message: str) -> None:
        if len(self.warnings) < _MAX_WARNINGS:
            where = path if isinstance(path, str) else path_text(path)
            self.warnings.append(f"{where}: {message}" if where else message)
        else:
            self.dropped += 1

    def finish(self) -> tuple[str, ...]:
        more = [f"... and {self.dropped} more problems of the same kind"] if self.dropped else []
        return tuple(self.warnings + more)

    def redact(self, value, path: str):
        if isinstance(value, str):
            cleaned = redact_text(value)  # the one recogniser (meshctl.redact): PEM, base64, DER
            if cleaned is not value:
                self.redactions += 1
                self.warn(path, f"held a private key: replaced by {REDACTED}")
            return cleaned
        if isinstance(value, list):
            return [self.redact(item, f"{path}[{index}]") for index, item in enumerate(value)]
        if isinstance(value, dict):
            return {key: self.redact(item, f"{path}.{key}" if path else key) for key, item in value.items()}
        return value

    def section(self, value, struct: type, name: str) -> list | None:
        """configdump.go unmarshalListOrMap: a list, or a map's values; null is an empty section."""
        if isinstance(value, dict):
            items = [(((name,), (key,)), item) for key, item in value.items()]
        elif isinstance(value, list):
            items = [(((name,), index), item) for index, item in enumerate(value)]
        elif value is None:
            return []
        else:
            self.warn(name, f"is a JSON {_json_type(value)}, not a list or map: ignored")
            return None
        convert = converter(struct)
        decoded = []
        for (parent, key), item in items:
            if item is None:
                self.warn((parent, key), "null entry skipped")
                continue
            decoded.append(convert(self, item, parent, key))
        return decoded

    def value(self, kind, value, name: str):
        """A top-level value `name` of the dump as `kind`."""
        return converter(kind)(self, value, (), name)

    def mismatch(self, path, value, wanted: str, zero):
        shown = f" {value!r}"[:60] if isinstance(value, (int, float, str)) and not isinstance(value, bool) else ""
        article = "an" if wanted[0] in "aeio" else "a"
        self.warn(path, f"want {article} {wanted}, got a JSON {_json_type(value)}{shown}: ignored")
        return zero


Converter = Callable[[_Reader, Any, Path, Any], Any]


@cache
def converter(kind) -> Converter:
    """The decoding function for a Go type: (reader, JSON value, parent path, key) -> meshctl value.

    Built once per type, Go's rules resolved ahead: a dump of 20k workloads costs about one call
    per value, and a value's path ((parent, key)) is only put together, and turned into text, for
    a warning.
    """
    if isinstance(kind, Scalar):
        return _scalar_converter(kind.name)
    if isinstance(kind, PointerTo):
        target = converter(kind.target)

        def pointer(reader, value, parent, key):
            return None if value is None else target(reader, value, parent, key)

        return pointer
    if isinstance(kind, ListOf):
        item = converter(kind.item)

        def slice_(reader, value, parent, key):
            if type(value) is not list:
                return None if value is None else reader.mismatch((parent, key), value, "list", None)
            path = (parent, key)
            return [item(reader, element, path, index) for index, element in enumerate(value)]

        return slice_
    if isinstance(kind, MapOf):
        key_name, item = kind.key.name, converter(kind.item)

        def map_(reader, value, parent, key):
            if type(value) is not dict:
                return None if value is None else reader.mismatch((parent, key), value, "object", None)
            path = (parent, key)
            decoded = {}
            for map_key, element in value.items():
                decoded_key = map_key if key_name == "string" else _map_key(reader, key_name, map_key, path)
                if decoded_key is not None:
                    decoded[decoded_key] = item(reader, element, path, map_key)
            return decoded

        return map_
    return _struct_converter(kind)


def _scalar_converter(name: str) -> Converter:
    if name == "any":
        return lambda reader, value, parent, key: _go_any(value)
    if name == "string":
        def string(reader, value, parent, key):
            if type(value) is str:
                return value
            return "" if value is None else reader.mismatch((parent, key), value, "string", "")

        return string
    if name == "bool":
        def boolean(reader, value, parent, key):
            if type(value) is bool:
                return value
            return False if value is None else reader.mismatch((parent, key), value, "bool", False)

        return boolean
    low, high = (-(2**63) if name == "int" else 0), _UINT_LIMITS[name]

    def integer(reader, value, parent, key):
        if type(value) is int and low <= value <= high:
            return value
        if value is None:
            return 0
        wanted = f"integer ({name})" if type(value) is not int else f"{name} in range"
        return reader.mismatch((parent, key), value, wanted, 0)

    return integer


def _struct_converter(struct: type) -> Converter:
    table = _FieldTable({f.json: (f.attr, f.json, converter(f.kind)) for f in go_fields(struct)})
    exact = table.exact.get
    new = object.__new__

    def decode(reader, value, parent, key):
        if type(value) is not dict:
            if value is None:
                return struct()
            if struct is CIDRVIP and type(value) is str:
                # api.go CIDRVIP.UnmarshalJSON: the string form is "network/cidr".
                network, sep, cidr = value.partition("/")
                if not sep:
                    return reader.mismatch((parent, key), value, "network/cidr string", CIDRVIP())
                return CIDRVIP(raw={}, cidr=cidr, network=network)
            return reader.mismatch((parent, key), value, "object", struct())
        path = (parent, key)
        found = {"raw": value}
        for name, item in value.items():
            field = exact(name) or table.find(name)
            if field is not None:
                attr, json_name, convert = field
                found[attr] = convert(reader, item, path, json_name)
        obj = new(struct)
        obj.__dict__.update(found)  # GoStruct without its __init__ checks: the table only names fields
        return obj

    return decode


def _map_key(reader: _Reader, name: str, key: str, path):
    # Go: strconv.ParseUint(key, 10, 64), then the key type's range.
    if len(key) <= 20 and _DIGITS.fullmatch(key) and int(key) <= _UINT_LIMITS[name]:
        return int(key)
    reader.warn((path, key), f"map key is not a {name}: entry ignored")
    return None


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "null")


def _go_any(value):
    """Go's interface{} from JSON: numbers are float64."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [_go_any(item) for item in value]
    return {key: _go_any(item) for key, item in value.items()}


# --- writing ----------------------------------------------------------------------------------


def go_json(value, kind=None):
    """The JSON data Go's json.Marshal writes for `value` (a struct of meshctl.model.ztunnel, or a
    list of them when `kind` is None), in Go's field order: pass the result to render.data.to_json."""
    if kind is None:
        if value is None:
            return None
        return [go_json(item, type(item)) if item is not None else None for item in value]
    if value is None:
        return None
    if isinstance(kind, Scalar):
        return value
    if isinstance(kind, PointerTo):
        return go_json(value, kind.target)
    if isinstance(kind, ListOf):
        return [go_json(item, kind.item) for item in value]
    if isinstance(kind, MapOf):
        # encoding/json sorts map keys by their string form (integer keys too).
        items = sorted((str(key), item) for key, item in value.items())
        return {key: go_json(item, kind.item) for key, item in items}
    if kind is CIDRVIP:
        return f"{value.network}/{value.cidr}"  # api.go CIDRVIP.MarshalJSON
    return {
        f.json: go_json(getattr(value, f.attr), f.kind)
        for f in go_fields(kind)
        if not (f.omitempty and _is_empty(getattr(value, f.attr), f.kind))
    }


def _is_empty(value, kind) -> bool:
    # encoding/json isEmptyValue: false, 0, "", nil pointer or interface, empty slice or map; a
    # struct never is, nor is a non-nil pointer or interface (whatever it points to).
    if value is None:
        return True
    if isinstance(kind, (PointerTo, type)) or (isinstance(kind, Scalar) and kind.name == "any"):
        return False
    return not value
