"""sigs.k8s.io/yaml semantics: JSON-compatible values <-> YAML text, exactly as Go writes it.

``marshal`` reproduces ``sigs.k8s.io/yaml.Marshal`` (JSON encoding, then go-yaml v2's emitter):
sorted keys (go-yaml's "natural" key order), 2-space indent, sequences not indented under
mappings, go-yaml's quoting rules (strings that would resolve to bool/int/float/null/timestamp
are double-quoted, strings starting with an indicator are single-quoted, ...), literal style for
multi-line strings and folding of long plain/quoted scalars at column 80.

``unmarshal`` reproduces ``sigs.k8s.io/yaml.Unmarshal`` into ``any``: go-yaml v2's YAML 1.1
scalar resolution (``yes``/``on``/``y`` are booleans, ``1e3`` is a float, timestamps stay strings),
then JSON, so every number becomes a float (Go's ``float64``) unless ``float_numbers=False``.

Self-contained: imports nothing from meshctl (PyYAML is imported lazily, for parsing only).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = [
    "marshal", "unmarshal", "unmarshal_all", "split_documents", "resolve_plain", "format_float", "YAMLError",
    "AliasLimit", "alias_limit",
]


class YAMLError(ValueError):
    """The text is not valid YAML (or not convertible to JSON)."""


# --------------------------------------------------------------------------- scalar resolution
# go-yaml v2 resolve.go: what an unquoted scalar means.

_RESOLVE_MAP: dict[str, object] = {}
for _v, _words in (
    (True, ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")),
    (False, ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")),
    (None, ("", "~", "null", "Null", "NULL")),
    (math.nan, (".nan", ".NaN", ".NAN")),
    (math.inf, (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")),
    (-math.inf, ("-.inf", "-.Inf", "-.INF")),
):
    for _w in _words:
        _RESOLVE_MAP[_w] = _v
_MAP_HINT = set("yYnNtTfFoO~")
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
# strconv.ParseFloat on decimal text (underscores are only allowed after a base prefix).
_GO_FLOAT = re.compile(r"[-+]?(?:[0-9]*\.?[0-9]*(?:[eE][-+]?[0-9]+)?|inf(?:inity)?|nan)\Z", re.I)
_BASE60_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
_TIMESTAMP_LAYOUTS = (
    re.compile(r"\d{4}-\d{1,2}-\d{1,2}[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})\Z"),
    re.compile(r"\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?\Z"),
    re.compile(r"\d{4}-\d{1,2}-\d{1,2}\Z"),
)
INT64_MIN, INT64_MAX, UINT64_MAX = -(1 << 63), (1 << 63) - 1, (1 << 64) - 1


class Timestamp(str):
    """A plain scalar that go-yaml resolves as a timestamp; decoded into ``any`` it stays a string."""


def _go_parse_int(s: str) -> int | None:
    """strconv.ParseInt/ParseUint(s, 0, 64): sign, 0x/0o/0b/0 prefixes (underscores already removed)."""
    body = s[1:] if s[:1] in "+-" else s
    if not body:
        return None
    low = body.lower()
    try:
        if low.startswith("0x"):
            n = int(body[2:], 16) if body[2:] else None
        elif low.startswith("0o"):
            n = int(body[2:], 8) if body[2:] else None
        elif low.startswith("0b"):
            n = int(body[2:], 2) if body[2:] else None
        elif body.startswith("0") and len(body) > 1:
            n = int(body[1:], 8)
        else:
            n = int(body, 10) if body.isdigit() and body.isascii() else None
    except ValueError:
        return None
    if n is None:
        return None
    if s.startswith("-"):
        n = -n
        return n if n >= INT64_MIN else None
    return n if n <= UINT64_MAX else None


def _go_parse_float(s: str) -> float | None:
    """strconv.ParseFloat(s, 64) for decimal input (what '.'-hinted scalars go through)."""
    if not _GO_FLOAT.match(s) or not any(c.isdigit() for c in s) and s.lower().lstrip("+-") not in ("inf", "infinity", "nan"):
        return None
    try:
        value = float(s)
    except ValueError:
        return None
    # out of range ("1e999"): ParseFloat fails (ErrRange), and go-yaml keeps the text a string
    return None if math.isinf(value) and any(c.isdigit() for c in s) else value


def resolve_plain(s: str):
    """The value go-yaml v2 gives an unquoted scalar: bool, None, int, float, Timestamp or str."""
    if not s:
        return None
    c = s[0]
    if c in _MAP_HINT or c == "." or c in "+-" or "0" <= c <= "9":
        if s in _RESOLVE_MAP:
            return _RESOLVE_MAP[s]
        if c == ".":
            number = _go_parse_float(s)
            return s if number is None else number  # "./etc/istio/proxy/XDS" stays a string
        if c in "+-" or "0" <= c <= "9":
            if any(p.match(s) for p in _TIMESTAMP_LAYOUTS):
                return Timestamp(s)
            plain = s.replace("_", "")
            n = _go_parse_int(plain)
            if n is not None:
                return n
            if _YAML_STYLE_FLOAT.match(plain):
                number = _go_parse_float(plain)
                return s if number is None else number
    return s


def needs_quotes(s: str) -> bool:
    """encode.go stringv: a plain string that would read back as something else must be quoted."""
    if type(resolve_plain(s)) is not str:
        return True
    c = s[:1]
    return (c in "+-" or "0" <= c <= "9") and ":" in s and bool(_BASE60_FLOAT.match(s))


# --------------------------------------------------------------------------- numbers

def format_float(f: float, bits: int = 64) -> str:
    """strconv.FormatFloat(f, 'g', -1, bits) (plus YAML's .inf/.nan spellings); `bits` 32 rounds to float32 first."""
    if bits == 32 and not math.isnan(f):
        f = _float32(f)
    if math.isnan(f):
        return ".nan"
    if math.isinf(f):
        return ".inf" if f > 0 else "-.inf"
    if f == 0:
        return "-0" if math.copysign(1, f) < 0 else "0"
    r = repr(abs(f)) if bits == 64 else _shortest32(abs(f))
    mant, _, exp = r.partition("e")
    intpart, _, frac = mant.partition(".")
    if frac == "0":
        frac = ""
    digits = (intpart + frac).lstrip("0")
    lead_zeros = len(intpart + frac) - len((intpart + frac).lstrip("0"))
    point = len(intpart) + (int(exp) if exp else 0) - lead_zeros  # decimal point position in `digits`
    digits = digits.rstrip("0") or "0"
    x = point - 1
    sign = "-" if f < 0 else ""
    # strconv ftoa.go: shortest 'g' switches to %e when the exponent is < -4 or >= 6.
    eprec = 6
    if x < -4 or x >= eprec:
        m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{m}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _float32(f: float) -> float:
    """float32(f) in Go: rounded to the nearest float32, infinite past its range."""
    import struct

    try:
        return struct.unpack("f", struct.pack("f", f))[0]
    except OverflowError:
        return math.copysign(math.inf, f)


def _shortest32(f: float) -> str:
    """The fewest digits (as "d.ddde+XX") that read back as the same float32: Go's shortest for bitSize 32."""
    for precision in range(9):
        text = f"{f:.{precision}e}"
        if _float32(float(text)) == f:
            return text
    return f"{f:.8e}"


def _json_number(v) -> str:
    """A Python number as it reads back after Go's json.Marshal (float64) then go-yaml's resolve."""
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e21:
            return str(int(v))
        return format_float(v)
    return str(v)


# --------------------------------------------------------------------------- key order

def _key_less(a: str, b: str) -> bool:
    """go-yaml v2 sorted.go keyList.Less for two string keys: letters after non-letters, digit runs numerically.
    Its unicode.IsDigit is Nd, Python's isdecimal (isdigit would take "¹" too)."""
    n = min(len(a), len(b))
    for i in range(n):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            return bl
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdecimal():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdecimal():
            an = an * 10 + (ord(a[ai]) - 48)
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdecimal():
            bn = bn * 10 + (ord(b[bi]) - 48)
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


_SIMPLE_KEY = re.compile(r"[A-Za-z]*\Z")


def sorted_keys(keys) -> list[str]:
    """Map keys in go-yaml v2's order (a stable sort by keyList.Less)."""
    import functools

    keys = list(keys)
    if all(_SIMPLE_KEY.match(k) for k in keys):
        return sorted(keys)  # pure-letter keys: Less is plain rune order
    return sorted(keys, key=functools.cmp_to_key(lambda x, y: -1 if _key_less(x, y) else (1 if _key_less(y, x) else 0)))


# --------------------------------------------------------------------------- emitter
# A port of the parts of go-yaml v2's emitterc.go that block-style output uses.

BEST_WIDTH = 80
BEST_INDENT = 2
_BREAKS = "\n\r\x85\u2028\u2029"
_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./=$()][A-Za-z0-9_./=$()@:,\-]*\Z")


