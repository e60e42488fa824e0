"""sprig's list.go: list functions (`list`, `append`, `first`, `uniq`, `slice`, `concat`, `sortAlpha`, ...)."""

from __future__ import annotations

from meshctl.goenc.values import MISSING, is_empty
from meshctl.gotemplate.limits import spend
from meshctl.gotemplate.params import FuncError, arg_int, as_slice, iface

from .numeric import to_int64
from .reflect import deep_equal, reflect_kind
from .strings import strslice, strval, to_bytes


def _slice_arg(value, what: str) -> list | tuple:
    # sprig list.go: reflect.TypeOf(list).Kind(); a nil list dereferences a nil Type.
    if value is None or value is MISSING:
        raise FuncError("runtime error: invalid memory address or nil pointer dereference")
    items = as_slice(value)
    if items is None:
        raise FuncError(what % reflect_kind(value))
    return items


def sort_alpha(v):
    if as_slice(v) is not None:
        return sorted(strslice(v), key=to_bytes)
    return [strval(v)]


def list_(*v):
    return list(map(iface, v))


def must_push(lst, v):
    return [*_slice_arg(lst, "Cannot push on type %s"), iface(v)]


def must_prepend(lst, v):
    return [iface(v), *_slice_arg(lst, "Cannot prepend on type %s")]


def must_chunk(size, lst):
    size, items = arg_int(size), _slice_arg(lst, "Cannot chunk type %s")
    if size <= 0 and items:
        raise FuncError("runtime error: integer divide by zero" if size == 0 else "runtime error: makeslice: len out of range")
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
    # Scalars (equal under reflect.DeepEqual only with the same type and value) are looked up in a set,
    # the rest compared pairwise, those comparisons counted as execution steps.
    out: list = []
    seen: set = set()
    others: list = []
    for x in _slice_arg(lst, "Cannot find uniq on type %s"):
        if x.__class__ in _SCALARS and x == x:  # not NaN, which DeepEqual finds unequal to itself
            key = (x.__class__, x)
            if key not in seen:
                seen.add(key)
                out.append(x)
            continue
        spend(len(others))
        if not any(deep_equal(x, y) for y in others):
            others.append(x)
            out.append(x)
    return out


_SCALARS = frozenset({str, int, float, bool, type(None)})


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
        raise FuncError(f"reflect: slice index out of range")
    return list(items[start:end])


def concat(*lists):
    out: list = []
    for lst in lists:
        out.extend(_slice_arg(lst, "Cannot concat type %s as list"))
    return out
