"""sprig's reflect.go: `typeOf`, `kindOf`, `typeIs`, `kindIs`, and reflect.DeepEqual (`deepEqual`)."""

from __future__ import annotations

from meshctl.goenc.values import MISSING, GoValue, go_kind, go_type_name
from meshctl.gotemplate.params import iface


def reflect_kind(value) -> str:
    """reflect.Kind.String() of a value (nil interface -> "invalid")."""
    if value is None or value is MISSING:
        return "invalid"
    kind = go_kind(value)
    return {"float": "float64", "complex": "complex128"}.get(kind, kind)


def deep_equal(a, b) -> bool:
    """reflect.DeepEqual on engine values: types must match (1 and 1.0 differ), NaN != NaN."""
    a, b = iface(a), iface(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, GoValue):
        return go_type_name(a) == go_type_name(b) and a == b
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(deep_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b))
    return a == b


def kind_of(v):
    return reflect_kind(iface(v))


def type_of(v):
    return go_type_name(iface(v))
