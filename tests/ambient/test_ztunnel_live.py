"""`ztunnel-config` live: through the fake API server and port-forward to fake ztunnel admin APIs."""

from __future__ import annotations

import json

import pytest

from fakekube.ztunnel import curl_in_shell, ztunnel_admin, ztunnel_daemonset, ztunnel_pod
from helpers import ISTIO_TESTDATA, require_shared

pytestmark = pytest.mark.kube

TESTDATA = ISTIO_TESTDATA / "istioctl/pkg/writer/ztunnel/configdump/testdata"


@pytest.fixture
def shared_ztunnel(fake_kube):
    """Three ztunnel pods; the one on ambient-worker2 serves the shared real dump."""
    dump = require_shared(TESTDATA / "dump.json").read_bytes()
    fake_kube.add(ztunnel_daemonset(), *(ztunnel_pod(f"ztunnel-{n}", node) for n, node in
                                         (("n5bg2", "ambient-control-plane"), ("qk2pp", "ambient-worker2"), ("xljhg", "ambient-worker"))))
    with ztunnel_admin(dump) as admin:
        fake_kube.forward_port(15000, admin.address, pod="ztunnel-qk2pp", namespace="istio-system")
        yield fake_kube, admin


def zc(kube, *args):
    from helpers import call_meshctl

    return call_meshctl("zc", *args, "--kubeconfig", str(kube.kubeconfig_path))


