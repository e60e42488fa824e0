"""`pc secret` table: istioctl's goldens byte for byte, its rules on made data, and the wide view."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from meshctl.analyze.secrets import SECRET_COLUMNS, WIDE_COLUMNS, redact_secrets, secret_items, secret_table, secret_warnings
from meshctl.decode.configdump import parse
from meshctl.render.text import render_tabular

from helpers import ISTIO_TESTDATA, require_shared
from helpers.tlsdata import NOW, b64, ca_secret, cert_secret, secrets_dump

CONFIGDUMP_TESTDATA = ISTIO_TESTDATA / "istioctl/pkg/writer/envoy/configdump/testdata"


def _now() -> datetime:
    # The goldens were made with istioctl at "now": the root expires in 2033, the leaf in 2023.
    return datetime.now(timezone.utc)


def test_istioctl_secret_golden():
    case = require_shared(CONFIGDUMP_TESTDATA / "secret/istio")
    dump = parse((case / "config_dump.json").read_bytes())
    table = secret_table(dump.section("SecretsConfigDump"), now=_now())
    assert render_tabular(table) == (case / "output").read_text()


def test_pc_all_secret_block_golden():
    testdata = require_shared(ISTIO_TESTDATA / "istioctl/pkg/proxyconfig/testdata")
    dump = parse((testdata / "config_dump.json").read_bytes())
    text = render_tabular(secret_table(dump.section("SecretsConfigDump"), now=_now(), type_prefix=True))
    golden = (testdata / "config_dump_summary.txt").read_text()
    assert "\n" + text + "\n" in golden
    assert text.startswith("RESOURCE NAME      TYPE") and "secret/ROOTCA" in text


def _rows(section, **kwargs):
    return secret_table(section, now=NOW, **kwargs).rows


def test_order_status_and_type_rules(certs):
    root = certs.root()
    leaf = certs.workload(root)
    section = secrets_dump(
        active=[cert_secret("default", certs.pem(leaf, root)), ca_secret("ROOTCA", certs.pem(root)),
                cert_secret("pending", certs.pem(leaf), version="uninitialized")],
        warming=[{"name": "kubernetes://gw-cert", "secret": {"name": "kubernetes://gw-cert"}}],
    )  # fmt: skip
    rows = _rows(section)
    # GetEnvoySecrets sets State = "UNINITIALIZED" on the range variable, a copy: istioctl prints
    # ACTIVE for version_info "uninitialized"; meshctl's item keeps the truth, -o wide says it.
    assert [row[:4] for row in rows] == [
        ["kubernetes://gw-cert", "", "WARMING", "false"],
        ["default", "Cert Chain", "ACTIVE", "true"],
        ["ROOTCA", "CA", "ACTIVE", "true"],
        ["pending", "Cert Chain", "ACTIVE", "true"],
    ]
    assert secret_items(section)[3].status == "UNINITIALIZED"
    assert _rows(section, wide=True)[3][-1] == "version_info uninitialized (istioctl's STATUS says ACTIVE)"
    assert rows[0][4:] == ["", "", ""]
    leading = secret_items(section)[1].leading_cert
    assert rows[1][4:] == [leading.serial, leading.not_after_rfc3339, leading.not_before_rfc3339]


def test_cert_chain_wins_over_trusted_ca_and_type_follows_is_ca(certs):
    # istioctl takes the chain when it has bytes; TYPE comes from the first cert's CA flag.
    root = certs.root()
    both = cert_secret("both", certs.pem(root))
    both["secret"]["validation_context"] = {"trusted_ca": {"inline_bytes": b64(certs.pem(certs.workload(root)))}}
    (row,) = _rows(secrets_dump(active=[both]))
    assert row[1] == "CA"


def test_expired_and_not_yet_valid_are_not_valid(certs):
    root = certs.root()
    expired = certs.workload(root, start=NOW - timedelta(days=3), hours=24)
    future = certs.workload(root, start=NOW + timedelta(days=1), serial=99)
    rows = _rows(secrets_dump(active=[cert_secret("old", certs.pem(expired)), cert_secret("new", certs.pem(future))]))
    assert [row[3] for row in rows] == ["false", "false"]
    assert [row[1] for row in rows] == ["Cert Chain", "Cert Chain"]


def test_static_secrets_are_not_listed_and_empty_has_a_message(certs):
    section = {"static_secrets": [{"name": "static", "secret": {"name": "static"}}]}
    table = secret_table(section, now=NOW)
    assert table.rows == [] and table.empty_msg == "No active or warming secrets found."
    assert secret_table(None, now=NOW).rows == []


def test_undecodable_data_is_a_marked_row_and_a_warning(certs):
    bad = cert_secret("default", b"")
    bad["secret"]["tls_certificate"]["certificate_chain"]["inline_bytes"] = "%%% not base64"
    garbage = ca_secret("ROOTCA", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    section = secrets_dump(active=[bad, garbage])
    assert [row[1:] for row in _rows(section)] == [["", "ACTIVE", "false", "", "", ""]] * 2
    wide = _rows(section, wide=True)
    assert wide[0][-1] == "certificate chain: inline_bytes is not valid base64"
    assert wide[1][-1].startswith("block 1: not a valid X.509 certificate")
    warnings = secret_warnings(section)
    assert warnings[0] == "secret default: certificate chain: inline_bytes is not valid base64"
    assert len(warnings) == 2


def test_wide_columns_for_a_workload_chain(certs):
    root = certs.root()
    leaf = certs.workload(root, spiffe="spiffe://cluster.local/ns/shop/sa/cart", hours=36)
    table = secret_table(secrets_dump(active=[cert_secret("default", certs.pem(leaf, root))]), now=NOW, wide=True)
    # The one row has a trust domain (its SPIFFE URI's host), so istioctl's TRUST DOMAIN column is there.
    assert table.columns == [*SECRET_COLUMNS, "TRUST DOMAIN", *WIDE_COLUMNS[7:]]
    (row,) = table.rows
    assert dict(zip(table.columns[7:], row[7:])) == {
        "TRUST DOMAIN": "cluster.local",
        "EXPIRES IN": "35h",
        "CHAIN": "2",
        "SPIFFE URI SANS": "spiffe://cluster.local/ns/shop/sa/cart",
        "ISSUER": "O=cluster.local",
        "PROBLEMS": "",
    }


def test_wide_lists_each_root_of_a_multi_root_bundle(certs):
    # istio #54545: during a root rotation ROOTCA holds several roots; istioctl shows the first only.
    old = certs.root("cluster.local", serial=0x11, start=NOW - timedelta(days=400), days=365)
    new = certs.root("cluster.local-2", serial=0x22)
    section = secrets_dump(active=[ca_secret("ROOTCA", certs.pem(old, new))])
    (short,) = _rows(section)
    assert short[:5] == ["ROOTCA", "CA", "ACTIVE", "false", f"{0x11:032x}"]
    wide = _rows(section, wide=True)
    assert [(r[0], r[3], r[4], r[8]) for r in wide] == [("ROOTCA", "false", f"{0x11:032x}", "1/2"), ("ROOTCA", "true", f"{0x22:032x}", "2/2")]
    assert wide[0][7].startswith("expired ") and wide[0][7].endswith(" ago") and not wide[1][7].startswith("expired")
    assert [r[10] for r in wide] == ["O=cluster.local", "O=cluster.local-2"]


def test_redaction_hides_key_material_whatever_the_input(certs):
    key_pem = certs.key_pem()
    entry = cert_secret("default", certs.pem(certs.root()), key=key_pem)
    entry["secret"]["tls_certificate"]["password"] = {"inline_string": "hunter2"}
    section = secrets_dump(
        active=[entry, {"name": "tickets", "secret": {"session_ticket_keys": {"keys": [{"inline_bytes": "c2VjcmV0"}]}}},
                {"name": "hmac", "secret": {"generic_secret": {"secret": {"inline_string": "s3cr3t"}}}}],
    )  # fmt: skip
    shown = json.dumps(redact_secrets(section))
    for secret in (b64(key_pem), "hunter2", "c2VjcmV0", "s3cr3t"):
        assert secret not in shown
    redacted = redact_secrets(section)["dynamic_active_secrets"]
    tls_certificate = redacted[0]["secret"]["tls_certificate"]
    assert tls_certificate["private_key"] == {"inline_bytes": "W3JlZGFjdGVkXQ=="}
    assert tls_certificate["password"] == {"inline_string": "[redacted]"}
    assert tls_certificate["certificate_chain"] == entry["secret"]["tls_certificate"]["certificate_chain"]
    # A key pasted into the certificate chain is hidden too.
    pasted = redact_secrets(secrets_dump(active=[cert_secret("odd", key_pem + certs.pem(certs.root()))]))
    assert pasted["dynamic_active_secrets"][0]["secret"]["tls_certificate"]["certificate_chain"] == {"inline_bytes": "W3JlZGFjdGVkXQ=="}
    # Envoy's own dump is already redacted: unchanged.
    envoy_entry = cert_secret("default", certs.pem(certs.root()))
    assert redact_secrets(secrets_dump(active=[envoy_entry]))["dynamic_active_secrets"] == [envoy_entry]


def spiffe_bundle_secret(name: str, domains: dict) -> dict:
    """A secret whose validation context is SPIRE's: a SPIFFECertValidatorConfig with one
    trust bundle per trust domain (envoy tls.v3 SPIFFECertValidatorConfig.TrustDomain)."""
    return {"name": name, "secret": {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret", "name": name,
        "validation_context": {"custom_validator_config": {"name": "envoy.tls.cert_validator.spiffe", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig",
            "trust_domains": [{"name": domain, "trust_bundle": {"inline_bytes": b64(pem)}} for domain, pem in domains.items()]}}}}}  # fmt: skip


def test_spiffe_trust_bundles_are_one_row_per_trust_domain_with_a_trust_domain_column(certs):
    """util.go parseDynamicSecret -> parseTrustBundles: no chain and no trusted_ca, a SPIFFE
    validator: a row per trust domain (Build with TrustDomain = its name, data = its bundle).
    The leaf's trust domain is its spiffe:// URI's host (secretMetaFromCert). Every row has one,
    so printSecretItemsTabular adds TRUST DOMAIN after NOT BEFORE."""
    local, remote = certs.root("cluster.local", serial=0x11), certs.root("remote.example", serial=0x22)
    leaf = certs.workload(local, spiffe="spiffe://cluster.local/ns/default/sa/web", serial=0x33)
    section = secrets_dump(active=[cert_secret("default", certs.pem(leaf, local)),
                                   spiffe_bundle_secret("ROOTCA", {"cluster.local": certs.pem(local), "remote.example": certs.pem(remote)})])  # fmt: skip
    table = secret_table(section, now=NOW)
    assert table.columns == [*SECRET_COLUMNS, "TRUST DOMAIN"]
    assert [(row[0], row[1], row[2], row[3], row[4], row[7]) for row in table.rows] == [
        ("default", "Cert Chain", "ACTIVE", "true", f"{0x33:032x}", "cluster.local"),
        ("ROOTCA", "CA", "ACTIVE", "true", f"{0x11:032x}", "cluster.local"),
        ("ROOTCA", "CA", "ACTIVE", "true", f"{0x22:032x}", "remote.example"),
    ]
    wide = secret_table(section, now=NOW, wide=True)
    assert wide.columns[:8] == [*SECRET_COLUMNS, "TRUST DOMAIN"] and wide.rows[2][7] == "remote.example"


def test_trust_domain_column_only_when_every_row_has_one(certs):
    """hasUnknownTrustDomain: Istio's usual ROOTCA (a CA without a URI SAN) has none, so no
    column (the shared golden); neither has a SPIFFE domain whose bundle does not parse
    (Build keeps SecretMeta empty when secretMetaFromCert fails)."""
    local = certs.root("cluster.local", serial=0x11)
    leaf = certs.workload(local)
    plain = secrets_dump(active=[cert_secret("default", certs.pem(leaf, local)), ca_secret("ROOTCA", certs.pem(local))])
    assert secret_table(plain, now=NOW).columns == list(SECRET_COLUMNS)
    broken = secrets_dump(active=[cert_secret("default", certs.pem(leaf, local)), spiffe_bundle_secret("ROOTCA", {"cluster.local": b"not a cert"})])
    table = secret_table(broken, now=NOW)
    assert table.columns == list(SECRET_COLUMNS)
    assert table.rows[1][:4] == ["ROOTCA", "", "ACTIVE", "false"]
