"""The redaction step: every key form in every encoding is replaced; certificates and other text stay.

Property tests (Hypothesis): random keys in random places of random text are never printed, by
`redact_text` or by the streaming redactor cut at random places; random text without a key,
certificates included, comes out unchanged; JSON and YAML stay valid and keep their other values.
"""

from __future__ import annotations

import base64
import json
import time

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from meshctl.redact import REDACTED, REDACTED_B64, ByteStreamRedactor, StreamRedactor, redact_bytes, redact_text
from meshctl.redact.der import find_keys

from helpers.keys import certificate_pem, encodings, key_forms

FORMS = key_forms()
CASES = [(form, how, text, secrets) for form in FORMS for how, text, secrets in encodings(form)]


def _leaks(out: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret and secret in out]


@pytest.mark.parametrize(("form", "how", "text", "secrets"), CASES, ids=[f"{c[0].name}-{c[1]}" for c in CASES])
def test_every_key_form_in_every_encoding_is_replaced(form, how, text, secrets):
    document = json.dumps({"before": "kept", "key": text, "after": "kept too"})
    out = redact_text(document)
    assert not _leaks(out, secrets)
    parsed = json.loads(out)  # still JSON, other values untouched
    assert parsed["before"] == "kept" and parsed["after"] == "kept too"
    assert REDACTED in parsed["key"] or REDACTED_B64 in parsed["key"] or REDACTED in base64.b64decode(parsed["key"] + "==").decode("latin-1")


def test_der_keys_are_found_and_certificates_are_not():
    from cryptography import x509

    for form in FORMS:
        if not form.pem and "encrypted" not in form.name:
            assert find_keys(form.data) == [(0, len(form.data))], form.name
    cert = x509.load_pem_x509_certificate(certificate_pem())
    from cryptography.hazmat.primitives.serialization import Encoding

    assert find_keys(cert.public_bytes(Encoding.DER)) == []


def test_certificates_stay_intact_in_every_encoding():
    pem = certificate_pem()
    b64 = base64.b64encode(pem).decode()
    for text in (pem.decode(), json.dumps(pem.decode()), b64, json.dumps({"inline_bytes": b64})):
        assert redact_text(text) == text


def test_a_bundle_keeps_its_certificate():
    key = next(f for f in FORMS if f.name == "p256-pkcs8-pem").data
    bundle = base64.b64encode(certificate_pem() + key).decode()
    decoded = base64.b64decode(redact_text(bundle))
    assert decoded == certificate_pem() + REDACTED.encode() + b"\n"


def test_the_snapshot_cases():
    key = next(f for f in FORMS if f.name == "rsa2048-pkcs8-pem").data.decode()
    body = key.splitlines()[5]
    # mismatched labels; no END; unrelated data between an unterminated BEGIN and a later END is kept
    mismatched = key.replace("-----END PRIVATE KEY-----", "-----END CERTIFICATE-----")
    assert body not in redact_text(mismatched) and "CERTIFICATE" not in redact_text(mismatched)
    no_end = json.dumps({"a": key.split("-----END")[0][:300], "b": "unrelated", "c": "-----END PRIVATE KEY-----"})
    out = json.loads(redact_text(no_end))
    assert out == {"a": REDACTED, "b": "unrelated", "c": "-----END PRIVATE KEY-----"}
    # a label that lies: a key's body under a CERTIFICATE label
    lying = key.replace("PRIVATE KEY", "CERTIFICATE")
    assert body not in redact_text(lying)


