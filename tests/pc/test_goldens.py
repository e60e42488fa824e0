"""`meshctl pc` output against istioctl's own goldens (read from ../shared, never copied)."""

from __future__ import annotations

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
    """`pc all` is the single views with type prefixes: its cluster rows equal `pc cluster`'s."""
    dump = require_shared(PROXYCONFIG / "config_dump.json")
    single = call_meshctl("pc", "cluster", "-f", str(dump)).stdout.splitlines()[1:]
    whole = call_meshctl("pc", "all", "-f", str(dump)).stdout
    for row in single:
        fqdn = row.split()[0]
        assert any(line.startswith("cluster/") and fqdn in line for line in whole.splitlines())


def test_camel_case_input_gives_the_same_table():
    """istioctl's own `-o json` output (protobuf JSON, camelCase) decodes like Envoy's dump."""
    dump = require_shared(CONFIGDUMP / "endpoint/configdump.json")
    import json

    from meshctl.decode.protojson import to_camel

    camel = json.dumps(to_camel(json.loads(dump.read_bytes()))).encode()
    assert b"staticEndpointConfigs" in camel
    from_camel = call_meshctl("pc", "endpoint", "-f", "-", stdin=camel)
    assert from_camel.stdout == call_meshctl("pc", "endpoint", "-f", str(dump)).stdout
