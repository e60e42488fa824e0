"""Decoding: camelCase input, repeated sections, and the partial decoding of big dumps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshctl.analyze.order import sort_clusters
from meshctl.analyze.summaries import CLUSTER_TABLE_FIELDS, cluster_table
from meshctl.decode.configdump import _parse_sections, from_object, looks_like_dump, parse
from meshctl.decode.protojson import to_camel
from meshctl.decode.resources import clusters

from helpers import ISTIO_TESTDATA, require_shared

SMALL = Path(__file__).parent / "data" / "mesh_small.json"
ISTIO_DUMPS = ("istioctl/pkg/proxyconfig/testdata/config_dump.json", "istioctl/pkg/writer/compare/testdata/configdump.json")


def test_repeated_sections_are_merged():
    ecds = "type.googleapis.com/envoy.admin.v3.EcdsConfigDump"
    dump = from_object({"configs": [{"@type": ecds, "ecds_filters": [{"a": 1}]}, {"@type": ecds, "ecds_filters": [{"b": 2}]}]})
    assert dump.section("EcdsConfigDump")["ecds_filters"] == [{"a": 1}, {"b": 2}]


def test_v2alpha_types_are_read_as_v3():
    dump = from_object({"configs": [{"@type": "type.googleapis.com/envoy.admin.v2alpha.ClustersConfigDump", "static_clusters": []}]})
    assert dump.section("ClustersConfigDump") == {"@type": "type.googleapis.com/envoy.admin.v2alpha.ClustersConfigDump", "static_clusters": []}
    assert dump.warnings == []


def test_camel_case_sections_are_normalised_to_snake_case():
    dump = from_object(
        {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "dynamicActiveClusters": [{"cluster": {"name": "a", "transportSocketMatches": [{"match": {"tlsMode": "istio"}}]}}]}]}  # noqa: E501
    )
    cluster = dump.section("ClustersConfigDump")["dynamic_active_clusters"][0]["cluster"]
    assert cluster["transport_socket_matches"] == [{"match": {"tlsMode": "istio"}}]


@pytest.mark.parametrize("indent", [None, 1, 4])
@pytest.mark.parametrize("wanted", [{"ClustersConfigDump"}, {"ListenersConfigDump", "EndpointsConfigDump"}, {"SecretsConfigDump"}])
def test_partial_decoding_gives_the_same_sections(indent, wanted):
    document = json.loads(SMALL.read_bytes())
    data = json.dumps(document, indent=indent).encode()
    assert looks_like_dump(data)
    partial = _parse_sections(data, wanted)
    full = from_object(document)
    assert partial is not None
    for name in wanted:
        assert partial.section(name) == full.section(name)
    assert set(partial.entries) <= wanted


def test_partial_decoding_gives_up_when_an_admin_type_hides_in_a_string():
    document = json.loads(SMALL.read_bytes())
    clusters = document["configs"][1]["static_clusters"]
    nested = {"@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump"}  # an admin type inside a resource
    clusters.append({"cluster": {"name": "odd", "metadata": {"filter_metadata": {"odd": nested}}}})
    data = json.dumps(document, indent=1).encode()
    assert _parse_sections(data, {"ClustersConfigDump"}) is None
    assert parse(data, {"ClustersConfigDump"}).section("ClustersConfigDump")["static_clusters"][-1] == clusters[-1]


def test_partial_decoding_refuses_other_layouts():
    assert _parse_sections(b'{"other": 1, "configs": []}', {"ClustersConfigDump"}) is None
    assert _parse_sections(b"[]", {"ClustersConfigDump"}) is None


def _cluster_rows(dump) -> list[list[str]]:
    return cluster_table(sort_clusters(clusters(dump))).rows


@pytest.mark.parametrize("dump_path", [SMALL, *(ISTIO_TESTDATA / path for path in ISTIO_DUMPS)], ids=lambda path: path.name)
@pytest.mark.parametrize("spelling", ["envoy", "protojson"])
def test_the_cluster_summary_fields_give_the_full_decodes_table(dump_path, spelling):
    document = json.loads(require_shared(dump_path).read_bytes())
    if spelling == "protojson":
        document = to_camel(document)  # istioctl -o json output, camelCase
    partial = _parse_sections(json.dumps(document, indent=1).encode(), {"ClustersConfigDump"}, CLUSTER_TABLE_FIELDS)
    assert partial is not None
    assert _cluster_rows(partial) == _cluster_rows(from_object(document))
    assert _cluster_rows(partial)  # (the dumps have clusters: the comparison means something)


def test_fields_keep_only_what_is_asked_exactly_as_parsed():
    entry = {
        "@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
        "version_info": "1",
        "static_clusters": [{"cluster": {"name": "a", "type": "EDS", "metadata": {"filter_metadata": {"istio": {"n": [1, 2.5, None, True]}}}, "big": {"x": 1}}}, "odd", 7],
    }
    fields = {"static_clusters": {"cluster": {"name": None, "metadata": None, "absent": None}}}
    partial = _parse_sections(json.dumps({"configs": [entry]}).encode(), {"ClustersConfigDump"}, fields)
    assert partial.section("ClustersConfigDump") == {
        "@type": entry["@type"],
        "static_clusters": [{"cluster": {"name": "a", "metadata": entry["static_clusters"][0]["cluster"]["metadata"]}}, "odd", 7],
    }


def test_fields_on_an_entry_that_is_not_json_fall_back_to_the_whole_dump():
    document = json.loads(SMALL.read_bytes())
    clusters_entry = document["configs"][1]["static_clusters"]
    nested = {"@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump"}  # splits the clusters entry in two
    clusters_entry.append({"cluster": {"name": "odd", "metadata": {"filter_metadata": {"odd": nested}}}})
    data = json.dumps(document, indent=1).encode()
    assert _parse_sections(data, {"ClustersConfigDump"}, CLUSTER_TABLE_FIELDS) is None
    assert parse(data, {"ClustersConfigDump"}, CLUSTER_TABLE_FIELDS).section("ClustersConfigDump")["static_clusters"][-1] == clusters_entry[-1]
