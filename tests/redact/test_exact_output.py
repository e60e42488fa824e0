"""The redactor's output byte for byte: what is replaced, with what, and where the replacement ends.

The property tests (test_redact.py) prove that no key is printed and that text without one is
unchanged; these pin the exact output for each form docs/security.md names (PEM of any label, with
legacy headers, folded, without END; base64 on one line, wrapped with real, \\r\\n or JSON-escaped
line breaks, escaped once or twice, at 64 and 76 columns), and that a stream cut anywhere writes
the same bytes, as text and as bytes.
"""

from __future__ import annotations

import base64
import json
import textwrap

import pytest

from meshctl.redact import REDACTED, REDACTED_B64, ByteStreamRedactor, StreamRedactor, redact_binary, redact_bytes, redact_text

from helpers.keys import certificate_pem, key_forms


def _form(name: str) -> bytes:
    return next(f for f in key_forms() if f.name == name).data


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _lines(text: str, width: int = 64) -> list[str]:
    return textwrap.wrap(text, width)


def _pem_body(pem: str) -> str:
    return "\n".join(line for line in pem.splitlines() if not line.startswith("-----"))


SEC1 = _b64(_form("p256-sec1-der"))  # 121 bytes: 164 characters, "==" padding
ED25519 = _form("ed25519-pkcs8-pem").decode()  # one body line of 64 characters
RSA = _form("rsa1024-pkcs1-pem").decode()
CERT = certificate_pem().decode()


def cases() -> list[tuple[str, str, str]]:
    """(name, input, exact output)."""
    lying_headers = "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,0123456789ABCDEF\n\n" + _pem_body(RSA) + "\n-----END CERTIFICATE-----\n"
    return [
        ("base64 on one line, padded", "x: " + SEC1 + "\n", "x: " + REDACTED_B64 + "\n"),
        ("base64 wrapped at 64, indented (YAML block)", "k: |\n    " + "\n    ".join(_lines(SEC1)) + "\nnext: v\n", "k: |\n    " + REDACTED_B64 + "\nnext: v\n"),
        ("base64 wrapped at 76", "\n".join(_lines(SEC1, 76)) + "\n", REDACTED_B64 + "\n"),
        ("base64 wrapped with JSON's escaped LF", '{"k": "' + "\\n".join(_lines(SEC1)) + '"}', '{"k": "' + REDACTED_B64 + '"}'),
        ("base64 wrapped with JSON's escaped LF, escaped twice", '"' + "\\\\n".join(_lines(SEC1)) + '"', '"' + REDACTED_B64 + '"'),
        ("base64 wrapped with CRLF", "k: " + "\r\n".join(_lines(SEC1)) + "\r\nz", "k: " + REDACTED_B64 + "\r\nz"),
        ("base64 wrapped with JSON's escaped CRLF", '"' + "\\r\\n".join(_lines(SEC1)) + '"', '"' + REDACTED_B64 + '"'),
        ("base64 after three characters", "x: QUJ" + SEC1 + ",", "x: QUJ" + REDACTED_B64 + ","),
        ("PEM in text", "a\n" + ED25519 + "b", "a\n" + REDACTED + "\nb"),
        ("PEM escaped in JSON", json.dumps({"k": ED25519, "n": 1}), json.dumps({"k": REDACTED + "\n", "n": 1})),
        ("PEM with a lower-case label", ED25519.replace("PRIVATE KEY", "private key"), REDACTED + "\n"),
        ("PEM whose END names a key", ED25519.replace("BEGIN PRIVATE KEY", "BEGIN CERTIFICATE"), REDACTED + "\n"),
        ("PEM whose END says CERTIFICATE", ED25519.replace("END PRIVATE KEY", "END CERTIFICATE") + "tail", REDACTED + "\ntail"),
        ("PEM that lies, with legacy headers", "pem: " + lying_headers, "pem: " + REDACTED + "\n"),
        ("PEM without END: the block ends with its body", ED25519.split("-----END")[0] + '", "b": "x"', REDACTED + '\n", "b": "x"'),
        ("a BEGIN line alone", "x -----BEGIN PRIVATE KEY----- y", "x " + REDACTED + " y"),
        ("a BEGIN line with a folded label", ED25519.replace("PRIVATE KEY-----\n", "PRIVATE\n  KEY-----\n", 1), REDACTED + "\n"),
        ("a BEGIN line never closed", "x -----BEGIN PRIVATE KEY y", "x -----BEGIN PRIVATE KEY y"),
        ("a certificate", "c: " + json.dumps(CERT), "c: " + json.dumps(CERT)),
        ("a certificate's base64", "c: " + _b64(CERT.encode()) + "\n", "c: " + _b64(CERT.encode()) + "\n"),
        ("a certificate, then a key", CERT + ED25519, CERT + REDACTED + "\n"),
        ("two keys, text between", "a " + SEC1 + " b " + SEC1 + " c", "a " + REDACTED_B64 + " b " + REDACTED_B64 + " c"),
    ]  # fmt: skip


