"""Binary private keys (meshctl/redact/der.py), byte by byte: where a key starts, from which byte of a
key cut short it is recognised (its second element's header, X.690), and shapes that are not keys.

The threshold is computed here from the DER itself: a header is a tag byte and a length byte, plus
`length & 0x7f` more length bytes when that byte is 0x80 or more (X.690 8.1.3).
"""

from __future__ import annotations

import pytest

from meshctl.redact.der import find_keys

from helpers.keys import key_forms

DER_FORMS = [form for form in key_forms() if not form.pem]
PBE_OIDS = (bytes.fromhex("2a864886f70d0105"), bytes.fromhex("2a864886f70d010c01"))  # PKCS#5, PKCS#12 PBE arcs
PREFIX = b"x\x00\x30\x02\x01"  # bytes before the key, themselves the start of nothing


def header_end(data: bytes, at: int) -> int:
    """Where the DER header at `at` ends."""
    first = data[at + 1]
    return at + 2 + (first & 0x7F if first >= 0x80 else 0)


def recognised_from(der: bytes) -> int:
    """How many bytes of a key are needed before it is told from chance (der.py's rule, from the structure)."""
    if der[header_end(der, 0)] == 0x30:  # EncryptedPrivateKeyInfo: once its PBE OID is there
        at, oid = next((der.find(oid), oid) for oid in PBE_OIDS if der.find(oid) != -1)
        return at + len(oid)
    second = header_end(der, 0) + 3  # after the version, INTEGER 0 or 1
    end = header_end(der, second)
    if der[second] == 0x30:  # PKCS#8: and the header of the algorithm's OID
        end += 2
    return end


@pytest.mark.parametrize("form", DER_FORMS, ids=[form.name for form in DER_FORMS])
def test_a_key_cut_anywhere_is_found_once_its_second_element_begins(form):
    start = recognised_from(form.data)
    assert 7 <= start < 40
    for cut in range(len(form.data) + 1):
        data = PREFIX + form.data[:cut]
        expected = [(len(PREFIX), len(data))] if cut >= start else []
        assert find_keys(data) == expected, (cut, start)


@pytest.mark.parametrize("form", DER_FORMS, ids=[form.name for form in DER_FORMS])
def test_a_whole_key_ends_where_its_sequence_does(form):
    data = PREFIX + form.data + b"\x02\x01\x00 and more"
    assert find_keys(data) == [(len(PREFIX), len(PREFIX) + len(form.data))]
    size = len(form.data)
    assert find_keys(form.data + form.data) == [(0, size), (size, 2 * size)]  # two keys in a row: two spans


def _form(name: str) -> bytes:
    return next(form.data for form in DER_FORMS if form.name == name)


def test_pbe_oid_bytes_that_are_not_an_oid_are_not_a_key():
    der = bytearray(_form("p256-pkcs8-encrypted-der"))
    oid_at = der.find(PBE_OIDS[0])
    assert der[oid_at - 2] == 0x06
    der[oid_at - 2] = 0x04  # the same bytes as an OCTET STRING
    # (the salt and ciphertext after it are random: a chance match inside them is not this key)
    assert [span for span in find_keys(bytes(der)) if span[0] == 0] == []


def test_a_length_not_in_its_shortest_form_is_not_der():
    der = _form("ed25519-pkcs8-der")  # 30 2e ...: a short-form length
    assert find_keys(der) == [(0, len(der))]
    assert find_keys(b"\x30\x81\x2e" + der[2:]) == []  # 0x2e in long form: BER, not DER
    assert find_keys(b"\x30\x82\x00\x2e" + der[2:]) == []
    long_form = _form("p256-pkcs8-der")  # 30 81 87: the shortest form of 0x87
    assert find_keys(long_form) == [(0, len(long_form))]
    # (the SEC1 key inside its OCTET STRING is still found: it is a key)
    assert [start for start, _ in find_keys(b"\x30\x82\x00\x87" + long_form[3:])] == [30]


def test_a_complete_key_must_fill_its_sequence_exactly():
    der = _form("rsa1024-pkcs1-der")
    assert find_keys(der) == [(0, len(der))]
    grown = bytearray(der)
    grown[2:4] = (int.from_bytes(der[2:4], "big") + 3).to_bytes(2, "big")  # declares room for one more element
    assert find_keys(bytes(grown) + b"\x02\x01\x05") == []  # a tenth INTEGER: not RSAPrivateKey
    sec1 = _form("p256-sec1-der")
    assert find_keys(sec1[:-1] + b"\x00") == [(0, len(sec1))]  # the content is not looked into
    encrypted = _form("p384-pkcs8-encrypted-der")
    assert find_keys(encrypted) == [(0, len(encrypted))]
    body = encrypted[header_end(encrypted, 0):]
    trailing = body + b"\x04\x00"  # a third element after the encrypted data
    size = len(trailing)
    assert find_keys(b"\x30\x82" + size.to_bytes(2, "big") + trailing) == []


def test_an_indefinite_length_is_ber_not_der():
    sec1 = _form("p256-sec1-der")  # 30 77 ...: 119 bytes of content
    padded = b"\x30\x80" + sec1[2:] + b"\xa1\x07" + bytes(7)  # 30 80 would declare 128 bytes if read as a length
    assert [span for span in find_keys(padded) if span[0] == 0] == []


