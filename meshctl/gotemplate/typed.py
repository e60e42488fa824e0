"""Typed Go data for templates: structs, maps, slices, enums and pointers.

Istio executes its injection templates on Go structs, not on JSON maps. A struct field
always exists (an absent one holds its zero value, never ``<no value>``), ``index`` on a
``map[string]string`` gives ``""`` for a missing key, enums print their names, proto
getters are nil-safe methods, and a field read through a nil pointer is an error. This
module presents such data to the engine. Schemas are declarative::

    from meshctl.gotemplate.typed import (
        Enum, Field, INT32, ListOf, MapOf, Ptr, STRING, Struct, BoolValue,
    )

    class ContainerPort(Struct):
        go_type = "v1.ContainerPort"
        fields = [
            Field("Name", STRING, "name", omitempty=True),
            Field("ContainerPort", INT32, "containerPort"),
        ]

    class Container(Struct):
        go_type = "v1.Container"
        fields = [
            Field("Name", STRING, "name"),
            Field("Ports", ListOf(ContainerPort), "ports", omitempty=True),
        ]

    class InterceptionMode(Enum):
        go_type = "v1alpha1.ProxyConfig_InboundInterceptionMode"
        names = {0: "REDIRECT", 1: "TPROXY", 3: "NONE"}

    class ProxyConfig(Struct):
        go_type = "v1alpha1.ProxyConfig"
        proto = True  # GetX getters for every field, nil-safe on nil pointers; every field omitempty
        fields = [
            Field("InterceptionMode", InterceptionMode, "interceptionMode"),
            Field("HoldApplicationUntilProxyStarts", Ptr(BoolValue), "holdApplicationUntilProxyStarts"),
            Field("ProxyMetadata", MapOf(STRING, STRING), "proxyMetadata"),
        ]

    class Data(Struct):
        go_type = "inject.SidecarTemplateData"
        fields = [Field("ProxyConfig", Ptr(ProxyConfig), "proxyConfig")]

    data = Data.from_json({"proxyConfig": {"interceptionMode": "TPROXY"}})
    render("{{.ProxyConfig.InterceptionMode}} {{.ProxyConfig.HoldApplicationUntilProxyStarts.GetValue}}", data)
    # -> 'TPROXY false'

``Struct.from_json(dict)`` builds a value from Kubernetes/protobuf JSON (json names, and
for protos also the original snake_case names); absent fields get zero values and keys
the schema does not declare are kept in ``raw_extra`` (so ``to_json``/``to_proto_json``
never lose data). Methods: any method of a Struct subclass whose name starts with an
upper-case letter is callable from templates (``{{.Meta.Name}}`` is a field,
``{{.Meta.GetName}}`` a method).

Field types: ``STRING BOOL INT INT32 INT64 UINT32 UINT64 FLOAT64 ANY``, ``MapOf(k, v)``,
``ListOf(t)``, ``Ptr(t)``, a Struct subclass (a value struct), an Enum subclass.
Plain ``int``/``str``/``bool`` values stand for all scalar kinds, so functions receive
ordinary Python values.
"""

from __future__ import annotations

import re

from meshctl.goenc.values import MISSING, GoValue, StructFields, is_nil, to_plain


class GoType:
    """A field type: its Go name, zero value and conversion from JSON."""

    name = "interface {}"

    def zero(self):
        return None

    def wrap(self, raw):
        return raw

    def is_zero(self, value) -> bool:
        return value is None


class _Scalar(GoType):
    def __init__(self, name: str, py_type, zero_value):
        self.name = name
        self.py_type = py_type
        self.zero_value = zero_value

    def zero(self):
        return self.zero_value

    def wrap(self, raw):
        if raw is None:
            return self.zero_value
        if self.py_type is int and not isinstance(raw, bool):
            if isinstance(raw, str):
                return int(raw)  # protobuf JSON writes 64-bit integers as strings
            return int(raw)
        if self.py_type is float and isinstance(raw, (int, float, str)) and not isinstance(raw, bool):
            return float(raw)
        return raw

    def is_zero(self, value) -> bool:
        return value == self.zero_value and type(value) is type(self.zero_value)


