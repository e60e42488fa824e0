"""istioctl's ``-o json`` of protos byte for byte: Go jsonpb indentation.

istioctl prints protos with ``protomarshal.ToJSONWithIndent(msg, "    ")``, i.e.
github.com/golang/protobuf/jsonpb (encode.go). Fields come in proto field order, and a
``google.protobuf.Struct`` (node metadata) is indented one level deeper than a plain message
because jsonpb passes its indent through Struct -> map -> Value. The caller gives the field order
and which fields are Structs as a small schema. (YAML: meshctl.render.data.to_yaml.)
"""

from __future__ import annotations

from collections.abc import Mapping

from meshctl.render.data import to_json

# schema: message name -> ((json field name, kind), ...) in proto field order. kind is "scalar",
# "struct" (google.protobuf.Struct), "any" (google.protobuf.Any), or another message name.
Schema = Mapping[str, tuple[tuple[str, str], ...]]


def _scalar(value) -> str:
    """Go's json.Marshal of a scalar (HTML-safe string escapes, Go's float format)."""
    return to_json(value)[:-1]


class JsonpbWriter:
    """Writes plain JSON data as jsonpb would write the proto message it represents."""

    def __init__(self, schema: Schema, indent: str = "    ") -> None:
        self.schema = schema
        self.step = indent

    def dumps(self, value: dict, message: str) -> str:
        """`value` as jsonpb writes proto message `message` (a name in the schema)."""
        return self._message(value, message, "")

    def _message(self, value: dict, message: str, indent: str, type_url: str | None = None) -> str:
        fields = dict(self.schema.get(message, ()))
        order = [name for name in fields if name in value] + [name for name in value if name not in fields and name != "@type"]
        lines = []
        if type_url is not None:
            lines.append(f"{indent}{self.step}\"@type\": {_scalar(type_url)}")
        for name in order:
            lines.append(f"{indent}{self.step}{_scalar(name)}: {self._field(value[name], fields.get(name, 'message'), indent)}")
        return "{\n" + ",\n".join(lines) + f"\n{indent}}}"

    def _field(self, value, kind: str, indent: str) -> str:
        # jsonpb marshalValue: list items sit two steps in, their messages one step deeper than the field.
        if isinstance(value, list):
            inner = indent + self.step * 2
            items = [f"\n{inner}{self._singular(item, kind, indent + self.step)}" for item in value]
            return "[" + ",".join(items) + f"\n{indent}{self.step}]"
        return self._singular(value, kind, indent)

    def _singular(self, value, kind: str, indent: str) -> str:
        if not isinstance(value, dict):
            return _scalar(value)
        if kind == "struct":
            return self._struct(value, indent + self.step)
        if kind == "any":
            type_url = str(value.get("@type", ""))
            return self._message(value, self._message_for_type(type_url), indent + self.step, type_url)
        return self._message(value, kind if kind in self.schema else "message", indent + self.step)

    def _message_for_type(self, type_url: str) -> str:
        name = type_url.rsplit(".", 1)[-1]
        return name if name in self.schema else "message"

    def _struct(self, value: dict, indent: str) -> str:
        # Struct -> its `fields` map at the same indent -> entries two steps in, each a Value message.
        inner = indent + self.step * 2
        entries = [f"\n{inner}{_scalar(k)}: {self._value(v, inner)}" for k, v in sorted(value.items())]
        return "{" + ",".join(entries) + f"\n{indent}{self.step}}}"

    def _value(self, value, indent: str) -> str:
        # A google.protobuf.Value message at `indent`: its kind oneof is marshalled at that indent.
        if isinstance(value, dict):
            return self._struct(value, indent + self.step)
        if isinstance(value, list):
            inner = indent + self.step * 3
            items = [f"\n{inner}{self._value(item, inner)}" for item in value]
            return "[" + ",".join(items) + f"\n{indent}{self.step * 2}]"
        return _scalar(value)
