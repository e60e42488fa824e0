"""Unusable input: one line on stderr, exit 65, nothing on stdout; never a traceback."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshctl.decode.configdump import parse
from meshctl.errors import DecodeError, ExitStatus

from helpers import call_meshctl, run_meshctl

VALID = json.dumps(
    {"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "static_clusters": [{"cluster": {"name": "a", "type": "STATIC"}}]}]}
).encode()


def assert_data_error(result):
    assert result.exit_code == ExitStatus.DATA_ERROR, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("meshctl: error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        VALID[: len(VALID) // 2],  # truncated
        b"[1, 2, 3]",
        b'{"kind": "Pod"}',
        b'"just a string"',
        b'{"configs": 7}',
        bytes(range(256)) * 4,  # binary garbage
        b"\xff\xfe{",  # invalid UTF-8
        b"{" * 100_000,  # deeply nested and truncated
    ],
    ids=["empty", "blank", "truncated", "list", "not-a-dump", "string", "configs-not-list", "binary", "bad-utf8", "deep"],
)
@pytest.mark.parametrize("command", ["cluster", "listener", "route", "ecds", "all", "endpoint"])
def test_unusable_input_exits_65_with_one_line(command, data):
    assert_data_error(call_meshctl("pc", command, "-f", "-", stdin=data))


def test_huge_single_string_is_handled():
    name = "x" * 5_000_000
    dump = json.dumps({"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "static_clusters": [{"cluster": {"name": name}}]}]})
    result = call_meshctl("pc", "cluster", "-f", "-", stdin=dump.encode())
    assert result.exit_code == 0
    assert name in result.stdout
    truncated = call_meshctl("pc", "cluster", "-f", "-", stdin=dump.encode()[:-3])
    assert_data_error(truncated)
    assert len(truncated.stderr) < 400  # the message never echoes the input


def test_subprocess_run_reports_bad_input_in_one_line(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_bytes(VALID[:-5])
    assert_data_error(run_meshctl("pc", "cluster", "-f", str(broken)))


def test_missing_file_is_a_no_input_error():
    result = call_meshctl("pc", "cluster", "-f", "/nonexistent/dump.json")
    assert result.exit_code == ExitStatus.NO_INPUT
    assert "does not exist" in result.stderr


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_decoder_never_fails_otherwise_on_random_bytes(data):
    try:
        parse(data)
    except DecodeError as exc:
        assert "\n" not in str(exc)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=30,
)
section_types = st.sampled_from(
    [
        "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
        "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
        "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
        "type.googleapis.com/envoy.admin.v3.EndpointsConfigDump",
        "type.googleapis.com/envoy.admin.v3.EcdsConfigDump",
        "type.googleapis.com/envoy.admin.v3.SecretsConfigDump",
        "type.googleapis.com/envoy.admin.v3.Unknown",
    ]
)
resource_keys = st.sampled_from(
    ["static_clusters", "dynamic_active_clusters", "dynamic_warming_clusters", "dynamic_listeners", "static_listeners",
     "dynamic_route_configs", "static_endpoint_configs", "dynamic_endpoint_configs", "ecds_filters", "dynamic_active_secrets"]
)
wrapper_keys = st.sampled_from(["cluster", "listener", "active_state", "warming_state", "route_config", "endpoint_config", "ecds_filter", "secret"])
resources = st.dictionaries(wrapper_keys, json_values | st.dictionaries(st.sampled_from(["name", "address", "filter_chains", "virtual_hosts", "endpoints", "listener", "type", "metadata"]), json_values, max_size=4), max_size=3)  # noqa: E501
dumps = st.builds(
    lambda sections: {"configs": sections},
    st.lists(st.builds(lambda t, body: {"@type": t, **body}, section_types, st.dictionaries(resource_keys, st.lists(resources, max_size=3), max_size=3)), max_size=4),
)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(dumps, st.sampled_from(["cluster", "listener", "route", "endpoint", "ecds"]), st.sampled_from(["short", "json", "yaml"]))
def test_views_of_odd_dumps_are_an_answer_or_a_data_error(dump, command, output):
    """Shapes Envoy never prints (wrong types, missing fields) give a view or exit 65, nothing else."""
    result = call_meshctl("pc", command, "-f", "-", "-o", output, stdin=json.dumps(dump).encode())
    assert result.exit_code in (0, ExitStatus.DATA_ERROR), result.stderr
    assert "Traceback" not in result.stderr and "error: unexpected" not in result.stderr
