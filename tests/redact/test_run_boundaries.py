"""Where a wrapped run's last line ends it: the limits of the rule in test_padded_last_line.py.

A padded line is taken as the run's last line whatever follows it from 48 characters (a candidate's
length) on; a line that is not padded is the next token before a comma (here, a key of its own); and
a line one character wider than the run, not padded and not at the end of the text, ends the run at
once (a stream need not hold the run for padding that cannot come).
"""

from __future__ import annotations

import base64

from meshctl.redact import REDACTED_B64, StreamRedactor, redact_text

from helpers.keys import key_forms
from helpers.streams import assert_every_cut_gives


def _der(name: str) -> bytes:
    return next(f for f in key_forms() if f.name == name).data


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _both(text: str) -> str:
    """redact_text's output, checked against streams cut at every place."""
    whole = redact_text(text)
    assert_every_cut_gives(text, whole)
    return whole


def test_a_padded_line_of_48_characters_before_a_comma_is_the_runs_last_line():
    ed25519 = _der("ed25519-pkcs8-der")
    data = bytes(36) + ed25519  # 84 bytes: 112 characters, no padding of its own
    chars = _b64(data)
    text = f"[{chars[:64]}\n{chars[64:]}==, x]\n"  # 48 characters and "==": the key across both lines
    assert len(chars[64:]) == 48
    assert _both(text) == f"[{_b64(data.replace(ed25519, b'[redacted]'))}, x]\n"


def test_a_line_that_is_not_padded_before_a_comma_is_a_run_of_its_own():
    """The line after a run is another token there (go-yaml's next key); when it is a key, it is
    replaced alone, the run before it kept."""
    ed25519 = _b64(_der("ed25519-pkcs8-der"))  # 64 characters, no padding
    before = _b64(bytes(range(48)))  # 64 characters, no key
    text = f"[{before}\n{ed25519}, x]\n"
    assert _both(text) == f"[{before}\n{REDACTED_B64}, x]\n"


def test_a_line_one_character_wider_that_is_not_padded_ends_the_run_at_once():
    first, wider = _b64(bytes(range(48)))[:63], _b64(bytes(range(100, 148)))  # 63, then 64 characters
    text = f"a: {first}\n{wider}\nb: c\n"
    assert _both(text) == text
    # both lines are decided (each its own run): nothing of them is held for padding that cannot come
    assert StreamRedactor().feed(text) == f"a: {first}\n{wider}"


def test_padding_is_two_characters_at_most_an_equals_sign_after_it_is_the_texts():
    """A padded line ends its run: the run after a full-width padded last line took up to two more
    "=" (and, after a line break, more lines) into the replacement."""
    sec1 = _der("p256-sec1-der")  # 121 bytes: "==" padding
    one_line = _b64(sec1)
    assert one_line.endswith("==")
    assert _both(f"a: {one_line}=\n") == f"a: {REDACTED_B64}=\n"
    ed25519 = _der("ed25519-pkcs8-der")
    data = bytes(range(46)) + ed25519  # 94 bytes: 64, then 62 characters and "=="
    chars = _b64(data)
    assert _both(f"a: {chars[:64]}\n{chars[64:]}=\n") == f"a: {_b64(data.replace(ed25519, b'[redacted]'))}=\n"


def test_a_run_that_ends_before_other_text_is_decided_at_once():
    """A full line followed by neither a line break nor padding ends its run: a stream writes it
    without waiting; at the end of the text it is held (the next chunk may continue the line)."""
    line = _b64(bytes(range(48)))  # 64 characters, no key
    assert StreamRedactor().feed(f"x: {line}, y: 1\n") == f"x: {line}"  # the rest: shorter than a BEGIN marker
    assert StreamRedactor().feed(f"x: {line}") == "x: "


def test_a_wrapped_run_whose_shorter_last_line_is_followed_by_a_line_break_is_decided_at_once():
    """Its last line is shorter than the others, so no line can follow it: a stream writes the run
    at once, however much text is still to come."""
    lines = _b64(bytes(range(60)))  # 80 characters: a line of 64, then one of 16
    text = f"k: |\n  {lines[:64]}\n  {lines[64:]}\nnext: value\n"
    assert StreamRedactor().feed(text) == text[: -(len("-----BEGIN") - 1)]


def test_a_key_after_a_begin_marker_that_is_no_block_is_still_replaced():
    sec1 = _b64(_der("p256-sec1-der"))
    assert _both(f"x -----BEGIN PRIVATE KEY y {sec1} z") == f"x -----BEGIN PRIVATE KEY y {REDACTED_B64} z"
