"""`meshctl sds` against the rig's SDS socket, and compared with the real Envoy's secrets."""

from __future__ import annotations

import json

import pytest

from meshctl.sources.sds import fetch_secrets

from helpers import call_meshctl

pytestmark = pytest.mark.envoy


def test_fetch_secrets_returns_the_served_certs_without_the_key(envoy_rig):
    import base64

    secrets = {entry["name"]: entry["secret"] for entry in fetch_secrets(envoy_rig.sds_socket, ["default", "ROOTCA"])}
    chain = base64.b64decode(secrets["default"]["tls_certificate"]["certificate_chain"]["inline_bytes"])
    assert chain == envoy_rig.workload_cert.cert_pem + envoy_rig.ca.root.cert_pem
    assert base64.b64decode(secrets["default"]["tls_certificate"]["private_key"]["inline_bytes"]) == b"[redacted]"
    assert base64.b64decode(secrets["ROOTCA"]["validation_context"]["trusted_ca"]["inline_bytes"]) == envoy_rig.ca.root.cert_pem


def test_sds_table_shows_the_workload_serial(envoy_rig):
    result = call_meshctl("sds", "--socket", envoy_rig.sds_socket, "--resource", "default")
    assert result.exit_code == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split()[:2] == ["RESOURCE", "NAME"]
    assert row.split()[0] == "default"
    assert int(row.split()[5], 16) == envoy_rig.workload_serial


def test_sds_json_never_contains_key_material(envoy_rig):
    result = call_meshctl("sds", "--socket", envoy_rig.sds_socket, "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert "PRIVATE KEY" not in result.stdout and "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS" not in result.stdout
    # the same shape as `pc secret -o json` gives for the same secrets: istioctl's protobuf JSON
    names = [entry["name"] for entry in json.loads(result.stdout)["dynamicActiveSecrets"]]
    assert names == ["default", "ROOTCA"]


def test_compare_admin_says_envoy_holds_the_served_cert(envoy_rig):
    serial = envoy_rig.rotate_workload_cert()
    result = call_meshctl("sds", "--socket", envoy_rig.sds_socket, "--compare-admin", envoy_rig.admin_url, "-o", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schemaVersion"] == "meshctl.sds-compare/v1"
    verdicts = {c["name"]: c for c in document["secrets"]}
    assert {name: c["match"] for name, c in verdicts.items()} == {"default": "same", "ROOTCA": "same"}
    assert int(verdicts["default"]["envoy"]["serial"], 16) == serial


def test_compare_admin_against_another_envoy_differs(envoy_rig, own_rig):
    result = call_meshctl("sds", "--socket", own_rig.sds_socket, "--compare-admin", envoy_rig.admin_url)
    assert result.exit_code == 79
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()[1:]}
    assert rows == {"default": "different", "ROOTCA": "different"}
    assert result.stderr.strip().endswith("does not hold the agent's certificate for: default, ROOTCA")


def test_sds_errors_are_one_line_exit_69(envoy_rig, tmp_path):
    missing = call_meshctl("sds", "--socket", str(tmp_path / "nothing"))
    assert missing.exit_code == 69 and missing.stderr.startswith("meshctl: error: no SDS socket at ")
    unknown = call_meshctl("sds", "--socket", envoy_rig.sds_socket, "--resource", "nope")
    assert unknown.exit_code == 69 and "has no secret named 'nope'" in unknown.stderr
    dead = tmp_path / "dead.sock"
    import socket

    with socket.socket(socket.AF_UNIX) as listener:  # a socket file nobody serves any more
        listener.bind(str(dead))
    refused = call_meshctl("sds", "--socket", str(dead), "--timeout", "2")
    assert refused.exit_code == 69, refused
    assert len(refused.stderr.strip().splitlines()) == 1
