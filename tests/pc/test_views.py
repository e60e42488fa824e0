"""pc views on hand-made dumps (tests/pc/data): filters, order, warming marks, version skew."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import call_meshctl

DATA = Path(__file__).parent / "data"
SMALL = str(DATA / "mesh_small.json")
CLUSTERS = str(DATA / "clusters_small.json")


def pc(*args: str, stdin: bytes = b""):
    result = call_meshctl("pc", *args, stdin=stdin)
    assert result.exit_code == 0, result.stderr
    return result


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()[1:]]


def test_cluster_rows_are_ordered_by_fqdn_subset_port_direction():
    fqdns = [row[0] for row in rows(pc("cluster", "-f", SMALL).stdout)]
    # istioctl sorts on the parsed FQDN; names without 3 "|" sort by their whole name.
    assert fqdns == [
        "8080",  # "inbound|8080||" has an empty FQDN, so it sorts first and its row starts at PORT
        "BlackHoleCluster",
        "PassthroughCluster",
        "details.default.svc.cluster.local",
        "prometheus_stats",
        "reviews.default.svc.cluster.local",
        "reviews.default.svc.cluster.local",
        "warm.example.svc.cluster.local",
    ]


def test_warming_cluster_is_shown_and_marked():
    result = pc("c", "-f", SMALL)
    header, *lines = result.stdout.splitlines()
    assert header.split()[-1] == "RULE"  # istioctl's columns: no STATE column, warming or not
    assert [line for line in lines if line.startswith("warm.example")]
    assert "meshctl: note: 1 row warming, received but not yet in use by Envoy (istioctl does not show these): warm.example.svc.cluster.local 443" in result.stderr


def test_columns_are_the_same_with_or_without_warming_resources():
    out = pc("cluster", "-f", SMALL, "--fqdn", "reviews")
    assert out.stdout.splitlines()[0].split() == pc("c", "-f", SMALL).stdout.splitlines()[0].split()
    assert "warming" not in out.stderr
    assert [row[2] for row in rows(out.stdout)] == ["-", "v1"]


@pytest.mark.parametrize(
    ("flags", "expected_names"),
    [
        (["--fqdn", "details"], ["outbound|80||details.default.svc.cluster.local"]),
        (["--port", "9080"], ["outbound|9080||reviews.default.svc.cluster.local", "outbound|9080|v1|reviews.default.svc.cluster.local"]),
        (["--subset", "v1"], ["outbound|9080|v1|reviews.default.svc.cluster.local"]),
        (["--direction", "inbound"], ["inbound|8080||"]),
        (["--fqdn", "Cluster"], ["BlackHoleCluster", "PassthroughCluster"]),
        (["--fqdn", "no-such-service"], []),
    ],
)
def test_cluster_filters_are_substring_matches(flags, expected_names):
    names = json.loads(pc("cluster", "-f", SMALL, *flags, "--query", "[].name").stdout)
    assert names == expected_names


def test_cluster_json_is_protobuf_json_and_keeps_unknown_fields():
    clusters = json.loads(pc("cluster", "-f", SMALL, "-o", "json", "--fqdn", "warm").stdout)
    assert clusters[0]["name"] == "outbound|443||warm.example.svc.cluster.local"
    assert "@type" not in clusters[0]
    assert clusters[0]["futureField"] == {"someKnob": True}  # unknown field carried through
    assert clusters[0]["lbPolicy"] == "FUTURE_POLICY"  # unknown enum value carried through
    reviews = json.loads(pc("cluster", "-f", SMALL, "-o", "json", "--subset", "v1").stdout)[0]
    assert reviews["transportSocketMatches"][0]["match"] == {"tlsMode": "istio"}
    assert reviews["metadata"]["filterMetadata"]["istio"]["config"].endswith("/destination-rule/reviews")


def test_raw_prints_envoys_own_json():
    clusters = json.loads(pc("cluster", "-f", SMALL, "-o", "json", "--raw", "--subset", "v1").stdout)
    assert clusters[0]["@type"].endswith("envoy.config.cluster.v3.Cluster")
    assert "transport_socket_matches" in clusters[0]


def test_yaml_query():
    out = pc("cluster", "-f", SMALL, "-o", "yaml", "--query", "[?type=='ORIGINAL_DST'].name").stdout
    assert out == "- inbound|8080||\n- PassthroughCluster\n\n"


def test_listeners_sorted_by_port_then_address_with_warming_marked():
    result = pc("listener", "-f", SMALL)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ADDRESSES", "PORT", "MATCH", "DESTINATION"]
    assert [line.split()[1] for line in lines[1:]] == ["443", "9080", "15001", "15001"]
    assert "1 row warming" in result.stderr and result.stderr.rstrip().endswith(": 10.0.0.5 443")
    # Within a listener, chains are sorted by destination, descending (listener.go).
    assert "PassthroughCluster" in lines[3] and "Non-HTTP/Non-TCP" in lines[4] and "Addr: *:15001" in lines[4]


@pytest.mark.parametrize(
    ("flags", "ports"),
    [
        (["--port", "15001"], ["15001", "15001"]),
        (["--address", "10.0.0.5"], ["443"]),
        (["--type", "http"], ["9080"]),  # EqualFold
        (["--type", "TCP"], ["443", "15001", "15001"]),  # a BlackHoleCluster tcp_proxy is not TCP
    ],
)
def test_listener_filters(flags, ports):
    assert [row[1] for row in rows(pc("listener", "-f", SMALL, *flags).stdout)] == ports


def test_listener_non_verbose_shows_type():
    out = pc("l", "-f", SMALL, "--no-verbose").stdout
    assert out.splitlines()[0].split() == ["ADDRESSES", "PORT", "TYPE"]
    assert [row[2] for row in rows(out)] == ["TCP", "HTTP", "TCP"]


def test_routes_numeric_names_sorted_and_passthrough_hidden():
    out = pc("route", "-f", SMALL).stdout
    assert [row[0] for row in rows(out)] == ["80", "9080", "9080"]
    assert "allow_any" not in out  # routes to PassthroughCluster are not listed
    # route.go describeRouteDomains: no domain has a port, unexpandDomains drops none
    # ("reviews.default" is not listed), more than two: the first two and "+ 1 more...".
    assert "reviews.default.svc.cluster.local, reviews + 1 more..." in out
    assert out.splitlines()[-1].split()[-2:] == ["/*", "404"]  # a virtual host without routes


def test_route_name_filter_is_exact():
    assert rows(pc("route", "-f", SMALL, "--name", "908").stdout) == []
    assert {row[0] for row in rows(pc("route", "-f", SMALL, "--name", "9080").stdout)} == {"9080"}


def test_endpoints_from_a_full_dump_with_eds():
    out = pc("endpoint", "-f", SMALL).stdout
    assert [row[0] for row in rows(out)] == ["10.1.0.20:9080", "10.1.0.12:9080", "10.1.0.13:9080"]
    assert "us-east1/us-east1-b" in out
    filtered = pc("endpoint", "-f", SMALL, "--status", "unhealthy").stdout
    assert [row[0] for row in rows(filtered)] == ["10.1.0.13:9080"]
    by_address = json.loads(pc("endpoint", "-f", SMALL, "--address", "10.1.0.12", "-o", "json").stdout)
    assert [cla["clusterName"] for cla in by_address] == ["outbound|9080||reviews.default.svc.cluster.local"]
    assert len(by_address[0]["endpoints"][0]["lbEndpoints"]) == 1
    # Map keys of filter metadata are data: sorted (as Go's protojson does), never camel-cased.
    metadata = by_address[0]["endpoints"][0]["lbEndpoints"][0]["metadata"]["filterMetadata"]
    assert list(metadata) == ["envoy.transport_socket_match", "istio"]


def test_endpoints_from_clusters_json():
    out = pc("ep", "-f", CLUSTERS).stdout
    assert out.splitlines()[0].split() == ["ENDPOINT", "STATUS", "OUTLIER", "CHECK", "CLUSTER"]
    assert [row[:3] for row in rows(out)] == [
        ["10.1.0.12:80", "DEGRADED", "OK"],
        ["10.1.0.12:9080", "HEALTHY", "OK"],
        ["10.1.0.13:9080", "HEALTHY", "FAILED"],
        ["unix://./var/run/secrets/workload-spiffe-uds/socket", "UNKNOWN", "OK"],
    ]
    assert [row[0] for row in rows(pc("ep", "-f", CLUSTERS, "--port", "80").stdout)] == ["10.1.0.12:80"]
    statuses = json.loads(pc("ep", "-f", CLUSTERS, "--cluster", "SDS-GRPC", "-o", "json").stdout)
    assert [status["name"] for status in statuses] == ["sds-grpc"]


def test_endpoint_address_filter_ignores_case_as_istioctls_equalfold():
    # clusters.go EndpointFilter.Verify: strings.EqualFold on the address, here a pipe path with letters
    out = pc("ep", "-f", CLUSTERS, "--address", "Unix://./VAR/run/secrets/workload-spiffe-uds/socket").stdout
    assert [row[0] for row in rows(out)] == ["unix://./var/run/secrets/workload-spiffe-uds/socket"]


def test_endpoint_json_keeps_only_the_hosts_that_pass():
    # A cluster status keeps its fields; its host list is cut to the hosts the filter keeps.
    statuses = json.loads(pc("ep", "-f", CLUSTERS, "--port", "9080", "--address", "10.1.0.12", "-o", "json").stdout)
    assert statuses == [{
        "name": "outbound|9080||reviews.default.svc.cluster.local",
        "addedViaApi": True,
        "hostStatuses": [{"address": {"socketAddress": {"address": "10.1.0.12", "portValue": 9080}},
                          "healthStatus": {"edsHealthStatus": "HEALTHY"}, "weight": 1}],
    }]  # fmt: skip


def test_eds_assignment_without_a_cluster_name_sorts_as_an_empty_name():
    # Go reads a missing cluster_name as "": istioctl's sort puts that assignment first.
    assignment = lambda name, ip: {"endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {"address": ip, "port_value": 80}}}}]}], **name}  # noqa: E731
    dump = {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.EndpointsConfigDump", "dynamic_endpoint_configs": [
        {"endpoint_config": {"@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", **assignment(name, ip)}}
        for name, ip in (({"cluster_name": "A"}, "10.0.0.1"), ({}, "10.0.0.2"), ({"cluster_name": "0"}, "10.0.0.3"))]}]}  # fmt: skip
    out = pc("endpoint", "-f", "-", stdin=json.dumps(dump).encode()).stdout
    assert [row[0] for row in rows(out)] == ["10.0.0.2:80", "10.0.0.3:80", "10.0.0.1:80"]


def test_unknown_section_is_carried_through_with_a_warning():
    result = pc("all", "-f", SMALL, "-o", "json")
    assert "FutureConfigDump" in result.stderr
    types = [config["@type"] for config in json.loads(result.stdout)["configs"]]
    assert "type.googleapis.com/envoy.admin.v3.FutureConfigDump" in types


def test_missing_section_gives_an_empty_view_and_a_warning():
    dump = json.dumps({"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump", "bootstrap": {}}]})
    result = pc("cluster", "-f", "-", stdin=dump.encode())
    assert result.stdout.splitlines() == ["SERVICE FQDN     PORT     SUBSET     DIRECTION     TYPE     DESTINATION RULE"]
    assert "no clusters" in result.stderr


def test_aliases_reach_the_same_commands():
    for alias in ("c", "clusters"):
        assert pc(alias, "-f", SMALL).stdout == pc("cluster", "-f", SMALL).stdout
    assert call_meshctl("proxy-config", "listeners", "-f", SMALL).stdout == pc("l", "-f", SMALL).stdout


@pytest.mark.parametrize(("domains", "described"), [
    # route.go describeRouteDomains and unexpandDomains, case by case:
    (["reviews.default.svc.cluster.local", "reviews.default.svc.cluster.local:9080", "reviews", "reviews:9080",
      "reviews.default.svc", "reviews.default.svc:9080", "reviews.default", "reviews.default:9080", "10.96.1.1", "10.96.1.1:9080"],
     # ports dropped; .svc.cluster.local and .svc forms of the listed "reviews.default" dropped
     "reviews, reviews.default + 1 more..."),
    (["a.ns.svc", "a.ns"], "a.ns"),  # the .svc form goes, one left
    # a colon means a port, unless there are more than two and the domain ends with "]":
    (["[fd00:1::1]", "[fd00:1::1]:80", "fd00:1::2", "[fd00::1]"], "[fd00:1::1]"),
    (["x:1", "y:2"], ""),  # every domain has a port: nothing left
    (["only:80"], "only:80"),  # one domain is shown as is
])
def test_route_domains_as_istioctl_describes_them(domains, described):
    from meshctl.analyze.summaries import describe_route_domains

    assert describe_route_domains(domains) == described


def test_eds_is_istioctls_endpoints_from_the_config_dump():
    """istioctl proxy-config eds: the config dump's EDS table, the same as `pc endpoint` on a dump file."""
    assert pc("eds", "-f", SMALL).stdout == pc("endpoint", "-f", SMALL).stdout
    assert pc("eds", "-f", SMALL).stdout.splitlines()[0].split() == ["NAME", "STATUS", "LOCALITY", "CLUSTER"]
