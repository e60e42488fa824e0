"""A whole config dump as istioctl's YAML, made from the dump's bytes a piece at a time.

`pc all -o yaml` of a 150 MB dump built as Python objects (decode, the camelCase projection, the
go-yaml emitter port walking 10M+ objects) costs several times `jq .`. Here the YAML is made from
the dump's text instead; the result is what `render.data.to_yaml(full_dump(parse(data)))` prints,
byte for byte (tests/pc/test_dumpyaml.py compares the two):

1. each config entry is laid out one value per line, one space per level, by msgspec
   (`render.dumpjson.envoy_entries`, the entries `pc all -o json` reads), and cut into units: each
   field of the entry, or, for a field holding a list of objects (the 20k clusters), each item;
2. a YAML line depends only on its JSON line (key and value), its column, the text before it on its
   line ("- " for a list item's first field) and whether its key is a field name (camelCased) or
   data (kept): each distinct (line, context) is made once by go-yaml's own emitter
   (`meshctl.goenc.goyaml`, quoting, folding at column 80, literal blocks) and looked up after that
   (`_Lines`);
3. what depends on more than a line (the order of a mapping's keys, go-yaml's natural order of the
   camelCased names; which values are data, decode.protojson's rules; where "- " goes) is found on
   the unit's skeleton, one id per line (its level, key and kind, not its value): units of the same
   shape (clusters differing only in names and numbers) share one plan (`_Plans`), made once in
   Python; the lines are then permuted and looked up in C (`map`).

A unit the plan does not cover (a key go-yaml writes in the "? key" form) is made by the general
path (its value decoded, projected, emitted), so the output never differs. The output passes the
redaction step as any other (`Serialized`, not marked redacted: `emit.write_chunks` redacts it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from operator import getitem

from meshctl.decode.protojson import DATA, MAP, camel_field_name, field_value_kind, is_struct_type
from meshctl.goenc.goyaml import is_simple_key, sorted_keys

_CHUNK = 1 << 20  # bytes of output gathered before a chunk is yielded
_SPLIT = 1 << 16  # an entry's field holding a list of objects is cut into its items past this size
_ITEM_BOUNDARY = b"\n  },\n  {\n"  # between two objects of a list held by an entry's field
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_STRUCT_TYPE = "type.googleapis.com/google.protobuf.Struct"

# kinds of line (the skeleton)
SCALAR, OPEN_OBJECT, OPEN_LIST, CLOSE = range(4)


class Unsupported(Exception):
    """A unit the plan does not cover: it is made by the general path."""


def istioctl_dump_yaml(data: bytes, raw: bool = False) -> tuple[Iterator[bytes], list[str]] | None:
    """The dump as istioctl's `-o yaml` prints it (Envoy's own names with `raw`), as chunks, and the
    warnings `decode.configdump.parse` gives for it; or None when `envoy_entries` reads no entries
    (the caller then takes the general path)."""
    from meshctl.render.dumpjson import envoy_entries

    found = envoy_entries(data)
    if found is None:
        return None
    entries, warnings = found
    return _chunks(entries, raw), warnings


def _chunks(entries: list[bytes], raw: bool) -> Iterator[bytes]:
    maker = _Maker(raw)
    pieces, size = [b"configs:\n"], 9
    for index in range(len(entries)):
        text, entries[index] = entries[index], b""  # what is written is let go
        for piece in maker.entry(text):
            pieces.append(piece)
            size += len(piece)
            if size >= _CHUNK:
                yield b"".join(pieces)
                pieces, size = [], 0
        maker.bound()
    pieces.append(b"\n")  # istioctl prints the YAML with Fprintln
    yield b"".join(pieces)


class _Bounded(dict):
    LIMIT = 1 << 19

    def bound(self) -> None:
        if len(self) > self.LIMIT:
            self.clear()


class _Skeleton(_Bounded):
    """A line of the one-space layout -> the id of its (level, key, kind, struct type) in `infos`:
    what the plan of a unit reads of a line. `struct type`: an "@type" whose value names a
    TypedStruct, Struct or Value (decode.protojson `_is_struct_any`)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[tuple, int] = {}
        self.infos: list[tuple] = []
        self.shapes: dict[tuple, int] = {}  # (level, key's text, kind) -> id

    def __missing__(self, line: bytes) -> int:
        # (a key without an escape: its skeleton is found without decoding it)
        keyed = _KEYED.match(line)
        if keyed is not None and keyed.group(1) != b'"@type"':
            value = line[keyed.end() :]
            kind = OPEN_OBJECT if value == b"{" else OPEN_LIST if value == b"[" else SCALAR
            shape = (keyed.start(1), keyed.group(1), kind)
            found = self.shapes.get(shape)
            if found is None:
                found = self.shapes[shape] = self._id(shape[0], _split_line(keyed.group(1) + b": 0")[0], kind, False)
        else:
            content = line.lstrip(b" ")
            found = self._decoded(len(line) - len(content), content.removesuffix(b","))
        self[line] = found
        return found

    def _decoded(self, level: int, content: bytes) -> int:
        import orjson

        key, value = _split_line(content)
        if key is None and content in (b"}", b"]"):
            kind = CLOSE
        else:
            kind = OPEN_OBJECT if value == b"{" else OPEN_LIST if value == b"[" else SCALAR
        struct = False
        if key == "@type" and kind == SCALAR:
            struct = is_struct_type(orjson.loads(value))
        return self._id(level, key, kind, struct)

    def _id(self, level: int, key: str | None, kind: int, struct: bool) -> int:
        info = (level, key, kind, struct)
        found = self.ids.get(info)
        if found is None:
            found = self.ids[info] = len(self.infos)
            self.infos.append(info)
        return found


