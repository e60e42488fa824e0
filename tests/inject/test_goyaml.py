"""goyaml: sigs.k8s.io/yaml Marshal/Unmarshal semantics (go-yaml v2 emitter and resolver)."""

from __future__ import annotations

import re

import pytest

from meshctl.goenc import goyaml

from helpers import ISTIO_TESTDATA, require_shared


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", '""'),
        ("true", '"true"'),
        ("y", '"y"'),
        ("No", '"No"'),
        ("~", '"~"'),
        ("null", '"null"'),
        ("15020", '"15020"'),
        ("1.0", '"1.0"'),
        ("1e3", '"1e3"'),
        ("0x1F", '"0x1F"'),
        ("08", '"08"'),
        ("1_000", '"1_000"'),
        ("1:20", '"1:20"'),
        ("2006-01-02", '"2006-01-02"'),
        (".inf", '".inf"'),
        ("-", "'-'"),
        ("*", "'*'"),
        ("a: b", "'a: b'"),
        ("'x", "'''x'"),
        ("{}", "'{}'"),
        ("it's", "it's"),
        ("a b", "a b"),
        (" lead", "' lead'"),
        ("trail ", "'trail '"),
        ("a\tb", '"a\\tb"'),
        ("x #y", "'x #y'"),
        ("x#y", "x#y"),
        ("fake.docker.io/img:1.0", "fake.docker.io/img:1.0"),
        ("$(POD_NAMESPACE).svc.cluster.local", "$(POD_NAMESPACE).svc.cluster.local"),
        ("ünïcode", "ünïcode"),
        ("emoji 😀", '"emoji \\U0001F600"'),
        (None, "null"),
        (True, "true"),
        (80, "80"),
        (80.0, "80"),
        (1.5, "1.5"),
        (1e21, "1e+21"),
        (1234567.5, "1.2345675e+06"),
        (0.00001, "1e-05"),
        ({}, "{}"),
        ([], "[]"),
    ],
)
def test_marshal_scalars(value, expected):
    assert goyaml.marshal({"k": value}) == f"k: {expected}\n"


def test_marshal_block_layout():
    # "y" is a YAML 1.1 boolean, so go-yaml quotes it even as a key.
    value = {"b": [1, {"y": 2, "x": [3]}, [4, 5]], "a": {"c": "x\ny", "d": "z\n"}}
    assert goyaml.marshal(value) == (
        "a:\n  c: |-\n    x\n    y\n  d: |\n    z\nb:\n- 1\n- x:\n  - 3\n  \"y\": 2\n- - 4\n  - 5\n"
    )


def test_key_order_is_go_yaml_natural_order():
    keys = ["a10", "a9", "a-b", "aB", "a_b", "ab", "b", "A"]
    assert goyaml.sorted_keys(keys) == ["A", "a-b", "a_b", "a9", "a10", "aB", "ab", "b"]
    # unicode.IsDigit is Nd only: a superscript is no digit (a digit run of value 0 then, as Go reads it)
    assert goyaml.sorted_keys(["a2", "a10", "a\u00b9"]) == ["a\u00b9", "a2", "a10"]


def test_long_plain_strings_fold_at_80_columns():
    text = " ".join(["word"] * 30)
    out = goyaml.marshal({"description": text})
    lines = out.splitlines()
    assert len(lines) > 1 and all(line.startswith("  ") for line in lines[1:])
    assert goyaml.unmarshal(out) == {"description": text}


def test_unmarshal_resolves_like_go_yaml_and_json_numbers_are_float64():
    doc = "a: yes\nb: 1e3\nc: 2020-01-01\nd: 0x10\ne: '8'\nf: ~\ng: [1, on]\n"
    assert goyaml.unmarshal(doc) == {"a": True, "b": 1000.0, "c": "2020-01-01", "d": 16.0, "e": "8", "f": None, "g": [1.0, True]}
    assert goyaml.unmarshal(doc, float_numbers=False)["d"] == 16


def test_unmarshal_bad_yaml_raises_yaml_error():
    with pytest.raises(goyaml.YAMLError):
        goyaml.unmarshal("a: [1, 2\n")


def test_split_documents():
    assert goyaml.split_documents("a: 1\n---\n# only a comment\n---\nb: 2\n") == ["a: 1\n", "b: 2\n"]


def test_goldens_round_trip_byte_identical():
    """Every typed object Istio wrote with sigs.k8s.io/yaml reads back and re-marshals to the same bytes."""
    root = require_shared(ISTIO_TESTDATA / "pkg/kube/inject/testdata/inject")
    checked = 0
    for golden in sorted(root.glob("*.injected")):
        for doc in golden.read_text().split("---\n"):
            value = goyaml.unmarshal(doc, float_numbers=False) if doc.strip() else None
            if not isinstance(value, dict) or "status" not in value:
                continue  # raw pass-through documents (e.g. Services) keep the input's layout
            assert goyaml.marshal(value) == doc, golden.name
            checked += 1
    assert checked > 80


def _aliased(copies: int) -> str:
    # decoded nodes: 6 + 9 + copies * 11, of which copies * 10 in alias expansions
    return "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: [" + ", ".join(["*a"] * copies) + "]\n"


def test_alias_expansion_follows_go_yamls_ratio():
    # go-yaml v2 decode.go allowedAliasRatio: 99% of decoded nodes may come from aliases up to 400 000
    # nodes, then a share falling linearly to 10% at 4 000 000. Here 10 of every 11 nodes come from an
    # alias: 66121 copies (727346 nodes, 90.9071% aliased) are within 0.99 - 0.89 * 327346 / 3.6e6 =
    # 90.9073%; one more copy (90.90721% of 727357) is over 90.90701%.
    assert len(goyaml.unmarshal(_aliased(66_121))["b"]) == 66_121
    with pytest.raises(goyaml.YAMLError, match="excessive aliasing: aliases expand to 661220 of the first 727357 nodes"):
        goyaml.unmarshal(_aliased(66_122))


