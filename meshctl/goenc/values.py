"""Go's dynamic values in Python form (what the template engine and the encoders work on), and Go's rules over them.

Plain Python values stand for what Go's ``encoding/json`` decodes into ``any``:

==============  =========================  =============================
Python          Go type                    reflect kind
==============  =========================  =============================
``str``         ``string``                 string
``bool``        ``bool``                   bool
``int``         ``int``                    int
``float``       ``float64``                float
``complex``     ``complex128``             complex
``None``        nil ``interface {}``       interface (nil)
``dict``        ``map[string]interface {}``  map
``list``        ``[]interface {}``         slice
``MISSING``     invalid ``reflect.Value``  (printed ``<no value>``)
==============  =========================  =============================

Typed Go values (structs, ``map[string]string``, enums, nil pointers) are instances of
:class:`GoValue` subclasses (the template engine's are in ``meshctl.gotemplate.typed``); they carry their Go type
name in ``go_type`` and their kind in ``go_kind``.
"""

from __future__ import annotations


class _NoValue:
    """Go's invalid ``reflect.Value``: a missing map key, a nil pipeline result."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING = _NoValue()


class GoValue:
    """Base class of typed Go values (see :mod:`meshctl.gotemplate.typed`).

    ``go_type`` is the name ``%T`` prints; ``go_kind`` one of the kind names used by
    :func:`go_kind`. A subclass defining ``String(self)`` is a ``fmt.Stringer``.
    """

    go_type = "struct {}"
    go_kind = "struct"
    is_nil = False
    __slots__ = ()

    def go_type_name(self) -> str:
        """What ``%T`` prints for this value."""
        return type(self).go_type

    def go_method(self, name: str):
        """A bound method callable from templates (``{{.X.Name arg}}``), or None."""
        return None

    def to_plain(self):
        """This value as plain JSON-like Python data (what encoding/json would see)."""
        return self


class StructFields(tuple):
    """A Go struct as encoding/json sees it: (json field name, value) pairs in declaration order
    (gojson writes them in that order; a dict is a Go map, written in sorted key order)."""

    __slots__ = ()


def go_kind(value) -> str:
    """The reflect kind of an engine value: "invalid", "bool", "int", "uint", "float",
    "complex", "string", "map", "slice", "struct", "ptr", "interface" (nil) or "func"."""
    if value is None:
        return "interface"
    if value is MISSING:
        return "invalid"
    kind = getattr(value, "go_kind", None)
    if kind is not None and isinstance(value, GoValue):
        return kind
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, (list, tuple)):
        return "slice"
    if isinstance(value, complex):
        return "complex"
    if callable(value):
        return "func"
    return "struct"


def go_type_name(value) -> str:
    """What Go's ``%T`` prints for an engine value (``<nil>`` for nil)."""
    if value is None or value is MISSING:
        return "<nil>"
    if isinstance(value, GoValue):
        return value.go_type_name()
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}"
    if isinstance(value, complex):
        return "complex128"
    if callable(value):
        return "func(...interface {}) (interface {}, error)"
    return type(value).__name__


def is_nil(value) -> bool:
    """True for nil interfaces, invalid values and typed nil pointers/maps/slices."""
    if value is None or value is MISSING:
        return True
    return isinstance(value, GoValue) and getattr(value, "is_nil", False)


def is_true(value) -> bool:
    """Go's template truth (text/template exec.go isTrue): false for the zero value of
    bool, numbers, strings, collections of length 0, nil pointers and interfaces; structs
    are always true."""
    cls = value.__class__
    if cls is bool:
        return value
    if cls is str or cls is dict or cls is list:
        return len(value) > 0
    if value is None or value is MISSING:
        return False
    if isinstance(value, GoValue):
        kind = value.go_kind
        if kind == "struct":
            return True
        if kind == "ptr":
            return not value.is_nil
        if kind in ("map", "slice", "string"):
            return len(value) > 0
        if kind in ("int", "uint", "float", "bool"):
            return bool(value)
        return True
    if isinstance(value, (str, dict, list, tuple)):
        return len(value) > 0
    if isinstance(value, (bool, int, float, complex)):
        return value != 0
    return True


def is_empty(value) -> bool:
    """sprig's ``empty``: nil/invalid, zero numbers, "", false, empty collections and nil
    pointers are empty; structs never are."""
    return not is_true(value)


def to_plain(value):
    """Convert typed values to plain JSON-like Python data (dict/list/str/...)."""
    if isinstance(value, GoValue):
        return value.to_plain()
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if value is MISSING:
        return None
    return value
