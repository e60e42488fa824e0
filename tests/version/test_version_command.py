"""`meshctl version` on the fake cluster: istiod's version endpoint (port-forward), the exec fallbacks,
image tags last, proxies from istiod's sync status or the sidecars' images, skew warnings."""

from __future__ import annotations

import json

import pytest

from fakekube import istio_pod, pod
from fakekube.targets import http_target
from helpers import call_meshctl

pytestmark = pytest.mark.kube

SHA = "3a5d71c6fb9e6ab9a4c1d3b0f3e0a2bf9d8b6c1e"


def istiod(name: str, revision: str = "default", image: str = "docker.io/istio/pilot:1.24.2") -> dict:
    return pod(name, "istio-system", labels={"app": "istiod", "istio": "pilot", "istio.io/rev": revision},
               containers=[{"name": "discovery", "image": image}])


def syncz(*proxies: tuple[str, str]) -> bytes:
    return json.dumps([{"cluster_id": "Kubernetes", "proxy": proxy, "istio_version": version, "cluster_sent": "a",
                        "cluster_acked": "a"} for proxy, version in proxies]).encode()


def version(kube, *args: str):
    return call_meshctl("version", *args, "--kubeconfig", str(kube.kubeconfig_path))


def test_istioctls_short_form_from_the_version_endpoint_and_sync_status(fake_kube):
    fake_kube.add(istiod("istiod-a"), istiod("istiod-b"))
    answers = {"/version": f"1.24.2-{SHA}-Clean".encode(),
               "/debug/syncz": syncz(("reviews-v1.bookinfo", "1.24.2"), ("ratings-v1.bookinfo", "1.23.4"))}
    with http_target(answers) as target:
        fake_kube.forward_port(15014, target)
        result = version(fake_kube)
        as_json = json.loads(version(fake_kube, "-o", "json").stdout)
        long = version(fake_kube, "--short=false").stdout

    assert (result.exit_code, result.stderr) == (0, "")
    # both istiods answer the same: one "control plane" line; the two istiods report the same proxies
    assert result.stdout == ("client version: 0.1.0\ncontrol plane version: 1.24.2\n"
                             "data plane version: 1.23.4 (2 proxies), 1.24.2 (2 proxies)\n")
    assert as_json["meshVersion"] == [
        {"Component": "pilot", "Revision": "default",
         "Info": {"version": "1.24.2", "revision": SHA, "golang_version": "", "status": "Clean", "tag": "1.24.2"}}] * 2
    assert as_json["dataPlaneVersion"][0] == {"ID": "ratings-v1.bookinfo", "IstioVersion": "1.23.4"}
    assert f'pilot version: version.BuildInfo{{Version:"1.24.2", GitRevision:"{SHA}", GolangVersion:"", ' \
           'BuildStatus:"Clean", GitTag:"1.24.2"}\n' in long


def test_exec_fallbacks_then_the_image_tag_and_pod_images_for_proxies(fake_kube):
    fake_kube.add(istiod("istiod-exec"), istiod("istiod-json", "canary", "docker.io/istio/pilot:1.25.0"),
                  istiod("istiod-image", "old", "docker.io/istio/pilot:1.22.1-distroless"),
                  istio_pod("reviews-v1", "bookinfo", image="docker.io/istio/proxyv2:1.22.0", revision="old"))
    fake_kube.refuse_port_forward("upgrade")
    fake_kube.on_exec(["pilot-discovery", "request", "GET", "version"], f"1.24.2-{SHA}-Clean", pod="istiod-exec")
    fake_kube.on_exec(["/usr/local/bin/pilot-discovery", "version"], json.dumps({"clientVersion": {
        "version": "1.25.0", "revision": "x", "golang_version": "go1.23.4", "status": "Clean", "tag": "1.25.0"}}),
        pod="istiod-json")

    result = version(fake_kube)

    assert result.exit_code == 0, result
    # istiods by name: exec, image, json
    assert result.stdout == ("client version: 0.1.0\npilot version: 1.24.2\npilot version: 1.22.1\npilot version: 1.25.0\n"
                             "data plane version: 1.22.0 (1 proxies)\n")
    assert "istiod istiod-image: version from its image docker.io/istio/pilot:1.22.1-distroless" in result.stderr
    assert "data plane versions from the sidecars' images" in result.stderr


def test_skew_is_warned_about_per_istiod(fake_kube):
    fake_kube.add(istiod("istiod-a"))
    answers = {"/version": b"1.24.2-x-Clean", "/debug/syncz": syncz(("a.ns", "1.21.0"), ("b.ns", "1.25.0"))}
    with http_target(answers) as target:
        fake_kube.forward_port(15014, target)
        result = version(fake_kube)

    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "meshctl: warning: proxy 1.21.0 is 3 minor versions behind istiod 1.24.2 (Istio supports 1) (1 proxy)",
        "meshctl: warning: proxy 1.25.0 is ahead of istiod 1.24.2: the data plane must not be newer than the control plane (1 proxy)"]


def test_no_istio_and_no_remote(fake_kube):
    missing = version(fake_kube)
    local = version(fake_kube, "--remote=false")
    bad = version(fake_kube, "-o", "table")

    assert missing.exit_code == 69
    assert missing.stderr.startswith("meshctl: error: Istio is not present in the cluster: no running istiod pods")
    assert (local.exit_code, local.stdout) == (0, "0.1.0\n")
    assert (bad.exit_code, bad.stderr) == (2, "meshctl: error: --output must be 'yaml' or 'json'\n")
