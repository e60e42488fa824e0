"""meshctl.goenc.gojson against Go encoding/json's documented and tested behaviour (Go 1.22+)."""

from __future__ import annotations

import math
import re

import pytest

from meshctl.goenc import gojson
from meshctl.goenc.gojson import JSONError, StructFields, marshal, marshal_indent, unmarshal

# encode.go floatEncoder: 'f' format with shortest digits; 'e' below 1e-6 and from 1e21, "e-07" -> "e-7".
FLOATS = [
    (0.0, "0"),
    (-0.0, "-0"),
    (1.0, "1"),
    (17.0, "17"),
    (1e6, "1000000"),
    (0.1, "0.1"),
    (100.5, "100.5"),
    (123456789.123, "123456789.123"),
    (1e20, "100000000000000000000"),
    (1e21, "1e+21"),
    (1.5e300, "1.5e+300"),
    (0.000001, "0.000001"),
    (0.000001234, "0.000001234"),
    (1e-7, "1e-7"),
    (1.5e-7, "1.5e-7"),
    (1e-10, "1e-10"),
    (-2.5e-8, "-2.5e-8"),
    (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (2.0**53, "9007199254740992"),
]


@pytest.mark.parametrize(("value", "expected"), FLOATS)
def test_float_format(value, expected):
    assert gojson.format_float(value) == expected
    assert marshal(value) == expected


@pytest.mark.parametrize(("value", "message"), [(math.nan, "NaN"), (math.inf, "+Inf"), (-math.inf, "-Inf")])
def test_unsupported_floats_error_like_go(value, message):
    with pytest.raises(JSONError, match=rf"^json: unsupported value: {re.escape(message)}$"):
        marshal([value])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<a href='x'>&</a>", '"\\u003ca href=\'x\'\\u003e\\u0026\\u003c/a\\u003e"'),
        ("line\u2028sep\u2029", '"line\\u2028sep\\u2029"'),
        ('q"b\\s/', '"q\\"b\\\\s/"'),
        # Go 1.22 writes \b and \f short; other controls as lowercase \u00XX; DEL stays raw.
        ("\b\f\n\r\t", '"\\b\\f\\n\\r\\t"'),
        ("\x00\x1f\x7f", '"\\u0000\\u001f\x7f"'),
        ("héllo ☃ 😀", '"héllo ☃ 😀"'),
        # invalid UTF-8 (surrogateescape bytes, lone surrogates) becomes U+FFFD
        ("a\udcffb", '"a\ufffdb"'),
    ],
)
def test_string_escaping(value, expected):
    assert marshal(value) == expected


def test_set_escape_html_false_keeps_html_but_not_line_separators():
    assert marshal("<&>\u2028", escape_html=False) == '"<&>\\u2028"'


def test_maps_sorted_by_key_bytes_and_nesting():
    value = {"b": [1.0, "x", None, True, False], "a": {}, "B": [], "é": 1, "1": {"z": 1, "y": 2}}
    assert marshal(value) == '{"1":{"y":2,"z":1},"B":[],"a":{},"b":[1,"x",null,true,false],"é":1}'


def test_int_map_keys_are_stringified_and_sorted_as_strings():
    assert marshal({10: "a", 9: "b"}) == '{"10":"a","9":"b"}'


def test_marshal_indent_matches_go_layout():
    value = {"b": [1.0, {}], "a": [], "c": {"d": None}}
    assert marshal_indent(value) == '{\n  "a": [],\n  "b": [\n    1,\n    {}\n  ],\n  "c": {\n    "d": null\n  }\n}'
    assert marshal_indent([]) == "[]"
    assert marshal_indent("x") == '"x"'


def test_struct_fields_keep_declaration_order():
    port = StructFields([("name", "http"), ("containerPort", 80), ("protocol", "TCP")])
    assert marshal(port) == '{"name":"http","containerPort":80,"protocol":"TCP"}'
    assert marshal(StructFields()) == "{}"


def test_go_json_hook_is_used_for_typed_values():
    class Port:
        def __go_json__(self):
            return StructFields([("containerPort", 8080)])

    assert marshal({"p": [Port()]}) == '{"p":[{"containerPort":8080}]}'


def test_unsupported_type_error():
    with pytest.raises(JSONError, match=r"^json: unsupported type: "):
        marshal({"f": object()})
    with pytest.raises(JSONError, match=r"^json: unsupported type: map\[float64\]interface \{\}$"):
        marshal({1.5: "x"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a":1,"b":[1e3,-0.5,"x",true,null]}', {"a": 1.0, "b": [1000.0, -0.5, "x", True, None]}),
        (" \t\r\n[] \n", []),
        ('"\\u00e9\\ud83d\\ude00"', "é😀"),
        ('"\\ud800x"', "\ufffdx"),  # a lone surrogate escape decodes to U+FFFD in Go
        ('{"a":1,"a":2}', {"a": 2.0}),
        ("123456789012345678901234567890", 1.2345678901234568e29),
    ],
)
def test_unmarshal_into_any(text, expected):
    value = unmarshal(text)
    assert value == expected
    assert all(type(v) is float for v in _numbers(value))


def test_unmarshal_bytes_with_invalid_utf8():
    assert unmarshal(b'"a\xffb"') == "a\ufffdb"


def _numbers(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


# Messages as Go's encoding/json reports them (scanner.go).
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "unexpected end of JSON input"),
        ("  ", "unexpected end of JSON input"),
        ("{", "unexpected end of JSON input"),
        ('{"a":"b', "unexpected end of JSON input"),
        ("nul", "unexpected end of JSON input"),
        ("nux", "invalid character 'x' in literal null (expecting 'l')"),
        ("trux", "invalid character 'x' in literal true (expecting 'e')"),
        ("x", "invalid character 'x' looking for beginning of value"),
        ("NaN", "invalid character 'N' looking for beginning of value"),
        ("{'a':1}", "invalid character '\\'' looking for beginning of object key string"),
        ('{"a" 1}', "invalid character '1' after object key"),
        ('{"a":1 "b":2}', "invalid character '\"' after object key:value pair"),
        ('{"a":1,}', "invalid character '}' looking for beginning of object key string"),
        ("[1,]", "invalid character ']' looking for beginning of value"),
        ("[1 2]", "invalid character '2' after array element"),
        ('["]" 1]', "invalid character '1' after array element"),
        ("1 2", "invalid character '2' after top-level value"),
        ("01", "invalid character '1' after top-level value"),
        ("-", "unexpected end of JSON input"),
        ("-a", "invalid character 'a' in numeric literal"),
        ("1.a", "invalid character 'a' after decimal point in numeric literal"),
        ("1ex", "invalid character 'x' in exponent of numeric literal"),
        ('"\\x"', "invalid character 'x' in string escape code"),
        ('"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"),
        ('"a\nb"', "invalid character '\\n' in string literal"),
        ('"a\x01"', "invalid character '\\x01' in string literal"),
        ("1e400", "json: cannot unmarshal number 1e400 into Go value of type float64"),
    ],
)
def test_unmarshal_errors_use_go_messages(text, message):
    with pytest.raises(JSONError) as info:
        unmarshal(text)
    assert str(info.value) == message


def test_roundtrip_preserves_values():
    value = {"s": "<x>", "n": [0.1, 1e21, -0.0], "m": {"k": None}}
    assert unmarshal(marshal(value)) == value
