"""meshctl.analyze.tls: one row per cluster per transport socket match, SDS resolved via the bootstrap."""

from __future__ import annotations

import copy

from meshctl.analyze.tls import (
    CLUSTER_WIDE_COLUMNS,
    MTLS,
    MTLS_SDS,
    PLAINTEXT,
    TLS,
    TLS_COLUMNS,
    cluster_tls_rows,
    cluster_wide_cells,
    format_address,
    static_cluster_endpoints,
    tls_rows,
    tls_table,
)

from helpers.tlsdata import RAW_BUFFER, istio_bootstrap, istio_mtls_socket, istio_outbound_cluster

ENDPOINTS = static_cluster_endpoints(istio_bootstrap())
SDS_SOCKET = "./var/run/secrets/workload-spiffe-uds/socket"


def test_istio_outbound_cluster_rows():
    cluster = istio_outbound_cluster()
    istio, disabled = cluster_tls_rows(cluster, ENDPOINTS)
    assert (istio.match_text, istio.match_name, istio.mode) == ("tlsMode=istio", "tlsMode-istio", MTLS_SDS)
    assert istio.sni == "outbound_.9080_._.reviews.default.svc.cluster.local"
    assert istio.alpn == ("istio-peer-exchange", "istio")
    assert istio.san_matchers == ("spiffe://cluster.local/ns/default/sa/bookinfo-reviews",)
    assert (istio.cert_secrets, istio.validation_secrets) == (("default",), ("ROOTCA",))
    (source,) = istio.sds_sources  # default and ROOTCA share it: listed once
    assert (source.kind, source.cluster, source.endpoints) == ("envoy_grpc", "sds-grpc", (SDS_SOCKET,))
    assert source.describe() == f"sds-grpc -> {SDS_SOCKET}"
    assert (disabled.match_text, disabled.mode, disabled.transport_socket) == ("*", PLAINTEXT, "raw_buffer")
    assert disabled.cert_secrets == () and disabled.sds_sources == ()


def test_table_and_json_carry_the_same_fields():
    rows = tls_rows([(istio_outbound_cluster(), "active")], ENDPOINTS)
    table = tls_table(rows)
    assert table.columns == list(TLS_COLUMNS)
    assert table.rows[0] == [
        "outbound|9080||reviews.default.svc.cluster.local",
        "tlsMode=istio",
        "mTLS (SDS)",
        "outbound_.9080_._.reviews.default.svc.cluster.local",
        "istio-peer-exchange,istio",
        "spiffe://cluster.local/ns/default/sa/bookinfo-reviews",
        "default",
        "ROOTCA",
        f"sds-grpc -> {SDS_SOCKET}",
    ]
    assert table.rows[1][1:] == ["*", "plaintext", "-", "-", "-", "-", "-", "-"]
    data = rows[0].to_dict()
    assert data["match"] == {"tlsMode": "istio"} and data["mode"] == "mTLS (SDS)"
    assert data["certSecrets"] == ["default"] and data["validationSecrets"] == ["ROOTCA"]
    assert data["sdsSources"] == [
        {"kind": "envoy_grpc", "cluster": "sds-grpc", "endpoints": [SDS_SOCKET], "describe": f"sds-grpc -> {SDS_SOCKET}"}
    ]
    assert rows[1].to_dict()["match"] == {} and rows[0].state == "active"


def test_typed_san_matchers_and_other_string_matchers():
    (istio, _) = cluster_tls_rows(istio_outbound_cluster(typed_sans=True), ENDPOINTS)
    assert istio.san_matchers == ("spiffe://cluster.local/ns/default/sa/bookinfo-reviews",)
    cluster = istio_outbound_cluster()
    validation = cluster["transport_socket_matches"][0]["transport_socket"]["typed_config"]["common_tls_context"][
        "combined_validation_context"
    ]["default_validation_context"]
    validation["match_subject_alt_names"] = [{"prefix": "spiffe://cluster.local/"}, {"safe_regex": {"regex": ".*"}}]
    validation["match_typed_subject_alt_names"] = [{"san_type": "DNS", "matcher": {"suffix": ".example.com"}}]
    (istio, _) = cluster_tls_rows(cluster, ENDPOINTS)
    assert istio.san_matchers == ("prefix:spiffe://cluster.local/", "regex:.*", "DNS:suffix:.example.com")


