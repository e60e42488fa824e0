"""meshctl.analyze.mtls: verdicts and evidence for SRC -> DST from hand-made Istio-shaped dumps."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from meshctl.analyze.mtls import (
    NO_CHAIN,
    PERMISSIVE,
    PLAINTEXT_ONLY,
    STRICT,
    VERDICT_FAIL,
    VERDICT_MTLS,
    VERDICT_PLAINTEXT,
    VERDICT_TLS,
    VERDICT_UNKNOWN,
    Destination,
    explain_mtls,
    parse_destination,
    select_chain,
    workload_ips,
)
from meshctl.render.mtls import explanation_text

from helpers.mtlsdata import (
    REVIEWS,
    REVIEWS_CLUSTER,
    REVIEWS_IP,
    assignment,
    auto_mtls_cluster,
    client,
    cluster_name,
    disable_cluster,
    istio_mutual_cluster,
    istio_secrets,
    make_dump,
    route,
    server,
    simple_tls_cluster,
    tcp_listener,
    virtual_inbound,
)


def explain(src_parts, dst_parts=None, spec="reviews:9080", *, now=None):
    host, port = parse_destination(spec)
    dst = make_dump(**dst_parts) if dst_parts is not None else None
    # As the command does: DST's own IPs come from its dump.
    ips = workload_ips(dst) if dst is not None else ()
    return explain_mtls(make_dump(**src_parts), Destination(spec, host, port, ips), dst, now=now)


def only_endpoint(explanation):
    (path,) = explanation.paths
    (result,) = path.endpoints
    return result


# --- client side only --------------------------------------------------------------------------


def test_tls_mode_istio_endpoint_gets_istio_mtls_with_sds_secrets():
    result = explain(client())
    assert result.verdict == VERDICT_MTLS
    endpoint = only_endpoint(result)
    assert endpoint.address == f"{REVIEWS_IP}:9080"
    assert endpoint.selected_match == "tlsMode-istio"
    assert endpoint.tls.cert_secrets == ("default",) and endpoint.tls.validation_secrets == ("ROOTCA",)
    assert [s.describe() for s in endpoint.tls.sds_sources] == ["sds-grpc -> ./var/run/secrets/workload-spiffe-uds/socket"]
    assert result.paths[0].selected_by.startswith("route 9080: virtual host reviews.default.svc.cluster.local:9080 (domain reviews)")
    assert "DST's inbound side not checked" in result.notes[0]


def test_endpoint_without_tls_mode_falls_to_the_empty_match_plaintext():
    result = explain(client(endpoints=[("10.244.1.5", None)]))
    assert result.verdict == VERDICT_PLAINTEXT
    assert only_endpoint(result).selected_match == "tlsMode-disabled"


def test_mixed_endpoints_give_the_worst_verdict_and_count_them():
    result = explain(client(endpoints=[(REVIEWS_IP, "istio"), ("10.244.1.5", None)]))
    assert result.verdict == VERDICT_PLAINTEXT
    assert result.summary() == "plaintext for 1 of 2 endpoints (1 mTLS)"


def test_destination_rule_disable_sends_plaintext_even_to_sidecars():
    result = explain(client(disable_cluster(REVIEWS)))
    endpoint = only_endpoint(result)
    assert result.verdict == VERDICT_PLAINTEXT
    assert endpoint.selected_match == "(default raw_buffer)"


def test_destination_rule_istio_mutual_uses_the_cluster_socket_for_every_endpoint():
    result = explain(client(istio_mutual_cluster(REVIEWS), endpoints=[("10.244.1.5", None)]))
    assert result.verdict == VERDICT_MTLS
    assert only_endpoint(result).selected_match == "(cluster transport_socket)"


def test_match_needs_every_field_equal():
    cluster = auto_mtls_cluster(REVIEWS)
    cluster["transport_socket_matches"][0]["match"] = {"tlsMode": "istio", "extra": "x"}
    result = explain(client(cluster))
    assert only_endpoint(result).selected_match == "tlsMode-disabled"


def test_warming_cluster_will_fail():
    result = explain(client(warming=True))
    assert result.verdict == VERDICT_FAIL
    assert result.summary().startswith(f"will fail: cluster {REVIEWS_CLUSTER} is warming")


@pytest.mark.parametrize(
    ("secrets", "expected"),
    [
        (istio_secrets(active=("default",)), "SRC has no SDS secret ROOTCA"),
        (istio_secrets(active=("ROOTCA",), warming=("default",)), "SRC's SDS secret default is warming"),
    ],
)
def test_missing_or_warming_sds_secret_will_fail(secrets, expected):
    result = explain(client(secrets=secrets))
    assert result.verdict == VERDICT_FAIL
    assert expected in result.summary()


def test_dump_without_secrets_is_not_a_failure_but_says_so():
    result = explain(client(secrets=None))
    assert result.verdict == VERDICT_MTLS
    assert any("not checked (the dump has no secrets)" in line for line in only_endpoint(result).evidence)


def test_expired_workload_certificate_will_fail():
    from meshctl.sandbox.certs import TestCA

    ca = TestCA()
    later = datetime.now(timezone.utc) + timedelta(days=3)
    result = explain(client(secrets=istio_secrets(ca)), now=later)
    assert result.verdict == VERDICT_FAIL
    assert "SRC's certificate default is not valid now" in result.summary()


def test_no_cluster_for_destination_will_fail():
    result = explain(client(), spec="nosuch:9080")
    assert result.verdict == VERDICT_FAIL
    assert result.summary() == "will fail: SRC has no route or cluster for nosuch port 9080 (traffic goes to PassthroughCluster or BlackHole)"


def test_cluster_with_no_endpoints_will_fail():
    result = explain(client(endpoints=[]))
    assert result.verdict == VERDICT_FAIL
    assert "has no endpoints" in result.summary()


def test_dump_without_eds_shows_each_match_and_is_unknown_when_they_differ():
    result = explain(client(eds=False))
    (path,) = result.paths
    assert not path.endpoints_known
    assert [e.address for e in path.endpoints] == ["endpoints with tlsMode=istio", "endpoints without metadata"]
    assert [e.verdict for e in path.endpoints] == [VERDICT_MTLS, VERDICT_PLAINTEXT]
    assert result.verdict == VERDICT_UNKNOWN
    assert any("include_eds" in note for note in result.notes)
    assert path.endpoints[0].evidence[0] == "endpoints with tlsMode=istio select transport_socket_match tlsMode-istio (tlsMode=istio)"
    # With one socket for all endpoints, the verdict does not depend on them.
    assert explain(client(istio_mutual_cluster(REVIEWS), eds=False)).verdict == VERDICT_MTLS


# --- finding the cluster --------------------------------------------------------------------------


def test_short_names_resolve_in_the_clients_namespace_without_routes():
    other = "reviews.other.svc.cluster.local"
    parts = client(with_route=False)
    parts["clusters"] += (auto_mtls_cluster(other),)
    parts["assignments"].append(assignment(cluster_name(other, 9080), [("10.244.9.9", None)]))
    assert [p.cluster for p in explain(parts, spec="reviews:9080").paths] == [REVIEWS_CLUSTER]
    assert [p.cluster for p in explain(parts, spec="reviews.other:9080").paths] == [cluster_name(other, 9080)]
    assert [p.cluster for p in explain(parts, spec=f"{other}:9080").paths] == [cluster_name(other, 9080)]


def test_route_to_a_subset_cluster_is_followed():
    subset = auto_mtls_cluster(REVIEWS, subset="v1")
    parts = client(subset)
    assert [p.cluster for p in explain(parts).paths] == [cluster_name(REVIEWS, 9080, "v1")]


def test_cluster_ip_via_route_domain_and_tcp_listener():
    assert [p.cluster for p in explain(client(), spec="10.96.33.18:9080").paths] == [REVIEWS_CLUSTER]
    db = "mysqldb.db.svc.cluster.local"
    db_cluster = auto_mtls_cluster(db, 3306)
    parts = {
        "clusters": (db_cluster,),
        "assignments": [assignment(db_cluster["name"], [("10.244.2.3", "istio")], 3306)],
        "listeners": (tcp_listener("10.96.41.9", 3306, db_cluster["name"]),),
        "secrets": istio_secrets(),
    }
    result = explain(parts, spec="10.96.41.9:3306")
    assert result.paths[0].selected_by == f"listener 10.96.41.9_3306: tcp_proxy -> {db_cluster['name']}"
    assert result.verdict == VERDICT_MTLS


def test_pod_ip_selects_only_that_endpoint():
    result = explain(client(endpoints=[(REVIEWS_IP, "istio"), ("10.244.1.5", None)]), spec="10.244.1.5:9080")
    assert [e.address for e in result.paths[0].endpoints] == ["10.244.1.5:9080"]
    assert result.verdict == VERDICT_PLAINTEXT


def test_workload_destination_uses_its_instance_ips():
    src = make_dump(**client(endpoints=[(REVIEWS_IP, "istio"), ("10.244.1.5", None)]))
    dst = make_dump(**server("STRICT"))
    assert workload_ips(dst) == (REVIEWS_IP,)
    result = explain_mtls(src, Destination("reviews-v1-xyz", "", None, workload_ips(dst)), dst)
    assert [e.address for e in result.paths[0].endpoints] == [f"{REVIEWS_IP}:9080"]
    assert result.verdict == VERDICT_MTLS


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("reviews:9080", ("reviews", 9080)), ("reviews", ("reviews", None)), ("10.0.0.1:80", ("10.0.0.1", 80)),
     ("[fd00::1]:443", ("fd00::1", 443)), ("fd00::1", ("fd00::1", None))],
)  # fmt: skip
def test_parse_destination(spec, expected):
    assert parse_destination(spec) == expected


@pytest.mark.parametrize("spec", ["reviews:http", "reviews:0", "reviews:70000", "reviews:\u00b9", "reviews:\u0663"])
def test_parse_destination_rejects_bad_ports(spec):
    with pytest.raises(ValueError, match="invalid port"):
        parse_destination(spec)


# --- the server side ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "expected"), [("STRICT", STRICT), ("PERMISSIVE", PERMISSIVE), ("DISABLE", PLAINTEXT_ONLY)])
def test_server_mode_from_the_inbound_chains(mode, expected):
    result = explain(client(), server(mode))
    assert only_endpoint(result).server.mode == expected


@pytest.mark.parametrize(
    ("endpoint_mode", "server_mode", "verdict"),
    [
        ("istio", "STRICT", VERDICT_MTLS),
        ("istio", "PERMISSIVE", VERDICT_MTLS),
        ("istio", "DISABLE", VERDICT_FAIL),  # client sends mTLS, server takes plaintext only
        (None, "STRICT", VERDICT_FAIL),  # client plaintext, server STRICT
        (None, "PERMISSIVE", VERDICT_PLAINTEXT),
        (None, "DISABLE", VERDICT_PLAINTEXT),
    ],
)
def test_client_and_server_combinations(endpoint_mode, server_mode, verdict):
    result = explain(client(endpoints=[(REVIEWS_IP, endpoint_mode)]), server(server_mode))
    assert result.verdict == verdict


def test_strict_server_evidence_names_the_chain_and_client_cert_requirement():
    endpoint = only_endpoint(explain(client(), server("STRICT")))
    assert endpoint.server.chain == "0.0.0.0_9080" and endpoint.server.terminates_tls
    assert endpoint.server.require_client_certificate
    assert endpoint.server.validation_secrets == ("ROOTCA",)
    assert "DST virtualInbound port 9080: STRICT; chain 0.0.0.0_9080 (Trans: tls; Addr: *:9080), terminates TLS with default, requires client certificate, trusts ROOTCA" in endpoint.evidence


def test_plaintext_client_to_strict_server_names_the_reason():
    result = explain(client(endpoints=[(REVIEWS_IP, None)]), server("STRICT"))
    assert result.summary() == "will fail: no filter chain of DST's virtualInbound accepts raw_buffer on port 9080: Envoy closes the connection"


def test_mtls_client_to_plaintext_server_names_the_reason():
    result = explain(client(), server("DISABLE"))
    assert "does not terminate TLS (plaintext): SRC's TLS handshake fails" in result.summary()


def test_disable_destination_rule_against_strict_and_permissive_servers():
    assert explain(client(disable_cluster(REVIEWS)), server("STRICT")).verdict == VERDICT_FAIL
    assert explain(client(disable_cluster(REVIEWS)), server("PERMISSIVE")).verdict == VERDICT_PLAINTEXT


def test_tls_without_client_certificate_against_strict_will_fail():
    result = explain(client(simple_tls_cluster(REVIEWS)), server("STRICT"))
    assert "requires a client certificate" in result.summary()


def test_server_that_does_not_ask_for_a_client_cert_is_tls_not_mtls():
    assert explain(client(), server("STRICT", require_client_certificate=False)).verdict == VERDICT_TLS


def test_server_without_inbound_listener():
    no_sidecar = {"listeners": (), "secrets": istio_secrets(), "node": server()["node"]}
    assert explain(client(), no_sidecar).verdict == VERDICT_FAIL
    assert explain(client(endpoints=[(REVIEWS_IP, None)]), no_sidecar).verdict == VERDICT_PLAINTEXT


def test_server_secret_missing_will_fail():
    result = explain(client(), server("STRICT", secrets=istio_secrets(active=("ROOTCA",))))
    assert result.summary() == "will fail: DST has no SDS secret default (not pushed by the agent yet?)"


def test_san_and_root_checks_with_real_certificates():
    from meshctl.sandbox.certs import TestCA

    ca = TestCA()
    good = explain(client(secrets=istio_secrets(ca)), server("STRICT", secrets=istio_secrets(ca, sa="reviews")))
    assert good.verdict == VERDICT_MTLS
    wrong_sa = explain(client(secrets=istio_secrets(ca)), server("STRICT", secrets=istio_secrets(ca, sa="ratings")))
    assert wrong_sa.summary() == (
        "will fail: DST presents spiffe://cluster.local/ns/default/sa/ratings but SRC accepts only spiffe://cluster.local/ns/default/sa/reviews"
    )
    other_root = explain(client(secrets=istio_secrets(ca)), server("STRICT", secrets=istio_secrets(TestCA(), sa="reviews")))
    assert "trust no common root" in other_root.summary()


def test_dst_ips_outside_the_endpoints_apply_to_all_with_a_note():
    result = explain(client(), server("STRICT", ip="10.9.9.9"))
    assert only_endpoint(result).server is not None
    assert any("are not endpoints of" in note for note in result.notes)


# --- Envoy's filter chain matching --------------------------------------------------------------------


def test_select_chain_prefers_the_port_then_transport_protocol_without_backtracking():
    listener = virtual_inbound(9080, "STRICT")
    assert select_chain(listener, port=9080, ip=REVIEWS_IP, transport="tls", alpn=(), sni="")["name"] == "0.0.0.0_9080"
    # A plaintext connection to 9080 does not fall back to the port-less passthrough chains.
    assert select_chain(listener, port=9080, ip=REVIEWS_IP, transport="raw_buffer", alpn=(), sni="") is None
    # Another port does: the passthrough chains (prefix 0.0.0.0/0 matches any IPv4).
    chain = select_chain(listener, port=8080, ip=REVIEWS_IP, transport="raw_buffer", alpn=(), sni="")
    assert chain["name"] == "virtualInbound" and "transport_socket" not in chain


def test_select_chain_ip_prefix_and_alpn_and_default_chain():
    listener = {"filter_chains": [
        {"name": "narrow", "filter_chain_match": {"prefix_ranges": [{"address_prefix": "10.244.0.0", "prefix_len": 16}]}},
        {"name": "wide", "filter_chain_match": {"prefix_ranges": [{"address_prefix": "10.0.0.0", "prefix_len": 8}]}},
    ], "default_filter_chain": {"name": "default"}}  # fmt: skip
    assert select_chain(listener, port=80, ip="10.244.1.1", transport="tls", alpn=(), sni="")["name"] == "narrow"
    assert select_chain(listener, port=80, ip="10.1.1.1", transport="tls", alpn=(), sni="")["name"] == "wide"
    assert select_chain(listener, port=80, ip="192.168.1.1", transport="tls", alpn=(), sni="")["name"] == "default"
    alpn = {"filter_chains": [
        {"name": "http", "filter_chain_match": {"transport_protocol": "tls", "application_protocols": ["istio-http/1.1", "istio-h2"]}},
        {"name": "tcp", "filter_chain_match": {"transport_protocol": "tls"}},
    ]}  # fmt: skip
    assert select_chain(alpn, port=80, ip=None, transport="tls", alpn=("istio-h2",), sni="")["name"] == "http"
    assert select_chain(alpn, port=80, ip=None, transport="tls", alpn=("istio",), sni="")["name"] == "tcp"


def test_no_chain_for_the_port_at_all():
    listener = {"name": "virtualInbound", "filter_chains": [{"filter_chain_match": {"destination_port": 15006}}]}
    parts = {**server(), "listeners": (listener,)}
    parts["listeners"][0]["address"] = {"socket_address": {"address": "0.0.0.0", "port_value": 15006}}
    result = explain(client(), parts)
    assert only_endpoint(result).server.mode == NO_CHAIN
    assert result.verdict == VERDICT_FAIL


# --- shapes ----------------------------------------------------------------------------------------------


def test_json_shape_is_stable_and_serialisable():
    data = explain(client(endpoints=[(REVIEWS_IP, "istio"), ("10.244.1.5", None)]), server("PERMISSIVE")).to_dict()
    json.dumps(data)
    assert list(data) == ["schemaVersion", "verdict", "summary", "source", "destination", "serverChecked", "problems", "notes", "paths"]
    path = data["paths"][0]
    assert list(path) == ["cluster", "state", "selectedBy", "verdict", "problems", "endpointsKnown", "endpoints"]
    endpoint = path["endpoints"][0]
    assert list(endpoint) == ["address", "tlsMode", "transportSocketMatchMetadata", "selectedMatch", "client", "server", "pod", "verdict", "problems", "cautions", "evidence"]
    assert endpoint["client"]["sdsSources"][0]["cluster"] == "sds-grpc"
    assert endpoint["server"]["mode"] == PERMISSIVE
    assert [e["tlsMode"] for e in path["endpoints"]] == ["istio", None]


def test_text_puts_the_verdict_first_and_the_evidence_under_it():
    text = explanation_text(explain(client(), server("STRICT")))
    lines = text.splitlines()
    assert lines[0] == "mTLS"
    assert all(line.startswith("  ") for line in lines[1:])
    assert f"    endpoint {REVIEWS_IP}:9080 (tlsMode=istio) selects transport_socket_match tlsMode-istio (tlsMode=istio) -> mTLS" in lines


def test_route_of_another_port_is_not_used():
    parts = client()
    parts["routes"] = (route(8080, REVIEWS, REVIEWS_CLUSTER),)
    parts["routes"][0]["name"] = "8080"
    result = explain(parts, spec="reviews:9080")
    # Falls back to the service's cluster by name, and says so.
    assert result.paths[0].selected_by.startswith(f"cluster {REVIEWS_CLUSTER} (service {REVIEWS}")


def test_legacy_per_port_inbound_listener_is_used_without_virtual_inbound():
    listener = virtual_inbound(9080, "STRICT")
    listener.update(name=f"{REVIEWS_IP}_9080", address={"socket_address": {"address": REVIEWS_IP, "port_value": 9080}})
    parts = {**server(), "listeners": (listener,)}
    endpoint = only_endpoint(explain(client(), parts))
    assert endpoint.server.listener == f"{REVIEWS_IP}_9080" and endpoint.server.mode == STRICT
    assert endpoint.verdict == VERDICT_MTLS


def test_active_cluster_wins_over_its_warming_update():
    parts = client()
    parts["warming"] = (parts["clusters"][0],)
    result = explain(parts)
    assert result.paths[0].state == "active" and result.verdict == VERDICT_MTLS


def test_workload_ips_fall_back_to_the_node_id():
    node = {"bootstrap": {"node": {"id": "sidecar~10.1.2.3~reviews-v2-x.ns~ns.svc.cluster.local"}}}
    dump = make_dump(node=node)
    assert workload_ips(dump) == ("10.1.2.3",)
