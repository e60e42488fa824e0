"""Go `encoding/json` on template engine values: Marshal, MarshalIndent and Unmarshal into `any`.

Engine values are Go's dynamic values in Python form (str, bool, float = float64, int, None = nil,
dict = map, list = slice). Typed values (GoValue; the template engine's are in meshctl.gotemplate.typed)
are written as Go writes them: structs in field order with their json names and omitempty
(``Struct.__go_json__``), nil pointers/maps/slices as null, enums as numbers. Other objects take part through the same hook: `__go_json__()` returns the value to
encode instead, and a `StructFields` (ordered (json name, value) pairs) is written in that order.
"""

from __future__ import annotations

import json
import math
import re
from json.encoder import encode_basestring

from .values import MISSING, GoValue, StructFields

__all__ = ["JSONError", "StructFields", "format_float", "go_escapes", "marshal", "marshal_indent", "unmarshal"]


class JSONError(ValueError):
    """A Go encoding/json error; the message is Go's text (`json: unsupported value: NaN`)."""


# encoding/json encode.go appendString: <, >, & are escaped for HTML safety (unless SetEscapeHTML(false));
# U+2028/U+2029 are always escaped because JavaScript treats them as line terminators.
_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_HTML_RE = re.compile("[<>&\u2028\u2029]")
_LINE_SEP_RE = re.compile("[\u2028\u2029]")
# Invalid UTF-8 becomes U+FFFD in Go; in Python it shows up as lone surrogates.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE_RE = re.compile(r"\\u[dD][89a-fA-F]")


def go_escapes(encoded: str, *, html: bool = True) -> str:
    """Go's escapes of <, >, & (unless `html` is False) and U+2028/U+2029 in JSON text that is
    otherwise encoded already (these characters only occur inside its strings)."""
    pattern = _HTML_RE if html else _LINE_SEP_RE
    if pattern.search(encoded):
        encoded = pattern.sub(lambda m: _HTML_ESCAPES[m.group()], encoded)
    return encoded


def _encode_string(s: str, escape_html: bool) -> str:
    if _SURROGATE_RE.search(s):
        s = _SURROGATE_RE.sub("\ufffd", s)
    # \" \\ \n \r \t \b \f, other controls as \u00XX (lowercase hex), like Go 1.22+
    return go_escapes(encode_basestring(s), html=escape_html)


def format_float(f: float) -> str:
    """Format a float64 as encoding/json does (encode.go floatEncoder).

    Shortest round-trip digits; plain notation unless |f| < 1e-6 or |f| >= 1e21, where it uses
    exponent form with the exponent's leading zero dropped (1e-07 -> 1e-7, 1e+21 stays).
    """
    if math.isinf(f) or math.isnan(f):
        raise JSONError(f"json: unsupported value: {'NaN' if math.isnan(f) else ('+Inf' if f > 0 else '-Inf')}")
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    a = abs(f)
    # repr is the shortest round-trip form ("1.5e-07", "123.25", "1e+16"): its digits and exponent.
    mantissa, _, e = repr(a).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    ds = digits.rstrip("0")
    exp = int(e or 0) - len(frac) + len(digits) - len(ds)  # a = int(ds) * 10**exp
    neg = "-" if f < 0 else ""
    if a < 1e-6 or a >= 1e21:
        e10 = exp + len(ds) - 1
        mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
        es = f"{abs(e10)}" if e10 < 0 else f"{e10:02d}"
        return f"{neg}{mant}e{'-' if e10 < 0 else '+'}{es}"
    if exp >= 0:
        return neg + ds + "0" * exp
    point = len(ds) + exp
    if point > 0:
        return f"{neg}{ds[:point]}.{ds[point:]}"
    return f"{neg}0.{'0' * -point}{ds}"


def _go_type(v: object) -> str:
    return {float: "float64", complex: "complex128"}.get(type(v), type(v).__name__)


def _map_key(k: object) -> str:
    if isinstance(k, str):
        return k
    if isinstance(k, int) and not isinstance(k, bool):
        return str(k)
    raise JSONError(f"json: unsupported type: map[{_go_type(k)}]interface {{}}")