def test_a_malformed_element_is_not_taken_for_a_cut():
    pkcs1 = _form("rsa1024-pkcs1-der")  # 30 82 .. .. | 02 01 00 | 02 81 81 <n> | 02 03 <e> | ...
    e_at = header_end(pkcs1, 7) + pkcs1[9]
    bad = b"\x02\x84\x00\x00\x01\x00"  # a 4-byte length (of 256): no header here has one (at most 3 length bytes)
    assert find_keys(pkcs1[:e_at] + bad) == []  # all six bytes there: malformed
    assert find_keys(pkcs1[:e_at] + bad[:5]) == [(0, e_at + 5)]  # five: it may be a header cut short
    assert find_keys(pkcs1[:e_at] + b"\x02\x83\x01\x00\x00") == []  # a whole header, of 65536 bytes: past the SEQUENCE


def test_an_element_past_its_sequences_end_is_not_a_key():
    pkcs1 = bytearray(_form("rsa1024-pkcs1-der")[:200])  # cut: the SEQUENCE says more is to come
    assert find_keys(bytes(pkcs1)) == [(0, 200)]
    pkcs1[2:4] = (256).to_bytes(2, "big")  # the SEQUENCE now ends at 260, inside d (bytes 147 to 275)
    assert find_keys(bytes(pkcs1)) == []


def test_a_complete_sequence_of_two_integers_is_not_a_key():
    assert find_keys(b"\x30\x06\x02\x01\x00\x02\x01\x05") == []  # complete: RSAPrivateKey has nine
    assert find_keys(b"\x30\x82\x02\x00\x02\x01\x00\x02\x01\x05") == [(0, 10)]  # cut: it may be one


def test_an_encrypted_key_needs_its_octet_string_and_its_room():
    der = _form("p384-pkcs8-encrypted-der")
    algorithm_end = header_end(der, header_end(der, 0)) + der[header_end(der, 0) + 1]
    assert der[algorithm_end] == 0x04  # the encrypted data
    bit_string = der[:algorithm_end] + b"\x03" + der[algorithm_end + 1 :]
    assert [span for span in find_keys(bit_string) if span[0] == 0] == []
    too_short = b"\x30\x10" + der[header_end(der, 0) :]  # the algorithm alone is longer than 16 bytes
    assert [span for span in find_keys(too_short) if span[0] == 0] == []


def _sequence(content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return b"\x30" + bytes([length]) + content
    size = (length.bit_length() + 7) // 8
    return b"\x30" + bytes([0x80 | size]) + length.to_bytes(size, "big") + content


def _content(der: bytes) -> bytes:
    return der[header_end(der, 0) :]


@pytest.mark.parametrize("tag", [0xA0, 0x80, 0xA1, 0x81])
def test_pkcs8_may_end_with_attributes_and_a_public_key(tag):
    body = _content(_form("p256-pkcs8-der")) + bytes([tag, 2, 5, 0])  # [0] attributes, [1] public key (either form)
    assert find_keys(_sequence(body)) == [(0, len(_sequence(body)))]
    bad = _content(_form("p256-pkcs8-der")) + bytes([tag, 2, 5, 0]) + b"\x30\x00"  # then something else
    assert [span for span in find_keys(_sequence(bad)) if span[0] == 0] == []
    assert [span for span in find_keys(_sequence(_content(_form("p256-pkcs8-der")) + b"\x30\x00")) if span[0] == 0] == []


def test_pkcs8s_third_element_is_the_key_octet_string():
    content = bytearray(_content(_form("ed25519-pkcs8-der")))  # 02 01 00 | 30 05 ... | 04 22 ...
    assert content[10] == 0x04
    content[10] = 0x03
    assert find_keys(_sequence(bytes(content))) == []


@pytest.mark.parametrize(("size", "found"), [(15, False), (16, True), (32, True), (72, True), (73, False)])
def test_sec1_private_key_octet_string_sizes(size, found):
    der = _sequence(b"\x02\x01\x01\x04" + bytes([size]) + bytes(range(1, size + 1)))  # ECPrivateKey, no parameters
    assert find_keys(der) == ([(0, len(der))] if found else [])


def test_sec1_needs_version_1_and_tagged_fields_after_the_key():
    key = b"\x04\x20" + bytes(range(1, 33))
    assert find_keys(_sequence(b"\x02\x01\x01" + key + b"\xa0\x00\xa1\x00")) != []
    assert find_keys(_sequence(b"\x02\x01\x00" + key)) == []  # version 0: not ECPrivateKey
    assert find_keys(_sequence(b"\x02\x01\x01" + key + b"\x30\x00")) == []  # a third field that is not [0] or [1]



def test_an_openssh_key_runs_from_the_first_magic_to_the_end():
    magic = b"openssh-key-v1\x00"
    data = b"head " + magic + b"first" + magic + b"second"
    assert find_keys(data) == [(5, len(data))]
    der = _form("p256-sec1-der")
    assert find_keys(der + b" then " + magic + b"k") == [(0, len(der)), (len(der) + 6, len(der) + 6 + len(magic) + 1)]
