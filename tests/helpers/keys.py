"""Private keys in every form the redactor must recognise, made once per test session.

`KEY_FORMS` lists (name, key bytes) for RSA, EC and Ed25519 keys in PKCS#1, PKCS#8 (plain and
encrypted), SEC1 and OpenSSH, as PEM text and as DER. `encodings(key)` gives the ways a key can
sit in a string (PEM, JSON-escaped PEM, base64 of DER, base64 of PEM, wrapped at 76 and 64
columns, after a few bytes), each with the fragments that must never be printed.
"""

from __future__ import annotations

import base64
import functools
import json
import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class KeyForm:
    name: str
    data: bytes  # PEM text (ASCII) or DER
    pem: bool


@functools.lru_cache(maxsize=1)
def key_forms() -> tuple[KeyForm, ...]:
    from cryptography.hazmat.primitives import serialization as s
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    keys = {
        "rsa1024": rsa.generate_private_key(65537, 1024),
        "rsa2048": rsa.generate_private_key(65537, 2048),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "p521": ec.generate_private_key(ec.SECP521R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
    }
    none, password = s.NoEncryption(), s.BestAvailableEncryption(b"password")
    forms = []
    for name, key in keys.items():
        layouts = [("pkcs8", s.PrivateFormat.PKCS8, none), ("pkcs8-encrypted", s.PrivateFormat.PKCS8, password)]
        if not name.startswith("ed"):
            layouts.append(("pkcs1" if name.startswith("rsa") else "sec1", s.PrivateFormat.TraditionalOpenSSL, none))
        for label, layout, encryption in layouts:
            forms.append(KeyForm(f"{name}-{label}-pem", key.private_bytes(s.Encoding.PEM, layout, encryption), True))
            forms.append(KeyForm(f"{name}-{label}-der", key.private_bytes(s.Encoding.DER, layout, encryption), False))
        forms.append(KeyForm(f"{name}-openssh", key.private_bytes(s.Encoding.PEM, s.PrivateFormat.OpenSSH, none), True))
    return tuple(forms)


@functools.lru_cache(maxsize=1)
def certificate_pem() -> bytes:
    """A self-signed certificate (PEM), with the CA basic constraint: certificates must stay intact."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cluster.local")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(0x0201000201).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier("spiffe://cluster.local/ns/a/sa/b")]), False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    return cert.public_bytes(serialization.Encoding.PEM)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _middle(text: str, size: int = 24) -> str:
    third = len(text) // 3
    return text[third : third + size]


def encodings(form: KeyForm) -> list[tuple[str, str, list[str]]]:
    """(how, the key as it appears in a string, fragments that must not be printed)."""
    if form.pem:
        pem = form.data.decode()
        body = "".join(line for line in pem.splitlines() if line and not line.startswith("-----") and ":" not in line)
        secrets = [_middle(body)]
        cert = certificate_pem().decode()
        return [
            ("pem", pem, secrets),
            ("json-escaped-pem", json.dumps(pem)[1:-1], secrets),
            ("base64-of-pem", _b64(form.data), [_middle(_b64(form.data))]),
            ("base64-of-pem-after-bytes", _b64(b"\x00\x01" + form.data), [_middle(_b64(b"\x00\x01" + form.data))]),
            ("base64-of-cert-and-key", _b64(cert.encode() + form.data), [_middle(_b64(form.data))[:8] and _b64(cert.encode() + form.data)[-48:-8]]),
            ("base64-of-pem-wrapped-76", "\n".join(textwrap.wrap(_b64(form.data), 76)), [_middle(_b64(form.data))[:16]]),
            ("base64-of-pem-wrapped-76-json", json.dumps("\n".join(textwrap.wrap(_b64(form.data), 76)))[1:-1],
             [_middle(_b64(form.data))[:16]]),
        ]  # fmt: skip
    der = _b64(form.data)
    return [
        ("base64-der", der, [_middle(der)]),
        ("base64-der-after-1-byte", _b64(b"\x07" + form.data), [_middle(_b64(b"\x07" + form.data))]),
        ("base64-der-after-2-bytes", _b64(b"\x07\x07" + form.data), [_middle(_b64(b"\x07\x07" + form.data))]),
        ("base64-der-wrapped-64", "\n".join(textwrap.wrap(der, 64)), [_middle(der)[:16]]),
    ]
