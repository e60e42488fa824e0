"""`explain mtls` against the real Envoy of the sandbox rig (`--src-admin` / `--dst-admin`)."""

from __future__ import annotations

import json

import pytest

from helpers import call_meshctl

pytestmark = pytest.mark.envoy


def explain(*args: str):
    return call_meshctl("explain", "mtls", *args)


def test_tls_mode_istio_endpoints_get_mtls_with_sds_secrets_from_sds_grpc(envoy_rig):
    result = explain(envoy_rig.admin_url, "reviews:9080", "-o", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "mTLS"
    (path,) = data["paths"]
    assert path["cluster"] == "outbound|9080|v1|reviews.default.svc.cluster.local"  # the route's subset
    (endpoint,) = path["endpoints"]
    assert endpoint["tlsMode"] == "istio" and endpoint["selectedMatch"] == "tlsMode-istio"
    client = endpoint["client"]
    assert client["certSecrets"] == ["default"] and client["validationSecrets"] == ["ROOTCA"]
    assert [s["cluster"] for s in client["sdsSources"]] == ["sds-grpc"]
    assert client["sdsSources"][0]["endpoints"] == ["./var/run/secrets/workload-spiffe-uds/socket"]
    assert "SRC SDS secret default: ACTIVE" in endpoint["evidence"]


def test_legacy_endpoint_without_sidecar_is_plaintext(envoy_rig):
    result = explain("--admin", envoy_rig.admin_url, "ratings:9080")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "plaintext for 1 of 2 endpoints (1 mTLS)"
    assert "endpoint 10.244.1.5:9080 (no transport_socket_match metadata) selects transport_socket_match tlsMode-disabled (*) -> plaintext" in result.stdout


def test_warming_cluster_will_fail(envoy_rig):
    result = explain(envoy_rig.admin_url, "10.96.41.9:3306")
    assert result.exit_code == 79
    assert result.stdout.startswith(f"will fail: cluster {envoy_rig.warming_cluster} is warming")


def test_server_side_from_the_rigs_permissive_inbound_listener(envoy_rig):
    # The rig is productpage: as DST it presents productpage's identity, which a client that
    # expects reviews' SPIFFE ID rejects; a legacy endpoint's plaintext is accepted (PERMISSIVE).
    result = explain(envoy_rig.admin_url, "ratings:9080", "--dst-admin", envoy_rig.admin_url, "-o", "json")
    assert result.exit_code == 79
    data = json.loads(result.stdout)
    mtls, plain = data["paths"][0]["endpoints"]
    assert mtls["server"]["mode"] == plain["server"]["mode"] == "PERMISSIVE"
    assert mtls["server"]["requireClientCertificate"] and mtls["server"]["validationSecrets"] == ["ROOTCA"]
    assert mtls["problems"] == [
        "DST presents spiffe://cluster.local/ns/default/sa/bookinfo-productpage but SRC accepts only spiffe://cluster.local/ns/default/sa/bookinfo-ratings"
    ]
    assert plain["verdict"] == "plaintext" and not plain["server"]["terminatesTls"]


@pytest.mark.kube
def test_pods_through_the_fake_api_server(envoy_rig, fake_kube):
    from fakekube.builders import istio_pod

    fake_kube.add(istio_pod("productpage-v1-abc", "default"), istio_pod("reviews-v1-abc", "default"))
    fake_kube.forward_port(15000, ("127.0.0.1", envoy_rig.admin_port))  # both pods' Envoy: the rig
    kube = ("--kubeconfig", str(fake_kube.kubeconfig_path))
    result = explain("productpage-v1-abc", "reviews:9080", *kube)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "mTLS"
    served = explain("productpage-v1-abc.default", "details:9080", "--dst-pod", "reviews-v1-abc", *kube, "-o", "json")
    data = json.loads(served.stdout)
    assert data["serverChecked"]
    assert data["paths"][0]["endpoints"][0]["server"]["mode"] == "PERMISSIVE"
    # A pod name that is no service: DST is that pod, found among SRC's endpoints by its IP
    # (the rig's INSTANCE_IPS, 10.244.0.7, is no endpoint of productpage's clusters).
    as_pod = explain("productpage-v1-abc", "reviews-v1-abc:9080", *kube)
    assert as_pod.exit_code == 79
    assert as_pod.stdout.startswith("will fail: SRC has no route or cluster for 10.244.0.7 port 9080")
