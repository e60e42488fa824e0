"""proxy-status against istioctl's goldens (istioctl/pkg/writer/pilot/testdata), same inputs as status_test.go."""

from __future__ import annotations

import json

import pytest

from meshctl.analyze.proxystatus import parse_syncz, status_rows, sync_statuses
from meshctl.errors import DecodeError

from helpers import ISTIO_TESTDATA, call_meshctl, require_shared

GOLDEN = ISTIO_TESTDATA / "istioctl/pkg/writer/pilot/testdata"
ALL_TYPES = {
    "type.googleapis.com/envoy.config.cluster.v3.Cluster": "SYNCED",
    "type.googleapis.com/envoy.config.listener.v3.Listener": "SYNCED",
    "type.googleapis.com/envoy.config.route.v3.RouteConfiguration": "SYNCED",
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment": "SYNCED",
    "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig": "SYNCED",
}
MIXED_TYPES = dict(zip(ALL_TYPES, ("STALE", "SYNCED", "NOT_SENT", "SYNCED", "SYNCED")))


def xds_response(istiod: str, proxies: list[tuple[str, str, str, dict, str | None]]) -> dict:
    """A DiscoveryResponse as istiod's StatusGen builds it (status_test.go xdsResponseInput)."""
    info = {"version": "1.1", "revision": "", "golang_version": "", "status": "", "tag": ""}
    resources = []
    for proxy, cluster, version, types, namespace in proxies:
        metadata = {"CLUSTER_ID": cluster, "ISTIO_VERSION": version}
        if namespace:
            metadata["NAMESPACE"] = namespace
        resources.append({
            "@type": "type.googleapis.com/envoy.service.status.v3.ClientConfig",
            "node": {"id": proxy, "metadata": metadata},
            "genericXdsConfigs": [{"typeUrl": t, "configStatus": s} for t, s in types.items()],
        })  # fmt: skip
    return {
        "versionInfo": "1.1",
        "resources": resources,
        "typeUrl": "type.googleapis.com/envoy.service.status.v3.ClientConfig",
        "controlPlane": {"identifier": json.dumps({"Component": "istiod", "ID": istiod, "Info": info}, separators=(",", ":"))},
    }


def write_inputs(tmp_path, responses: dict[str, dict]) -> list[str]:
    args = []
    for istiod, response in responses.items():
        path = tmp_path / f"{istiod}.json"
        path.write_text(json.dumps(response))
        args += ["--syncz-file", str(path)]
    return args


CASES = {
    "multiXdsStatusMultiPilot.txt": (
        {
            "istiod1": xds_response("istiod1", [("proxy1", "cluster1", "1.20", ALL_TYPES, None)]),
            "istiod2": xds_response("istiod2", [("proxy2", "cluster2", "1.19", ALL_TYPES, None)]),
            "istiod3": xds_response("istiod3", [("proxy3", "cluster3", "1.20", ALL_TYPES, None)]),
            "istiod4": xds_response("istiod4", [("proxy4", "cluster4", "1.20", {}, None)]),
        },
        [],
    ),
    "multiXdsStatusSinglePilot.txt": (
        {"istiod1": xds_response("istiod1", [("proxy2", "cluster2", "1.20", ALL_TYPES, None), ("proxy1", "cluster1", "1.20", ALL_TYPES, None)])},
        [],
    ),
    "multiXdsStatusMultiPilot_verbose.txt": (
        {"istiod1": xds_response("istiod1", [("proxy1", "cluster1", "1.20", MIXED_TYPES, None)])},
        ["-o", "wide"],
    ),
    "multiXdsStatusSinglePilot.json": (
        {"istiod1": xds_response("istiod1", [("proxy1", "cluster1", "1.20", MIXED_TYPES, None)])},
        ["-o", "json"],
    ),
    "multiXdsStatusSinglePilot.yaml": (
        {"istiod1": xds_response("istiod1", [("proxy1", "cluster1", "1.20", MIXED_TYPES, None)])},
        ["-o", "yaml"],
    ),
    "multiXdsStatusSingleNamespace.yaml": (
        {"istiod1": xds_response("istiod1", [
            ("proxy1", "cluster1", "1.20", MIXED_TYPES, "foo"),
            ("proxy2", "cluster1", "1.20", MIXED_TYPES, "bar"),
        ])},  # fmt: skip
        ["-o", "yaml", "-n", "foo"],
    ),
}


