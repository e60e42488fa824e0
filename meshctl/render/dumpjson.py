"""A whole config dump as istioctl's JSON, made from the dump's bytes a piece at a time.

`pc all -o json` prints every byte of a dump that may be 150 MB. Building it as Python objects
(10M+ of them), renaming their keys and encoding them costs 7 GB and several times `jq .`;
here the bytes are re-encoded by a few C passes instead, and the output is written an entry at
a time. The result is what `render.data.to_json(full_dump(parse(data)))` prints, byte for byte
(tests/pc/test_dumpjson.py compares the two on every dump the tests know):

1. each config entry (`decode.configdump.entry_spans`) is laid out one value per line, one space
   per level, by msgspec's JSON formatter (a C pass that also checks the syntax);
2. the values whose keys are data, not field names (`decode.protojson`'s rules: Struct values,
   metadata, maps) are cut out, their keys sorted (orjson), and put back after step 3;
3. snake_case field names become protobuf JSON's camelCase: one regex split over the reversed
   text, where each key starts with a literal `:"` (a fast search) rather than with a quote
   (several per key);
4. strings are made Go's (escapes of `<`, `>`, `&`, U+2028/9; other escapes re-encoded), floats
   printed as Go prints them, and the entry laid out with Go's 4-space MarshalIndent.

`istioctl_dump_json` returns the chunks and the decode warnings, or None when the input is not laid out as Envoy prints dumps (or is
protobuf JSON already): the caller then takes the general path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from meshctl.decode.configdump import entry_spans, section_name
from meshctl.decode.protojson import camel_field_name

# decode.protojson's rules, as the keys of Envoy's snake_case JSON.
_VERBATIM = (b"filter_metadata", b"static_layer", b"default_subset", b"per_filter_config", b"extension_protocol_options")
_MAPS = (b"typed_per_filter_config", b"typed_extension_protocol_options", b"typed_filter_metadata", b"key_values")
_STRUCT_TYPES = (b"TypedStruct", b"google.protobuf.Struct", b"google.protobuf.Value")
# Special keys that hold an underscore, found by what follows their first underscore (a search
# anchored on "_" is fast), then checked whole.
_SPECIAL_TAIL = re.compile(rb"_(?:metadata|layer|subset|filter_config|protocol_options|values|socket_matches)\": ")
_SPECIAL = frozenset((*_VERBATIM, *_MAPS, b"transport_socket_matches"))
# A snake_case field name, reversed, as it follows `:"` in the reversed text: protoc's rule
# `[a-z][a-z0-9]*(_[a-z0-9]+)+` read backwards, then the quote and what opens a key.
_REVERSED_KEY = re.compile(rb'(:"(?:[a-z0-9]+_)+[a-z0-9]*[a-z]")(?=[ \n])')
_FIRST_FIELD = re.compile(rb'"([a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+)": ')
_PROTECTED = b"\x00"  # never in JSON text (control characters are escaped): marks a cut-out value


def istioctl_dump_json(data: bytes, raw: bool = False) -> tuple[Iterator[bytes], list[str]] | None:
    """The dump as istioctl's `-o json` prints it (Envoy's own names with `raw`), as chunks, and
    the warnings `decode.configdump.parse` gives for it; or None.

    None: not a dump laid out as Envoy prints it, or not one this path reads as `parse` does
    (protobuf JSON input, invalid JSON or UTF-8, no entries): `full_dump` then decides. Every
    entry is checked before the first chunk is made, so an error never cuts the output short.
    """
    import msgspec

    spans = entry_spans(data)
    if not spans or not _valid_text(data):
        return None
    sections: dict[str, list[bytes]] = {}
    unknown, warnings = [], []
    view = memoryview(data)
    for _, start, stop in spans:
        try:
            text = msgspec.json.format(view[start:stop], indent=1)
        except msgspec.DecodeError:
            return None
        type_url = _TYPE_URL.match(text)
        if type_url is None or _camel_input(text):
            return None
        name = section_name(type_url.group(1).decode())
        if name is None:
            unknown.append(text)
            warnings.append(f"unknown config dump section {type_url.group(1).decode()} carried through")
        else:
            sections.setdefault(name, []).append(text)
    # decode.configdump.from_object keeps known sections grouped, in the order first seen, then the unknown ones
    entries = [text for texts in sections.values() for text in texts] + unknown
    return _chunks(entries, raw), warnings


_TYPE_URL = re.compile(rb'\{\n "@type": "([^"\\]*)"')


def _valid_text(data: bytes) -> bool:
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _camel_input(text: bytes) -> bool:
    """Protobuf JSON (istioctl's output) rather than Envoy's: decided by the first multi-word field name."""
    first = _FIRST_FIELD.search(text)
    return first is not None and b"_" not in first.group(1)


def _chunks(entries: list[bytes], raw: bool) -> Iterator[bytes]:
    yield b'{\n    "configs": [\n'
    for index in range(len(entries)):
        text, entries[index] = entries[index], b""  # what is written is let go
        yield _entry_json(text, raw)
        yield b",\n" if index < len(entries) - 1 else b"\n"
    yield b"    ]\n}\n"


def _entry_json(text: bytes, raw: bool) -> memoryview:
    """One entry (laid out one space per level) as istioctl prints it inside "configs"."""
    import msgspec

    text = _go_strings(text)
    if not raw:
        text, kept = _protect_data_values(text)
        text = _camel_keys(text)
        if kept:
            text = _restore(text, kept)
        text = _sort_maps(text)
    text = _go_floats(text)
    # laid out inside `{"configs": [...]}`, so that its lines are indented as the entry's are
    out = msgspec.json.format(b'{"configs":[' + text + b"]}", indent=4)
    return memoryview(out)[out.index(b"\n", out.index(b"[")) + 1 : out.rindex(b"\n", 0, out.rindex(b"]"))]


# -- keys -------------------------------------------------------------------------------------


class _CamelTable(dict):
    """Reversed `"snake_case":` -> reversed `"camelCase":`, filled as names are met."""

    def __missing__(self, reversed_key: bytes) -> bytes:
        converted = b'"' + camel_field_name(reversed_key[2:-1][::-1].decode()).encode() + b'":'
        self[reversed_key] = converted[::-1]
        return converted[::-1]


_CAMEL = _CamelTable()


def _camel_keys(text: bytes) -> bytes:
    """Every snake_case field name (a key at the start of a line) in camelCase."""
    parts = _REVERSED_KEY.split(text[::-1])
    parts[1::2] = map(_CAMEL.__getitem__, parts[1::2])
    return b"".join(parts)[::-1]


# -- values whose keys are data ---------------------------------------------------------------


def _value_end(text: bytes, start: int, indent: int) -> int:
    """End of the value at `start`, whose key (or list item) is on a line indented by `indent`."""
    opening = text[start : start + 1]
    if opening not in (b"{", b"["):
        end = text.find(b"\n", start)
        end = len(text) if end < 0 else end
        return end - 1 if text[end - 1 : end] == b"," else end
    if text[start + 1 : start + 2] in (b"}", b"]"):
        return start + 2  # {} or []
    closing = b"\n" + b" " * indent + (b"}" if opening == b"{" else b"]")
    return text.index(closing, start) + len(closing)


def _indent(text: bytes, at: int) -> int:
    """The indentation of the line whose first character is at `at` (-1 if `at` is not first on its line)."""
    line = text.rfind(b"\n", 0, at) + 1
    return at - line if text[line:at].strip(b" ") == b"" else -1


def _protect_data_values(text: bytes) -> tuple[bytes, list[bytes]]:
    """The text with each value whose keys are data replaced by a marker, and those values (keys sorted).

    decode.protojson `_convert`: Struct and map<string, Struct> fields (`_VERBATIM`), a
    `metadata` that is a Struct (not a Metadata message), the `value` of a TypedStruct or Struct
    Any, the `match` of a transport socket match: their keys stay as they are, sorted (Go's
    protojson prints maps sorted). The keys of maps (`_MAPS`) stay too: `_camel_keys` would
    change those shaped like field names, so they are cut out here as well.
    """
    spans: list[tuple[int, int]] = []  # (start, end) of values kept as data

    for found in _SPECIAL_TAIL.finditer(text):
        key_start = text.rfind(b'"', 0, found.start()) + 1
        key = text[key_start : found.end() - 3]
        indent = _indent(text, key_start - 1)
        if key not in _SPECIAL or indent < 0:
            continue
        value_start = found.end()
        if key in _VERBATIM:
            spans.append((value_start, _value_end(text, value_start, indent)))
        elif key == b"transport_socket_matches":
            _match_values(text, value_start, indent, spans)
        elif text[value_start : value_start + 1] == b"{":
            _field_shaped_map_keys(text, value_start, indent, spans)
    _struct_metadata(text, spans)
    _struct_any_values(text, spans)
    if not spans:
        return text, []
    import orjson

    spans.sort()
    pieces, kept, cursor = [], [], 0
    for start, end in spans:
        if start < cursor:
            continue  # inside a value already kept
        pieces += [text[cursor:start], _PROTECTED]
        kept.append(text[start:end])
        cursor = end
    pieces.append(text[cursor:])
    values = orjson.loads(b"[" + b",".join(kept) + b"]")
    option = orjson.OPT_SORT_KEYS
    return b"".join(pieces), _go_floats(b"\x00".join(orjson.dumps(value, option=option) for value in values)).split(b"\x00")


def _lines_in_value(text: bytes, value_start: int, indent: int, line_start: bytes) -> Iterator[int]:
    """Where each line of the value at `value_start` (its key's line indented by `indent`) that
    starts with `line_start` (indentation included) continues."""
    end = _value_end(text, value_start, indent)
    needle = b"\n" + line_start
    at = text.find(needle, value_start, end)
    while at >= 0:
        yield at + len(needle)
        at = text.find(needle, at + len(needle), end)


def _match_values(text: bytes, value_start: int, indent: int, spans: list) -> None:
    """The `match` (a Struct) of each item of a transport_socket_matches list."""
    for start in _lines_in_value(text, value_start, indent, b" " * (indent + 2) + b'"match": '):
        spans.append((start, _value_end(text, start, indent + 2)))


def _field_shaped_map_keys(text: bytes, value_start: int, indent: int, spans: list) -> None:
    """The keys of a map that `_camel_keys` would take for field names (each kept as its string)."""
    for name_start in _lines_in_value(text, value_start, indent, b" " * (indent + 1) + b'"'):
        name_end = text.index(b'": ', name_start)
        if _FIELD_NAME.fullmatch(text, name_start, name_end):
            spans.append((name_start - 1, name_end + 1))


def _struct_metadata(text: bytes, spans: list) -> None:
    """`metadata` values that are Structs: those without a Metadata message's fields."""
    needle = b'"metadata": {'
    at = text.find(needle)
    while at >= 0:
        indent = _indent(text, at)
        value_start = at + len(needle) - 1
        if indent >= 0 and text[value_start + 1 : value_start + 2] == b"\n":
            first_child = value_start + 2 + indent + 1
            if not text.startswith((b'"filter_metadata": ', b'"typed_filter_metadata": '), first_child):
                spans.append((value_start, _value_end(text, value_start, indent)))
        at = text.find(needle, at + len(needle))


def _struct_any_values(text: bytes, spans: list) -> None:
    """The `value` of an Any whose @type is a TypedStruct, Struct or Value."""
    for struct_type in _STRUCT_TYPES:
        needle = struct_type + b'"'
        at = text.find(needle)
        while at >= 0:
            type_key = text.rfind(b'"@type": "', 0, at)
            indent = _indent(text, type_key) if type_key >= 0 else -1
            if indent > 0 and b"\n" not in text[type_key:at]:
                object_end = text.find(b"\n" + b" " * (indent - 1) + b"}", at)
                key = text.find(b"\n" + b" " * indent + b'"value": ', at, object_end if object_end >= 0 else len(text))
                if key >= 0:
                    value_start = key + 1 + indent + len(b'"value": ')
                    spans.append((value_start, _value_end(text, value_start, indent)))
            at = text.find(needle, at + len(needle))


_FIELD_NAME = re.compile(rb"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def _restore(text: bytes, kept: list[bytes]) -> bytes:
    """Each marker of `_protect_data_values` replaced by its value, in order."""
    parts = text.split(_PROTECTED)
    out = [parts[0]]
    for value, rest in zip(kept, parts[1:]):
        out += [value, rest]
    return b"".join(out)


def _sort_maps(text: bytes) -> bytes:
    """Map fields (`_MAPS`, now camelCase) with their entries in key order, as Go's protojson prints them."""
    edits = []
    for name in _MAPS:
        needle = b'"' + camel_field_name(name.decode()).encode() + b'": {\n'
        at = text.find(needle)
        while at >= 0:
            indent = _indent(text, at)
            start = at + len(needle) - 2
            end = _value_end(text, start, indent)
            entry_prefix = b"\n" + b" " * (indent + 1) + b'"'
            if indent >= 0 and text.count(entry_prefix, start, end) > 1:
                edits.append((start, end, _sorted_map(text[start:end], entry_prefix)))
            at = text.find(needle, at + len(needle))
    if not edits:
        return text
    edits.sort()
    pieces, cursor = [], 0
    for start, end, replacement in edits:
        if start < cursor:
            continue  # a map in a map's value: kept as it was (Envoy has none)
        pieces += [text[cursor:start], replacement]
        cursor = end
    pieces.append(text[cursor:])
    return b"".join(pieces)


def _sorted_map(body: bytes, entry_prefix: bytes) -> bytes:
    """`{...}` of a map with its entries (each from its key line on) in key order."""
    import orjson

    closing = body.rindex(b"\n")
    starts = []
    at = body.find(entry_prefix)
    while at >= 0:
        starts.append(at)
        at = body.find(entry_prefix, at + 1)
    entries = [body[a:b].rstrip(b",") for a, b in zip(starts, [*starts[1:], closing])]
    key_at = len(entry_prefix) - 1
    ordered = sorted(entries, key=lambda entry: orjson.loads(entry[key_at : entry.index(b'": ', key_at) + 1]))
    return body[: starts[0]] + b",".join(ordered) + body[closing:]


# -- strings and numbers as Go prints them ------------------------------------------------------

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_GO_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"), ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def _go_strings(text: bytes) -> bytes:
    """Strings as Go's encoding/json writes them (what orjson plus `gojson.go_escapes` give)."""
    if b"\\" in text:
        text = _reencode_escaped_strings(text)
    for raw, escaped in _GO_ESCAPES:
        if raw in text:  # only inside strings: JSON has no such character elsewhere
            text = text.replace(raw, escaped)
    return text


def _reencode_escaped_strings(text: bytes) -> bytes:
    """Strings that hold an escape, decoded and encoded again as orjson does (the lines holding one)."""
    import orjson

    pieces, cursor = [], 0
    at = text.find(b"\\")
    while at >= 0:
        start = text.rfind(b"\n", 0, at) + 1
        end = text.find(b"\n", at)
        end = len(text) if end < 0 else end
        line = _STRING.sub(lambda m: orjson.dumps(orjson.loads(m.group())) if b"\\" in m.group() else m.group(), text[start:end])
        pieces += [text[cursor:start], line]
        cursor = end
        at = text.find(b"\\", end)
    pieces.append(text[cursor:])
    return b"".join(pieces)


# A float's mark (a "." or an exponent after a digit), as Envoy or orjson print floats; each is then
# checked as a whole number token: after ": ", ":", "[", "," or indentation, before ",", a line end,
# "]" or "}". A string's text never has those on both sides (a string's own quotes are in the way).
# Exponents are signed: Envoy (protobuf's SimpleDtoa), orjson, Python, Go and jq all print them so.
_FLOAT_MARKS = tuple(re.compile(pattern + rb"(?=[,\n\]}\x00])") for pattern in (rb"\.\d+(?:[eE][-+]\d+)?", rb"e[-+]\d+", rb"E[-+]\d+"))
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_NUMBER_CHARS = frozenset(b"0123456789-.")


def _go_floats(text: bytes) -> bytes:
    """Floats printed as Go's encoding/json prints them (1.0 is 1, 1e+21 stays, 1e20 is 100000000000000000000)."""
    edits = {}
    for mark in _FLOAT_MARKS:
        for found in mark.finditer(text):
            start = found.start()
            while start > 0 and text[start - 1] in _NUMBER_CHARS:
                start -= 1
            token = _NUMBER.fullmatch(text, start, found.end())
            if token is not None and start > 0 and text[start - 1 : start] in (b" ", b":", b"[", b",", b"\n", b"\x00"):
                edits[start] = found.end()
    if not edits:
        return text
    from meshctl.goenc.gojson import format_float

    pieces, cursor = [], 0
    for start in sorted(edits):
        end = edits[start]
        pieces += [text[cursor:start], format_float(float(text[start:end])).encode()]
        cursor = end
    pieces.append(text[cursor:])
    return b"".join(pieces)