def _split_line(content: bytes) -> tuple[str | None, bytes]:
    """(the key, decoded; None for a list item) and the value's text, of a line without its
    indentation and comma."""
    import orjson

    if content[:1] == b'"':
        token = _STRING.match(content)
        if token is not None and content[token.end() : token.end() + 2] == b": ":
            return orjson.loads(token.group()), content[token.end() + 2 :]
    return None, content


class _Lines(_Bounded):
    """A line -> that line as go-yaml writes it in one context (with its line break): after
    `prefix` (the text before its key or item on its output line: spaces and "- "), its key
    camelCased or not (`convert`: a field's name, or data). A memo per context (`_Contexts`), so
    that a lookup hashes only the line (a hash its bytes keep from the skeleton's lookup)."""

    def __init__(self, prefix: bytes, convert: bool, heads: dict[bytes, bytes]) -> None:
        super().__init__()
        self.prefix, self.convert, self.heads = prefix, convert, heads

    def __missing__(self, line: bytes) -> bytes:
        made = self._plain(line)
        if made is None:
            made = self._emitted(line)
        self[line] = made
        return made

    def _plain(self, line: bytes) -> bytes | None:
        """The line when its value is one go-yaml writes as it is (most of a dump's lines: a name,
        a number), its key's part made once per key; None for the others."""
        plain = _PLAIN_FIELD.fullmatch(line)
        if plain is not None:  # (the most common line, in one match)
            head, text, number = plain.groups()
            if number is not None:
                return self._head(head) + b" " + number + b"\n"
            if text not in _PLAIN_WORDS and text[-1:] != b":" and not text[:1].isdigit():
                return self._head(head) + b" " + text + b"\n"
        content = line.lstrip(b" ")
        if content[-1:] == b",":
            content = content[:-1]
        head, value = b"", content
        if content[:1] == b'"':
            at = content.find(b'": ', 1)  # (not the opening quote: the item ": " is a string, not a key)
            if at != -1:
                head, value = content[: at + 1], content[at + 3 :]
                if head.find(b"\\") != -1:
                    return None
        if value in (b"{", b"["):
            return self._head(head) + b"\n" if head else None
        start = self._head(head) + b" " if head else self.prefix
        if value[:1] == b'"':
            text = value[1:-1]
            if _PLAIN_STRING.fullmatch(text) is None or text in _PLAIN_WORDS or text[-1:] == b":":
                return None
            # (a digit first: an address with two dots or more, no "-" nor ":", reads as no number
            # nor timestamp; others are asked)
            if text[:1].isdigit() and (text.count(b".") < 2 or text.find(b"-") + text.find(b":") != -2):
                from meshctl.goenc.goyaml import needs_quotes

                if needs_quotes(text.decode()):
                    return None
            return start + text + b"\n"
        if _PLAIN_NUMBER.fullmatch(value) is not None:
            return start + value + b"\n"
        return None

    def _head(self, head: bytes) -> bytes:
        """The line's text up to its key's ":" (a memo shared by the contexts of one prefix)."""
        made = self.heads.get(head)
        if made is None:
            made = self.heads[head] = self._emitted(head + b": {").removesuffix(b"\n")
        return made

    def _emitted(self, line: bytes) -> bytes:
        """The line as go-yaml's emitter writes it."""
        import orjson

        from meshctl.goenc.goyaml import emit_field, emit_item

        name, value = _split_line(line.lstrip(b" ").removesuffix(b","))
        if name is None:  # a list's item
            return emit_item(self.prefix.decode(), orjson.loads(value)).encode()
        if self.convert:
            name = camel_field_name(name)
        if value in (b"{", b"["):  # (a value opened here is written by the lines after)
            return emit_field(self.prefix.decode(), name, opened=True).encode()
        return emit_field(self.prefix.decode(), name, orjson.loads(value)).encode()


