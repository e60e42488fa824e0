"""A key's BEGIN line with no body and no END (a truncated value, a placeholder): only the line is
replaced. Found by mutation testing (docs/testing.md): the block took the line break after it and,
as RFC 1421 headers (legacy encrypted keys), the lines after it that read `name: value`, so the
next key of a YAML document, or of a JSON string's text, was dropped."""

from __future__ import annotations

import pytest

from meshctl.redact import REDACTED, redact_text

from helpers.streams import assert_every_cut_gives

BARE = {  # test id (no backslash: scripts/mutation) -> (text, exact output)
    "YAML, then the next key": ("k: -----BEGIN PRIVATE KEY-----\nnext: v\n", f"k: {REDACTED}\nnext: v\n"),
    "YAML, then an indented key": ("k:\n  a: -----BEGIN EC PRIVATE KEY-----\n  b: v\n", f"k:\n  a: {REDACTED}\n  b: v\n"),
    "JSON's LF, then text": ('{"k": "-----BEGIN PRIVATE KEY-----\\nnext: v\\n", "n": 1}', '{"k": "' + REDACTED + '\\nnext: v\\n", "n": 1}'),
    "then a blank line": ("k: -----BEGIN PRIVATE KEY-----\n\nnext: v\n", f"k: {REDACTED}\n\nnext: v\n"),
    "then a comma": ("a: -----BEGIN PRIVATE KEY-----\n, 1", f"a: {REDACTED}\n, 1"),
    # with an END line the block is whole: headers and END go with it
    "headers, no body, END": (
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n-----END RSA PRIVATE KEY-----\nx",
        f"{REDACTED}\nx",
    ),
    "no body, END": ("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\nx", f"{REDACTED}\nx"),
}


@pytest.mark.parametrize(("text", "expected"), BARE.values(), ids=BARE.keys())
def test_a_bare_begin_line_is_replaced_alone(text, expected):
    assert redact_text(text) == expected
    assert_every_cut_gives(text, expected)