def test_20_mb_of_begin_lines_is_linear():
    line = "-----BEGIN PRIVATE KEY-----x"
    flood = line * (2_000_000 // 28)
    started = time.process_time()
    small = redact_text(line * (2_000_000 // 280))
    small_cost = time.process_time() - started
    started = time.process_time()
    out = redact_text(flood)
    cost = time.process_time() - started
    assert out == REDACTED * (2_000_000 // 28)
    assert small == REDACTED * (2_000_000 // 280)
    assert cost < 20 * small_cost + 0.5  # ten times the input: about ten times the work, not a hundred


# -- properties --------------------------------------------------------------------------------

# text around keys: anything, including base64-looking runs and dashes
_filler = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
_b64ish = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-\n "), max_size=300)
_plain = st.one_of(_filler, _b64ish, st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode()))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(CASES), before=_plain, after=_plain, cuts=st.lists(st.integers(0, 20000), max_size=6))
def test_random_keys_in_random_places_are_never_printed(case, before, after, cuts):
    _, _, key_text, secrets = case
    # a key runs into text only through a separator, or base64 could not say where it starts
    text = f"{before} {key_text}\n{after}"
    assert not _leaks(redact_text(text), secrets)
    stream = StreamRedactor()
    pieces, last = [], 0
    for cut in sorted(c % (len(text) + 1) for c in cuts):
        pieces.append(stream.feed(text[last:cut]))
        last = cut
    pieces.append(stream.feed(text[last:]))
    pieces.append(stream.finish())
    assert not _leaks("".join(pieces), secrets)


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(_plain, st.lists(_plain, max_size=8).map("\n".join)), cuts=st.lists(st.integers(0, 3000), max_size=5))
def test_random_text_without_keys_is_never_changed(text, cuts):
    assume(not find_keys(text.encode("latin-1", "replace")))
    assert redact_text(text) == text
    data = text.encode()
    stream = ByteStreamRedactor()
    pieces, last = [], 0
    for cut in sorted(c % (len(data) + 1) for c in cuts):
        pieces.append(stream.feed(data[last:cut]))
        last = cut
    pieces += [stream.feed(data[last:]), stream.finish()]
    assert b"".join(pieces) == data
    assert redact_bytes(data) == data


# mapping keys without line or paragraph separators and controls (PyYAML reads U+2028 in a key as a line break)
_keys = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S"), include_characters=" "), max_size=10)


@settings(max_examples=100, deadline=None)
@given(values=st.dictionaries(_keys, _plain, max_size=5), case=st.sampled_from(CASES), where=_keys)
def test_documents_stay_valid_json_and_yaml(values, case, where):
    import yaml

    from meshctl.render.data import to_json, to_yaml

    _, _, key_text, secrets = case
    assume("<<" not in (where, *values))  # a YAML merge key: not a string key to PyYAML, with or without a key
    document = {**values, where: key_text}
    for render, load in ((to_json, json.loads), (to_yaml, yaml.safe_load)):
        text = render(document)
        out = redact_text(text)
        assert not _leaks(out, secrets)
        try:
            unredacted = load(text)
        except yaml.YAMLError:
            continue  # PyYAML (YAML 1.1) reads a go-yaml scalar such as "=" otherwise: nothing to compare
        loaded = load(out)
        assert {k: v for k, v in loaded.items() if k != where} == {k: v for k, v in unredacted.items() if k != where}


def test_certificate_pem_survives_yaml_and_json_rendering():
    from meshctl.render.data import to_json, to_yaml

    document = {"tls_certificate": {"certificate_chain": {"inline_string": certificate_pem().decode()}}}
    for render in (to_json, to_yaml):
        assert redact_text(render(document)) == render(document)


def test_write_chunks_redacts_a_key_cut_between_chunks():
    """emit's streaming path (a `Serialized` document, `pc all -o json`) redacts across chunk cuts,
    on a text stream and on one with a binary buffer under it."""
    import io

    from meshctl.emit import write_chunks
    from meshctl.env import Env

    key = next(f for f in FORMS if f.name == "rsa2048-pkcs8-pem").data.decode()
    text = json.dumps({"a": "x" * 5000, "é": "ü" * 300, "key": key, "b": base64.b64encode(next(f for f in FORMS if f.name == "p256-sec1-der").data).decode()})
    data = text.encode()
    for size in (1, 7, 100, 4096):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        text_stream = io.StringIO()
        binary = io.BytesIO()
        wrapped = io.TextIOWrapper(binary, encoding="utf-8")
        for stream in (text_stream, wrapped):
            write_chunks(Env(stdout=stream, stderr=io.StringIO()), iter(chunks))
        for out in (text_stream.getvalue(), binary.getvalue().decode()):
            assert out == redact_text(text)
            assert json.loads(out)["key"] == REDACTED + "\n" and json.loads(out)["b"] == REDACTED_B64


@pytest.mark.parametrize("next_key", ["0-", "0,", "a b", "0a-", "ab"])
def test_a_short_line_after_a_key_on_one_line_is_the_next_key_not_the_keys_last_line(next_key):
    # Hypothesis found it: go-yaml writes `"": <base64 key>\n0-: ""`; "0" was taken as the last line of
    # a wrapped run and replaced with the key, joining the two lines into invalid YAML.
    import yaml

    from meshctl.render.data import to_yaml

    form = next(f for f in FORMS if f.name == "p384-pkcs8-encrypted-der")
    for how, text, secrets in encodings(form):
        if how not in ("base64-der", "base64-der-after-1-byte"):
            continue
        document = {"": text, next_key: "kept"}
        out = redact_text(to_yaml(document))
        assert not _leaks(out, secrets)
        assert yaml.safe_load(out)[next_key] == "kept"


def test_redact_binary_replaces_der_and_pem_keys_in_decoded_bytes():
    from meshctl.redact import redact_binary

    der = next(f for f in FORMS if f.name == "p256-sec1-der").data
    pem = next(f for f in FORMS if f.name == "ed25519-pkcs8-pem").data
    assert redact_binary(b"head " + der + b" tail") == b"head " + REDACTED.encode() + b" tail"
    assert redact_binary(b"head\n" + pem + b"tail") == b"head\n" + REDACTED.encode() + b"\ntail"
    assert redact_binary(b"no key here " + certificate_pem()) is None


def _split_document() -> str:
    """Keys as they sit in dumps and YAML: escaped PEM in JSON, base64 of DER on one line and wrapped
    (indented, at 64 columns), a certificate that must stay, and ordinary base64 and text around them."""
    pem = next(f for f in FORMS if f.name == "ed25519-pkcs8-pem").data.decode()
    der = next(f for f in FORMS if f.name == "p256-sec1-der").data
    b64 = base64.b64encode(der).decode()
    wrapped = "\n".join("    " + b64[i : i + 64] for i in range(0, len(b64), 64))
    return (
        json.dumps({"inline_string": pem, "inline_bytes": b64, "other": base64.b64encode(b"not a key at all").decode()})
        + "\nprivate_key: |\n" + wrapped + "\nnext: value\n"
        + "ca: " + base64.b64encode(certificate_pem()[:120]).decode() + "\n"
    )  # fmt: skip


def test_a_stream_cut_at_any_place_writes_what_the_whole_text_gives():
    """StreamRedactor's contract: the chunks' output, joined, is redact_text of the chunks joined;
    for every place of a cut in two (and three) pieces."""
    text = _split_document()
    whole = redact_text(text)
    assert whole.count(REDACTED) + whole.count(REDACTED_B64) == 3 and "not a key at all" not in text
    for cut in range(len(text) + 1):
        stream = StreamRedactor()
        out = stream.feed(text[:cut]) + stream.feed(text[cut:]) + stream.finish()
        assert out == whole, cut
    for cut in range(0, len(text) + 1, 7):
        stream = StreamRedactor()
        third = cut + (len(text) - cut) // 2
        out = stream.feed(text[:cut]) + stream.feed(text[cut:third]) + stream.feed(text[third:]) + stream.finish()
        assert out == whole, cut


@pytest.mark.parametrize(("text", "held"), [
    ("plain words; and more punctuation!! " + "." * 20, "." * 9),  # a cut marker: LONGEST_MARKER - 1 characters
    ("text ---", "text ---"),  # shorter than that: all of it
    ("value: " + "QUJD" * 10, "QUJD" * 10),  # the base64 run that reaches the end
    ("value: QUJDQUJD\n", "QUJDQUJD\n"),  # a run and a line break: the next line may continue it
    ("value: QUJDQUJD\n   ", "QUJDQUJD\n   "),  # and its indentation
    ("x QUJDQUJDQUJD   ", "QUJDQUJDQUJD   "),  # blanks after a run
    ("a sentence.\n" + " " * 20, "\n" + " " * 20),  # a line break and its indentation, more than a marker
    ("key: |\n  " + "A" * 64 + "\n  " + "B" * 20, "A" * 64 + "\n  " + "B" * 20),  # every line of a wrapped run
    ('{"k": "' + "A" * 64 + "\\n" + "B" * 20, "A" * 64 + "\\n" + "B" * 20),  # wrapped with JSON's \n
])  # fmt: skip
def test_a_stream_holds_back_only_what_the_next_chunk_could_change(text, held):
    out = StreamRedactor().feed(text)
    assert out + held == text


@pytest.mark.parametrize(("data", "held"), [
    (b"plain text, nothing here; " * 4, 10),  # a BEGIN marker may be cut: its length
    (b"ends in base64; " + b"A" * 11, 11),  # a base64 line may grow into a candidate: all of it
    (b"ends in base64; " + b"A" * 47, 47),  # one less than a candidate line
    (b"short", 5),
])  # fmt: skip
def test_open_tail_is_what_the_next_bytes_could_make_a_candidate(data, held):
    from meshctl.redact.candidates import open_tail

    assert len(data) - open_tail(data) == held


@pytest.mark.parametrize(("escaped", "plain"), [
    (rb'"\u002d\u002D\u002d\u002d\u002dBEGIN"', b'"-----BEGIN"'),  # dashes, either case of hex digit
    (rb'"a\/b\u002fc\u002Bd\u003de\u0020f\u0039g\u0041\u007a"', b'"a/b/c+d=e f9gAz"'),  # what base64 and PEM are made of
    (rb'"\u0022\u005c\u007f"', rb'"\u0022\u005c\u007f"'),  # quote, backslash, DEL: escaped they must stay
    (rb'"\u003c\u003e\u0026"', rb'"\u003c\u003e\u0026"'),  # Go's <, >, &: never part of a key
    (rb'"\\u002d"', rb'"\\u002d"'),  # an escaped backslash, then the letters u002d
    (rb'"\\\u002d"', rb'"\\-"'),  # an escaped backslash, then an escaped dash
    (b'"no escapes"', b'"no escapes"'),
])  # fmt: skip
def test_json_escapes_of_key_characters_are_written_as_the_characters(escaped, plain):
    from meshctl.archive.scrub import normalize_escapes

    assert normalize_escapes(escaped) == plain
    assert json.loads(normalize_escapes(escaped)) == json.loads(escaped)  # the same JSON value


def test_a_scrubbed_stream_cut_anywhere_gives_what_the_whole_gives():
    from meshctl.archive.scrub import StreamScrubber, scrub

    pem = next(f for f in FORMS if f.name == "ed25519-pkcs8-pem").data.decode()
    escaped = json.dumps({"key": pem}).replace("-", "\\u002d").replace("/", "\\/").encode()
    data = b'{"a": "\\\\", "b": "\\u003c"} ' + escaped + b' {"c": "\\\\\\u002d"}'
    whole = scrub(data)
    assert REDACTED.encode() in whole and b"PRIVATE" not in whole and b"\\\\-" in whole
    for cut in range(len(data) + 1):
        stream = StreamScrubber()
        out = bytes(stream.feed(data[:cut])) + bytes(stream.feed(data[cut:])) + stream.finish()
        assert out == whole, cut


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize("skip", [0, 1, 2, 3])
def test_a_key_in_base64_is_found_from_any_of_the_first_four_characters(skip):
    der = next(f for f in FORMS if f.name == "p256-sec1-der").data
    assert redact_text("x: " + "QUJD"[:skip] + _b64(der) + "\n") == "x: " + "QUJD"[:skip] + REDACTED_B64 + "\n"


def test_sixty_base64_characters_can_hold_a_key_cut_short():
    der = next(f for f in FORMS if f.name == "ed25519-pkcs8-der").data[:45]  # 48 bytes whole: 45 are 60 characters
    assert len(_b64(der)) == 60 and redact_text(_b64(der)) == REDACTED_B64


def test_base64_inside_base64_is_looked_into_twice_and_no_deeper():
    pem = next(f for f in FORMS if f.name == "p256-pkcs8-pem").data
    # text -> base64 -> base64 -> PEM: the inner run was only a key, the outer one holds that
    assert redact_text(_b64(_b64(pem).encode())) == _b64(REDACTED_B64.encode())
    three = _b64(_b64(_b64(pem).encode()).encode())
    assert redact_text(three) == three  # MAX_DEPTH: a third level is not decoded (linear time)
    # a PEM block that says CERTIFICATE but holds a key's PEM, inside base64
    lying = b"-----BEGIN CERTIFICATE-----\n" + _b64(pem).encode() + b"\n-----END CERTIFICATE-----\n"
    assert redact_text(_b64(lying)) == REDACTED_B64


def test_redact_binary_replaces_every_key_and_looks_into_base64():
    from meshctl.redact import redact_binary

    der = next(f for f in FORMS if f.name == "p256-sec1-der").data
    pem = next(f for f in FORMS if f.name == "ed25519-pkcs8-pem").data
    assert redact_binary(der + b" mid " + der) == REDACTED.encode() + b" mid " + REDACTED.encode()
    assert redact_binary(b"x: " + _b64(pem).encode() + b"\n") == b"x: " + REDACTED_B64.encode() + b"\n"


def test_a_bundle_in_base64_keeps_the_bytes_after_the_key():
    key = next(f for f in FORMS if f.name == "p256-pkcs8-pem").data
    # a last byte chosen so that the base64 ends in "X": what follows the key must come back whole
    size = 3 - (len(certificate_pem() + key + b"end") % 3)  # no padding: the last character is free
    tail = next(bytes([b]) * size for b in range(256) if _b64(certificate_pem() + key + b"end" + bytes([b]) * size).endswith("X"))
    out = base64.b64decode(redact_text(_b64(certificate_pem() + key + b"end" + tail)))
    assert out == certificate_pem() + REDACTED.encode() + b"\nend" + tail


@pytest.mark.parametrize(("data", "carried"), [
    (b'{"a": "x\\\\y", "b": "no backslash near the end of this chunk"}', 0),
    (b'{"a": "an escape cut short: \\u00', 4),  # from its backslash
    (b'{"a": "Go\'s less-than: \\u003cb', 0),  # a backslash 7 bytes from the end: a whole escape
    (b'{"a": "a run: \\\\\\\\u0', 6),  # a run of backslashes: all of it (its parity decides)
    (b'{"a": "some text before it, x\\n\\u0', 3),  # a whole escape, then a cut one: only the cut one
])  # fmt: skip
def test_a_scrubbed_stream_carries_only_a_cut_escape(data, carried):
    from meshctl.archive.scrub import StreamScrubber

    scrubber = StreamScrubber()
    assert bytes(scrubber.feed(data)) == bytes(ByteStreamRedactor().feed(data[: len(data) - carried]))
    assert bytes(scrubber.feed(b"")) + scrubber.finish() == data[len(bytes(ByteStreamRedactor().feed(data[: len(data) - carried]))) :]


@pytest.mark.parametrize("data", [b"\\\\u0041 tail", b"\\\\", b"\\u0041 tail"])
def test_a_chunk_that_starts_with_backslashes_keeps_their_parity(data):
    from meshctl.archive.scrub import StreamScrubber, scrub

    for cut in range(len(data) + 1):
        scrubber = StreamScrubber()
        out = bytes(scrubber.feed(data[:cut])) + bytes(scrubber.feed(data[cut:])) + scrubber.finish()
        assert out == scrub(data), cut
    assert scrub(b"\\\\u0041 tail") == b"\\\\u0041 tail" and scrub(b"\\u0041 tail") == b"A tail"


def test_a_byte_stream_ended_before_any_chunk_is_empty():
    assert ByteStreamRedactor().finish() == b"" and StreamRedactor().finish() == ""


def test_a_scrubber_finished_before_any_chunk_gives_nothing():
    from meshctl.archive.scrub import StreamScrubber

    assert StreamScrubber().finish() == b""


def test_an_escape_at_the_start_is_not_taken_for_escaped_by_a_backslash_at_the_end():
    from meshctl.archive.scrub import normalize_escapes

    assert normalize_escapes(b"\\u002d, and a lone backslash at the end \\") == b"-, and a lone backslash at the end \\"
