"""sprig v3.3.0's template functions (Masterminds/sprig `sprig.TxtFuncMap()`) with their Go semantics.

Each function takes engine values (see values.py) and returns one. Where sprig's Go function returns
an error, or panics (text/template turns a panic into an exec error), the Python function raises
`SprigError` carrying Go's message. Typed Go parameters (`int`, `string`, `map[string]interface{}`)
reject other values as text/template does ("wrong type for value; expected int; got float64").

Known limits, documented where they apply: Go RE2 regexps are translated to Python `re` (Unicode
scripts like `\\p{Greek}`, and the flag `U` other than at the start, are refused); time.Time has
microsecond precision; bcrypt and htpasswd raise "not implemented"; the random, crypto and network
functions are random by nature (crypto uses `cryptography`, imported only when such a function runs).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import hashlib
import math
import os
import random
import re
import string
import uuid
import zlib
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from . import gojson
from .gofmt import quote_string, sprint
from .values import MISSING, GoValue, go_kind, go_type_name, is_empty

__all__ = ["SPRIG_FUNCS", "SprigError", "strval", "strslice"]


class SprigError(Exception):
    """An error (or panic) raised by a template function; str() is Go's message."""


# ---------------------------------------------------------------------------
# Typed parameters: text/template refuses values not assignable to a Go parameter type.


def type_error(value, expected: str) -> SprigError:
    """text/template's error for an argument not assignable to a Go parameter type."""
    if value is None or value is MISSING:
        return SprigError(f"invalid value; expected {expected}")
    return SprigError(f"wrong type for value; expected {expected}; got {go_type_name(value)}")


def arg_int(value) -> int:
    """A Go `int` parameter."""
    if isinstance(value, int) and not isinstance(value, (bool, GoValue)):
        return value
    raise type_error(value, "int")


def arg_str(value) -> str:
    """A Go `string` parameter."""
    if isinstance(value, str) and not isinstance(value, GoValue):
        return value
    raise type_error(value, "string")


def arg_map(value) -> dict:
    """A Go `map[string]interface {}` parameter."""
    if isinstance(value, dict) and not isinstance(value, GoValue):
        return value
    raise type_error(value, "map[string]interface {}")


def arg_float(value) -> float:
    """A Go `float64` parameter (an int constant converts)."""
    if isinstance(value, (int, float)) and not isinstance(value, (bool, GoValue)):
        return float(value)
    raise type_error(value, "float64")


def arg_bool(value) -> bool:
    """A Go `bool` parameter."""
    if isinstance(value, bool):
        return value
    raise type_error(value, "bool")


def _iface(value):
    # An invalid reflect.Value (missing key) passed to an interface{} parameter becomes nil.
    return None if value is MISSING else value


def _reflect_kind(value) -> str:
    """reflect.Kind.String() of a value (nil interface -> "invalid")."""
    if value is None or value is MISSING:
        return "invalid"
    kind = go_kind(value)
    return {"float": "float64", "complex": "complex128"}.get(kind, kind)


def _as_slice(value):
    """The elements of a Go slice/array value, or None when it is not one."""
    if isinstance(value, (list, tuple)):
        return value
    if isinstance(value, GoValue) and value.go_kind == "slice":
        return list(value)
    return None


def _slice_arg(value, what: str) -> list | tuple:
    # sprig list.go: reflect.TypeOf(list).Kind(); a nil list dereferences a nil Type.
    if value is None or value is MISSING:
        raise SprigError("runtime error: invalid memory address or nil pointer dereference")
    items = _as_slice(value)
    if items is None:
        raise SprigError(what % _reflect_kind(value))
    return items


# ---------------------------------------------------------------------------
# Conversions shared by many functions (strings.go strval/strslice, spf13/cast)


def strval(value) -> str:
    """sprig strval: strings as is, Stringers via String(), everything else via %v."""
    if isinstance(value, str) and not isinstance(value, GoValue):
        return value
    return sprint(_iface(value))


def strslice(value) -> list[str]:
    """sprig strslice: a list becomes its non-nil elements' strval; anything else a 1-list."""
    items = _as_slice(value)
    if items is not None:
        return [strval(x) for x in items if x is not None and x is not MISSING]
    if value is None or value is MISSING:
        return []
    return [strval(value)]


_INT64_MIN, _UINT64 = -(1 << 63), 1 << 64


def _wrap64(n: int) -> int:
    """Two's-complement int64 overflow, as Go arithmetic wraps."""
    return (n - _INT64_MIN) % _UINT64 + _INT64_MIN


def _float_to_int(f: float) -> int:
    # Go's float->int conversion of NaN/Inf/out of range is the amd64 "indefinite integer".
    if math.isnan(f) or math.isinf(f) or not -(2.0**63) <= f < 2.0**63:
        return _INT64_MIN
    return int(f)


def _trim_zero_decimal(s: str) -> str:
    # spf13/cast trimZeroDecimal: "12.00" -> "12", "12.5" stays.
    found_zero = False
    for i in range(len(s), 0, -1):
        c = s[i - 1]
        if c == ".":
            if found_zero:
                return s[: i - 1]
        elif c == "0":
            found_zero = True
        else:
            return s
    return s


_GO_INT_RE = re.compile(r"[+-]?(0[xX](_?[0-9a-fA-F])+|0[bB](_?[01])+|0[oO]?(_?[0-7])+|[1-9](_?[0-9])*|0)")


def _parse_go_int(s: str, base: int = 0) -> int | None:
    """strconv.ParseInt(s, base, 64): None on syntax or range error."""
    if base == 0:
        if not _GO_INT_RE.fullmatch(s):
            return None
        sign = -1 if s[0] == "-" else 1
        body = s.lstrip("+-").replace("_", "")
        if len(body) > 1 and body[0] == "0" and body[1] in "0123456789_":
            n = int(body, 8)
        else:
            n = int(body, 0)
        n *= sign
    else:
        if not re.fullmatch(r"[+-]?[0-9a-zA-Z]+", s):
            return None
        try:
            n = int(s, base)
        except ValueError:
            return None
    return n if _INT64_MIN <= n < -_INT64_MIN else None


def to_int64(value) -> int:
    """spf13/cast ToInt64 with errors ignored (sprig's toInt64/toInt)."""
    value = _iface(value)
    if isinstance(value, GoValue) and value.go_kind in ("int", "uint", "float", "bool", "string"):
        value = {"int": int, "uint": int, "float": float, "bool": bool, "string": str}[value.go_kind](value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return _wrap64(value)
    if isinstance(value, float):
        return _float_to_int(value)
    if isinstance(value, str):
        n = _parse_go_int(_trim_zero_decimal(value))
        return 0 if n is None else n
    return 0


_GO_FLOAT_RE = re.compile(
    r"[+-]?(?:(?:[0-9](?:_?[0-9])*)?\.?[0-9]*(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|nan|0[xX][0-9a-fA-F_.]+[pP][+-]?[0-9]+)",
    re.IGNORECASE,
)


def _parse_go_float(s: str) -> float | None:
    """strconv.ParseFloat(s, 64): None on error (Go also rejects "1e400" with a range error)."""
    if not s or not _GO_FLOAT_RE.fullmatch(s) or s in "+-.":
        return None
    is_hex = "x" in s.lower()
    if "_" in s and not is_hex:
        return None  # strconv: underscores only with a base prefix
    try:
        body = s.replace("_", "")
        f = float.fromhex(body) if is_hex else float(body)
    except ValueError:
        return None
    if math.isinf(f) and "inf" not in s.lower():
        return None
    return f


def to_float64(value) -> float:
    """spf13/cast ToFloat64 with errors ignored."""
    value = _iface(value)
    if isinstance(value, GoValue) and value.go_kind in ("int", "uint", "float", "bool", "string"):
        value = {"int": int, "uint": int, "float": float, "bool": bool, "string": str}[value.go_kind](value)
    if isinstance(value, (bool, int, float)):
        return float(value)
    if isinstance(value, str):
        f = _parse_go_float(value)
        return 0.0 if f is None else f
    return 0.0


def deep_equal(a, b) -> bool:
    """reflect.DeepEqual on engine values: types must match (1 and 1.0 differ), NaN != NaN."""
    a, b = _iface(a), _iface(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, GoValue):
        return go_type_name(a) == go_type_name(b) and a == b
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(deep_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b))
    return a == b


# ---------------------------------------------------------------------------
# strings.go and goutils/xstrings helpers

# unicode.IsSpace: Python's str.isspace() also counts U+001C..U+001F, which Go does not.
GO_SPACES = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def _go_isspace(ch: str) -> bool:
    return ch in GO_SPACES


def _bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _unbytes(b: bytes) -> str:
    # Go strings are bytes; slicing mid-rune keeps the raw bytes (surrogateescape, as gofmt does).
    return b.decode("utf-8", "surrogateescape")


def _byte_slice(s: str, start: int, end: int | None = None) -> str:
    if s.isascii():
        return s[start:end]
    return _unbytes(_bytes(s)[start:end])


def _byte_len(s: str) -> int:
    return len(s) if s.isascii() else len(_bytes(s))


def trunc(c, s):
    c, s = arg_int(c), arg_str(s)
    n = _byte_len(s)
    if c < 0 and n + c > 0:
        return _byte_slice(s, n + c)
    if c >= 0 and n > c:
        return _byte_slice(s, 0, c)
    return s


def _abbreviate_full(s: str, offset: int, width: int) -> str:
    # goutils AbbreviateFull (byte offsets); sprig has already rejected the widths that error.
    n = _byte_len(s)
    if s == "" or n <= width:
        return s
    offset = min(offset, n)
    if n - offset < width - 3:
        offset = n - (width - 3)
    if offset <= 4:
        return _byte_slice(s, 0, width - 3) + "..."
    if width < 7:
        return ""
    if offset + width - 3 < n:
        return "..." + _abbreviate_full(_byte_slice(s, offset), 0, width - 3)
    return "..." + _byte_slice(s, n - (width - 3))


def abbrev(width, s):
    width, s = arg_int(width), arg_str(s)
    return s if width < 4 else _abbreviate_full(s, 0, width)


def abbrevboth(left, right, s):
    left, right, s = arg_int(left), arg_int(right), arg_str(s)
    if right < 4 or (left > 0 and right < 7):
        return s
    return _abbreviate_full(s, left, right)


def _map_runes(s: str, convert) -> str:
    # unicode.ToUpper/ToLower map one rune to one rune; Python's full case mapping ("ß" -> "SS") does not.
    if s.isascii():
        return convert(s)
    return "".join(c if len(convert(c)) != 1 else convert(c) for c in s)


def go_upper(s):
    return _map_runes(arg_str(s), str.upper)


def go_lower(s):
    return _map_runes(arg_str(s), str.lower)