def test_deeply_nested_aliases_fail_before_expanding():
    levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'] + [
        f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]" for p, c in zip("abcdefgh", "bcdefghi")]
    with pytest.raises(goyaml.YAMLError, match="excessive aliasing"):
        goyaml.unmarshal("\n".join(levels))
    # a few levels are within the limit, and expand as go-yaml expands them
    assert len(goyaml.unmarshal("\n".join(levels[:3]))["c"]) == 9


def test_an_anchor_cannot_contain_itself():
    with pytest.raises(goyaml.YAMLError, match="contains an alias of itself"):
        goyaml.unmarshal("a: &a {b: *a}")


# What go-yaml v2.4 and sigs.k8s.io/yaml's conversion make of each document (checked against the Go
# libraries: gopkg.in/yaml.v2 v2.4.0 Unmarshal into interface{}, then convertToJSONableObject): a
# value, or an error containing the text given.
GO_DECODES = [
    # decode.go merge(): a mapping, an alias of one, or a sequence of them; anything else fails
    ("<<: x\n", "map merge requires map or sequence of maps as the value"),
    ("a: {<<: [1]}\n", "map merge requires map or sequence of maps"),
    ("a: &x 1\nb: {<<: *x}\n", "map merge requires map or sequence of maps"),
    ("a: {<<: ~}\n", "map merge requires map or sequence of maps"),
    ("x: &s [{a: 1}]\ny: {<<: *s}\n", "map merge requires map or sequence of maps"),
    # a merge writes its keys where it stands: what comes later wins; in a sequence, earlier maps win
    ("a: 1\n<<: {a: 2}\n", {"a": 2}),
    ("<<: {a: 2}\na: 1\n", {"a": 1}),
    ("<<: [{a: 1}, {a: 2, b: 2}]\n", {"a": 1, "b": 2}),
    ("! <<: {a: 1}\n", {"a": 1}),
    ('"<<": {a: 1}\n', {"<<": {"a": 1}}),
    # anchors may be redefined: an alias names the latest
    ("a: &x 1\nb: &x 2\nc: *x\n", {"a": 1, "b": 2, "c": 2}),
    ("a: &a [*a]\n", "contains"),
    # map keys as sigs.k8s.io/yaml names them (floats at float32 precision), or refuses them
    ("? null\n: 1\n", "unsupported map key of type"),
    ("? 18446744073709551615\n: 1\n", "unsupported map key of type: uint64"),
    ("? 1.1234567891\n: 1\n", {"1.1234568": 1}),
    ("{yes: 1, 1: 2}\n", {"true": 1, "1": 2}),
    # explicit tags: the text must resolve to the tag (an int may be a !!float); !!binary is base64
    ("a: !!binary aGVsbG8=\n", {"a": "hello"}),
    ('a: !!binary "/w=="\n', {"a": "\ufffd"}),
    ('a: !!binary "!!"\n', "!!binary value contains invalid base64 data"),
    ("a: !!float 1\n", {"a": 1.0}),
    ("a: !!int 1.5\n", "cannot decode !!float `1.5` as a !!int"),
    ("a: !!float 9223372036854775808\n", "cannot decode !!int `9223372036854775808` as a !!float"),
    ("a: !!timestamp 2001-01-01\n", {"a": "2001-01-01"}),
    ("a: !!int 2001-01-01\n", "cannot decode !!str `2001-01-01` as a !!int"),
    ("a: !!bool yes\n", {"a": True}),
    ("a: !!null x\n", "cannot decode !!str `x` as a !!null"),
    ("a: !custom 12\n", {"a": "12"}),
    ("a: ! 12\n", {"a": "12"}),
    # a float out of range is a string; NaN has no JSON form
    ("a: 1e999\n", {"a": "1e999"}),
    ("a: .nan\n", "json: unsupported value: NaN"),
    # Unmarshal reads the first document only, whatever follows
    ("a: 1\n---\nb: 2\n", {"a": 1}),
    ("a: 1\n--- ]\n", {"a": 1}),
]


@pytest.mark.parametrize(("text", "expected"), GO_DECODES, ids=[t[:30] for t, _ in GO_DECODES])
def test_documents_decode_as_go_yaml_decodes_them(text, expected):
    if isinstance(expected, str):
        with pytest.raises(goyaml.YAMLError, match=re.escape(expected)):
            goyaml.unmarshal(text)
        return
    assert goyaml.unmarshal(text) == expected


def test_deep_nesting_is_decoded_or_refused_never_a_crash():
    # go-yaml's parser allows 10000 levels, libyaml (PyYAML's) 1000: deeper text is refused by the parser
    value = goyaml.unmarshal("[" * 900 + "]" * 900)
    for _ in range(899):
        assert isinstance(value, list) and len(value) == 1
        value = value[0]
    assert value == []
    with pytest.raises(goyaml.YAMLError, match="nesting depth"):
        goyaml.unmarshal("[" * 20000 + "]" * 20000)
    # aliases nest deeper than the text: each anchor holds the previous one 900 levels down
    levels = ["a0: &a0 x"] + [f"a{i}: &a{i} " + "[" * 900 + f"*a{i - 1}" + "]" * 900 for i in range(1, 26)]
    with pytest.raises(goyaml.YAMLError, match="nests too deeply"):
        goyaml.unmarshal("\n".join(levels) + "\n")
