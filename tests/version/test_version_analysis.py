"""version: istiod answers parsed as istioctl parses them, istioctl's short/long/json shapes, skew warnings."""

from __future__ import annotations

import pytest

from meshctl.analyze.version import (
    BuildInfo,
    ProxyInfo,
    ServerInfo,
    parse_version_endpoint,
    parse_version_json,
    skew_warnings,
    version_document,
    version_from_image,
)
from meshctl.errors import DecodeError
from meshctl.render.version import proxy_versions_text, version_text

V124 = BuildInfo("1.24.2", "3a5d71c6fb9e6ab9a4c1d3b0f3e0a2bf9d8b6c1e", "", "Clean", "1.24.2")


def test_version_endpoint_answers_split_as_istioctl_splits_them():
    assert parse_version_endpoint("1.12.0-016bc46f4a5e0ef3fa135b3c5380ab7765467c1a-dirty-Modified\n") == BuildInfo(
        "1.12.0", "016bc46f4a5e0ef3fa135b3c5380ab7765467c1a-dirty", "", "Modified", "1.12.0")
    assert parse_version_endpoint("1.24.2") == BuildInfo("1.24.2")


def test_version_json_is_the_binarys_client_version():
    data = (b'{"clientVersion": {"version": "1.24.2", "revision": "abc", "golang_version": "go1.23.4", '
            b'"status": "Clean", "tag": "1.24.2"}}')

    assert parse_version_json(data) == BuildInfo("1.24.2", "abc", "go1.23.4", "Clean", "1.24.2")
    with pytest.raises(DecodeError):
        parse_version_json(b"pilot-discovery: unknown flag -o")


def test_image_tags_as_a_last_resort():
    assert version_from_image("docker.io/istio/pilot:1.24.2-distroless") == BuildInfo("1.24.2", git_tag="1.24.2")
    assert version_from_image("docker.io/istio/pilot@sha256:abcd") is None


def test_short_form_coalesces_identical_control_planes_and_groups_proxies():
    servers = [ServerInfo("pilot", "default", V124, "istiod-a"), ServerInfo("pilot", "default", V124, "istiod-b")]
    proxies = [ProxyInfo("b.ns", "1.24.2"), ProxyInfo("a.ns", "1.23.0"), ProxyInfo("c.ns", "1.24.2")]

    assert version_text("0.1.0", servers, proxies) == (
        "client version: 0.1.0\n"
        "control plane version: 1.24.2\n"
        "data plane version: 1.23.0 (1 proxies), 1.24.2 (2 proxies)\n")


def test_short_form_lists_each_istiod_when_versions_differ_and_none_without_proxies():
    servers = [ServerInfo("pilot", "default", V124), ServerInfo("pilot", "canary", BuildInfo("1.25.0"))]

    assert version_text("0.1.0", servers, []) == (
        "client version: 0.1.0\npilot version: 1.24.2\npilot version: 1.25.0\ndata plane version: none\n")
    assert version_text("0.1.0", None, None) == "0.1.0\n"  # --remote=false
    assert proxy_versions_text([]) == "none"


def test_long_form_prints_gos_struct_syntax():
    text = version_text("0.1.0", [ServerInfo("pilot", "default", V124)], [ProxyInfo("a.ns", "1.24.2")], short=False,
                        client_long="meshctl 0.1.0")

    assert text == (
        "client version: meshctl 0.1.0\n"
        'pilot version: version.BuildInfo{Version:"1.24.2", GitRevision:"3a5d71c6fb9e6ab9a4c1d3b0f3e0a2bf9d8b6c1e", '
        'GolangVersion:"", BuildStatus:"Clean", GitTag:"1.24.2"}\n'
        'data plane version: version.ProxyInfo{ID:"a.ns", IstioVersion:"1.24.2"}\n')


def test_document_has_istioctls_keys():
    document = version_document(BuildInfo("0.1.0"), [ServerInfo("pilot", "default", V124, "istiod-a", "image")],
                                [ProxyInfo("a.ns", "1.24.2", "istiod-a")])

    assert document == {
        "clientVersion": {"version": "0.1.0", "revision": "", "golang_version": "", "status": "", "tag": ""},
        "meshVersion": [{"Component": "pilot", "Revision": "default", "Info": V124.document()}],
        "dataPlaneVersion": [{"ID": "a.ns", "IstioVersion": "1.24.2"}],
    }
    assert "meshVersion" not in version_document(BuildInfo("0.1.0"), None, None)


def test_skew_against_the_connected_istiod_else_the_revision():
    servers = [ServerInfo("pilot", "default", BuildInfo("1.24.2"), "istiod-a"),
               ServerInfo("pilot", "canary", BuildInfo("1.26.0"), "istiod-canary")]
    proxies = [ProxyInfo("a.ns", "1.24.1", "istiod-a"),  # fine
               ProxyInfo("b.ns", "1.22.0", "istiod-a"),  # 2 minors behind
               ProxyInfo("c.ns", "1.22.0", "istiod-a"),
               ProxyInfo("d.ns", "1.27.0", "", "canary"),  # ahead of its revision's istiod
               ProxyInfo("e.ns", "1.24.0", "", "default")]

    assert skew_warnings(servers, proxies) == [
        "proxy 1.22.0 is 2 minor versions behind istiod 1.24.2 (Istio supports 1) (2 proxies)",
        "proxy 1.27.0 is ahead of istiod 1.26.0: the data plane must not be newer than the control plane (1 proxy)",
    ]
