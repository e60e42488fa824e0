"""Decoding ztunnel's dump as istioctl's Prime does (Go encoding/json), tolerantly, and writing
istioctl's `-o json` form of its structs. Expected values come from reading api.go/configdump.go."""

from __future__ import annotations

import json

import pytest

from meshctl.decode.ztunnel import go_json, parse
from meshctl.errors import DecodeError
from meshctl.model.ztunnel import CIDRVIP, ZtunnelService, ZtunnelWorkload
from meshctl.render.data import to_json


def _parse(document) -> object:
    return parse(json.dumps(document).encode())


def test_sections_may_be_lists_or_maps_and_keys_match_case_insensitively():
    # configdump.go unmarshalListOrMap; rawDump's tag is "workloadstate", ztunnel writes "workloadState".
    dump = _parse({
        "Workloads": {"net/10.0.0.1": {"name": "a", "namespace": "ns", "workloadIps": ["10.0.0.1"]}},
        "services": [{"NAME": "svc", "namespace": "ns"}],
        "workloadState": {"uid": {"info": {"name": "a", "namespace": "ns"}}},
    })
    assert [w.name for w in dump.workloads] == ["a"]
    assert [s.name for s in dump.services] == ["svc"]
    assert dump.workload_state["uid"].info.name == "a"
    assert dump.policies is None and dump.certificates is None  # absent: Go's nil slice
    assert dump.warnings == ()


def test_an_exact_key_wins_over_a_folded_one_and_the_last_key_wins():
    dump = _parse({"workloads": [{"Name": "folded", "name": "exact"}, {"name": "exact", "NAME": "later"}]})
    assert [w.name for w in dump.workloads] == ["exact", "later"]


def test_null_section_is_empty_not_absent():
    # json.Unmarshal("null", &map) leaves a nil map; maps.Values(nil) is an empty, non-nil slice.
    dump = _parse({"certificates": None, "workloads": None})
    assert dump.certificates == [] and dump.workloads == []
    assert go_json(dump.certificates) == []


def test_unknown_fields_are_kept_in_raw_and_not_written_in_istioctl_json():
    item = {"uid": "u", "name": "a", "nativeTunnel": True, "waypoint": {"destination": "/10.0.0.9", "port": 15008}}
    workload = _parse({"workloads": [item]}).workloads[0]
    assert workload.raw["nativeTunnel"] is True
    assert workload.waypoint.raw["port"] == 15008
    written = go_json(workload, ZtunnelWorkload)
    assert "nativeTunnel" not in written and written["waypoint"] == {"destination": "/10.0.0.9"}


def test_istioctl_json_follows_go_field_order_and_omitempty():
    workload = _parse({"workloads": [{"name": "a", "trustDomain": "", "network": "n1", "capacity": 2}]}).workloads[0]
    written = go_json(workload, ZtunnelWorkload)
    # api.go field order; trustDomain omitted (omitempty, ""), locality and applicationTunnel kept
    # (Go never omits a struct), workloadIps null (nil slice), authorizationPolicies omitted.
    assert list(written) == [
        "uid", "workloadIps", "protocol", "name", "namespace", "serviceAccount", "workloadName", "workloadType",
        "canonicalName", "canonicalRevision", "clusterId", "locality", "node", "network", "status", "hostname",
        "capacity", "applicationTunnel",
    ]
    assert written["locality"] == {} and written["applicationTunnel"] == {"protocol": ""}
    assert written["workloadIps"] is None and written["capacity"] == 2


def test_application_tunnel_port_zero_is_kept_because_it_is_a_pointer():
    workload = _parse({"workloads": [{"applicationTunnel": {"protocol": "PROXY", "port": 0}}]}).workloads[0]
    assert go_json(workload, ZtunnelWorkload)["applicationTunnel"] == {"protocol": "PROXY", "port": 0}


def test_map_keys_are_sorted_as_strings_and_integer_keys_normalised():
    service = _parse({"services": [{"ports": {"9080": 9080, "15008": 15008}, "endpoints": {
        "b": {"workloadUid": "b", "port": {"08": 8, "100": 80}}, "a": None}}]}).services[0]
    written = go_json(service, ZtunnelService)
    assert list(written["ports"]) == ["15008", "9080"]
    assert list(written["endpoints"]) == ["a", "b"] and written["endpoints"]["a"] is None
    assert written["endpoints"]["b"]["port"] == {"100": 80, "8": 8}


def test_cidr_vips_read_both_forms_and_write_the_string_form():
    service = _parse({"services": [{"cidrVips": [{"cidr": "10.0.0.0/24", "network": "n1"}, "n2/10.1.0.0/16"]}]}).services[0]
    assert service.cidr_vips == [CIDRVIP(cidr="10.0.0.0/24", network="n1"), CIDRVIP(cidr="10.1.0.0/16", network="n2")]
    assert go_json(service, ZtunnelService)["cidrVips"] == ["n1/10.0.0.0/24", "n2/10.1.0.0/16"]


def test_type_mismatches_become_zero_values_with_warnings_instead_of_failing():
    # Go would fail the whole dump ("cannot unmarshal string into Go struct field ... of type uint32").
    dump = _parse({"workloads": [{"name": "a", "capacity": "big", "workloadIps": "10.0.0.1"}, None],
                   "services": [{"name": "s", "ports": {"http": "x"}, "endpoints": {"e": {"port": {"70000": 1}}}}]})
    assert dump.workloads[0].capacity == 0 and dump.workloads[0].workload_ips is None
    assert dump.services[0].ports == {"http": 0}
    assert dump.services[0].endpoints["e"].port == {}
    text = "\n".join(dump.warnings)
    for expected in ("workloads[0].capacity", "workloads[0].workloadIps", "workloads[1]: null entry skipped",
                     "services[0].ports.http", "port.70000: map key is not a uint16"):
        assert expected in text


def test_warnings_are_bounded():
    dump = _parse({"workloads": [{"capacity": "x"} for _ in range(100)]})
    assert len(dump.warnings) == 21 and dump.warnings[-1] == "... and 80 more problems of the same kind"


def test_presence_is_go_interface_so_numbers_become_float64():
    dump = _parse({"policies": [{"rules": [[[{"principals": [{"Presence": 1}, {"Presence": {}}]}]]]}]})
    match = dump.policies[0].rules[0][0][0]
    assert [m.presence for m in match.principals] == [1.0, {}]
    assert to_json(go_json(dump.policies)).count('"Presence"') == 2


@pytest.mark.parametrize(("data", "message"), [
    (b"", "ztunnel config dump is empty"),
    (b"{not json", "not valid JSON"),
    (b"[]", "a JSON array, not an object"),
    (b'{"configs": []}', "this is an Envoy config dump"),
])
def test_what_is_not_a_ztunnel_dump_is_one_clear_error(data, message):
    with pytest.raises(DecodeError, match=message):
        parse(data)


def test_an_object_with_no_known_section_decodes_with_a_warning():
    dump = parse(b'{"something": 1}')
    assert dump.workloads is None and "is this a ztunnel config dump?" in dump.warnings[0]


def test_private_keys_are_never_kept():
    key = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n"
    dump = _parse({"certificates": [{"identity": "x", "certChain": [{"pem": key}]}], "extra": {"k": key}})
    assert dump.certificates[0].cert_chain[0].pem == "[redacted]\n"  # meshctl.redact replaces the block, not its line end
    assert dump.document["extra"]["k"] == "[redacted]\n" and dump.redacted
    assert "PRIVATE KEY" not in to_json(go_json(dump.certificates)) + json.dumps(dump.document)
