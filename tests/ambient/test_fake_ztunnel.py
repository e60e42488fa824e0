"""The fake ztunnel behind the fake API server, refereed by the real kubectl: what istioctl reads
(the ztunnel DaemonSet, its pod on a node, /config_dump and /logging through port-forward)."""

from __future__ import annotations

import http.client
import json

import pytest

from fakekube.ztunnel import gateway, ztunnel_admin, ztunnel_daemonset, ztunnel_pod
from helpers import ISTIO_TESTDATA, require_shared
from helpers.kubectl import kubectl, port_forward

pytestmark = [pytest.mark.kube, pytest.mark.kubectl]  # the kubectl marker requires kubectl on PATH

SHARED_DUMP = ISTIO_TESTDATA / "istioctl/pkg/writer/ztunnel/configdump/testdata/dump.json"


def _request(port: int, method: str, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_kubectl_reads_the_ztunnel_dump_and_sets_its_log_level(fake_kube):
    dump = require_shared(SHARED_DUMP).read_bytes()
    fake_kube.add(ztunnel_daemonset(), ztunnel_pod("ztunnel-a1", "node-1"), ztunnel_pod("ztunnel-b2", "node-2"))
    with ztunnel_admin(dump) as admin:
        fake_kube.forward_port(15000, admin.address, pod="ztunnel-b2", namespace="istio-system")
        # istioctl PodOnNodeFromDaemonset: the DaemonSet's selector plus spec.nodeName.
        selector = json.loads(kubectl(fake_kube, "get", "ds", "ztunnel", "-n", "istio-system", "-o", "json").stdout)["spec"]["selector"]
        found = kubectl(fake_kube, "get", "pods", "-n", "istio-system", "-l", "app=" + selector["matchLabels"]["app"],
                        "--field-selector", "spec.nodeName=node-2", "-o", "name")
        assert found.stdout == b"pod/ztunnel-b2\n"
        with port_forward(fake_kube, "ztunnel-b2", "istio-system", 15000) as (local, _):
            assert _request(local, "GET", "/config_dump") == (200, dump)
            assert _request(local, "POST", "/logging?level=") == (200, b"current log level is info\n")
            assert _request(local, "POST", "/logging?level=access:debug,info") == (200, b"current log level is access:debug,info\n")
            assert _request(local, "POST", "/logging?level=info&reset") == (200, b"current log level is info\n")
            status, body = _request(local, "POST", "/logging?level=loud")
    assert status == 400 and body.startswith(b"Invalid level provided: loud\n")
    assert ("GET", "/config_dump") in admin.requests


def test_a_ztunnel_without_a_forward_target_refuses_like_a_kubelet(fake_kube):
    fake_kube.add(ztunnel_pod("ztunnel-a1", "node-1"))
    with port_forward(fake_kube, "ztunnel-a1", "istio-system", 15000) as (local, proc):
        with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
            _request(local, "GET", "/config_dump")
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert b"connect: connection refused" in stderr


def test_kubectl_sees_the_waypoint_gateways_as_meshctl_reads_them(fake_kube):
    # The Gateway API CRD's printer columns (the fake serves the real CRD) over the builder's status:
    # what meshctl waypoint list calls PROGRAMMED is what kubectl shows.
    fake_kube.add(gateway("waypoint", "shop", address="10.96.0.12"), gateway("east", "shop", programmed="False"))
    table = kubectl(fake_kube, "get", "gtw", "-n", "shop")
    assert table.returncode == 0, table.stderr
    rows = [line.split()[:-1] for line in table.stdout.decode().splitlines()]  # without AGE; east has no ADDRESS
    assert rows == [["NAME", "CLASS", "ADDRESS", "PROGRAMMED"], ["east", "istio-waypoint", "False"],
                    ["waypoint", "istio-waypoint", "10.96.0.12", "True"]]