def _printable(c: str) -> bool:
    o = ord(c)
    return (
        o == 0x0A
        or 0x20 <= o <= 0x7E
        or 0xA0 <= o <= 0xD7FF
        or (0xE000 <= o <= 0xFFFD and o != 0xFEFF)
    )


class _ScalarAnalysis:
    __slots__ = ("multiline", "flow_plain", "block_plain", "single_quoted", "block")

    def __init__(self, value: str):
        if _PLAIN_SAFE.match(value) and not value.endswith(":") and not value.startswith("..."):
            # Fast path: no indicator, space, break or special character can be in `value`.
            self.multiline, self.flow_plain, self.block_plain, self.single_quoted, self.block = (
                False, ":" not in value and "," not in value, True, True, True)
            return
        if not value:
            self.multiline, self.flow_plain, self.block_plain, self.single_quoted, self.block = False, False, True, True, False
            return
        block_ind = flow_ind = line_breaks = special = False
        leading_space = leading_break = trailing_space = trailing_break = False
        break_space = space_break = previous_space = previous_break = False
        if value.startswith(("---", "...")):
            block_ind = flow_ind = True
        preceded_by_ws = True
        n = len(value)
        for i, c in enumerate(value):
            followed_by_ws = i + 1 >= n or value[i + 1] in " \t" + _BREAKS
            if i == 0:
                if c in "#,[]{}&*!|>'\"%@`":
                    flow_ind = block_ind = True
                elif c in "?:":
                    flow_ind = True
                    if followed_by_ws:
                        block_ind = True
                elif c == "-" and followed_by_ws:
                    flow_ind = block_ind = True
            else:
                if c in ",?[]{}":
                    flow_ind = True
                elif c == ":":
                    flow_ind = True
                    if followed_by_ws:
                        block_ind = True
                elif c == "#" and preceded_by_ws:
                    flow_ind = block_ind = True
            if not _printable(c):
                special = True
            if c == " ":
                if i == 0:
                    leading_space = True
                if i == n - 1:
                    trailing_space = True
                if previous_break:
                    break_space = True
                previous_space, previous_break = True, False
            elif c in _BREAKS:
                line_breaks = True
                if i == 0:
                    leading_break = True
                if i == n - 1:
                    trailing_break = True
                if previous_space:
                    space_break = True
                previous_space, previous_break = False, True
            else:
                previous_space = previous_break = False
            preceded_by_ws = c in " \t" + _BREAKS
        self.multiline = line_breaks
        fp = bp = sq = bl = True
        if leading_space or leading_break or trailing_space or trailing_break:
            fp = bp = False
        if trailing_space:
            bl = False
        if break_space:
            fp = bp = sq = False
        if space_break or special:
            fp = bp = sq = bl = False
        if line_breaks:
            fp = bp = False
        if flow_ind:
            fp = False
        if block_ind:
            bp = False
        self.flow_plain, self.block_plain, self.single_quoted, self.block = fp, bp, sq, bl


