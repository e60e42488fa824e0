"""An unreadable workload certificate or ROOTCA names every problem of its bundle, block by block,
so a reader sees all that is wrong at once (issue 20)."""

from __future__ import annotations

from meshctl.analyze import check as rules
from meshctl.model.tabular import Finding

from helpers.checkfacts import WORKLOAD, mesh, pod, root_secret, secrets_only, workload_secret

NOT_X509 = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"


def test_workload_cert_names_each_bad_block():
    found = rules.workload_cert(pod(dump=secrets_only(active=[workload_secret(NOT_X509 + NOT_X509)])), mesh())
    assert [(f.severity, f.code, f.target) for f in found] == [("error", "cert-unreadable", "default")]
    assert found[0].msg.startswith("workload certificate unreadable (block 1: not a valid X.509 certificate")
    assert "); block 2: not a valid X.509 certificate" in found[0].msg
    junk = rules.workload_cert(pod(dump=secrets_only(active=[workload_secret(b"junk")])), mesh())
    assert junk == [Finding("error", "cert-unreadable", "workload certificate unreadable (no PEM block found (and not DER))", "default")]


def test_rootca_names_each_bad_block():
    both_bad = pod(dump=secrets_only(active=[workload_secret(WORKLOAD.cert_pem), root_secret(NOT_X509 + NOT_X509)]))
    found = rules.root_ca(both_bad, mesh())
    assert [(f.severity, f.code, f.target) for f in found] == [("error", "rootca-unreadable", "ROOTCA")]
    assert found[0].msg.startswith("secret ROOTCA block 1: not a valid X.509 certificate")
    assert "); block 2: not a valid X.509 certificate" in found[0].msg
