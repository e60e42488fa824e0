"""`meshctl ztunnel-config` (`zc`) from files: istioctl's goldens through the CLI, flags, errors."""

from __future__ import annotations

import json

import pytest

from helpers import ISTIO_TESTDATA, call_meshctl, require_shared, run_meshctl

TESTDATA = ISTIO_TESTDATA / "istioctl/pkg/writer/ztunnel/configdump/testdata"
DUMP = TESTDATA / "dump.json"

CASES = [
    (["workload"], "workloadsummary.txt"),
    (["w", "--workload-namespace", "default"], "workloadsummary_default.txt"),
    (["workloads", "--workload-namespace", "DEFAULT"], "workloadsummary_default.txt"),  # EqualFold
    (["connections"], "connectionsummary.txt"),
    (["cons"], "connectionsummary.txt"),
    (["all"], "allsummary.txt"),
]


@pytest.mark.parametrize(("args", "golden"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_matches_istioctl_golden(args, golden):
    require_shared(DUMP)
    result = call_meshctl("zc", *args, "-f", str(DUMP))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (TESTDATA / golden).read_text()


def test_certificates_golden_in_a_real_process():
    # The leaf's stated validity ends 2033-03-22: until then VALID CERT is "true", as in the golden.
    result = run_meshctl("ztunnel-config", "certs", "-f", str(require_shared(DUMP)))
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == (TESTDATA / "secretsummary.txt").read_text()


def test_all_with_headers_is_the_single_views_under_headers():
    require_shared(DUMP)
    headed = call_meshctl("zc", "all", "--with-headers", "-f", str(DUMP)).stdout
    plain = call_meshctl("zc", "all", "-f", str(DUMP)).stdout
    assert headed.startswith("\n------ WORKLOAD INFO ------\n\nNAMESPACE ")
    assert headed.replace("------ WORKLOAD INFO ------\n\n", "").count("\n") == plain.count("\n") + 4 * 2
    assert call_meshctl("zc", "services", "-f", str(DUMP)).stdout in plain
    assert call_meshctl("zc", "pol", "-f", str(DUMP)).stdout in headed


def test_all_json_is_the_dump_as_ztunnel_gave_it_and_yaml_is_its_yaml():
    data = require_shared(DUMP).read_bytes()
    assert call_meshctl("zc", "all", "-o", "json", "-f", "-", stdin=data).stdout == data.decode() + "\n"
    yaml = call_meshctl("zc", "all", "-o", "yaml", "-f", str(DUMP)).stdout
    assert yaml.startswith("certificates:\n- certChain:\n") and yaml.endswith("\n\n")


def test_a_name_with_a_file_filters_to_that_workload():
    require_shared(DUMP)
    result = call_meshctl("zc", "workload", "details-v1-698d88b-krdw7.default", "-f", str(DUMP), "-o", "json")
    (workload,) = json.loads(result.stdout)
    assert workload["uid"] == "Kubernetes//Pod/default/details-v1-698d88b-krdw7"
    cons = call_meshctl("zc", "connections", "ratings-v1-779dfc6dc5-5q5wz", "-f", str(DUMP)).stdout.splitlines()
    assert len(cons) == 3 and all(line.startswith("ratings-v1-779dfc6dc5-5q5wz.bookinfo") for line in cons[1:])


def test_query_and_filters():
    require_shared(DUMP)
    result = call_meshctl("zc", "svc", "--service-namespace", "bookinfo", "-f", str(DUMP), "--query", "[].name")
    assert json.loads(result.stdout) == ["bookinfo-productpage-istio-waypoint", "details", "namespace-istio-waypoint",
                                         "productpage", "ratings", "reviews"]
    inbound = call_meshctl("zc", "cons", "--direction", "inbound", "--raw", "-f", str(DUMP)).stdout
    assert "Outbound" not in inbound and "details.am.svc.cluster.local" in inbound
    certs = json.loads(call_meshctl("zc", "cert", "-f", str(DUMP), "-o", "json").stdout)
    assert [c["state"] for c in certs][:2] == ["Available", "Initializing"]


def test_wide_certificates_decode_the_pem():
    require_shared(DUMP)
    result = call_meshctl("zc", "cert", "-o", "wide", "-f", str(DUMP))
    leaf = result.stdout.splitlines()[1]
    # The dump says the leaf expires in 2033; its PEM says 2023-03-22: wide shows what TLS will see.
    assert "spiffe://cluster.local/ns/istio-system/sa/istiod" in leaf and "expired at 2023-03-22T13:04:57Z" in leaf


@pytest.mark.parametrize(("args", "code", "message"), [
    (["zc", "w", "--node", "n1", "-f", "x.json"], 2, "at most one of --file, --node, or pod name must be passed"),
    (["zc", "w", "-o", "table", "-f", "x.json"], 2, "'table' is not one of short, json, yaml"),
    (["zc", "log", "--level", "loud"], 2, "unrecognized logging level: loud"),
    (["zc", "log", "--level", "debug", "-r"], 2, "--level cannot be combined with --reset"),
    (["zc", "w", "-f", "/nonexistent/dump.json"], 66, "file /nonexistent/dump.json does not exist"),
])
def test_usage_and_input_errors_are_one_line(args, code, message):
    result = call_meshctl(*args)
    assert result.exit_code == code and message in result.stderr
    assert "Traceback" not in result.stderr


def test_not_a_ztunnel_dump():
    envoy = require_shared(ISTIO_TESTDATA / "istioctl/pkg/proxyconfig/testdata/config_dump.json")
    result = call_meshctl("zc", "w", "-f", str(envoy))
    assert result.exit_code == 65
    assert result.stderr == "meshctl: error: this is an Envoy config dump (it has `configs`), not ztunnel's: read it with `meshctl pc`\n"
    truncated = call_meshctl("zc", "w", "-f", "-", stdin=DUMP.read_bytes()[:500])
    assert truncated.exit_code == 65 and "not valid JSON" in truncated.stderr


def test_drifted_dump_decodes_with_warnings():
    data = {"workloads": [{"name": "a", "namespace": "ns", "workloadIps": ["10.0.0.1"], "capacity": "1", "newField": {"x": 1}}]}
    result = call_meshctl("zc", "w", "-f", "-", stdin=json.dumps(data).encode())
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1].split() == ["ns", "a", "10.0.0.1", "None"]
    assert result.stderr == "meshctl: warning: standard input: workloads[0].capacity: want an integer (uint32), got a JSON string '1': ignored\n"