PLAIN, SINGLE, DOUBLE, LITERAL = range(4)
_BREAK_RE = re.compile("[" + _BREAKS + "]")
_STYLE_CACHE: dict[tuple[str, bool], int] = {}


def _select_style(value: str, requested: int, simple_key: bool) -> int:
    """yaml_emitter_select_scalar_style: the requested style, downgraded where the text forbids it."""
    a = _ScalarAnalysis(value)
    style = requested
    if simple_key and a.multiline:
        style = DOUBLE
    if style == PLAIN and (not a.block_plain or (not value and simple_key)):
        style = SINGLE
    if style == SINGLE and not a.single_quoted:
        style = DOUBLE
    if style == LITERAL and (not a.block or simple_key):
        style = DOUBLE
    return style


def _string_style(value: str, simple_key: bool) -> int:
    """The style go-yaml writes a string in (encode.go stringv + the emitter's checks), memoised."""
    key = (value, simple_key)
    style = _STYLE_CACHE.get(key)
    if style is None:
        requested = LITERAL if "\n" in value else (DOUBLE if needs_quotes(value) else PLAIN)
        style = _select_style(value, requested, simple_key)
        if len(_STYLE_CACHE) > 50_000:
            _STYLE_CACHE.clear()
        _STYLE_CACHE[key] = style
    return style