def _typed(v: GoValue) -> object:
    """What encoding/json writes for a typed value without a `__go_json__` (structs have one):
    a nil pointer/map/slice is null, an enum its number."""
    if getattr(v, "is_nil", False) and v.go_kind in ("ptr", "map", "slice"):
        return None
    kind = v.go_kind
    if kind in ("int", "uint"):
        return int(v)
    if kind == "float":
        return float(v)
    if kind == "map":
        return dict(v)
    if kind == "slice":
        return list(v)
    return v.to_plain()


def _encode(v: object, out: list, escape_html: bool, indent: str | None, depth: int) -> None:
    if isinstance(v, GoValue):
        hook = getattr(v, "__go_json__", None)
        v = hook() if hook is not None else _typed(v)
    if isinstance(v, str):
        out.append(_encode_string(v, escape_html))
    elif v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, int):
        out.append(str(int(v)))
    elif isinstance(v, float):
        out.append(format_float(v))
    elif isinstance(v, StructFields):
        _encode_object(list(v), out, escape_html, indent, depth)
    elif isinstance(v, dict):
        _encode_object(sorted((_map_key(k), x) for k, x in v.items()), out, escape_html, indent, depth)
    elif isinstance(v, (list, tuple)):
        if not v:
            out.append("[]")
            return
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            if indent is not None:
                out.append("\n" + indent * (depth + 1))
            _encode(x, out, escape_html, indent, depth + 1)
        if indent is not None:
            out.append("\n" + indent * depth)
        out.append("]")
    elif hasattr(v, "__go_json__"):
        _encode(v.__go_json__(), out, escape_html, indent, depth)
    elif v is MISSING:
        out.append("null")
    else:
        raise JSONError(f"json: unsupported type: {_go_type(v)}")


def _encode_object(items: list, out: list, escape_html: bool, indent: str | None, depth: int) -> None:
    if not items:
        out.append("{}")
        return
    out.append("{")
    for i, (k, x) in enumerate(items):
        if i:
            out.append(",")
        if indent is not None:
            out.append("\n" + indent * (depth + 1))
        out.append(_encode_string(k, escape_html))
        out.append(":" if indent is None else ": ")
        _encode(x, out, escape_html, indent, depth + 1)
    if indent is not None:
        out.append("\n" + indent * depth)
    out.append("}")


def marshal(value: object, *, escape_html: bool = True) -> str:
    """`json.Marshal(value)`; with escape_html=False it is an Encoder with SetEscapeHTML(false) (no newline)."""
    out: list[str] = []
    _encode(value, out, escape_html, None, 0)
    return "".join(out)


def marshal_indent(value: object, indent: str = "  ", *, escape_html: bool = True) -> str:
    """`json.MarshalIndent(value, "", indent)`: empty maps and slices stay `{}` / `[]`."""
    out: list[str] = []
    _encode(value, out, escape_html, indent, 0)
    return "".join(out)


def _parse_number(text: str) -> float:
    f = float(text)
    if math.isinf(f):
        raise JSONError(f"json: cannot unmarshal number {text} into Go value of type float64")
    return f


def _reject_constant(name: str) -> None:
    raise JSONError(f"invalid character '{name[0]}' looking for beginning of value")


# Python json's messages mapped to the context Go's scanner reports (encoding/json scanner.go).
_CONTEXTS = {
    "Expecting value": "looking for beginning of value",
    "Extra data": "after top-level value",
    "Expecting ':' delimiter": "after object key",
    "Expecting property name enclosed in double quotes": "looking for beginning of object key string",
    "Invalid control character at": "in string literal",
}
_LITERALS = ("true", "false", "null")


def _quote_char(ch: str) -> str:
    # scanner.go quoteChar
    if ch == "'":
        return "'\\''"
    if ch == '"':
        return "'\"'"
    from .gofmt import quote_string

    return "'" + quote_string(ch)[1:-1] + "'"


