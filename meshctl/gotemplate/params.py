"""Go parameter types of template functions, as text/template converts arguments to them.

A Go template function has typed parameters (`int`, `string`, `map[string]interface {}`); text/template
refuses an argument not assignable to one ("wrong type for value; expected int; got float64"). A function
reports an error, or a recovered panic, by raising `FuncError` with Go's message.
"""

from __future__ import annotations

from meshctl.goenc.values import MISSING, GoValue, go_type_name


class FuncError(Exception):
    """An error (or panic) raised by a template function; str() is Go's message."""


def type_error(value, expected: str) -> FuncError:
    """text/template's error for an argument not assignable to a Go parameter type."""
    if value is None or value is MISSING:
        return FuncError(f"invalid value; expected {expected}")
    return FuncError(f"wrong type for value; expected {expected}; got {go_type_name(value)}")


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


def iface(value):
    # An invalid reflect.Value (missing key) passed to an interface{} parameter becomes nil.
    return None if value is MISSING else value


def as_slice(value):
    """The elements of a Go slice/array value, or None when it is not one."""
    if isinstance(value, (list, tuple)):
        return value
    if isinstance(value, GoValue) and value.go_kind == "slice":
        return list(value)
    return None
