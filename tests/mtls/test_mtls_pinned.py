"""meshctl.analyze.mtls pinned exactly: each verdict, reason text and field, from what Envoy and Istio do.

The other tests here check the verdicts on Istio-shaped dumps; these pin the details that a one-line
change would break without changing a verdict there: SAN matcher kinds (Envoy's StringMatcher), the
JSON of the server side, the inbound listener lookup, the evidence lines, and `EndpointTls` (the
per-endpoint verdict `explain request` asks for). Mutation testing (docs/testing.md, group `mtls`)
found them unpinned.
"""

from __future__ import annotations

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
    EndpointTls,
    ServerSide,
    inbound_listener,
    workload_name,
    workload_namespace,
)
from meshctl.analyze.mtls.server import san_matches
from meshctl.decode.resources import clusters, listeners

from helpers.mtlsdata import (
    REVIEWS,
    REVIEWS_CLUSTER,
    REVIEWS_IP,
    bootstrap,
    client,
    disable_cluster,
    istio_mutual_cluster,
    istio_secrets,
    make_dump,
    server,
    spiffe,
    virtual_inbound,
)

SAN = spiffe("reviews")  # spiffe://cluster.local/ns/default/sa/reviews


# --- SAN matchers: Envoy's StringMatcher, as `pc tls` writes it ("exact" bare, else "kind:value") ------


@pytest.mark.parametrize(
    ("matcher", "san", "accepted"),
    [
        (SAN, SAN, True),
        (SAN, spiffe("ratings"), False),
        ("prefix:spiffe://cluster.local/ns/default/", SAN, True),
        ("prefix:spiffe://cluster.local/ns/other/", SAN, False),
        ("suffix:/sa/reviews", SAN, True),
        ("suffix:/sa/ratings", SAN, False),
        ("contains:/ns/default/", SAN, True),
        ("contains:/ns/other/", SAN, False),
        # RE2 full match: the whole SAN, not a search.
        (r"regex:spiffe://cluster\.local/ns/[a-z]+/sa/reviews", SAN, True),
        (r"regex:ns/default", SAN, False),
        (r"regex:spiffe://.*/sa/ratings", SAN, False),
        ("regex:([", SAN, False),  # not a regular expression: matches nothing, no crash
        # A kind meshctl does not know is an exact value that happens to hold a colon.
        ("spiffe:x", "spiffe:x", True),
        ("other:/sa/reviews", SAN, False),
        # The value keeps its own colons (the first colon separates the kind).
        ("prefix:spiffe://cluster.local", SAN, True),
        ("suffix:reviews:9080", "host:reviews:9080", True),
    ],
)
def test_san_matcher_kinds(matcher, san, accepted):
    assert san_matches(matcher, san) is accepted


def test_san_matcher_kinds_are_case_sensitive_names():
    assert san_matches("PREFIX:spiffe://", "spiffe://x") is False
    assert san_matches("PREFIX:spiffe://", "PREFIX:spiffe://") is True
    for kind in ("SUFFIX", "CONTAINS", "REGEX"):
        assert san_matches(f"{kind}:x", "x") is False


def test_exact_matcher_without_a_colon_compares_whole():
    assert san_matches("reviews", "reviews") is True
    assert san_matches("reviews", "reviews2") is False


# --- the server side's JSON -----------------------------------------------------------------------------


def test_server_side_json_names_every_field():
    side = ServerSide("virtualInbound", 9080, STRICT, "0.0.0.0_9080", "Trans: tls; Addr: *:9080", True, True, ("default",), ("ROOTCA",))
    assert side.to_dict() == {
        "listener": "virtualInbound", "port": 9080, "mode": "STRICT", "chain": "0.0.0.0_9080",
        "chainMatch": "Trans: tls; Addr: *:9080", "terminatesTls": True, "requireClientCertificate": True,
        "certSecrets": ["default"], "validationSecrets": ["ROOTCA"],
    }  # fmt: skip


# --- the workload a dump belongs to -----------------------------------------------------------------------


def test_workload_namespace_and_name_from_the_bootstrap_node():
    dump = make_dump(node=bootstrap("reviews-v1-xyz", "bookinfo", "10.1.2.3"))
    assert workload_namespace(dump) == "bookinfo"
    assert workload_name(dump) == "reviews-v1-xyz.bookinfo"


def test_workload_namespace_is_empty_without_metadata():
    dump = make_dump(node={"bootstrap": {"node": {"id": "sidecar~10.1.2.3~a.b~b.svc.cluster.local"}}})
    assert workload_namespace(dump) == ""
    assert workload_name(dump) == "a.b"


# --- DST's inbound listener -----------------------------------------------------------------------------


def _listener(name: str, address: str, port: int, direction: str | None = "INBOUND") -> dict:
    listener = {"name": name, "address": {"socket_address": {"address": address, "port_value": port}}, "filter_chains": []}
    if direction:
        listener["traffic_direction"] = direction
    return listener


def test_inbound_listener_is_virtual_inbound_by_name_or_by_port_15006():
    assert inbound_listener(make_dump(listeners=(virtual_inbound(),)), 9080).name == "virtualInbound"
    by_port = _listener("capture", "0.0.0.0", 15006, None)
    assert inbound_listener(make_dump(listeners=(by_port,)), 9080).name == "capture"


def test_inbound_listener_falls_back_to_the_per_port_inbound_listener():
    legacy = _listener(f"{REVIEWS_IP}_9080", REVIEWS_IP, 9080)
    other_port = _listener(f"{REVIEWS_IP}_8080", REVIEWS_IP, 8080)
    outbound = _listener("0.0.0.0_9080", "0.0.0.0", 9080, "OUTBOUND")
    dump = make_dump(listeners=(outbound, other_port, legacy))
    assert inbound_listener(dump, 9080).name == f"{REVIEWS_IP}_9080"
    assert inbound_listener(dump, 8080).name == f"{REVIEWS_IP}_8080"
    assert inbound_listener(dump, 7070) is None
    assert inbound_listener(make_dump(listeners=(outbound,)), 9080) is None


def test_virtual_inbound_wins_over_a_per_port_listener():
    legacy = _listener(f"{REVIEWS_IP}_9080", REVIEWS_IP, 9080)
    dump = make_dump(listeners=(legacy, virtual_inbound()))
    assert inbound_listener(dump, 9080).name == "virtualInbound"


# --- EndpointTls: the verdict for one endpoint of a cluster the caller chose (explain request) ---------


def _view(dump, name=REVIEWS_CLUSTER):
    return next(view for view in clusters(dump) if view.name == name)


def test_endpoint_tls_with_dst_applied_is_mtls_with_the_server_side():
    src, dst = make_dump(**client()), make_dump(**server("STRICT"))
    tls = EndpointTls(src, dst)
    result = tls.endpoint(_view(src), REVIEWS_IP, 9080, {"tlsMode": "istio"}, dst_applies=True)
    assert (result.verdict, result.address, result.selected_match) == (VERDICT_MTLS, f"{REVIEWS_IP}:9080", "tlsMode-istio")
    assert result.socket_match_metadata == {"tlsMode": "istio"}
    assert result.server is not None and (result.server.mode, result.server.chain) == (STRICT, "0.0.0.0_9080")
    assert result.problems == () and result.target == ""
    assert result.evidence[0] == f"endpoint {REVIEWS_IP}:9080 (tlsMode=istio) selects transport_socket_match tlsMode-istio (tlsMode=istio)"


def test_endpoint_tls_without_dst_applied_does_not_check_the_server():
    src, dst = make_dump(**client()), make_dump(**server("DISABLE"))
    tls = EndpointTls(src, dst)
    assert tls.endpoint(_view(src), REVIEWS_IP, 9080, {"tlsMode": "istio"}, dst_applies=False).server is None
    assert tls.endpoint(_view(src), REVIEWS_IP, 9080, {"tlsMode": "istio"}, dst_applies=False).verdict == VERDICT_MTLS
    applied = tls.endpoint(_view(src), REVIEWS_IP, 9080, {"tlsMode": "istio"}, dst_applies=True)
    assert applied.verdict == VERDICT_FAIL
    assert applied.problems == ("DST's chain 0.0.0.0_9080 (Addr: *:9080) on port 9080 does not terminate TLS (plaintext): SRC's TLS handshake fails",)


def test_endpoint_tls_selects_the_socket_per_endpoint_metadata():
    src = make_dump(**client())
    tls = EndpointTls(src)
    plain = tls.endpoint(_view(src), "10.244.1.5", 9080, {}, dst_applies=False)
    assert (plain.verdict, plain.selected_match, plain.address) == (VERDICT_PLAINTEXT, "tlsMode-disabled", "10.244.1.5:9080")
    # The rows are read once per cluster and reused: a second cluster gets its own.
    parts = client()
    parts["clusters"] += (disable_cluster("ratings.default.svc.cluster.local"),)
    src = make_dump(**parts)
    tls = EndpointTls(src)
    assert tls.endpoint(_view(src), REVIEWS_IP, 9080, {"tlsMode": "istio"}, dst_applies=False).verdict == VERDICT_MTLS
    other = _view(src, "outbound|9080||ratings.default.svc.cluster.local")
    assert tls.endpoint(other, REVIEWS_IP, 9080, {"tlsMode": "istio"}, dst_applies=False).verdict == VERDICT_PLAINTEXT
    assert tls.endpoint(_view(src), REVIEWS_IP, 9080, {"tlsMode": "istio"}, dst_applies=False).verdict == VERDICT_MTLS


def test_endpoint_tls_judges_the_pod_behind_the_endpoint():
    from meshctl.model.mesh import PodIndex

    from fakekube import pod

    src = make_dump(**client())
    pods = PodIndex.of([pod("reviews-v1", "default", ip=REVIEWS_IP)])
    result = EndpointTls(src, pods=pods).endpoint(_view(src), REVIEWS_IP, 9080, {"tlsMode": "istio"}, dst_applies=False)
    assert (result.verdict, result.code, result.target) == (VERDICT_FAIL, "mtls-to-plain-pod", "reviews-v1.default")
    assert result.problems == ("SRC sends Istio mTLS (tlsMode=istio) to pod reviews-v1.default, which has no sidecar",)
    # Pods not read: nobody is looked up.
    unread = EndpointTls(src, pods=PodIndex.unread("forbidden")).endpoint(_view(src), REVIEWS_IP, 9080, {"tlsMode": "istio"}, dst_applies=False)
    assert (unread.verdict, unread.target) == (VERDICT_MTLS, "")


def test_endpoint_tls_source_certificate_is_the_first_named_secret_held():
    from meshctl.sandbox.certs import TestCA

    ca = TestCA()
    src = make_dump(**client(secrets=istio_secrets(ca, sa="productpage")))
    tls = EndpointTls(src)
    workload = tls.src_certificate(["missing", "default", "ROOTCA"])
    assert (workload.uri_sans, workload.is_ca) == ((spiffe("productpage"),), False)
    root = tls.src_certificate(["ROOTCA", "default"])
    assert (root.uri_sans, root.is_ca, root.subject) == ((), True, "O=cluster.local")
    assert tls.src_certificate(["missing"]) is None
    assert tls.src_certificate([]) is None
    assert EndpointTls(make_dump(**client(secrets=None))).src_certificate(["default"]) is None


