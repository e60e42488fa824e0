"""`pc all -o yaml` made from the dump's bytes (meshctl.render.dumpyaml) prints what the general
path prints (decode, `full_dump`, `render.data.to_yaml`), byte for byte, with the same warnings,
and redacted as the general path's output is redacted whole."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshctl.commands.pc.all_config import full_dump
from meshctl.decode.configdump import parse
from meshctl.redact import redact_text
from meshctl.render import dumpyaml
from meshctl.render.data import to_yaml
from meshctl.render.dumpyaml import istioctl_dump_yaml

from helpers import ISTIO_TESTDATA, call_meshctl, require_shared
from helpers.wholedumps import B64_KEY, CASES, CRAFTED, SHARED_DUMPS, any_of, dump_with, envoy_json


def general_path(data: bytes, raw: bool = False) -> tuple[bytes, list[str]]:
    dump = parse(data)
    return to_yaml(full_dump(dump, raw)).encode(), dump.warnings


def byte_path(data: bytes, raw: bool = False) -> tuple[bytes, list[str]]:
    streamed = istioctl_dump_yaml(data, raw)
    assert streamed is not None, "the dump should take the byte path"
    chunks, warnings = streamed
    return b"".join(chunks), warnings


@pytest.fixture(params=[1 << 16, 1], ids=["whole-fields", "items"])
def split(request, monkeypatch):
    """The entries' lists of objects cut into items past `_SPLIT` bytes: never (these dumps are
    small), or always."""
    monkeypatch.setattr(dumpyaml, "_SPLIT", request.param)
    return request.param


@pytest.mark.parametrize("raw", [False, True], ids=["istioctl", "raw"])
def test_crafted_dump_as_the_general_path(raw, split):
    data = envoy_json(CRAFTED)
    assert byte_path(data, raw) == general_path(data, raw)


@pytest.mark.parametrize("path", SHARED_DUMPS)
@pytest.mark.parametrize("raw", [False, True], ids=["istioctl", "raw"])
def test_shared_dumps_as_the_general_path(path, raw, split):
    data = require_shared(ISTIO_TESTDATA / path).read_bytes()
    assert byte_path(data, raw) == general_path(data, raw)


@pytest.mark.parametrize("raw", [False, True], ids=["istioctl", "raw"])
def test_compact_input_as_the_general_path(raw, split):
    data = json.dumps(CRAFTED, separators=(",", ":")).encode()
    assert byte_path(data, raw) == general_path(data, raw)


def test_lists_with_other_items_between_objects(split):
    """Objects of an entry's list with empty objects, scalars and lists between them: the pieces
    cut between two objects then hold several items (made by the general path)."""
    cluster = any_of("envoy.config.cluster.v3.Cluster", name="a", connect_timeout="1s")
    items = [{"cluster": cluster}, {}, 1, "two", [3, {"x_y": 1}], None, {"cluster": cluster, "version_info": "v"}, {"z": []}]
    data = envoy_json({"configs": [any_of("envoy.admin.v3.ClustersConfigDump", version_info="1", static_clusters=items,
                                          dynamic_active_clusters=[{"cluster": cluster}, [], {"cluster": cluster}])]})  # fmt: skip
    assert byte_path(data) == general_path(data)


def test_keys_given_twice_and_keys_that_camelcase_alike(split):
    """JSON with a key given twice (the last value is decoded, in the first one's place) and keys
    that are one name once camelCased (`_convert` keeps the last), in messages, maps and Structs."""
    cluster = (
        b'{"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "a", "alt_stat_name": "1",'
        b' "altStatName": "2", "name": "b", "connect_timeout": "1s", "connect_timeout": "2s", "metadata": {"filter_metadata":'
        b' {"k_k": 1, "kK": 2, "k_k": 3}}, "typed_extension_protocol_options": {"a_b": {"@type": "x.Y", "c_d": 1, "cD": 2}, "aB": 1},'
        b' "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster"}'
    )  # fmt: skip
    entry = b'{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "version_info": "1", "static_clusters": [{"cluster": %s}, {"cluster": %s}], "version_info": "2"}'
    data = b'{"configs": [' + entry % (cluster, cluster) + b"]}"
    assert byte_path(data) == general_path(data)


@pytest.mark.parametrize("text", [": ", ": x", '": ', '"', '": "', "a\\\": b", ":", " : "])
def test_strings_that_look_like_a_key_are_items_and_values(text, split):
    """A list item or a value whose JSON text holds '": ' (its opening quote, then ": ") is a string, not a key."""
    data = envoy_json(random_dump([text, [text, {"k": text}]]))
    assert byte_path(data) == general_path(data)


def test_numbers_as_json_text_gives_them(split):
    """Numbers are read as `parse` reads them (orjson): "-0" is 0, past 64 bits a float, 1.0 is 1."""
    numbers = b'"a": -0, "b": 18446744073709551616, "c": -9223372036854775809, "d": 1.0, "e": 1E5, "f": -0.0, "g": 1e-400, "h": 123456789012345678'
    data = b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "version_info": "1", "static_clusters": [{%s}, {%s}]}]}'
    assert byte_path(data % (numbers, numbers)) == general_path(data % (numbers, numbers))


def test_a_number_past_float64_is_one_error_line(tmp_path):
    """1e400 is valid JSON that `parse` refuses: exit 65 and one line (after what was written before it)."""
    dump = tmp_path / "dump.json"
    dump.write_bytes(b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "version_info": "1", "x": 1e400}]}')
    result = call_meshctl("pc", "all", "-f", str(dump), "-o", "yaml")
    assert result.exit_code == 65 and result.stderr.startswith("meshctl: error: config dump is not valid JSON") and len(result.stderr.splitlines()) == 1


def test_struct_types_decide_which_values_are_data(split):
    """A TypedStruct's (Struct's, Value's) "value" is data, also when its "@type" comes after it or
    is given twice; another message's "value" is not."""
    typed = b'{"value": {"a_b": {"c_d": 1}}, "@type": "type.googleapis.com/udpa.type.v1.TypedStruct"}'
    twice = b'{"@type": "type.googleapis.com/udpa.type.v1.TypedStruct", "value": {"a_b": 1}, "@type": "type.googleapis.com/x.Other"}'
    other = b'{"@type": "type.googleapis.com/x.Other", "value": {"a_b": 1}}'
    items = b", ".join(b'{"name": "l%d", "typed_config": %s}' % (index, config) for index, config in enumerate((typed, twice, other)))
    data = b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump", "version_info": "1", "static_listeners": [%s]}]}' % items
    assert byte_path(data) == general_path(data)


def test_inputs_the_byte_path_leaves_to_the_general_one():
    assert istioctl_dump_yaml(b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "versionInfo": "1"}]}') is None
    assert istioctl_dump_yaml(b'{"configs": []}') is None