# Names are the test ids: no backslash in them. pytest escapes a backslash of an explicit id again each
# time a module already imported is collected again, as in mutmut's forked runs (scripts/mutation): such
# a test is then "not found" and every mutant it reaches is recorded as killed.
CASES = cases()


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_exact_output(name, text, expected):
    assert redact_text(text) == expected
    assert redact_bytes(text.encode()) == expected.encode()


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_exact_output_of_a_stream_cut_anywhere(name, text, expected):
    for cut in range(len(text) + 1):
        stream = StreamRedactor()
        assert stream.feed(text[:cut]) + stream.feed(text[cut:]) + stream.finish() == expected, cut
    data = ("é " + text + " ü").encode()
    want = ("é " + expected + " ü").encode()
    for cut in range(len(data) + 1):
        stream = ByteStreamRedactor()
        assert bytes(stream.feed(data[:cut])) + bytes(stream.feed(data[cut:])) + stream.finish() == want, cut


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_exact_output_of_a_stream_fed_one_character_at_a_time(name, text, expected):
    stream = StreamRedactor()
    assert "".join(stream.feed(c) for c in text) + stream.finish() == expected
    stream = ByteStreamRedactor()
    assert b"".join(bytes(stream.feed(bytes([b]))) for b in text.encode()) + stream.finish() == expected.encode()


def test_nesting_counts_a_pem_body_as_a_level_as_it_counts_base64():
    """MAX_DEPTH bounds the work (linear time): text, then two decoded levels are searched as text;
    the bytes a third decoding gives are searched for DER keys only. A PEM body decoded is a level,
    as a base64 run decoded is."""
    pem = _form("p256-pkcs8-pem")

    def lying(body: bytes) -> bytes:
        return b"-----BEGIN CERTIFICATE-----\n" + body + b"\n-----END CERTIFICATE-----\n"

    # base64 (level 1) of a PEM whose body (level 2) is base64 of a key's PEM text: searched, found
    assert redact_text(_b64(lying(_b64(pem).encode()))) == REDACTED_B64
    # one level deeper: the key's PEM text is level 3, not searched as text
    deeper = _b64(lying(_b64(_b64(pem).encode()).encode()))
    assert redact_text(deeper) == deeper
    # DER at level 3 is still found: the block that holds it goes
    der = _form("p256-sec1-der")
    assert redact_text(_b64(lying(_b64(_b64(der).encode()).encode()))) == REDACTED_B64


@pytest.mark.parametrize(("text", "held"), [
    ("value: " + "QUJD" * 10 + "\n\n", 9),  # an empty line ends a run: only a cut marker's length is held
    ("value: " + "QUJD" * 10 + "\n\n  ", 9),
    ("value: " + "QUJD" * 10 + "\r\n\r\n", 9),
    ("value: " + "QUJD" * 10 + "\n", 41),  # one line break: the next line may continue the run
    ("value: " + "QUJD" * 10 + "\r\n  ", 44),
])  # fmt: skip
def test_a_stream_holds_a_run_only_while_a_line_could_continue_it(text, held):
    out = StreamRedactor().feed(text)
    assert out == text[: len(text) - held]