def test_endpoint_tls_istio_mutual_cluster_names_the_cluster_socket():
    src = make_dump(**client(istio_mutual_cluster(REVIEWS), endpoints=[("10.244.1.5", None)]))
    result = EndpointTls(src).endpoint(_view(src), "10.244.1.5", 9080, {}, dst_applies=False)
    assert (result.verdict, result.selected_match) == (VERDICT_MTLS, "(cluster transport_socket)")
    assert result.evidence[0] == "endpoint 10.244.1.5:9080 (no transport_socket_match metadata) selects (cluster transport_socket)"


# --- the explanation's JSON (docs/json.md meshctl.explain-mtls/v1) --------------------------------------


def test_explanation_json_head_in_full():
    from meshctl.analyze.mtls import Destination, explain_mtls

    dst = make_dump(**server("STRICT"))
    data = explain_mtls(make_dump(**client()), Destination("reviews:9080", "reviews", 9080, (REVIEWS_IP,)), dst, source="productpage").to_dict()
    head = {key: value for key, value in data.items() if key != "paths"}
    assert head == {
        "schemaVersion": "meshctl.explain-mtls/v1", "verdict": "mTLS", "summary": "mTLS", "source": "productpage",
        "destination": {"spec": "reviews:9080", "host": "reviews", "port": 9080, "workloadIps": [REVIEWS_IP]},
        "serverChecked": True, "problems": [], "notes": [],
    }  # fmt: skip
    (path,) = data["paths"]
    assert {key: value for key, value in path.items() if key != "endpoints"} == {
        "cluster": REVIEWS_CLUSTER, "state": "active", "verdict": "mTLS", "problems": [], "endpointsKnown": True,
        "selectedBy": "route 9080: virtual host reviews.default.svc.cluster.local:9080 (domain reviews) -> " + REVIEWS_CLUSTER,
    }  # fmt: skip


# --- step 1: the clusters SRC picks -----------------------------------------------------------------------


def _explain(parts, spec, dst=None):
    from meshctl.analyze.mtls import Destination, explain_mtls, parse_destination

    host, port = parse_destination(spec)
    return explain_mtls(make_dump(**parts), Destination(spec, host, port), dst)


def test_tcp_listener_is_chosen_by_its_own_ip_and_port_only():
    from helpers.mtlsdata import assignment, auto_mtls_cluster, tcp_listener

    db, cache = auto_mtls_cluster("mysqldb.db.svc.cluster.local", 3306), auto_mtls_cluster("redis.db.svc.cluster.local", 3306)
    parts = {
        "clusters": (db, cache),
        "assignments": [assignment(db["name"], [("10.244.2.3", "istio")], 3306), assignment(cache["name"], [("10.244.2.4", "istio")], 3306)],
        "listeners": (tcp_listener("10.96.41.9", 3306, db["name"]), tcp_listener("10.96.41.10", 3306, cache["name"])),
        "secrets": istio_secrets(),
    }  # fmt: skip
    assert [(p.cluster, p.selected_by) for p in _explain(parts, "10.96.41.10:3306").paths] == [(cache["name"], f"listener 10.96.41.10_3306: tcp_proxy -> {cache['name']}")]
    assert [p.cluster for p in _explain(parts, "10.96.41.9").paths] == [db["name"]]  # no port: the IP's listeners
    assert _explain(parts, "10.96.41.9:3307").paths == ()


def test_listener_filters_without_a_typed_config_or_to_the_black_hole_are_skipped():
    from helpers.mtlsdata import assignment, auto_mtls_cluster, tcp_listener

    db = auto_mtls_cluster("mysqldb.db.svc.cluster.local", 3306)
    listener = tcp_listener("10.96.41.9", 3306, db["name"])
    listener["filter_chains"].insert(0, {"filters": [{"name": "envoy.filters.network.tcp_proxy"},
                                                     {"name": "envoy.filters.network.tcp_proxy", "typed_config": {"cluster": "BlackHoleCluster"}}]})  # fmt: skip
    parts = {"clusters": (db,), "assignments": [assignment(db["name"], [("10.244.2.3", "istio")], 3306)], "listeners": (listener,), "secrets": istio_secrets()}
    assert [p.cluster for p in _explain(parts, "10.96.41.9:3306").paths] == [db["name"]]


def test_a_short_name_without_the_clients_namespace_does_not_resolve_to_a_malformed_host():
    from helpers.mtlsdata import auto_mtls_cluster

    odd = auto_mtls_cluster("reviews..svc.cluster.local")
    parts = client(odd, with_route=False, node={"bootstrap": {"node": {"id": "sidecar~10.0.0.1~pp.default~default.svc.cluster.local"}}})
    result = _explain(parts, "reviews:9080")
    assert result.paths == ()
    assert result.problems == ("SRC has no route or cluster for reviews port 9080 (traffic goes to PassthroughCluster or BlackHole)",)


# --- without EDS: one hypothetical endpoint per distinct socket ----------------------------------------


def test_without_eds_a_shadowed_match_is_one_result():
    # Envoy takes the first matching entry: a match-everything entry first shadows the tlsMode one,
    # so the tlsMode=istio endpoints and those without metadata select the same socket.
    from helpers.mtlsdata import RAW_BUFFER, auto_mtls_cluster

    cluster = auto_mtls_cluster(REVIEWS)
    cluster["transport_socket_matches"].insert(0, {"name": "everything", "match": {}, "transport_socket": RAW_BUFFER})
    cluster["transport_socket_matches"][1]["match"] = {"tlsMode": "istio"}
    (path,) = _explain(client(cluster, eds=False), "reviews:9080").paths
    assert [(e.address, e.selected_match, e.verdict) for e in path.endpoints] == [("endpoints with tlsMode=istio", "everything", VERDICT_PLAINTEXT)]
    assert path.verdict == VERDICT_PLAINTEXT


def test_workload_ips_come_from_instance_ips_every_one_of_them():
    # pilot-agent writes every pod IP (dual stack) to INSTANCE_IPS; the node id has only the first.
    node = bootstrap("reviews-v1-xyz", "default", "10.244.0.12")
    node["bootstrap"]["node"]["metadata"]["INSTANCE_IPS"] = "10.244.0.12, fd00::12,"
    from meshctl.analyze.mtls import workload_ips

    assert workload_ips(make_dump(node=node)) == ("10.244.0.12", "fd00::12")
    node["bootstrap"]["node"]["metadata"]["INSTANCE_IPS"] = "10.9.9.9"
    assert workload_ips(make_dump(node=node)) == ("10.9.9.9",)  # the metadata, not the node id
    del node["bootstrap"]["node"]["metadata"]["INSTANCE_IPS"]
    assert workload_ips(make_dump(node=node)) == ("10.244.0.12",)
    assert workload_ips(make_dump(node={"bootstrap": {"node": {"id": "router~10.1.1.1~gw"}}})) == ()


# --- the verdict per endpoint: the pod behind it ---------------------------------------------------------


def _pods(*objects):
    from meshctl.model.mesh import PodIndex

    return PodIndex.of(objects)


def _with_pods(parts, pods, spec="reviews:9080", dst=None):
    from meshctl.analyze.mtls import Destination, explain_mtls, parse_destination

    host, port = parse_destination(spec)
    return explain_mtls(make_dump(**parts), Destination(spec, host, port), dst, pods=pods)


def _only(explanation):
    (path,) = explanation.paths
    (result,) = path.endpoints
    return result


def test_plaintext_to_a_pod_without_sidecar_is_plaintext_with_evidence():
    from fakekube import pod

    result = _only(_with_pods(client(endpoints=[(REVIEWS_IP, None)]), _pods(pod("reviews-v1", ip=REVIEWS_IP))))
    assert (result.verdict, result.code, result.target, result.problems, result.cautions) == (VERDICT_PLAINTEXT, "", "reviews-v1.default", (), ())
    assert "pod reviews-v1.default has no sidecar: the application itself receives SRC's plaintext" in result.evidence


def test_user_tls_to_a_pod_without_sidecar_is_the_applications_tls():
    from fakekube import pod
    from helpers.mtlsdata import simple_tls_cluster

    result = _only(_with_pods(client(simple_tls_cluster(REVIEWS)), _pods(pod("reviews-v1", ip=REVIEWS_IP))))
    assert (result.verdict, result.code, result.problems) == (VERDICT_TLS, "", ())
    assert "pod reviews-v1.default has no sidecar: the application itself receives SRC's TLS" in result.evidence


def test_istio_mutual_to_a_pod_without_sidecar_will_fail():
    from fakekube import pod

    result = _only(_with_pods(client(istio_mutual_cluster(REVIEWS), endpoints=[(REVIEWS_IP, None)]), _pods(pod("reviews-v1", ip=REVIEWS_IP))))
    assert (result.verdict, result.code) == (VERDICT_FAIL, "mtls-to-plain-pod")
    assert result.problems == ("SRC sends Istio mTLS (ISTIO_MUTUAL) to pod reviews-v1.default, which has no sidecar",)


def test_mtls_to_an_ambient_pod_is_left_to_the_ambient_analysis():
    from fakekube import pod

    ambient = pod("reviews-v1", ip=REVIEWS_IP, annotations={"ambient.istio.io/redirection": "enabled"})
    result = _only(_with_pods(client(), _pods(ambient), dst=make_dump(**server("DISABLE"))))
    # DST's inbound listener is not the ambient pod's: not checked.
    assert (result.verdict, result.server, result.code) == (VERDICT_MTLS, None, "")
    assert "pod reviews-v1.default is captured by ztunnel (ambient mode): its side is judged by the ambient analysis" in result.evidence


def test_plaintext_to_a_sidecar_pod_whose_inbound_side_was_not_read_is_a_caution():
    from fakekube import istio_pod

    result = _only(_with_pods(client(endpoints=[(REVIEWS_IP, None)]), _pods(istio_pod("reviews-v1", ip=REVIEWS_IP))))
    assert (result.verdict, result.code, result.problems) == (VERDICT_PLAINTEXT, "plaintext-to-sidecar", ())
    assert result.cautions == ("SRC sends plain text to sidecar pod reviews-v1.default: refused if its PeerAuthentication is STRICT (its inbound listener was not read)",)
    assert result.to_dict()["cautions"] == list(result.cautions) and result.to_dict()["pod"] == "reviews-v1.default"


def test_mtls_to_a_sidecar_pod_says_so_and_has_no_code():
    from fakekube import istio_pod

    result = _only(_with_pods(client(), _pods(istio_pod("reviews-v1", ip=REVIEWS_IP))))
    assert (result.verdict, result.code, result.cautions) == (VERDICT_MTLS, "", ())
    assert "pod reviews-v1.default has a sidecar" in result.evidence
    # With the sidecar's inbound side known, plain text gets no caution: the listener decides.
    plain = _only(_with_pods(client(endpoints=[(REVIEWS_IP, None)]), _pods(istio_pod("reviews-v1", ip=REVIEWS_IP)), dst=make_dump(**server("PERMISSIVE"))))
    assert (plain.verdict, plain.cautions, plain.code) == (VERDICT_PLAINTEXT, (), "")


def test_unread_pods_are_a_note():
    from meshctl.model.mesh import PodIndex

    explanation = _with_pods(client(), PodIndex.unread("pods is forbidden"))
    assert explanation.notes[0] == "unknown: the pods behind the endpoints (sidecar or not) were not read: pods is forbidden"
    assert _only(explanation).target == ""


