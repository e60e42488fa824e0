"""The kubeconfig's server URL as the connection uses it: a non-ASCII host name in its IDNA form (what DNS,
TLS and the Host header take), and a URL no connection can use refused in one line, without the URL (it may
hold credentials), where it used to end in an unexpected UnicodeError or ValueError (exit 1)."""

from __future__ import annotations

import pytest

from meshctl.errors import SourceError
from meshctl.sources import kubeconfig
from meshctl.sources.kubeconfig import ClusterConfig

from helpers import call_meshctl

KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {{server: "{server}", insecure-skip-tls-verify: true}}
contexts:
- name: ctx
  context: {{cluster: c, user: u}}
current-context: ctx
users:
- name: u
  user: {{token: s3cret-t0ken}}
"""


def _config(tmp_path, server: str) -> str:
    path = tmp_path / "config"
    path.write_text(KUBECONFIG.format(server=server), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("server", "host", "port"),
    [
        # RFC 3492 / IDNA 2003 (Python's idna codec, as Go's idna.Lookup for these names)
        ("https://例え.jp:6443", "xn--r8jz45g.jp", 6443),
        ("https://bücher.example", "xn--bcher-kva.example", 443),
        ("http://Bücher.example", "xn--bcher-kva.example", 80),  # hostname lowers it first
        ("https://api.example:6443", "api.example", 6443),
        ("https://[fd00::1]:6443", "fd00::1", 6443),
    ],
)
def test_the_host_is_in_ascii_as_dns_tls_and_the_host_header_take_it(server, host, port):
    config = ClusterConfig(server)
    assert (config.host, config.port) == (host, port)


@pytest.mark.parametrize(
    ("server", "reason"),
    [
        ("https://a..例.jp:6443", "label empty or too long"),
        ("https://" + "é" * 70 + ".example", "label empty or too long"),
        ("https://api.example:99999", "Port out of range 0-65535"),
        ("https://u:pa55word@api.example:6443x", "Port could not be cast to integer value as '6443x'"),
        ("https://[fd00::1:6443", "Invalid IPv6 URL"),
    ],
)
def test_a_server_url_no_connection_can_use_is_one_line_without_the_url(tmp_path, server, reason):
    with pytest.raises(SourceError) as raised:
        kubeconfig.from_files([_config(tmp_path, server)], None)
    message = str(raised.value)
    assert message.startswith(f"kubeconfig {tmp_path / 'config'}, context 'ctx': the cluster's server URL is not usable: ")
    assert reason in message and "pa55word" not in message and "\n" not in message


def test_the_command_exits_69_with_that_line(tmp_path):
    result = call_meshctl("pc", "cluster", "p.bookinfo", "--kubeconfig", _config(tmp_path, "https://a..例.jp:6443"))
    assert result.exit_code == 69
    assert result.stderr.strip().splitlines() == [
        f"meshctl: error: kubeconfig {tmp_path / 'config'}, context 'ctx': the cluster's server URL is not usable: "
        "encoding with 'idna' codec failed (UnicodeError: label empty or too long)"
    ]