STRING = _Scalar("string", str, "")
BOOL = _Scalar("bool", bool, False)
INT = _Scalar("int", int, 0)
INT32 = _Scalar("int32", int, 0)
INT64 = _Scalar("int64", int, 0)
UINT32 = _Scalar("uint32", int, 0)
UINT64 = _Scalar("uint64", int, 0)
FLOAT64 = _Scalar("float64", float, 0.0)


class _Any(GoType):
    """``interface {}`` / ``map[string]any`` content: plain JSON-like data, kept as is."""

    name = "interface {}"


ANY = _Any()


class _TypedCollection(GoValue):
    """Shared by typed maps and slices: the Go type they were made for (``coll_type``)
    names them; an absent field holds an empty one marked nil."""

    __slots__ = ()
    coll_type: _CollectionType | None = None
    is_nil = False

    def go_type_name(self) -> str:
        return self.coll_type.name


class GoMap(dict, _TypedCollection):
    """A typed Go map; missing keys read as ``go_zero`` through ``index``."""

    go_kind = "map"
    go_key_type = "string"
    go_zero = None

    def to_plain(self):
        return {k: to_plain(v) for k, v in self.items()}


class GoList(list, _TypedCollection):
    """A typed Go slice."""

    go_kind = "slice"

    def to_plain(self):
        return [to_plain(v) for v in self]


class _CollectionType(GoType):
    """MapOf/ListOf: each makes a GoMap/GoList subclass that knows its Go type."""

    cls: type

    def make_class(self, base: type, **attrs) -> type:
        return type(base.__name__ + "_" + re.sub(r"\W", "_", self.name), (base,), {"coll_type": self, **attrs})

    def zero(self):
        value = self.cls()
        value.is_nil = True
        return value

    def is_zero(self, value) -> bool:
        return not value


class MapOf(_CollectionType):
    def __init__(self, key: GoType, elem):
        self.key = key
        self.elem = as_type(elem)
        self.name = f"map[{key.name}]{self.elem.name}"
        self.cls = self.make_class(GoMap, go_zero=self.elem.zero(), go_key_type=key.name)

    def wrap(self, raw):
        if raw is None:
            return self.zero()
        return self.cls({str(k): self.elem.wrap(v) for k, v in raw.items()})


class ListOf(_CollectionType):
    def __init__(self, elem):
        self.elem = as_type(elem)
        self.name = "[]" + self.elem.name
        self.cls = self.make_class(GoList)

    def wrap(self, raw):
        if raw is None:
            return self.zero()
        return self.cls(self.elem.wrap(v) for v in raw)


class NilPtr(GoValue):
    """A nil pointer to a struct. Proto getters still work (they are nil-safe in Go);
    reading a field is Go's "nil pointer evaluating *T.Field" error."""

    go_kind = "ptr"
    is_nil = True
    __slots__ = ("ptr_type",)

    def __init__(self, ptr_type: Ptr):
        self.ptr_type = ptr_type

    def go_type_name(self) -> str:
        return self.ptr_type.name

    def has_field(self, name: str) -> bool:
        return name in self.ptr_type.elem.go_fields_spec

    def go_method(self, name):
        struct = self.ptr_type.elem
        if struct.proto and name.startswith("Get") and name[3:] in struct.go_fields_spec:
            zero = struct.go_fields_spec[name[3:]].type.zero
            return lambda: zero()
        if callable(getattr(struct, name, None)) and name[:1].isupper():

            def nil_receiver(*args):
                raise RuntimeError("runtime error: invalid memory address or nil pointer dereference")

            return nil_receiver
        return None

    def to_plain(self):
        return None

    def __eq__(self, other):
        return isinstance(other, NilPtr) or other is None

    def __hash__(self):
        return 0

    def __repr__(self):
        return f"NilPtr({self.ptr_type.name})"


