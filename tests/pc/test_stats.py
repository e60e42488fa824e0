"""`pc stats`: Envoy's /stats answers decoded and summarised per cluster, listener and host (pure layers)."""

from __future__ import annotations

import json

import pytest

from meshctl.analyze.stats import (
    cluster_stats,
    cluster_table,
    filter_stats,
    filter_table,
    host_table,
    stats_document,
)
from meshctl.decode.resources import host_endpoints
from meshctl.decode.stats import parse_stats
from meshctl.errors import DecodeError

REVIEWS = "outbound|9080|v1|reviews.default.svc.cluster.local"
RATINGS = "outbound|9080||ratings.default.svc.cluster.local"
IDLE = "outbound|3306||mysqldb.db.svc.cluster.local"

STATS_TEXT = f"""\
cluster.{REVIEWS}.membership_healthy: 2
cluster.{REVIEWS}.membership_total: 3
cluster.{REVIEWS}.upstream_cx_active: 1
cluster.{REVIEWS}.upstream_cx_total: 4
cluster.{REVIEWS}.upstream_cx_connect_fail: 2
cluster.{REVIEWS}.upstream_cx_connect_timeout: 1
cluster.{REVIEWS}.upstream_rq_total: 10
cluster.{REVIEWS}.upstream_rq_2xx: 7
cluster.{REVIEWS}.upstream_rq_5xx: 3
cluster.{REVIEWS}.upstream_rq_503: 3
cluster.{REVIEWS}.upstream_rq_retry: 2
cluster.{REVIEWS}.upstream_rq_pending_overflow: 1
cluster.{REVIEWS}.ssl.handshake: 4
cluster.{REVIEWS}.ssl.fail_verify_san: 2
cluster.{REVIEWS}.ssl.connection_error: 1
cluster.{REVIEWS}.ssl.fail_verify_no_cert: 0
cluster.{REVIEWS}.ssl.ciphers.TLS_AES_128_GCM_SHA256: 4
cluster.{REVIEWS}.outlier_detection.ejections_active: 1
cluster.{REVIEWS}.outlier_detection.ejections_enforced_total: 2
cluster.{REVIEWS}.version_text: "3"
cluster.{IDLE}.membership_healthy: 1
cluster.{IDLE}.membership_total: 1
cluster.{IDLE}.upstream_cx_total: 0
cluster.BlackHoleCluster.membership_total: 0
cluster.BlackHoleCluster.upstream_cx_none_healthy: 4
cluster.{RATINGS}.membership_healthy: 1
cluster.{RATINGS}.membership_total: 1
cluster.{RATINGS}.upstream_cx_total: 1
cluster.{RATINGS}.upstream_rq_total: 1
cluster.{RATINGS}.upstream_rq_timeout: 1
http.admin.downstream_rq_total: 50
http.admin.downstream_rq_2xx: 50
http.inbound_0.0.0.0_9080.downstream_rq_total: 6
http.inbound_0.0.0.0_9080.downstream_rq_2xx: 4
http.inbound_0.0.0.0_9080.downstream_rq_4xx: 2
http.inbound_0.0.0.0_9080.rbac.allowed: 4
http.inbound_0.0.0.0_9080.rbac.denied: 2
http.inbound_0.0.0.0_9080.rbac.istio_dry_run_allow_shadow_denied: 1
http.outbound_0.0.0.0_9080.downstream_rq_total: 0
tcp.rbac.allowed: 3
tcp.rbac.denied: 0
server.live: 1
cluster_manager.cds.version_text: "2"
listener_manager.lds.update_time: P0(nan,1) P25(nan,1)
"""


def _json(text: str) -> bytes:
    entries = []
    for name, value in parse_stats(text.encode()).items():
        entries.append({"name": name, "value": value})
    entries.append({"histograms": {"supported_quantiles": [0, 50], "computed_quantiles": []}})
    return json.dumps({"stats": entries}).encode()


def test_text_and_json_answers_decode_to_the_same_numbers():
    text = parse_stats(STATS_TEXT.encode())

    assert parse_stats(_json(STATS_TEXT)) == text
    assert text[f"cluster.{REVIEWS}.upstream_rq_2xx"] == 7
    assert text["cluster_manager.cds.version_text"] == "2"
    assert "listener_manager.lds.update_time" not in text  # histograms are not counters