def test_cluster_level_simple_tls_with_file_validation():
    # A DestinationRule with mode SIMPLE and caCertificates: the cluster's own transport_socket.
    cluster = {
        "name": "outbound|443||api.example.com",
        "transport_socket": {
            "name": "envoy.transport_sockets.tls",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                "common_tls_context": {"validation_context": {"trusted_ca": {"filename": "/etc/ssl/ca.pem"}}},
                "sni": "api.example.com",
            },
        },
    }
    (row,) = cluster_tls_rows(cluster, ENDPOINTS)
    assert (row.match, row.match_text, row.mode, row.sni) == (None, "-", TLS, "api.example.com")
    assert row.validation_secrets == ("file:/etc/ssl/ca.pem",) and row.sds_sources == ()


def test_mutual_tls_with_inline_certs_and_credential_name_sds():
    inline = {
        "name": "mutual-inline",
        "transport_socket": {
            "name": "tls",
            "typed_config": {
                "common_tls_context": {
                    "tls_certificates": [{"certificate_chain": {"inline_string": "..."}, "private_key": {"inline_string": "[redacted]"}}],
                    "validation_context_sds_secret_config": {"name": "kubernetes://cacert", "sds_config": {"ads": {}}},
                }
            },
        },
    }
    (row,) = cluster_tls_rows(inline, ENDPOINTS)
    assert (row.mode, row.cert_secrets, row.validation_secrets) == (MTLS, ("inline",), ("kubernetes://cacert",))
    assert [s.describe() for s in row.sds_sources] == ["ADS"]
    credential = copy.deepcopy(inline)
    context = credential["transport_socket"]["typed_config"]["common_tls_context"]
    del context["tls_certificates"]
    context["tls_certificate_sds_secret_configs"] = [{"name": "kubernetes://client-cert", "sds_config": {"ads": {}}}]
    (row,) = cluster_tls_rows(credential, ENDPOINTS)
    assert row.mode == MTLS_SDS
    static_secret = copy.deepcopy(credential)
    static_secret["transport_socket"]["typed_config"]["common_tls_context"]["tls_certificate_sds_secret_configs"] = [{"name": "boot"}]
    (row,) = cluster_tls_rows(static_secret, ENDPOINTS)
    assert row.mode == MTLS and [s.kind for s in row.sds_sources] == ["static", "ads"]


def test_no_socket_means_plaintext_and_internal_upstream_is_followed():
    (row,) = cluster_tls_rows({"name": "BlackHoleCluster", "type": "STATIC"}, ENDPOINTS)
    assert (row.mode, row.transport_socket, row.match_text) == (PLAINTEXT, "raw_buffer", "-")
    waypoint = {
        "name": "inbound-vip|8000|http|httpbin.default.svc.cluster.local",
        "transport_socket": {
            "name": "internal_upstream",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport",
                "transport_socket": istio_mtls_socket("sni.example", []),
            },
        },
    }
    (row,) = cluster_tls_rows(waypoint, ENDPOINTS)
    assert (row.mode, row.transport_socket, row.sni) == (MTLS_SDS, "internal_upstream>tls", "sni.example")
    waypoint["transport_socket"]["typed_config"]["transport_socket"] = RAW_BUFFER
    (row,) = cluster_tls_rows(waypoint, ENDPOINTS)
    assert (row.mode, row.transport_socket) == (PLAINTEXT, "internal_upstream>raw_buffer")


