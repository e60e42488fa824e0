"""Keep private-key material out of a snapshot, whatever a proxy or an object holds.

Envoy already prints its keys as "[redacted]"; this is the second line of defence, applied to
every byte stored, on the same recogniser as every other output (`meshctl.redact`). It works on a
stream (bodies reach 150 MB and are never held whole), in linear time whatever the body.

Members are JSON, where any character may be written as an escape: ``\\u002d`` for "-", ``\\/``
for "/". An escaped PEM line or base64 run would pass a recogniser that reads characters, so
escapes of printable ASCII characters (other than the quote and the backslash) are first written
as the characters themselves: the same JSON value, in the form the recogniser reads.
"""

from __future__ import annotations

import re

from meshctl.redact import ByteStreamRedactor, redact_bytes

# An escape of a character that can be part of a key's text (base64, "-", "=", space); Go's
# \u003c/\u003e/\u0026 (in every dump) are not. A literal first character: found at memchr speed.
_ESCAPE = re.compile(rb"\\(?:u00(2[0bdfBDF]|3[0-9dD]|[4-7][0-9a-fA-F])|/)")
_UNSAFE = frozenset(b'"\\\x7f')


def normalize_escapes(data: bytes) -> bytes:
    """`data` (JSON) with escapes of key characters written as the characters (same JSON value)."""
    if b"\\" not in data:
        return data

    def unescape(match: re.Match) -> bytes:
        start = match.start()
        escaped = 0
        while start > 0 and data[start - 1] == 0x5C:  # an odd number of backslashes before: a literal
            start -= 1
            escaped += 1
        if escaped % 2:
            return match.group(0)
        if match.group(1) is None:
            return b"/"
        char = int(match.group(1), 16)
        return match.group(0) if char in _UNSAFE else bytes([char])

    return _ESCAPE.sub(unescape, data)


def scrub(data: bytes) -> bytes:
    """`data` with every private key replaced by "[redacted]" (base64 ones by its base64)."""
    return redact_bytes(normalize_escapes(data))


class StreamScrubber:
    """Scrub a byte stream chunk by chunk: ``feed(chunk) -> safe bytes``, then ``finish()``."""

    def __init__(self) -> None:
        self._redactor = ByteStreamRedactor()
        self._carry = b""  # a backslash run (an escape maybe cut) at the end of the last chunk

    def feed(self, chunk) -> bytes | memoryview:
        """The safe bytes of `chunk` (any bytes-like; not kept) and of what earlier feeds held back."""
        data = self._carry + bytes(chunk) if self._carry else bytes(chunk)
        tail = data.rfind(b"\\", max(0, len(data) - 6))
        if tail != -1:
            while tail > 0 and data[tail - 1] == 0x5C:
                tail -= 1
            data, self._carry = data[:tail], data[tail:]
        else:
            self._carry = b""
        return self._redactor.feed(normalize_escapes(data))

    def finish(self) -> bytes:
        """What the feeds held back, scrubbed: the end of the stream."""
        data, self._carry = normalize_escapes(self._carry), b""
        return bytes(self._redactor.feed(data)) + self._redactor.finish()
