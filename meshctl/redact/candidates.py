"""Where a private key may be in a text: found at C speed, so that text without one costs little.

Each window of the text is translated to three classes of character (base64 alphabet, dash,
other) by one ``bytes.translate``, then searched with long needles: a line of 48 or more base64
characters, and five dashes (a PEM BEGIN line). Imports nothing but the standard library: the
parser (`meshctl.redact.scan`) is loaded only when a candidate is found.
"""

from __future__ import annotations

PEM_MARKER = "-----BEGIN"
# Candidates are found on the text translated to three symbols (base64 character, dash, other),
# a window at a time: one C pass (bytes.translate) and a few long-needle finds, whatever the text.
_WINDOW = 1 << 18
_SEGMENT_MIN = 48  # a run's longest line is at least this long (base64 is wrapped at 64 or 76)
_CLASSES = bytes(1 if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "+/") else 2 if c == 45 else 0 for c in range(256))
_RUN_NEEDLE = b"\x01" * _SEGMENT_MIN
_DASHES = b"\x02" * 5


def candidates(text: str | bytes) -> list[tuple[int, str]]:
    """Where a PEM BEGIN or a long base64 line starts in `text` (str, or ASCII-compatible bytes), in order."""
    hits = []
    binary = not isinstance(text, str)
    marker = PEM_MARKER.encode() if binary else PEM_MARKER
    for base in range(0, len(text), _WINDOW):
        stop = min(len(text), base + _WINDOW + _SEGMENT_MIN)
        window = text[base:stop]
        # "replace": one byte per character, so offsets in `classes` are offsets in `text`
        classes = (window if binary else window.encode("ascii", "replace")).translate(_CLASSES)
        at = classes.find(_RUN_NEEDLE)
        while at != -1 and at < _WINDOW:
            if not hits or hits[-1][0] != base + at:
                hits.append((base + at, "b64"))
            ends = [e for e in (classes.find(b"\x00", at), classes.find(b"\x02", at)) if e != -1]
            if not ends:
                break
            at = classes.find(_RUN_NEEDLE, min(ends))
        at = classes.find(_DASHES)
        while at != -1 and at < _WINDOW:
            ends = [e for e in (classes.find(b"\x00", at), classes.find(b"\x01", at)) if e != -1]
            end = min(ends) if ends else len(classes)
            if text.startswith(marker, base + end - 5):
                hits.append((base + end - 5, "pem"))
            at = classes.find(_DASHES, end)
    hits.sort()
    return hits


_BASE64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def open_tail(data: bytes) -> int:
    """Where the part of `data` (which holds no candidate) that the next bytes could make one begins.

    A base64 line shorter than a candidate's may grow into one, and a BEGIN line may be cut: the
    last characters of a line of base64, and the last few bytes whatever they are.
    """
    end = start = len(data)
    while start > end - _SEGMENT_MIN and start > 0 and data[start - 1] in _BASE64:
        start -= 1
    return max(0, min(start, end - len(PEM_MARKER)))