def test_typed_struct_quic_unknown_and_v2_tls_context():
    typed_struct = {
        "name": "ts",
        "transport_socket": {
            "name": "custom",
            "typed_config": {
                "@type": "type.googleapis.com/xds.type.v3.TypedStruct",
                "type_url": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                "value": {"sni": "typed.example", "common_tls_context": {}},
            },
        },
    }
    assert cluster_tls_rows(typed_struct, {})[0].sni == "typed.example"
    quic = {"name": "q", "transport_socket": {"name": "envoy.transport_sockets.quic",
            "typed_config": {"upstream_tls_context": {"sni": "h3.example", "common_tls_context": {}}}}}  # fmt: skip
    assert [(r.mode, r.transport_socket, r.sni) for r in cluster_tls_rows(quic, {})] == [(TLS, "quic", "h3.example")]
    alts = {"name": "a", "transport_socket": {"name": "envoy.transport_sockets.alts", "typed_config": {"handshaker_service": "x"}}}
    assert cluster_tls_rows(alts, {})[0].mode == "alts"
    v2 = {"name": "old", "tls_context": {"sni": "v2.example", "common_tls_context": {}}}
    assert cluster_tls_rows(v2, {})[0].sni == "v2.example"


def test_unresolved_sds_cluster_and_other_sources():
    cluster = istio_outbound_cluster()
    (istio, _) = cluster_tls_rows(cluster, {})
    assert istio.sds_sources[0].describe() == "sds-grpc -> ?"
    context = cluster["transport_socket_matches"][0]["transport_socket"]["typed_config"]["common_tls_context"]
    context["tls_certificate_sds_secret_configs"][0]["sds_config"] = {"path_config_source": {"path": "/etc/sds/cert.yaml"}}
    context["combined_validation_context"]["validation_context_sds_secret_config"]["sds_config"] = {
        "api_config_source": {"api_type": "GRPC", "grpc_services": [{"google_grpc": {"target_uri": "unix:/sds.sock"}}]}
    }
    (istio, _) = cluster_tls_rows(cluster, ENDPOINTS)
    assert [s.describe() for s in istio.sds_sources] == ["file:/etc/sds/cert.yaml", "google_grpc:unix:/sds.sock"]


def test_sds_cluster_resolves_through_the_dump_static_clusters_too():
    clusters_section = {"static_clusters": [{"cluster": {"name": "sds-grpc", "load_assignment": {"endpoints": [
        {"lb_endpoints": [{"endpoint": {"address": {"socket_address": {"address": "::1", "port_value": 15012}}}}]}]}}}]}  # fmt: skip
    endpoints = static_cluster_endpoints(None, clusters_section)
    assert endpoints == {"sds-grpc": ("[::1]:15012",)}
    # The bootstrap wins when both name the cluster.
    assert static_cluster_endpoints(istio_bootstrap(), clusters_section)["sds-grpc"] == (SDS_SOCKET,)


def test_format_address_kinds():
    assert format_address({"pipe": {"path": "./etc/istio/proxy/XDS"}}) == "./etc/istio/proxy/XDS"
    assert format_address({"socket_address": {"address": "10.0.0.1", "port_value": 80}}) == "10.0.0.1:80"
    assert format_address({"envoy_internal_address": {"server_listener_name": "connect_originate"}}) == "internal:connect_originate"
    assert format_address(None) == format_address({"unknown": {}}) == ""


def test_wide_cells_for_pc_cluster():
    assert len(CLUSTER_WIDE_COLUMNS) == 4
    cells = cluster_wide_cells(istio_outbound_cluster(), ENDPOINTS)
    assert cells == ("mTLS (SDS)|plaintext", "outbound_.9080_._.reviews.default.svc.cluster.local", "default", "ROOTCA")
    assert cluster_wide_cells({"name": "plain"}) == ("plaintext", "-", "-", "-")


def test_garbage_shapes_never_raise():
    weird = [
        {"name": "x", "transport_socket_matches": "nope"},
        {"name": "y", "transport_socket_matches": [None, {"match": [], "transport_socket": 3}]},
        {"name": "z", "transport_socket": {"typed_config": {"common_tls_context": {"alpn_protocols": "h2",
         "tls_certificate_sds_secret_configs": [{"name": "c", "sds_config": 5}]}}}},  # fmt: skip
    ]
    rows = tls_rows([(cluster, "warming") for cluster in weird], ENDPOINTS)
    assert [(row.cluster, row.match_text) for row in rows] == [("x", "-"), ("y", "*"), ("z", "-")]
    assert rows[-1].mode == MTLS_SDS and rows[-1].sds_sources[0].kind == "unknown"
    assert len(tls_table(rows).rows) == 3
