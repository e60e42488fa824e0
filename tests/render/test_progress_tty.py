"""Many pods on a terminal: a progress bar with counts on stderr, and one line for the pods with nothing to show."""

import pytest

from helpers import call_meshctl
from helpers.render_cells import strip_ansi
from helpers.terminal import run_in_pty

pytestmark = [pytest.mark.kube, pytest.mark.envoy]

NS = "bookinfo"


@pytest.fixture
def pods(fake_kube, envoy_rig):
    from fakekube import istio_pod

    for index in range(6):
        fake_kube.add(istio_pod(f"app{index}-v1-abc", NS))
        if index < 5:  # app5's Envoy is down: port-forward and exec both fail
            fake_kube.back_sidecar(("127.0.0.1", envoy_rig.admin_port), pod=f"app{index}-v1-abc")
    return fake_kube


def test_a_terminal_sees_progress_with_done_and_failed_counts(pods):
    code, screen = run_in_pty("pc", "cluster", "-n", NS, "--fqdn", "details", "--kubeconfig", str(pods.kubeconfig_path), width=120)
    text = strip_ansi(screen)
    assert code == 0, text
    assert "reading pods" in text and "/6" in text  # the bar, drawn while the pods answered (then cleared)
    assert "1 failed" in text


def test_pods_with_nothing_to_show_are_one_line(pods):
    result = call_meshctl("pc", "cluster", "-n", NS, "--fqdn", "no-such-service", "--kubeconfig", str(pods.kubeconfig_path))
    assert result.exit_code == 0 and result.stdout == ""
    summary = [line for line in result.stderr.splitlines() if " of 6 pods: " in line]
    assert summary == ["meshctl: 5 of 6 pods: nothing to show (app0-v1-abc.bookinfo, app1-v1-abc.bookinfo, app2-v1-abc.bookinfo and 2 more)"]
    assert "meshctl: app5-v1-abc.bookinfo: failed: " in result.stderr  # a failure is not "nothing to show"
    assert "progress" not in result.stderr and "reading pods" not in result.stderr  # not a terminal: no bar
