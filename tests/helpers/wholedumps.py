"""Config dumps the tests of `pc all -o json|yaml` share: the shared dumps they read, a dump
crafted to hold every rule of the camelCase projection, and dumps with a key planted in every
kind of place (tests/pc/test_dumpjson*.py, test_dumpyaml.py)."""

from __future__ import annotations

import json

from helpers.keys import encodings, key_forms

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


FORMS = key_forms()
CASES = [(form.name, how, text, secrets) for form in FORMS for how, text, secrets in encodings(form)]
PKCS8 = next(form for form in FORMS if form.name == "p256-pkcs8-der")
B64_KEY = next(text for how, text, _ in encodings(PKCS8) if how == "base64-der")


def dump_with(key: str, clusters: int = 1) -> dict:
    """A dump holding `key` in every kind of place the byte path makes its output from: a field's
    line, a list item, a map's key and value, a map key kept as it is (it looks like a field name),
    a Struct (a data value), a TypedStruct's value, and the same clusters again and again."""
    items = []
    for index in range(clusters):
        items.append({"version_info": "v1", "cluster": any_of(
            "envoy.config.cluster.v3.Cluster", name=f"outbound|{index}||svc{index}.ns.svc.cluster.local",
            description=key, alt_names=["a", key, "b"],
            metadata={"filter_metadata": {"istio": {"secret": key, key: 1}}},
            typed_extension_protocol_options={key: any_of("x.Options", value=key), "key_like_field": any_of("x.Y", a=key)},
            transport_socket_matches=[{"name": "m", "match": {"k": key}}],
            typed_config=any_of("udpa.type.v1.TypedStruct", type_url="type.googleapis.com/x.Y", value={"inline": key}),
        )})  # fmt: skip
    return {"configs": [
        any_of("envoy.admin.v3.BootstrapConfigDump", bootstrap={"node": {"id": "sidecar~1~a.b~b.svc", "metadata": {"KEY": key}}}),
        any_of("envoy.admin.v3.ClustersConfigDump", version_info="1", dynamic_active_clusters=items),
        any_of("envoy.admin.v3.SecretsConfigDump", dynamic_active_secrets=[{"name": "default", "secret": any_of(
            "envoy.extensions.transport_sockets.tls.v3.Secret", name="default",
            tls_certificate={"private_key": {"inline_string": key}, "certificate_chain": {"inline_bytes": "W3JlZGFjdGVkXQ=="}})}]),
    ]}  # fmt: skip
