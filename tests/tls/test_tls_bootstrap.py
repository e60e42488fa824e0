"""Version summary (istioctl golden) and the bootstrap summary over pilot-agent's bootstrap files."""

from __future__ import annotations

import json

import pytest

from meshctl.analyze.bootstrap import bootstrap_tables, dump_version_table, envoy_version, istio_versions, version_table
from meshctl.decode.bootstrap import bootstrap_document
from meshctl.decode.configdump import from_object, load_json
from meshctl.decode.protojson import to_camel
from meshctl.errors import DecodeError
from meshctl.render.text import render_tabular

from helpers import ISTIO_TESTDATA, require_shared
from helpers.tlsdata import istio_bootstrap

CONFIGDUMP_TESTDATA = ISTIO_TESTDATA / "istioctl/pkg/writer/envoy/configdump/testdata"
BOOTSTRAP_GOLDENS = ("default", "auth", "all", "runningsds")


def _bootstrap(path) -> dict:
    return bootstrap_document(load_json(require_shared(path).read_bytes()))["bootstrap"]


@pytest.mark.parametrize("name", ["bootstrapdump.json", "configdump.json"])
def test_version_summary_golden(name):
    # bootstrapdump.json is a BootstrapConfigDump in protobuf JSON; configdump.json a full dump.
    golden = require_shared(CONFIGDUMP_TESTDATA / "versionsummary.txt").read_text()
    assert render_tabular(version_table(_bootstrap(CONFIGDUMP_TESTDATA / name))) == golden


def test_pc_all_version_block_golden():
    testdata = require_shared(ISTIO_TESTDATA / "istioctl/pkg/proxyconfig/testdata")
    dump = from_object(load_json((testdata / "config_dump.json").read_bytes()))
    text = render_tabular(dump_version_table(dump))
    assert text == "Istio Version:       1.21.0-1226\nIstio Proxy Version: ee85c5f28702f00621aed895915fca565796b9e4\nEnvoy Version:       0.0.0\n"
    assert (testdata / "config_dump_summary.txt").read_text().startswith(text + "\n")


def test_version_rules():
    node = {
        "metadata": {"ISTIO_VERSION": 7, "ISTIO_PROXY_SHA": "a:b:c"},
        "user_agent_build_version": {"version": {"major_number": 1, "patch": 9}, "metadata": {"ssl.version": "BoringSSL", "build.type": 3}},
    }
    assert istio_versions({"node": node}) == ("", "b")  # non-strings read as ""; the 2nd ":" part
    assert envoy_version({"node": node}) == "1.0.9//BoringSSL"  # order: status, build type, ssl
    assert render_tabular(version_table({})) == "Envoy Version: 0.0.0\n"


@pytest.mark.parametrize("name", BOOTSTRAP_GOLDENS)
def test_bootstrap_summary_of_pilot_agent_bootstraps(name):
    bootstrap = _bootstrap(ISTIO_TESTDATA / f"pkg/bootstrap/testdata/{name}_golden.json")
    info, clusters = bootstrap_tables(bootstrap)
    facts = dict(map(tuple, info.rows))
    assert facts["Node ID:"] == "sidecar~1.2.3.4~foo~bar" and facts["Proxy Type:"] == "sidecar"
    assert facts["Admin Address:"].startswith("127.0.0.1:")
    assert facts["ADS:"] == "DELTA_GRPC via xds-grpc -> /tmp/XDS"
    assert facts["CDS:"] == facts["LDS:"] == "ADS"
    endpoints = {row[0]: row[2] for row in clusters.rows}
    assert endpoints["xds-grpc"] == "/tmp/XDS"
    assert endpoints["sds-grpc"] == "./var/run/secrets/workload-spiffe-uds/test.sock"
    assert endpoints["agent"] == "127.0.0.1:15020"
    raw = json.loads((ISTIO_TESTDATA / f"pkg/bootstrap/testdata/{name}_golden.json").read_text())
    assert [row[0] for row in clusters.rows] == [c["name"] for c in raw["static_resources"]["clusters"]]


def test_bootstrap_summary_text_for_runningsds():
    bootstrap = _bootstrap(ISTIO_TESTDATA / "pkg/bootstrap/testdata/runningsds_golden.json")
    info, clusters = bootstrap_tables(bootstrap)
    text = render_tabular(info)
    assert "Pod:                 svc-0-0-0-6944fb884d-4pgx8.test\n" in text
    assert "Locality:            regionA/zoneB/sub_zoneC\n" in text
    assert "Istio Proxy Version: sha\n" in text and "Discovery Address:   mypilot:1001\n" in text
    assert "Envoy Version" not in text  # a file on disk has no user agent build version
    all_bootstrap = _bootstrap(ISTIO_TESTDATA / "pkg/bootstrap/testdata/all_golden.json")
    rows = {row[0]: row for row in bootstrap_tables(all_bootstrap)[1].rows}
    assert rows["envoy_metrics_service"][1:] == ["STRICT_DNS", "metrics-service:15000", "mTLS (SDS)"]


def test_document_shapes_all_give_the_same_bootstrap():
    plain = istio_bootstrap()
    dump = {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump", "bootstrap": plain}]}
    wrapper = {"bootstrap": plain, "last_updated": "2026-01-01T00:00:00Z"}
    camel = to_camel(wrapper)
    assert "staticResources" in camel["bootstrap"]
    for document in (plain, dump, wrapper, camel):
        assert bootstrap_document(document)["bootstrap"] == plain


@pytest.mark.parametrize(
    "document, message",
    [
        ({"configs": []}, "config dump has no bootstrap"),
        ({"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump"}]}, "config dump has no bootstrap"),
        ({"kind": "Pod"}, "neither an Envoy config dump nor a bootstrap"),
        ([1, 2], "neither an Envoy config dump nor a bootstrap"),
        ("text", "neither an Envoy config dump nor a bootstrap"),
    ],
)
def test_not_a_bootstrap_is_a_decode_error(document, message):
    with pytest.raises(DecodeError, match=message):
        bootstrap_document(document)


def test_summary_of_a_sparse_bootstrap_never_raises():
    info, clusters = bootstrap_tables({"node": {"id": 3, "metadata": []}, "static_resources": {"clusters": [{"name": "x"}, 5]}})
    assert info.rows == [] and clusters.rows == [["x", "STATIC", "-", "plaintext"]]
    assert bootstrap_tables({})[1].rows == []
