"""Keep private-key material out of a snapshot, whatever a proxy or an object holds.

Envoy already prints its keys as "[redacted]"; this is the second line of defence, applied to
every byte stored. It works on a stream (bodies reach 150 MB and are never held whole): PEM
private-key blocks, raw or JSON-escaped, and base64-encoded PEM private keys (Envoy's
``inline_bytes``) are replaced by "[redacted]".
"""

from __future__ import annotations

import base64
import re

REDACTED = b"[redacted]"
_PEM_KEY = re.compile(rb"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", re.DOTALL)
_B64_PEM = re.compile(rb"LS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}")  # base64 of "-----BEGIN"
_MARKERS = (b"-----BEGIN", b"LS0tLS1CRUdJTi")
# A key block longer than this is not held back whole across chunks (RSA-8192 PEM is ~6.5 KB).
_MAX_BLOCK = 64 * 1024
_MARKER_TAIL = 16  # a marker cut by a chunk boundary


def scrub(data: bytes) -> bytes:
    """`data` with every complete private-key block replaced by "[redacted]"."""
    if b"PRIVATE KEY" in data:
        data = _PEM_KEY.sub(REDACTED, data)
    if b"LS0tLS1CRUdJTi" in data:
        data = _B64_PEM.sub(_redact_b64_key, data)
    return data


def _redact_b64_key(match: re.Match) -> bytes:
    head = match.group(0)[:64]
    try:
        decoded = base64.b64decode(head[: len(head) - len(head) % 4])
    except ValueError:
        return match.group(0)
    return REDACTED if b"PRIVATE KEY" in decoded else match.group(0)


class StreamScrubber:
    """Scrub a byte stream chunk by chunk: ``feed(chunk) -> safe bytes``, then ``finish()``.

    A block that may continue in the next chunk is held back (at most ~_MAX_BLOCK bytes).
    """

    def __init__(self) -> None:
        self._carry = b""

    def feed(self, chunk) -> bytes | memoryview:
        """The safe bytes of `chunk` (any bytes-like; not kept) and of what earlier feeds held back."""
        # Hold back from the last block start (blocks do not nest, so every earlier block is
        # complete before it) and a marker's length; scrub only what is let through.
        data = self._carry + chunk if self._carry else bytes(chunk)
        keep_from = max(0, len(data) - _MARKER_TAIL)
        window = max(0, len(data) - _MAX_BLOCK)
        found = False
        for marker in _MARKERS:  # bytes.rfind: ~20x faster than one regex search for both
            start = data.rfind(marker)
            if start != -1:
                found = True
                if start >= window:
                    keep_from = min(keep_from, start)
        self._carry = data[keep_from:]
        # no block starts in `data` (the usual case: Envoy redacts keys): nothing to scrub, and
        # a view, not a copy, of what is let through
        return scrub(data[:keep_from]) if found else memoryview(data)[:keep_from]

    def finish(self) -> bytes:
        """The rest of the stream, scrubbed (call once, at its end)."""
        data, self._carry = scrub(self._carry), b""
        return data
