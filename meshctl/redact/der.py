"""Private keys in binary data, recognised by their DER structure (and OpenSSH's key format).

A private key is found wherever it starts in `data`, whole or cut short, by parsing the shape its
standards give it, not by a field name:

- PKCS#1 RSAPrivateKey (RFC 8017 A.1.2): SEQUENCE { INTEGER 0, INTEGER n, INTEGER e, ... };
- PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5208, RFC 5958): SEQUENCE { INTEGER 0|1,
  SEQUENCE { OID, ... }, OCTET STRING, ... } (RSA, EC, Ed25519, X25519, ...);
- SEC1 ECPrivateKey (RFC 5915): SEQUENCE { INTEGER 1, OCTET STRING, [0] params, [1] key };
- PKCS#8 EncryptedPrivateKeyInfo (RFC 5958 3): SEQUENCE { SEQUENCE { OID of PKCS#5 or PKCS#12
  password-based encryption, ... }, OCTET STRING };
- ``openssh-key-v1\\0`` (OpenSSH's PROTOCOL.key): from the magic to the end.

A certificate never matches: its TBSCertificate begins ``[0] version`` or an INTEGER serial
inside a second SEQUENCE, never ``INTEGER 0|1`` directly in the outer one followed by a key's
second element. Each candidate costs a bounded number of steps: linear in ``len(data)``.
"""

from __future__ import annotations

_VERSIONS = (b"\x02\x01\x00", b"\x02\x01\x01")
_OPENSSH = b"openssh-key-v1\x00"
# the DER of the OID arcs 1.2.840.113549.1.5 (PKCS#5 PBES1/PBES2) and 1.2.840.113549.1.12.1 (PKCS#12 PBE)
_PBE_OIDS = (b"\x2a\x86\x48\x86\xf7\x0d\x01\x05", b"\x2a\x86\x48\x86\xf7\x0d\x01\x0c\x01")
_MAX_KEY = 1 << 16  # an RSA-16384 key is ~9.3 KB of DER; longer claims are not keys


def find_keys(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every private key in `data`, in order, not overlapping; `end` is cut at len(data)."""
    found: list[tuple[int, int]] = []
    for version in _VERSIONS:
        at = data.find(version)
        while at != -1:
            span = _plain_key(data, at)
            if span:
                found.append(span)
            at = data.find(version, at + 1)
    for oid in _PBE_OIDS:
        at = data.find(oid)
        while at != -1:
            span = _encrypted_key(data, at)
            if span:
                found.append(span)
            at = data.find(oid, at + 1)
    at = data.find(_OPENSSH)
    if at != -1:
        found.append((at, len(data)))
    return _merge(found)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _header(data: bytes, at: int) -> tuple[int, int, int] | None:
    """(tag, content start, content length) of the DER element at `at`; None if not one."""
    if at + 2 > len(data):
        return None
    tag, first = data[at], data[at + 1]
    if first < 0x80:
        return tag, at + 2, first
    count = first & 0x7F
    if count == 0 or count > 3 or at + 2 + count > len(data):
        return None
    length = int.from_bytes(data[at + 2 : at + 2 + count], "big")
    if length < 0x80 or (count > 1 and length < 0x100):  # not the shortest form: not DER
        return None
    return tag, at + 2 + count, length


def _outer_sequence(data: bytes, at: int) -> tuple[int, int] | None:
    """(start, declared end) of the SEQUENCE whose content begins at `at`, if a header ends exactly there."""
    for size in (2, 3, 4):
        start = at - size
        if start < 0 or data[start] != 0x30:
            continue
        header = _header(data, start)
        if header and header[1] == at and header[2] <= _MAX_KEY:
            return start, at + header[2]
    return None


def _elements(data: bytes, at: int, end: int, wanted: int) -> list[tuple[int, int, int]] | None:
    """Up to `wanted` elements (tag, content start, length) from `at`, stopping where `data` is cut.

    None if an element is malformed or overruns `end` while the data is there to see it.
    """
    found = []
    limit = min(end, len(data))
    while at < limit and len(found) < wanted:
        header = _header(data, at)
        if header is None:
            return None if at + 6 <= len(data) else found  # cut inside a header
        tag, content, length = header
        if content + length > end:
            return None
        found.append((tag, content, length))
        at = content + length
    if len(found) < wanted and end <= len(data) and at != end:
        return None  # complete data must be filled exactly
    return found


def _plain_key(data: bytes, version_at: int) -> tuple[int, int] | None:
    outer = _outer_sequence(data, version_at)
    if outer is None:
        return None
    start, end = outer
    elements = _elements(data, version_at, end, 10)
    if not elements or len(elements) < 2:
        # cut right after the version: too little to tell a key from chance
        return None
    version = data[version_at + 2]
    second = elements[1]
    complete = end <= len(data)
    if second[0] == 0x02 and version == 0:  # PKCS#1: nine INTEGERs
        if all(tag == 0x02 for tag, _, _ in elements) and (len(elements) == 9 or (not complete and len(elements) < 9)):
            return start, min(end, len(data))
        return None
    if second[0] == 0x30:  # PKCS#8: AlgorithmIdentifier starting with an OID, then the key OCTET STRING
        inner = _header(data, second[1])
        if inner is None or inner[0] != 0x06:
            return None
        if len(elements) >= 3 and elements[2][0] != 0x04:
            return None
        if len(elements) < 3 and complete:
            return None
        if any(tag not in (0xA0, 0x80, 0xA1, 0x81) for tag, _, _ in elements[3:]):
            return None
        return start, min(end, len(data))
    if second[0] == 0x04 and version == 1 and 16 <= second[2] <= 72:  # SEC1
        if any(tag not in (0xA0, 0xA1) for tag, _, _ in elements[2:]):
            return None
        return start, min(end, len(data))
    return None


def _encrypted_key(data: bytes, oid_at: int) -> tuple[int, int] | None:
    """EncryptedPrivateKeyInfo around the PBE OID at `oid_at` (OID header 06 LL right before it)."""
    if oid_at < 2 or data[oid_at - 2] != 0x06:
        return None
    algorithm = _outer_sequence(data, oid_at - 2)
    if algorithm is None:
        return None
    outer = _outer_sequence(data, algorithm[0])
    if outer is None:
        return None
    start, end = outer
    elements = _elements(data, algorithm[0], end, 3)
    if not elements or elements[0][0] != 0x30 or (len(elements) > 1 and elements[1][0] != 0x04):
        return None
    if end <= len(data) and len(elements) != 2:
        return None
    return start, min(end, len(data))