def test_no_cluster_for_a_pod_destination_names_the_pod():
    from meshctl.analyze.mtls import Destination, explain_mtls
    from meshctl.model.mesh import PodFact

    target = PodFact("ratings-v1.default", "default", ("10.244.3.3",))
    result = explain_mtls(make_dump(**client()), Destination("ratings-v1.default", "", 9080, ("10.244.3.3",)), target=target)
    assert result.problems == ("SRC has no route or cluster for 10.244.3.3 port 9080 (pod ratings-v1.default) (traffic goes to PassthroughCluster or BlackHole)",)
    assert result.summary() == "will fail: " + result.problems[0]
    assert result.verdict == VERDICT_FAIL
    # The pod's name already in what is named: not repeated.
    named = explain_mtls(make_dump(**client()), Destination("ratings-v1.default", "ratings-v1.default", None, ()), target=target)
    assert named.problems == ("SRC has no route or cluster for ratings-v1.default (traffic goes to PassthroughCluster or BlackHole)",)


# --- the verdict per endpoint: the socket and DST's inbound side -----------------------------------------


def test_endpoint_label_shows_metadata_without_tls_mode():
    cluster = istio_mutual_cluster(REVIEWS)
    parts = client(cluster)
    parts["assignments"][0]["endpoints"][0]["lb_endpoints"][0]["metadata"] = {"filter_metadata": {"envoy.transport_socket_match": {"zone": "a"}}}
    result = _only(_with_pods(parts, None))
    assert result.evidence[0] == f"endpoint {REVIEWS_IP}:9080 ({{'zone': 'a'}}) selects (cluster transport_socket)"
    assert result.to_dict()["tlsMode"] is None and result.to_dict()["transportSocketMatchMetadata"] == {"zone": "a"}


