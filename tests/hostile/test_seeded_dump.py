"""A config dump seeded with private keys in every field Envoy allows: no view, in no format, prints one.

Keys sit where Envoy (or a hand-made dump) can carry them: bootstrap static secrets, SDS secrets
(tls_certificate, generic_secret), clusters' and listeners' transport sockets (tls_certificates),
an ECDS filter's string configuration, a route's header value; each in another encoding (PEM,
JSON-escaped PEM, base64 of DER, base64 of PEM, wrapped base64). Names carry terminal escape
sequences: text output shows them escaped, JSON and YAML keep them exact.
"""

from __future__ import annotations

import base64
import itertools
import json
import textwrap

import pytest

from helpers import call_meshctl
from helpers.keys import certificate_pem, key_forms

ESC_NAME = "evil\x1b]0;pwned\x07\x1b[2J"
_T = "type.googleapis.com/envoy."


def _pem(name):
    return next(form.data for form in key_forms() if form.name == name).decode()


def _der_b64(name):
    return base64.b64encode(next(form.data for form in key_forms() if form.name == name)).decode()


def _secrets_of(text: str) -> list[str]:
    """Fragments of a key in `text`'s form that must never appear (a middle slice of each long line)."""
    lines = [line for line in text.replace("\\n", "\n").splitlines() if len(line) >= 40 and "-----" not in line]
    return [line[10:34] for line in lines[1:3]] or [text[len(text) // 3 : len(text) // 3 + 24]]


def _seeded():
    cert = certificate_pem().decode()
    keys = {
        "bootstrap": _pem("rsa2048-pkcs1-pem"),
        "sds": base64.b64encode(_pem("p256-sec1-pem").encode()).decode(),
        "generic": "\n".join(textwrap.wrap(base64.b64encode(_pem("p384-pkcs8-pem").encode()).decode(), 76)),
        "cluster": _der_b64("rsa1024-pkcs8-der"),
        "listener": _pem("ed25519-pkcs8-pem"),
        "ecds": json.dumps({"key": _pem("p521-pkcs8-pem")}),
        "route": _der_b64("p256-pkcs8-der"),
        "openssh": _pem("ed25519-openssh"),
    }
    tls = lambda key, field="inline_string": {"certificate_chain": {"inline_string": cert}, "private_key": {field: key}}  # noqa: E731
    dump = {"configs": [
        {"@type": _T + "admin.v3.BootstrapConfigDump", "bootstrap": {
            "node": {"id": "sidecar~10.0.0.1~app.default~default.svc.cluster.local", "cluster": "app.default"},
            "static_resources": {"secrets": [{"name": "static", "tls_certificate": tls(keys["bootstrap"])}]}}},
        {"@type": _T + "admin.v3.ClustersConfigDump", "dynamic_active_clusters": [{"cluster": {
            "@type": _T + "config.cluster.v3.Cluster", "name": f"outbound|443||{ESC_NAME}.default.svc.cluster.local", "type": "EDS",
            "transport_socket": {"name": "envoy.transport_sockets.tls", "typed_config": {
                "@type": _T + "extensions.transport_sockets.tls.v3.UpstreamTlsContext", "sni": ESC_NAME,
                "common_tls_context": {"tls_certificates": [tls(keys["cluster"], "inline_bytes")]}}}}}]},
        {"@type": _T + "admin.v3.ListenersConfigDump", "dynamic_listeners": [{"name": "0.0.0.0_8443", "active_state": {"listener": {
            "@type": _T + "config.listener.v3.Listener", "name": "0.0.0.0_8443",
            "address": {"socket_address": {"address": "0.0.0.0", "port_value": 8443}},
            "filter_chains": [{"transport_socket": {"name": "envoy.transport_sockets.tls", "typed_config": {
                "@type": _T + "extensions.transport_sockets.tls.v3.DownstreamTlsContext",
                "common_tls_context": {"tls_certificates": [tls(keys["listener"]), tls(keys["openssh"])]}}}}]}}}]},
        {"@type": _T + "admin.v3.RoutesConfigDump", "dynamic_route_configs": [{"route_config": {
            "@type": _T + "config.route.v3.RouteConfiguration", "name": "8443",
            "virtual_hosts": [{"name": ESC_NAME, "domains": ["*"], "routes": [{"match": {"prefix": "/"},
                "route": {"cluster": "outbound|443||a"},
                "request_headers_to_add": [{"header": {"key": "x-key", "value": keys["route"]}}]}]}]}}]},
        {"@type": _T + "admin.v3.EcdsConfigDump", "ecds_filters": [{"ecds_filter": {
            "@type": _T + "config.core.v3.TypedExtensionConfig", "name": "wasm-stats",
            "typed_config": {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": keys["ecds"]}}}]},
        {"@type": _T + "admin.v3.SecretsConfigDump", "dynamic_active_secrets": [
            {"name": "default", "secret": {"@type": _T + "extensions.transport_sockets.tls.v3.Secret", "name": "default",
                                           "tls_certificate": tls(keys["sds"], "inline_bytes")}},
            {"name": "generic", "secret": {"@type": _T + "extensions.transport_sockets.tls.v3.Secret", "name": "generic",
                                           "generic_secret": {"secret": {"inline_string": keys["generic"]}}}}]},
    ]}  # fmt: skip
    secrets = [fragment for key in keys.values() for fragment in _secrets_of(key)]
    return dump, secrets


DUMP, SECRETS = _seeded()
VIEWS = ["cluster", "listener", "route", "endpoint", "ecds", "all", "secret", "tls", "bootstrap"]
FORMATS = [[], ["-o", "wide"], ["-o", "json"], ["-o", "yaml"], ["-o", "json", "--raw"], ["-o", "yaml", "--raw"]]


@pytest.fixture(scope="module")
def dump_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("seeded") / "dump.json"
    path.write_text(json.dumps(DUMP))
    return str(path)


def _assert_no_key(result, what):
    for stream in (result.stdout, result.stderr):
        leaked = [secret for secret in SECRETS if secret in stream]
        assert not leaked, f"{what}: key material printed: {leaked[:2]}"
        assert "PRIVATE KEY-----\n" not in stream and "PRIVATE KEY-----\\n" not in stream, what


@pytest.mark.parametrize(("view", "fmt"), list(itertools.product(VIEWS, FORMATS)), ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_no_view_prints_a_key(dump_file, view, fmt):
    result = call_meshctl("pc", view, "-f", dump_file, *fmt)
    _assert_no_key(result, f"pc {view} {' '.join(fmt)} (exit {result.exit_code})")
    if result.exit_code == 0 and "-o" in fmt and fmt[1] in ("json", "yaml"):
        import yaml

        document = json.loads(result.stdout) if fmt[1] == "json" else yaml.safe_load(result.stdout)
        assert document is not None
    if result.exit_code == 0 and fmt in ([], ["-o", "wide"]):
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_diff_text_and_json_print_no_key(dump_file, tmp_path):
    changed = json.loads(json.dumps(DUMP))
    changed["configs"][1]["dynamic_active_clusters"][0]["cluster"]["type"] = "STRICT_DNS"
    changed["configs"][5]["dynamic_active_secrets"][1]["secret"]["generic_secret"]["secret"]["inline_string"] = "rotated"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(changed))
    for fmt in ([], ["-o", "json"], ["-o", "yaml"]):
        result = call_meshctl("pc", "diff", dump_file, str(other), *fmt)
        assert result.exit_code == 79, result.stderr
        _assert_no_key(result, f"pc diff {' '.join(fmt)}")


def test_json_keeps_escape_sequences_exact_and_text_escapes_them(dump_file):
    data = json.loads(call_meshctl("pc", "cluster", "-f", dump_file, "-o", "json").stdout)
    assert any(ESC_NAME in cluster["name"] for cluster in data)
    table = call_meshctl("pc", "cluster", "-f", dump_file).stdout
    assert "evil\\x1b]0;pwned\\x07\\x1b[2J" in table and "\x1b" not in table


def test_errors_quoting_a_remote_body_are_one_escaped_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"configs": "\x1b[2J' + _pem("p256-pkcs8-pem").replace("\n", "\\n") + '"}')
    result = call_meshctl("pc", "cluster", "-f", str(bad))
    assert result.exit_code == 65
    assert len(result.stderr.splitlines()) == 1 and "\x1b" not in result.stderr
    _assert_no_key(result, "error")
