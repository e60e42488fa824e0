"""sprig's crypto.go: hashes, random bytes, UUIDs, keys, certificates, AES, derivePassword.

Random by nature; `cryptography` is imported only when a key or certificate function runs.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import os

from meshctl.goenc import gojson
from meshctl.goenc.gofmt import sprint
from meshctl.gotemplate.limits import check_size, spend
from meshctl.gotemplate.params import FuncError, arg_int, arg_str, as_slice, iface, type_error
from meshctl.gotemplate.typed import OpaqueStruct

from .date import UTC
from .strings import b64dec, from_bytes, to_bytes


def _hexdigest(algo: str):
    def digest(s):
        import hashlib

        return hashlib.new(algo, to_bytes(arg_str(s))).hexdigest()

    digest.__name__ = algo + "sum"
    return digest


def rand_bytes(count):
    check_size(arg_int(count) * 4 // 3)
    return base64.b64encode(os.urandom(arg_int(count))).decode()


class Certificate(OpaqueStruct):
    """sprig's `certificate` struct: the PEM texts in .Cert and .Key."""

    go_type = "sprig.certificate"
    __slots__ = ("cert", "key")

    def __init__(self, cert: str, key: str):
        self.cert, self.key = cert, key

    def go_field(self, name: str):
        return (True, self.cert) if name == "Cert" else (True, self.key) if name == "Key" else (False, None)

    def go_fields(self):
        return [("Cert", self.cert), ("Key", self.key)]

    def has_field(self, name: str) -> bool:
        return name in ("Cert", "Key")

    def to_plain(self):
        return gojson.StructFields([("Cert", self.cert), ("Key", self.key)])


def _pem_for_key(key) -> str:
    # crypto.go pemBlockForKey: PKCS#1 for RSA, SEC 1 for ECDSA, OpenSSL's DSA form, PKCS#8 otherwise.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

    traditional = isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, dsa.DSAPrivateKey))
    fmt = serialization.PrivateFormat.TraditionalOpenSSL if traditional else serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


# A key generated or a password derived (scrypt with 64 MB) takes up to a second: each counts this many
# execution steps, so that a template cannot loop over them for minutes (meshctl.gotemplate.limits).
KEY_STEPS = 100_000


def gen_private_key(typ):
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

    spend(KEY_STEPS)
    typ = arg_str(typ)
    generators = {
        "": lambda: rsa.generate_private_key(65537, 4096),
        "rsa": lambda: rsa.generate_private_key(65537, 4096),
        "dsa": lambda: dsa.generate_private_key(2048),
        "ecdsa": lambda: ec.generate_private_key(ec.SECP256R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate,
    }
    if typ not in generators:
        return "Unknown type " + typ
    return _pem_for_key(generators[typ]())


def _load_key(pem_text: str):
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_pem_private_key(pem_text.encode(), password=None)
    except (ValueError, TypeError):
        raise FuncError("error parsing private key: no PEM data found or the key is not supported") from None


def _names(values, what: str) -> list[str]:
    out = []
    for v in as_slice(iface(values)) or []:
        if not isinstance(v, str):
            raise FuncError(f"error processing {what}: {sprint(v)} is not a string")
        out.append(v)
    return out


def _issue(cn: str, ips, dns, days: int, key, issuer=None, is_ca: bool = False) -> Certificate:
    # crypto.go getBaseCertTemplate + getCertAndKey: a random 128-bit serial, valid from now for `days`,
    # server+client auth; a CA also signs certificates. `issuer` is (ca cert, ca key) or None (self-signed).
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    addresses = []
    for ip in _names(ips, "ip"):
        try:
            addresses.append(x509.IPAddress(ipaddress.ip_address(ip)))
        except ValueError:
            raise FuncError(f"error parsing ip: {ip}") from None
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]) if cn else x509.Name([])
    ca_cert, ca_key = issuer or (None, key)
    now = datetime.datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject if ca_cert is not None else subject)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(os.urandom(16), "big") or 1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=is_ca, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    dns_names = [x509.DNSName(d) for d in _names(dns, "alternate dns name")]
    if addresses or dns_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(dns_names + addresses), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return Certificate(cert.public_bytes(serialization.Encoding.PEM).decode(), _pem_for_key(key))


def _rsa2048():
    from cryptography.hazmat.primitives.asymmetric import rsa

    spend(KEY_STEPS)
    return rsa.generate_private_key(65537, 2048)


def _ca_arg(ca):
    from cryptography import x509

    if not isinstance(ca, Certificate):
        raise type_error(ca, "sprig.certificate")
    try:
        return x509.load_pem_x509_certificate(ca.cert.encode()), _load_key(ca.key)
    except ValueError:
        raise FuncError("unable to decode CA certificate") from None


def build_custom_cert(b64cert, b64key):
    try:
        cert = base64.b64decode(arg_str(b64cert), validate=True).decode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError):
        raise FuncError("unable to decode base64 certificate") from None
    try:
        key = base64.b64decode(arg_str(b64key), validate=True).decode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError):
        raise FuncError("unable to decode base64 private key") from None
    from cryptography import x509

    try:
        x509.load_pem_x509_certificate(cert.encode("utf-8", "surrogateescape"))
    except ValueError:
        raise FuncError("unable to decode certificate") from None
    _load_key(key)
    return Certificate(cert, key)


def _aes_key(password: str) -> bytes:
    # crypto.go: copy(key[32], password): truncated or zero-padded to 32 bytes (AES-256).
    return to_bytes(password)[:32].ljust(32, b"\0")


