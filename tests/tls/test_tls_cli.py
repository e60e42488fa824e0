"""`meshctl pc secret|tls|bootstrap` as a user runs them: files in, text/JSON out, exit codes."""

from __future__ import annotations

import json

import pytest

from helpers import ISTIO_TESTDATA, call_meshctl, require_shared, run_meshctl
from helpers.tlsdata import b64, ca_secret, cert_secret, istio_bootstrap, istio_outbound_cluster, secrets_dump

SECRET_CASE = ISTIO_TESTDATA / "istioctl/pkg/writer/envoy/configdump/testdata/secret/istio"
RUNNINGSDS = ISTIO_TESTDATA / "pkg/bootstrap/testdata/runningsds_golden.json"


def _dump(*sections) -> bytes:
    return json.dumps({"configs": list(sections)}).encode()


def _bootstrap_section(bootstrap: dict) -> dict:
    return {"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump", "bootstrap": bootstrap}


def _clusters_section(*clusters, warming=()) -> dict:
    return {
        "@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
        "dynamic_active_clusters": [{"cluster": c} for c in clusters],
        "dynamic_warming_clusters": [{"cluster": c} for c in warming],
    }


def _file(tmp_path, data: bytes, name: str = "dump.json") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_pc_secret_matches_the_istioctl_golden_piped():
    case = require_shared(SECRET_CASE)
    result = run_meshctl("pc", "s", "-f", str(case / "config_dump.json"))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (case / "output").read_text()


