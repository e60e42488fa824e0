"""ztunnel's certificates decoded (`ztunnel-config certificate -o wide`, `check`): real X.509 from a test CA."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from meshctl.analyze.ztunnel_certs import ERROR, INFO, WARNING, certificate_findings, certificate_wide_table, check_certificates
from meshctl.decode.ztunnel import parse
from meshctl.sandbox.certs import TestCA

from fakekube.ztunnel import certificate_entry

ID = "spiffe://cluster.local/ns/shop/sa/frontend"


@pytest.fixture(scope="module")
def ca():
    return TestCA(validity=timedelta(days=3650))


def _dump(*entries):
    return parse(json.dumps({"certificates": list(entries)}).encode())


def _problems(entry, now=None, **kwargs):
    (leaf, *_) = check_certificates(_dump(entry), now or datetime.now(timezone.utc), **kwargs)
    return list(leaf.problems)


def test_a_fresh_24h_certificate_has_no_problem(ca):
    # Istio's workload certificates live 24h: less than --cert-warn 24h is normal before rotation.
    checks = check_certificates(_dump(certificate_entry(ca, ID)), datetime.now(timezone.utc))
    assert [(c.row.kind, c.problems) for c in checks] == [("Leaf", ()), ("Root", ())]
    assert checks[0].decoded.spiffe_ids == (ID,)


def test_past_the_rotation_point_and_within_cert_warn_is_a_warning(ca):
    entry = certificate_entry(ca, ID, validity=timedelta(hours=24))
    later = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=20, seconds=30)
    ((severity, message),) = _problems(entry, later)
    assert severity == WARNING and message.startswith("expires in 3h59m") and "past its rotation point" in message


def test_expired_and_mismatched_certificates_are_errors(ca):
    entry = certificate_entry(ca, "spiffe://cluster.local/ns/other/sa/x", validity=timedelta(seconds=-30))
    entry["identity"] = ID
    entry["certChain"][0]["serialNumber"] = "12345"
    messages = [m for severity, m in _problems(entry) if severity == ERROR]
    assert any(m.startswith("the PEM's serial") for m in messages)
    assert f"the leaf is issued for spiffe://cluster.local/ns/other/sa/x, not {ID}" in messages
    assert any(m.startswith("expired at ") for m in messages)


def test_unreadable_pem_and_unavailable_states(ca):
    garbage = {"identity": ID, "state": "Available", "certChain": [{"pem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
               "serialNumber": "1", "validFrom": "2020-01-01T00:00:00Z", "expirationTime": "2099-01-01T00:00:00Z"}]}
    assert _problems(garbage)[0][1].startswith("PEM: block 1: not a valid X.509 certificate")
    assert _problems({"identity": ID, "state": "Unavailable: the identity is no longer needed"}) == [
        (INFO, "no longer needed by a workload on this node")]
    assert _problems({"identity": ID, "state": "Unavailable: signing gRPC error"})[0] == (
        ERROR, "ztunnel has no certificate for this identity: Unavailable: signing gRPC error")
    assert _problems({"identity": ID, "state": "Initializing"}) == [(WARNING, "no certificate yet (state Initializing)")]


def test_wide_table_adds_decoded_columns(ca):
    table = certificate_wide_table(_dump(certificate_entry(ca, ID)), datetime.now(timezone.utc))
    assert table.columns[-4:] == ["EXPIRES IN", "SPIFFE URI SANS", "ISSUER", "PROBLEMS"]
    leaf, root = table.rows
    assert leaf[1] == "Leaf" and leaf[-4:] == ["23h59m", ID, "O=cluster.local", ""]  # EXPIRES IN as pc secret -o wide
    assert root[1] == "Root" and root[-4].startswith("36") and root[-4].endswith("h") and root[-2] == "O=cluster.local"


def test_findings_name_the_identity_and_the_ztunnel(ca):
    findings = certificate_findings(_dump(certificate_entry(ca, ID, validity=timedelta(seconds=-30))),
                                    datetime.now(timezone.utc), timedelta(hours=24), "ztunnel-n1.istio-system")
    assert [(f.severity, f.target) for f in findings] == [(ERROR, "ztunnel-n1.istio-system")]
    assert findings[0].msg.startswith(f"{ID} (Leaf): expired at")