class Ptr(GoType):
    """A pointer to a struct: the struct itself when set, :class:`NilPtr` when not."""

    def __init__(self, elem):
        self.elem = elem
        self.name = "*" + elem.go_type

    def zero(self):
        return NilPtr(self)

    def wrap(self, raw):
        if raw is None:
            return NilPtr(self)
        value = self.elem.wrap(raw)
        value.is_pointer = True
        return value

    def is_zero(self, value) -> bool:
        return isinstance(value, NilPtr)


class Field:
    """One struct field: Go name, Go type, JSON name, ``omitempty`` and extra JSON names
    accepted by ``from_json``. Also the Python attribute giving the field's value."""

    def __init__(self, name: str, type_, json: str, *, omitempty: bool = False, aliases: tuple[str, ...] = ()):
        self.name = name
        self.type = as_type(type_)
        self.json = json
        self.omitempty = omitempty
        self.aliases = aliases

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return instance._values[self.name]


class Struct(GoValue):
    """Base class of Go struct schemas (see the module docstring)."""

    go_type = "struct {}"
    go_kind = "struct"
    proto = False
    go_comparable = True
    go_fields_spec: dict[str, Field] = {}
    __slots__ = ("_values", "raw_extra", "is_pointer")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        spec = dict(getattr(cls.__mro__[1], "go_fields_spec", {}))
        for field in vars(cls).get("fields", ()):
            spec[field.name] = field
            setattr(cls, field.name, field)
        cls.go_fields_spec = spec
        # Go's == needs every field comparable: maps and slices are not.
        cls.go_comparable = all(_comparable_type(field.type) for field in spec.values())
        by_json = {}
        for name, field in spec.items():
            for key in (field.json, _snake(field.json), *field.aliases):
                by_json.setdefault(key, field)
        cls._by_json = by_json
        cls._methods = {
            name
            for klass in cls.__mro__
            if issubclass(klass, Struct) and klass is not Struct
            for name, attr in vars(klass).items()
            if name[:1].isupper() and callable(attr) and name not in spec
        }

    def __init__(self, **values):
        spec = self.go_fields_spec
        unknown = set(values) - set(spec)
        if unknown:
            raise TypeError(f"{self.go_type} has no field {sorted(unknown)[0]}")
        self._values = {name: (values[name] if name in values else field.type.zero()) for name, field in spec.items()}
        self.raw_extra = {}
        self.is_pointer = False

    # -- construction --
    @classmethod
    def zero(cls):
        return cls()

    @classmethod
    def wrap(cls, raw):
        if raw is None:
            return cls()
        if isinstance(raw, cls):
            return raw
        return cls.from_json(raw)

    @classmethod
    def from_json(cls, obj: dict):
        """Build from Kubernetes/protobuf JSON; undeclared keys go to ``raw_extra``."""
        value = cls()
        if not isinstance(obj, dict):
            raise TypeError(f"{cls.go_type}: expected an object, got {type(obj).__name__}")
        for key, raw in obj.items():
            field = cls._by_json.get(key)
            if field is None:
                value.raw_extra[key] = raw
            else:
                value._values[field.name] = field.type.wrap(raw)
        return value

    # -- the engine's protocol --
    def go_type_name(self) -> str:
        return ("*" if self.is_pointer else "") + self.go_type

    def go_field(self, name: str):
        values = self._values
        if name in values:
            return True, values[name]
        return False, MISSING

    def go_fields(self):
        return list(self._values.items())

    def has_field(self, name: str) -> bool:
        return name in self._values

    def go_method(self, name: str):
        if name in self._methods:
            return getattr(self, name)
        if self.proto and name.startswith("Get") and name[3:] in self._values:
            return lambda: self._values[name[3:]]
        return None

    # -- conversion back to data --
    def to_plain(self):
        """Field name -> plain value (Go field names), for debugging and generic code."""
        return {name: to_plain(v) for name, v in self._values.items()}

    def _json_fields(self):
        """(json name, value) of the fields encoding/json writes, in declaration order, then
        the undeclared input keys (``raw_extra``) as they were."""
        omit_all = self.proto  # protoc-gen-go tags every field `json:"name,omitempty"`
        for name, field in self.go_fields_spec.items():
            value = self._values[name]
            if not ((omit_all or field.omitempty) and _omitted(field, value)):
                yield field.json, value
        yield from self.raw_extra.items()

    def __go_json__(self) -> StructFields:
        """The struct for gojson.marshal: Go field order, json names, omitempty."""
        return StructFields(self._json_fields())

    def to_json(self) -> dict:
        """What Go's encoding/json.Marshal writes, as plain data (struct order, json names, omitempty)."""
        return {name: to_json_value(value) for name, value in self._json_fields()}

    def to_proto_json(self) -> dict:
        """protobuf JSON (:func:`proto_json`) as plain data: messages as dicts."""
        return _as_dicts(proto_json(self))

    def __eq__(self, other):
        return type(other) is type(self) and other._values == self._values

    def __hash__(self):
        return id(self)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._values.items())})"