def test_pc_secret_json_is_protobuf_json_and_never_shows_keys(tmp_path, certs):
    key_pem = certs.key_pem()
    section = secrets_dump(active=[cert_secret("default", certs.pem(certs.root()), key=key_pem)])
    path = _file(tmp_path, _dump(section))
    result = call_meshctl("pc", "secret", "-f", path, "-o", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert "@type" not in document and list(document) == ["dynamicActiveSecrets", "dynamicWarmingSecrets"]
    assert document["dynamicActiveSecrets"][0]["secret"]["tlsCertificate"]["privateKey"] == {"inlineBytes": "W3JlZGFjdGVkXQ=="}
    for output in ("json", "yaml", "short", "wide"):
        shown = call_meshctl("pc", "secret", "-f", path, "-o", output, "--raw")
        assert b64(key_pem)[:40] not in shown.stdout + shown.stderr
    raw = json.loads(call_meshctl("pc", "secret", "-f", path, "-o", "json", "--raw").stdout)
    assert raw["@type"].endswith("SecretsConfigDump") and "dynamic_active_secrets" in raw
    query = call_meshctl("pc", "secret", "-f", path, "--query", "dynamicActiveSecrets[].name")
    assert json.loads(query.stdout) == ["default"]


def test_pc_secret_without_secrets_says_so_on_stderr(tmp_path):
    result = call_meshctl("pc", "secrets", "-f", _file(tmp_path, _dump(_bootstrap_section({}))))
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == (
        "meshctl: warning: the config dump has no secrets (SecretsConfigDump)\nNo active or warming secrets found.\n"
    )
    empty = call_meshctl("pc", "secrets", "-f", _file(tmp_path, _dump(secrets_dump()), "empty.json"))
    assert (empty.exit_code, empty.stdout, empty.stderr) == (0, "", "No active or warming secrets found.\n")


def test_pc_secret_bad_certificate_is_a_marked_row_and_a_warning(tmp_path):
    section = secrets_dump(active=[ca_secret("ROOTCA", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")])
    result = call_meshctl("pc", "secret", "-f", _file(tmp_path, _dump(section)), "-o", "wide")
    assert result.exit_code == 0
    assert result.stderr.startswith("meshctl: warning: secret ROOTCA: block 1: not a valid X.509 certificate")
    (row,) = result.stdout.splitlines()[1:]
    assert row.startswith("ROOTCA ") and "not a valid X.509 certificate" in row and " false " in row


def test_pc_tls_table_filter_json_and_query(tmp_path):
    dump = _dump(
        _bootstrap_section(istio_bootstrap()),
        _clusters_section(istio_outbound_cluster(), istio_outbound_cluster("ratings.default.svc.cluster.local")),
    )
    path = _file(tmp_path, dump)
    result = call_meshctl("pc", "tls", "-f", path, "--fqdn", "reviews")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["CLUSTER", "MATCH", "MODE"] and len(lines) == 3
    assert "sds-grpc -> ./var/run/secrets/workload-spiffe-uds/socket" in lines[1]
    rows = json.loads(call_meshctl("pc", "tls", "-f", path, "-o", "json").stdout)["clusters"]
    assert [(r["cluster"].split("|")[3], r["mode"]) for r in rows] == [
        ("ratings.default.svc.cluster.local", "mTLS (SDS)"), ("ratings.default.svc.cluster.local", "plaintext"),
        ("reviews.default.svc.cluster.local", "mTLS (SDS)"), ("reviews.default.svc.cluster.local", "plaintext"),
    ]  # fmt: skip
    query = call_meshctl("pc", "tls", "-f", path, "--query", "clusters[?mode=='mTLS (SDS)'].sdsSources[0].endpoints[0]")
    assert json.loads(query.stdout) == ["./var/run/secrets/workload-spiffe-uds/socket"] * 2
    yaml_out = call_meshctl("pc", "tls", "-f", path, "-o", "yaml", "--port", "9080", "--fqdn", "ratings")
    assert "sni: outbound_.9080_._.ratings.default.svc.cluster.local" in yaml_out.stdout


def test_pc_tls_marks_warming_clusters(tmp_path):
    path = _file(tmp_path, _dump(_clusters_section(warming=[istio_outbound_cluster()])))
    result = call_meshctl("pc", "tls", "-f", path)
    assert result.stdout.splitlines()[0].endswith("SDS SOURCE")  # the same columns, warming or not
    assert "meshctl: note: 2 rows warming" in result.stderr
    assert "sds-grpc -> ?" in result.stdout  # no bootstrap in this dump: unresolved, said so


def test_pc_tls_without_clusters(tmp_path):
    result = call_meshctl("pc", "tls", "-f", _file(tmp_path, _dump(_bootstrap_section({}))))
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "meshctl: warning: the config dump has no clusters (ClustersConfigDump)\nNo clusters found.\n"
    filtered = call_meshctl("pc", "tls", "-f", _file(tmp_path, _dump(_clusters_section(istio_outbound_cluster())), "c.json"), "--fqdn", "nope")
    assert (filtered.exit_code, filtered.stdout, filtered.stderr) == (0, "", "No clusters found.\n")


def test_pc_bootstrap_defaults_to_istioctl_json_for_envoy_rev_json():
    path = str(require_shared(RUNNINGSDS))
    result = call_meshctl("pc", "b", "-f", path)
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["bootstrap"] and document["bootstrap"]["node"]["id"] == "sidecar~1.2.3.4~foo~bar"
    assert "staticResources" in document["bootstrap"] and document["bootstrap"]["node"]["metadata"]["ISTIO_VERSION"] == "release-3.1"
    assert result.stdout.startswith('{\n    "bootstrap": {')
    raw = json.loads(call_meshctl("pc", "bootstrap", "-f", path, "--raw").stdout)
    assert "static_resources" in raw["bootstrap"]


def test_pc_bootstrap_short_from_a_config_dump(tmp_path):
    path = _file(tmp_path, _dump(_bootstrap_section(istio_bootstrap())))
    result = call_meshctl("pc", "bootstrap", "-f", path, "-o", "short")
    assert result.exit_code == 0
    assert "Node ID:      sidecar~10.0.0.1~reviews-v1-abc.default~default.svc.cluster.local\n" in result.stdout
    assert "xds-grpc     STATIC     ./etc/istio/proxy/XDS" in result.stdout
    assert "sds-grpc     STATIC     ./var/run/secrets/workload-spiffe-uds/socket" in result.stdout
    query = call_meshctl("pc", "bootstrap", "-f", path, "--query", "bootstrap.node.cluster")
    assert json.loads(query.stdout) == "reviews.default"


@pytest.mark.parametrize("command", ["secret", "tls", "bootstrap"])
@pytest.mark.parametrize(
    "data",
    [b"", b"{\"configs\": [", b"\x00\xff\xfe garbage", b"[1, 2, 3]", b"{\"kind\": \"Pod\"}"],
    ids=["empty", "truncated", "binary", "list", "not-a-dump"],
)
def test_unusable_input_is_exit_65_with_one_line(tmp_path, command, data):
    result = call_meshctl("pc", command, "-f", _file(tmp_path, data))
    assert result.exit_code == 65, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("meshctl: error: ") and result.stderr.count("\n") == 1


def test_bad_output_format_is_a_usage_error(tmp_path):
    result = call_meshctl("pc", "tls", "-f", _file(tmp_path, _dump()), "-o", "wide")
    assert result.exit_code == 2