@pytest.mark.parametrize("golden", sorted(CASES))
def test_output_matches_istioctl_golden(golden, tmp_path):
    expected = require_shared(GOLDEN / golden).read_text()
    responses, args = CASES[golden]
    result = call_meshctl("proxy-status", *write_inputs(tmp_path, responses), *args)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == expected


def test_http_syncz_list_uses_nonces_like_statusgen():
    # pilot/pkg/xds/debug.go SyncStatus: statuses come from sent/acked nonces.
    syncz = [
        {"cluster_id": "Kubernetes", "proxy": "reviews-v1-abc.bookinfo", "istio_version": "1.24.1",
         "cluster_sent": "n1", "cluster_acked": "n1", "listener_sent": "n2", "listener_acked": "n1",
         "route_sent": "n3", "route_acked": "n3", "endpoint_sent": "n4", "endpoint_acked": "n4"},
    ]  # fmt: skip
    response = parse_syncz("istiod-7d9c", json.dumps(syncz).encode())
    [status] = sync_statuses({"istiod-7d9c": response})
    assert (status.proxy_id, status.namespace, status.istiod_id) == ("reviews-v1-abc.bookinfo", "bookinfo", "istiod-7d9c")
    assert status.types == {"CDS": "SYNCED", "LDS": "STALE", "RDS": "SYNCED", "EDS": "SYNCED", "ECDS": "NOT SENT"}
    header, rows = status_rows([status], verbose=True)
    assert header == ("NAME", "CLUSTER", "CDS", "ECDS", "EDS", "LDS", "RDS", "ISTIOD", "VERSION")
    assert rows[0][2:7] == ("SYNCED", "NOT SENT", "SYNCED", "STALE", "SYNCED")


def test_wide_marks_types_a_proxy_did_not_subscribe_to_as_ignored():
    both = {"i": xds_response("i", [("a", "c", "1", ALL_TYPES, None), ("b", "c", "1", {}, None)])}
    _, rows = status_rows(sync_statuses(both), verbose=True)
    assert rows[1][2:7] == ("IGNORED",) * 5


@pytest.mark.parametrize("data", [b"", b"not json", b"42", b'{"resources": 3}'])
def test_bad_input_is_a_decode_error(data):
    with pytest.raises(DecodeError):
        parse_syncz("istiod", data)


def test_bad_file_exits_65_with_one_line(tmp_path):
    path = tmp_path / "istiod.json"
    path.write_text("{truncated")
    result = call_meshctl("proxy-status", "--syncz-file", str(path))
    assert result.exit_code == 65
    assert result.stderr.count("\n") == 1 and "not JSON" in result.stderr


def test_pod_argument_filters_to_one_proxy(tmp_path):
    responses = {"istiod1": xds_response("istiod1", [("a.ns1", "c", "1", ALL_TYPES, "ns1"), ("b.ns2", "c", "1", ALL_TYPES, "ns2")])}
    result = call_meshctl("proxy-status", "b.ns2", *write_inputs(tmp_path, responses))
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["NAME", "b.ns2"]
    missing = call_meshctl("proxy-status", "zzz.ns1", *write_inputs(tmp_path, responses))
    assert missing.exit_code == 69 and "no proxies found (checked 1 istiods) for zzz.ns1" in missing.stderr


def test_istioctl_verbosity_and_table_spellings(tmp_path):
    """istioctl proxystatus.go: -v/--verbosity > 0 prints every xDS type (printAllVerbose, meshctl's
    -o wide); -o table is the default table."""
    responses = {"istiod1": xds_response("istiod1", [("a.ns1", "c", "1", ALL_TYPES, "ns1")])}
    inputs = write_inputs(tmp_path, responses)
    default = call_meshctl("proxy-status", *inputs)
    assert call_meshctl("proxy-status", *inputs, "-o", "table").stdout == default.stdout
    wide = call_meshctl("proxy-status", *inputs, "-o", "wide")
    assert call_meshctl("proxy-status", *inputs, "-v", "1").stdout == wide.stdout != default.stdout
    assert call_meshctl("proxy-status", *inputs, "--verbosity", "0").stdout == default.stdout