class _Emitter:
    def __init__(self, sink=None):
        self.out: list[str] = []
        self.sink = sink  # given: `out` is passed to it, joined, every `_FLUSH` pieces (at a line break)
        self.flushed = False
        self.column = 0
        self.whitespace = True
        self.indention = True
        self.indent = -1

    # low-level writers (yamlprivateh.go put/write/put_break)
    def put(self, s: str) -> None:
        self.out.append(s)
        self.column += len(s)

    def put_break(self) -> None:
        self.out.append("\n")
        self.column = 0
        if self.sink is not None and len(self.out) >= _FLUSH:
            self.sink("".join(self.out))
            self.out.clear()
            self.flushed = True

    def write_indent(self) -> None:
        indent = max(self.indent, 0)
        if not self.indention or self.column > indent or (self.column == indent and not self.whitespace):
            self.put_break()
        if self.column < indent:
            self.put(" " * (indent - self.column))
        self.whitespace = True
        self.indention = True

    def write_indicator(self, ind: str, need_whitespace: bool, is_whitespace: bool, is_indention: bool) -> None:
        if need_whitespace and not self.whitespace:
            self.put(" ")
        self.put(ind)
        self.whitespace = is_whitespace
        self.indention = self.indention and is_indention

    # scalars
    def scalar(self, value: str, style: int, simple_key: bool = False) -> None:
        saved = self.indent
        self.indent = BEST_INDENT if self.indent < 0 else self.indent + BEST_INDENT  # increase_indent(flow=true)
        allow_breaks = not simple_key
        if style == PLAIN:
            self.write_plain(value, allow_breaks)
        elif style == SINGLE:
            self.write_single(value, allow_breaks)
        elif style == DOUBLE:
            self.write_double(value, allow_breaks)
        else:
            self.write_literal(value)
        self.indent = saved

    def write_plain(self, value: str, allow_breaks: bool) -> None:
        if not self.whitespace:
            self.put(" ")
        if not allow_breaks or self.column + len(value) <= BEST_WIDTH or " " not in value:
            self.put(value)
        else:
            spaces = False
            n = len(value)
            for i, c in enumerate(value):
                if c == " ":
                    if allow_breaks and not spaces and self.column > BEST_WIDTH and not (i + 1 < n and value[i + 1] == " "):
                        self.write_indent()
                    else:
                        self.put(c)
                    spaces = True
                else:
                    self.put(c)
                    self.indention = False
                    spaces = False
        self.whitespace = False
        self.indention = False

    def write_single(self, value: str, allow_breaks: bool) -> None:
        self.write_indicator("'", True, False, False)
        spaces = breaks = False
        n = len(value)
        for i, c in enumerate(value):
            if c == " ":
                if allow_breaks and not spaces and self.column > BEST_WIDTH and 0 < i < n - 1 and value[i + 1] != " ":
                    self.write_indent()
                else:
                    self.put(c)
                spaces = True
            elif c in _BREAKS:
                if not breaks and c == "\n":
                    self.put_break()
                self.put_break()
                self.indention = True
                breaks = True
            else:
                if breaks:
                    self.write_indent()
                self.put("''" if c == "'" else c)
                self.indention = False
                spaces = breaks = False
        self.write_indicator("'", False, False, False)
        self.whitespace = False
        self.indention = False

    _ESCAPES = {
        "\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r",
        "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P",
    }

    def write_double(self, value: str, allow_breaks: bool) -> None:
        self.write_indicator('"', True, False, False)
        spaces = False
        n = len(value)
        for i, c in enumerate(value):
            if not _printable(c) or c == "\ufeff" or c in _BREAKS or c in '"\\':
                esc = self._ESCAPES.get(c)
                if esc is None:
                    o = ord(c)
                    esc = f"x{o:02X}" if o <= 0xFF else (f"u{o:04X}" if o <= 0xFFFF else f"U{o:08X}")
                self.put("\\" + esc)
                spaces = False
            elif c == " ":
                if allow_breaks and not spaces and self.column > BEST_WIDTH and i != 0 and i != n - 1:
                    self.write_indent()
                    if i + 1 < n and value[i + 1] == " ":
                        self.put("\\")
                else:
                    self.put(c)
                spaces = True
            else:
                self.put(c)
                spaces = False
        self.write_indicator('"', False, False, False)
        self.whitespace = False
        self.indention = False

    def write_literal(self, value: str) -> None:
        self.write_indicator("|", True, False, False)
        if value[:1] == " " or value[:1] in _BREAKS and value:
            self.write_indicator(str(BEST_INDENT), False, False, False)
        if not value or value[-1] not in _BREAKS:
            chomp = "-"
        elif len(value) == 1 or value[-2] in _BREAKS:
            chomp = "+"
        else:
            chomp = ""
        if chomp:
            self.write_indicator(chomp, False, False, False)
        self.put_break()
        self.indention = True
        self.whitespace = True
        breaks = True
        for line in re.split(r"(\n)", value):
            if line == "\n":
                self.put_break()
                self.indention = True
                breaks = True
            elif line:
                if breaks:
                    self.write_indent()
                self.put(line)
                self.indention = False
                breaks = False

    # nodes
    def node(self, v, *, in_mapping: bool = False, simple_key: bool = False) -> None:
        if isinstance(v, dict):
            if not v:
                self.flow_empty("{}")
            else:
                self.block_mapping(v)
        elif isinstance(v, (list, tuple)):
            if not v:
                self.flow_empty("[]")
            else:
                self.block_sequence(v, indentless=in_mapping and not self.indention)
        elif isinstance(v, str):
            self.scalar(v, _string_style(v, simple_key), simple_key)
        elif v is None:
            self.scalar("null", PLAIN, simple_key)
        elif v is True:
            self.scalar("true", PLAIN, simple_key)
        elif v is False:
            self.scalar("false", PLAIN, simple_key)
        elif isinstance(v, (int, float)):
            self.scalar(_json_number(v), PLAIN, simple_key)
        else:
            raise TypeError(f"cannot marshal {type(v).__name__} to YAML")

    def flow_empty(self, text: str) -> None:
        self.write_indicator(text[0], True, True, False)
        self.write_indicator(text[1], False, False, False)

    def increase_indent(self, indentless: bool) -> None:
        if self.indent < 0:
            self.indent = 0
        elif not indentless:
            self.indent += BEST_INDENT

    def block_mapping(self, m: dict) -> None:
        saved = self.indent
        self.increase_indent(False)
        for k in sorted_keys(m):
            key = k if isinstance(k, str) else str(k)
            self.write_indent()
            if is_simple_key(key):
                self.node(key, simple_key=True)
                self.write_indicator(":", False, False, False)
            else:
                self.write_indicator("?", True, False, True)
                self.node(key)
                self.write_indent()
                self.write_indicator(":", True, False, True)
            self.node(m[k], in_mapping=True)
        self.indent = saved

    def block_sequence(self, seq, indentless: bool) -> None:
        saved = self.indent
        self.increase_indent(indentless)
        for item in seq:
            self.write_indent()
            self.write_indicator("-", True, False, True)
            self.node(item)
        self.indent = saved


def is_simple_key(key: str) -> bool:
    """Whether go-yaml writes a mapping's key as `key:` (else as `? key` on a line of its own)."""
    return (len(key) <= 32 or len(key.encode()) <= 128) and not _BREAK_RE.search(key)


