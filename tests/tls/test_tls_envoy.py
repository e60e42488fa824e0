"""`pc secret|tls|bootstrap` on a real Envoy's config dump (the sandbox: real Envoy, ADS, SDS)."""

from __future__ import annotations

import pytest

from helpers import call_meshctl

pytestmark = pytest.mark.envoy


@pytest.fixture(scope="module")
def envoy_dump(envoy_rig, tmp_path_factory):
    path = tmp_path_factory.mktemp("envoy") / "config_dump.json"
    path.write_bytes(envoy_rig.admin().fetch("config_dump"))
    return str(path)


def _serial_as_istioctl_prints(serial: int) -> str:
    return f"{serial:032x}"  # util.go secretMetaFromCert


def test_secrets_served_over_sds(envoy_rig, envoy_dump):
    result = call_meshctl("pc", "secret", "-f", envoy_dump, "-o", "wide")
    assert result.exit_code == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    default, root = rows["default"], rows["ROOTCA"]
    assert default[1:6] == ["Cert", "Chain", "ACTIVE", "true", _serial_as_istioctl_prints(envoy_rig.workload_serial)]
    assert root[1:4] == ["CA", "ACTIVE", "true"]
    workload = envoy_rig.workload
    assert f"spiffe://cluster.local/ns/{workload.namespace}/sa/{workload.service_account}" in default


def test_tls_rows_resolve_sds_through_the_bootstrap(envoy_rig, envoy_dump):
    import json

    result = call_meshctl("pc", "tls", "-f", envoy_dump, "-o", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schemaVersion"] == "meshctl.tls/v1"
    rows = document["clusters"]
    mtls = [row for row in rows if row["mode"] == "mTLS (SDS)"]
    assert mtls and all(row["match"] == {"tlsMode": "istio"} for row in mtls)
    assert {row["sdsSources"][0]["describe"] for row in mtls} == {"sds-grpc -> ./var/run/secrets/workload-spiffe-uds/socket"}
    assert {(row["certSecrets"][0], row["validationSecrets"][0]) for row in mtls} == {("default", "ROOTCA")}
    warming = [row for row in rows if row["cluster"] == envoy_rig.warming_cluster]
    assert warming and {row["state"] for row in warming} == {"warming"}


def test_bootstrap_summary_of_the_live_bootstrap(envoy_dump):
    result = call_meshctl("pc", "bootstrap", "-f", envoy_dump, "-o", "short")
    assert result.exit_code == 0, result.stderr
    assert "ADS:               GRPC via xds-grpc -> ./etc/istio/proxy/XDS\n" in result.stdout
    assert "Envoy Version:     1." in result.stdout  # Envoy fills in its user agent build version
    wide = call_meshctl("pc", "cluster", "-f", envoy_dump, "-o", "wide")
    assert "mTLS (SDS)|plaintext" in wide.stdout