# -- redaction: the output passes the redaction step as the general path's does ----------------------


def redacted_whole(data: bytes, raw: bool = False) -> str:
    return redact_text(to_yaml(full_dump(parse(data), raw)))


@pytest.mark.parametrize(("name", "how", "key", "secrets"), CASES, ids=[f"{name}-{how}" for name, how, _, _ in CASES])
def test_every_key_form_anywhere_in_a_dump_is_redacted_as_the_general_path(name, how, key, secrets, tmp_path):
    dump = tmp_path / "dump.json"
    dump.write_bytes(envoy_json(dump_with(key)))
    result = call_meshctl("pc", "all", "-f", str(dump), "-o", "yaml")
    assert (result.exit_code, result.stdout) == (0, redacted_whole(dump.read_bytes()))
    assert not [secret for secret in secrets if secret in result.stdout]


@pytest.mark.parametrize("raw", [False, True], ids=["istioctl", "raw"])
def test_a_key_in_many_items_is_redacted(raw, tmp_path, monkeypatch):
    monkeypatch.setattr(dumpyaml, "_SPLIT", 1)
    dump = tmp_path / "dump.json"
    dump.write_bytes(envoy_json(dump_with(B64_KEY, clusters=30)))
    result = call_meshctl("pc", "all", "-f", str(dump), "-o", "yaml", *(["--raw"] if raw else []))
    assert (result.exit_code, result.stdout) == (0, redacted_whole(dump.read_bytes(), raw))
    assert B64_KEY not in result.stdout


