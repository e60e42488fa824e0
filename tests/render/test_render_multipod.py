"""The run's colour decision reaches the per-pod workers of `pc` views over many pods (_multipod)."""

from __future__ import annotations

import pytest

from fakekube import istio_pod
from helpers import call_meshctl

pytestmark = [pytest.mark.kube, pytest.mark.envoy]

NS = "bookinfo"


def test_each_pod_section_is_the_single_pod_rich_table(fake_kube, envoy_rig):
    fake_kube.add(istio_pod("reviews-v1-abc", NS), istio_pod("ratings-v1-abc", NS))
    fake_kube.back_sidecar(("127.0.0.1", envoy_rig.admin_port))
    kube = ("--kubeconfig", str(fake_kube.kubeconfig_path))
    single = call_meshctl("--color", "always", "pc", "listener", "reviews-v1-abc", "-n", NS, *kube)
    many = call_meshctl("--color", "always", "pc", "listener", "-n", NS, *kube)
    assert single.exit_code == many.exit_code == 0, many
    assert single.stdout.startswith("\x1b[1m")  # Rich, though the workers' stdout is a buffer
    assert many.stdout == f"POD: ratings-v1-abc.{NS}\n{single.stdout}\nPOD: reviews-v1-abc.{NS}\n{single.stdout}"
    plain = call_meshctl("pc", "listener", "-n", NS, *kube)
    assert "\x1b[" not in plain.stdout and "─" not in plain.stdout
