"""`meshctl pc` output against istioctl's own goldens (read from ../shared, never copied)."""

from __future__ import annotations

import json

import pytest

from helpers import ISTIO_TESTDATA, call_meshctl, require_shared

PROXYCONFIG = ISTIO_TESTDATA / "istioctl/pkg/proxyconfig/testdata"
CONFIGDUMP = ISTIO_TESTDATA / "istioctl/pkg/writer/envoy/configdump/testdata"

CASES = [
    # (meshctl arguments after `pc`, input dump, golden output)
    (["all"], PROXYCONFIG / "config_dump.json", PROXYCONFIG / "config_dump_summary.txt"),
    (["all", "--with-headers"], PROXYCONFIG / "config_dump.json", PROXYCONFIG / "config_dump_summary_withheaders.txt"),
    (["route"], CONFIGDUMP / "routes/empty-gateway/configdump.json", CONFIGDUMP / "routes/empty-gateway/output.txt"),
    (
        ["routes"],
        CONFIGDUMP / "routes/istio-gateway-http-route-prefix/configdump.json",
        CONFIGDUMP / "routes/istio-gateway-http-route-prefix/output.txt",
    ),
    (["endpoint"], CONFIGDUMP / "endpoint/configdump.json", CONFIGDUMP / "endpoint/emptyfilter_output.txt"),
    (["ep", "-o", "json"], CONFIGDUMP / "endpoint/configdump.json", CONFIGDUMP / "endpoint/emptyfilter_output.json"),
    (["endpoints", "-o", "yaml"], CONFIGDUMP / "endpoint/configdump.json", CONFIGDUMP / "endpoint/emptyfilter_output.yaml"),
    (["ecds"], CONFIGDUMP / "ecds/configdump.json", CONFIGDUMP / "ecds/output.txt"),
    (["ecds", "-o", "json"], CONFIGDUMP / "ecds/configdump.json", CONFIGDUMP / "ecds/output.json"),
    (["ecds", "-o", "yaml"], CONFIGDUMP / "ecds/configdump.json", CONFIGDUMP / "ecds/output.yaml"),
]


@pytest.mark.parametrize(("args", "dump", "golden"), CASES, ids=[" ".join(c[0]) + " " + c[2].parent.name for c in CASES])
def test_matches_istioctl_golden(args, dump, golden):
    require_shared(golden)
    result = call_meshctl("pc", *args, "-f", str(dump))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == golden.read_text()


def test_pc_all_sections_follow_the_single_views():
    """`pc all` is the single views with type prefixes: its cluster rows are `pc cluster`'s, in the
    same order, led by NAME = "cluster/<name>"; istioctl prefixes the SERVICE FQDN of clusters
    without a subset key too (PrintClusterSummary with includeConfigType)."""
    dump = require_shared(PROXYCONFIG / "config_dump.json")
    single = [row.split() for row in call_meshctl("pc", "cluster", "-f", str(dump)).stdout.splitlines()[1:]]
    names = [cluster["name"] for cluster in json.loads(call_meshctl("pc", "cluster", "-f", str(dump), "-o", "json").stdout)]
    whole = call_meshctl("pc", "all", "-f", str(dump)).stdout
    block = whole[whole.index("\nNAME ") + 1 :].split("\n\n")[0].splitlines()
    assert block[0].split() == ["NAME", "SERVICE", "FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION", "RULE"]
    expected = [[f"cluster/{name}", *([f"cluster/{row[0]}", *row[1:]] if row[1] == "-" else row)] for name, row in zip(names, single)]
    assert len(single) == len(names) >= 3
    assert [line.split() for line in block[1:]] == expected


def test_camel_case_input_gives_the_same_table():
    """istioctl's own `-o json` output (protobuf JSON, camelCase) decodes like Envoy's dump."""
    dump = require_shared(CONFIGDUMP / "endpoint/configdump.json")
    from meshctl.decode.protojson import to_camel

    camel = json.dumps(to_camel(json.loads(dump.read_bytes()))).encode()
    assert b"staticEndpointConfigs" in camel
    from_camel = call_meshctl("pc", "endpoint", "-f", "-", stdin=camel)
    assert from_camel.stdout == call_meshctl("pc", "endpoint", "-f", str(dump)).stdout