@pytest.mark.parametrize("data", [b"<html>", b'{"clusters": []}', b"{nope"])
def test_other_answers_are_bad_data(data):
    with pytest.raises(DecodeError):
        parse_stats(data)


def test_cluster_table_shows_active_clusters_with_the_debugging_counters():
    clusters = cluster_stats(parse_stats(STATS_TEXT.encode()))

    table = cluster_table(clusters)

    assert [c.name for c in clusters] == ["BlackHoleCluster", IDLE, RATINGS, REVIEWS]  # by service FQDN, as pc cluster
    assert table.columns[:6] == ["CLUSTER", "HEALTHY", "CX ACTIVE", "CX FAIL", "NO HEALTHY", "RQ TOTAL"]
    assert table.rows == [
        ["BlackHoleCluster", "0/0", "0", "0", "4", "0", "0", "0", "0", "0", "0", "0", "0", "0", "-", "0/0"],
        [RATINGS, "1/1", "0", "0", "0", "1", "0", "0", "0", "0", "1", "0", "0", "0", "-", "0/0"],
        [REVIEWS, "2/3", "1", "2", "0", "10", "7", "0", "0", "3", "0", "2", "1", "4",
         "connection_error:1,fail_verify_san:2", "1/2"],
    ]
    assert [row[0] for row in cluster_table(clusters, show_all=True).rows] == ["BlackHoleCluster", IDLE, RATINGS, REVIEWS]


def test_filter_table_shows_requests_and_rbac_decisions_per_stat_prefix():
    filters = filter_stats(parse_stats(STATS_TEXT.encode()))

    table = filter_table(filters)
    everything = filter_table(filters, show_all=True)

    assert table.rows == [
        ["http.inbound_0.0.0.0_9080", "6", "4", "0", "2", "0", "4", "2", "0", "1"],
        ["tcp", "-", "-", "-", "-", "-", "3", "0", "0", "0"],
    ]
    assert [row[0] for row in everything.rows] == ["http.admin", "http.inbound_0.0.0.0_9080",
                                                   "http.outbound_0.0.0.0_9080", "tcp"]


def test_empty_tables_say_how_to_see_idle_rows():
    stats = parse_stats(f"cluster.{IDLE}.membership_total: 1\n".encode())

    assert cluster_table(cluster_stats(stats)).empty_msg.endswith("(--all lists every cluster).")
    assert cluster_table(cluster_stats(stats)).rows == []


def test_host_table_from_clusters_json():
    document = {"cluster_statuses": [{"name": REVIEWS, "host_statuses": [
        {"address": {"socket_address": {"address": "10.0.0.7", "port_value": 9080}},
         "stats": [{"name": "cx_active", "value": "1", "type": "GAUGE"}, {"name": "cx_total", "value": "3"},
                   {"name": "rq_total", "value": "9"}, {"name": "rq_success", "value": "8"},
                   {"name": "rq_error", "value": "1"}, {"name": "cx_connect_fail"}],
         "health_status": {"eds_health_status": "HEALTHY", "failed_outlier_check": True},
         "success_rate": {"value": 88.9}},
        {"address": {"socket_address": {"address": "10.0.0.8", "port_value": 9080}}, "stats": [],
         "health_status": {"eds_health_status": "HEALTHY"}},
    ]}]}

    table = host_table(host_endpoints(document))

    assert table.rows == [[REVIEWS, "10.0.0.7:9080", "HEALTHY (ejected)", "1", "0", "0", "9", "8", "1", "0", "88.9%"]]
    assert len(host_table(host_endpoints(document), show_all=True).rows) == 2


def test_stats_document_has_every_row():
    document = stats_document(parse_stats(STATS_TEXT.encode()))

    reviews = next(c for c in document["clusters"] if c["name"] == REVIEWS)
    assert reviews["rq5XX"] == 3 and reviews["tlsErrors"] == {"connection_error": 1, "fail_verify_san": 2}
    assert [f["statPrefix"] for f in document["listeners"]][0] == "http.admin"