class _Contexts(dict):
    """(prefix, convert) -> its `_Lines`."""

    def __missing__(self, context: tuple[bytes, bool]) -> _Lines:
        made = self[context] = _Lines(*context, heads={})
        return made

    def bound(self) -> None:
        for lines in self.values():
            lines.bound()
            if len(lines.heads) > _Bounded.LIMIT:
                lines.heads.clear()


# A string go-yaml writes plain and whole (goyaml `_ScalarAnalysis`, `_needs_quotes`): no space,
# break, quote, "#" or ":" at its end, nothing first that is an indicator or reads as another type
# (a digit first is checked by `_needs_quotes`; words like "yes" are `_PLAIN_WORDS`).
_PLAIN_STRING = re.compile(rb"[A-Za-z0-9_/][A-Za-z0-9_./=$()@,|~%+:;<>^*!?&#'\-]*")
_PLAIN_WORDS = frozenset(word.encode() for word in ("y Y yes Yes YES true True TRUE on On ON n N no No NO false False FALSE off Off OFF null Null NULL").split())
_PLAIN_NUMBER = re.compile(rb"0|-?[1-9][0-9]{0,17}|true|false|null")  # ("-0" is 0)
_KEYED = re.compile(rb' *("[^"\\]*"): ')  # a line's key, when it holds no escape
_PLAIN_FIELD = re.compile(_KEYED.pattern + rb'(?:"(' + _PLAIN_STRING.pattern + rb')"|(' + _PLAIN_NUMBER.pattern + rb")),?")


class _Plans(_Bounded):
    """(unit context, skeleton) -> the unit's plan: the lines to write, in order, and the context of
    each (`_Lines`); None when the unit needs the general path."""

    def __init__(self, skeleton: _Skeleton, contexts: _Contexts) -> None:
        super().__init__()
        self.skeleton, self.contexts = skeleton, contexts

    def __missing__(self, key: tuple) -> tuple[list[int], list[int]] | None:
        context, ids = key
        try:
            plan = _Planner(self.skeleton.infos, self.contexts).plan(context, ids)
        except Unsupported:
            plan = None
        self[key] = plan
        return plan


class _Node:
    __slots__ = ("line", "level", "key", "kind", "struct", "children")

    def __init__(self, line: int, info: tuple) -> None:
        self.line = line
        self.level, self.key, self.kind, self.struct = info
        self.children: list[_Node] = []