class Enum(int, GoValue):
    """A Go integer enum with a ``String()`` method (protobuf enums)."""

    go_type = "int32"
    go_kind = "int"
    names: dict[int, str] = {}

    def __new__(cls, value=0):
        if isinstance(value, str):
            by_name = {v: k for k, v in cls.names.items()}
            if value not in by_name:
                raise ValueError(f"{cls.go_type}: unknown value {value!r}")
            value = by_name[value]
        return int.__new__(cls, value)

    @classmethod
    def zero(cls):
        return cls(0)

    @classmethod
    def wrap(cls, raw):
        return cls(0 if raw is None else raw)

    @classmethod
    def is_zero(cls, value) -> bool:
        return int(value) == 0

    def String(self) -> str:
        return self.names.get(int(self), str(int(self)))

    def go_type_name(self) -> str:
        return self.go_type

    def go_method(self, name):
        return self.String if name == "String" else None

    def to_plain(self):
        return self.String()


def as_type(t):
    """A field type from a GoType, a Struct subclass or an Enum subclass."""
    if isinstance(t, GoType):
        return t
    if isinstance(t, type) and issubclass(t, Struct):
        return _StructType(t)
    if isinstance(t, type) and issubclass(t, Enum):
        return _EnumType(t)
    if isinstance(t, (_StructType, _EnumType)):
        return t
    raise TypeError(f"not a Go type: {t!r}")


class _StructType(GoType):
    def __init__(self, cls):
        self.cls = cls
        self.name = cls.go_type

    def zero(self):
        return self.cls()

    def wrap(self, raw):
        return self.cls.wrap(raw)

    def is_zero(self, value) -> bool:
        return value == self.cls()


class _EnumType(GoType):
    def __init__(self, cls):
        self.cls = cls
        self.name = cls.go_type

    def zero(self):
        return self.cls(0)

    def wrap(self, raw):
        return self.cls.wrap(raw)

    def is_zero(self, value) -> bool:
        return int(value) == 0


def _comparable_type(t: GoType) -> bool:
    if isinstance(t, (MapOf, ListOf)):
        return False
    if isinstance(t, _StructType):
        return t.cls.go_comparable
    return True


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _omitted(field: Field, value) -> bool:
    """encoding/json isEmptyValue for an omitempty field: false, 0, "", nil pointer/interface,
    empty (or nil) map/slice. An ``interface {}`` field (ANY, which also stands for pointers to
    scalars) is empty only when nil: a pointer to 0 is written."""
    if value is None or isinstance(value, NilPtr):
        return True
    if field.type is ANY:
        return False
    if isinstance(value, Struct):
        return False
    if isinstance(value, (str, dict, list)):
        return len(value) == 0
    if isinstance(value, (bool, int, float)):
        return value == 0
    return False


