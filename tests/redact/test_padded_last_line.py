"""A wrapped base64 run whose padded last line ("=" or "==") is followed by a quote, "," or "-", or is wider.

A run is decided from its first line, once: it takes the next line if that line is no wider and
ends as a run's line ends (a line break, or a quote after two or more lines; a short line then a
quote, "," or "-" is the next token, go-yaml's next key). A padded line as long as a candidate (48
or more characters) is the run's last line whatever follows it, and may be wider than the lines
before it by its padding. Found by mutation testing (docs/testing.md): such a line used to be looked
at again on its own, back to its first line, taking in lines the scan had already written: they
were written twice (a stream wrote a key-free run's first line twice; a key's run came out after
its own first line, its line break lost), a key across three lines whose last one is shorter was
not found (the second line back was compared with the last line instead of the line after it),
and a stream cut just before the padding of a wider last line wrote the key.
"""

from __future__ import annotations

import base64

import pytest

from meshctl.redact import redact_text

from helpers.keys import key_forms
from helpers.streams import assert_every_cut_gives


def _der(name: str) -> bytes:
    return next(f for f in key_forms() if f.name == name).data


def _wrapped(data: bytes, widths: list[int]) -> list[str]:
    """base64 of `data` cut into lines of `widths` (the last takes the rest, padding included)."""
    chars, lines = base64.b64encode(data).decode(), []
    for width in widths:
        lines.append(chars[:width])
        chars = chars[width:]
    return [*lines, chars]


def _redacted_b64(data: bytes, key: bytes) -> str:
    return base64.b64encode(data.replace(key, b"[redacted]")).decode()


def cases() -> list[tuple[str, str, str]]:
    """(name, input, exact output)."""
    ed25519 = _der("ed25519-pkcs8-der")  # 48 bytes
    sec1 = _der("p256-sec1-der")  # 121 bytes: more than two lines of 64
    assert (len(ed25519), len(sec1)) == (48, 121)
    two = bytes(range(46)) + ed25519  # 94 bytes: 64 + 62 characters and "=="
    l1, l2 = _wrapped(two, [64])
    assert (len(l1), len(l2), l2[-2:]) == (64, 64, "==")
    wider = bytes(range(47)) + ed25519  # 95 bytes: 63, then 64 characters and "="
    w1, w2 = _wrapped(wider, [63])
    assert len(w2) == 65 and w2[-1] == "=" != w2[-2]  # 64 characters and "="
    three = bytes(range(12)) + sec1  # 133 bytes: 64 + 64 + 50 characters and "=="
    t0, t1, t2 = _wrapped(three, [64, 64])
    assert (len(t2), t2[-2:]) == (52, "==")
    keyless = bytes(range(95))  # no key: 63, then 64 characters and "="
    k1, k2 = _wrapped(keyless, [63])
    # a padded line is at most two characters (its padding) wider than the lines before it
    edge = bytes(40) + ed25519 + bytes(5)  # 93 bytes: 124 characters, no padding of its own
    chars = base64.b64encode(edge).decode()
    return [
        # the first line's run stops before a short line and a quote (go-yaml's next key); a padded line is not a key
        ("a key across a line and a padded line before a quote", f"a: '{l1}\n{l2}'\n", f"a: '{_redacted_b64(two, ed25519)}'\n"),
        ("a key across a line and a padded line before a double quote", f'a: "{l1}\n{l2}"\n', f'a: "{_redacted_b64(two, ed25519)}"\n'),
        ("a key across a line and a padded line before a comma", f"[{l1}\n{l2}, x]\n", f"[{_redacted_b64(two, ed25519)}, x]\n"),
        ("a key across a line and a padded line before a dash", f"a: {l1}\n{l2}-x\n", f"a: {_redacted_b64(two, ed25519)}-x\n"),
        ("a key whose padded last line is one character wider", f"a: {w1}\n{w2}\nb: c\n", f"a: {_redacted_b64(wider, ed25519)}\nb: c\n"),
        ("a key across three lines, the padded last one shorter, before a comma", f"[{t0}\n{t1}\n{t2}, x]\n", f"[{_redacted_b64(three, sec1)}, x]\n"),
        ("a key-free run whose padded last line is one character wider", f"a: {k1}\n{k2}", f"a: {k1}\n{k2}"),
        ("a key-free run whose padded last line is wider, then a key", f"a: {k1}\n{k2}\nb: {l1}{l2}\n", f"a: {k1}\n{k2}\nb: {_redacted_b64(two, ed25519)}\n"),
        # widths that are not one run: the padded line is taken with the lines of its own width only
        ("a padded line two characters wider than the line before it", f"a: {chars[:62]}\n{chars[62:]}==, x\n", f"a: {_redacted_b64(edge, ed25519)}, x\n"),
        ("a padded line three characters wider than the line before it", f"a: {chars[:61]}\n{chars[61:123]}==, x\n", f"a: {chars[:61]}\n{chars[61:123]}==, x\n"),
        ("a key-free line one character wider, not padded", f"a: {k1}\n{k2[:-1]}\nb: c\n", f"a: {k1}\n{k2[:-1]}\nb: c\n"),
    ]  # fmt: skip


CASES = cases()


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_padded_last_line_exact_output(name, text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_padded_last_line_stream_cut_anywhere(name, text, expected):
    assert_every_cut_gives(text, expected)
