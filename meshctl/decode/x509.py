"""X.509 certificates from Envoy data sources (PEM or DER) -> CertView.

Envoy's SDS secrets carry certificates in a ``DataSource`` (``inline_bytes`` as base64 in
JSON, ``inline_string``, or a ``filename`` on the proxy's disk). This module decodes only
certificate material: a private key is never decoded, and no error message quotes the data.
``cryptography`` is imported inside the functions that parse DER (it is a heavy import).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timezone

# Go's encoding/pem: "-----BEGIN TYPE-----", optional headers, base64 body, "-----END TYPE-----".
_PEM_BLOCK = re.compile(rb"-----BEGIN ([^\r\n-]*)-----(.*?)-----END \1-----", re.DOTALL)
_CERT_LABELS = (b"CERTIFICATE", b"TRUSTED CERTIFICATE", b"X509 CERTIFICATE")


@dataclass(frozen=True)
class CertView:
    """What a diagnostic needs from one certificate."""

    serial: str  # as istioctl prints it: %032x (hex, zero-padded to 32 characters)
    not_before: datetime  # UTC
    not_after: datetime  # UTC
    subject: str  # RFC 4514
    issuer: str  # RFC 4514
    is_ca: bool  # basicConstraints cA (Go's cert.IsCA)
    uri_sans: tuple[str, ...] = ()
    dns_sans: tuple[str, ...] = ()
    ip_sans: tuple[str, ...] = ()

    @property
    def spiffe_ids(self) -> tuple[str, ...]:
        """The SPIFFE URI SANs (``spiffe://...``)."""
        return tuple(uri for uri in self.uri_sans if uri.startswith("spiffe://"))

    def valid_at(self, now: datetime) -> bool:
        """istioctl sdscompare: ``today.After(NotBefore) && today.Before(NotAfter)`` (strict)."""
        return self.not_before < now < self.not_after

    def days_to_expiry(self, now: datetime) -> int:
        """Whole days until not_after (negative once expired)."""
        return (self.not_after - now).days

    @property
    def not_after_rfc3339(self) -> str:
        """The end of validity, RFC 3339 in UTC."""
        return go_rfc3339(self.not_after)

    @property
    def not_before_rfc3339(self) -> str:
        """The start of validity, RFC 3339 in UTC."""
        return go_rfc3339(self.not_before)


@dataclass(frozen=True)
class CertProblem:
    """A PEM block or DER blob that is not a usable certificate (message is safe to print)."""

    index: int  # position of the block in the bundle, from 0
    reason: str


@dataclass(frozen=True)
class CertBundle:
    """The certificates of one data source, in the order they appear.

    ``items`` holds one entry per PEM block (or one for a DER blob): a CertView, or a
    CertProblem for a block that is not a parseable certificate. ``error`` is set when the
    data source as a whole cannot be read (bad base64, no PEM block, a file on the proxy).
    """

    source: str  # "inline_bytes", "inline_string", "filename:/path", "environment_variable:NAME", "" (none)
    encoding: str = ""  # "pem" | "der" | ""
    items: tuple[CertView | CertProblem, ...] = ()
    error: str | None = None

    @property
    def certs(self) -> tuple[CertView, ...]:
        """The certificates that parsed, in bundle order."""
        return tuple(item for item in self.items if isinstance(item, CertView))

    @property
    def problems(self) -> tuple[str, ...]:
        """What could not be parsed, one line each."""
        found = [f"block {item.index + 1}: {item.reason}" for item in self.items if isinstance(item, CertProblem)]
        return ((self.error,) if self.error else ()) + tuple(found)

    @property
    def leading_cert(self) -> CertView | None:
        """The certificate istioctl reports: Go's ``pem.Decode`` (first block) + ``x509.ParseCertificate``.

        None when the data is not PEM or its first block is not a parseable certificate
        (istioctl then shows the secret with VALID CERT false and empty columns).
        """
        if self.encoding == "pem" and self.items and isinstance(self.items[0], CertView):
            return self.items[0]
        return None


def go_rfc3339(moment: datetime) -> str:
    """Go's ``time.RFC3339`` for a UTC time: 2023-05-16T01:32:52Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def data_source_bytes(data_source: dict | None, *, field_name: str = "data source") -> tuple[str, bytes | None, str | None]:
    """Resolve an Envoy ``DataSource`` dict to ``(source, bytes or None, error or None)``.

    Files and environment variables live on the proxy, not here: they are named, never read.
    ``field_name`` only labels error messages.
    """
    if not isinstance(data_source, dict) or not data_source:
        return "", None, None
    if "inline_bytes" in data_source:
        raw = data_source["inline_bytes"]
        decoded = _protojson_bytes(raw)
        if decoded is None:
            return "inline_bytes", None, f"{field_name}: inline_bytes is not valid base64"
        return "inline_bytes", decoded, None
    if "inline_string" in data_source:
        text = data_source["inline_string"]
        if not isinstance(text, str):
            return "inline_string", None, f"{field_name}: inline_string is not a string"
        return "inline_string", text.encode("utf-8", "surrogatepass"), None
    for key in ("filename", "environment_variable"):
        if key in data_source:
            return f"{key}:{data_source[key]}", None, None
    return "", None, f"{field_name}: unknown data source kind ({', '.join(sorted(map(str, data_source)))})"


def _protojson_bytes(raw: object) -> bytes | None:
    # Protobuf JSON accepts standard or URL-safe base64, with or without padding.
    if not isinstance(raw, str):
        return None
    text = "".join(raw.split()).replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def bundle_from_data_source(data_source: dict | None, *, field_name: str = "data source") -> CertBundle:
    """Decode the certificates of an Envoy ``DataSource`` dict (never raises on bad data)."""
    source, data, error = data_source_bytes(data_source, field_name=field_name)
    if error is not None:
        return CertBundle(source=source, error=error)
    if data is None:
        if source:
            return CertBundle(source=source, error=f"{field_name}: {source} is on the proxy, not in the dump")
        return CertBundle(source=source)
    bundle = parse_bundle(data)
    return CertBundle(source=source, encoding=bundle.encoding, items=bundle.items, error=bundle.error)


def parse_bundle(data: bytes) -> CertBundle:
    """Split PEM data into its blocks and parse each certificate; DER data is one certificate.

    Blocks that are not certificates (a PRIVATE KEY pasted by mistake, say) are reported by
    their label and never decoded.
    """
    if not data.strip():
        return CertBundle(source="", error="no certificate data")
    if b"-----BEGIN" not in data:
        if data[:1] == b"\x30":  # an ASN.1 SEQUENCE: try DER
            return CertBundle(source="", encoding="der", items=(_parse_der(data, 0),))
        return CertBundle(source="", error="no PEM block found (and not DER)")
    items: list[CertView | CertProblem] = []
    for index, match in enumerate(_PEM_BLOCK.finditer(data)):
        label = match.group(1).strip()
        if label not in _CERT_LABELS:
            shown = label.decode("ascii", "replace")[:40]
            items.append(CertProblem(index, f"a {shown} PEM block, not a certificate"))
            continue
        der = _pem_body(match.group(2))
        if der is None:
            items.append(CertProblem(index, "PEM body is not valid base64"))
            continue
        items.append(_parse_der(der, index))
    if not items:
        return CertBundle(source="", encoding="pem", error="truncated PEM: no complete BEGIN/END block")
    return CertBundle(source="", encoding="pem", items=tuple(items))


def _pem_body(body: bytes) -> bytes | None:
    # Drop RFC 1421 headers ("Proc-Type: ...") if present; they end at the first blank line.
    lines = body.strip().splitlines()
    if any(b":" in line for line in lines):
        text = body.strip()
        head, sep, rest = text.partition(b"\n\n")
        lines = rest.splitlines() if sep else [line for line in lines if b":" not in line]
    try:
        return base64.b64decode(b"".join(line.strip() for line in lines), validate=True)
    except (binascii.Error, ValueError):
        return None


def _serial_hex(serial: int) -> str:
    # istioctl/pkg/writer/compare/sds/util.go secretMetaFromCert: fmt.Sprintf("%032x", cert.SerialNumber).
    # big.Int's %x with the 0 flag and width 32: lower-case hex, zero-padded to 32 characters
    # counting the sign ("0193a543fe...", 32 zeros ending "33" for 0x33, 40 digits for a 160-bit serial).
    sign = "-" if serial < 0 else ""
    return sign + format(abs(serial), "x").rjust(32 - len(sign), "0")


def _parse_der(der: bytes, index: int) -> CertView | CertProblem:
    from cryptography import x509
    from cryptography.x509.oid import ExtensionOID

    try:
        cert = x509.load_der_x509_certificate(der)
        serial = cert.serial_number
        not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
        subject, issuer = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
        extensions = cert.extensions
    except ValueError as exc:
        # cryptography's messages name ASN.1 structures, never the bytes; keep the first line short.
        return CertProblem(index, f"not a valid X.509 certificate ({str(exc).splitlines()[0][:120]})")
    is_ca = False
    uris: tuple[str, ...] = ()
    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    try:
        is_ca = bool(extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value.ca)
    except x509.ExtensionNotFound:
        pass
    try:
        san = extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        uris = tuple(san.get_values_for_type(x509.UniformResourceIdentifier))
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        pass
    return CertView(
        serial=_serial_hex(serial),
        not_before=not_before,
        not_after=not_after,
        subject=subject,
        issuer=issuer,
        is_ca=is_ca,
        uri_sans=uris,
        dns_sans=dns,
        ip_sans=ips,
    )
