"""A test CA and SPIFFE workload certificates shaped like the ones istiod and pilot-agent issue."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

TRUST_DOMAIN = "cluster.local"


@dataclass(frozen=True)
class IssuedCert:
    """PEM material for one SDS secret, plus the facts tests compare against Envoy's view."""

    cert_pem: bytes
    key_pem: bytes
    serial: int
    not_before: datetime.datetime
    not_after: datetime.datetime

    @property
    def serial_hex(self) -> str:
        """Lowercase hex without padding, the form Envoy's config dump and istioctl print."""
        return format(self.serial, "x")


class TestCA:
    """A self-signed root like istiod's self-signed CA (O=cluster.local), signing workload certs."""

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, *, validity: datetime.timedelta = datetime.timedelta(days=1)) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        self.name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, TRUST_DOMAIN)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + validity)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage(ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False)
        )
        self.cert = builder.sign(self._key, hashes.SHA256())
        self.root = IssuedCert(
            cert_pem=_pem(self.cert),
            key_pem=b"",  # the root's key never leaves this object
            serial=self.cert.serial_number,
            not_before=self.cert.not_valid_before_utc,
            not_after=self.cert.not_valid_after_utc,
        )

    def issue_workload(
        self, spiffe_id: str, *, validity: datetime.timedelta = datetime.timedelta(hours=1)
    ) -> IssuedCert:
        """A leaf like Istio's workload certs: EC P-256, empty subject, critical SPIFFE URI SAN.

        Istio security/pkg/pki/util/generate_cert.go: the SAN extension is critical because the
        subject is empty (RFC 5280 4.2.1.6).
        """
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID

        key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + validity)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False
            )
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(spiffe_id)]), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return IssuedCert(
            cert_pem=_pem(cert),
            key_pem=key_pem,
            serial=cert.serial_number,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
        )


def spiffe_id(namespace: str, service_account: str) -> str:
    """The workload identity Istio gives a service account: ``spiffe://cluster.local/ns/NS/sa/SA``."""
    return f"spiffe://{TRUST_DOMAIN}/ns/{namespace}/sa/{service_account}"


def _key_usage(*, ca: bool):
    """Istio's key usages: a CA signs certs and CRLs; a workload signs and enciphers keys."""
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=not ca, data_encipherment=False,
        key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False,
    )


def _pem(cert) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
