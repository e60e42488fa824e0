"""The YAML reader under fuzzing: whatever the text, a value or `goyaml.YAMLError`, never anything else.

`inject` and `template` read YAML from the cluster, snapshots and files others send; a crash there is
exit 1 with a traceback hint instead of exit 65 and one line. Three kinds of input, each small so that
every example runs in milliseconds (alias bombs are refused by the alias limit before they expand):

- text made of YAML's own tokens (indicators, tags, anchors, aliases, merge keys, scalars that
  resolve to every type, directives, document markers, odd characters) in any order;
- well-formed documents with anchors, aliases, merge keys and explicit tags anywhere;
- Istio's injection test inputs (../shared), mutated line by line.

A value must be what sigs.k8s.io/yaml hands on: JSON (strings, finite numbers, booleans, null, lists,
string-keyed maps). Developing this test against go-yaml itself found: merge keys with a scalar, null
or an alias of a sequence (AttributeError), redefined anchors, map keys true and 1 (one Python key),
float keys at float32 precision, null and uint64 keys, explicit tags not checked, !!binary not decoded,
1e999 (a string in Go), documents after the first read by `unmarshal`, and deep nesting (RecursionError).
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshctl.goenc import goyaml

from helpers import ISTIO_TESTDATA

TOKENS = [
    "a", "key", "<<", "&a", "&b", "*a", "*b", "!!str", "!!int", "!!float", "!!bool", "!!null", "!!binary", "!!merge",
    "!!map", "!!seq", "!!timestamp", "!!set", "!custom", "!", "!<tag:yaml.org,2002:str>", "{", "}", "[", "]", ",", "?",
    ":", ": ", "- ", "|", ">", "|-", ">+", "'q'", '"d\\x41"', '"\\u263a"', "0x1F", "0o17", "017", "1e3", "1e999", "1_000",
    "1:20", "-.inf", ".nan", ".5", "+1", "2001-01-01", "2001-12-14t21:59:43.10-05:00", "~", "null", "yes", "on", "y",
    "9223372036854775808", "18446744073709551616", "-9223372036854775809", "1.1234567891", "0b101", "\n", "\n  ",
    "\n    ", "\n- ", "\n---\n", "\n...\n", "%YAML 1.1\n---\n", "%TAG ! tag:x,2000:\n---\n", " #c", "\t", "\x85", "\ufeff",
    "é", "\U0001f600", " ",
]  # fmt: skip
SCALARS = [
    "a", "1", "-1", "1.5", "0x10", "017", "1e3", "1e999", "yes", "no", "~", "null", "", ".inf", ".nan", "2001-01-01",
    "18446744073709551616", "1.1234567891", "<<", "'<<'", '"x"', "0b101", "true",
]  # fmt: skip
TAGS = ["", "", "", "!!str ", "!!int ", "!!float ", "!!bool ", "!!null ", "!!binary ", "!!timestamp ", "!!merge ", "!x ", "! "]


def _is_json(value) -> bool:
    json.dumps(value, allow_nan=False)  # finite numbers, string keys, nothing but JSON's types
    return True


def _decode_both(text: str) -> None:
    for decode in (goyaml.unmarshal, goyaml.unmarshal_all):
        try:
            value = decode(text)
        except goyaml.YAMLError as exc:
            assert str(exc) and "\n" not in str(exc)  # one line for the error boundary
        else:
            assert _is_json(value)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(TOKENS), st.sampled_from(["", " "])), min_size=1, max_size=30))
def test_token_soup_decodes_or_is_refused(tokens):
    _decode_both("".join(token + gap for token, gap in tokens))


@st.composite
def documents(draw) -> str:
    """A document in block and flow style with anchors, aliases (of anchors defined before) and merge keys."""
    anchors: list[str] = []

    def node(depth: int) -> str:
        if anchors and draw(st.booleans()) and draw(st.booleans()):
            return "*" + draw(st.sampled_from(anchors))
        anchor = draw(st.sampled_from(["", "", "", "a", "b", "c"]))
        prefix = f"&{anchor} " if anchor else ""
        shape = draw(st.sampled_from(["scalar", "scalar", "list", "map"])) if depth < 3 else "scalar"
        if shape == "scalar":
            text = prefix + draw(st.sampled_from(TAGS)) + draw(st.sampled_from(SCALARS))
        elif shape == "list":
            text = prefix + "[" + ", ".join(node(depth + 1) for _ in range(draw(st.integers(0, 3)))) + "]"
        else:
            keys = [draw(st.sampled_from(["<<", "<<", "k", "1", "yes", "~", "1.5"])) for _ in range(draw(st.integers(0, 3)))]
            text = prefix + "{" + ", ".join(f"{key}: {node(depth + 1)}" for key in keys) + "}"
        if anchor:
            anchors.append(anchor)  # usable after its definition, as in the text
        return text

    lines = [f"{draw(st.sampled_from(['<<', 'k0', 'k1', 'k2', '1', 'on']))}: {node(0)}" for _ in range(draw(st.integers(1, 5)))]
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_documents_with_anchors_aliases_and_merges_decode_or_are_refused(text):
    _decode_both(text)


def _injection_inputs() -> list[str]:
    inputs = sorted((ISTIO_TESTDATA / "pkg/kube/inject/testdata/inject").glob("*.yaml"))
    return [path.read_text() for path in inputs[:80]]


INJECTION_INPUTS = _injection_inputs() if ISTIO_TESTDATA.exists() else ["apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n"]
EDITS = ["&a ", "*a", "<<: ", "<<: *a", "- ", "? ", ": ", "!!int ", "!!binary ", "{", "[", "'", '"', "|", "\t", "#"]


@st.composite
def mutated_inputs(draw) -> str:
    lines = draw(st.sampled_from(INJECTION_INPUTS)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        index = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["delete", "copy", "insert", "indent", "dedent"]))
        if edit == "delete":
            del lines[index]
        elif edit == "copy":
            lines.insert(index, lines[draw(st.integers(0, len(lines) - 1))])
        elif edit == "insert":
            at = draw(st.integers(0, len(lines[index])))
            lines[index] = lines[index][:at] + draw(st.sampled_from(EDITS)) + lines[index][at:]
        elif edit == "indent":
            lines[index] = "  " + lines[index]
        else:
            lines[index] = lines[index].lstrip(" ")
    return "".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_inputs())
def test_mutated_injection_inputs_decode_or_are_refused(text):
    _decode_both(text)
