"""Go's template builtins (go/src/text/template/funcs.go) over engine values.

Builtins taking ``reflect.Value`` in Go receive raw engine values here, including
``MISSING`` (an invalid value) and ``None`` (a nil interface). They raise
:class:`BuiltinError`; the executor reports ``error calling NAME: MESSAGE``.
"""

from __future__ import annotations

from urllib.parse import quote_plus

from meshctl.goenc.gofmt import sprint, sprintf, sprintln
from meshctl.goenc.values import MISSING, GoValue, go_kind, go_type_name, is_nil, is_true


class BuiltinError(Exception):
    pass


def indirect_interface(value):
    """A nil interface is an invalid value once unwrapped."""
    return MISSING if value is None else value


def _basic_kind(value) -> str:
    kind = go_kind(value)
    return kind if kind in ("bool", "int", "uint", "float", "complex", "string") else "invalid"


def _as_number(value, kind):
    if kind == "float":
        return float(value)
    if kind == "complex":
        return complex(value)
    return int(value)


def go_not(arg) -> bool:
    return not is_true(indirect_interface(arg))


def go_eq(arg1, *args) -> bool:
    arg1 = indirect_interface(arg1)
    if not args:
        raise BuiltinError("missing argument for comparison")
    k1 = _basic_kind(arg1)
    for arg in args:
        arg = indirect_interface(arg)
        k2 = _basic_kind(arg)
        truth = False
        if k1 != k2:
            if (k1, k2) in (("int", "uint"), ("uint", "int")):
                truth = int(arg1) == int(arg)
            elif arg1 is not MISSING and arg is not MISSING:
                raise _incompatible(arg1, arg)
        elif k1 == "string":
            truth = str(arg1) == str(arg)
        elif k1 == "bool":
            truth = bool(arg1) == bool(arg)
        elif k1 != "invalid":
            truth = _as_number(arg1, k1) == _as_number(arg, k1)
        else:
            truth = _eq_other(arg1, arg)
        if truth:
            return True
    return False


def _incompatible(arg1, arg2) -> BuiltinError:
    return BuiltinError(f"incompatible types for comparison: {go_type_name(arg1)} and {go_type_name(arg2)}")


def _eq_other(arg1, arg) -> bool:
    """eq on values that are not of a basic kind (nil, maps, slices, structs)."""
    kind1, kind2 = go_kind(arg1), go_kind(arg)
    if kind1 != kind2 and arg1 is not MISSING and arg is not MISSING:
        raise BuiltinError(
            sprintf("non-comparable types %s: %v, %s: %v", arg1, go_type_name(arg1), go_type_name(arg), arg)
        )
    nil1, nil2 = is_nil(arg1), is_nil(arg)
    if nil1 or nil2:
        return nil1 == nil2
    if getattr(arg1, "is_pointer", False) or getattr(arg, "is_pointer", False):
        return arg1 is arg  # pointers are equal when they point at the same value
    if kind2 in ("map", "slice", "func") or not getattr(arg, "go_comparable", True):
        raise BuiltinError(sprintf("non-comparable type %s: %v", arg, go_type_name(arg)))
    return arg1 == arg


def go_ne(arg1, arg2) -> bool:
    return not go_eq(arg1, arg2)


def go_lt(arg1, arg2) -> bool:
    arg1 = indirect_interface(arg1)
    k1 = _basic_kind(arg1)
    if k1 == "invalid":
        raise BuiltinError("invalid type for comparison")
    arg2 = indirect_interface(arg2)
    k2 = _basic_kind(arg2)
    if k2 == "invalid":
        raise BuiltinError("invalid type for comparison")
    if k1 != k2:
        if (k1, k2) in (("int", "uint"), ("uint", "int")):
            return int(arg1) < int(arg2)
        raise _incompatible(arg1, arg2)
    if k1 in ("bool", "complex"):
        raise BuiltinError("invalid type for comparison")
    if k1 == "string":
        return str(arg1).encode("utf-8", "surrogateescape") < str(arg2).encode("utf-8", "surrogateescape")
    return _as_number(arg1, k1) < _as_number(arg2, k1)


def go_le(arg1, arg2) -> bool:
    return go_lt(arg1, arg2) or go_eq(arg1, arg2)


def go_gt(arg1, arg2) -> bool:
    return not go_le(arg1, arg2)


def go_ge(arg1, arg2) -> bool:
    return not go_lt(arg1, arg2)


def go_len(item) -> int:
    if item is None or _is_nil_pointer(item):
        raise BuiltinError("len of nil pointer")
    if item is MISSING:
        raise BuiltinError("reflect: call of reflect.Value.Type on zero Value")
    kind = go_kind(item)
    if kind == "string":
        return len(str(item).encode("utf-8", "surrogateescape"))
    if kind in ("map", "slice"):
        return len(item)
    raise BuiltinError(f"len of type {go_type_name(item)}")


def _index_arg(index, cap: int) -> int:
    kind = go_kind(index)
    if kind in ("int", "uint"):
        x = int(index)
    elif index is MISSING:
        raise BuiltinError("cannot index slice/array with nil")
    else:
        raise BuiltinError(f"cannot index slice/array with type {go_type_name(index)}")
    if x < 0 or x > cap:
        raise BuiltinError(f"index out of range: {x}")
    return x


