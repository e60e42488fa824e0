"""JSON and YAML output shaped like istioctl's (Go encoding/json and sigs.k8s.io/yaml).

- JSON: Go's ``json.MarshalIndent(v, "", "    ")``: 4-space indent, keys in the order given
  (protobuf field order), ``<``, ``>``, ``&``, U+2028 and U+2029 escaped as Go does.
- YAML: ``yaml.JSONToYAML`` (go-yaml v2): keys in go-yaml's natural order, strings that would read
  back as another type double-quoted, multi-line strings as literal blocks, floats as Go's %g.
Both end with one newline (istioctl prints them with Fprintln).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_LEADING_SPACES = re.compile(rb"^( +)", re.MULTILINE)
# A float as orjson writes it. In indented output a number is the rest of its line after ": " or the
# indent (strings end in a quote and hold no raw newline), so this matches no text inside strings.
_FLOAT_TOKEN = re.compile(r"(?:^|(?<= ))-?\d+(?:\.\d+(?:e[-+]?\d+)?|e[-+]?\d+)(?=,?$)", re.MULTILINE)
# The ends of such tokens: patterns with a literal first character are searched fast, and most
# documents (Envoy's dumps) hold no float at all, so the full pattern rarely runs.
_FLOAT_ENDS = (re.compile(r"\.\d+(?:e[-+]\d+)?,?\n"), re.compile(r"e[-+]\d+,?\n"))


def to_json(value) -> str:
    """Go ``json.MarshalIndent(value, "", "    ")`` plus a newline.

    orjson does the encoding (speed); Go's rules where they differ come from meshctl.goenc.gojson:
    floats (1.0 is "1", 1e20 is "100000000000000000000") and the <, >, &, U+2028/9 escapes.
    """
    import orjson

    from meshctl.goenc.gojson import format_float, go_escapes

    text = orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    # orjson indents by 2; doubling each line's leading spaces gives 4 (strings hold no raw newlines).
    text = _LEADING_SPACES.sub(lambda m: m.group(1) * 2, text).decode() + "\n"
    if any(pattern.search(text) for pattern in _FLOAT_ENDS):
        text = _FLOAT_TOKEN.sub(lambda m: format_float(float(m.group())), text)
    return go_escapes(text)


# How deep `pods_document`'s "result" values sit in its JSON ({ "items": [ { "result": ...): a
# result serialized apart (`Serialized`, e.g. render.dumpjson's) is laid out this far in.
POD_RESULT_INDENT = 12


def pods_json_chunks(results, errors) -> Iterator[bytes]:
    """`to_json(pods_document(results, errors))` as chunks of bytes, each pod's result in turn:
    a `Serialized` one (laid out `POD_RESULT_INDENT` deep) passed through as it is made, any other
    encoded by `to_json` then (results are not held as one document)."""
    from meshctl.model.document import PODS, document
    from meshctl.model.tabular import Serialized

    def nested(value, depth: int) -> bytes:
        return to_json(value).rstrip("\n").replace("\n", "\n" + " " * depth).encode()

    # the document's own lines from to_json itself, its items spliced in where "items" is
    head, _, tail = nested(document(PODS, {"items": [], "errors": [{"pod": p, "error": e} for p, e in errors]}), 0).partition(b'"items": []')
    yield head + b'"items": ['
    for index, (pod, result) in enumerate(results):
        yield b"," * (index > 0) + b'\n        {\n            "pod": ' + nested(pod, 0) + b',\n            "result": '
        if isinstance(result, Serialized):
            yield from result.chunks
        else:
            yield nested(result, POD_RESULT_INDENT)
        yield b"\n        }"
    yield (b"\n    ]" if results else b"]") + tail + b"\n"


def to_yaml(value) -> str:
    """sigs.k8s.io/yaml ``JSONToYAML`` of the JSON form of `value`, plus a newline (Fprintln)."""
    # meshctl.goenc.goyaml is the one go-yaml v2 emitter of the project (injection needs it too).
    from meshctl.goenc.goyaml import marshal

    return marshal(value) + "\n"


def write_yaml(value, write) -> None:
    """`to_yaml(value)` passed to ``write(str)`` a piece at a time as it is made (never held whole)."""
    from meshctl.goenc.goyaml import marshal_to

    marshal_to(value, write)
    write("\n")