def _in_array(text: str, pos: int) -> bool:
    """Whether `pos` is directly inside an array (else an object), skipping strings."""
    stack, in_str, escaped = [], False, False
    for ch in text[:pos]:
        if in_str:
            escaped, in_str = (False, True) if escaped else (ch == "\\", ch != '"')
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            stack.append(ch)
        elif ch in "]}" and stack:
            stack.pop()
    return bool(stack) and stack[-1] == "["


def _number_error(text: str, pos: int) -> JSONError | None:
    """Errors inside a number literal that Python reports as "Expecting value"/"Extra data"."""
    ch = text[pos]
    if ch == "-":
        nxt = text[pos + 1 : pos + 2]
        return JSONError("unexpected end of JSON input") if not nxt else JSONError(f"invalid character {_quote_char(nxt)} in numeric literal")
    if ch == "." and pos and text[pos - 1].isdigit():
        nxt = text[pos + 1 : pos + 2]
        if not nxt:
            return JSONError("unexpected end of JSON input")
        return JSONError(f"invalid character {_quote_char(nxt)} after decimal point in numeric literal")
    if ch in "eE" and pos and text[pos - 1].isdigit():
        i = pos + 1 + (text[pos + 1 : pos + 2] in ("+", "-"))
        nxt = text[i : i + 1]
        if not nxt:
            return JSONError("unexpected end of JSON input")
        return JSONError(f"invalid character {_quote_char(nxt)} in exponent of numeric literal")
    return None


def _syntax_error(text: str, err: json.JSONDecodeError) -> JSONError:
    pos, msg = err.pos, err.msg
    if pos >= len(text.rstrip(" \t\r\n")) or msg.startswith("Unterminated"):
        return JSONError("unexpected end of JSON input")
    ch = text[pos]
    if msg in ("Expecting value", "Extra data"):
        number = _number_error(text, pos)
        if number is not None:
            return number
    if msg == "Expecting value" and ch in "tfn":
        literal = next(lit for lit in _LITERALS if lit[0] == ch)
        for i, want in enumerate(literal):
            got = text[pos + i : pos + i + 1]
            if not got:
                return JSONError("unexpected end of JSON input")
            if got != want:
                return JSONError(f"invalid character {_quote_char(got)} in literal {literal} (expecting {_quote_char(want)})")
    if msg == "Invalid \\escape":
        return JSONError(f"invalid character {_quote_char(text[pos + 1])} in string escape code")
    if msg == "Invalid \\uXXXX escape":
        bad = next((c for c in text[pos + 2 : pos + 6] if c not in "0123456789abcdefABCDEF"), "")
        if not bad:
            return JSONError("unexpected end of JSON input")
        return JSONError(f"invalid character {_quote_char(bad)} in \\u hexadecimal character escape")
    if msg == "Expecting ',' delimiter":
        context = "after array element" if _in_array(text, pos) else "after object key:value pair"
    else:
        context = _CONTEXTS.get(msg, "looking for beginning of value")
    return JSONError(f"invalid character {_quote_char(ch)} {context}")


def _fix_surrogates(v: object) -> object:
    if isinstance(v, str):
        return _SURROGATE_RE.sub("\ufffd", v)
    if isinstance(v, list):
        return [_fix_surrogates(x) for x in v]
    if isinstance(v, dict):
        return {_fix_surrogates(k): _fix_surrogates(x) for k, x in v.items()}
    return v


def unmarshal(data: str | bytes) -> object:
    """`json.Unmarshal(data, &v)` with `v any`: objects -> dict, arrays -> list, numbers -> float.

    Raises JSONError with Go's message (`unexpected end of JSON input`, `invalid character ...`).
    """
    text = data.decode("utf-8", "replace") if isinstance(data, (bytes, bytearray)) else data
    if not text.strip(" \t\r\n"):
        raise JSONError("unexpected end of JSON input")
    try:
        value = json.loads(text, parse_int=_parse_number, parse_float=_parse_number, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise _syntax_error(text, err) from None
    except RecursionError:
        raise JSONError("exceeded max depth") from None
    if _SURROGATE_ESCAPE_RE.search(text):
        value = _fix_surrogates(value)
    return value
