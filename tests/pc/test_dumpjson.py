"""`pc all -o json` made from the dump's bytes (meshctl.render.dumpjson) prints what the general
path prints (decode, `full_dump`, `render.data.to_json`), byte for byte, with the same warnings."""

from __future__ import annotations

import json

import pytest

from meshctl.commands.pc.all_config import full_dump
from meshctl.decode.configdump import parse
from meshctl.render.data import to_json, to_yaml
from meshctl.render.dumpjson import istioctl_dump_json

from helpers import ISTIO_TESTDATA, call_meshctl, require_shared, run_meshctl
from helpers.wholedumps import CRAFTED, SHARED_DUMPS, any_of, envoy_json


def general_path(data: bytes, raw: bool) -> tuple[bytes, list[str]]:
    dump = parse(data)
    return to_json(full_dump(dump, raw)).encode(), dump.warnings


def byte_path(data: bytes, raw: bool) -> tuple[bytes, list[str]]:
    streamed = istioctl_dump_json(data, raw)
    assert streamed is not None, "the dump should take the byte path"
    chunks, warnings = streamed
    return b"".join(bytes(chunk) for chunk in chunks), warnings


@pytest.mark.parametrize("raw", [False, True], ids=["istioctl", "raw"])
def test_crafted_dump_as_the_general_path(raw):
    data = envoy_json(CRAFTED)
    assert byte_path(data, raw) == general_path(data, raw)


@pytest.mark.parametrize("raw", [False, True], ids=["istioctl", "raw"])
def test_a_dump_cut_into_batches_as_the_general_path(raw, monkeypatch):
    """Big entries are converted a batch of list items at a time: every cut gives the same bytes."""
    import copy

    from meshctl.render import dumpjson

    document = copy.deepcopy(CRAFTED)
    clusters = document["configs"][1]["dynamic_active_clusters"]
    for index in range(1, 40):
        clusters.append(copy.deepcopy(clusters[0]))
        clusters[-1]["cluster"]["name"] = f"outbound|{index}||svc{index}.ns.svc.cluster.local"
        clusters[-1]["cluster"]["metadata"]["filter_metadata"]["istio"]["default_original_port"] = index
    data = envoy_json(document)
    expected = general_path(data, raw)
    for size in (1, 500, 3000):
        monkeypatch.setattr(dumpjson, "_BATCH", size)
        assert byte_path(data, raw) == expected


def test_an_entry_whose_own_field_is_read_whole_is_never_cut(monkeypatch):
    """A Struct-valued field of the entry itself (level 1) holding a list: its items are not
    batch boundaries (the value is sorted and laid out whole)."""
    from meshctl.render import dumpjson

    items = [{"z_key": index, "a_key": {"y": 1, "b": [1.0, 2]}} for index in range(6)]
    data = envoy_json({"configs": [any_of("envoy.admin.v3.FutureConfigDump", static_layer=items, other=[{"x": 1}, {"y": 2}])]})
    monkeypatch.setattr(dumpjson, "_BATCH", 1)
    assert byte_path(data, False) == general_path(data, False)


@pytest.mark.parametrize("raw", [False, True], ids=["istioctl", "raw"])
def test_compact_input_as_the_general_path(raw):
    data = json.dumps(CRAFTED, separators=(",", ":")).encode()
    assert byte_path(data, raw) == general_path(data, raw)


@pytest.mark.parametrize("path", SHARED_DUMPS)
@pytest.mark.parametrize("raw", [False, True], ids=["istioctl", "raw"])
def test_shared_dumps_as_the_general_path(path, raw):
    data = require_shared(ISTIO_TESTDATA / path).read_bytes()
    assert byte_path(data, raw) == general_path(data, raw)


@pytest.mark.parametrize(
    "data",
    [
        b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "versionInfo": "1"}]}',  # istioctl's own JSON
        b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "a": "\xff"}]}',  # not UTF-8
        b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "a": [}]}',  # not JSON
        b'{"configs": []}',
        b'{"other": 1}',
    ],
)
def test_inputs_the_byte_path_leaves_to_the_general_one(data):
    assert istioctl_dump_json(data) is None


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_pc_all_in_a_process_and_in_process_as_the_general_path(output, tmp_path):
    """`-o json` (here) and `-o yaml` (render.dumpyaml, tests/pc/test_dumpyaml.py) through emit."""
    dump = tmp_path / "dump.json"
    dump.write_bytes(envoy_json(CRAFTED))
    parsed = parse(dump.read_bytes())
    expected = (to_json if output == "json" else to_yaml)(full_dump(parsed, False))
    process = run_meshctl("pc", "all", "-f", str(dump), "-o", output)  # binary stdout
    in_process = call_meshctl("pc", "all", "-f", str(dump), "-o", output)  # a text stream
    for result in (process, in_process):
        assert (result.exit_code, result.stdout) == (0, expected)
        assert result.stderr == "".join(f"meshctl: warning: {message}\n" for message in parsed.warnings)


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_bad_input_is_still_one_error_line(output, tmp_path):
    dump = tmp_path / "dump.json"
    dump.write_bytes(b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "a": [}]}')
    result = call_meshctl("pc", "all", "-f", str(dump), "-o", output)
    assert result.exit_code == 65 and result.stdout == "" and len(result.stderr.splitlines()) == 1


def test_nested_maps_metadata_and_keys_that_name_fields_as_the_general_path(monkeypatch):
    """Maps out of order inside maps out of order (sorted inner first, then the outer: offsets kept),
    a map key that names a data field ("static_layer": the key is the map's, its value a message),
    a "metadata" Struct inside a Metadata-holding "metadata", and a TypedStruct one level into an
    entry; in one batch and cut into small ones."""
    from meshctl.render import dumpjson

    rbac = {"z_policy": {"permissions": [{"any": True}]}, "a_policy": {"principals": [{"any": True}]}}
    listener = any_of(
        "envoy.config.listener.v3.Listener", name="l2",
        typed_per_filter_config={
            "z.filter": any_of("x.RBACPerRoute", rbac={"rules": {"policies": rbac}}),
            "static_layer": any_of("x.Z", per_route={"b_b": 1}),
            "a.filter": any_of("x.RBACPerRoute", rbac={"rules": {"policies": dict(reversed(rbac.items()))}}),
        },
        metadata={"metadata": {"inner_key": {"z": 1, "a": 2}}, "filter_metadata": {"istio": {"b_b": 1, "a_a": 2}}},
        route_metadata={"metadata": {"filter": "f", "path": [{"key": "k_k"}]}},
    )  # fmt: skip
    document = {"configs": [
        any_of("envoy.admin.v3.ListenersConfigDump", dynamic_listeners=[{"name": f"l{index}", "active_state": {"listener": listener}} for index in range(4)]),
        any_of("envoy.admin.v3.FutureConfigDump", typed_config=any_of("udpa.type.v1.TypedStruct", type_url="x", value={"z_z": [1.0, {"b": 2, "a": 1}]})),
    ]}  # fmt: skip
    data = envoy_json(document)
    for raw in (False, True):
        expected = general_path(data, raw)
        for size in (1 << 20, 1500, 1):
            monkeypatch.setattr(dumpjson, "_BATCH", size)
            assert byte_path(data, raw) == expected