@pytest.mark.parametrize(("text", "held"), [
    ("key: |\n  " + "A" * 20 + "\n  " + "B" * 20, "A" * 20 + "\n  " + "B" * 20),  # every line of the trailing run
    ("key: |\n  " + "A" * 20 + "\n  " + "B" * 20 + "\n  " + "C" * 7, "A" * 20 + "\n  " + "B" * 20 + "\n  " + "C" * 7),
    ('"' + "A" * 20 + "\\n" + "B" * 20 + "\\n", "A" * 20 + "\\n" + "B" * 20 + "\\n"),  # JSON's \n, and a break at the end
    ("A" * 20 + ": " + "B" * 20, "B" * 20),  # not a line break: the run starts after it
])  # fmt: skip
def test_a_stream_holds_every_line_of_a_trailing_wrapped_run(text, held):
    """The hold is the whole wrapped run that reaches the end, whatever its width: the scanner
    decides a run from its first line."""
    assert StreamRedactor().feed(text) == text[: len(text) - len(held)]


def test_a_run_shorter_than_sixty_characters_is_kept_and_the_text_after_it_too():
    """docs/security.md: a run of 60 or more base64 characters is decoded. A candidate line (48 or
    more) that is shorter is kept as it is, even when its bytes are a key cut short, and the scan
    goes on after it."""
    der = _form("ed25519-pkcs8-der")
    cut = _b64(der[:44]).rstrip("=")  # 59 characters: a key cut short, too short to be looked at
    assert len(cut) == 59
    for text in (f"a: {cut} b", f"a: {cut}\nb: {SEC1}\n", "x " + "A" * 48 + " y", "x " + "A" * 59 + "\n" + "B" * 59 + "=="):
        expected = text.replace(SEC1, REDACTED_B64)
        assert redact_text(text) == expected
        stream = StreamRedactor()
        assert stream.feed(text) + stream.finish() == expected
    longer = _b64(der[:45])  # 60 characters: looked at, and found
    assert len(longer) == 60 and redact_text(f"a: {longer} b") == f"a: {REDACTED_B64} b"


def _legacy_encrypted_pem(label: str) -> str:
    """An OpenSSL "traditional" encrypted key: RFC 1421 headers and a body of ciphertext, which has no
    key structure to find: only its label says what it is."""
    import hashlib

    body = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(20))  # 640 bytes standing in for ciphertext
    lines = "\n".join(_lines(_b64(body)))
    return f"-----BEGIN {label}-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n{lines}\n-----END {label}-----\n"


@pytest.mark.parametrize("length", [11, 15, 65, 66, 70, 79])
def test_a_stream_cut_inside_a_long_label_still_sees_the_block(length):
    """A label may be up to 80 characters: a stream cut anywhere in a BEGIN or END line of that length
    must hold it until the line is whole (it held only 80 characters from BEGIN, so a cut in a label
    of 65 or more characters let the BEGIN line through, and a body that is a key only by its label,
    such as an encrypted legacy key's, with it)."""
    label = ("X" * length + " RSA PRIVATE KEY")[-length:]  # "PRIVATE KEY", "RSA PRIVATE KEY", "XXX... RSA PRIVATE KEY"
    text = "a: " + _legacy_encrypted_pem(label) + "tail"
    expected = "a: " + REDACTED + "\ntail"
    assert redact_text(text) == expected
    for cut in range(len(text) + 1):
        stream = StreamRedactor()
        assert stream.feed(text[:cut]) + stream.feed(text[cut:]) + stream.finish() == expected, cut