# Pieces of a document as `marshal` writes them at a given place: each begins at `prefix` (the
# spaces, and the "- " of list items, before it on its line: the column of its first key or item)
# and ends with a line break; the document's pieces one after the other are `marshal`'s text.


def _ended(emitter: _Emitter) -> str:
    text = "".join(emitter.out)
    return text if text.endswith("\n") else text + "\n"  # (a literal block ends with its break)


def emit_field(prefix: str, key: str, value=None, *, opened: bool = False) -> str:
    """A mapping's entry `key: value` (a scalar, or an empty mapping or sequence) at `prefix`; with
    `opened`, only `key:` (a value written by the pieces after it). `key` must be simple (`is_simple_key`)."""
    emitter = _Emitter()
    emitter.out = [prefix]
    emitter.indent = emitter.column = len(prefix)
    emitter.node(key, simple_key=True)
    emitter.write_indicator(":", False, False, False)
    if not opened:
        emitter.node(value, in_mapping=True)
    return _ended(emitter)


def emit_item(prefix: str, value) -> str:
    """A list's item (a scalar, or an empty mapping or sequence) at `prefix`, which ends with "- "."""
    emitter = _Emitter()
    emitter.out = [prefix[:-2]]
    emitter.indent = emitter.column = len(prefix) - 2
    emitter.write_indicator("-", True, False, True)
    emitter.node(value)
    return _ended(emitter)


def emit_mapping(prefix: str, mapping: dict) -> str:
    """A non-empty mapping's entries at `prefix` (the first's; the others at as many spaces)."""
    emitter = _Emitter()
    emitter.out = [prefix]
    emitter.column = len(prefix)
    emitter.indent = len(prefix) - BEST_INDENT  # block_mapping adds its indent
    emitter.block_mapping(mapping)
    return _ended(emitter)


def emit_sequence(indent: int, items: list) -> str:
    """A non-empty sequence that a mapping's key at column `indent` holds, on the lines after the key's."""
    emitter = _Emitter()
    emitter.indent = indent
    emitter.block_sequence(items, indentless=True)
    return _ended(emitter)


def marshal(value) -> str:
    """sigs.k8s.io/yaml.Marshal of a JSON-compatible value (dict/list/str/int/float/bool/None)."""
    pieces: list[str] = []
    marshal_to(value, pieces.append)
    return "".join(pieces)


_FLUSH = 1 << 14  # pieces (about a line each 3) that `marshal_to` gathers before writing them


def marshal_to(value, write) -> None:
    """`marshal(value)` passed to ``write(str)`` a piece at a time (whole lines, but for the last),
    never held whole: a big document's YAML is written as it is made."""
    em = _Emitter(sink=write)
    em.node(value)
    em.write_indent() if em.column else None
    text = "".join(em.out)
    if not text.endswith("\n") and (text or not em.flushed):  # what is written ends with a line break
        text += "\n"
    if text:
        write(text)


# --------------------------------------------------------------------------- parsing
# go-yaml v2.4 decode.go over PyYAML's (libyaml's) parser: the same scanner and parser that go-yaml
# ported to Go, so the same text is valid; the decoding rules (scalar resolution, explicit tags,
# merge keys, anchors, map keys, limits) are go-yaml's and sigs.k8s.io/yaml's, ported below.

_LOADERS: dict = {}
_YAML_PREFIX = "tag:yaml.org,2002:"
_STR_TAG, _BINARY_TAG, _MERGE_TAG = _YAML_PREFIX + "str", _YAML_PREFIX + "binary", _YAML_PREFIX + "merge"
_NULL_TAG, _BOOL_TAG, _INT_TAG = _YAML_PREFIX + "null", _YAML_PREFIX + "bool", _YAML_PREFIX + "int"
_FLOAT_TAG, _TIMESTAMP_TAG = _YAML_PREFIX + "float", _YAML_PREFIX + "timestamp"
# resolve.go resolvableTag: the explicit tags whose text is resolved (and checked against the tag)
_RESOLVABLE_TAGS = frozenset((_STR_TAG, _BOOL_TAG, _INT_TAG, _FLOAT_TAG, _NULL_TAG, _TIMESTAMP_TAG))
_PLAIN_TAG = "tag:go:plain"
_NONSPECIFIC_TAG = "!"  # a scalar tagged "!": plain-implicit in libyaml, unresolved by go-yaml
# where a "!" may be a tag of its own (followed by a blank, a flow indicator or the end)
_NONSPECIFIC = re.compile(r"!(?![^\s,\[\]{}])")
# Python frames per level of nesting are few; libyaml refuses more than 1000 levels of text, aliases
# can nest deeper than the text does (go-yaml's decoder has no limit there: it expands them).
_RECURSION_LIMIT = 20_000


