"""SDS secrets (SecretsConfigDump) -> the `pc secret` table, istioctl's rules plus wide columns.

istioctl's rules (istioctl/pkg/writer/compare/sds/util.go GetEnvoySecrets, parseDynamicSecret,
parseTrustBundles, secretMetaFromCert and SecretItemBuilder.Build; writer.go
printSecretItemsTabular):
- warming secrets first, then active ones, each in dump order; static secrets are not shown;
- the data is the certificate chain if it has bytes, else the validation context's trusted CA,
  else, for a SPIFFE ``custom_validator_config`` (SPIRE's federated trust bundles), one row per
  trust domain with that domain's bundle;
- only the first PEM block is parsed; TYPE is "CA" when that certificate is a CA, else
  "Cert Chain"; VALID CERT is now strictly between NOT BEFORE and NOT AFTER; when nothing
  parses, VALID CERT is false and the certificate columns are empty;
- a row's trust domain is the SPIFFE bundle's, else the host of the certificate's (last)
  spiffe:// URI SAN; the TRUST DOMAIN column is added only when every row has one;
- GetEnvoySecrets means to show an active secret whose version_info is "uninitialized" as
  UNINITIALIZED, but sets the state on a copy (a Go range variable): istioctl prints ACTIVE, and
  so does the table here. `SecretItem.status` keeps UNINITIALIZED for meshctl's own verdicts, and
  -o wide says so under PROBLEMS.
meshctl also reads ``inline_string`` data (istioctl reads ``inline_bytes`` only and would
show such a secret as not valid).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from meshctl.decode.x509 import CertBundle, CertView, bundle_from_data_source, data_source_bytes
from meshctl.model.durations import time_left
from meshctl.model.tabular import Tabular

SECRET_COLUMNS = ("RESOURCE NAME", "TYPE", "STATUS", "VALID CERT", "SERIAL NUMBER", "NOT AFTER", "NOT BEFORE")
WIDE_COLUMNS = SECRET_COLUMNS + ("EXPIRES IN", "CHAIN", "SPIFFE URI SANS", "ISSUER", "PROBLEMS")
NO_SECRETS = "No active or warming secrets found."

# Envoy marks these fields (udpa.annotations.sensitive) and prints "[redacted]" in its dump.
_SENSITIVE_FIELDS = {
    "tls_certificate": ("private_key", "password", "pkcs12"),
    "tls_certificates": ("private_key", "password", "pkcs12"),
    "session_ticket_keys": ("keys",),
    "generic_secret": ("secret",),
}
_CERTIFICATE_FIELDS = ("certificate_chain", "trusted_ca")
_REDACTED = "[redacted]"
_REDACTED_B64 = "W3JlZGFjdGVkXQ=="


@dataclass(frozen=True)
class SecretItem:
    """One dynamic secret as `pc secret` lists it."""

    name: str
    status: str  # ACTIVE | WARMING | UNINITIALIZED
    role: str  # "certificate chain" | "trusted CA" | "SPIFFE trust bundle" | "" (no certificate data)
    bundle: CertBundle
    spiffe_trust_domain: str = ""  # the trust domain of a SPIFFE validator's bundle

    @property
    def shown_status(self) -> str:
        """The STATUS istioctl prints (its UNINITIALIZED never reaches the row: see the module doc)."""
        return "ACTIVE" if self.status == "UNINITIALIZED" else self.status

    @property
    def trust_domain(self) -> str:
        """util.go secretMetaFromCert: the bundle's trust domain, else the host of the last
        spiffe:// URI SAN of the leading certificate; "" when that certificate does not parse."""
        cert = self.leading_cert
        if cert is None:
            return ""
        if self.spiffe_trust_domain:
            return self.spiffe_trust_domain
        hosts = [uri[len("spiffe://"):].split("/", 1)[0] for uri in cert.spiffe_ids]
        return hosts[-1] if hosts else ""

    @property
    def leading_cert(self) -> CertView | None:
        """The first certificate of the secret (the workload's own), or None."""
        return self.bundle.leading_cert

    @property
    def cert_type(self) -> str:
        """istioctl's TYPE cell: "CA" or "Cert Chain" by the leading certificate ("" without one)."""
        cert = self.leading_cert
        if cert is None:
            return ""
        return "CA" if cert.is_ca else "Cert Chain"