@pytest.mark.parametrize(("args", "golden"), [
    (["all", "ztunnel-qk2pp.istio-system"], "allsummary.txt"),
    (["w", "ztunnel-qk2pp", "-n", "istio-system", "--workload-namespace", "default"], "workloadsummary_default.txt"),
    (["connections", "--node", "ambient-worker2"], "connectionsummary.txt"),
    (["certificate", "--node", "ambient-worker2"], "secretsummary.txt"),
])
def test_live_output_is_istioctls_golden(shared_ztunnel, args, golden):
    kube, admin = shared_ztunnel
    result = zc(kube, *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (TESTDATA / golden).read_text()
    assert admin.requests[-1] == ("GET", "/config_dump")
    assert [r.name for r in kube.requests_for(subresource="portforward")] == ["ztunnel-qk2pp"]


def test_views_that_differ_per_ztunnel_need_one(shared_ztunnel):
    kube, _ = shared_ztunnel
    result = zc(kube, "certificate")
    assert result.exit_code == 2
    assert result.stderr == "meshctl: error: ztunnel pod name or --node must be set (3 ztunnel pods in istio-system)\n"


def test_a_ztunnel_that_does_not_answer(shared_ztunnel):
    kube, _ = shared_ztunnel
    result = zc(kube, "w", "--node", "ambient-worker")
    assert result.exit_code == 69
    assert "ztunnel-xljhg.istio-system" in result.stderr and "connect: connection refused" in result.stderr
    missing = zc(kube, "w", "--node", "nowhere")
    assert (missing.exit_code, missing.stderr) == (69, "meshctl: error: no ztunnel pod on node nowhere (daemonset ztunnel in istio-system)\n")


def test_a_workload_pod_reads_its_nodes_ztunnel_and_shows_only_it(ambient_cluster):
    result = ambient_cluster.meshctl("zc", "workload", "frontend-6c7d.shop", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert [w["name"] for w in json.loads(result.stdout)] == ["frontend-6c7d"]
    assert ambient_cluster.admins["node-1"].requests == [("GET", "/config_dump")]
    assert ambient_cluster.admins["node-2"].requests == []
    table = ambient_cluster.meshctl("zc", "w", "backend-5f4b", "-n", "shop").stdout.splitlines()
    assert table[1].split() == ["shop", "backend-5f4b", "10.244.2.10", "node-2", "None", "HBONE"]
    # istioctl filters only workload and connections views to the targeted pod; services are all listed.
    services = ambient_cluster.meshctl("zc", "svc", "backend-5f4b.shop").stdout.splitlines()
    assert len(services) == 1 + len(ambient_cluster.mesh.services)


def test_default_ztunnel_is_the_daemonsets_best_pod_and_v_says_how(ambient_cluster):
    result = ambient_cluster.meshctl("zc", "svc", "-v")
    assert result.exit_code == 0
    assert result.stderr == "meshctl: port-forward to ztunnel-n1.istio-system:15000: /config_dump\n"
    assert result.stdout.splitlines()[0].split() == ["NAMESPACE", "SERVICE", "NAME", "SERVICE", "VIP", "WAYPOINT", "ENDPOINTS"]
    backend = next(line for line in result.stdout.splitlines() if line.startswith("shop") and " backend " in line)
    assert backend.split()[2:] == ["10.96.0.11", "waypoint", "1/1"]


def test_exec_fallback_on_a_debug_image(ambient_cluster):
    kube = ambient_cluster.kube
    kube.refuse_port_forward("upgrade", pod="ztunnel-n2", namespace="istio-system")
    kube.on_exec(["sh", "-c"], curl_in_shell(ambient_cluster.admins["node-2"]), pod="ztunnel-n2", container="istio-proxy")
    result = ambient_cluster.meshctl("zc", "w", "--node", "node-2", "-v")
    assert result.exit_code == 0, result.stderr
    assert "failed (error upgrading connection" in result.stderr or "trying exec" in result.stderr
    assert "exec sh -c exec curl" in result.stderr
    assert "backend-5f4b" in result.stdout


def test_distroless_without_port_forward_gives_both_reasons(ambient_cluster):
    ambient_cluster.kube.refuse_port_forward("upgrade", pod="ztunnel-n2", namespace="istio-system")
    result = ambient_cluster.meshctl("zc", "w", "--node", "node-2")
    assert result.exit_code == 69
    assert "port-forward failed" in result.stderr and "exec failed" in result.stderr


def test_log_lists_and_sets_levels_on_every_ztunnel(ambient_cluster):
    result = ambient_cluster.meshctl("zc", "log")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ("ztunnel-n1.istio-system:\ncurrent log level is info\n\n"
                             "ztunnel-n2.istio-system:\ncurrent log level is info\n\n")
    changed = ambient_cluster.meshctl("zc", "log", "ztunnel-n2", "--level", "warning")
    assert changed.stdout == "ztunnel-n2.istio-system:\ncurrent log level is warn\n\n"
    assert ambient_cluster.admins["node-2"].requests[-1] == ("POST", "/logging?level=warn")
    reset = ambient_cluster.meshctl("zc", "o", "ztunnel-n2.istio-system", "-r")
    assert reset.stdout.endswith("current log level is info\n\n")
    assert reset.stderr == 'meshctl: warning: log level reset; using default value "info" for Ztunnel\n'
    not_ztunnel = ambient_cluster.meshctl("zc", "log", "frontend-6c7d.shop")
    assert not_ztunnel.exit_code == 2
    assert not_ztunnel.stderr == "meshctl: error: workloads command is only supported by Ztunnel proxies: frontend-6c7d.shop\n"


def test_log_on_one_node(ambient_cluster):
    result = ambient_cluster.meshctl("zc", "log", "--node", "node-1", "--level", "debug", "-o", "short")
    assert (result.exit_code, result.stdout) == (0, "ztunnel-n1.istio-system:\ncurrent log level is debug\n\n")
    assert ambient_cluster.admins["node-1"].requests == [("POST", "/logging?level=debug")] and not ambient_cluster.admins["node-2"].requests
    both = ambient_cluster.meshctl("zc", "log", "ztunnel-n1", "--node", "node-1")
    assert both.exit_code == 2 and "at most one of --file, --node, or pod name must be passed" in both.stderr
    assert ambient_cluster.meshctl("zc", "log", "-o", "json").exit_code == 2  # istioctl: --output is not applicable
