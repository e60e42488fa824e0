"""meshctl.decode.x509: data sources -> certificate bundles, never touching key material."""

from __future__ import annotations

from datetime import timedelta

from meshctl.decode.x509 import CertView, bundle_from_data_source, data_source_bytes, go_rfc3339, parse_bundle

from helpers.tlsdata import NOW, b64


def test_workload_chain_fields(certs):
    root = certs.root()
    leaf = certs.workload(root, spiffe="spiffe://cluster.local/ns/bookinfo/sa/reviews", dns=("reviews",))
    bundle = bundle_from_data_source({"inline_bytes": b64(certs.pem(leaf, root))})
    assert bundle.source == "inline_bytes" and bundle.encoding == "pem" and not bundle.problems
    first, second = bundle.certs
    assert first is bundle.leading_cert
    assert first.spiffe_ids == ("spiffe://cluster.local/ns/bookinfo/sa/reviews",)
    assert first.dns_sans == ("reviews",)
    assert (first.is_ca, second.is_ca) == (False, True)
    assert first.subject == "" and first.issuer == "O=cluster.local" == second.subject
    assert first.not_after - first.not_before == timedelta(hours=24)


def test_serial_is_istioctls_zero_padded_hex(certs):
    # util.go secretMetaFromCert: fmt.Sprintf("%032x", cert.SerialNumber). big.Int's %x pads with
    # zeros to 32 characters: 0x0193... -> "0193..." (the golden's), 0xabc -> 29 zeros then "abc",
    # and a 160-bit serial keeps its 40 digits (no byte alignment: a leading zero nibble is not shown).
    (cert,) = parse_bundle(certs.pem(certs.root(serial=0x0193A543FE2B0D9CD4847675394DFC54))).certs
    assert cert.serial == "0193a543fe2b0d9cd4847675394dfc54"
    (cert,) = parse_bundle(certs.pem(certs.root(org="odd", serial=0xABC))).certs
    assert cert.serial == "0" * 29 + "abc"
    (cert,) = parse_bundle(certs.pem(certs.root(org="long", serial=0x0A << 152))).certs
    assert cert.serial == "a" + "0" * 38


def test_validity_is_strict_and_days_left_counts_down(certs):
    cert = certs.workload(certs.root(), start=NOW - timedelta(hours=1), hours=49)
    (view,) = parse_bundle(certs.pem(cert)).certs
    assert view.valid_at(NOW)
    assert not view.valid_at(view.not_after) and not view.valid_at(view.not_before)
    assert view.days_to_expiry(NOW) == 2
    assert view.days_to_expiry(NOW + timedelta(days=3)) == -1
    assert view.not_after_rfc3339 == go_rfc3339(NOW + timedelta(hours=48)) == "2026-06-03T12:00:00Z"


def test_inline_string_der_and_url_safe_base64(certs):
    root = certs.root()
    by_string = bundle_from_data_source({"inline_string": certs.pem(root).decode()})
    assert by_string.source == "inline_string" and by_string.leading_cert.is_ca
    der = bundle_from_data_source({"inline_bytes": b64(certs.der(root))})
    assert der.encoding == "der" and der.certs[0].serial == by_string.certs[0].serial
    assert der.leading_cert is None  # istioctl's pem.Decode finds nothing in DER
    unpadded_urlsafe = b64(certs.pem(root)).rstrip("=").replace("+", "-").replace("/", "_")
    assert bundle_from_data_source({"inline_bytes": unpadded_urlsafe}).certs == by_string.certs


def test_files_and_environment_are_named_not_read():
    bundle = bundle_from_data_source({"filename": "/etc/certs/cert-chain.pem"})
    assert bundle.source == "filename:/etc/certs/cert-chain.pem" and not bundle.certs
    assert "on the proxy" in bundle.error
    assert data_source_bytes({"environment_variable": "CERT"}) == ("environment_variable:CERT", None, None)
    assert bundle_from_data_source(None).error is None and bundle_from_data_source({}).source == ""


def test_bad_base64_is_a_problem_not_an_exception():
    bundle = bundle_from_data_source({"inline_bytes": "not base64 at all!!"}, field_name="trusted CA")
    assert bundle.certs == () and bundle.problems == ("trusted CA: inline_bytes is not valid base64",)
    assert bundle_from_data_source({"inline_bytes": 42}).error.endswith("not valid base64")


def test_truncated_and_garbage_pem(certs):
    pem = certs.pem(certs.root())
    assert parse_bundle(pem[: len(pem) // 2]).error == "truncated PEM: no complete BEGIN/END block"
    assert parse_bundle(b"hello").error == "no PEM block found (and not DER)"
    assert parse_bundle(b"  \n").error == "no certificate data"
    broken = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    (problem,) = parse_bundle(broken).items
    assert problem.reason.startswith("not a valid X.509 certificate")
    bad_body = b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"
    assert parse_bundle(bad_body).problems == ("block 1: PEM body is not valid base64",)
    assert parse_bundle(b"\x30\x03\x02\x01\x01").certs == ()  # DER-looking junk


def test_a_private_key_block_is_never_decoded_or_quoted(certs):
    key_pem = certs.key_pem()
    root = certs.root()
    bundle = parse_bundle(key_pem + certs.pem(root))
    assert bundle.leading_cert is None  # istioctl parses only the first block
    assert [type(item).__name__ for item in bundle.items] == ["CertProblem", "CertView"]
    message = " ".join(bundle.problems)
    assert message == "block 1: a PRIVATE KEY PEM block, not a certificate"
    body = key_pem.split(b"\n")[1].decode()
    assert body[:16] not in message


def test_multi_root_bundle_lists_every_root(certs):
    roots = [certs.root("cluster.local"), certs.root("old-mesh", serial=7), certs.root("new-mesh", serial=0x1234)]
    bundle = parse_bundle(b"\n".join(certs.pem(r) for r in roots))
    assert [c.subject for c in bundle.certs] == ["O=cluster.local", "O=old-mesh", "O=new-mesh"]
    assert all(isinstance(c, CertView) and c.is_ca for c in bundle.certs)