def _loader(go_composer: bool = False):
    """PyYAML's C parser and composer, every plain scalar left to go-yaml's resolution (built once).

    With `go_composer`, the composer is PyYAML's Python one over the same C parser's events, changed
    where go-yaml's parser differs: a later ``&name`` replaces an earlier one (decode.go parser.anchor;
    the C composer refuses the document), and a scalar tagged ``!`` keeps that tag (go-yaml keeps its
    text a string; the C composer resolves it as if untagged). Only documents that need it take this
    path (about 1.5 times slower).
    """
    loader = _LOADERS.get(go_composer)
    if loader is None:
        import yaml
        from yaml.composer import Composer

        scalar_node, sequence_node, alias_event = yaml.ScalarNode, yaml.SequenceNode, yaml.AliasEvent

        def resolve(self, kind, value, implicit):
            # Called by the composer for every untagged node: plain scalars are resolved later, go-yaml's way.
            if kind is scalar_node:
                return _PLAIN_TAG if implicit[0] else _STR_TAG
            return _YAML_PREFIX + "seq" if kind is sequence_node else _YAML_PREFIX + "map"

        if not go_composer:
            loader = type("GoLoader", (yaml.CSafeLoader,), {"resolve": resolve})
        else:
            def compose_node(self, parent, index):
                event = self.peek_event()
                if not isinstance(event, alias_event) and event.anchor is not None:
                    self.anchors.pop(event.anchor, None)  # a redefinition replaces the anchor
                return Composer.compose_node(self, parent, index)

            def compose_scalar_node(self, anchor):
                event = self.get_event()
                tag = _NONSPECIFIC_TAG if event.tag == "!" else event.tag or resolve(self, scalar_node, event.value, event.implicit)
                node = scalar_node(tag, event.value, event.start_mark, event.end_mark, style=event.style)
                if anchor is not None:
                    self.anchors[anchor] = node
                return node

            def init(self, stream):
                yaml.CSafeLoader.__init__(self, stream)
                Composer.__init__(self)

            loader = type("GoComposerLoader", (Composer, yaml.CSafeLoader), {
                "__init__": init, "resolve": resolve, "compose_node": compose_node, "compose_scalar_node": compose_scalar_node,
            })  # fmt: skip
        _LOADERS[go_composer] = loader
    return loader


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_YAML_PREFIX):] if tag.startswith(_YAML_PREFIX) else tag


def _resolved_tag(value, explicit: str) -> str:
    """The tag go-yaml's resolve gives the text it turned into `value` (its `rtag`)."""
    if value is None:
        return _NULL_TAG
    if isinstance(value, bool):
        return _BOOL_TAG
    if isinstance(value, Timestamp):
        # only plain text or an explicit !!timestamp is tried as a timestamp
        return _TIMESTAMP_TAG if explicit == _TIMESTAMP_TAG else _STR_TAG
    if isinstance(value, int):
        return _INT_TAG
    if isinstance(value, float):
        return _FLOAT_TAG
    return _MERGE_TAG if value == "<<" else _STR_TAG


def _go_string(data: bytes) -> str:
    """Bytes as Go's string(data) reads after json.Marshal: each invalid UTF-8 byte becomes U+FFFD."""
    text = data.decode("utf-8", "surrogateescape")
    return re.sub("[\udc80-\udcff]", "\ufffd", text) if not text.isascii() else text


def _scalar(node):
    """decode.go scalar() into ``any``: a scalar node's value, its explicit tag checked."""
    tag, text = node.tag, node.value
    if tag == _PLAIN_TAG:
        return resolve_plain(text)
    if tag == _STR_TAG:
        return text
    if tag == _BINARY_TAG:
        import base64
        import binascii

        try:
            return _go_string(base64.b64decode(text.replace("\n", "").replace("\r", ""), validate=True))
        except (binascii.Error, ValueError):
            raise YAMLError("yaml: !!binary value contains invalid base64 data") from None
    if tag not in _RESOLVABLE_TAGS:
        return text  # a tag go-yaml does not resolve (!custom, !!seq on a scalar, ...): the text itself
    value = resolve_plain(text)
    resolved = _resolved_tag(value, tag)
    if resolved == tag:
        return str(value) if resolved == _TIMESTAMP_TAG else value
    if tag == _FLOAT_TAG and resolved == _INT_TAG and value <= INT64_MAX:  # Go's int or int64, not uint64
        return float(value)
    raise YAMLError(f"yaml: cannot decode {_short_tag(resolved)} `{text}` as a {_short_tag(tag)}")


def _is_merge_key(node) -> bool:
    # decode.go isMerge: a plain (or !!merge-tagged) "<<" scalar.
    return node.id == "scalar" and node.value == "<<" and node.tag in (_PLAIN_TAG, _MERGE_TAG, _NONSPECIFIC_TAG)


_WANT_MAP = "yaml: map merge requires map or sequence of maps as the value"


def _build(node, anchors: dict):
    """A composed YAML node as Python data, as go-yaml decodes it into ``any``.

    `anchors` maps the id of every collection node built so far to its value: PyYAML's composer gives
    an alias the node of its anchor, so a node met again is an alias and shares its value (aliases
    to scalars are simply built again).
    """
    known = anchors.get(id(node))
    if known is not None:
        return known
    kind = node.id
    if kind == "scalar":
        return _scalar(node)
    if kind == "sequence":
        items: list = []
        anchors[id(node)] = items
        for child in node.value:
            items.append(_build(child, anchors))
        return items
    out: dict = {}
    anchors[id(node)] = out
    # decode.go mapping(): keys are set in document order and a merge writes its keys where it stands,
    # so whatever comes later wins, merged or not.
    for key_node, value_node in node.value:
        if _is_merge_key(key_node):
            _merge(value_node, out, anchors)
            continue
        key = _build(key_node, anchors)
        if isinstance(key, (dict, list)):
            raise YAMLError("yaml: invalid map key: a mapping or sequence cannot be a key")
        # named as JSON names it now: Go's map keeps true and 1 apart, a Python dict would not
        out[_json_key(key)] = _build(value_node, anchors)
    return out


