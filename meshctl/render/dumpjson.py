"""A whole config dump as istioctl's JSON, made from the dump's bytes a piece at a time.

`pc all -o json` prints every byte of a dump that may be 150 MB. Building it as Python objects
(10M+ of them), renaming their keys and encoding them costs 7 GB and several times `jq .`;
here the bytes are re-encoded instead, and the output is written a batch of items at a time. The
result is what `render.data.to_json(full_dump(parse(data)))` prints, byte for byte
(tests/pc/test_dumpjson.py compares the two on every dump the tests know):

1. each config entry (`decode.configdump.entry_spans`) is laid out one value per line, one space
   per level, by msgspec's JSON formatter (a C pass that also checks the syntax), then cut into
   batches of whole items of its lists (`_batches`);
2. a batch is split into lines. Whatever istioctl changes in a line depends on that line alone
   (a snake_case field name made camelCase, strings escaped as Go escapes them, floats printed as
   Go prints them, 4 spaces per level), so each distinct line is converted once and looked up
   after that (`_LineTable`): a dump repeats the same lines over and over (60k distinct lines in
   the 2.8M of 20k clusters), and the lookups run in C (`map` over a dict);
3. what depends on more than a line is found on the batch's text, by offsets, with no work per
   line: one search finds the lines opening such values (`_OPENER`), one `find` each the line
   that closes them, each step done for all of a batch's values together (C loops over them).
   Values whose keys are data, not field names (`decode.protojson`'s rules: Struct values,
   Struct metadata, TypedStruct values, transport socket matches) are replaced by their keys
   sorted (orjson) and laid out as Go does; maps get their entries sorted and their keys kept
   as they are;
4. every piece is redacted once, when it is made (`_redacted`): the output comes out as the one
   redaction step (`meshctl.redact`) would leave it, without a pass over its 300 MB.

`istioctl_dump_json` returns the chunks and the decode warnings, or None when the input is not laid
out as Envoy prints dumps (or is protobuf JSON already): the caller then takes the general path.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator
from itertools import repeat
from typing import NamedTuple

from meshctl.decode.configdump import entry_spans, section_name
from meshctl.decode.protojson import camel_field_name

_BATCH = 1 << 20  # bytes of an entry's text converted at a time (output: about twice that)
# Between two items of a list held by an entry's field (one space per level: items at level 2);
# a batch ends after "},\n", the next begins with "  {".
_ITEM_BOUNDARY = b"\n  },\n  {\n"
_MAX_LEVEL = 0x7E  # line levels fit in a byte below the kinds (0x7F: the empty line)

# Kinds of line (`_code_of`): a line's code is its level, or its kind when it is one of these.
ORDINARY = 0x80
VERBATIM = 0x81  # a Struct-valued field opening a value: the whole value is data
MAP = 0x82  # a map field opening its entries: their keys are data
SOCKET_MATCHES = 0x83  # "transport_socket_matches": [ (each item's "match" is a Struct)
METADATA = 0x84  # "metadata": { (a Struct unless it holds a Metadata message's fields)
METADATA_FIELD = 0x85  # a Metadata message's field whose value fits on its line
FILTER_METADATA = 0x86  # "filter_metadata": {: VERBATIM, and a Metadata message's field
TYPED_FILTER_METADATA = 0x87  # "typed_filter_metadata": {: MAP, and a Metadata message's field
STRUCT_TYPE = 0x88  # "@type" of a TypedStruct, Struct or Value Any: its "value" is data
MATCH = 0x89  # "match": { or [
VALUE = 0x8A  # "value": { or [

# decode.protojson's tables, as the keys of Envoy's snake_case JSON (a line's key with its opening quote)
_VERBATIM_KEYS = (b"static_layer", b"default_subset", b"per_filter_config", b"extension_protocol_options")
_MAP_KEYS = (b"typed_per_filter_config", b"typed_extension_protocol_options", b"key_values", b"policies")
# key -> (kind when the value opens on the line, kind otherwise)
_KEY_KINDS = {
    **{b'"' + key: (VERBATIM, ORDINARY) for key in _VERBATIM_KEYS},
    **{b'"' + key: (MAP, ORDINARY) for key in _MAP_KEYS},
    b'"filter_metadata': (FILTER_METADATA, METADATA_FIELD),
    b'"typed_filter_metadata': (TYPED_FILTER_METADATA, METADATA_FIELD),
    b'"transport_socket_matches': (SOCKET_MATCHES, ORDINARY),
    b'"metadata': (METADATA, ORDINARY),
    b'"match': (MATCH, ORDINARY),
    b'"value': (VALUE, ORDINARY),
}
_STRUCT_TYPES = (b'TypedStruct"', b'google.protobuf.Struct"', b'google.protobuf.Value"')
# An RBAC `metadata` Principal/Permission is a MetadataMatcher (filter, path, value), not a Struct.
_MATCHER_KEYS = frozenset((b'"filter"', b'"path"'))
_METADATA_KEYS = frozenset((b'"filter_metadata"', b'"typed_filter_metadata"'))

_FIRST_FIELD = re.compile(rb'"([a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+)": ')
_TYPE_URL = re.compile(rb'\{\n "@type": "([^"\\]*)"')
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_GO_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"), ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def istioctl_dump_json(data: bytes, raw: bool = False, indent: int = 0) -> tuple[Iterator[bytes], list[str]] | None:
    """The dump as istioctl's `-o json` prints it (Envoy's own names with `raw`), as chunks, and
    the warnings `decode.configdump.parse` gives for it; or None.

    `indent` > 0: the dump as a value nested in a document `indent` spaces deep (its lines after
    the first shifted by as many spaces, no newline at its end), as `render.data.to_json` lays out
    a whole document holding it (`pods_json_chunks`).

    None: not a dump this path reads as `parse` does (see `envoy_entries`): `full_dump` then decides.
    """
    found = envoy_entries(data)
    if found is None:
        return None
    entries, warnings = found
    return _chunks(entries, raw, indent), warnings


def envoy_entries(data: bytes) -> tuple[list[bytes], list[str]] | None:
    """The dump's config entries laid out one value per line, one space per level (msgspec), in
    the order `decode.configdump.parse` keeps them, and the warnings it gives; or None.

    None: not a dump laid out as Envoy prints it, or not one read here as `parse` reads it
    (protobuf JSON input, invalid JSON or UTF-8, no entries, nesting deeper than 126 levels).
    Every entry is checked before any is returned, so an error never cuts an output short.
    (`meshctl.render.dumpyaml` reads the same entries.)
    """
    import msgspec

    spans = entry_spans(data)
    if not spans or not _valid_text(data):
        return None
    sections: dict[str, list[bytes]] = {}
    unknown, warnings = [], []
    view = memoryview(data)
    too_deep = b"\n" + b" " * (_MAX_LEVEL + 1)
    for _, start, stop in spans:
        try:
            text = msgspec.json.format(view[start:stop], indent=1)
        except msgspec.DecodeError:
            return None
        type_url = _TYPE_URL.match(text)
        if type_url is None or _camel_input(text) or too_deep in text:
            return None
        name = section_name(type_url.group(1).decode())
        if name is None:
            unknown.append(text)
            warnings.append(f"unknown config dump section {type_url.group(1).decode()} carried through")
        else:
            sections.setdefault(name, []).append(text)
    # decode.configdump.from_object keeps known sections grouped, in the order first seen, then the unknown ones
    return [text for texts in sections.values() for text in texts] + unknown, warnings


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


def _chunks(entries: list[bytes], raw: bool, indent: int = 0) -> Iterator[bytes]:
    lines, data_values = _LineTable(camel=not raw, indent=indent), _DataValues(indent)
    key_lines = _LineTable(camel=False, indent=indent)  # map keys that look like field names, kept as they are
    pad = b" " * indent
    yield b'{\n' + pad + b'    "configs": [\n'
    for index in range(len(entries)):
        text, entries[index] = entries[index], b""  # what is written is let go
        for batch in _batches(text):
            yield _redacted(_batch_json(batch, lines, data_values, raw, key_lines), (lines, data_values, key_lines))
        yield b",\n" if index < len(entries) - 1 else b"\n"
        for table in (lines, data_values, key_lines):
            table.bound()
    yield pad + b"    ]\n" + pad + b"}" + (b"" if indent else b"\n")


def _batches(text: bytes) -> Iterator[bytes]:
    """The entry's text in pieces of about `_BATCH` bytes, cut between two items of a list that
    one of its fields holds (never inside a value `_data_regions` or `_sorted_maps` reads whole)."""
    if len(text) <= _BATCH or not _cuttable(text):
        yield text
        return
    start = 0
    while len(text) - start > _BATCH:
        cut = text.find(_ITEM_BOUNDARY, start + _BATCH)
        if cut == -1:
            break
        cut += 6  # after "\n  },\n"
        yield text[start:cut]
        start = cut
    yield text[start:]


def _cuttable(text: bytes) -> bool:
    """Whether no field of the entry itself (level 1) is one whose value is read whole: then no
    such value spans a cut (cuts are between items of a level-1 field's list, at level 2)."""
    # (a regex: its literal-prefix search is about 3x faster than bytes.find for b'\n "', which
    # matches the start of almost every line; the scan spans the whole entry, 85 MB at 20k clusters)
    return not any(_code_of(line.group(1)) in _READ_WHOLE for line in _LEVEL_1_LINE.finditer(text))


_LEVEL_1_LINE = re.compile(rb'\n( "[^\n]*)')


def _redacted(batch: bytes, memos: tuple[_Bounded, ...]) -> bytes:
    """`batch` as the redaction step (`meshctl.redact`) leaves it, looking only at what it has not seen.

    The batch is made of values of the `memos` joined by line breaks, and a value holds whole lines
    of the output, or a JSON value that begins and ends a line's token (a data value): the
    recogniser's marks (a base64 run, wrapped or not, a PEM block) never reach from one JSON token to
    the next, so redacting each value alone gives what redacting the whole output gives
    (docs/security.md; tests/pc/test_dumpjson_redaction.py). Values met before were looked at then:
    only those made for this batch are searched for a candidate, at C speed. When one is found
    (a dump holding a key, or a certificate), the batch is redacted whole, and the values holding
    it are dropped from their memos so that each batch that meets them again is redacted too.
    """
    from meshctl.redact import may_hold_key, redact_bytes

    found = False
    for memo in memos:
        fresh, memo.fresh = memo.fresh, []
        if fresh and may_hold_key(b"\n".join(map(memo.__getitem__, fresh))):
            found = True
            for key in fresh:
                if may_hold_key(memo[key]):
                    del memo[key]
    return redact_bytes(batch) if found else batch


# -- lines ------------------------------------------------------------------------------------


class _Bounded(dict):
    """A memo that is emptied when it grows past `LIMIT` entries (a dump whose lines never repeat).

    `fresh` lists the keys added since `_redacted` last looked at the memo's values."""

    LIMIT = 1 << 19

    def __init__(self) -> None:
        super().__init__()
        self.fresh: list = []

    def bound(self) -> None:
        if len(self) > self.LIMIT:
            self.clear()


class _LineTable(_Bounded):
    """A line of the one-space layout -> that line as istioctl prints it in "configs" (4 spaces
    per level, 8 more for the entry's place), filled as lines are met."""

    def __init__(self, camel: bool, indent: int = 0) -> None:
        super().__init__()
        self.keys = _KeyTable() if camel else None
        self.pads = [b" " * (4 * level + 8 + indent) for level in range(_MAX_LEVEL + 1)]

    def __missing__(self, line: bytes) -> bytes:
        plain = _PLAIN_FIELD_LINE.fullmatch(line)
        if plain is not None:  # most lines met once (an address, a name): nothing but the key to convert
            indent, key, rest = plain.groups()
            converted = self.pads[len(indent)] + (key if self.keys is None else self.keys[key]) + rest
        else:
            converted = self.convert(line, self.keys)
        self[line] = converted
        self.fresh.append(line)
        return converted

    def convert(self, line: bytes, keys: _KeyTable | None) -> bytes:
        """`line` as istioctl prints it, its key renamed by `keys` (None: kept as it is)."""
        content = line.lstrip(b" ")
        return self.convert_content(content, len(line) - len(content), keys) if line else line

    def convert_content(self, content: bytes, level: int, keys: _KeyTable | None) -> bytes:
        """A line's `content` (after its indentation) at `level`, as istioctl prints it."""
        pad = self.pads[level]
        # (find, not `in`: `bytes in bytes` tries the needle as an int first, at the cost of an exception)
        if content.find(b"\\") + content.find(b"<") + content.find(b">") + content.find(b"&") != -4 or not content.isascii():
            content = _go_strings(content)
        if keys is not None and content[:1] == b'"':
            # a snake_case key has no escape: the first '": ' ends it (in other lines, a key
            # with an escape or a string holding '\": ', nothing is renamed)
            key, separator, value = content.partition(b'": ')
            if separator:
                content = keys[key] + separator + value
        if content[-1:].isdigit() or content[-2:-1].isdigit():
            content = _go_float(content)
        return pad + content


# A field whose value is a string with nothing Go escapes apart from JSON (`_go_strings`), an
# integer (no float to print as Go does: `_go_float`) or a literal: `convert` only renames its key.
_PLAIN_FIELD_LINE = re.compile(rb'( *)("[a-z][a-z0-9_]*)(": (?:"[^"\\<>&\x80-\xff]*"|-?[0-9]+|true|false|null),?)')


class _KeyTable(dict):
    """A key with its opening quote -> that key as protobuf JSON spells it."""

    def __missing__(self, key: bytes) -> bytes:
        converted = key
        if _SNAKE_FIELD.fullmatch(key, 1):
            converted = b'"' + camel_field_name(key[1:].decode()).encode()
        self[key] = converted
        return converted


_SNAKE_FIELD = re.compile(rb"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def _go_strings(content: bytes) -> bytes:
    """A line's strings as Go's encoding/json writes them (what orjson plus `gojson.go_escapes` give)."""
    if content.find(b"\\") != -1:
        import orjson

        # each string holding an escape, decoded and encoded again as orjson does
        content = _STRING.sub(lambda m: orjson.dumps(orjson.loads(m.group())) if m.group().find(b"\\") != -1 else m.group(), content)
    for raw, escaped in _GO_ESCAPES:  # only inside strings: JSON has no such character elsewhere
        content = content.replace(raw, escaped)
    return content


def _go_float(content: bytes) -> bytes:
    """A line whose value is a float, with the float printed as Go's encoding/json prints it
    (1.0 is 1, 1e+21 stays, 1e20 is 100000000000000000000); other lines as they are."""
    head, separator, value = content.rpartition(b": ")
    comma = value.endswith(b",")
    token = value[:-1] if comma else value
    if _NUMBER.fullmatch(token) is None or token.isdigit() or (token[:1] == b"-" and token[1:].isdigit()):
        return content  # not a number, or an integer
    from meshctl.goenc.gojson import format_float

    return head + separator + format_float(float(token)).encode() + (b"," if comma else b"")


def _code_of(line: bytes) -> int:
    """A line's code: its level (one space per level; 0x7F for the empty line), or its kind
    (0x81 and up) when it is one whose value `_data_regions` or `_sorted_maps` reads whole."""
    content = line.lstrip(b" ")
    level = len(line) - len(content) if line else 0x7F
    if _SPECIAL_KEY.match(content) is None:
        return level
    key, _, value = content.partition(b'": ')
    if key == b'"@type':
        return STRUCT_TYPE if value.rstrip(b",").endswith(_STRUCT_TYPES) else level
    opened, one_line = _KEY_KINDS[key]
    kind = opened if value in (b"{", b"[") else one_line
    if kind in (MAP, TYPED_FILTER_METADATA, METADATA) and value != b"{":
        kind = METADATA_FIELD if kind == TYPED_FILTER_METADATA else ORDINARY
    return level if kind == ORDINARY else kind


_SPECIAL_KEY = re.compile(b"(?:" + b"|".join(re.escape(key) for key in (*_KEY_KINDS, b'"@type')) + b')": ')
_READ_WHOLE = frozenset((VERBATIM, MAP, SOCKET_MATCHES, METADATA, FILTER_METADATA, TYPED_FILTER_METADATA, STRUCT_TYPE))

# The lines whose value is read whole, found by one search of a batch (no code per line): a key of
# `_KEY_KINDS` opening its value (but "match" and "value", looked for only where they matter), or a
# "metadata" whose first field is not a Metadata message's (a Struct, or a MetadataMatcher). The
# search looks for a line's end (its value opened), then at the key's last eight characters (one
# fixed-width look-behind: far cheaper than matching the keys themselves from every quote); the
# keys are then checked whole (`_OPENER_KINDS`).
_OPENER = re.compile(
    rb'": [\[{]\n(?:(?<="metadata": \{\n)(?! *"(?:typed_)?filter_metadata": )'
    rb'|(?<!"metadata": .\n)(?<=(?:' + b"|".join(sorted({re.escape(key[-8:]) for key in _KEY_KINDS if key not in (b'"match', b'"value')})) + rb')": .\n))'
)
# key (with its opening quote), opening bracket -> what the line opens (absent: read line by line)
_OPENER_KINDS = {
    **{(b'"' + key, bracket): VERBATIM for key in (*_VERBATIM_KEYS, b"filter_metadata") for bracket in (b"{", b"[")},
    **{(b'"' + key, b"{"): MAP for key in (*_MAP_KEYS, b"typed_filter_metadata")},
    **{(b'"transport_socket_matches', bracket): SOCKET_MATCHES for bracket in (b"{", b"[")},
    (b'"metadata', b"{"): METADATA,
}
_STRUCT_TYPE_MARKS = (b'Struct"', b'.Value"')  # how each of `_STRUCT_TYPES` ends
# the line closing a value opened at a level, by its opening bracket: a newline, the level's spaces, the bracket
_CLOSERS = {bracket: [b"\n" + b" " * level + closing for level in range(_MAX_LEVEL + 1)] for bracket, closing in ((b"{", b"}"), (b"[", b"]"))}
_FIELDS_AT = [b"\n" + b" " * level + b'"' for level in range(_MAX_LEVEL + 2)]


def _level(line: bytes) -> int:
    return len(line) - len(line.lstrip(b" "))


def _key(line: bytes) -> bytes:
    """The key of a field or entry line, as JSON text (with its quotes)."""
    return _STRING.match(line, _level(line)).group()


class _Value(NamedTuple):
    """A value read whole in a batch, by offsets: its key's line (from `start`, the value's bracket
    just before `opener_end`), and its closing line (`closer` to `end`, at `level`)."""

    start: int
    end: int
    opener_end: int
    closer: int
    level: int


def _line_end(text: bytes, at: int) -> int:
    end = text.find(b"\n", at)
    return len(text) if end == -1 else end


def _opened(text: bytes, start: int, opener_end: int, level: int = -1) -> _Value:
    """The value opened at the end of the line from `start` to `opener_end` (at `level`, or found)."""
    if level < 0:
        level = _level(text[start:opener_end])
    closer = text.find(_CLOSERS[bytes(text[opener_end - 1 : opener_end])][level], opener_end) + 1
    return _Value(start, _line_end(text, closer), opener_end, closer, level)


def _entries(text: bytes, value: _Value) -> list[int]:
    """Where the lines of the fields (or entries) of the object `value` start."""
    entries, at = [], value.opener_end + 1
    while at < value.closer:
        entries.append(at)
        end = _line_end(text, at)
        at = (_opened(text, at, end).end if text[end - 1] in b"{[" else end) + 1
    return entries


def _openers(text: bytes) -> tuple[list[_Value], list[_Value], list[_Value], list[_Value], list[_Value]]:
    """The values of `text` read whole, by what opens them: data (VERBATIM), maps, socket matches,
    "metadata" values without a Metadata message's first field; and the "@type" lines of Struct
    Anys (as values of one line: `closer` and `level` -1)."""
    found: dict[int | None, list[_Value]] = {VERBATIM: [], MAP: [], SOCKET_MATCHES: [], METADATA: [], STRUCT_TYPE: [], None: []}
    key_ends = list(map(re.Match.start, _OPENER.finditer(text)))  # where each key's closing quote is
    if key_ends:
        # each step for all the lines found together (C loops: a batch holds thousands)
        starts = list(map((1).__add__, map(text.rfind, repeat(b"\n"), repeat(0), key_ends)))
        lines = list(map(text.__getitem__, map(slice, starts, key_ends)))
        keys = list(map(bytes.lstrip, lines))
        levels = list(map(operator.sub, map(len, lines), map(len, keys)))
        opener_ends = list(map((4).__add__, key_ends))  # after '": {'
        brackets = list(map(text.__getitem__, map(slice, map((3).__add__, key_ends), opener_ends)))
        closers = map(text.find, map(operator.getitem, map(_CLOSERS.__getitem__, brackets), levels), opener_ends)
        closers = list(map((1).__add__, closers))
        ends = list(map(text.find, repeat(b"\n"), closers))
        if -1 in ends:  # the last line
            ends = [len(text) if end == -1 else end for end in ends]
        values = map(tuple.__new__, repeat(_Value), zip(starts, ends, opener_ends, closers, levels))
        for value, kind in zip(values, map(_OPENER_KINDS.get, zip(keys, brackets))):
            found[kind].append(value)
    for mark in _STRUCT_TYPE_MARKS:
        at = text.find(mark)
        while at != -1:
            start, end = text.rfind(b"\n", 0, at) + 1, _line_end(text, at)
            if _code_of(text[start:end]) == STRUCT_TYPE:
                found[STRUCT_TYPE].append(_Value(start, end, -1, -1, -1))
            at = text.find(mark, end)
    return found[VERBATIM], found[MAP], found[SOCKET_MATCHES], found[METADATA], found[STRUCT_TYPE]


def _batch_json(batch: bytes, table: _LineTable, data_values: _DataValues, raw: bool, key_lines: _LineTable) -> bytes:
    """A batch of an entry (one-space layout) as istioctl prints it inside "configs": every piece
    of it a value of `table`, `data_values` or `key_lines` (`_redacted` relies on it)."""
    if raw:
        return b"\n".join(map(table.__getitem__, batch.split(b"\n")))
    data, maps, socket_matches, metadata, struct_types = _openers(batch)
    if maps:
        ordered = _sorted_maps(batch, maps)
        if ordered is not None:  # found again where the maps now are
            batch = ordered
            data, maps, socket_matches, metadata, struct_types = _openers(batch)
    regions = _data_regions(batch, data, socket_matches, metadata, struct_types)
    if maps:
        regions = _outermost(regions + _kept_keys(batch, maps))
    if not regions:
        return b"\n".join(map(table.__getitem__, batch.split(b"\n")))
    return _assembled(batch, regions, table, data_values, key_lines)


def _assembled(batch: bytes, regions: list[_Value], table: _LineTable, data_values: _DataValues, key_lines: _LineTable) -> bytes:
    """The batch as istioctl prints it: the lines outside `regions` converted line by line, each
    region's value as data (its key's line as a line), each map key kept as it is. Done a step at
    a time for all regions together (C loops over them: a batch holds thousands)."""
    convert = table.__getitem__
    starts, ends, opener_ends, closers, levels = map(list, zip(*regions))
    # the text before each region and after the last (a region's line starts after a line break)
    gap_starts = [0, *map((1).__add__, ends)]
    gap_stops = [*map((-1).__add__, starts), len(batch)]
    gap_stops[0] = max(gap_stops[0], 0)
    gaps = map(bytes.split, map(batch.__getitem__, map(slice, gap_starts, gap_stops)), repeat(b"\n"))
    converted_gaps = list(map(b"\n".join, map(map, repeat(convert), gaps)))
    if min(levels) < 0:  # map keys among the regions
        values = iter(data_values.render(batch, [region for region in regions if region.level >= 0]))
        pieces = [key_lines[batch[region.start : region.end]] if region.level < 0 else
                  convert(batch[region.start : region.opener_end])[:-1] + next(values) + _COMMAS[batch[region.end - 1 : region.end]]
                  for region in regions]  # fmt: skip
    else:  # the key's line without its opening "{" or "[", the value, and the comma after it
        heads = map(operator.getitem, map(convert, map(batch.__getitem__, map(slice, starts, opener_ends))), repeat(_ALL_BUT_LAST))
        commas = map(_COMMAS.__getitem__, map(batch.__getitem__, map(slice, map((-1).__add__, ends), ends)))
        pieces = list(map(b"".join, zip(heads, data_values.render(batch, regions), commas)))
    after = converted_gaps.pop()
    joined = [b""] * (2 * len(regions))
    joined[0::2] = converted_gaps
    joined[1::2] = pieces
    joined = list(filter(None, joined))  # no text between two regions (or before the first)
    if ends[-1] < len(batch):
        joined.append(after)
    return b"\n".join(joined)


_COMMAS = {b",": b",", b"}": b"", b"]": b""}  # a closing line's last character -> what follows the value
_ALL_BUT_LAST = slice(None, -1)


def _data_regions(text: bytes, data: list[_Value], socket_matches: list[_Value], metadata: list[_Value],
                  struct_types: list[_Value]) -> list[_Value]:  # fmt: skip
    """Each value whose keys are data (decode.protojson `_convert`), outermost only, in order."""
    regions = list(data)
    regions += (value for value in metadata if _is_struct_metadata(text, value))
    for matches in socket_matches:  # each item's own "match"
        needle = _FIELDS_AT[matches.level + 2] + b'match": '
        found = text.find(needle, matches.opener_end, matches.closer)
        while found != -1:
            end = _line_end(text, found + 1)
            if text[end - 1] in b"{[":
                regions.append(_opened(text, found + 1, end))
            found = text.find(needle, end, matches.closer)
    for line in struct_types:  # the "value" field of the same object, after its "@type"
        level = _level(text[line.start : line.end])
        if level > 0:
            close = text.find(_CLOSERS[b"{"][level - 1], line.end)
            close = len(text) if close == -1 else close
            needle = _FIELDS_AT[level] + b'value": '
            value = text.find(needle, line.end, close)
            while value != -1:
                value_end = _line_end(text, value + 1)
                if text[value_end - 1] in b"{[":
                    regions.append(_opened(text, value + 1, value_end))
                    break
                value = text.find(needle, value_end, close)
    return _outermost(regions)


def _outermost(regions: list[_Value]) -> list[_Value]:
    """The regions not inside another, in order."""
    if len(regions) < 2:
        return regions
    regions.sort()
    if all(map(operator.lt, map(operator.itemgetter(1), regions), map(operator.itemgetter(0), regions[1:]))):
        return regions  # none inside another (most batches), found at C speed
    outermost, last_end = [], -1
    for region in regions:
        if region.start > last_end:
            outermost.append(region)
            last_end = region.end
    return outermost


def _is_struct_metadata(text: bytes, value: _Value) -> bool:
    """A "metadata" value without a Metadata message's fields, and not a MetadataMatcher."""
    keys = {_key(text[entry : _line_end(text, entry)]) for entry in _entries(text, value)}
    return not keys & _METADATA_KEYS and not _MATCHER_KEYS <= keys


_FIELD_NAME_KEY = re.compile(rb' *"[a-z][a-z0-9]*(?:_[a-z0-9]+)+": ')


def _sorted_maps(text: bytes, maps: list[_Value]) -> bytes | None:
    """`text` with each map's entries in key order (Go's protojson prints maps sorted), or None
    when all are in order already. A map's entries keep their lines and their length (only a comma
    moves), so the maps before one that is sorted keep their offsets: they are sorted last first."""
    import orjson

    ordered_text = None
    for found in reversed(maps):
        source = text if ordered_text is None else ordered_text
        value = _opened(source, found.start, found.opener_end)  # where it ends now
        entries = _entries(source, value)
        if len(entries) < 2:
            continue
        bounds = [*entries, value.closer]
        groups = [bytes(source[bounds[k] : bounds[k + 1] - 1]) for k in range(len(entries))]
        ordered = sorted(groups, key=lambda group: orjson.loads(_key(group)))
        if ordered != groups:
            ordered = [group.removesuffix(b",") for group in ordered]
            if ordered_text is None:
                ordered_text = bytearray(text)
            ordered_text[entries[0] : value.closer - 1] = b",\n".join(ordered)
    return None if ordered_text is None else bytes(ordered_text)


def _kept_keys(text: bytes, maps: list[_Value]) -> list[_Value]:
    """The lines of map keys that the camelCase step would take for field names, as regions of one
    line (level -1), kept as they are."""
    kept = []
    for value in maps:
        for entry in _entries(text, value):
            if _FIELD_NAME_KEY.match(text, entry):
                kept.append(_Value(entry, _line_end(text, entry), -1, -1, -1))
    return kept


class _DataValues(_Bounded):
    """(a value's text from its opening bracket to its closing one, the level of its key's line) ->
    the value with its keys sorted, laid out as Go's MarshalIndent lays it out there (strings and
    floats as Go prints them), `indent` spaces further in (a dump nested in a document)."""

    def __init__(self, indent: int = 0) -> None:
        super().__init__()
        self.newline_pads = [b"\n" + b" " * (4 * level + 8 + indent) for level in range(_MAX_LEVEL + 1)]

    def render(self, text: bytes, regions: list[_Value]) -> list[bytes]:
        """The rendering of each region's value; those not met before are made together."""
        _, _, opener_ends, closers, levels = zip(*regions)
        # each value's text from its opening bracket to its closing one (after the closing line's spaces)
        texts = map(text.__getitem__, map(slice, map((-1).__add__, opener_ends), map(operator.add, closers, map((1).__add__, levels))))
        keys = list(zip(texts, levels))
        values = list(map(self.get, keys))
        missing: dict[tuple[bytes, int], bytes] = {}
        at = -1
        while True:
            try:
                at = values.index(None, at + 1)
            except ValueError:
                break
            missing[keys[at]] = keys[at][0]
        if not missing:
            return values
        self._make(missing)
        return list(map(self.__getitem__, keys))

    def _make(self, missing: dict[tuple, bytes]) -> None:
        import functools
        import itertools

        import msgspec
        import orjson

        values = orjson.loads(b"[" + b",".join(missing.values()) + b"]")
        encoded = b"\x00".join(map(functools.partial(orjson.dumps, option=orjson.OPT_SORT_KEYS), values))
        for raw, escaped in _GO_ESCAPES:
            encoded = encoded.replace(raw, escaped)
        parts = encoded.split(b"\x00")
        if _FLOAT_HINT.search(encoded) is not None:
            parts = list(map(_go_floats, parts))
        laid_out = map(functools.partial(msgspec.json.format, indent=4), parts)
        pads = map(self.newline_pads.__getitem__, map(operator.itemgetter(1), missing))
        self.update(zip(missing, map(bytes.replace, laid_out, itertools.repeat(b"\n"), pads)))
        self.fresh.extend(missing)


_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?')
_FLOAT_HINT = re.compile(rb"[:\[,]-?\d+[.eE]")  # a number's start in compact JSON, then a float's mark


def _go_floats(value: bytes) -> bytes:
    """Compact JSON with its floats printed as Go's encoding/json prints them (strings left as they are)."""
    if _FLOAT_HINT.search(value) is None:
        return value
    return _JSON_TOKEN.sub(_go_number, value)


def _go_number(token: re.Match) -> bytes:
    text = token.group()
    if text[:1] == b'"' or text.isdigit() or (text[:1] == b"-" and text[1:].isdigit()):
        return text  # a string or an integer
    from meshctl.goenc.gojson import format_float

    return format_float(float(text)).encode()
