"""Envoy `/config_dump` bytes -> ConfigDump (sections by admin type), tolerant of version skew.

Accepts Envoy's own JSON (snake_case), protobuf JSON as istioctl prints it (camelCase), full dumps
with or without EDS, and masked dumps. Unknown section types are kept and reported as warnings,
never an error (istioctl wrapper.go fails on them; istio #52872, #19409).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from meshctl.decode.protojson import has_camel_keys, to_camel, to_snake
from meshctl.errors import DecodeError

# istioctl configdump/wrapper.go: v2alpha admin types are read as their v3 equivalents.
_ADMIN_PREFIXES = ("envoy.admin.v3.", "envoy.admin.v2alpha.")
KNOWN_SECTIONS = (
    "BootstrapConfigDump",
    "ClustersConfigDump",
    "EndpointsConfigDump",
    "ListenersConfigDump",
    "ScopedRoutesConfigDump",
    "RoutesConfigDump",
    "SecretsConfigDump",
    "EcdsConfigDump",
)


# Plain classes, not dataclasses: both are made at import by every pod command, and dataclasses
# compiles their methods then (~1 ms each; issue 16).


class UnknownSection:
    """A config entry whose @type meshctl does not know; carried through unchanged."""

    __slots__ = ("type_url", "raw")

    def __init__(self, type_url: str, raw: dict) -> None:
        self.type_url = type_url
        self.raw = raw


class ConfigDump:
    """The sections of one config dump, keys normalised to Envoy's snake_case."""

    def __init__(
        self,
        entries: dict[str, list[dict]] | None = None,
        unknown_sections: list[UnknownSection] | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        self.entries = {} if entries is None else entries
        self.unknown_sections = [] if unknown_sections is None else unknown_sections
        self.warnings = [] if warnings is None else warnings

    def section(self, name: str) -> dict | None:
        """The raw entry for `name` (e.g. "ClustersConfigDump"), or None when the dump lacks it.

        Envoy may print several entries of one type (one EcdsConfigDump per filter kind); they
        are merged: list fields concatenated, the first value kept for the others.
        """
        found = self.entries.get(name)
        if not found:
            return None
        if len(found) == 1:
            return found[0]
        merged = dict(found[0])
        for entry in found[1:]:
            for key, value in entry.items():
                if isinstance(value, list) and isinstance(merged.get(key), list):
                    merged[key] = merged[key] + value
                else:
                    merged.setdefault(key, value)
        return merged


def load_json(data: bytes, what: str = "input"):
    """Parse JSON bytes fast (orjson), or raise a one-line DecodeError."""
    if not data or data.isspace():  # (not .strip(): that copies 150 MB)
        raise DecodeError(f"{what} is empty")
    return _loads(data, what)


def _loads(data, what: str):
    import orjson

    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"{what} is not valid JSON (truncated or corrupt?): {_short(str(exc))}") from None


# Dumps reach 150 MB (10M+ objects): past this size, parse only the sections a caller reads.
_BIG_INPUT = 16 << 20


# What a caller reads of a section: {field: its fields, or None for the whole value}; a list's
# items are read with the list's fields. Keys are Envoy's snake_case names (camelCase input is
# matched too). Kept values are as a full parse gives them (of duplicate keys, which Envoy never
# prints, the first is kept); everything else is left out.
Fields = dict[str, "Fields | None"]


def parse(data: bytes, sections: Collection[str] | None = None, fields: Fields | None = None) -> ConfigDump:
    """Decode a `/config_dump` body into a ConfigDump; DecodeError (exit 65) if it is not one.

    `sections` (e.g. ``{"ClustersConfigDump"}``) says which sections the caller reads: on big
    dumps the others are then never parsed (less than half the time and memory for `pc cluster`).
    `fields` narrows those sections further to the fields the caller reads (see `Fields`).
    """
    if sections is not None and len(data) >= _BIG_INPUT:
        partial = _parse_sections(data, set(sections), fields)
        if partial is not None:
            return partial
    return from_object(load_json(data, "config dump"))


# A config entry starts with its admin type, first, as Envoy and protojson print it. Envoy never
# puts an admin type inside a resource, so these mark the entries of the `configs` list.
_ADMIN_TYPE = b'"type.googleapis.com/envoy.admin.v'
_ENTRY_PREFIX = re.compile(rb'\{\s*"@type"\s*:\s*\Z')
_ENTRY_NAME = re.compile(rb'[0-9a-z]+\.(\w+)"')


def _entry_starts(data: bytes) -> list[tuple[int, str]]:
    """(offset of the entry's "{", section name) for each config entry (bytes.find: 148 MB in ms)."""
    found = []
    at = data.find(_ADMIN_TYPE)
    while at >= 0:
        opening = _ENTRY_PREFIX.search(data, max(0, at - 64), at)
        name = _ENTRY_NAME.match(data, at + len(_ADMIN_TYPE))
        if opening is not None and name is not None:
            found.append((opening.start(), name.group(1).decode()))
        at = data.find(_ADMIN_TYPE, at + 1)
    return found


_DUMP_HEAD = re.compile(rb'\s*\{\s*"configs"\s*:\s*\[\s*')
_DUMP_TAIL = re.compile(rb'\s*\]\s*\}\s*\Z')