def repeat(count, s):
    count, s = arg_int(count), arg_str(s)
    if count < 0:
        raise SprigError("strings: negative Repeat count")
    return s * count


def _is_title_separator(ch: str) -> bool:
    # strings.go isSeparator (used by strings.Title)
    if ch < "\x80":
        return not (ch.isalnum() or ch == "_")
    if ch.isalpha() or ch.isdigit():
        return False
    return _go_isspace(ch)


def title(s):
    out, prev = [], " "
    for ch in arg_str(s):
        out.append(ch.title() if len(ch.title()) == 1 and _is_title_separator(prev) else ch)
        prev = ch
    return "".join(out)


def untitle(s):
    # goutils Uncapitalize: lower-case the first letter of each whitespace-separated word.
    out, gap = [], True
    for ch in arg_str(s):
        if _go_isspace(ch):
            gap = True
            out.append(ch)
        else:
            out.append(ch.lower() if gap and len(ch.lower()) == 1 else ch)
            gap = False
    return "".join(out)


def swapcase(s):
    # goutils SwapCase: upper/title -> lower; lower -> title after whitespace, else upper.
    out, gap = [], True
    for ch in arg_str(s):
        if ch.isupper() or ch.istitle():
            out.append(ch.lower() if len(ch.lower()) == 1 else ch)
            gap = False
        elif ch.islower():
            up = ch.title() if gap else ch.upper()
            out.append(up if len(up) == 1 else ch)
            gap = False
        else:
            out.append(ch)
            gap = _go_isspace(ch)
    return "".join(out)


def _go_byte_runes(s: str) -> list[str]:
    # goutils iterates `rune(str[i])`: each byte becomes the rune with the same number.
    return [chr(b) for b in _bytes(s)] if not s.isascii() else list(s)


def nospace(s):
    # goutils DeleteWhiteSpace, byte-wise like the original.
    s = arg_str(s)
    kept = [ch for ch in _go_byte_runes(s) if not _go_isspace(ch)]
    return s if len(kept) == _byte_len(s) else "".join(kept)


def initials(s):
    # goutils Initials: the first byte of each whitespace-separated word.
    out, gap = [], True
    for ch in _go_byte_runes(arg_str(s)):
        if _go_isspace(ch):
            gap = True
        elif gap:
            out.append(ch)
            gap = False
    return "".join(out)


def _wrap_custom(s: str, width: int, newline: str, wrap_long: bool) -> str:
    # goutils WrapCustom (byte offsets, splits only at ' ').
    if s == "":
        return ""
    newline = newline or "\n"
    width = max(width, 1)
    b, nl = _bytes(s), _bytes(newline)
    n, offset, out = len(b), 0, bytearray()
    while n - offset > width:
        if b[offset] == 0x20:
            offset += 1
            continue
        space = b.rfind(b" ", offset, width + offset + 1)
        if space >= offset:
            out += b[offset:space] + nl
            offset = space + 1
        elif wrap_long:
            out += b[offset : offset + width] + nl
            offset += width
        else:
            space = b.find(b" ", width + offset)
            if space == -1:
                out += b[offset:]
                offset = n
            else:
                out += b[offset:space] + nl
                offset = space + 1
    out += b[offset:]
    return _unbytes(bytes(out))


def _is_connector(ch: str) -> bool:
    return ch in "-_" or _go_isspace(ch)


def camelcase(s):
    # xstrings ToPascalCase (sprig's "camelcase"): connectors dropped, the following rune upper-cased;
    # leading and doubled connectors are kept.
    s = arg_str(s)
    out, i = [], 0
    while i < len(s) and _is_connector(s[i]):
        out.append(s[i])
        i += 1
    if i == len(s):
        return s
    prev = s[i].upper()
    for ch in s[i + 1 :]:
        if _is_connector(ch) and _is_connector(prev):
            out.append(prev)
            prev = ch
            continue
        if _is_connector(prev):
            ch = ch.upper()
        else:
            out.append(prev)
        prev = ch
    out.append(prev)
    return "".join(out)


# Words of an alphanumeric run, on a class string (U upper, L other letter, D digit): digits followed by
# lower-case letters start a word ("HTTP2xx" -> HTTP, 2xx); other digits end the word before them.
_CASE_WORD_RE = re.compile(r"D+L[DL]*|D+|U+(?=UL)|U?L+|U+")
_ALNUM_RUN_RE = re.compile(r"[^\W_]+")


def _case_words(run: str) -> list[str]:
    classes = "".join("U" if c.isupper() else "D" if c.isdigit() else "L" for c in run)
    words: list[str] = []
    for m in _CASE_WORD_RE.finditer(classes):
        word = run[m.start() : m.end()]
        if words and not m.group().strip("D") and not words[-1][-1].isdigit():
            words[-1] += word
        else:
            words.append(word)
    return words


def _to_lower_case_words(s: str, connector: str) -> str:
    # xstrings camelCaseToLowerCase (ToSnakeCase/ToKebabCase): words split at case changes and joined by
    # `connector` ("HTTPServer" -> http_server, "Bld4Floor3rd" -> bld4_floor_3rd); every '_', '-' or space
    # becomes one `connector`; other punctuation stays as it is.
    out, pos = [], 0
    for m in _ALNUM_RUN_RE.finditer(s):
        out.extend(connector if _is_connector(c) else c for c in s[pos : m.start()])
        out.append(connector.join(_case_words(m.group())).lower())
        pos = m.end()
    out.extend(connector if _is_connector(c) else c for c in s[pos:])
    return "".join(out)


def snakecase(s):
    return _to_lower_case_words(arg_str(s), "_")


def kebabcase(s):
    return _to_lower_case_words(arg_str(s), "-")


def substr(start, end, s):
    start, end, s = arg_int(start), arg_int(end), arg_str(s)
    n = _byte_len(s)
    if start < 0:
        lo, hi = 0, end
    elif end < 0 or end > n:
        lo, hi = start, n
    else:
        lo, hi = start, end
    if not 0 <= lo <= hi <= n:
        raise SprigError(f"runtime error: slice bounds out of range [{lo}:{hi}]")
    return _byte_slice(s, lo, hi)


def go_quote(s: str) -> str:
    """strconv.Quote, with a fast path for the common printable-ASCII case."""
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return '"' + s + '"'
    return quote_string(s)


def quote(*args):
    return " ".join(go_quote(strval(a)) for a in args if a is not None and a is not MISSING)


def squote(*args):
    return " ".join("'" + strval(a) + "'" for a in args if a is not None and a is not MISSING)


def cat(*args):
    return " ".join(sprint(a) for a in args if a is not None and a is not MISSING)


def indent(spaces, s):
    pad = " " * arg_int(spaces)
    return pad + arg_str(s).replace("\n", "\n" + pad)


def nindent(spaces, s):
    return "\n" + indent(spaces, s)


def plural(one, many, count):
    return arg_str(one) if arg_int(count) == 1 else arg_str(many)


def _go_split(s: str, sep: str, n: int = -1) -> list[str]:
    # strings.SplitN: an empty separator splits after each UTF-8 sequence.
    if n == 0:
        return []
    if sep == "":
        parts = list(s)
        if 0 < n < len(parts):
            parts = parts[: n - 1] + ["".join(parts[n - 1 :])]
        return parts
    return s.split(sep, n - 1 if n > 0 else -1)


def split(sep, orig):
    return {f"_{i}": v for i, v in enumerate(_go_split(arg_str(orig), arg_str(sep)))}


def splitn(sep, n, orig):
    return {f"_{i}": v for i, v in enumerate(_go_split(arg_str(orig), arg_str(sep), arg_int(n)))}


def split_list(sep, orig):
    return _go_split(arg_str(orig), arg_str(sep))


def join(sep, v):
    return arg_str(sep).join(strslice(v))


def sort_alpha(v):
    if _as_slice(v) is not None:
        return sorted(strslice(v), key=_bytes)
    return [strval(v)]


def _expand_dollars(text: str, read) -> str:
    """Replace each "$..." in `text`: read(text, i) gets the index just after "$" and returns
    (replacement, index to continue at). A "$" at the very end stays."""
    out, pos = [], 0
    i = text.find("$")
    while i != -1 and i + 1 < len(text):
        out.append(text[pos:i])
        replacement, pos = read(text, i + 1)
        out.append(replacement)
        i = text.find("$", pos)
    out.append(text[pos:])
    return "".join(out)


_SHELL_SPECIAL = "*#$@!?-0123456789"


def _read_env_name(text: str, i: int) -> tuple[str, int]:
    # os.Expand getShellName: ${NAME}, $NAME (ASCII alphanumerics and _), or one special character;
    # "${}" and an unclosed "${" are eaten, a "$" not followed by a name stays.
    if text[i] == "{":
        if text[i + 1 : i + 2] and text[i + 1] in _SHELL_SPECIAL and text[i + 2 : i + 3] == "}":
            return os.environ.get(text[i + 1], ""), i + 3
        close = text.find("}", i + 1)
        if close == -1:
            return "", i + 1
        return (os.environ.get(text[i + 1 : close], "") if close > i + 1 else ""), close + 1
    if text[i] in _SHELL_SPECIAL:
        return os.environ.get(text[i], ""), i + 1
    j = i
    while j < len(text) and text[j].isascii() and (text[j].isalnum() or text[j] == "_"):
        j += 1
    return (os.environ.get(text[i:j], ""), j) if j > i else ("$", i)


def _expand_env(s: str) -> str:
    return _expand_dollars(s, _read_env_name)


# ---------------------------------------------------------------------------
# path.* (slash-only; Linux filepath.* is the same)


def path_clean(p) -> str:
    """Go path.Clean."""
    p = arg_str(p)
    if p == "":
        return "."
    rooted = p.startswith("/")
    parts: list[str] = []
    for part in p.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    out = ("/" if rooted else "") + "/".join(parts)
    return out or "."


def path_base(p):
    p = arg_str(p)
    if p == "":
        return "."
    p = p.rstrip("/")
    if p == "":
        return "/"
    return p[p.rfind("/") + 1 :]


def path_dir(p):
    p = arg_str(p)
    return path_clean(p[: p.rfind("/") + 1])


def path_ext(p):
    p = arg_str(p)
    for i in range(len(p) - 1, -1, -1):
        if p[i] == "/":
            break
        if p[i] == ".":
            return p[i:]
    return ""


# ---------------------------------------------------------------------------
# Encodings and hashes