def go_index(item, *indexes):
    item = indirect_interface(item)
    if item is MISSING:
        raise BuiltinError("index of untyped nil")
    for index in indexes:
        index = indirect_interface(index)
        if item is None or _is_nil_pointer(item):
            raise BuiltinError("index of nil pointer")
        kind = go_kind(item)
        if kind in ("slice", "string"):
            if kind == "string":
                data = str(item).encode("utf-8", "surrogateescape")
                x = _index_arg(index, len(data))
                if x == len(data):
                    raise BuiltinError("reflect: string index out of range")
                item = data[x]
            else:
                x = _index_arg(index, len(item))
                if x == len(item):
                    raise BuiltinError("reflect: slice index out of range")
                item = item[x]
        elif kind == "map":
            key_type = getattr(item, "go_key_type", "string")
            if index is MISSING:
                raise BuiltinError(f"value is nil; should be of type {key_type}")
            if key_type == "string" and go_kind(index) != "string":
                raise BuiltinError(f"value has type {go_type_name(index)}; should be {key_type}")
            if key_type == "string":
                index = str(index)
            if index in item:
                item = item[index]
            else:
                item = getattr(item, "go_zero", None)
        else:
            raise BuiltinError(f"can't index item of type {go_type_name(item)}")
    return item


def _is_nil_pointer(value) -> bool:
    return isinstance(value, GoValue) and value.go_kind == "ptr" and value.is_nil


def go_slice(item, *indexes):
    item = indirect_interface(item)
    if item is MISSING:
        raise BuiltinError("slice of untyped nil")
    if len(indexes) > 3:
        raise BuiltinError(f"too many slice indexes: {len(indexes)}")
    kind = go_kind(item)
    if kind == "string":
        if len(indexes) == 3:
            raise BuiltinError("cannot 3-index slice a string")
        data = str(item).encode("utf-8", "surrogateescape")
        cap = len(data)
    elif kind == "slice":
        data = item
        cap = json_slice_cap(item)
    else:
        raise BuiltinError(f"can't slice item of type {go_type_name(item)}")
    idx = [0, len(data), 0]
    for i, index in enumerate(indexes):
        idx[i] = _index_arg(indirect_interface(index), cap)
    if idx[0] > idx[1]:
        raise BuiltinError(f"invalid slice index: {idx[0]} > {idx[1]}")
    if len(indexes) == 3 and idx[1] > idx[2]:
        raise BuiltinError(f"invalid slice index: {idx[1]} > {idx[2]}")
    if kind == "string":
        return data[idx[0] : idx[1]].decode("utf-8", "surrogateescape")
    part = data[idx[0] : idx[1]]
    if idx[1] > len(data):  # slicing into the spare capacity: zero values (nil)
        part = list(part) + [None] * (idx[1] - max(len(data), idx[0]))
    return type(item)(part) if isinstance(item, GoValue) else list(part)


def json_slice_cap(items) -> int:
    """The capacity Go's encoding/json leaves on a decoded []any: it appends one element
    at a time, so small slices grow 1, 2, 4, 8, ... (only observable through slice)."""
    if isinstance(items, GoValue) or not isinstance(items, list):
        return len(items)
    n = len(items)
    if n == 0 or n > 512:
        return n
    cap = 1
    while cap < n:
        cap *= 2
    return cap


def _eval_args(args) -> str:
    """funcs.go evalArgs: a lone string as is, else fmt.Sprint of printable values."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(*("<no value>" if a is None or a is MISSING else a for a in args))


_HTML = {"\0": "\ufffd", '"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;"}


def html_escape(s: str) -> str:
    if not any(c in s for c in "\0\"'&<>"):
        return s
    return "".join(_HTML.get(c, c) for c in s)


def go_html(*args) -> str:
    return html_escape(_eval_args(args))


_JS = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D"}


def js_escape(s: str) -> str:
    out = []
    for c in s:
        if c in _JS:
            out.append(_JS[c])
        elif c < " ":
            out.append("\\u00%02X" % ord(c))
        elif c >= "\x80" and not c.isprintable() and c != "\u00a0":
            out.append("\\u%04X" % ord(c))
        else:
            out.append(c)
    return "".join(out)


def go_js(*args) -> str:
    return js_escape(_eval_args(args))


def go_urlquery(*args) -> str:
    return quote_plus(_eval_args(args).encode("utf-8", "surrogateescape"), safe="")


def go_print(*args) -> str:
    return sprint(*args)


def go_println(*args) -> str:
    return sprintln(*args)


def go_printf(fmt, *args) -> str:
    return sprintf(fmt, *args)


def go_call(name: str, fn, *args):
    fn = indirect_interface(fn)
    if fn is MISSING:
        raise BuiltinError("call of nil")
    if not callable(fn) or isinstance(fn, (GoValue, type)):
        raise BuiltinError(f"non-function {name} of type {go_type_name(fn)}")
    return fn(*(None if a is MISSING else a for a in args))