def to_json_value(value):
    """Typed values to JSON-ready data, as Go's encoding/json sees them."""
    if isinstance(value, Struct):
        return value.to_json()
    if isinstance(value, Enum):
        return int(value)
    if isinstance(value, NilPtr):
        return None
    if isinstance(value, (GoMap, GoList)) and value.is_nil:
        return None
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    return value


def proto_json(value):
    """golang/protobuf jsonpb of a typed value: a message as StructFields in declaration order
    (lowerCamel names, zero values omitted, 64-bit integers as strings), enums by name, nil as
    None, maps and lists item by item. Wrappers and Durations have their own form (their
    ``to_proto_json``); plain data is taken to be the JSON form already."""
    if isinstance(value, Struct):
        if type(value).to_proto_json is not Struct.to_proto_json:
            return value.to_proto_json()
        fields = []
        for name, field in value.go_fields_spec.items():
            item = value._values[name]
            if field.type.is_zero(item):
                continue
            item = proto_json(item)
            fields.append((field.json, str(item) if field.type.name in ("int64", "uint64") else item))
        fields.extend(value.raw_extra.items())
        return StructFields(fields)
    if isinstance(value, Enum):
        return value.String()
    if is_nil(value):
        return None
    if isinstance(value, dict):
        return {k: proto_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [proto_json(v) for v in value]
    return value


def _as_dicts(value):
    if isinstance(value, StructFields):
        return {k: _as_dicts(v) for k, v in value}
    if isinstance(value, dict):
        return {k: _as_dicts(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_dicts(v) for v in value]
    return value


# ---------------------------------------------------------------------------
# protobuf well-known types used by Istio's protos


class _WrapperValue(Struct):
    """google.protobuf wrapper types (wrapperspb): their protobuf JSON is the bare value."""

    proto = True

    @classmethod
    def from_json(cls, obj):
        if isinstance(obj, dict):
            return super().from_json(obj)
        return cls(Value=cls.go_fields_spec["Value"].type.wrap(obj))

    def to_proto_json(self):
        return self.Value


class BoolValue(_WrapperValue):
    go_type = "wrapperspb.BoolValue"
    fields = [Field("Value", BOOL, "value")]


class UInt32Value(_WrapperValue):
    go_type = "wrapperspb.UInt32Value"
    fields = [Field("Value", UINT32, "value")]


class Int32Value(_WrapperValue):
    go_type = "wrapperspb.Int32Value"
    fields = [Field("Value", INT32, "value")]


class DoubleValue(_WrapperValue):
    go_type = "wrapperspb.DoubleValue"
    fields = [Field("Value", FLOAT64, "value")]


_DURATION_RE = re.compile(r"(-)?(\d+)(?:\.(\d{1,9}))?s\Z")


class Duration(Struct):
    """google.protobuf.Duration; JSON "1.5s". ``String()`` is not defined on purpose:
    Go prints the proto message, Istio's formatDuration gives "1.5s"."""

    go_type = "durationpb.Duration"
    proto = True
    fields = [Field("Seconds", INT64, "seconds"), Field("Nanos", INT32, "nanos")]

    @classmethod
    def from_json(cls, obj):
        if isinstance(obj, str):
            match = _DURATION_RE.match(obj)
            if not match:
                raise ValueError(f"invalid duration {obj!r}")
            sign = -1 if match.group(1) else 1
            nanos = int((match.group(3) or "").ljust(9, "0")) if match.group(3) else 0
            return cls(Seconds=sign * int(match.group(2)), Nanos=sign * nanos)
        return super().from_json(obj)

    def to_proto_json(self):
        seconds, nanos = self.Seconds, self.Nanos
        sign = "-" if seconds < 0 or nanos < 0 else ""
        seconds, nanos = abs(seconds), abs(nanos)
        if nanos == 0:
            return f"{sign}{seconds}s"
        frac = "%09d" % nanos
        while frac.endswith("000"):
            frac = frac[:-3]
        return f"{sign}{seconds}.{frac}s"



class OpaqueStruct(GoValue):
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
