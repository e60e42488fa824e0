"""`pc all -o json` made from the dump's bytes (meshctl.render.dumpjson) prints what the general
path prints (decode, `full_dump`, `render.data.to_json`), byte for byte, with the same warnings."""

from __future__ import annotations

import json

import pytest

from meshctl.commands.pc.all_config import full_dump
from meshctl.decode.configdump import parse
from meshctl.render.data import to_json
from meshctl.render.dumpjson import istioctl_dump_json

from helpers import ISTIO_TESTDATA, call_meshctl, require_shared, run_meshctl

SHARED_DUMPS = [
    "istioctl/pkg/proxyconfig/testdata/config_dump.json",
    "istioctl/pkg/describe/testdata/describe/tls_config.json",
    "istioctl/pkg/describe/testdata/describe/http_config.json",
    "istioctl/pkg/writer/compare/testdata/configdump_diff.json",
    "istioctl/pkg/writer/envoy/configdump/testdata/secret/istio/config_dump.json",
    "istioctl/pkg/writer/envoy/configdump/testdata/ecds/configdump.json",
    "istioctl/pkg/writer/envoy/configdump/testdata/endpoint/configdump.json",
    "istioctl/pkg/writer/envoy/configdump/testdata/routes/istio-gateway-http-route-prefix/configdump.json",
]


def general_path(data: bytes, raw: bool) -> tuple[bytes, list[str]]:
    dump = parse(data)
    return to_json(full_dump(dump, raw)).encode(), dump.warnings


def byte_path(data: bytes, raw: bool) -> tuple[bytes, list[str]]:
    streamed = istioctl_dump_json(data, raw)
    assert streamed is not None, "the dump should take the byte path"
    chunks, warnings = streamed
    return b"".join(bytes(chunk) for chunk in chunks), warnings


def envoy_json(document) -> bytes:
    """Laid out as Envoy's admin API prints a dump: one space per level."""
    return json.dumps(document, indent=1, ensure_ascii=False).encode()


def any_of(type_name: str, **fields) -> dict:
    return {"@type": f"type.googleapis.com/{type_name}", **fields}


# Every rule of decode.protojson's camelCase projection, and Go's strings and floats.
CRAFTED = {
    "configs": [
        any_of("envoy.admin.v3.BootstrapConfigDump", bootstrap={
            "node": {"id": "sidecar~10.0.0.1~a.b~b.svc.cluster.local", "metadata": {"ISTIO_VERSION": "1.24", "zeta_key": {"b": 1, "a": 2},
                                                                                  "LABELS": {"app": "a", "APP": "b"}}},
            "layered_runtime": {"layers": [{"name": "static", "static_layer": {"re2.max_program_size.error_level": 1024, "a_b": [3, 1]}}]},
            "stats_config": {"stats_tags": [{"tag_name": "cluster_name", "regex": "^cluster\\.((.+?(\\..+?\\.svc\\.cluster\\.local)?)\\.)"}]},
        }),
        any_of("envoy.admin.v3.ClustersConfigDump", version_info="2026-01-01T00:00:00Z/1", dynamic_active_clusters=[
            {"version_info": "v1", "cluster": any_of(
                "envoy.config.cluster.v3.Cluster", name="outbound|80||svc.ns.svc.cluster.local", connect_timeout="10s",
                per_connection_buffer_limit_bytes=32768, ratio=1.0, big=1e20, small=-2.5e-07, half=0.5, lists=[[1.5, 2], [], {}],
                metadata={"filter_metadata": {"istio": {"services": [{"namespace": "ns", "host": "svc", "name": "svc"}], "default_original_port": 80,
                                                        "html": "a<b>&c \u2028", "ratio": [1.0, 2.5e-07, 1e21], "text": "x,1.0]"}}},
                transport_socket_matches=[{"name": "tlsMode-istio", "match": {"tlsMode": "istio", "b_key": "x"},
                                           "transport_socket": {"name": "tls", "typed_config": any_of("x.UpstreamTlsContext", sni="a<b>&c")}}],
                typed_extension_protocol_options={"z.options": any_of("z.Options", max_requests=1), "a.options": any_of("a.Options", idle_timeout="1s")},
                description="quote \" backslash \\ newline \n tab \t slash \\/ unicode \u00e9 \u2028 html <&> control \u0001",
            )},
        ]),
        any_of("envoy.admin.v3.ListenersConfigDump", dynamic_listeners=[{"name": "l1", "active_state": {"listener": any_of(
            "envoy.config.listener.v3.Listener", name="l1", filter_chains=[{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": any_of(
                "udpa.type.v1.TypedStruct", type_url="type.googleapis.com/x.Y", value={"stat_prefix": "x", "b": {"d_e": 1, "c": 2}, "a": None})}]}],
            typed_per_filter_config={"envoy.filters.http.rbac": any_of("x.RBACPerRoute", rbac={"rules": {}}), "envoy.filters.http.ext_authz": any_of(
                "x.ExtAuthzPerRoute", disabled=True), "key_like_field": any_of("x.Z", per_route=True)},
            wasm={"config": {"environment_variables": {"key_values": {"z_var": "1", "a_var": "2"}}}},
            other_struct=any_of("google.protobuf.Struct", value={"y_y": 1, "x_x": {"b": 1, "a": 2}}),
            rbac={"rules": {"policies": {"z-policy": {"permissions": [{"any": True}]}, "a_policy": {"principals": [{"metadata": {
                "filter": "envoy.filters", "path": [{"key": "k_k"}], "value": {"string_match": {"exact": "x"}}}}]}}}},
            later_metadata={"metadata": {"zeta_key": 1, "filter_metadata": {"b": {"y_y": 2}, "a": 1}}},
        )}}]),
        any_of("envoy.admin.v3.FutureConfigDump", some_field={"deep_key": [1, 2.0]}),
        any_of("envoy.admin.v3.ClustersConfigDump", static_clusters=[{"cluster": any_of("envoy.config.cluster.v3.Cluster", name="second")}]),
        any_of("envoy.admin.v3.SecretsConfigDump", dynamic_active_secrets=[]),
    ]
}


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


def test_pc_all_json_in_a_process_and_in_process_as_the_general_path(tmp_path):
    dump = tmp_path / "dump.json"
    dump.write_bytes(envoy_json(CRAFTED))
    expected, warnings = general_path(dump.read_bytes(), False)
    process = run_meshctl("pc", "all", "-f", str(dump), "-o", "json")  # binary stdout
    in_process = call_meshctl("pc", "all", "-f", str(dump), "-o", "json")  # a text stream
    for result in (process, in_process):
        assert (result.exit_code, result.stdout) == (0, expected.decode())
        assert result.stderr == "".join(f"meshctl: warning: {message}\n" for message in warnings)


def test_bad_input_is_still_one_error_line(tmp_path):
    dump = tmp_path / "dump.json"
    dump.write_bytes(b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "a": [}]}')
    result = call_meshctl("pc", "all", "-f", str(dump), "-o", "json")
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