def looks_like_dump(data: bytes) -> bool:
    """Does `data` start like a config dump (`{"configs": [`)? A cheap test before parsing."""
    return _DUMP_HEAD.match(data) is not None


def entry_spans(data: bytes) -> list[tuple[str, int, int]] | None:
    """(section name, start, stop) of each config entry of a dump, found without parsing it.

    The name is the admin type's last part ("ClustersConfigDump", also for types meshctl does not
    know); each span holds one entry's bytes as printed, if the dump is one JSON document. None
    when the layout is not the usual one (`{"configs": [` then entries that each start with their
    admin @type): then the dump must be parsed whole. Spans are not validated.
    """
    head, tail = _DUMP_HEAD.match(data), _DUMP_TAIL.search(data, max(0, len(data) - 64))
    starts = _entry_starts(data)
    if head is None or tail is None or not starts or starts[0][0] != head.end():
        return None
    ends = [start for start, _ in starts[1:]] + [tail.start()]
    spans = []
    for (start, name), end in zip(starts, ends):
        stop = end
        while stop > start and data[stop - 1] in b" \t\r\n,":
            stop -= 1
        spans.append((name, start, stop))
    return spans


def _parse_sections(data: bytes, wanted: set[str], fields: Fields | None = None) -> ConfigDump | None:
    """Parse only the wanted entries of a big dump; None when the layout is not the usual one."""
    spans = entry_spans(data)
    if spans is None:
        return None
    configs = []
    view = memoryview(data)
    for name, start, stop in spans:
        if name not in wanted:
            continue
        entry = view[start:stop]
        try:
            configs.append(_loads(entry, "config dump") if fields is None else _project(entry, fields))
        except DecodeError:
            return None  # an admin type inside a string, say: parse the whole dump instead
    return from_object({"configs": configs})


def _project(data, fields: Fields) -> dict:
    """The `fields` (and "@type") of the JSON object in `data`; DecodeError if it is not one.

    simdjson indexes the text (several times faster than orjson builds all of it) and only the
    kept values become Python objects: the 20k-cluster table reads well under 1% of the section.
    """
    import simdjson

    try:
        entry = simdjson.Parser().parse(data)
    except (ValueError, RuntimeError) as exc:  # invalid JSON or UTF-8, a number beyond 64 bits
        raise DecodeError(f"config dump entry is not valid JSON: {_short(str(exc))}") from None
    if not isinstance(entry, simdjson.Object):
        raise DecodeError("config dump entry is not a JSON object")
    if has_camel_keys(list(entry.keys())):
        fields = to_camel(fields)  # protojson's spelling, data keys (filter_metadata's) left as they are
    return _kept(entry, {"@type": None, **fields}, simdjson.Object, simdjson.Array)


def _kept(node, fields: Fields | None, object_type, array_type):
    """`node` reduced to `fields`, as Python objects (simdjson gives strings and numbers as such)."""
    if isinstance(node, object_type):
        if fields is None:
            return node.as_dict()
        kept = {}
        for key, key_fields in fields.items():
            value = node.get(key, _ABSENT)
            if value is not _ABSENT:
                kept[key] = _kept(value, key_fields, object_type, array_type)
        return kept
    if isinstance(node, array_type):
        return node.as_list() if fields is None else [_kept(item, fields, object_type, array_type) for item in node]
    return node


_ABSENT = object()


def from_object(document) -> ConfigDump:
    """Build a ConfigDump from already-parsed JSON (see `parse`)."""
    configs = document.get("configs") if isinstance(document, dict) else None
    if isinstance(configs, dict):
        # Envoy before 1.10 printed `configs` as a map keyed by short names.
        configs = list(configs.values())
    if not isinstance(configs, list):
        raise DecodeError("input is not an Envoy config dump (no \"configs\" list)")
    dump = ConfigDump()
    for entry in configs:
        type_url = entry.get("@type") if isinstance(entry, dict) else None
        if not isinstance(type_url, str):
            dump.warnings.append("config dump entry without @type ignored")
            continue
        name = section_name(type_url)
        if name is None:
            dump.unknown_sections.append(UnknownSection(type_url, entry))
            dump.warnings.append(f"unknown config dump section {type_url} carried through")
            continue
        if _looks_camel(entry):
            entry = to_snake(entry)
        dump.entries.setdefault(name, []).append(entry)
    return dump


def section_name(type_url: str) -> str | None:
    """`type.googleapis.com/envoy.admin.v3.ClustersConfigDump` -> "ClustersConfigDump"."""
    full_name = type_url.rpartition("/")[2]
    for prefix in _ADMIN_PREFIXES:
        if full_name.startswith(prefix) and full_name[len(prefix):] in KNOWN_SECTIONS:
            return full_name[len(prefix):]
    return None


def _looks_camel(value, depth: int = 5) -> bool:
    """Protobuf JSON (camelCase) input? Decided by the first multi-word field name found."""
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, list):
            stack.extend((child, level) for child in item[:2])
        elif isinstance(item, dict) and level <= depth:
            if any("_" in key and key.islower() for key in item):
                return False
            if has_camel_keys(item):
                return True
            stack.extend((child, level + 1) for child in item.values() if isinstance(child, (dict, list)))
    return False


def _short(message: str, limit: int = 160) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 3] + "..."