def secret_items(section: dict | None) -> list[SecretItem]:
    """The dynamic secrets of a SecretsConfigDump (snake_case dict) in istioctl's order."""
    section = section or {}
    items = [item for entry in _entries(section, "dynamic_warming_secrets") for item in _items(entry, "WARMING")]
    for entry in _entries(section, "dynamic_active_secrets"):
        status = "UNINITIALIZED" if entry.get("version_info") == "uninitialized" else "ACTIVE"
        items += _items(entry, status)
    return items


def _entries(section: dict, key: str) -> list[dict]:
    entries = section.get(key)
    return [entry for entry in entries if isinstance(entry, dict)] if isinstance(entries, list) else []


SPIFFE_VALIDATOR = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig"


def _items(entry: dict, status: str) -> list[SecretItem]:
    """util.go parseDynamicSecret: one item, or one per trust domain of a SPIFFE validator."""
    secret = entry.get("secret") if isinstance(entry.get("secret"), dict) else {}
    name = str(entry.get("name", secret.get("name", "")))
    chain = _get(secret, "tls_certificate", "certificate_chain")
    trusted = _get(secret, "validation_context", "trusted_ca")
    # istioctl: the cert chain when it has data, else the trusted CA.
    for role, data_source in (("certificate chain", chain), ("trusted CA", trusted)):
        if _has_data(data_source):
            return [SecretItem(name, status, role, bundle_from_data_source(data_source, field_name=role))]
    bundles = _trust_bundles(secret, name, status)
    return bundles if bundles is not None else [SecretItem(name, status, "", CertBundle(source=""))]


def _trust_bundles(secret: dict, name: str, status: str) -> list[SecretItem] | None:
    """util.go parseTrustBundles: a row per trust domain of a SPIFFECertValidatorConfig (the
    bundle's inline_bytes; a domain without a bundle is a row without data); None: no such validator."""
    typed = _get(secret, "validation_context", "custom_validator_config", "typed_config")
    if typed is None or typed.get("@type") != SPIFFE_VALIDATOR:
        return None
    items = []
    for domain in typed.get("trust_domains") or []:
        if not isinstance(domain, dict):
            continue
        bundle = domain.get("trust_bundle") if isinstance(domain.get("trust_bundle"), dict) else None
        data = {"inline_bytes": bundle["inline_bytes"]} if bundle and bundle.get("inline_bytes") else None
        role, contents = ("SPIFFE trust bundle", bundle_from_data_source(data, field_name="trust bundle")) if data else ("", CertBundle(source=""))
        items.append(SecretItem(name, status, role, contents, str(domain.get("name", ""))))
    return items


def _get(mapping: dict, *keys: str) -> dict | None:
    for key in keys:
        mapping = mapping.get(key) if isinstance(mapping, dict) else None
    return mapping if isinstance(mapping, dict) else None


def _has_data(data_source: dict | None) -> bool:
    return bool(data_source) and bool(data_source.get("inline_bytes") or data_source.get("inline_string"))