@pytest.mark.parametrize("next_key", ["0'", '0"', "0\\\\", "0\\"])
def test_a_quote_after_a_short_line_is_the_next_key_unless_the_run_opened_a_string(next_key):
    """Hypothesis found it (go-yaml output, a random key): `"": <base64 of a key, one line, no padding>`
    then the key `0'`: "0" was taken as the run's last line, as if the quote closed a string, and
    replaced with the run, leaving `<replacement>': kept`, which is not YAML."""
    import yaml

    from meshctl.render.data import to_yaml

    data = next(pre + _form("p256-sec1-der") for pre in (b"", b"\x07", b"\x07\x07") if (len(pre) + len(_form("p256-sec1-der"))) % 3 == 0)
    text = to_yaml({"": _b64(data), next_key: "kept"})
    out = redact_text(text)
    assert yaml.safe_load(out) == {"": _b64(redact_binary(data)), next_key: "kept"}


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_run_wrapped_with_real_line_breaks_inside_a_quoted_string_ends_at_the_quote(quote):
    """Two or more lines: a wrapped block, whose short last line a quote ends (a stream decides it
    on the run alone, as the whole text does: it holds text from the run's start)."""
    lines = _lines(SEC1.rstrip("="), 64)
    assert len(lines) == 3 and len(lines[-1]) < 64
    text = f"key: {quote}" + "\n".join(lines) + f"{quote}\nnext: v\n"
    assert redact_text(text) == f"key: {quote}{REDACTED_B64}{quote}\nnext: v\n"
    for cut in range(len(text) + 1):
        stream = StreamRedactor()
        assert stream.feed(text[:cut]) + stream.feed(text[cut:]) + stream.finish() == redact_text(text), cut


def test_text_without_a_key_is_returned_itself_not_a_copy():
    """meshctl.redact: input with no key is returned without a copy (the cost of redacting big
    output that holds none), whether or not it holds candidates (a certificate, a long base64 run)."""
    for text in ("plain words", "c: " + json.dumps(CERT), "c: " + _b64(CERT.encode()) + "\n", "A" * 100):
        assert redact_text(text) is text
        data = text.encode()
        assert redact_bytes(data) is data


def test_a_stream_holds_a_begin_or_end_line_only_while_it_can_still_be_one():
    """The longest BEGIN or END line is 95 characters (a label of 80): with 95 characters after a
    BEGIN that are not a BEGIN line, it never will be one, and the text is written (but for a cut
    marker's length); with 94, the next chunk may complete it."""
    for tail, written in ((95, "a -----BEGIN" + "." * 76), (94, "a ")):
        assert StreamRedactor().feed("a -----BEGIN" + "." * (tail - 10)) == written, tail
    body = ED25519.split("-----END")[0]  # BEGIN line, body, line break
    for tail, written in ((95, REDACTED + "\n" + "." * 86), (94, "")):
        assert StreamRedactor().feed(body + "." * tail) == written, tail


def test_a_block_is_a_key_when_either_label_names_one():
    """A body of ciphertext has no key structure: the labels decide. Either the BEGIN or the END
    label naming a private key makes the block a key; neither, and it stays."""
    legacy = _legacy_encrypted_pem("RSA PRIVATE KEY")
    for text, expected in (
        (legacy, REDACTED + "\n"),
        (legacy.replace("BEGIN RSA PRIVATE KEY", "BEGIN CERTIFICATE"), REDACTED + "\n"),
        (legacy.replace("END RSA PRIVATE KEY", "END CERTIFICATE"), REDACTED + "\n"),
        (legacy.replace("RSA PRIVATE KEY", "CERTIFICATE"), legacy.replace("RSA PRIVATE KEY", "CERTIFICATE")),
        (legacy.replace("RSA PRIVATE KEY", "rsa private key"), REDACTED + "\n"),
    ):
        assert redact_text(text) == expected


def test_an_end_line_before_a_block_is_not_that_blocks_end():
    """Only an END right after a block's body ends it: a key's END line earlier in the text does not
    make a certificate that has no END a key, nor end it."""
    no_end = CERT.split("-----END")[0]
    text = "-----END PRIVATE KEY-----\n" + no_end + "tail"
    assert redact_text(text) == text