def encrypt_aes(password, plaintext):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    password, plaintext = arg_str(password), arg_str(plaintext)
    if plaintext == "":
        return ""
    content = to_bytes(plaintext)
    pad = 16 - len(content) % 16
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(_aes_key(password)), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + enc.update(content + bytes([pad]) * pad) + enc.finalize()).decode()


def decrypt_aes(password, crypt64):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    password, crypt64 = arg_str(password), arg_str(crypt64)
    if crypt64 == "":
        return ""
    try:
        data = base64.b64decode(crypt64, validate=True)
    except (binascii.Error, ValueError):
        raise FuncError(b64dec(crypt64)) from None
    if len(data) < 32 or len(data) % 16:
        raise FuncError("crypto/cipher: input not full blocks")
    dec = Cipher(algorithms.AES(_aes_key(password)), modes.CBC(data[:16])).decryptor()
    plain = dec.update(data[16:]) + dec.finalize()
    if plain[-1] > len(plain):
        raise FuncError("runtime error: slice bounds out of range")
    return from_bytes(plain[: len(plain) - plain[-1]])


# crypto.go derivePassword: the Master Password algorithm (v3).
_MPW_TEMPLATES = {
    "maximum": ["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
    "long": ["CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv", "CvccCvcvCvcvno",
             "CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc", "CvcvCvcvnoCvcc", "CvcvCvcvCvccno",
             "CvccnoCvccCvcv", "CvccCvccnoCvcv", "CvccCvccCvcvno", "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno",
             "CvccnoCvcvCvcc", "CvccCvcvnoCvcc", "CvccCvcvCvccno"],
    "medium": ["CvcnoCvc", "CvcCvcno"],
    "short": ["Cvcn"],
    "basic": ["aaanaaan", "aannaaan", "aaannaaa"],
    "pin": ["nnnn"],
}


_MPW_CHARACTERS = {
    "V": "AEIOU", "C": "BCDFGHJKLMNPQRSTVWXYZ", "v": "aeiou", "c": "bcdfghjklmnpqrstvwxyz",
    "A": "AEIOUBCDFGHJKLMNPQRSTVWXYZ", "a": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
    "n": "0123456789", "o": "@&%?,=[]_:-+*$#!'^~;()/.",
    "x": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
}


_MPW_SCOPE = b"com.lyndir.masterpassword"


def derive_password(counter, password_type, password, user, site):
    import hmac
    import struct

    spend(KEY_STEPS)
    counter = arg_int(counter)
    if not 0 <= counter < 1 << 32:
        raise type_error(counter, "uint32")
    password_type, password, user, site = map(arg_str, (password_type, password, user, site))
    templates = _MPW_TEMPLATES.get(password_type)
    if templates is None:
        return f"cannot find password template {password_type}"
    user_b, site_b = to_bytes(user), to_bytes(site)
    salt = _MPW_SCOPE + struct.pack(">I", len(user_b)) + user_b
    import hashlib

    key = hashlib.scrypt(to_bytes(password), salt=salt, n=32768, r=8, p=2, dklen=64, maxmem=64 << 20)
    seed = hmac.new(key, _MPW_SCOPE + struct.pack(">I", len(site_b)) + site_b + struct.pack(">I", counter), "sha256").digest()
    template = templates[seed[0] % len(templates)]
    return "".join(_MPW_CHARACTERS[c][seed[i + 1] % len(_MPW_CHARACTERS[c])] for i, c in enumerate(template))


def _not_implemented(name: str):
    def refuse(*_args):
        raise FuncError(f"sprig function {name!r} is not implemented by meshctl")

    refuse.__name__ = name
    return refuse


# The function map's entries for crypto.go (sha256sum, genCA, ...), named after sprig's own.
sha1sum, sha256sum, sha512sum = _hexdigest("sha1"), _hexdigest("sha256"), _hexdigest("sha512")
# bcrypt hashes (bcrypt, htpasswd) need a bcrypt implementation, which neither the standard library
# nor `cryptography` has. Templates may name them (they parse) but executing one is an error.
bcrypt, htpasswd = _not_implemented("bcrypt"), _not_implemented("htpasswd")


def adler32sum(s) -> str:
    import zlib

    return str(zlib.adler32(to_bytes(arg_str(s))))


def uuidv4() -> str:
    import uuid

    return str(uuid.uuid4())


def gen_ca(cn, days) -> Certificate:
    """generateCertificateAuthority."""
    return _issue(arg_str(cn), None, None, arg_int(days), _rsa2048(), is_ca=True)


def gen_ca_with_key(cn, days, key) -> Certificate:
    """generateCertificateAuthorityWithPEMKey."""
    return _issue(arg_str(cn), None, None, arg_int(days), _load_key(arg_str(key)), is_ca=True)


def gen_self_signed_cert(cn, ips, dns, days) -> Certificate:
    """generateSelfSignedCertificate."""
    return _issue(arg_str(cn), ips, dns, arg_int(days), _rsa2048())


def gen_self_signed_cert_with_key(cn, ips, dns, days, key) -> Certificate:
    """generateSelfSignedCertificateWithPEMKey."""
    return _issue(arg_str(cn), ips, dns, arg_int(days), _load_key(arg_str(key)))


def gen_signed_cert(cn, ips, dns, days, ca) -> Certificate:
    """generateSignedCertificate."""
    return _issue(arg_str(cn), ips, dns, arg_int(days), _rsa2048(), _ca_arg(ca))


def gen_signed_cert_with_key(cn, ips, dns, days, ca, key) -> Certificate:
    """generateSignedCertificateWithPEMKey."""
    return _issue(arg_str(cn), ips, dns, arg_int(days), _load_key(arg_str(key)), _ca_arg(ca))