def test_a_transport_socket_meshctl_does_not_know_is_unknown():
    from meshctl.analyze.mtls import VERDICT_UNKNOWN

    cluster = disable_cluster(REVIEWS)
    cluster["transport_socket"] = {"name": "envoy.transport_sockets.alts", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.transport_sockets.alts.v3.Alts"}}
    explanation = _with_pods(client(cluster), None)
    result = _only(explanation)
    assert result.verdict == VERDICT_UNKNOWN and explanation.verdict == VERDICT_UNKNOWN
    assert result.evidence[-1] == f"transport socket {result.tls.mode} is not one meshctl understands"
    assert explanation.summary() == VERDICT_UNKNOWN


def test_dst_without_inbound_listener_texts():
    no_sidecar = make_dump(listeners=(), secrets=istio_secrets(), node=server()["node"])
    tls = _only(_with_pods(client(), None, dst=no_sidecar))
    assert tls.problems == ("DST has no inbound listener (virtualInbound): the app itself receives SRC's TLS handshake",)
    assert (tls.server, tls.code) == (None, "will-fail")
    plain = _only(_with_pods(client(endpoints=[(REVIEWS_IP, None)]), None, dst=no_sidecar))
    assert (plain.verdict, plain.problems) == (VERDICT_PLAINTEXT, ())
    assert plain.evidence[-1] == "DST has no inbound listener (no sidecar capture): plaintext reaches the app"


def test_plaintext_to_a_tls_only_chain_without_transport_protocol_is_refused():
    listener = virtual_inbound(9080, "STRICT")
    listener["filter_chains"][1]["filter_chain_match"].pop("transport_protocol")  # any transport: plain text lands on the TLS chain
    dst = make_dump(**{**server(), "listeners": (listener,)})
    result = _only(_with_pods(client(endpoints=[(REVIEWS_IP, None)]), None, dst=dst))
    assert result.problems == ("DST requires TLS on port 9080 (STRICT): chain 0.0.0.0_9080 (Addr: *:9080) refuses plaintext",)


def test_plaintext_to_a_plaintext_chain_says_it_takes_plaintext():
    result = _only(_with_pods(client(endpoints=[(REVIEWS_IP, None)]), None, dst=make_dump(**server("DISABLE"))))
    assert (result.verdict, result.problems) == (VERDICT_PLAINTEXT, ())
    assert "DST virtualInbound port 9080: plaintext; chain 0.0.0.0_9080 (Addr: *:9080), takes plaintext" in result.evidence
    assert result.server.to_dict()["terminatesTls"] is False and result.server.mode == PLAINTEXT_ONLY


def test_server_that_does_not_ask_for_a_client_certificate_evidence():
    result = _only(_with_pods(client(), None, dst=make_dump(**server("PERMISSIVE", require_client_certificate=False))))
    assert result.verdict == VERDICT_TLS
    assert ("DST virtualInbound port 9080: PERMISSIVE; chain 0.0.0.0_9080 (Trans: tls; Addr: *:9080), terminates TLS with default, "
            "does not ask for a client certificate") in result.evidence  # fmt: skip
    assert "DST SDS secret default: ACTIVE" in result.evidence and "DST SDS secret ROOTCA: ACTIVE" in result.evidence


def test_tls_without_client_certificate_to_strict_in_full():
    from helpers.mtlsdata import simple_tls_cluster

    result = _only(_with_pods(client(simple_tls_cluster(REVIEWS)), None, dst=make_dump(**server("STRICT"))))
    assert result.problems == ("DST requires a client certificate on port 9080 but SRC's socket has none (TLS without mTLS)",)
    assert result.code == "will-fail"


def test_warming_inbound_listener_will_fail():
    from meshctl.decode.configdump import from_object

    from helpers.mtlsdata import dump_document

    document = dump_document(**server("STRICT"))
    listeners = next(c for c in document["configs"] if c["@type"].endswith("ListenersConfigDump"))
    listeners["dynamic_listeners"][0] = {"name": "virtualInbound", "warming_state": listeners["dynamic_listeners"][0]["active_state"]}
    result = _only(_with_pods(client(), None, dst=from_object(document)))
    assert result.problems == ("DST's inbound listener virtualInbound is warming",)
    assert result.verdict == VERDICT_FAIL


def test_no_chain_for_the_port_in_full():
    listener = {"name": "virtualInbound", "address": {"socket_address": {"address": "0.0.0.0", "port_value": 15006}},
                "filter_chains": [{"filter_chain_match": {"destination_port": 15006}}]}  # fmt: skip
    result = _only(_with_pods(client(), None, dst=make_dump(**{**server(), "listeners": (listener,)})))
    assert result.problems == ("no filter chain of DST's virtualInbound accepts tls on port 9080: Envoy closes the connection",)
    assert result.server.mode == NO_CHAIN and result.server.chain == "" and result.server.chain_match == ""
    assert result.evidence[-1] == "DST virtualInbound port 9080: no matching filter chain"


def test_san_mismatch_against_a_certificate_without_sans():
    import base64

    from meshctl.sandbox.certs import TestCA

    ca = TestCA()
    dst_secrets = istio_secrets(ca, sa="reviews")
    dst_secrets["dynamic_active_secrets"][0] = {"name": "default", "version_info": "1", "secret": {"name": "default", "tls_certificate": {
        "certificate_chain": {"inline_bytes": base64.b64encode(ca.root.cert_pem).decode()}}}}  # fmt: skip
    result = _only(_with_pods(client(secrets=istio_secrets(ca)), None, dst=make_dump(**server("STRICT", secrets=dst_secrets))))
    assert result.problems == (f"DST presents no SAN but SRC accepts only {SAN}",)


# --- the overall verdict and its line ------------------------------------------------------------------------


def test_summary_counts_three_kinds_in_verdict_order():
    from helpers.mtlsdata import assignment, upstream_tls

    cluster = client()["clusters"][0]
    cluster["transport_socket_matches"].insert(1, {"name": "user-tls", "match": {"tlsMode": "user"}, "transport_socket": upstream_tls(REVIEWS, cert=False)})
    parts = client(cluster)
    parts["assignments"] = [assignment(cluster["name"], [("10.244.1.5", None), (REVIEWS_IP, "istio"), ("10.244.1.6", "user"), ("10.244.1.7", "istio")])]
    explanation = _with_pods(parts, None)
    assert [e.verdict for e in explanation.paths[0].endpoints] == [VERDICT_PLAINTEXT, VERDICT_MTLS, VERDICT_TLS, VERDICT_MTLS]
    assert explanation.summary() == "plaintext for 1 of 4 endpoints (2 mTLS, 1 TLS)"


def test_path_and_explanation_verdicts():
    from meshctl.analyze.mtls import VERDICT_UNKNOWN, PathResult, worst

    assert worst([]) == VERDICT_UNKNOWN
    assert worst([VERDICT_MTLS, VERDICT_TLS]) == VERDICT_TLS
    assert worst([VERDICT_UNKNOWN, VERDICT_PLAINTEXT]) == VERDICT_UNKNOWN
    assert worst(iter([VERDICT_FAIL, VERDICT_UNKNOWN])) == VERDICT_FAIL
    assert PathResult("c", "active", "x", (), ("broken",)).verdict == VERDICT_FAIL
    assert PathResult("c", "active", "x", ()).verdict == VERDICT_UNKNOWN


def test_pod_ip_destination_names_the_endpoint_that_chose_the_cluster():
    from helpers.mtlsdata import assignment

    parts = client(endpoints=[(REVIEWS_IP, "istio"), ("10.244.1.5", None)])
    # An inbound assignment first: skipped, and the outbound ones after it still looked at.
    parts["assignments"].insert(0, assignment("inbound|9080||", [("10.244.1.5", None)]))
    (path,) = _explain(parts, "10.244.1.5:9080").paths
    assert (path.cluster, path.selected_by) == (REVIEWS_CLUSTER, f"cluster {REVIEWS_CLUSTER} has endpoint 10.244.1.5:9080")
    assert [e.address for e in path.endpoints] == ["10.244.1.5:9080"]
    assert _explain(parts, "10.244.1.5:9081").paths == ()


def test_user_mutual_tls_to_a_pod_without_sidecar_is_the_applications_tls():
    # A DestinationRule MUTUAL with the user's own certificates (not Istio's workload cert): the app may speak it.
    from fakekube import pod

    cluster = istio_mutual_cluster(REVIEWS)
    cluster["transport_socket"]["typed_config"]["common_tls_context"]["tls_certificate_sds_secret_configs"][0]["name"] = "file-cert:/etc/certs/cert.pem~/etc/certs/key.pem"
    parts = client(cluster, endpoints=[(REVIEWS_IP, None)], secrets=None)
    result = _only(_with_pods(parts, _pods(pod("reviews-v1", ip=REVIEWS_IP))))
    assert (result.verdict, result.problems, result.code) == (VERDICT_MTLS, (), "")
    assert "pod reviews-v1.default has no sidecar: the application itself receives SRC's TLS" in result.evidence


def test_a_failing_endpoint_at_a_pod_without_sidecar_or_in_ambient_is_coded_will_fail():
    from fakekube import pod
    from helpers.mtlsdata import simple_tls_cluster

    missing_root = istio_secrets(active=("default",))
    plain_pod = _pods(pod("reviews-v1", ip=REVIEWS_IP))
    result = _only(_with_pods(client(simple_tls_cluster(REVIEWS), secrets=missing_root), plain_pod))
    assert (result.verdict, result.code, result.problems) == (VERDICT_FAIL, "will-fail", ("SRC has no SDS secret ROOTCA (not pushed by the agent yet?)",))
    ambient = _pods(pod("reviews-v1", ip=REVIEWS_IP, annotations={"ambient.istio.io/redirection": "enabled"}))
    assert _only(_with_pods(client(secrets=missing_root), ambient)).code == "will-fail"


# --- the same verdicts over a whole dump (check's tls-mode rule) --------------------------------------------


def test_client_facts_are_the_outbound_endpoints_at_known_pods():
    from meshctl.analyze.mtls import client_facts
    from meshctl.model.mesh import PodIndex

    from fakekube import istio_pod, pod
    from helpers.mtlsdata import assignment

    parts = client(endpoints=[(REVIEWS_IP, "istio"), ("10.244.1.5", None), ("10.9.9.9", "istio")])
    parts["clusters"] += ({"name": "inbound|9080||", "type": "STATIC", "load_assignment": assignment("inbound|9080||", [("10.244.1.5", None)])},)
    dump = make_dump(**parts)
    pods = PodIndex.of([istio_pod("reviews-v1", ip=REVIEWS_IP), pod("legacy", ip="10.244.1.5")])
    facts = client_facts(dump, pods)
    assert facts.has_eds is True and set(facts.secrets) == {"default", "ROOTCA"}
    assert [(e.cluster, e.ip, e.port, e.metadata, e.selected[1]) for e in facts.endpoints] == [
        (REVIEWS_CLUSTER, REVIEWS_IP, 9080, {"tlsMode": "istio"}, "tlsMode-istio"),
        (REVIEWS_CLUSTER, "10.244.1.5", 9080, {}, "tlsMode-disabled"),
    ]
    assert facts.endpoints[0].selected[0].cert_secrets == ("default",) and facts.endpoints[0].selected[0].state == "active"
    assert client_facts(make_dump(**client(eds=False)), pods).endpoints == ()
    assert client_facts(dump, PodIndex.unread("forbidden")).endpoints == ()
    assert client_facts(make_dump(**client(istio_mutual_cluster(REVIEWS))), pods).endpoints[0].selected[1] == "(cluster transport_socket)"


def test_client_facts_read_the_roots():
    from meshctl.analyze.mtls import client_facts
    from meshctl.model.mesh import PodIndex
    from meshctl.sandbox.certs import TestCA

    ca = TestCA()
    facts = client_facts(make_dump(**client(secrets=istio_secrets(ca))), PodIndex.of([]))
    assert facts.roots is not None and facts.endpoints == ()


def test_endpoint_verdicts_use_each_pods_own_inbound_side():
    from meshctl.analyze.mtls import client_facts, endpoint_verdicts, server_facts
    from meshctl.model.mesh import PodIndex

    from fakekube import istio_pod, pod

    ips = {"a.default": "10.244.0.21", "b.default": "10.244.0.22"}
    pods = PodIndex.of([istio_pod("a", ip=ips["a.default"]), istio_pod("b", ip=ips["b.default"]), pod("c", ip="10.244.0.23")])
    src = make_dump(**client(endpoints=[(ips["a.default"], None), (ips["b.default"], None), ("10.244.0.23", None)]))
    # server_facts' default name is "DST" for both: the verdicts still keep the two pods apart.
    servers = {"a.default": server_facts(make_dump(**server("STRICT", ip=ips["a.default"]))),
               "b.default": server_facts(make_dump(**server("DISABLE", ip=ips["b.default"])))}  # fmt: skip
    results = endpoint_verdicts(client_facts(src, pods), pods, servers)
    assert [(endpoint.ip, result.address, result.verdict, result.target) for endpoint, result in results] == [
        ("10.244.0.21", "10.244.0.21:9080", VERDICT_FAIL, "a.default"),
        ("10.244.0.22", "10.244.0.22:9080", VERDICT_PLAINTEXT, "b.default"),
        ("10.244.0.23", "10.244.0.23:9080", VERDICT_PLAINTEXT, "c.default"),
    ]
    assert results[0][1].problems == ("no filter chain of DST's virtualInbound accepts raw_buffer on port 9080: Envoy closes the connection",)
    assert results[0][1].server.mode == STRICT and results[1][1].server.mode == PLAINTEXT_ONLY
    assert "DST virtualInbound port 9080: plaintext; chain 0.0.0.0_9080 (Addr: *:9080), takes plaintext" in results[1][1].evidence
    # Without the pods' inbound sides: a caution for the sidecars, nothing for the plain pod.
    bare = endpoint_verdicts(client_facts(src, pods), pods, {})
    assert [(r.code, r.server) for _, r in bare] == [("plaintext-to-sidecar", None), ("plaintext-to-sidecar", None), ("", None)]


def test_endpoint_verdicts_check_secrets_roots_and_time():
    from datetime import datetime, timedelta, timezone

    from meshctl.analyze.mtls import client_facts, endpoint_verdicts, server_facts
    from meshctl.model.mesh import PodIndex
    from meshctl.sandbox.certs import TestCA

    from fakekube import istio_pod

    ca, other = TestCA(), TestCA()
    pods = PodIndex.of([istio_pod("reviews-v1", ip=REVIEWS_IP)])
    src = client_facts(make_dump(**client(secrets=istio_secrets(ca))), pods)
    good = {"reviews-v1.default": server_facts(make_dump(**server("STRICT", secrets=istio_secrets(ca, sa="reviews"))))}
    ((_, result),) = endpoint_verdicts(src, pods, good)
    assert (result.verdict, result.problems) == (VERDICT_MTLS, ())
    foreign = {"reviews-v1.default": server_facts(make_dump(**server("STRICT", secrets=istio_secrets(other, sa="reviews"))))}
    ((_, result),) = endpoint_verdicts(src, pods, foreign)
    assert result.problems == ("SRC and DST trust no common root (ROOTCA differs): the handshake fails certificate verification",)
    later = datetime.now(timezone.utc) + timedelta(days=3)
    ((_, result),) = endpoint_verdicts(src, pods, good, now=later)
    assert result.problems[0].startswith("SRC's certificate default is not valid now (expires ")


# --- DST's TLS context: a DownstreamTlsContext by type, or the tls socket by name -----------------------------


@pytest.mark.parametrize(
    ("socket", "terminates"),
    [
        ({"name": "envoy.transport_sockets.tls", "typed_config": {"require_client_certificate": True}}, True),  # by name, no @type
        ({"name": "tls", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
                                          "require_client_certificate": True}}, True),  # by type, any name
        ({"name": "envoy.transport_sockets.raw_buffer", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"}}, False),
        ({"name": "envoy.transport_sockets.tls"}, False),  # no typed_config: nothing to read
        ({"name": "envoy.transport_sockets.tls", "typed_config": "junk"}, False),
    ],
)  # fmt: skip
def test_what_terminates_tls_on_dst(socket, terminates):
    from meshctl.analyze.mtls import server_side
    from meshctl.model.views import ListenerView

    listener = virtual_inbound(9080, "STRICT")
    listener["filter_chains"][1]["transport_socket"] = socket
    view = next(iter(listeners(make_dump(listeners=(listener,)))))
    assert isinstance(view, ListenerView)
    side = server_side(view, port=9080, ip=REVIEWS_IP, transport="tls", alpn=(), sni="")
    assert side.terminates_tls is terminates
    assert side.require_client_certificate is terminates
    assert side.mode == (STRICT if terminates else NO_CHAIN)


def test_roots_are_compared_only_when_both_sides_have_them():
    from meshctl.sandbox.certs import TestCA

    ca = TestCA()
    dst = make_dump(**server("STRICT", secrets=istio_secrets(ca, sa="reviews")))
    # SRC's dump without secrets: its roots are unknown, so nothing is said about them.
    result = _only(_with_pods(client(secrets=None), None, dst=dst))
    assert (result.verdict, result.problems) == (VERDICT_MTLS, ())
    result = _only(_with_pods(client(secrets=istio_secrets(ca)), None, dst=make_dump(**server("STRICT", secrets=None))))
    assert (result.verdict, result.problems) == (VERDICT_MTLS, ())


def test_san_mismatch_lists_every_san_and_every_matcher():
    from meshctl.sandbox.certs import TestCA

    ca = TestCA()
    cluster = client()["clusters"][0]
    validation = cluster["transport_socket_matches"][0]["transport_socket"]["typed_config"]["common_tls_context"]["combined_validation_context"]
    validation["default_validation_context"]["match_subject_alt_names"] = [{"exact": spiffe("a")}, {"prefix": "spiffe://other/"}]
    result = _only(_with_pods(client(cluster, secrets=istio_secrets(ca)), None, dst=make_dump(**server("STRICT", secrets=istio_secrets(ca, sa="reviews")))))
    assert result.problems == (f"DST presents {SAN} but SRC accepts only {spiffe('a')},prefix:spiffe://other/",)
    validation["default_validation_context"]["match_subject_alt_names"].append({"suffix": "/sa/reviews"})
    result = _only(_with_pods(client(cluster, secrets=istio_secrets(ca)), None, dst=make_dump(**server("STRICT", secrets=istio_secrets(ca, sa="reviews")))))
    assert result.problems == ()


# --- Envoy's filter chain match (FilterChainManagerImpl): destination IP and server names -----------------


def _chains(*chains, default=None):
    listener = {"filter_chains": [{"name": name, "filter_chain_match": match} for name, match in chains]}
    if default:
        listener["default_filter_chain"] = {"name": default}
    return listener


def _pick(listener, *, ip="10.244.1.1", sni="", transport="tls", alpn=()):
    from meshctl.analyze.mtls import select_chain

    chain = select_chain(listener, port=9080, ip=ip, transport=transport, alpn=alpn, sni=sni)
    return chain["name"] if chain else None


def _cidr(prefix, length=None):
    return {"address_prefix": prefix} | ({"prefix_len": length} if length is not None else {})


def test_destination_ip_longest_prefix_then_chains_without_ranges():
    listener = _chains(("all", {"prefix_ranges": [_cidr("0.0.0.0", 0)]}), ("none", {}), ("half", {"prefix_ranges": [_cidr("0.0.0.0", 1)]}))
    assert _pick(listener, ip="10.1.1.1") == "half"  # /1 beats /0
    assert _pick(listener, ip="200.1.1.1") == "all"  # /0 (a range) beats no range
    assert _pick(listener, ip="fd00::1") == "none"  # no IPv4 range holds it
    assert _pick(_chains(("none", {}), ("all", {"prefix_ranges": [_cidr("0.0.0.0", 0)]})), ip="10.1.1.1") == "all"


def test_prefix_len_zero_is_omitted_from_protobuf_json():
    # {"address_prefix": "0.0.0.0"} is 0.0.0.0/0 (proto3 JSON drops a zero prefix_len), as Istio's passthrough chains are dumped.
    listener = _chains(("wide", {"prefix_ranges": [_cidr("0.0.0.0")]}), ("none", {}))
    assert _pick(listener, ip="200.1.1.1") == "wide"
    assert _pick(_chains(("wrapped", {"prefix_ranges": [{"address_prefix": "10.0.0.0", "prefix_len": {"value": 8}}]}), ("none", {})), ip="10.2.2.2") == "wrapped"


def test_the_best_of_a_chains_ranges_counts():
    # One chain lists a /16 after a /8; the other a /12: the /16 is the longest prefix holding the IP.
    listener = _chains(("two", {"prefix_ranges": [_cidr("10.244.0.0", 16), _cidr("10.0.0.0", 8)]}), ("twelve", {"prefix_ranges": [_cidr("10.240.0.0", 12)]}))
    assert _pick(listener, ip="10.244.1.1") == "two"
    listener = _chains(("eight", {"prefix_ranges": [_cidr("10.0.0.0", 8), _cidr("10.244.0.0", 16)]}), ("twelve", {"prefix_ranges": [_cidr("10.240.0.0", 12)]}))
    assert _pick(listener, ip="10.244.1.1") == "eight"


def test_ranges_with_host_bits_or_unreadable_ones():
    # Envoy's CidrRange masks the host bits: 10.244.1.1/16 is 10.244.0.0/16.
    assert _pick(_chains(("host-bits", {"prefix_ranges": [_cidr("10.244.1.1", 16)]}), ("none", {})), ip="10.244.9.9") == "host-bits"
    # An unreadable range is skipped; the chain's other ranges still count.
    listener = _chains(("mixed", {"prefix_ranges": [_cidr("not-an-ip", 8), _cidr("10.0.0.0", 8)]}), ("none", {}))
    assert _pick(listener, ip="10.1.1.1") == "mixed"
    assert _pick(_chains(("bad", {"prefix_ranges": [_cidr("not-an-ip", 8)]}), ("none", {})), ip="10.1.1.1") == "none"


def test_destination_not_an_ip_treats_ranges_as_matching():
    # A DNS endpoint (STRICT_DNS cluster): the address meshctl has is a name; the ranges cannot be checked.
    listener = _chains(("ranged", {"prefix_ranges": [_cidr("10.0.0.0", 8)]}), ("none", {}))
    assert _pick(listener, ip="reviews.example.com") == "ranged"
    assert _pick(listener, ip=None) == "ranged"


def test_server_names_exact_then_the_longest_wildcard_then_none():
    listener = _chains(("wild", {"server_names": ["*.example.com"]}), ("deeper", {"server_names": ["*.b.example.com"]}),
                       ("exact", {"server_names": ["a.b.example.com", "x.example.com"]}), ("any", {}))  # fmt: skip
    assert _pick(listener, sni="a.b.example.com") == "exact"
    assert _pick(listener, sni="x.example.com") == "exact"
    assert _pick(listener, sni="c.b.example.com") == "deeper"
    assert _pick(listener, sni="c.example.com") == "wild"
    assert _pick(listener, sni="example.com") == "any"  # "*." stands for at least one label
    assert _pick(listener, sni="") == "any"
    # A name that is not a wildcard matches only itself: its tail is no wildcard.
    assert _pick(_chains(("api", {"server_names": ["api.example.com"]}), ("any", {})), sni="pi.example.com") == "any"
    assert _pick(_chains(("api", {"server_names": ["api.example.com"]})), sni="other.example.com") is None


def test_unnamed_matching_chain_is_a_chain():
    from meshctl.analyze.mtls import server_side
    from meshctl.model.views import ListenerView

    listener = virtual_inbound(9080, "STRICT")
    del listener["filter_chains"][1]["name"]
    view = next(iter(listeners(make_dump(listeners=(listener,)))))
    side = server_side(view, port=9080, ip=REVIEWS_IP, transport="tls", alpn=(), sni="")
    assert (side.chain, side.mode, side.terminates_tls, side.port) == ("(unnamed)", STRICT, True, 9080)
    assert isinstance(view, ListenerView)
    result = _only(_with_pods(client(), None, dst=make_dump(**{**server(), "listeners": (listener,)})))
    assert (result.verdict, result.problems) == (VERDICT_MTLS, ())
    assert result.evidence[-3].startswith("DST virtualInbound port 9080: STRICT; chain (unnamed) (Trans: tls; Addr: *:9080), terminates TLS")


def test_the_server_posture_uses_istios_alpn_the_sni_and_the_destination_ip():
    from meshctl.analyze.mtls import server_side

    sni = "outbound_.9080_._.reviews.default.svc.cluster.local"
    listener = virtual_inbound(9080, "PERMISSIVE")
    listener["filter_chains"][1]["filter_chain_match"].update(application_protocols=["istio-peer-exchange", "istio"], server_names=[sni])
    for chain in listener["filter_chains"][1:3]:
        chain["filter_chain_match"]["prefix_ranges"] = [_cidr(REVIEWS_IP, 32)]
    view = next(iter(listeners(make_dump(listeners=(listener,)))))
    # A client offering no ALPN is judged with Istio's.
    side = server_side(view, port=9080, ip=REVIEWS_IP, transport="tls", alpn=(), sni=sni)
    assert (side.mode, side.chain) == (PERMISSIVE, "0.0.0.0_9080")
    assert server_side(view, port=9080, ip=REVIEWS_IP, transport="raw_buffer", alpn=(), sni=sni).chain == "0.0.0.0_9080"
    # Another destination IP: the port's chains are DST's IP only, and Envoy does not backtrack to the others.
    other_ip = server_side(view, port=9080, ip="10.9.9.9", transport="tls", alpn=(), sni=sni)
    assert (other_ip.mode, other_ip.chain) == (NO_CHAIN, "")
    other_sni = server_side(view, port=9080, ip=REVIEWS_IP, transport="tls", alpn=(), sni="outbound_.9080_._.ratings.default.svc.cluster.local")
    assert (other_sni.mode, other_sni.chain) == (PLAINTEXT_ONLY, "")


@pytest.mark.parametrize(
    ("first", "second", "connection", "expected"),
    [
        # transport protocol: the chain naming it beats the one without, whatever their order
        ({}, {"transport_protocol": "tls"}, {"transport": "tls"}, "second"),
        ({"transport_protocol": "tls"}, {}, {"transport": "tls"}, "first"),
        ({}, {"transport_protocol": "tls"}, {"transport": "raw_buffer"}, "first"),
        # ALPN: the chain listing one of the client's protocols beats the one without
        ({}, {"application_protocols": ["h2"]}, {"alpn": ("http/1.1", "h2")}, "second"),
        ({}, {"application_protocols": ["h2"]}, {"alpn": ("http/1.1",)}, "first"),
        ({"application_protocols": ["h2"]}, {}, {"alpn": ()}, "second"),
        # destination port, also as a wrapped UInt32Value
        ({}, {"destination_port": {"value": 9080}}, {}, "second"),
        ({"destination_port": 9081}, {}, {}, "second"),
    ],
)
def test_each_criterion_prefers_the_chain_naming_the_value(first, second, connection, expected):
    listener = _chains(("first", first), ("second", second))
    assert _pick(listener, **connection) == expected


def test_no_chain_and_a_default_chain_that_is_not_one():
    assert _pick(_chains(("port", {"destination_port": 1}), default="fallback")) == "fallback"
    listener = _chains(("port", {"destination_port": 1}))
    listener["default_filter_chain"] = "junk"
    assert _pick(listener) is None


def test_inbound_listener_prefers_the_active_virtual_inbound():
    from meshctl.analyze.mtls import inbound_listener_of
    from meshctl.decode.configdump import from_object

    from helpers.mtlsdata import dump_document

    document = dump_document(listeners=(virtual_inbound(),))
    section = next(c for c in document["configs"] if c["@type"].endswith("ListenersConfigDump"))
    warming = {"name": "virtualInbound", "warming_state": {"listener": {**virtual_inbound(), "filter_chains": []}}}
    section["dynamic_listeners"].insert(0, warming)
    views = list(listeners(from_object(document)))
    assert [v.state for v in views] == ["warming", "active"]
    assert inbound_listener_of(views, 9080).state == "active"


def test_a_capture_listener_on_15006_without_direction_is_dsts_inbound_side():
    listener = virtual_inbound(9080, "STRICT")
    listener["name"] = "capture"
    del listener["traffic_direction"]
    result = _only(_with_pods(client(), None, dst=make_dump(**{**server(), "listeners": (listener,)})))
    assert (result.verdict, result.server.listener) == (VERDICT_MTLS, "capture")
    renamed = virtual_inbound(9080, "STRICT")
    renamed["address"]["socket_address"]["port_value"] = 15001  # virtualInbound by name, on another port
    del renamed["traffic_direction"]
    result = _only(_with_pods(client(), None, dst=make_dump(**{**server(), "listeners": (renamed,)})))
    assert (result.verdict, result.server.listener) == (VERDICT_MTLS, "virtualInbound")


def test_dst_chain_for_another_endpoint_ip_is_not_taken():
    # DST's IPs are not among the endpoints: its inbound side is applied to each, by that endpoint's IP.
    listener = virtual_inbound(9080, "STRICT")
    listener["filter_chains"][1]["filter_chain_match"]["prefix_ranges"] = [_cidr(REVIEWS_IP, 32)]
    dst = make_dump(**{**server(), "listeners": (listener,)})
    result = _only(_with_pods(client(endpoints=[("10.244.1.5", "istio")]), None, dst=dst))
    assert result.problems == ("no filter chain of DST's virtualInbound accepts tls on port 9080: Envoy closes the connection",)
    assert _only(_with_pods(client(), None, dst=dst)).verdict == VERDICT_MTLS


def test_dst_chain_chosen_by_the_clients_sni_and_alpn():
    listener = virtual_inbound(9080, "STRICT")
    listener["filter_chains"][1]["filter_chain_match"].update(server_names=["outbound_.9080_._.reviews.default.svc.cluster.local"],
                                                              application_protocols=["istio-peer-exchange"])  # fmt: skip
    dst = make_dump(**{**server(), "listeners": (listener,)})
    assert _only(_with_pods(client(), None, dst=dst)).verdict == VERDICT_MTLS
    listener["filter_chains"][1]["filter_chain_match"]["application_protocols"] = ["h2"]
    dst = make_dump(**{**server(), "listeners": (listener,)})
    assert _only(_with_pods(client(), None, dst=dst)).problems == ("no filter chain of DST's virtualInbound accepts tls on port 9080: Envoy closes the connection",)


def test_dst_tls_context_evidence_names_every_secret_or_a_dash():
    from helpers.mtlsdata import DOWNSTREAM_TLS, common_tls

    listener = virtual_inbound(9080, "STRICT")
    context = common_tls()
    context["tls_certificate_sds_secret_configs"].append({"name": "file-cert:/etc/certs/cert.pem~/etc/certs/key.pem"})
    context["combined_validation_context"]["default_validation_context"] = {"trusted_ca": {"filename": "/etc/certs/root.pem"}}
    listener["filter_chains"][1]["transport_socket"] = {"name": "envoy.transport_sockets.tls", "typed_config": {
        "@type": DOWNSTREAM_TLS, "require_client_certificate": True, "common_tls_context": context}}  # fmt: skip
    secrets = istio_secrets(sa="reviews")
    secrets["dynamic_active_secrets"].append({"name": "file-cert:/etc/certs/cert.pem~/etc/certs/key.pem", "version_info": "1", "secret": {"name": "x"}})
    result = _only(_with_pods(client(), None, dst=make_dump(**{**server(secrets=secrets), "listeners": (listener,)})))
    assert result.evidence[-4] == ("DST virtualInbound port 9080: STRICT; chain 0.0.0.0_9080 (Trans: tls; Addr: *:9080), terminates TLS with "
                                   "default,file-cert:/etc/certs/cert.pem~/etc/certs/key.pem, requires client certificate, trusts ROOTCA,file:/etc/certs/root.pem")  # fmt: skip
    bare = virtual_inbound(9080, "STRICT")
    bare["filter_chains"][1]["transport_socket"] = {"name": "envoy.transport_sockets.tls", "typed_config": {
        "@type": DOWNSTREAM_TLS, "require_client_certificate": True, "common_tls_context": {}}}  # fmt: skip
    result = _only(_with_pods(client(), None, dst=make_dump(**{**server(), "listeners": (bare,)})))
    assert result.evidence[-1] == ("DST virtualInbound port 9080: STRICT; chain 0.0.0.0_9080 (Trans: tls; Addr: *:9080), terminates TLS with -, "
                                   "requires client certificate, trusts -")  # fmt: skip


def test_dst_certificate_validity_is_checked_at_now():
    from datetime import datetime, timedelta, timezone

    from meshctl.sandbox.certs import TestCA

    ca = TestCA()
    later = datetime.now(timezone.utc) + timedelta(days=3)
    dst = make_dump(**server("STRICT", secrets=istio_secrets(ca, sa="reviews")))
    from meshctl.analyze.mtls import Destination, explain_mtls

    result = _only(explain_mtls(make_dump(**client(secrets=None)), Destination("reviews:9080", "reviews", 9080), dst, now=later))
    assert result.problems[0].startswith("DST's certificate default is not valid now (expires ")


def test_weighted_routes_without_eds_count_no_endpoints():
    # Two clusters behind one route (weighted), the dump without EDS: each path has one socket for every endpoint.
    from helpers.mtlsdata import route

    mutual, plain = istio_mutual_cluster(REVIEWS), disable_cluster("reviews-v2.default.svc.cluster.local")
    table = route(9080, REVIEWS, mutual["name"])
    table["virtual_hosts"][0]["routes"] = [
        "junk", {"match": {"prefix": "/old"}, "redirect": {"path_redirect": "/"}},
        {"match": {"prefix": "/"}, "route": {"weighted_clusters": {"clusters": [{"name": mutual["name"], "weight": 90}, {"weight": 5}, "junk",
                                                                               {"name": plain["name"], "weight": 10}]}}},
        {"match": {"prefix": "/"}, "route": {"cluster": mutual["name"]}},
    ]  # fmt: skip
    parts = {"clusters": (mutual, plain), "assignments": None, "routes": (table,), "secrets": istio_secrets()}
    explanation = _explain(parts, "reviews:9080")
    assert [(p.cluster, p.verdict) for p in explanation.paths] == [(mutual["name"], VERDICT_MTLS), (plain["name"], VERDICT_PLAINTEXT)]
    assert explanation.summary() == VERDICT_PLAINTEXT


def test_without_eds_a_failing_socket_makes_the_verdict_unknown_not_a_failure():
    explanation = _explain(client(eds=False, secrets=istio_secrets(active=("default",))), "reviews:9080")
    (path,) = explanation.paths
    assert [e.verdict for e in path.endpoints] == [VERDICT_FAIL, VERDICT_PLAINTEXT]
    assert explanation.verdict == path.verdict == "unknown"
    assert explanation.summary() == "unknown"


def test_workload_name_needs_the_four_part_node_id():
    assert workload_name(make_dump(node={"bootstrap": {"node": {"id": "router~10.1.1.1~gw"}}})) == ""
    assert workload_name(make_dump(node={"bootstrap": {"node": {}}})) == ""


# --- step 1 in detail: destinations, routes, ports ---------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("[fd00::1]", ("fd00::1", None)), ("reviews:1", ("reviews", 1)), ("reviews:65535", ("reviews", 65535)), ("[fd00::1]:8080", ("fd00::1", 8080))],
)
def test_parse_destination_bounds(spec, expected):
    from meshctl.analyze.mtls import parse_destination

    assert parse_destination(spec) == expected


def test_parse_destination_rejects_port_65536():
    from meshctl.analyze.mtls import parse_destination

    with pytest.raises(ValueError, match="invalid port '65536' in 'reviews:65536'"):
        parse_destination("reviews:65536")


def _route_table(name, domains, cluster, vhost_name="reviews"):
    vhost = {"domains": domains, "routes": [{"match": {"prefix": "/"}, "route": {"cluster": cluster}}]}
    if vhost_name is not None:
        vhost["name"] = vhost_name
    return {"name": name, "virtual_hosts": [vhost]}


def test_route_choices_by_domain_port_and_route_name():
    from helpers.mtlsdata import auto_mtls_cluster

    other = auto_mtls_cluster(REVIEWS, 8080)
    parts = client(with_route=False)
    parts["clusters"] += (other,)
    parts["routes"] = (
        _route_table("inbound|9080||", ["reviews", "reviews:9080"], other["name"]),  # inbound route tables are not SRC's way out
        _route_table("reviews.default.svc.cluster.local:8080", ["reviews:9080"], other["name"]),  # Sidecar egress: host:port, another port
        _route_table("9080", ["reviews:9080"], REVIEWS_CLUSTER, vhost_name=None),
    )
    (path,) = _explain(parts, "reviews:9080").paths
    assert (path.cluster, path.selected_by) == (REVIEWS_CLUSTER, f"route 9080: virtual host  (domain reviews:9080) -> {REVIEWS_CLUSTER}")
    # Without a port the "host:port" domains are not what is asked: the service's clusters by name instead.
    assert [p.selected_by.split(" (")[0] for p in _explain(parts, "reviews").paths] == [f"cluster {REVIEWS_CLUSTER}", f"cluster {other['name']}"]


def test_a_route_table_named_without_a_port_serves_every_port():
    parts = client(with_route=False)
    parts["routes"] = (_route_table("http-routes", ["reviews"], REVIEWS_CLUSTER),)
    assert [p.cluster for p in _explain(parts, "reviews:9080").paths] == [REVIEWS_CLUSTER]


def test_an_ip_destination_uses_the_route_table_of_its_port():
    from helpers.mtlsdata import auto_mtls_cluster, tcp_listener

    other = auto_mtls_cluster(REVIEWS, 8080)
    parts = client(with_route=False)
    parts["clusters"] += (other,)
    parts["routes"] = (_route_table("8080", ["10.96.33.18", "10.96.33.18:9080"], other["name"]), _route_table("9080", ["10.96.33.18:9080"], REVIEWS_CLUSTER))
    assert [p.cluster for p in _explain(parts, "10.96.33.18:9080").paths] == [REVIEWS_CLUSTER]
    # TCP listeners on one IP, two ports: the asked port's.
    parts = client(with_route=False)
    parts["clusters"] += (other,)
    parts["listeners"] = (tcp_listener("10.96.41.9", 8080, other["name"]), tcp_listener("10.96.41.9", 9080, REVIEWS_CLUSTER))
    assert [p.cluster for p in _explain(parts, "10.96.41.9:9080").paths] == [REVIEWS_CLUSTER]


def test_service_clusters_by_name_are_the_asked_port_only():
    from helpers.mtlsdata import auto_mtls_cluster

    parts = client(with_route=False)
    parts["clusters"] += (auto_mtls_cluster(REVIEWS, 9081),)
    assert [p.cluster for p in _explain(parts, "reviews:9081").paths] == [cluster_name_of(9081)]


def cluster_name_of(port):
    from helpers.mtlsdata import cluster_name

    return cluster_name(REVIEWS, port)


def test_choose_clusters_reads_the_clusters_itself_when_not_given():
    from meshctl.analyze.mtls import Destination, choose_clusters

    choices = choose_clusters(make_dump(**client(with_route=False)), Destination("reviews:9080", "reviews", 9080))
    assert [c.cluster for c in choices] == [REVIEWS_CLUSTER]


def test_a_workload_destination_with_a_port_uses_that_port_only():
    from meshctl.analyze.mtls import Destination, explain_mtls

    result = explain_mtls(make_dump(**client()), Destination("reviews-v1", "", 9081, (REVIEWS_IP, "10.244.0.13")))
    assert result.problems == (f"SRC has no route or cluster for {REVIEWS_IP},10.244.0.13 port 9081 (traffic goes to PassthroughCluster or BlackHole)",)
    assert result.source == "SRC" and result.server_checked is False
    named = explain_mtls(make_dump(**client()), Destination("x", "nosuch", 9080), make_dump(**server()), source="productpage")
    assert (named.source, named.server_checked) == ("productpage", True)


# --- step 2 in detail: the socket for an endpoint ----------------------------------------------------------


def test_an_endpoint_no_match_selects_gets_envoys_default_raw_buffer():
    cluster = client()["clusters"][0]
    cluster["transport_socket_matches"] = cluster["transport_socket_matches"][:1]  # only tlsMode-istio
    result = _only(_explain(client(cluster, endpoints=[(REVIEWS_IP, None)]), "reviews:9080"))
    assert (result.verdict, result.selected_match) == (VERDICT_PLAINTEXT, "(default raw_buffer)")
    row = result.tls
    assert (row.cluster, row.state, row.match, row.match_name, row.mode, row.transport_socket) == (REVIEWS_CLUSTER, "active", None, "", "plaintext", "raw_buffer")


def test_a_v2_tls_context_is_the_clusters_own_socket():
    cluster = disable_cluster(REVIEWS)
    cluster["tls_context"] = {"common_tls_context": {}}
    result = _only(_explain(client(cluster, endpoints=[(REVIEWS_IP, None)]), "reviews:9080"))
    assert result.selected_match in ("(cluster transport_socket)",)


def test_original_destination_clusters_connect_to_the_asked_ip():
    cluster = {"name": "PassthroughCluster", "type": "ORIGINAL_DST", "lb_policy": "CLUSTER_PROVIDED"}
    parts = {"clusters": (cluster,), "assignments": [], "listeners": (), "secrets": istio_secrets(),
             "routes": (_route_table("9080", ["10.1.2.3:9080", "10.1.2.3"], "PassthroughCluster"),)}  # fmt: skip
    (path,) = _explain(parts, "10.1.2.3:9080").paths
    assert [(e.address, e.verdict, e.selected_match) for e in path.endpoints] == [("10.1.2.3:9080", VERDICT_PLAINTEXT, "(default raw_buffer)")]
    (path,) = _explain(parts, "10.1.2.3").paths
    assert [e.address for e in path.endpoints] == ["10.1.2.3:0"]


def test_a_route_to_a_cluster_srcs_dump_lacks():
    parts = client()
    parts["routes"][0]["virtual_hosts"][0]["routes"][0]["route"]["cluster"] = "outbound|9080||gone.default.svc.cluster.local"
    (path,) = _explain(parts, "reviews:9080").paths
    assert (path.cluster, path.state, path.endpoints, path.verdict) == ("outbound|9080||gone.default.svc.cluster.local", "missing", (), VERDICT_FAIL)
    assert path.problems == ("cluster outbound|9080||gone.default.svc.cluster.local does not exist in SRC (503 NR / cluster not found)",)
    assert path.selected_by.startswith("route 9080: virtual host ")


def test_an_eds_cluster_missing_from_the_endpoints_has_none():
    parts = client()
    parts["assignments"] = []
    explanation = _explain(parts, "reviews:9080")
    assert explanation.paths[0].problems == (f"cluster {REVIEWS_CLUSTER} has no endpoints (503 UH: no healthy upstream)",)
    assert explanation.summary() == f"will fail: cluster {REVIEWS_CLUSTER} has no endpoints (503 UH: no healthy upstream)"


def test_without_eds_each_socket_is_checked_against_dst_too():
    dst = make_dump(**server("STRICT"))
    explanation = _with_pods(client(eds=False), None, dst=dst)
    (path,) = explanation.paths
    assert (path.cluster, path.state, path.endpoints_known, path.problems) == (REVIEWS_CLUSTER, "active", False, ())
    assert path.selected_by.startswith("route 9080: ")
    assert [(e.address, e.verdict, e.server is not None) for e in path.endpoints] == [
        ("endpoints with tlsMode=istio", VERDICT_MTLS, True), ("endpoints without metadata", VERDICT_FAIL, True)]  # fmt: skip
    assert path.endpoints[1].problems == ("no filter chain of DST's virtualInbound accepts raw_buffer on port 9080: Envoy closes the connection",)
    assert explanation.notes == ("SRC's dump has no endpoints (fetch config_dump?include_eds): showing each transport socket match instead",)


def test_dsts_inbound_side_applies_to_dsts_own_endpoints_only():
    from meshctl.analyze.mtls import Destination, explain_mtls, workload_ips

    dst = make_dump(**server("STRICT"))
    src = make_dump(**client(endpoints=[(REVIEWS_IP, "istio"), ("10.244.1.5", None)]))
    explanation = explain_mtls(src, Destination("reviews:9080", "reviews", 9080, workload_ips(dst)), dst)
    assert [(e.address, e.verdict, e.server is not None) for e in explanation.paths[0].endpoints] == [
        (f"{REVIEWS_IP}:9080", VERDICT_MTLS, True), ("10.244.1.5:9080", VERDICT_PLAINTEXT, False)]  # fmt: skip
    assert explanation.notes == ()


def test_dst_ips_outside_the_endpoints_note_in_full():
    node = bootstrap("reviews-v1-xyz", "default", "10.9.9.8")
    node["bootstrap"]["node"]["metadata"]["INSTANCE_IPS"] = "10.9.9.9,10.9.9.8"
    from meshctl.analyze.mtls import Destination, explain_mtls, workload_ips

    dst = make_dump(**{**server("STRICT"), "node": node})
    result = explain_mtls(make_dump(**client()), Destination("reviews:9080", "reviews", 9080, workload_ips(dst)), dst)
    assert result.notes == (f"DST's IPs (10.9.9.8,10.9.9.9) are not endpoints of {REVIEWS_CLUSTER}: DST's inbound config is applied to every endpoint",)
    # Without DST's dump there is nothing to apply: no note.
    alone = explain_mtls(make_dump(**client()), Destination("reviews:9080", "reviews", 9080, ("10.9.9.9",)))
    assert not any("are not endpoints of" in note for note in alone.notes)


def test_dst_named_as_a_pod_judges_its_own_endpoint_without_a_pod_list():
    from meshctl.analyze.mtls import Destination, explain_mtls
    from meshctl.model.mesh import NO_MESH, SIDECAR, PodFact

    src = make_dump(**client(endpoints=[(REVIEWS_IP, "istio"), ("10.244.1.5", "istio")]))
    plain = PodFact("reviews-v1.default", "default", (REVIEWS_IP,), {}, NO_MESH)
    result = explain_mtls(src, Destination("reviews-v1.default", "", None, (REVIEWS_IP,)), target=plain)
    assert [(e.address, e.target, e.verdict) for e in result.paths[0].endpoints] == [(f"{REVIEWS_IP}:9080", "reviews-v1.default", VERDICT_FAIL)]
    assert result.notes == ()  # a pod without a sidecar has no inbound side to check
    sidecar = PodFact("reviews-v1.default", "default", (REVIEWS_IP,), {}, SIDECAR)
    result = explain_mtls(src, Destination("reviews:9080", "reviews", 9080, (REVIEWS_IP,)), target=sidecar)
    assert [(e.target, e.verdict) for e in result.paths[0].endpoints] == [("reviews-v1.default", VERDICT_MTLS), ("", VERDICT_MTLS)]
    assert result.notes == ("DST's inbound side not checked (give DST as a pod, --dst-file or --dst-admin)",)


# --- step 3 in detail: SDS secrets -----------------------------------------------------------------------------


def test_secrets_from_files_are_not_fetched_and_the_rest_still_are():
    from meshctl.analyze.mtls.client import secret_problems

    problems, evidence = secret_problems(["file:/etc/certs/cert.pem", "inline", "default"], {"ROOTCA": ("ACTIVE", None)}, "SRC", None)
    assert problems == ["SRC has no SDS secret default (not pushed by the agent yet?)"] and evidence == []
    problems, evidence = secret_problems(["default"], {"default": ("UNINITIALIZED", None)}, "DST", None)
    assert problems == ["DST's SDS secret default is uninitialized (Envoy has not received it)"]


def test_an_expired_root_is_not_an_expired_certificate():
    from datetime import datetime, timedelta, timezone

    from meshctl.sandbox.certs import TestCA

    ca = TestCA()
    much_later = datetime.now(timezone.utc) + timedelta(days=365 * 200)
    result = _only(_explain_at(client(secrets=istio_secrets(ca)), much_later))
    assert len(result.problems) == 1 and result.problems[0].startswith("SRC's certificate default is not valid now (expires ")


def _explain_at(parts, now):
    from meshctl.analyze.mtls import Destination, explain_mtls

    return explain_mtls(make_dump(**parts), Destination("reviews:9080", "reviews", 9080), now=now)


def test_a_bracketed_host_ends_at_the_first_bracket():
    # Go's net.SplitHostPort: the host of "[...]" ends at the first "]".
    from meshctl.analyze.mtls import parse_destination

    assert parse_destination("[fd00::1]]:80")[0] == "fd00::1"


def test_client_facts_of_an_endpoint_no_match_selects():
    from meshctl.analyze.mtls import client_facts
    from meshctl.model.mesh import PodIndex

    from fakekube import istio_pod

    cluster = client()["clusters"][0]
    cluster["transport_socket_matches"] = cluster["transport_socket_matches"][:1]  # only tlsMode-istio
    facts = client_facts(make_dump(**client(cluster, endpoints=[(REVIEWS_IP, None)])), PodIndex.of([istio_pod("reviews-v1", ip=REVIEWS_IP)]))
    ((row, how),) = [endpoint.selected for endpoint in facts.endpoints]
    assert (how, row.mode, row.transport_socket) == ("(default raw_buffer)", "plaintext", "raw_buffer")


# --- the client socket's evidence lines, and where endpoints and static secrets come from ----------------


def test_client_evidence_lines_for_istio_mtls_in_full():
    result = _only(_explain(client(), "reviews:9080"))
    assert result.evidence[1:4] == (
        "client socket tls: mTLS (SDS)",
        f"SNI outbound_.9080_._.{REVIEWS}; ALPN istio-peer-exchange,istio; verifies SAN {SAN}",
        "cert default; trust ROOTCA via sds-grpc -> ./var/run/secrets/workload-spiffe-uds/socket",
    )


def test_client_evidence_lines_for_bare_tls_and_plaintext():
    from meshctl.analyze.mtls.client import client_evidence
    from meshctl.analyze.tls import TlsRow

    bare = TlsRow("c", "active", None, "", "TLS", "tls")
    assert client_evidence(bare) == ["client socket tls: TLS", "no SAN check", "no client cert; no trust bundle"]
    full = TlsRow("c", "active", None, "", "mTLS", "tls", sni="a", alpn=("h2", "http/1.1"), san_matchers=("x", "prefix:y"),
                  cert_secrets=("default", "extra"), validation_secrets=("ROOTCA", "file:/r.pem"))  # fmt: skip
    assert client_evidence(full) == ["client socket tls: mTLS", "SNI a; ALPN h2,http/1.1; verifies SAN x,prefix:y", "cert default,extra; trust ROOTCA,file:/r.pem"]
    assert client_evidence(TlsRow("c", "active", None, "", "plaintext", "")) == ["client socket raw_buffer: plaintext"]
    assert client_evidence(TlsRow("c", "active", None, "", "plaintext", "envoy.transport_sockets.raw_buffer")) == ["client socket envoy.transport_sockets.raw_buffer: plaintext"]


def test_upstream_endpoints_inline_by_service_name_or_by_cluster_name():
    from meshctl.analyze.mtls import upstream_endpoints

    from helpers.mtlsdata import assignment

    inline = assignment("static", [("10.0.0.1", "istio")], 80)
    assert upstream_endpoints({"name": "s", "type": "STATIC", "load_assignment": inline}, {}, True) == [("10.0.0.1", 80, {"tlsMode": "istio"})]
    # An EDS cluster's endpoints come from EDS, by its service name, else by its own name; an inline assignment is not them.
    by_service = {"svc-a": assignment("svc-a", [("10.0.0.2", None)], 81), "eds": assignment("eds", [("10.0.0.3", None)], 82)}
    eds = {"name": "eds", "type": "EDS", "eds_cluster_config": {"service_name": "svc-a"}, "load_assignment": inline}
    assert upstream_endpoints(eds, by_service, True) == [("10.0.0.2", 81, {})]
    assert upstream_endpoints({**eds, "eds_cluster_config": {}}, by_service, True) == [("10.0.0.3", 82, {})]
    assert upstream_endpoints({"name": "other", "type": "EDS"}, by_service, True) == []
    assert upstream_endpoints({"name": "other", "type": "EDS"}, by_service, False) is None
    assert upstream_endpoints({"name": "other", "type": "STRICT_DNS"}, by_service, True) is None


def test_static_secrets_are_known_and_active_ones_win_over_warming():
    from meshctl.analyze.mtls.client import secret_index

    from helpers.mtlsdata import secret

    dump = make_dump(secrets={"static_secrets": [{"name": "static-cert"}, "junk"], "dynamic_active_secrets": [secret("default")],
                              "dynamic_warming_secrets": [secret("default"), secret("ROOTCA")]})  # fmt: skip
    index = secret_index(dump)
    assert index["static-cert"] == ("STATIC", None)
    assert index["default"][0] == "ACTIVE" and index["ROOTCA"][0] == "WARMING"
    assert set(index) == {"static-cert", "default", "ROOTCA"}


def test_a_users_tls_alpn_chooses_dsts_chain():
    from helpers.mtlsdata import UPSTREAM_TLS, common_tls

    cluster = disable_cluster(REVIEWS)
    cluster["transport_socket"] = {"name": "envoy.transport_sockets.tls",
                                   "typed_config": {"@type": UPSTREAM_TLS, "common_tls_context": common_tls(alpn=("h2",)), "sni": REVIEWS}}  # fmt: skip
    listener = virtual_inbound(9080, "STRICT")
    listener["filter_chains"][1]["filter_chain_match"]["application_protocols"] = ["h2"]
    result = _only(_with_pods(client(cluster, endpoints=[(REVIEWS_IP, None)]), None, dst=make_dump(**{**server(), "listeners": (listener,)})))
    assert (result.verdict, result.server.chain) == (VERDICT_MTLS, "0.0.0.0_9080")


def test_plaintext_never_matches_chains_that_need_alpn_or_a_server_name():
    from meshctl.analyze.mtls import server_side

    listener = virtual_inbound(9080, "PERMISSIVE")
    listener["filter_chains"][2]["filter_chain_match"]["application_protocols"] = ["http/1.1", "h2c"]
    listener["filter_chains"].insert(2, {"name": "by-name", "filter_chain_match": {"destination_port": 9080, "server_names": ["x"]}})
    view = next(iter(listeners(make_dump(listeners=(listener,)))))
    side = server_side(view, port=9080, ip=REVIEWS_IP, transport="raw_buffer", alpn=(), sni="")
    assert (side.mode, side.chain) == (STRICT, "")


def test_without_eds_the_pod_behind_and_warming_still_count():
    from meshctl.analyze.mtls import Destination, explain_mtls
    from meshctl.model.mesh import NO_MESH, PodFact, PodIndex

    plain = PodFact("reviews-v1.default", "default", (REVIEWS_IP,), {}, NO_MESH)
    result = explain_mtls(make_dump(**client(eds=False)), Destination("reviews-v1.default", "reviews", 9080, (REVIEWS_IP,)), target=plain)
    assert [(e.address, e.code) for e in result.paths[0].endpoints] == [("endpoints with tlsMode=istio", "mtls-to-plain-pod"), ("endpoints without metadata", "")]
    warming = explain_mtls(make_dump(**client(warming=True, eds=False)), Destination("reviews:9080", "reviews", 9080))
    assert warming.paths[0].problems == (f"cluster {REVIEWS_CLUSTER} is warming (waiting for endpoints or secrets): Envoy does not use it yet",)
    # Pods that could not be read: DST's own pod still judges its endpoint.
    unread = explain_mtls(make_dump(**client()), Destination("reviews-v1.default", "", 9080, (REVIEWS_IP,)), pods=PodIndex.unread("x"), target=plain)
    assert [(e.target, e.code) for e in unread.paths[0].endpoints] == [("reviews-v1.default", "mtls-to-plain-pod")]


def test_client_facts_need_eds_even_for_inline_endpoints():
    from meshctl.analyze.mtls import client_facts
    from meshctl.model.mesh import PodIndex

    from fakekube import istio_pod
    from helpers.mtlsdata import assignment

    static = {"name": "outbound|9080||static.default.svc.cluster.local", "type": "STATIC",
              "load_assignment": assignment("outbound|9080||static.default.svc.cluster.local", [(REVIEWS_IP, None)])}  # fmt: skip
    pods = PodIndex.of([istio_pod("reviews-v1", ip=REVIEWS_IP)])
    assert client_facts(make_dump(**client(eds=False, clusters=(static,))), pods).endpoints == ()
    assert [e.cluster for e in client_facts(make_dump(**client(clusters=(static,))), pods).endpoints] == [static["name"]]


def test_endpoint_verdicts_check_the_pods_secrets_and_say_which_endpoint():
    from meshctl.analyze.mtls import client_facts, endpoint_verdicts, server_facts
    from meshctl.model.mesh import PodIndex

    from fakekube import istio_pod

    pods = PodIndex.of([istio_pod("reviews-v1", ip=REVIEWS_IP)])
    servers = {"reviews-v1.default": server_facts(make_dump(**server("STRICT", secrets=istio_secrets(active=("ROOTCA",)))))}
    ((_, result),) = endpoint_verdicts(client_facts(make_dump(**client()), pods), pods, servers)
    assert result.problems == ("DST has no SDS secret default (not pushed by the agent yet?)",)
    assert result.evidence[0] == f"endpoint {REVIEWS_IP}:9080 (tlsMode=istio) selects transport_socket_match tlsMode-istio (tlsMode=istio)"


def test_endpoint_tls_checks_certificates_at_now():
    from datetime import datetime, timedelta, timezone

    from meshctl.sandbox.certs import TestCA

    src = make_dump(**client(secrets=istio_secrets(TestCA())))
    later = datetime.now(timezone.utc) + timedelta(days=3)
    result = EndpointTls(src, now=later).endpoint(_view(src), REVIEWS_IP, 9080, {"tlsMode": "istio"}, dst_applies=False)
    assert result.verdict == VERDICT_FAIL and result.problems[0].startswith("SRC's certificate default is not valid now (expires ")


def test_eds_endpoints_fall_back_to_the_cluster_name_when_the_service_name_has_none():
    from meshctl.analyze.mtls import upstream_endpoints

    from helpers.mtlsdata import assignment

    by_name = {"eds": assignment("eds", [("10.0.0.3", None)], 82)}
    cluster = {"name": "eds", "type": "EDS", "eds_cluster_config": {"service_name": "svc-without-assignment"}}
    assert upstream_endpoints(cluster, by_name, True) == [("10.0.0.3", 82, {})]


def test_no_cluster_keeps_the_notes():
    from meshctl.analyze.mtls import Destination, explain_mtls
    from meshctl.model.mesh import PodIndex

    result = explain_mtls(make_dump(**client()), Destination("x", "nosuch", 9080), pods=PodIndex.unread("pods is forbidden"))
    assert result.notes == ("unknown: the pods behind the endpoints (sidecar or not) were not read: pods is forbidden",)


def test_an_active_inbound_listener_wins_whatever_the_names():
    from meshctl.analyze.mtls import inbound_listener_of
    from meshctl.model.views import ListenerView

    capture = _listener("a-capture", "0.0.0.0", 15006, None)
    views = [ListenerView("virtualInbound", "active", virtual_inbound()), ListenerView("a-capture", "warming", capture)]
    assert inbound_listener_of(views, 9080).name == "virtualInbound"


def test_without_secrets_in_the_dump_every_secret_is_said_unchecked():
    from meshctl.analyze.mtls.client import secret_problems

    assert secret_problems(["default", "ROOTCA"], None, "SRC", None) == (
        [], ["SRC SDS secret default: not checked (the dump has no secrets)", "SRC SDS secret ROOTCA: not checked (the dump has no secrets)"])  # fmt: skip


def test_plaintext_has_no_server_name_for_a_wildcard_chain():
    from meshctl.analyze.mtls import server_side

    listener = virtual_inbound(9080, "DISABLE")
    listener["filter_chains"].insert(1, {"name": "wild", "filter_chain_match": {"destination_port": 9080, "server_names": ["*.example.com"]}})
    view = next(iter(listeners(make_dump(listeners=(listener,)))))
    side = server_side(view, port=9080, ip=REVIEWS_IP, transport="raw_buffer", alpn=(), sni="")
    assert (side.mode, side.chain) == (PLAINTEXT_ONLY, "0.0.0.0_9080")


# --- what runs under load once counted as timeouts: each pinned (docs/testing.md, "Timeouts") -----------------


def test_an_endpoint_without_an_ip_keeps_the_address_eds_gives_it():
    # A pipe or an internal listener has no socket_address: the endpoint is named as `pc endpoint` names it.
    from meshctl.analyze.mtls import upstream_endpoints

    cluster = {"name": "c", "type": "STATIC", "load_assignment": {"cluster_name": "c", "endpoints": [{"lb_endpoints": [
        {"endpoint": {"address": {"pipe": {"path": "/var/run/app.sock"}}}},
        {"endpoint": {"address": {"socket_address": {"port_value": 9080}}}},
    ]}]}}  # fmt: skip
    assert upstream_endpoints(cluster, {}, True) == [("/var/run/app.sock", 0, {}), (":9080", 9080, {})]


def test_a_secret_and_a_reference_without_a_name_are_both_the_empty_name():
    # proto3 JSON leaves out an empty string: a secret named "" is written without "name", and so is a reference to it.
    from meshctl.analyze.mtls.client import secret_index, secret_problems

    index = secret_index(make_dump(secrets={"static_secrets": [{"secret": {"tls_certificate": {}}}]}))
    assert index == {"": ("STATIC", None)}
    assert secret_problems([""], index, "SRC", None) == ([], ["SRC SDS secret : STATIC"])
    assert secret_problems(["XXXX"], index, "SRC", None) == (["SRC has no SDS secret XXXX (not pushed by the agent yet?)"], [])


def test_client_evidence_names_each_sds_source():
    from meshctl.analyze.mtls.client import client_evidence
    from meshctl.analyze.tls import ConfigSource, TlsRow

    sources = (ConfigSource("envoy_grpc", "sds-grpc", ("./sock",)), ConfigSource("file", target="/etc/certs/root.yaml"))
    row = TlsRow("c", "active", None, "", "mTLS", "tls", cert_secrets=("default",), validation_secrets=("ROOTCA",), sds_sources=sources)
    assert client_evidence(row)[-1] == "cert default; trust ROOTCA via sds-grpc -> ./sock, file:/etc/certs/root.yaml"


def test_choose_clusters_searches_the_clusters_it_is_given():
    # The caller decodes SRC's clusters once for a big dump and passes them: they are what is searched.
    from meshctl.analyze.mtls import Destination, choose_clusters
    from meshctl.decode.resources import clusters as decoded_clusters

    src = make_dump(**client(with_route=False))
    destination = Destination("reviews:9080", "reviews", 9080)
    assert [c.cluster for c in choose_clusters(src, destination, list(decoded_clusters(src)))] == [REVIEWS_CLUSTER]
    assert choose_clusters(src, destination, []) == []


def test_san_mismatch_lists_each_uri_and_dns_san_of_dsts_certificate():
    import base64
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding

    from meshctl.sandbox.certs import TestCA

    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    sans = x509.SubjectAlternativeName([x509.UniformResourceIdentifier(spiffe("ratings")), x509.DNSName("ratings.default.svc")])
    cert = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(x509.Name([])).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(sans, critical=True).sign(key, hashes.SHA256()))  # fmt: skip
    ca = TestCA()
    dst_secrets = istio_secrets(ca, sa="reviews")
    dst_secrets["dynamic_active_secrets"][0] = {"name": "default", "version_info": "1", "secret": {"name": "default", "tls_certificate": {
        "certificate_chain": {"inline_bytes": base64.b64encode(cert.public_bytes(Encoding.PEM)).decode()}}}}  # fmt: skip
    result = _only(_with_pods(client(secrets=istio_secrets(ca)), None, dst=make_dump(**server("STRICT", secrets=dst_secrets))))
    assert result.problems == (f"DST presents {spiffe('ratings')},ratings.default.svc but SRC accepts only {SAN}",)


def test_without_eds_and_without_a_port_each_cluster_is_judged_on_its_service_port():
    # "reviews" names no port: SRC's cluster outbound|9080||reviews... connects on 9080, where DST is STRICT
    # (its catch-all chain, for no port, is PERMISSIVE): plaintext endpoints fail there.
    from meshctl.analyze.mtls import Destination, explain_mtls

    explanation = explain_mtls(make_dump(**client(eds=False)), Destination("reviews", "reviews", None), make_dump(**server("STRICT")))
    (path,) = explanation.paths
    assert [(e.address, e.verdict, e.server.port, e.server.mode, e.server.chain) for e in path.endpoints] == [
        ("endpoints with tlsMode=istio", VERDICT_MTLS, 9080, STRICT, "0.0.0.0_9080"),
        ("endpoints without metadata", VERDICT_FAIL, 9080, STRICT, ""),
    ]
    assert path.endpoints[1].problems == ("no filter chain of DST's virtualInbound accepts raw_buffer on port 9080: Envoy closes the connection",)
