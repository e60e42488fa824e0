"""No private key reaches a snapshot archive: keys written through SnapshotWriter in small chunks, in
every encoding meshctl/archive/scrub.py handles, then searched for in the archive as a reader sees it."""

from __future__ import annotations

import base64
import json
import tarfile
from functools import lru_cache

import pytest

from meshctl.archive.writer import SnapshotWriter


@lru_cache(maxsize=1)
def keys() -> dict[str, bytes]:
    """Real private keys in the PEM labels tools write: PKCS#1, SEC1, PKCS#8, encrypted PKCS#8, OpenSSH."""
    from cryptography.hazmat.primitives import serialization as s
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    rsa_key, ec_key = rsa.generate_private_key(public_exponent=65537, key_size=2048), ec.generate_private_key(ec.SECP256R1())
    return {
        "RSA PRIVATE KEY": rsa_key.private_bytes(s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL, s.NoEncryption()),
        "EC PRIVATE KEY": ec_key.private_bytes(s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL, s.NoEncryption()),
        "PRIVATE KEY": ec_key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()),
        "ENCRYPTED PRIVATE KEY": rsa_key.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.BestAvailableEncryption(b"pw")),
        "OPENSSH PRIVATE KEY": ed25519.Ed25519PrivateKey.generate().private_bytes(s.Encoding.PEM, s.PrivateFormat.OpenSSH, s.NoEncryption()),
    }


@lru_cache(maxsize=1)
def certificate() -> bytes:
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    key, name = ec.generate_private_key(ec.SECP256R1()), x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cluster.local")])
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(7)
            .not_valid_before(start).not_valid_after(start + timedelta(days=1)).sign(key, hashes.SHA256()))  # fmt: skip
    return cert.public_bytes(Encoding.PEM)


# How a key sits in what a snapshot stores (Envoy dumps, API objects, files read by exec).
ENCODINGS = {
    "pem": lambda pem: pem,  # a file (cat), a text/plain body
    "json-escaped": lambda pem: json.dumps(pem.decode())[1:-1].encode(),  # inline_string, a ConfigMap value
    "base64": lambda pem: base64.b64encode(pem),  # inline_bytes, a Secret's data
    "base64-bundle": lambda pem: base64.b64encode(certificate() + pem),  # a chain and its key in one file
    "json-escaped-bundle": lambda pem: json.dumps((certificate() + pem).decode())[1:-1].encode(),
}


def secrets_of(pem: bytes) -> list[bytes]:
    """Pieces of `pem` that must not appear in the archive in any encoding: its base64 body lines,
    and windows of its base64 encoding at each of the three alignments."""
    lines = [line for line in pem.splitlines() if line and not line.startswith(b"-----")]
    windows = []
    for shift in range(3):  # where the key starts inside a base64 blob changes its encoding
        encoded = base64.b64encode(b"\0" * shift + pem)
        windows.append(encoded[len(encoded) // 2 : len(encoded) // 2 + 24])
    return lines + windows


def write_and_read(tmp_path, documents: dict[str, bytes], chunk: int) -> dict[str, bytes]:
    archive = tmp_path / "mesh.tar.gz"
    with SnapshotWriter(str(archive)) as writer:
        for name, data in documents.items():
            writer.add_stream(name, lambda spool, data=data: [spool.write(data[i : i + chunk]) for i in range(0, len(data), chunk)])
        writer.add_bytes("whole.json", b"".join(documents.values()))
    with tarfile.open(archive, "r:gz") as tar:
        return {member.name: tar.extractfile(member).read() for member in tar.getmembers()}


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000, 1 << 16])
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_no_key_reaches_the_archive(tmp_path, encoding, chunk):
    encode = ENCODINGS[encoding]
    documents = {
        f"pods/ns/p{i}/{label.replace(' ', '_')}.json": b'{"cert": "' + base64.b64encode(certificate()) + b'", "key": "' + encode(pem) + b'", "after": "x"}'
        for i, (label, pem) in enumerate(keys().items())
    }
    stored = write_and_read(tmp_path, documents, chunk)
    assert set(stored) == {*documents, "whole.json"}
    everything = b"\n".join(stored.values())
    for label, pem in keys().items():
        for secret in secrets_of(pem):
            assert secret not in everything, (label, secret)
    assert b"PRIVATE KEY" not in everything
    for name, data in documents.items():  # the rest of each document is kept as it was
        assert stored[name].startswith(data[: data.index(b'"key": "') + 8]) and stored[name].endswith(b'", "after": "x"}')
        assert _shows_redaction(stored[name][len(data[: data.index(b'"key": "') + 8]) : -len(b'", "after": "x"}')])


def _shows_redaction(value: bytes) -> bool:
    """The marker is there as written, or inside the base64 the key was in."""
    if b"[redacted]" in value:
        return True
    try:
        return b"[redacted]" in base64.b64decode(value, validate=True)
    except ValueError:
        return False


def test_certificates_are_kept(tmp_path):
    cert = certificate()
    documents = {"a.json": json.dumps({"pem": cert.decode()}).encode(), "b.json": base64.b64encode(cert + cert)}
    assert write_and_read(tmp_path, documents, 5) == {**documents, "whole.json": b"".join(documents.values())}