def secret_table(section: dict | None, *, now: datetime, wide: bool = False, type_prefix: bool = False) -> Tabular:
    """The `pc secret` table; ``type_prefix`` adds "secret/" to names as `pc all` does."""
    rows = []
    items = secret_items(section)
    # printSecretItemsTabular: TRUST DOMAIN only when every row has one (trust domain federation).
    trust_domains = bool(items) and all(item.trust_domain for item in items)
    for item in items:
        name = f"secret/{item.name}" if type_prefix else item.name
        leading = item.leading_cert
        base = [name, item.cert_type, item.shown_status, _go_bool(leading is not None and leading.valid_at(now))]
        domain = [item.trust_domain] if trust_domains else []
        if wide:
            rows.extend(row[:7] + domain + row[7:] for row in _wide_rows(item, base, now))
        else:
            rows.append(base + _cert_columns(leading) + domain)
    columns = [*SECRET_COLUMNS, *(("TRUST DOMAIN",) if trust_domains else ()), *(WIDE_COLUMNS[len(SECRET_COLUMNS):] if wide else ())]
    return Tabular(columns=columns, rows=rows, empty_msg=NO_SECRETS)


def _cert_columns(cert: CertView | None) -> list[str]:
    if cert is None:
        return ["", "", ""]
    return [cert.serial, cert.not_after_rfc3339, cert.not_before_rfc3339]


def _go_bool(value: bool) -> str:
    return "true" if value else "false"


def _wide_rows(item: SecretItem, base: list[str], now: datetime) -> list[list[str]]:
    uninitialized = ["version_info uninitialized (istioctl's STATUS says ACTIVE)"] if item.status == "UNINITIALIZED" else []
    problems = "; ".join([*uninitialized, *item.bundle.problems])
    certs = item.bundle.certs
    leading = item.leading_cert
    if leading is None:
        return [base + _cert_columns(None) + ["", str(len(certs)) if certs else "", "", "", problems]]
    if item.role == "trusted CA" and len(certs) > 1:
        # A trust bundle holds several roots (istio #54545): one row per root, "i/n" in CHAIN.
        rows = []
        for index, cert in enumerate(certs, 1):
            columns = [base[0], "CA" if cert.is_ca else "Cert Chain", base[2], _go_bool(cert.valid_at(now))]
            rows.append(columns + _cert_columns(cert) + _wide_extra(cert, f"{index}/{len(certs)}", now, problems))
        return rows
    return [base + _cert_columns(leading) + _wide_extra(leading, str(len(certs)), now, problems)]


def _wide_extra(cert: CertView, chain: str, now: datetime, problems: str) -> list[str]:
    return [time_left(cert.not_after - now), chain, ",".join(cert.spiffe_ids), cert.issuer, problems]


def secret_warnings(section: dict | None) -> list[str]:
    """One line per secret whose certificate data cannot be read (istioctl logs these too)."""
    return [
        f"secret {item.name}: {problem}" for item in secret_items(section) for problem in item.bundle.problems
    ]


def redact_secrets(section: dict) -> dict:
    """A copy of a SecretsConfigDump with private key material replaced by "[redacted]".

    Envoy already redacts its admin dump; a hand-made or tampered file may not be, and
    meshctl never prints key material whatever the input.
    """
    return _redact(section, None)


def _redact(value, parent_key: str | None):
    if isinstance(value, list):
        return [_redact(item, parent_key) for item in value]
    if not isinstance(value, dict):
        return value
    sensitive = _SENSITIVE_FIELDS.get(parent_key or "", ())
    return {
        key: _blank(child) if key in sensitive or _holds_private_key(key, child) else _redact(child, key)
        for key, child in value.items()
    }


def _holds_private_key(key: str, value) -> bool:
    # A key pasted into a certificate field is key material too (Envoy would print it as is).
    if key not in _CERTIFICATE_FIELDS or not isinstance(value, dict):
        return False
    _, data, _ = data_source_bytes(value)
    return data is not None and b"PRIVATE KEY-----" in data


def _blank(value, key: str | None = None):
    # Every string leaf of a sensitive field becomes "[redacted]" (bytes fields in base64).
    if isinstance(value, list):
        return [_blank(item, key) for item in value]
    if isinstance(value, dict):
        return {child_key: _blank(child, child_key) for child_key, child in value.items()}
    if isinstance(value, str):
        return _REDACTED_B64 if key == "inline_bytes" else _REDACTED
    return value
