"""Decoding: camelCase input, repeated sections, and the partial decoding of big dumps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshctl.decode.configdump import _parse_sections, from_object, looks_like_dump, parse

SMALL = Path(__file__).parent / "data" / "mesh_small.json"


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
        {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "dynamicActiveClusters": [{"cluster": {"name": "a", "transportSocketMatches": [{"match": {"tlsMode": "istio"}}]}}]}]}
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
