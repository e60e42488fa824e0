"""A ztunnel config dump seeded with private keys and terminal escapes: no `ztunnel-config` view,
in no format, prints a key; text output shows the escapes escaped.

ztunnel never dumps keys, but a tampered or hand-made file (`-f`), an admin URL or a snapshot can
hold them anywhere: in a certificate's PEM, beside it in the chain, in a field meshctl does not
know. Names carry escape sequences, as a pod name from a hostile API server could.
"""

from __future__ import annotations

import itertools
import json

import pytest

from helpers import call_meshctl
from helpers.keys import certificate_pem, encodings, key_forms

ESC = "evil\x1b]0;pwned\x07\x1b[2J"


def _seeded() -> tuple[dict, list[str]]:
    chosen = {form.name: form for form in key_forms()}
    placed = [encodings(chosen["p256-sec1-pem"])[0], encodings(chosen["rsa2048-pkcs8-pem"])[2], encodings(chosen["ed25519-openssh"])[5],
              encodings(chosen["p384-pkcs8-der"])[0]]  # fmt: skip
    keys = [text for _, text, _ in placed]
    secrets = [fragment for _, _, fragments in placed for fragment in fragments]
    cert = certificate_pem().decode()
    workload = {"uid": f"Kubernetes//Pod/shop/{ESC}", "name": ESC, "namespace": "shop", "workloadIps": ["10.0.0.1"], "protocol": "HBONE",
                "serviceAccount": "sa", "node": "node-1", "status": "Healthy", "capacity": 1, "extra": keys[3]}  # fmt: skip
    dump = {
        "workloads": [workload],
        "services": [{"name": ESC, "namespace": "shop", "hostname": "a.shop.svc.cluster.local", "vips": ["/10.96.0.1"], "ports": {"80": 80},
                      "endpoints": {}, "ipFamilies": "IPv4"}],  # fmt: skip
        "policies": [{"name": ESC, "namespace": "shop", "scope": "Namespace", "action": "Allow", "rules": []}],
        "certificates": [{"identity": f"spiffe://cluster.local/ns/shop/sa/{ESC}", "state": "Available", "certChain": [
            {"pem": cert + keys[0], "serialNumber": "1", "validFrom": "2026-01-01T00:00:00Z", "expirationTime": "2036-01-01T00:00:00Z"},
            {"pem": keys[1], "serialNumber": "2", "validFrom": "2026-01-01T00:00:00Z", "expirationTime": "2036-01-01T00:00:00Z"},
        ]}],
        "workloadState": {"x": {"state": "Up", "info": {"name": ESC, "namespace": "shop", "serviceAccount": "sa"},
                                "connections": {"inbound": [{"src": "10.0.0.2:4000", "originalDst": keys[2], "actualDst": "10.0.0.1:80",
                                                             "protocol": "HBONE"}], "outbound": []}}},  # fmt: skip
    }
    return dump, secrets


DUMP, SECRETS = _seeded()
VIEWS = ["workload", "service", "policy", "certificate", "connections", "all"]
FORMATS = [[], ["-o", "json"], ["-o", "yaml"], ["--query", "@"]]


@pytest.fixture(scope="module")
def dump_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("seeded-ztunnel") / "ztunnel.json"
    path.write_text(json.dumps(DUMP))
    return str(path)


@pytest.mark.parametrize(("view", "fmt"), [*itertools.product(VIEWS, FORMATS), ("certificate", ["-o", "wide"]), ("all", ["--with-headers"])],
                         ids=lambda v: " ".join(v) if isinstance(v, list) else v)  # fmt: skip
def test_no_view_prints_a_key_or_a_raw_escape(dump_file, view, fmt):
    result = call_meshctl("zc", view, "-f", dump_file, *fmt)
    assert result.exit_code == 0, result
    for stream in (result.stdout, result.stderr):
        leaked = [secret for secret in SECRETS if secret in stream]
        assert not leaked, f"zc {view} {' '.join(fmt)}: key material printed: {leaked[:2]}"
        assert "PRIVATE KEY-----" not in stream
    assert "held a private key: replaced by [redacted]" in result.stderr  # the decoder says where keys were
    if "json" in fmt or "--query" in fmt:
        json.loads(result.stdout)  # still valid JSON
    elif "yaml" not in fmt:
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
        assert r"evil\x1b]0;pwned\x07\x1b[2J" in result.stdout  # escaped, as every text output path does