class _Planner:
    """A unit's lines in go-yaml's order, each with its context: decode.protojson `_convert`'s rules
    (which keys are field names) and go-yaml's block layout (sorted keys, 2 spaces per mapping,
    sequences not indented under a mapping's key, "- " before a list item)."""

    def __init__(self, infos: list[tuple], contexts: _Contexts) -> None:
        self.infos, self.line_contexts = infos, contexts
        self.order: list[int] = []
        self.contexts: list[_Lines] = []
        self.pads: dict[int, bytes] = {}

    def plan(self, context: tuple, ids: tuple[int, ...]) -> tuple[list[int], list[int]]:
        mode, column, prefix, parent, verbatim, struct = context
        if mode == "field":  # one field of an entry (its entry's @type says `struct`)
            members = self._tree(ids, 1)
            if len(members) != 1 or members[0].key is None:
                raise Unsupported
            self._fields(members, column, prefix, parent, verbatim, False, struct)
        else:  # the fields of one object of a list an entry's field holds
            members = self._tree(ids, 3)
            if any(member.key is None for member in members):
                raise Unsupported
            self._object(members, column, prefix, parent, verbatim, False)
        return self.order, self.contexts

    def _tree(self, ids: tuple[int, ...], level: int) -> list[_Node]:
        """The values the lines hold, the outermost at `level` (the one-space layout's nesting)."""
        infos = self.infos
        root = _Node(-1, (level - 1, None, OPEN_OBJECT, False))
        stack = [root]
        for line, info_id in enumerate(ids):
            info = infos[info_id]
            if info[2] == CLOSE:
                if len(stack) < 2 or info[0] != stack[-1].level:
                    raise Unsupported
                stack.pop()
                continue
            if info[0] != stack[-1].level + 1:
                raise Unsupported
            node = _Node(line, info)
            stack[-1].children.append(node)
            if node.kind != SCALAR:
                stack.append(node)
        if len(stack) != 1:
            raise Unsupported
        return root.children

    def _pad(self, column: int) -> bytes:
        pad = self.pads.get(column)
        if pad is None:
            pad = self.pads[column] = b" " * column
        return pad

    def _emit(self, node: _Node, prefix: bytes, convert: bool) -> None:
        self.order.append(node.line)
        self.contexts.append(self.line_contexts[(prefix, convert)])

    def _object(self, fields: list[_Node], column: int, prefix: bytes, parent: str, verbatim: bool, keep_keys: bool) -> None:
        struct = False
        if not verbatim and not keep_keys:
            types = [field for field in fields if field.key == "@type"]
            struct = bool(types) and types[-1].struct  # the last of duplicate keys is the one decoded
        self._fields(fields, column, prefix, parent, verbatim, keep_keys, struct)

    def _fields(self, fields: list[_Node], column: int, prefix: bytes, parent: str, verbatim: bool, keep_keys: bool, struct: bool) -> None:
        last: dict[str, _Node] = {}  # a key given twice: decoded, its place is the first's, its value the last's
        for field in fields:
            last[field.key] = field
        convert = not (verbatim or keep_keys)
        named: dict[str, _Node] = {}  # keys that camelCase to the same name: the last is kept (`_convert`)
        for key, field in last.items():
            named[camel_field_name(key) if convert else key] = field
        for index, name in enumerate(sorted_keys(named)):
            if not is_simple_key(name):
                raise Unsupported
            field = named[name]
            self._emit(field, prefix if index == 0 else self._pad(column), convert)
            if field.kind == SCALAR:
                continue
            child_verbatim, child_keep, child_parent = verbatim, False, field.key
            if keep_keys:  # a map's entry: its value is a message (`_convert` of it, no parent)
                child_parent = ""
            elif not verbatim:
                keys = {child.key for child in field.children} if field.kind == OPEN_OBJECT else None
                kind = field_value_kind(field.key, parent, struct, keys)
                child_verbatim, child_keep = kind is DATA, kind is MAP
            if field.kind == OPEN_OBJECT:
                self._object(field.children, column + 2, self._pad(column + 2), child_parent, child_verbatim, child_keep)
            else:
                self._list(field.children, column, self._pad(column), child_parent, child_verbatim)

    def _list(self, items: list[_Node], column: int, prefix: bytes, parent: str, verbatim: bool) -> None:
        """Items whose "- " is at `column`."""
        for index, item in enumerate(items):
            item_prefix = (prefix if index == 0 else self._pad(column)) + b"- "
            if item.kind == OPEN_OBJECT:
                if any(child.key is None for child in item.children):
                    raise Unsupported
                self._object(item.children, column + 2, item_prefix, parent, verbatim, False)
            elif item.kind == OPEN_LIST:
                self._list(item.children, column + 2, item_prefix, parent, verbatim)
            else:
                if item.key is not None:
                    raise Unsupported
                self._emit(item, item_prefix, False)