def _merge(node, out: dict, anchors: dict) -> None:
    """decode.go merge(): a mapping (or an alias of one), or a sequence of them written last to first
    (earlier ones take precedence); anything else, an alias of a sequence included, is an error."""
    if node.id == "mapping":
        out.update(_build(node, anchors))
        return
    if node.id != "sequence" or id(node) in anchors:  # a scalar, or an alias (seen before) of a sequence
        raise YAMLError(_WANT_MAP)
    sources = _build(node, anchors)
    if any(item.id != "mapping" for item in node.value):
        raise YAMLError(_WANT_MAP)
    for source in reversed(sources):
        out.update(source)


def _json_key(key) -> str:
    """sigs.k8s.io/yaml convertToJSONableObject: the JSON name of a map key go-yaml decoded."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        if INT64_MIN <= key <= INT64_MAX:  # go-yaml's int; past it a uint64, which has no case there
            return str(key)
        raise YAMLError(f"unsupported map key of type: uint64, key: {key:#x}")
    if isinstance(key, float):
        return format_float(key, 32)  # strconv.FormatFloat(key, 'g', -1, 32), as go-yaml's encoder does
    raise YAMLError("unsupported map key of type: <nil>, key: <nil>")


def _to_json(v, float_numbers: bool):
    """sigs.k8s.io/yaml yamlToJSON: numbers go through JSON (float64), aliases become copies."""
    if isinstance(v, dict):
        out = {}
        for key, value in v.items():  # keys are JSON names already (_build)
            out[key] = _to_json(value, float_numbers)
        return out
    if isinstance(v, list):
        items = []
        for item in v:
            items.append(_to_json(item, float_numbers))
        return items
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise YAMLError(f"json: unsupported value: {'NaN' if math.isnan(v) else '+Inf' if v > 0 else '-Inf'}")
        return v
    if isinstance(v, int):
        return float(v) if float_numbers else v
    return str(v)


# --------------------------------------------------------------------------- alias expansion
# go-yaml v2.4 decode.go (used by sigs.k8s.io/yaml, so by the API server and istioctl): a "billion laughs"
# document is refused while it is decoded. Every node decoded counts, and every node decoded inside an
# alias expansion counts as aliased; past 1000 nodes and 100 aliased ones, aliased nodes may be at most
# 99% of those decoded up to 400 000, a share falling linearly to 10% at 4 000 000 (allowedAliasRatio).
# This reproduces those counts (in go-yaml's decoding order) without expanding anything, so a 756-byte
# bomb costs a few thousand steps. `AliasLimit.nodes` is go-yaml's 100: a command raises it with a flag.
_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000
_MIN_DECODED = 1000


@dataclass(frozen=True)
class AliasLimit:
    """How far aliases may expand: go-yaml's rule, with `nodes` aliased nodes always allowed.

    `raise_with` says how a user raises the limit (the command's flag); the error ends with it.
    """

    nodes: int = 100
    raise_with: str = ""


# The limit of the decoding running in this context (a command sets it for its run: `alias_limit`).
ALIAS_LIMIT: ContextVar[AliasLimit] = ContextVar("meshctl.goenc.goyaml.alias_limit", default=AliasLimit())


@contextmanager
def alias_limit(limit: AliasLimit) -> Iterator[AliasLimit]:
    """Decode every document in the block under `limit`."""
    token = ALIAS_LIMIT.set(limit)
    try:
        yield limit
    finally:
        ALIAS_LIMIT.reset(token)


def _allowed_alias_ratio(decoded: int) -> float:
    if decoded <= _ALIAS_RATIO_LOW:
        return 0.99
    if decoded >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decoded - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW)


class _AliasCounter:
    """go-yaml's decodeCount/aliasCount over one composed document. PyYAML's composer gives an alias the
    node of its anchor, so a node object met again (in document order) is an alias."""

    def __init__(self, limit: AliasLimit):
        self.limit = limit
        self.decoded = 0
        self.aliased = 0
        self.defined: set[int] = set()  # node ids whose definition was seen
        self.alias_at: dict[tuple[int, int], bool] = {}  # (parent id, child position) -> is an alias
        self.sizes: dict[int, int] = {}  # node id -> nodes decoded when its subtree is decoded again
        self.expanding: set[int] = set()

    def children(self, node) -> list:
        """(position, child) pairs in go-yaml's decoding order; merge sequences are not nodes of their own."""
        if node.id == "sequence":
            return list(enumerate(node.value))
        if node.id != "mapping":
            return []
        out, position = [], 0
        for key, value in node.value:
            if _is_merge_key(key):
                items = value.value if value.id == "sequence" else [value]
                for item in (reversed(items) if value.id == "sequence" else items):
                    out.append((position, item))
                    position += 1
                continue
            out.extend(((position, key), (position + 1, value)))
            position += 2
        return out

    def mark(self, node) -> None:
        """Document order: the first time a node object is met is its definition."""
        stack = [node]
        self.defined.add(id(node))
        while stack:
            parent = stack.pop()
            kids = self.children(parent)
            # children(): merged items come reversed; document order is what decides definitions.
            for position, child in sorted(kids, key=lambda pc: pc[0]) if parent.id == "mapping" else kids:
                alias = id(child) in self.defined
                self.alias_at[(id(parent), position)] = alias
                if not alias:
                    self.defined.add(id(child))
                    stack.append(child)

    def size(self, node) -> int:
        """Nodes decoded when `node`'s subtree is decoded (its aliases expanded)."""
        known = self.sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in self.expanding:
            raise YAMLError("yaml: an anchor's value contains an alias of itself")
        self.expanding.add(id(node))
        total = 1
        for position, child in self.children(node):
            total += self.size(child) + (1 if self.alias_at.get((id(node), position)) else 0)
        self.expanding.discard(id(node))
        self.sizes[id(node)] = total
        return total

    def count(self, decoded: int, aliased: int) -> None:
        self.decoded += decoded
        self.aliased += aliased
        if self.aliased > self.limit.nodes and self.decoded > _MIN_DECODED and self.aliased / self.decoded > _allowed_alias_ratio(self.decoded):
            raise YAMLError(
                f"yaml: document contains excessive aliasing: aliases expand to {self.aliased} of the first "
                f"{self.decoded} nodes decoded (go-yaml's alias limit, which the API server and istioctl "
                f"apply too: past {self.limit.nodes} aliased nodes, at most 99% of the nodes decoded up to "
                "400000, falling to 10% at 4000000)" + (f"; {self.limit.raise_with}" if self.limit.raise_with else ""))

    def walk(self, node) -> None:
        self.count(1, 0)
        for position, child in self.children(node):
            if self.alias_at.get((id(node), position)):
                self.count(1, 0)  # the alias node itself, outside any expansion
                expanded = self.size(child)
                self.count(expanded, expanded)
            else:
                self.walk(child)


def check_aliasing(node, limit: AliasLimit | None = None) -> None:
    """Raise YAMLError where go-yaml refuses a document for its aliases (see _allowed_alias_ratio)."""
    counter = _AliasCounter(limit or ALIAS_LIMIT.get())
    counter.mark(node)
    if len(counter.alias_at) == sum(1 for alias in counter.alias_at.values() if not alias):
        return  # no alias at all
    counter.count(1, 0)  # the document node
    counter.walk(node)


def unmarshal(text: str | bytes, *, float_numbers: bool = True):
    """sigs.k8s.io/yaml.Unmarshal into ``any``: the first document (go-yaml reads no further)."""
    docs = _decode(text, float_numbers, first_only=True)
    return docs[0] if docs else None


def unmarshal_all(text: str | bytes, *, float_numbers: bool = True) -> list:
    """Every document in ``text``, each converted as ``unmarshal`` does."""
    return _decode(text, float_numbers, first_only=False)


def _decode(text: str | bytes, float_numbers: bool, first_only: bool) -> list:
    import sys

    import yaml

    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YAMLError(f"yaml: invalid UTF-8 at byte {exc.start}") from None
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
    try:
        go_composer = "!" in text and _NONSPECIFIC.search(text) is not None
        try:
            return _documents(_loader(go_composer)(text), text, float_numbers, first_only)
        except yaml.composer.ComposerError as exc:
            if go_composer or "duplicate anchor" not in str(exc):
                raise
            return _documents(_loader(go_composer=True)(text), text, float_numbers, first_only)
    except yaml.YAMLError as exc:
        raise YAMLError(" ".join(str(exc).split())) from None
    except RecursionError:
        raise YAMLError("yaml: exceeded max depth: the document (its aliases expanded) nests too deeply") from None
    finally:
        sys.setrecursionlimit(limit)


def _documents(loader, text: str, float_numbers: bool, first_only: bool) -> list:
    docs = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None and "&" in text:  # only anchors make aliases
                check_aliasing(node)
            docs.append(None if node is None else _to_json(_build(node, {}), float_numbers))
            if first_only:
                break
    finally:
        loader.dispose()
    return docs


_DOC_SEPARATOR = re.compile(r"^---\s*$")


def split_documents(text: str) -> list[str]:
    """k8s.io/apimachinery YAMLReader: split on lines that are exactly ``---`` (optionally spaced).

    Each chunk keeps its own text (and trailing newline); chunks that are only whitespace or
    comments are dropped, as kube-inject's loop never sees them as objects.
    """
    docs, cur = [], []
    for line in text.splitlines(keepends=True):
        if _DOC_SEPARATOR.match(line.rstrip("\n")) or line.rstrip("\r\n") == "---":
            docs.append("".join(cur))
            cur = []
        else:
            cur.append(line)
    docs.append("".join(cur))
    return [d for d in docs if any(ln.strip() and not ln.lstrip().startswith("#") for ln in d.splitlines())]