def _go_b64decode(s: str, alphabet_re: str, decoder, quantum: int) -> str:
    # encoding/base64 StdEncoding.DecodeString ignores \r and \n; sprig returns the error text.
    data = s.replace("\r", "").replace("\n", "")
    bad = re.search(alphabet_re, data)
    if bad is None and len(data) % quantum == 0:
        try:
            return _unbytes(decoder(data))
        except (binascii.Error, ValueError):
            pass
    pos = bad.start() if bad is not None else (len(data) // quantum) * quantum
    return f"illegal base64 data at input byte {pos}" if quantum == 4 else f"illegal base32 data at input byte {pos}"


def b64dec(s):
    return _go_b64decode(arg_str(s), r"[^A-Za-z0-9+/=]|=[^=]", lambda d: base64.b64decode(d, validate=True), 4)


def b32dec(s):
    return _go_b64decode(arg_str(s), r"[^A-Z2-7=]|=[^=]", base64.b32decode, 8)


def _hexdigest(algo: str):
    def digest(s):
        return hashlib.new(algo, _bytes(arg_str(s))).hexdigest()

    digest.__name__ = algo + "sum"
    return digest


# ---------------------------------------------------------------------------
# defaults.go


def dfault(d, *given):
    if not given or is_empty(given[0]):
        return _iface(d)
    return given[0]


def coalesce(*values):
    return next((v for v in values if not is_empty(v)), None)


def ternary(vt, vf, v):
    return _iface(vt) if arg_bool(v) else _iface(vf)


def fail(msg):
    raise SprigError(arg_str(msg))


_RAISE = object()


def go_json_or(fallback, encode, *args):
    """Run a gojson function; Go's error gives `fallback`, or is raised as a SprigError for _RAISE."""
    try:
        return encode(*args)
    except gojson.JSONError as err:
        if fallback is _RAISE:
            raise SprigError(str(err)) from None
        return fallback


def _json_func(fallback, encode):
    return lambda v: go_json_or(fallback, encode, _iface(v))


def _raw_json(v) -> str:
    # json.Encoder with SetEscapeHTML(false); sprig trims the Encoder's newline.
    return gojson.marshal(v, escape_html=False)


def from_json(v):
    return go_json_or(None, gojson.unmarshal, arg_str(v))


def must_from_json(v):
    return go_json_or(_RAISE, gojson.unmarshal, arg_str(v))


def deep_copy(v):
    """copystructure.Copy on engine values: maps and lists are copied, scalars shared."""
    v = _iface(v)
    if isinstance(v, dict) and not isinstance(v, GoValue):
        return {k: deep_copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [deep_copy(x) for x in v]
    return v


# ---------------------------------------------------------------------------
# reflect.go


def kind_of(v):
    return _reflect_kind(_iface(v))


def type_of(v):
    return go_type_name(_iface(v))


# ---------------------------------------------------------------------------
# dict.go


def dict_(*kv):
    out = {}
    for i in range(0, len(kv), 2):
        out[strval(kv[i])] = _iface(kv[i + 1]) if i + 1 < len(kv) else ""
    return out


def get(d, key):
    return arg_map(d).get(arg_str(key), "")


def set_(d, key, value):
    arg_map(d)[arg_str(key)] = _iface(value)
    return d


def unset(d, key):
    arg_map(d).pop(arg_str(key), None)
    return d


def has_key(d, key):
    return arg_str(key) in arg_map(d)


def pluck(key, *dicts):
    key = arg_str(key)
    return [d[key] for d in map(arg_map, dicts) if key in d]


def keys(*dicts):
    # Go returns map order, which is random; we keep insertion order.
    return [k for d in map(arg_map, dicts) for k in d]


def pick(d, *names):
    d = arg_map(d)
    return {k: d[k] for k in map(arg_str, names) if k in d}


def omit(d, *names):
    d, drop = arg_map(d), set(map(arg_str, names))
    return {k: v for k, v in d.items() if k not in drop}


def values_(d):
    return list(arg_map(d).values())


def _mergo(dst: dict, src: dict, overwrite: bool) -> None:
    # dario.cat/mergo deepMerge for map[string]interface{} (Merge / MergeWithOverwrite).
    for key, s in src.items():
        if s is None:
            if overwrite:
                dst[key] = None
            continue
        d = dst.get(key, MISSING)
        if isinstance(s, dict) and isinstance(d, dict):
            if is_empty(d):
                dst[key] = s
            else:
                _mergo(d, s, overwrite)
            continue
        if overwrite or d is MISSING or is_empty(d):
            dst[key] = s


def merge(dst, *srcs):
    dst = arg_map(dst)
    for src in srcs:
        _mergo(dst, arg_map(src), overwrite=False)
    return dst


def merge_overwrite(dst, *srcs):
    dst = arg_map(dst)
    for src in srcs:
        _mergo(dst, arg_map(src), overwrite=True)
    return dst


def dig(*ps):
    if len(ps) < 3:
        raise SprigError("dig needs at least three arguments")
    d, default = ps[-1], _iface(ps[-2])
    path = []
    for p in ps[:-2]:
        if not isinstance(p, str):
            raise SprigError(f"interface conversion: interface {{}} is {go_type_name(p)}, not string")
        path.append(p)
    for i, k in enumerate(path):
        if not isinstance(d, dict):
            raise SprigError(f"interface conversion: interface {{}} is {go_type_name(d)}, not map[string]interface {{}}")
        if k not in d:
            return default
        d = d[k]
        if i == len(path) - 1:
            return d
    return d


# ---------------------------------------------------------------------------
# list.go


def list_(*v):
    return list(map(_iface, v))


def must_push(lst, v):
    return [*_slice_arg(lst, "Cannot push on type %s"), _iface(v)]


def must_prepend(lst, v):
    return [_iface(v), *_slice_arg(lst, "Cannot prepend on type %s")]


def must_chunk(size, lst):
    size, items = arg_int(size), _slice_arg(lst, "Cannot chunk type %s")
    if size <= 0 and items:
        raise SprigError("runtime error: integer divide by zero" if size == 0 else "runtime error: makeslice: len out of range")
    return [list(items[i : i + size]) for i in range(0, len(items), size)] if items else []


def must_last(lst):
    items = _slice_arg(lst, "Cannot find last on type %s")
    return items[-1] if items else None


def must_first(lst):
    items = _slice_arg(lst, "Cannot find first on type %s")
    return items[0] if items else None


def must_rest(lst):
    # rest/initial return a typed []interface{}: an empty result prints "[]", not "<no value>".
    return list(_slice_arg(lst, "Cannot find rest on type %s")[1:])


def must_initial(lst):
    return list(_slice_arg(lst, "Cannot find initial on type %s")[:-1])


def must_reverse(lst):
    return list(reversed(_slice_arg(lst, "Cannot find reverse on type %s")))


def must_compact(lst):
    return [x for x in _slice_arg(lst, "Cannot compact on type %s") if not is_empty(x)]


def must_uniq(lst):
    out: list = []
    for x in _slice_arg(lst, "Cannot find uniq on type %s"):
        if not any(deep_equal(x, y) for y in out):
            out.append(x)
    return out


def must_without(lst, *omitted):
    items = _slice_arg(lst, "Cannot find without on type %s")
    return [x for x in items if not any(deep_equal(x, o) for o in omitted)]


def must_has(needle, haystack):
    if haystack is None or haystack is MISSING:
        return False
    return any(deep_equal(needle, x) for x in _slice_arg(haystack, "Cannot find has on type %s"))


def must_slice(lst, *indices):
    items = _slice_arg(lst, "list should be type of slice or array but %s")
    if not items:
        return None
    start = to_int64(indices[0]) if indices else 0
    end = to_int64(indices[1]) if len(indices) > 1 else len(items)
    if not 0 <= start <= end <= len(items):
        raise SprigError(f"reflect: slice index out of range")
    return list(items[start:end])


def concat(*lists):
    out: list = []
    for lst in lists:
        out.extend(_slice_arg(lst, "Cannot concat type %s as list"))
    return out


def until_step(start, stop, step):
    start, stop, step = arg_int(start), arg_int(stop), arg_int(step)
    if stop < start:
        return list(range(start, stop, step)) if step < 0 else []
    return list(range(start, stop, step)) if step > 0 else []


def until(count):
    count = arg_int(count)
    return until_step(0, count, -1 if count < 0 else 1)


def seq(*params):
    params = [arg_int(p) for p in params]
    if len(params) == 1:
        start, end, step = 1, params[0], 1 if params[0] >= 1 else -1
        nums = until_step(start, end + step, step)
    elif len(params) == 2:
        start, end = params
        step = -1 if end < start else 1
        nums = until_step(start, end + step, step)
    elif len(params) == 3:
        start, step, end = params
        increment = 1
        if end < start:
            increment = -1
            if step > 0:
                return ""
        nums = until_step(start, end + increment, step)
    else:
        return ""
    return " ".join(map(str, nums))


# ---------------------------------------------------------------------------
# numeric.go


def add(*values):
    return _wrap64(sum(to_int64(v) for v in values))


def mul(a, *values):
    out = to_int64(a)
    for v in values:
        out = _wrap64(out * to_int64(v))
    return out


def _go_div(a: int, b: int) -> int:
    if b == 0:
        raise SprigError("runtime error: integer divide by zero")
    q = abs(a) // abs(b)
    return _wrap64(q if (a >= 0) == (b >= 0) else -q)


def div(a, b):
    return _go_div(to_int64(a), to_int64(b))


def mod(a, b):
    a, b = to_int64(a), to_int64(b)
    return a - _go_div(a, b) * b


def max_(a, *values):
    return max([to_int64(a), *map(to_int64, values)])


def min_(a, *values):
    return min([to_int64(a), *map(to_int64, values)])


def _go_fmax(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if a == b == 0:
        return a if math.copysign(1, a) > 0 else b
    return max(a, b)


def _go_fmin(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if a == b == 0:
        return a if math.copysign(1, a) < 0 else b
    return min(a, b)


def maxf(a, *values):
    return functools.reduce(_go_fmax, map(to_float64, values), to_float64(a))


def minf(a, *values):
    return functools.reduce(_go_fmin, map(to_float64, values), to_float64(a))


def _integral(f: float, rounding) -> float:
    # math.Floor/Ceil: Inf and NaN pass through, a zero result keeps the sign (Ceil(-0.5) is -0).
    if not math.isfinite(f):
        return f
    r = float(rounding(f))
    return math.copysign(r, f) if r == 0 else r


def floor_(a):
    return _integral(to_float64(a), math.floor)


def ceil_(a):
    return _integral(to_float64(a), math.ceil)


def round_(a, p, *r_opt):
    # numeric.go round: ceil when the fraction of a*10^p reaches roundOn (default .5), else floor.
    p = arg_int(p)
    round_on = arg_float(r_opt[0]) if r_opt else 0.5
    try:
        pow_ = math.pow(10, p)
    except OverflowError:
        pow_ = math.inf
    digit = pow_ * to_float64(a)
    if not math.isfinite(digit):
        return digit / pow_
    return _integral(digit, math.ceil if math.modf(digit)[0] >= round_on else math.floor) / pow_


def _decimal(f: float) -> Decimal:
    # shopspring decimal.NewFromFloat: the shortest decimal that round-trips.
    return Decimal(repr(f)) if math.isfinite(f) else Decimal(0)


def _decimal_op(op):
    def run(a, *values):
        acc = _decimal(to_float64(a))
        for v in values:
            acc = op(acc, _decimal(to_float64(v)))
        return float(acc)

    return run


def _decimal_div(d1: Decimal, d2: Decimal) -> Decimal:
    # shopspring Div: DivRound to 16 decimal places, half away from zero.
    if d2 == 0:
        raise SprigError("decimal division by zero")
    try:
        return (d1 / d2).quantize(Decimal("1e-16"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return d1 / d2


def atoi(a):
    s = arg_str(a)
    if re.fullmatch(r"[+-]?[0-9]+", s):
        n = int(s)
        if _INT64_MIN <= n < -_INT64_MIN:
            return n
    return 0


def to_decimal(v):
    n = _parse_go_int(sprint(_iface(v)), 8)
    return 0 if n is None else n


def duration_string(nanos: int) -> str:
    """Go time.Duration.String(): 1h2m3.5s, 1.5ms, 0s."""
    if nanos == 0:
        return "0s"
    neg, u = nanos < 0, abs(nanos)
    if u < 1_000_000_000:
        for unit, size in (("ns", 1), ("µs", 1_000), ("ms", 1_000_000)):
            if u < size * 1000:
                whole, frac = divmod(u, size)
                text = str(whole) + (("." + f"{frac:0{len(str(size)) - 1}d}".rstrip("0")) if frac else "")
                return ("-" if neg else "") + text + unit
    secs, frac = divmod(u, 1_000_000_000)
    text = str(secs % 60) + (("." + f"{frac:09d}".rstrip("0")) if frac else "") + "s"
    mins = secs // 60
    if mins:
        text = f"{mins % 60}m" + text
        if mins >= 60:
            text = f"{mins // 60}h" + text
    return ("-" if neg else "") + text



def duration(sec):
    # sprig date.go: only string and int64 are read; a Go `int` (Python int) counts too here.
    sec = _iface(sec)
    if isinstance(sec, str):
        n = _parse_go_int(sec, 10) or 0
    elif isinstance(sec, int) and not isinstance(sec, bool):
        n = sec
    else:
        n = 0
    return duration_string(_wrap64(n * 1_000_000_000))


_DURATION_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_DURATION_RE = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(s: str) -> int | None:
    """Go time.ParseDuration -> nanoseconds, or None when invalid."""
    body = s.lstrip("+-")
    neg = s.startswith("-")
    if body == "0":
        return 0
    if not body:
        return None
    total, pos = Decimal(0), 0
    while pos < len(body):
        m = _DURATION_RE.match(body, pos)
        if not m or m.group(1) in ("", "."):
            return None
        total += Decimal(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    return -int(total) if neg else int(total)


def duration_round(d):
    d = _iface(d)
    if isinstance(d, str):
        nanos = parse_duration(d) or 0
    elif isinstance(d, int) and not isinstance(d, bool):
        nanos = d
    elif isinstance(d, GoTime):
        nanos = int((datetime.datetime.now(_UTC) - d.dt).total_seconds() * 10**9)
    else:
        nanos = 0
    u = abs(nanos)
    hour = 3600 * 10**9
    for size, unit in ((hour * 24 * 365, "y"), (hour * 24 * 30, "mo"), (hour * 24, "d"), (hour, "h"), (60 * 10**9, "m"), (10**9, "s")):
        if u > size:
            return f"{u // size}{unit}"
    return "0s"


# ---------------------------------------------------------------------------
# regex.go: Go RE2 syntax translated to Python `re`


@functools.lru_cache(maxsize=None)
def _unicode_categories() -> dict[str, list[tuple[int, int]]]:
    """Code point ranges of every Unicode general category (one pass, on first use of \\p)."""
    import unicodedata

    ranges: dict[str, list[tuple[int, int]]] = {}
    start, current = 0, unicodedata.category("\0")
    for code in range(1, 0x110000):
        cat = unicodedata.category(chr(code))
        if cat != current:
            ranges.setdefault(current, []).append((start, code - 1))
            start, current = code, cat
    ranges.setdefault(current, []).append((start, 0x10FFFF))
    return ranges


@functools.lru_cache(maxsize=64)
def _unicode_class(name: str) -> str | None:
    """The body of a [...] class for RE2's \\p{name}: a general category (L, Lu, N, ...) or Any;
    None for other names (Go also knows scripts such as Greek; Python's unicodedata does not)."""
    if name == "Any":
        return "\\x00-\\U0010ffff"
    cats = _unicode_categories()
    # Go's one-letter categories are unions of the two-letter ones; unassigned code points (Cn) are in none.
    names = [c for c in cats if c != "Cn" and c[0] == name] if len(name) == 1 else [name] if name in cats else []
    if not names:
        return None
    spans = sorted(span for c in names for span in cats[c])
    return "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in spans)


_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ", "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}
# RE2's Perl classes are ASCII-only (Python's are Unicode).
_PERL_CLASSES = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r "}
_ASCII_WORD = "[0-9A-Za-z_]"
_ASCII_WORD_BOUNDARY = {
    "b": f"(?:(?<={_ASCII_WORD})(?!{_ASCII_WORD})|(?<!{_ASCII_WORD})(?={_ASCII_WORD}))",
    "B": f"(?:(?<={_ASCII_WORD})(?={_ASCII_WORD})|(?<!{_ASCII_WORD})(?!{_ASCII_WORD}))",
}
_REGEX_MESSAGES = {
    "missing ), unterminated subpattern": "missing closing )",
    "unbalanced parenthesis": "unexpected )",
    "unterminated character set": "missing closing ]",
    "nothing to repeat": "missing argument to repetition operator",
    "multiple repeat": "invalid nested repetition operator",
    "bad escape (end of pattern)": "trailing backslash at end of expression",
}


def _regex_error(expr: str, code: str) -> SprigError:
    # regexp/syntax Error.Error(): the error code, then the offending part of the expression
    return SprigError(f"error parsing regexp: {code}: `{expr}`")


def _translate_regex(pattern: str) -> str:
    out: list[str] = []
    multiline = re.search(r"\(\?[a-zA-Z]*m[a-zA-Z]*[:)]", pattern) is not None
    i, n, in_class, ungreedy = 0, len(pattern), False, False
    levels = [0]  # per open group: scoped-flag groups to close with it
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                lit = pattern[i + 2 :] if end == -1 else pattern[i + 2 : end]
                out.append(re.escape(lit))
                i = n if end == -1 else end + 2
                continue
            if nxt in "dws":
                out.append(_PERL_CLASSES[nxt] if in_class else "[" + _PERL_CLASSES[nxt] + "]")
            elif nxt in "DWS" and not in_class:
                out.append("[^" + _PERL_CLASSES[nxt.lower()] + "]")
            elif nxt == "z":
                out.append("\\Z")
            elif nxt in "bB" and not in_class:
                out.append(_ASCII_WORD_BOUNDARY[nxt])
            elif nxt.isdigit() or (nxt == "x" and pattern.startswith("{", i + 2)):
                # RE2 octal (\0, \12, \123; a lone \1 would be a backreference) and \x{10FFFF} escapes
                code = re.match(r"0[0-7]{0,2}|[1-7][0-7]{1,2}|x\{([0-9A-Fa-f]{1,6})\}", pattern[i + 1 :])
                if code is None or int(code.group(1) or "0", 16) > 0x10FFFF:
                    raise _regex_error(pattern[i : i + 2], "invalid escape sequence")
                out.append(re.escape(chr(int(code.group(1), 16) if code.group(1) else int(code.group(), 8))))
                i += 1 + code.end()
                continue
            elif nxt in "pP":
                ref = re.match(r"[pP](?:\{(\^?)(\w+)\}|(\w))", pattern[i + 1 :])
                if ref is None:
                    raise _regex_error(pattern[i : i + 2], "invalid character class range")
                negated = (nxt == "P") != bool(ref.group(1))
                body = _unicode_class(ref.group(2) or ref.group(3))
                if body is None:
                    code = "invalid character class range (meshctl knows Unicode categories, not scripts)"
                    raise _regex_error(pattern[i : i + 1 + ref.end()], code)
                if in_class and negated:
                    raise _regex_error(pattern[i : i + 1 + ref.end()], "meshctl does not support a negated Unicode class inside []")
                out.append(body if in_class else ("[^" if negated else "[") + body + "]")
                i += 1 + ref.end()
                continue
            elif nxt in "ZGcegijkloqy":
                raise _regex_error(pattern[i : i + 2], "invalid escape sequence")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if ch == "[" and pattern.startswith("[:", i):
                end = pattern.find(":]", i + 2)
                name = pattern[i + 2 : end] if end != -1 else ""
                if name in _POSIX_CLASSES:
                    out.append(_POSIX_CLASSES[name])
                    i = end + 2
                    continue
                out.append("\\[")
                i += 1
                continue
            if ch == "]":
                in_class = False
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            # A ']' right after '[' or '[^' is a literal in both syntaxes.
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):
                out.append("\\]")
                i += 1
            continue
        if ch == "(" and pattern.startswith("(?", i):
            rest = pattern[i + 2 : i + 4]
            if rest[:1] in ("=", "!") or rest in ("<=", "<!"):
                raise _regex_error(pattern[i : i + 3], "invalid or unsupported Perl syntax")
            group = re.match(r"\(\?([a-zA-Z-]*)([:)])", pattern[i:])
            if group is None:  # (?P<name>...) or (?<name>...)
                out.append("(?P<" if rest[:1] == "<" else "(")
                i += 3 if rest[:1] == "<" else 1
                levels.append(0)
                continue
            flags, kind = group.groups()
            if not re.fullmatch(r"[imsU]*(-[imsU]*)?", flags):
                raise _regex_error(group.group(), "invalid or unsupported Perl syntax")
            if "U" in flags:
                # Only a leading (?U) is supported: it swaps greedy and lazy repetition everywhere.
                if kind != ")" or out or "-" in flags:
                    raise _regex_error(group.group(), "meshctl supports the ungreedy flag U only at the start")
                ungreedy, flags = True, flags.replace("U", "")
            i += group.end()
            if kind == ":":
                out.append(f"(?{flags}:")
                levels.append(0)
            elif flags.strip("-") and not out and "-" not in flags:
                out.append(f"(?{flags})")  # leading flags: Python's global flags
            elif flags.strip("-"):
                # RE2 flags set mid-group last until the group ends; Python wants them scoped.
                out.append(f"(?{flags}:")
                levels[-1] += 1
            continue
        if ch == "(":
            levels.append(0)
        elif ch == ")" and len(levels) > 1:
            out.append(")" * levels.pop())
        elif ch == "$" and not multiline:
            out.append("\\Z")
            i += 1
            continue
        elif ungreedy and ch in "*+?{":
            rep = re.match(r"[*+?]|\{[0-9]+(?:,[0-9]*)?\}", pattern[i:])
            if rep is not None:
                i += rep.end()
                lazy = pattern.startswith("?", i)
                out.append(rep.group() if lazy else rep.group() + "?")
                i += lazy
                continue
        out.append(ch)
        i += 1
    out.append(")" * levels[0])
    return "".join(out)


@functools.lru_cache(maxsize=256)
def compile_regex(pattern: str) -> re.Pattern:
    """regexp.Compile(pattern) as a Python pattern; SprigError with Go's wording on a bad pattern."""
    translated = _translate_regex(pattern)
    try:
        return re.compile(translated)
    except re.error as err:
        raise _regex_error(pattern, _REGEX_MESSAGES.get(err.msg, err.msg)) from None


def _find_all(rx: re.Pattern, s: str, n: int) -> list[re.Match]:
    # Go ignores an empty match that abuts the previous match (regexp.go allMatches).
    out: list[re.Match] = []
    prev_end = -1
    for m in rx.finditer(s):
        if 0 <= n <= len(out):
            break
        if m.start() == m.end() and m.start() == prev_end:
            continue
        out.append(m)
        prev_end = m.end()
    return out


def _group_reader(m: re.Match):
    # regexp.Regexp.Expand: $$, $name or ${name} (letters, digits, _); a number is a group index
    # (no leading zeros); unknown groups give ""; a malformed reference leaves "$" as text.
    def read(text: str, i: int) -> tuple[str, int]:
        if text[i] == "$":
            return "$", i + 1
        brace = text[i] == "{"
        j = start = i + brace
        # unicode.IsLetter / unicode.IsDigit (Nd, i.e. isdecimal: "¹" is no name character)
        while j < len(text) and (text[j].isalpha() or text[j].isdecimal() or text[j] == "_"):
            j += 1
        if j == start or (brace and text[j : j + 1] != "}"):
            return "$", i
        name = text[start:j]
        if name.isascii() and name.isdigit() and not (len(name) > 1 and name[0] == "0"):
            value = m.group(int(name)) if int(name) <= m.re.groups else ""
        else:
            value = m.group(name) if name in m.re.groupindex else ""
        return value or "", j + brace

    return read


def _expand_template(template: str, m: re.Match) -> str:
    return _expand_dollars(template, _group_reader(m))


def _replace_all(rx: re.Pattern, s: str, repl) -> str:
    out, last = [], 0
    for m in _find_all(rx, s, -1):
        out.append(s[last : m.start()])
        out.append(repl(m))
        last = m.end()
    out.append(s[last:])
    return "".join(out)


def must_regex_match(regex, s):
    return compile_regex(arg_str(regex)).search(arg_str(s)) is not None


def must_regex_find_all(regex, s, n):
    return [m.group() for m in _find_all(compile_regex(arg_str(regex)), arg_str(s), arg_int(n))]


def must_regex_find(regex, s):
    m = compile_regex(arg_str(regex)).search(arg_str(s))
    return m.group() if m else ""


def must_regex_replace_all(regex, s, repl):
    repl = arg_str(repl)
    return _replace_all(compile_regex(arg_str(regex)), arg_str(s), lambda m: _expand_template(repl, m))


def must_regex_replace_all_literal(regex, s, repl):
    repl = arg_str(repl)
    return _replace_all(compile_regex(arg_str(regex)), arg_str(s), lambda m: repl)


def must_regex_split(regex, s, n):
    rx, s, n = compile_regex(arg_str(regex)), arg_str(s), arg_int(n)
    if n == 0:
        return []  # a nil []string: prints "[]", len 0
    if rx.pattern and s == "":
        return [""]
    out, beg, end = [], 0, 0
    for m in _find_all(rx, s, n):
        if n > 0 and len(out) == n - 1:
            break
        end = m.start()
        if m.end() != 0:
            out.append(s[beg:end])
        beg = m.end()
    if end != len(s):
        out.append(s[beg:])
    return out


def regex_quote_meta(s):
    return re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", arg_str(s))


# ---------------------------------------------------------------------------
# semver.go (Masterminds/semver v3)

_SEMVER_RE = re.compile(
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)


class _OpaqueStruct(GoValue):
    """A Go value with unexported fields only: templates see just its exported methods (_METHODS),
    fmt prints its String(), encoding/json its MarshalJSON form (to_plain)."""

    go_kind = "struct"
    is_nil = False
    _METHODS: frozenset = frozenset()
    __slots__ = ()

    def go_method(self, name: str):
        return getattr(self, name) if name in self._METHODS else None

    def go_field(self, name: str):
        return False, None

    def go_fields(self):
        return []

    def has_field(self, name: str) -> bool:
        return False

    def go_type_name(self) -> str:
        return self.go_type

    def __go_json__(self):
        return self.to_plain()


class Version(_OpaqueStruct):
    """*semver.Version: printed as its String(); Major/Minor/Patch/... are methods as in Go."""

    go_type = "*semver.Version"
    __slots__ = ("major", "minor", "patch", "pre", "metadata", "original")

    def __init__(self, text: str):
        m = _SEMVER_RE.fullmatch(text)
        if not m:
            raise SprigError("Invalid Semantic Version")
        self.major, self.minor, self.patch = (int(g[1:] if g and g[0] == "." else g or 0) for g in m.group(1, 2, 3))
        self.pre, self.metadata, self.original = m.group(5) or "", m.group(8) or "", text
        for part in self.pre.split(".") if self.pre else ():
            if part.isdigit() and len(part) > 1 and part[0] == "0":
                raise SprigError("Version segment starts with 0")

    def String(self) -> str:  # noqa: N802 - Go method names are what templates call
        text = f"{self.major}.{self.minor}.{self.patch}"
        return text + (f"-{self.pre}" if self.pre else "") + (f"+{self.metadata}" if self.metadata else "")

    _METHODS = frozenset({"String", "Compare", "Equal", "LessThan", "GreaterThan"})
    # Go getter methods -> the attribute they return
    _GETTERS = {"Major": "major", "Minor": "minor", "Patch": "patch", "Prerelease": "pre", "Metadata": "metadata",
                "Original": "original"}

    def go_method(self, name: str):
        attr = self._GETTERS.get(name)
        if attr is not None:
            return lambda: getattr(self, attr)
        return super().go_method(name)

    def to_plain(self) -> str:
        return self.String()  # also semver.Version.MarshalJSON

    def Compare(self, other) -> int:  # noqa: N802
        return self.compare(_version_arg(other))

    def Equal(self, other) -> bool:  # noqa: N802
        return self.compare(_version_arg(other)) == 0

    def LessThan(self, other) -> bool:  # noqa: N802
        return self.compare(_version_arg(other)) < 0

    def GreaterThan(self, other) -> bool:  # noqa: N802
        return self.compare(_version_arg(other)) > 0

    def compare(self, other: Version) -> int:
        a, b = (self.major, self.minor, self.patch), (other.major, other.minor, other.patch)
        if a != b:
            return -1 if a < b else 1
        return _compare_prerelease(self.pre, other.pre)

    def __eq__(self, other) -> bool:
        return isinstance(other, Version) and self.compare(other) == 0 and self.metadata == other.metadata

    __hash__ = None


def _version_arg(value) -> Version:
    if isinstance(value, Version):
        return value
    raise type_error(value, "*semver.Version")


def _compare_prerelease(a: str, b: str) -> int:
    if a == b:
        return 0
    if not a:
        return 1
    if not b:
        return -1
    pa, pb = a.split("."), b.split(".")
    for x, y in zip(pa, pb):
        if x == y:
            continue
        xd, yd = x.isdigit(), y.isdigit()
        if xd and yd:
            return -1 if int(x) < int(y) else 1
        if xd != yd:
            return -1 if xd else 1
        return -1 if x < y else 1
    return (len(pa) > len(pb)) - (len(pa) < len(pb))


_CONSTRAINT_OPS = r"!=|>=|=>|<=|=<|~>|>|<|=|~|\^"
_CONSTRAINT_VERSION = r"v?[0-9xX*]+(?:\.[0-9xX*]+)?(?:\.[0-9xX*]+)?(?:-[0-9A-Za-z\-.]+)?(?:\+[0-9A-Za-z\-.]+)?"
_CONSTRAINT_RE = re.compile(rf"\s*({_CONSTRAINT_OPS})?\s*({_CONSTRAINT_VERSION})\s*,?")
_HYPHEN_RE = re.compile(rf"\s*({_CONSTRAINT_VERSION})\s+-\s+({_CONSTRAINT_VERSION})\s*")


def _constraint_check(op: str, text: str, v: Version) -> bool:
    parts = re.match(r"v?([^.+\-]+)(?:\.([^.+\-]+))?(?:\.([^.+\-]+))?(.*)", text)
    wild = [p is None or p in ("x", "X", "*") for p in parts.group(1, 2, 3)]
    nums = [0 if w else int(p) for w, p in zip(wild, parts.group(1, 2, 3))]
    dirty = any(wild)
    c = Version(".".join(map(str, nums)) + parts.group(4))
    # semver v3: a prerelease version only satisfies constraints that carry a prerelease themselves.
    if v.pre and not c.pre and not (op in ("=", "!=") and not dirty):
        return False
    cmp = v.compare(c)
    first_wild = wild.index(True) if dirty else 3
    if first_wild == 0:
        upper = None
    else:
        upper = Version(".".join(map(str, nums[: first_wild - 1] + [nums[first_wild - 1] + 1] + [0] * (3 - first_wild))))
    in_range = cmp >= 0 and (upper is None or v.compare(upper) < 0)
    if op == "=":
        return in_range if dirty else cmp == 0
    if op == "!=":
        return not in_range if dirty else cmp != 0
    if op == ">":
        return (upper is not None and v.compare(upper) >= 0) if dirty else cmp > 0
    if op == ">=":
        return cmp >= 0
    if op == "<":
        return cmp < 0
    if op == "<=":
        return (upper is None or v.compare(upper) < 0) if dirty else cmp <= 0
    if first_wild == 0:  # "~*", "^x": any release
        return True
    if op == "~":
        keep = 1 if first_wild == 1 else 2  # ~1 -> <2.0.0, ~1.2 / ~1.2.3 -> <1.3.0
        nxt = nums[: keep - 1] + [nums[keep - 1] + 1] + [0] * (3 - keep)
        return cmp >= 0 and v.compare(Version(".".join(map(str, nxt)))) < 0
    # "^": the left-most non-zero part is kept; ^0.0 and ^0 bound the first wildcard instead.
    if nums[0] > 0 or first_wild == 1:
        keep = 1
    elif nums[1] > 0 or first_wild == 2:
        keep = 2
    else:
        keep = 3
    nxt = nums[: keep - 1] + [nums[keep - 1] + 1] + [0] * (3 - keep)
    return cmp >= 0 and v.compare(Version(".".join(map(str, nxt)))) < 0


def _parse_constraint(text: str) -> list[list[tuple[str, str]]]:
    groups = []
    for group in text.split("||"):
        group = _HYPHEN_RE.sub(lambda m: f">= {m.group(1)}, <= {m.group(2)} ", group)
        pos, items = 0, []
        while pos < len(group):
            m = _CONSTRAINT_RE.match(group, pos)
            if not m or m.end() == pos:
                if group[pos:].strip() == "":
                    break
                raise SprigError(f"improper constraint: {text}")
            op = {"=>": ">=", "=<": "<=", "~>": "~", "": "="}.get(m.group(1) or "", m.group(1))
            items.append((op, m.group(2)))
            pos = m.end()
        if not items:
            raise SprigError(f"improper constraint: {text}")
        groups.append(items)
    return groups


def semver(version):
    return Version(arg_str(version))


def semver_compare(constraint, version):
    groups = _parse_constraint(arg_str(constraint))
    v = Version(arg_str(version))
    return any(all(_constraint_check(op, c, v) for op, c in group) for group in groups)


# ---------------------------------------------------------------------------
# url.go


def url_parse(v):
    from urllib.parse import urlsplit

    u = urlsplit(arg_str(v))
    userinfo = u.netloc.rpartition("@")[0] if "@" in u.netloc else ""
    return {
        "scheme": u.scheme, "host": u.netloc.rpartition("@")[2], "hostname": u.hostname or "",
        "path": u.path, "query": u.query, "opaque": "", "fragment": u.fragment, "userinfo": userinfo,
    }


def url_join(d):
    d = arg_map(d)
    scheme, host, path = (str(d.get(k, "")) for k in ("scheme", "host", "path"))
    out = (scheme + ":" if scheme else "") + ("//" + (d.get("userinfo") + "@" if d.get("userinfo") else "") + host if host else "")
    out += path + ("?" + str(d["query"]) if d.get("query") else "") + ("#" + str(d["fragment"]) if d.get("fragment") else "")
    return out


# ---------------------------------------------------------------------------
# date.go: time.Time values and Go's reference-time layouts ("2006-01-02 15:04:05")

_UTC = datetime.timezone.utc
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# time/format.go nextStdChunk, longest first within each leading character.
_LAYOUT_RE = re.compile(
    r"January|Jan|Monday|Mon|MST|01|02|03|04|05|06|002|15|1|2006|2|__2|_2|3|4|5|PM|pm"
    r"|-07:00:00|-070000|-07:00|-0700|-07|Z07:00:00|Z070000|Z07:00|Z0700|Z07|[.,](?:0+|9+)(?![0-9])"
)


class GoTime(_OpaqueStruct):
    """A Go time.Time (microsecond precision); prints as time.Time.String()."""

    go_type = "time.Time"
    __slots__ = ("dt",)
    _METHODS = frozenset({"String", "Format", "Unix", "UTC", "Local", "Year", "YearDay", "Day", "Hour", "Minute",
                          "Second", "Nanosecond", "IsZero"})

    def __init__(self, dt: datetime.datetime):
        self.dt = dt

    def to_plain(self) -> str:
        return self.Format("2006-01-02T15:04:05.999999999Z07:00")  # also time.Time.MarshalJSON

    def __eq__(self, other) -> bool:
        return isinstance(other, GoTime) and self.dt == other.dt

    __hash__ = None

    def String(self) -> str:  # noqa: N802 - Go method names are what templates call
        return self.Format("2006-01-02 15:04:05.999999999 -0700 MST")

    def Format(self, layout) -> str:  # noqa: N802
        return go_time_format(self.dt, arg_str(layout))

    def Unix(self) -> int:  # noqa: N802
        return math.floor((self.dt - _EPOCH).total_seconds())

    def UTC(self) -> GoTime:  # noqa: N802
        return GoTime(self.dt.astimezone(_UTC))

    def Local(self) -> GoTime:  # noqa: N802
        return GoTime(self.dt.astimezone())

    def Year(self) -> int:  # noqa: N802
        return self.dt.year

    def YearDay(self) -> int:  # noqa: N802
        return self.dt.timetuple().tm_yday

    def Day(self) -> int:  # noqa: N802
        return self.dt.day

    def Hour(self) -> int:  # noqa: N802
        return self.dt.hour

    def Minute(self) -> int:  # noqa: N802
        return self.dt.minute

    def Second(self) -> int:  # noqa: N802
        return self.dt.second

    def Nanosecond(self) -> int:  # noqa: N802
        return self.dt.microsecond * 1000

    def IsZero(self) -> bool:  # noqa: N802
        return self.dt == _ZERO_TIME.dt


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
_ZERO_TIME = GoTime(datetime.datetime(1, 1, 1, tzinfo=_UTC))


def _zone_name(dt: datetime.datetime) -> str:
    name = dt.tzname() or ""
    # Go prints a zone without an abbreviation as its offset ("+0530").
    return name if name and not name.startswith(("UTC+", "UTC-")) else ("UTC" if not dt.utcoffset() else "")


def _offset(dt: datetime.datetime, chunk: str) -> str:
    secs = int(dt.utcoffset().total_seconds()) if dt.utcoffset() else 0
    if chunk.startswith("Z") and secs == 0:
        return "Z"
    sign = "-" if secs < 0 else "+"
    hh, rest = divmod(abs(secs), 3600)
    mm, ss = divmod(rest, 60)
    body = chunk.lstrip("Z-")
    if body == "07":
        return f"{sign}{hh:02d}"
    if body in ("0700", "07:00"):
        sep = ":" if ":" in body else ""
        return f"{sign}{hh:02d}{sep}{mm:02d}"
    sep = ":" if ":" in body else ""
    return f"{sign}{hh:02d}{sep}{mm:02d}{sep}{ss:02d}"


def go_time_format(dt: datetime.datetime, layout: str) -> str:
    """time.Time.Format(layout) for an aware datetime."""
    def chunk(m: re.Match) -> str:
        c = m.group()
        if c[0] in ".," and c[1] in "09":
            digits = f"{dt.microsecond:06d}000"[: len(c) - 1]
            if c[1] == "9":
                digits = digits.rstrip("0")
                return c[0] + digits if digits else ""
            return c[0] + digits
        if c == "MST":
            return _zone_name(dt) or _offset(dt, "-0700")
        if c[0] in "-Z" and c not in ("-", "Z"):
            return _offset(dt, c)
        hour12 = dt.hour % 12 or 12
        return {
            "January": _MONTHS[dt.month - 1], "Jan": _MONTHS[dt.month - 1][:3],
            "Monday": _DAYS[dt.weekday()], "Mon": _DAYS[dt.weekday()][:3],
            "01": f"{dt.month:02d}", "1": str(dt.month), "02": f"{dt.day:02d}", "2": str(dt.day), "_2": f"{dt.day:2d}",
            "002": f"{dt.timetuple().tm_yday:03d}", "__2": f"{dt.timetuple().tm_yday:3d}",
            "15": f"{dt.hour:02d}", "03": f"{hour12:02d}", "3": str(hour12),
            "04": f"{dt.minute:02d}", "4": str(dt.minute), "05": f"{dt.second:02d}", "5": str(dt.second),
            "2006": f"{dt.year:04d}", "06": f"{dt.year % 100:02d}",
            "PM": "PM" if dt.hour >= 12 else "AM", "pm": "pm" if dt.hour >= 12 else "am",
        }[c]

    return _LAYOUT_RE.sub(chunk, layout)


_PARSE_PATTERNS = {
    "January": "(?P<month_name>" + "|".join(_MONTHS) + ")", "Jan": "(?P<month_abbr>" + "|".join(m[:3] for m in _MONTHS) + ")",
    "Monday": "(?:" + "|".join(_DAYS) + ")", "Mon": "(?:" + "|".join(d[:3] for d in _DAYS) + ")",
    "01": r"(?P<month>\d{2})", "1": r"(?P<month>\d{1,2})", "02": r"(?P<day>\d{2})", "2": r"(?P<day>\d{1,2})",
    "_2": r" ?(?P<day>\d{1,2})", "15": r"(?P<hour>\d{1,2})", "03": r"(?P<hour12>\d{2})", "3": r"(?P<hour12>\d{1,2})",
    "04": r"(?P<minute>\d{2})", "4": r"(?P<minute>\d{1,2})", "05": r"(?P<second>\d{2})", "5": r"(?P<second>\d{1,2})",
    "2006": r"(?P<year>\d{4})", "06": r"(?P<year2>\d{2})", "PM": "(?P<ampm>AM|PM)", "pm": "(?P<ampm>am|pm)",
    "MST": r"(?P<zone>[A-Z]{3,5}|[+-]\d{4})",
}


def go_time_parse(layout: str, value: str, loc) -> datetime.datetime:
    """time.ParseInLocation for the common layout elements; ValueError with Go's message otherwise."""
    parts, pos = [], 0
    for m in _LAYOUT_RE.finditer(layout):
        parts.append(re.escape(layout[pos : m.start()]))
        c = m.group()
        if c[0] in ".," and c[1] in "09":
            parts.append(r"(?:[.,](?P<frac>\d+))?" if c[1] == "9" else rf"[.,](?P<frac>\d{{{len(c) - 1}}})")
        elif c[0] in "-Z" and c not in ("-", "Z"):
            parts.append(r"(?P<offset>Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)")
        else:
            parts.append(_PARSE_PATTERNS[c])
            if c in ("05", "5") and not re.match(r"[.,][09]", layout[m.end() : m.end() + 2]):
                # Go accepts a fractional second after the seconds even when the layout has none.
                parts.append(r"(?:[.,](?P<frac_implicit>\d+))?")
        pos = m.end()
    parts.append(re.escape(layout[pos:]))
    try:
        m = re.fullmatch("".join(parts), value)
    except re.error:  # a layout element used twice
        m = None
    if m is None:
        raise ValueError(f'parsing time "{value}" as "{layout}": cannot parse "{value}" as "{layout}"')
    g = {k: v for k, v in m.groupdict().items() if v is not None}
    year = int(g["year"]) if "year" in g else (int(g["year2"]) + (1900 if int(g["year2"]) >= 69 else 2000) if "year2" in g else 0)
    month = int(g["month"]) if "month" in g else 1
    if "month_name" in g:
        month = _MONTHS.index(g["month_name"]) + 1
    if "month_abbr" in g:
        month = [x[:3] for x in _MONTHS].index(g["month_abbr"]) + 1
    hour = int(g.get("hour", 0))
    if "hour12" in g:
        hour = int(g["hour12"]) % 12 + (12 if g.get("ampm", "").lower() == "pm" else 0)
    micro = int((g.get("frac", g.get("frac_implicit", "")) + "000000")[:6])
    tz = loc
    if "offset" in g:
        off = g["offset"]
        if off == "Z":
            tz = _UTC
        else:
            digits = off[1:].replace(":", "").ljust(6, "0")
            delta = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]), seconds=int(digits[4:6]))
            tz = datetime.timezone(-delta if off[0] == "-" else delta)
    elif g.get("zone") == "UTC":
        tz = _UTC
    try:
        return datetime.datetime(max(year, 1), month, int(g.get("day", 1)), hour, int(g.get("minute", 0)),
                                 int(g.get("second", 0)), micro, tzinfo=tz)
    except ValueError as err:
        raise ValueError(f'parsing time "{value}": {err}') from None


def _local_tz():
    return datetime.datetime.now().astimezone().tzinfo


def _load_location(zone: str):
    # time.LoadLocation: "" and "UTC" are UTC, "Local" the local zone; an unknown zone falls back to UTC in sprig.
    if zone in ("", "UTC"):
        return _UTC
    if zone == "Local":
        return None
    try:
        import zoneinfo

        return zoneinfo.ZoneInfo(zone)
    except (ValueError, OSError, LookupError):
        return _UTC


def _to_time(date) -> datetime.datetime:
    # sprig formatDate: time.Time, or Unix seconds as a Go int; anything else (even a float64) is time.Now().
    date = _iface(date)
    if isinstance(date, GoTime):
        return date.dt
    if isinstance(date, int) and not isinstance(date, bool):
        return datetime.datetime.fromtimestamp(date, _UTC)
    return datetime.datetime.now(_UTC)


def date_in_zone(fmt, date, zone):
    loc = _load_location(arg_str(zone))
    return go_time_format(_to_time(date).astimezone(loc), arg_str(fmt))


def _time_arg(value) -> GoTime:
    if isinstance(value, GoTime):
        return value
    raise type_error(value, "time.Time")


def must_to_date(fmt, s):
    try:
        return GoTime(go_time_parse(arg_str(fmt), arg_str(s), _local_tz()))
    except ValueError as err:
        raise SprigError(str(err)) from None


def to_date(fmt, s):
    try:
        return must_to_date(fmt, s)
    except SprigError:
        return _ZERO_TIME


def must_date_modify(fmt, date):
    date, nanos = _time_arg(date), parse_duration(arg_str(fmt))
    if nanos is None:
        raise SprigError(f'time: invalid duration "{fmt}"')
    return GoTime(date.dt + datetime.timedelta(microseconds=nanos // 1000))


def date_modify(fmt, date):
    try:
        return must_date_modify(fmt, date)
    except SprigError:
        return date


def ago(date):
    since = datetime.datetime.now(_UTC) - _to_time(date)
    return duration_string(round(since.total_seconds()) * 10**9)


# ---------------------------------------------------------------------------
# Random values (not deterministic by nature)


def _random_string(alphabet: str):
    def generate(count):
        rng = random.SystemRandom()
        return "".join(rng.choice(alphabet) for _ in range(arg_int(count)))

    return generate


def rand_int(lo, hi):
    lo, hi = arg_int(lo), arg_int(hi)
    if hi <= lo:
        raise SprigError("invalid argument to Intn")
    return random.SystemRandom().randrange(lo, hi)


def rand_bytes(count):
    return base64.b64encode(os.urandom(arg_int(count))).decode()


def shuffle(s):
    chars = list(arg_str(s))
    random.SystemRandom().shuffle(chars)
    return "".join(chars)


def get_host_by_name(name):
    import socket

    try:
        addrs = socket.gethostbyname_ex(arg_str(name))[2]
    except OSError:
        addrs = []
    if not addrs:
        raise SprigError("invalid argument to Intn")
    return random.SystemRandom().choice(addrs)


# ---------------------------------------------------------------------------
# crypto.go: keys, certificates and AES (random by nature; `cryptography` is imported lazily)


class Certificate(_OpaqueStruct):
    """sprig's `certificate` struct: the PEM texts in .Cert and .Key."""

    go_type = "sprig.certificate"
    __slots__ = ("cert", "key")

    def __init__(self, cert: str, key: str):
        self.cert, self.key = cert, key

    def go_field(self, name: str):
        return (True, self.cert) if name == "Cert" else (True, self.key) if name == "Key" else (False, None)

    def go_fields(self):
        return [("Cert", self.cert), ("Key", self.key)]

    def has_field(self, name: str) -> bool:
        return name in ("Cert", "Key")

    def to_plain(self):
        return gojson.StructFields([("Cert", self.cert), ("Key", self.key)])


def _pem_for_key(key) -> str:
    # crypto.go pemBlockForKey: PKCS#1 for RSA, SEC 1 for ECDSA, OpenSSL's DSA form, PKCS#8 otherwise.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

    traditional = isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, dsa.DSAPrivateKey))
    fmt = serialization.PrivateFormat.TraditionalOpenSSL if traditional else serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def gen_private_key(typ):
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

    typ = arg_str(typ)
    generators = {
        "": lambda: rsa.generate_private_key(65537, 4096),
        "rsa": lambda: rsa.generate_private_key(65537, 4096),
        "dsa": lambda: dsa.generate_private_key(2048),
        "ecdsa": lambda: ec.generate_private_key(ec.SECP256R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate,
    }
    if typ not in generators:
        return "Unknown type " + typ
    return _pem_for_key(generators[typ]())


def _load_key(pem_text: str):
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_pem_private_key(pem_text.encode(), password=None)
    except (ValueError, TypeError):
        raise SprigError("error parsing private key: no PEM data found or the key is not supported") from None


def _names(values, what: str) -> list[str]:
    out = []
    for v in _as_slice(_iface(values)) or []:
        if not isinstance(v, str):
            raise SprigError(f"error processing {what}: {sprint(v)} is not a string")
        out.append(v)
    return out


def _issue(cn: str, ips, dns, days: int, key, issuer=None, is_ca: bool = False) -> Certificate:
    # crypto.go getBaseCertTemplate + getCertAndKey: a random 128-bit serial, valid from now for `days`,
    # server+client auth; a CA also signs certificates. `issuer` is (ca cert, ca key) or None (self-signed).
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    addresses = []
    for ip in _names(ips, "ip"):
        try:
            addresses.append(x509.IPAddress(ipaddress.ip_address(ip)))
        except ValueError:
            raise SprigError(f"error parsing ip: {ip}") from None
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]) if cn else x509.Name([])
    ca_cert, ca_key = issuer or (None, key)
    now = datetime.datetime.now(_UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject if ca_cert is not None else subject)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(os.urandom(16), "big") or 1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=is_ca, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    dns_names = [x509.DNSName(d) for d in _names(dns, "alternate dns name")]
    if addresses or dns_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(dns_names + addresses), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return Certificate(cert.public_bytes(serialization.Encoding.PEM).decode(), _pem_for_key(key))


def _rsa2048():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(65537, 2048)


def _ca_arg(ca):
    from cryptography import x509

    if not isinstance(ca, Certificate):
        raise type_error(ca, "sprig.certificate")
    try:
        return x509.load_pem_x509_certificate(ca.cert.encode()), _load_key(ca.key)
    except ValueError:
        raise SprigError("unable to decode CA certificate") from None


def build_custom_cert(b64cert, b64key):
    try:
        cert = base64.b64decode(arg_str(b64cert), validate=True).decode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError):
        raise SprigError("unable to decode base64 certificate") from None
    try:
        key = base64.b64decode(arg_str(b64key), validate=True).decode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError):
        raise SprigError("unable to decode base64 private key") from None
    from cryptography import x509

    try:
        x509.load_pem_x509_certificate(cert.encode("utf-8", "surrogateescape"))
    except ValueError:
        raise SprigError("unable to decode certificate") from None
    _load_key(key)
    return Certificate(cert, key)