class _Maker:
    """The entries' YAML, unit by unit, with the memos shared across entries."""

    def __init__(self, raw: bool) -> None:
        self.raw = raw
        self.skeleton = _Skeleton()
        self.contexts = _Contexts()
        self.plans = _Plans(self.skeleton, self.contexts)

    def bound(self) -> None:
        for memo in (self.skeleton, self.contexts, self.plans):
            memo.bound()

    def entry(self, text: bytes) -> Iterator[bytes]:
        """An entry (its one-space text) as an item of "configs": its fields sorted, the first after "- "."""
        fields = []
        for start, first_end, end in _level_1_fields(text):
            info = self.skeleton.infos[self.skeleton[text[start:first_end]]]
            fields.append((info[1], info, start, first_end, end))
        last: dict[str, tuple] = {}
        for field in fields:
            last[field[0]] = field
        named = {(key if self.raw else camel_field_name(key)): field for key, field in last.items()}
        type_field = last.get("@type")
        struct = type_field is not None and type_field[1][3]
        for index, name in enumerate(sorted_keys(named)):
            key, info, start, first_end, end = named[name]
            prefix = b"- " if index == 0 else b"  "
            if info[2] == OPEN_LIST and end - start > _SPLIT and is_simple_key(name):
                items = _object_items(text, first_end, end)
                if items is not None:
                    yield self.contexts[(prefix, not self.raw)][text[start:first_end]]
                    verbatim = self.raw or field_value_kind(key, "", struct, None) is DATA
                    item_context = ("item", 4, b"  - ", key, verbatim, False)
                    for item in items:
                        yield self.unit(item, item_context)
                    continue
            yield self.unit(text[start:end], ("field", 2, prefix, "", self.raw, struct))

    def unit(self, text: bytes, context: tuple) -> bytes:
        import orjson

        lines = text.split(b"\n")
        try:
            plan = self.plans[(context, tuple(map(self.skeleton.__getitem__, lines)))]
            if plan is None:
                return _general_unit(text, context)
            order, contexts = plan
            return b"".join(map(getitem, contexts, map(lines.__getitem__, order)))
        except orjson.JSONDecodeError as exc:  # a number past float64 (1e400): valid JSON that `parse` refuses
            from meshctl.errors import DecodeError

            raise DecodeError(f"config dump is not valid JSON (truncated or corrupt?): {' '.join(str(exc).split())}") from None


def _level_1_fields(text: bytes) -> Iterator[tuple[int, int, int]]:
    """(start, end of its first line, end) of each field of an entry's one-space text. A field
    whose value opens on its line ends at the next line at level 1 that closes a value: found by
    one search (` ]` or ` }` after a line break), not line by line."""
    start, stop = 2, len(text) - 2  # (between the entry's "{\n" and "\n}")
    while start < stop:
        first_end = text.find(b"\n", start, stop)
        if first_end == -1:
            first_end = stop
        opened = text[first_end - 1 : first_end]
        end = first_end
        if opened in (b"{", b"["):
            close = text.find(b"\n ]" if opened == b"[" else b"\n }", first_end - 1, stop)
            end = text.find(b"\n", close + 1, stop) if close != -1 else -1
            if end == -1:
                end = stop
        yield start, first_end, end
        start = end + 1


def _object_items(text: bytes, start: int, end: int) -> Iterator[bytes] | None:
    """The text between the "{" and "}" of each object of the list that the entry's field on
    text[start:end] holds (from the line after the field's own, all of the list's items at level
    2), when its first and last items are objects with fields; else None.

    The cuts are between two objects ("},\n  {" at level 2): a piece may hold several items where
    the list holds other values between objects (`_Planner` then leaves it to `_general_unit`)."""
    tail = text.rfind(b"\n  }\n ]", start, end)
    if text[start : start + 5] != b"\n  {\n" or tail == -1 or text[tail + 7 : end] not in (b"", b","):
        return None
    return _cut(text, start + 5, tail)


def _cut(text: bytes, start: int, end: int) -> Iterator[bytes]:
    """text[start:end] split at each `_ITEM_BOUNDARY`, a piece at a time (never held whole)."""
    while True:
        cut = text.find(_ITEM_BOUNDARY, start, end)
        if cut == -1:
            yield text[start:end]
            return
        yield text[start:cut]
        start = cut + len(_ITEM_BOUNDARY)


def _general_unit(text: bytes, context: tuple) -> bytes:
    """A unit as the general path makes it: decoded, projected (decode.protojson), emitted."""
    import orjson

    from meshctl.decode.protojson import convert_value
    from meshctl.goenc.goyaml import emit_mapping, emit_sequence

    mode, _, prefix, parent, verbatim, struct = context
    if mode == "item":  # the items of a list (a piece between two of its objects), at column 2
        items = orjson.loads(b"[{" + text + b"}]")
        return emit_sequence(2, [convert_value(item, parent, verbatim) for item in items]).encode()
    value = orjson.loads(b"{" + text.removesuffix(b",") + b"}")
    if struct and "@type" not in value:  # (one field of an entry) the projection reads the object's own "@type"
        converted = convert_value({"@type": _STRUCT_TYPE, **value}, parent, verbatim)
        del converted["@type"]
    else:
        converted = convert_value(value, parent, verbatim)
    return emit_mapping(prefix.decode(), converted).encode()
