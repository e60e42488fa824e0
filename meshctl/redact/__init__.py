"""Private keys never leave meshctl: one recogniser for every output path (a leaf package).

Whatever a dump, snapshot, API object or remote error holds, meshctl prints and stores it with
every private key replaced, and leaves everything else as it was:

- ``redact_text(str) -> str`` and ``redact_bytes(bytes) -> bytes``: a whole document or text;
- `StreamRedactor` (text) and `ByteStreamRedactor` (bytes): the same over a stream cut into chunks
  anywhere (serialized output written piece by piece, a snapshot member as it arrives); state is
  carried across chunk boundaries, memory holds at most `MAX_HELD` characters.

Keys are recognised by parsing, not by field name (`meshctl.redact.scan`, `meshctl.redact.der`):
PEM blocks of any label, base64 or base64-of-PEM anywhere in a string (wrapped or not), DER keys
(PKCS#1, PKCS#8, SEC1, encrypted PKCS#8, OpenSSH). Certificates stay intact; JSON and YAML stay
valid; the cost is linear in the input, and input with no marker is returned without a copy.

This package imports nothing of meshctl: sources, the snapshot writer and the emit layer all use it.
"""

from __future__ import annotations

import re

from meshctl.redact.candidates import candidates, open_tail

REDACTED = "[redacted]"
REDACTED_B64 = "W3JlZGFjdGVkXQ=="  # base64("[redacted]"): Envoy's redaction of a bytes field

__all__ = ["MAX_HELD", "REDACTED", "REDACTED_B64", "ByteStreamRedactor", "StreamRedactor", "may_hold_key",
           "redact_binary", "redact_bytes", "redact_text"]  # fmt: skip

MAX_HELD = 1 << 20  # characters a stream holds back at most (a base64 run longer than this is decided in pieces)
_OVERLAP = 1 << 14  # kept between pieces of a long run: more than the longest key (RSA-16384: ~12.4 K in base64)
_CONTINUATION = re.compile(r"[A-Za-z0-9+/]*={0,2}(?:(?:(?:\\+r)?\\+n|\r?\n)[ \t]*[A-Za-z0-9+/]+={0,2}(?=[\s\"'\\,\]}|-]|\Z))*")


def redact_text(text: str) -> str:
    """`text` with every private key replaced (the whole input is there); `text` itself when it holds none."""
    hits = candidates(text)
    if not hits:
        return text
    from meshctl.redact.scan import scan_text

    return scan_text(text, final=True, hits=hits).text


def may_hold_key(text: str | bytes) -> bool:
    """Whether the recogniser has anything to look at in `text`: False means `redact_text` /
    `redact_bytes` return it unchanged (a C-speed search for the candidates they start from)."""
    return bool(candidates(text))


def redact_binary(data: bytes) -> bytes | None:
    """Decoded bytes with their keys replaced by b"[redacted]", or None when they hold none."""
    from meshctl.redact.scan import redact_binary as redact

    return redact(data)


def redact_bytes(data: bytes) -> bytes:
    """`data` (any encoding that is ASCII-compatible, UTF-8 included) with every private key replaced."""
    text = data.decode("latin-1")
    cleaned = redact_text(text)
    return data if cleaned is text else cleaned.encode("latin-1")


class StreamRedactor:
    """``feed(chunk) -> text to write`` for each chunk, then ``finish() -> the rest``.

    The text written, joined, is what `redact_text` gives for the chunks joined, except that a
    base64 run longer than MAX_HELD in which a key is found is dropped from there to its end.
    """

    def __init__(self) -> None:
        self._held = ""
        self._swallow = False  # inside the rest of a long run that held a key

    def feed(self, chunk: str) -> str:
        """The text of `chunk` (and of what earlier feeds held back) that is safe to write now."""
        text = self._held + chunk if self._held else chunk
        if self._swallow:
            eaten = _CONTINUATION.match(text).end()
            if eaten == len(text):
                self._held = ""
                return ""
            text, self._swallow = text[eaten:], False
        from meshctl.redact.scan import scan_text

        result = scan_text(text, final=False)
        held = text[result.safe :]
        if len(held) <= MAX_HELD:
            self._held = held
            return result.text
        # a run too long to hold: decide on what is here, keep an overlap for a key that straddles the cut
        forced = redact_text(held)
        if forced != held:
            self._held, self._swallow = "", True
            return result.text + forced
        self._held = held[-_OVERLAP:]
        return result.text + held[:-_OVERLAP]

    def holding(self) -> bool:
        """Whether text is held back (or the rest of a long run is being dropped)."""
        return bool(self._held) or self._swallow

    def finish(self) -> str:
        """What the feeds held back, redacted: the end of the stream."""
        text, self._held = self._held, ""
        if self._swallow:
            self._swallow = False
            text = text[_CONTINUATION.match(text).end() :]
        return redact_text(text) if text else ""


class ByteStreamRedactor:
    """`StreamRedactor` over bytes (ASCII-compatible encodings: a multi-byte character is never split wrongly).

    Chunks without a candidate (the usual case: Envoy redacts its own keys) are passed through as
    bytes, holding back only a short tail that the next chunk could extend into one; the others
    go through the text scanner (as latin-1: one character per byte).
    """

    def __init__(self) -> None:
        self._text = StreamRedactor()
        self._held = b""

    def feed(self, chunk) -> bytes | memoryview:
        """`StreamRedactor.feed` for bytes (any bytes-like; not kept)."""
        data = self._held + chunk if self._held else bytes(chunk)
        if not self._text.holding() and not candidates(data):
            cut = open_tail(data)
            self._held = data[cut:]
            return memoryview(data)[:cut]
        self._held = b""
        return self._text.feed(data.decode("latin-1")).encode("latin-1")

    def finish(self) -> bytes:
        """`StreamRedactor.finish` for bytes."""
        held, self._held = self._held, b""
        return (self._text.feed(held.decode("latin-1")) + self._text.finish()).encode("latin-1")