def _aes_key(password: str) -> bytes:
    # crypto.go: copy(key[32], password): truncated or zero-padded to 32 bytes (AES-256).
    return _bytes(password)[:32].ljust(32, b"\0")


def encrypt_aes(password, plaintext):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    password, plaintext = arg_str(password), arg_str(plaintext)
    if plaintext == "":
        return ""
    content = _bytes(plaintext)
    pad = 16 - len(content) % 16
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(_aes_key(password)), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + enc.update(content + bytes([pad]) * pad) + enc.finalize()).decode()


def decrypt_aes(password, crypt64):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    password, crypt64 = arg_str(password), arg_str(crypt64)
    if crypt64 == "":
        return ""
    try:
        data = base64.b64decode(crypt64, validate=True)
    except (binascii.Error, ValueError):
        raise SprigError(b64dec(crypt64)) from None
    if len(data) < 32 or len(data) % 16:
        raise SprigError("crypto/cipher: input not full blocks")
    dec = Cipher(algorithms.AES(_aes_key(password)), modes.CBC(data[:16])).decryptor()
    plain = dec.update(data[16:]) + dec.finalize()
    if plain[-1] > len(plain):
        raise SprigError("runtime error: slice bounds out of range")
    return _unbytes(plain[: len(plain) - plain[-1]])