# -- random dumps ----------------------------------------------------------------------------------

# strings go-yaml writes in every style: plain, single- and double-quoted (words and numbers that
# would read back as another type, indicators, control characters), literal blocks, folded at 80
_STYLED = st.sampled_from([
    "", "yes", "No", "on", "OFF", "null", "~", "true", "1", "-0", "0x1F", "0o17", "1e3", "1.5", ".5", "+1", "1_000", ".inf", ".NaN",
    "2026-01-01", "2026-01-01T00:00:00Z", "12:30", "1:20:30", "8080", "10.0.0.1", "1.2.3", "1.2.3-4", "0.1.2:3", "-", "- a", "a: b",
    "a:", "a:b", "#x", "a #b", "a#b", "'q'", 'say "hi"', "@at", "`tick", "!tag", "&anchor", "*alias", "|", ">", "%", "?", "? x",
    "[a]", "{a}", "a,b", "...", "---", "..x", " lead", "trail ", "tab\there", "a\nb", "a\n", "\n", "a\n\n", " a\nb", "a \nb",
    "é", "日本", "\u2028", "\x85", "\x00", "\x1b[31m", "\x7f", "\ufeff", "\U0001f600", "outbound|80||a.b.svc.cluster.local",
    "a" * 100, ("word " * 30).strip(), ("w  " * 40).strip(), "line one\nline two is long " + "x " * 50, "<b>&amp;</b>",
    "/path/to", "./etc/istio", "a=b", "$var", "(x)", "y", "Y", "n", "a\\b",
])  # fmt: skip
_string = st.one_of(_STYLED, st.text(max_size=12), st.text(alphabet="ab :-#\n'\"|09.\\é", max_size=120))
_KEYS = st.sampled_from([
    "name", "a_b", "aB", "http2_protocol_options", "x_1", "a10", "a9", "a_10", "A", "Z_z", "_x", "1", "01", "10", "a.b", "yes", "",
    "k" * 40, "k" * 130, "é" * 70, "a\nb", "a b", "-a", "@x", "metadata", "filter_metadata", "value", "match", "policies",
    "key_values", "static_layer", "typed_per_filter_config", "filter", "path",
])  # fmt: skip
_key = st.one_of(_KEYS, st.text(max_size=8))
_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False), _string)
_value = st.recursive(_scalar, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_key, inner, max_size=4)), max_leaves=14)


def random_dump(values: list) -> dict:
    clusters = [{"version_info": "v", "cluster": any_of(
        "envoy.config.cluster.v3.Cluster", name=f"c{index}", description=value, alt_stat_name=value, other_field=value,
        metadata={"filter_metadata": {"istio": value}} if index % 2 else value,
        typed_extension_protocol_options={"x.y": any_of("x.Options", some_field=value), "a_b": any_of("x.Y", value=value)},
        transport_socket_matches=[{"name": "m", "match": value}],
        typed_config=any_of("udpa.type.v1.TypedStruct", type_url="type.googleapis.com/x.Y", value=value),
    )} for index, value in enumerate(values)]  # fmt: skip
    return {"configs": [
        any_of("envoy.admin.v3.ClustersConfigDump", version_info="1", dynamic_active_clusters=clusters, static_clusters=values),
        any_of("envoy.admin.v3.FutureConfigDump", some_field=values),
    ]}  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(values=st.lists(_value, min_size=1, max_size=4), split=st.sampled_from([1, 1 << 16]), raw=st.booleans())
def test_random_dumps_as_the_general_path(values, split, raw):
    data = envoy_json(random_dump(copy.deepcopy(values)))
    saved = dumpyaml._SPLIT
    dumpyaml._SPLIT = split
    try:
        assert byte_path(data, raw) == general_path(data, raw)
    finally:
        dumpyaml._SPLIT = saved
