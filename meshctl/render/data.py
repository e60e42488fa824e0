"""JSON and YAML output shaped like istioctl's (Go encoding/json and sigs.k8s.io/yaml).

- JSON: Go's ``json.MarshalIndent(v, "", "    ")``: 4-space indent, keys in the order given
  (protobuf field order), ``<``, ``>``, ``&``, U+2028 and U+2029 escaped as Go does.
- YAML: ``yaml.JSONToYAML`` (go-yaml v2): keys in go-yaml's natural order, strings that would read
  back as another type double-quoted, multi-line strings as literal blocks, floats as Go's %g.
Both end with one newline (istioctl prints them with Fprintln).
"""

from __future__ import annotations

import re

_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_GO_ESCAPE_RE = re.compile("[<>&\u2028\u2029]")
_LEADING_SPACES = re.compile(rb"^( +)", re.MULTILINE)


def to_json(value) -> str:
    """Go ``json.MarshalIndent(value, "", "    ")`` plus a newline."""
    import orjson

    text = orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    # orjson indents by 2; doubling each line's leading spaces gives 4 (strings hold no raw newlines).
    text = _LEADING_SPACES.sub(lambda m: m.group(1) * 2, text).decode()
    return _GO_ESCAPE_RE.sub(lambda m: _GO_ESCAPES[m.group(0)], text) + "\n"


def to_yaml(value) -> str:
    """sigs.k8s.io/yaml ``JSONToYAML`` of the JSON form of `value`, plus a newline (Fprintln)."""
    # meshctl.gotemplate.goyaml is the one go-yaml v2 emitter of the project (injection needs it too).
    from meshctl.gotemplate.goyaml import marshal

    return marshal(value) + "\n"