# crypto.go derivePassword: the Master Password algorithm (v3).
_MPW_TEMPLATES = {
    "maximum": ["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
    "long": ["CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv", "CvccCvcvCvcvno",
             "CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc", "CvcvCvcvnoCvcc", "CvcvCvcvCvccno",
             "CvccnoCvccCvcv", "CvccCvccnoCvcv", "CvccCvccCvcvno", "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno",
             "CvccnoCvcvCvcc", "CvccCvcvnoCvcc", "CvccCvcvCvccno"],
    "medium": ["CvcnoCvc", "CvcCvcno"],
    "short": ["Cvcn"],
    "basic": ["aaanaaan", "aannaaan", "aaannaaa"],
    "pin": ["nnnn"],
}
_MPW_CHARACTERS = {
    "V": "AEIOU", "C": "BCDFGHJKLMNPQRSTVWXYZ", "v": "aeiou", "c": "bcdfghjklmnpqrstvwxyz",
    "A": "AEIOUBCDFGHJKLMNPQRSTVWXYZ", "a": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
    "n": "0123456789", "o": "@&%?,=[]_:-+*$#!'^~;()/.",
    "x": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
}
_MPW_SCOPE = b"com.lyndir.masterpassword"


def derive_password(counter, password_type, password, user, site):
    import hmac
    import struct

    counter = arg_int(counter)
    if not 0 <= counter < 1 << 32:
        raise type_error(counter, "uint32")
    password_type, password, user, site = map(arg_str, (password_type, password, user, site))
    templates = _MPW_TEMPLATES.get(password_type)
    if templates is None:
        return f"cannot find password template {password_type}"
    user_b, site_b = _bytes(user), _bytes(site)
    salt = _MPW_SCOPE + struct.pack(">I", len(user_b)) + user_b
    key = hashlib.scrypt(_bytes(password), salt=salt, n=32768, r=8, p=2, dklen=64, maxmem=64 << 20)
    seed = hmac.new(key, _MPW_SCOPE + struct.pack(">I", len(site_b)) + site_b + struct.pack(">I", counter), "sha256").digest()
    template = templates[seed[0] % len(templates)]
    return "".join(_MPW_CHARACTERS[c][seed[i + 1] % len(_MPW_CHARACTERS[c])] for i, c in enumerate(template))


def _not_implemented(name: str):
    def refuse(*_args):
        raise SprigError(f"sprig function {name!r} is not implemented by meshctl")

    refuse.__name__ = name
    return refuse


def _build() -> dict:
    path_funcs = {"base": path_base, "dir": path_dir, "clean": path_clean, "ext": path_ext, "isAbs": lambda p: arg_str(p).startswith("/")}
    funcs = {
        "hello": lambda: "Hello!",
        # strings
        "abbrev": abbrev, "abbrevboth": abbrevboth, "trunc": trunc,
        "trim": lambda s: arg_str(s).strip(GO_SPACES),
        "upper": go_upper, "lower": go_lower,
        "title": title, "untitle": untitle, "substr": substr,
        "repeat": repeat,
        "trimall": lambda a, b: arg_str(b).strip(arg_str(a)), "trimAll": lambda a, b: arg_str(b).strip(arg_str(a)),
        "trimSuffix": lambda a, b: arg_str(b).removesuffix(arg_str(a)),
        "trimPrefix": lambda a, b: arg_str(b).removeprefix(arg_str(a)),
        "nospace": nospace, "initials": initials, "swapcase": swapcase, "shuffle": shuffle,
        "snakecase": snakecase, "camelcase": camelcase, "kebabcase": kebabcase,
        "randAlphaNum": _random_string(string.ascii_letters + string.digits),
        "randAlpha": _random_string(string.ascii_letters),
        "randAscii": _random_string("".join(map(chr, range(32, 127)))),
        "randNumeric": _random_string(string.digits),
        "wrap": lambda width, s: _wrap_custom(arg_str(s), arg_int(width), "", False),
        "wrapWith": lambda width, sep, s: _wrap_custom(arg_str(s), arg_int(width), arg_str(sep), True),
        "contains": lambda sub, s: arg_str(sub) in arg_str(s),
        "hasPrefix": lambda pre, s: arg_str(s).startswith(arg_str(pre)),
        "hasSuffix": lambda suf, s: arg_str(s).endswith(arg_str(suf)),
        "quote": quote, "squote": squote, "cat": cat, "indent": indent, "nindent": nindent,
        "replace": lambda old, new, src: arg_str(src).replace(arg_str(old), arg_str(new)),
        "plural": plural,
        "sha1sum": _hexdigest("sha1"), "sha256sum": _hexdigest("sha256"), "sha512sum": _hexdigest("sha512"),
        "adler32sum": lambda s: str(zlib.adler32(_bytes(arg_str(s)))),
        "toString": lambda v: strval(v),
        "atoi": atoi, "int64": to_int64, "int": to_int64, "float64": to_float64, "seq": seq, "toDecimal": to_decimal,
        "split": split, "splitList": split_list, "splitn": splitn, "toStrings": strslice,
        "until": until, "untilStep": until_step,
        # arithmetic
        "add1": lambda i: _wrap64(to_int64(i) + 1), "add": add,
        "sub": lambda a, b: _wrap64(to_int64(a) - to_int64(b)), "div": div, "mod": mod, "mul": mul,
        "randInt": rand_int,
        "add1f": lambda i: _decimal_op(lambda x, y: x + y)(i, 1),
        "addf": lambda *v: _decimal_op(lambda x, y: x + y)(0.0, *v),
        "subf": _decimal_op(lambda x, y: x - y), "divf": _decimal_op(_decimal_div), "mulf": _decimal_op(lambda x, y: x * y),
        "biggest": max_, "max": max_, "min": min_, "maxf": maxf, "minf": minf,
        "ceil": ceil_, "floor": floor_, "round": round_,
        "join": join, "sortAlpha": sort_alpha,
        # defaults
        "default": dfault, "empty": is_empty, "coalesce": coalesce,
        "all": lambda *v: all(not is_empty(x) for x in v), "any": lambda *v: any(not is_empty(x) for x in v),
        "compact": must_compact, "mustCompact": must_compact,
        "fromJson": from_json, "mustFromJson": must_from_json,
        "toJson": _json_func("", gojson.marshal), "mustToJson": _json_func(_RAISE, gojson.marshal),
        "toPrettyJson": _json_func("", gojson.marshal_indent), "mustToPrettyJson": _json_func(_RAISE, gojson.marshal_indent),
        # sprig's toRawJson panics on error, like mustToRawJson returns it
        "toRawJson": _json_func(_RAISE, _raw_json), "mustToRawJson": _json_func(_RAISE, _raw_json),
        "ternary": ternary, "deepCopy": deep_copy, "mustDeepCopy": deep_copy,
        "fail": fail,
        # reflection
        "typeOf": type_of, "typeIs": lambda t, v: arg_str(t) == type_of(v),
        "typeIsLike": lambda t, v: type_of(v) in (arg_str(t), "*" + arg_str(t)),
        "kindOf": kind_of, "kindIs": lambda k, v: arg_str(k) == kind_of(v), "deepEqual": deep_equal,
        # OS
        "env": lambda key: os.environ.get(arg_str(key), ""), "expandenv": lambda s: _expand_env(arg_str(s)),
        "getHostByName": get_host_by_name,
        # paths (filepath on Linux is the same)
        **path_funcs, **{"os" + name[0].upper() + name[1:]: f for name, f in path_funcs.items()},
        # encodings
        "b64enc": lambda s: base64.b64encode(_bytes(arg_str(s))).decode(), "b64dec": b64dec,
        "b32enc": lambda s: base64.b32encode(_bytes(arg_str(s))).decode(), "b32dec": b32dec,
        # data structures
        "tuple": list_, "list": list_, "dict": dict_, "get": get, "set": set_, "unset": unset, "hasKey": has_key,
        "pluck": pluck, "keys": keys, "pick": pick, "omit": omit, "values": values_,
        "merge": merge, "mergeOverwrite": merge_overwrite, "mustMerge": merge, "mustMergeOverwrite": merge_overwrite,
        "append": must_push, "push": must_push, "mustAppend": must_push, "mustPush": must_push,
        "prepend": must_prepend, "mustPrepend": must_prepend,
        "first": must_first, "mustFirst": must_first, "rest": must_rest, "mustRest": must_rest,
        "last": must_last, "mustLast": must_last, "initial": must_initial, "mustInitial": must_initial,
        "reverse": must_reverse, "mustReverse": must_reverse, "uniq": must_uniq, "mustUniq": must_uniq,
        "without": must_without, "mustWithout": must_without, "has": must_has, "mustHas": must_has,
        "slice": must_slice, "mustSlice": must_slice, "concat": concat, "dig": dig,
        "chunk": must_chunk, "mustChunk": must_chunk,
        # UUIDs
        "uuidv4": lambda: str(uuid.uuid4()),
        # semver
        "semver": semver, "semverCompare": semver_compare,
        # regexps
        "regexMatch": must_regex_match, "mustRegexMatch": must_regex_match,
        "regexFindAll": must_regex_find_all, "mustRegexFindAll": must_regex_find_all,
        "regexFind": must_regex_find, "mustRegexFind": must_regex_find,
        "regexReplaceAll": must_regex_replace_all, "mustRegexReplaceAll": must_regex_replace_all,
        "regexReplaceAllLiteral": must_regex_replace_all_literal,
        "mustRegexReplaceAllLiteral": must_regex_replace_all_literal,
        "regexSplit": must_regex_split, "mustRegexSplit": must_regex_split, "regexQuoteMeta": regex_quote_meta,
        # URLs
        "urlParse": url_parse, "urlJoin": url_join,
        # dates
        "duration": duration, "durationRound": duration_round, "randBytes": rand_bytes,
    }
    funcs.update({
        "now": lambda: GoTime(datetime.datetime.now().astimezone()),
        "date": lambda fmt, date: date_in_zone(fmt, date, "Local"),
        "dateInZone": date_in_zone, "date_in_zone": date_in_zone,
        "htmlDate": lambda date: date_in_zone("2006-01-02", date, "Local"),
        "htmlDateInZone": lambda date, zone: date_in_zone("2006-01-02", date, zone),
        "toDate": to_date, "mustToDate": must_to_date,
        "dateModify": date_modify, "date_modify": date_modify, "mustDateModify": must_date_modify,
        "must_date_modify": must_date_modify,
        "unixEpoch": lambda date: str(_time_arg(date).Unix()),
        "ago": ago,
    })
    funcs.update({
        "genPrivateKey": gen_private_key, "buildCustomCert": build_custom_cert,
        "genCA": lambda cn, days: _issue(arg_str(cn), None, None, arg_int(days), _rsa2048(), is_ca=True),
        "genCAWithKey": lambda cn, days, key: _issue(arg_str(cn), None, None, arg_int(days), _load_key(arg_str(key)), is_ca=True),
        "genSelfSignedCert": lambda cn, ips, dns, days: _issue(arg_str(cn), ips, dns, arg_int(days), _rsa2048()),
        "genSelfSignedCertWithKey": lambda cn, ips, dns, days, key: _issue(
            arg_str(cn), ips, dns, arg_int(days), _load_key(arg_str(key))),
        "genSignedCert": lambda cn, ips, dns, days, ca: _issue(arg_str(cn), ips, dns, arg_int(days), _rsa2048(), _ca_arg(ca)),
        "genSignedCertWithKey": lambda cn, ips, dns, days, ca, key: _issue(
            arg_str(cn), ips, dns, arg_int(days), _load_key(arg_str(key)), _ca_arg(ca)),
        "encryptAES": encrypt_aes, "decryptAES": decrypt_aes, "derivePassword": derive_password,
    })
    # bcrypt hashes (bcrypt, htpasswd) need a bcrypt implementation, which neither the standard library
    # nor `cryptography` has. Templates may name them (they parse) but executing one is an error.
    for name in ("bcrypt", "htpasswd"):
        funcs.setdefault(name, _not_implemented(name))
    return funcs


SPRIG_FUNCS: dict = _build()
