"""Where a private key may be in a text: found at C speed, so that text without one costs little.

Two kinds of candidate: a PEM BEGIN line (``-----BEGIN``, found by a long-needle search) and a
line of 48 or more base64 characters. Runs are found on a sample of the text, every `_STRIDE`-th
character, translated to two classes (base64 alphabet or not) by one ``bytes.translate``: a run
of 48 characters holds `_STRIDE_RUN` sampled characters in a row, so no run is missed, while
ordinary text rarely shows that many. Each stretch of the sample that does is then checked
exactly on the text itself. The cost is a pass over an eighth of the text (the translate pass
over all of it was most of the cost of redacting a big output, and of scrubbing a snapshot).
Imports nothing but the standard library: the parser (`meshctl.redact.scan`) is loaded only when
a candidate is found.
"""

from __future__ import annotations

PEM_MARKER = "-----BEGIN"
_SEGMENT_MIN = 48  # a run's longest line is at least this long (base64 is wrapped at 64 or 76)
_STRIDE = 8
_STRIDE_RUN = _SEGMENT_MIN // _STRIDE  # 48 consecutive positions hold exactly this many multiples of 8
_BASE64_CLASS = bytes(1 if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "+/") else 0 for c in range(256))
_RUN_NEEDLE = b"\x01" * _SEGMENT_MIN
_SAMPLE_NEEDLE = b"\x01" * _STRIDE_RUN


def candidates(text: str | bytes) -> list[tuple[int, str]]:
    """Where a PEM BEGIN or a long base64 line starts in `text` (str, or ASCII-compatible bytes), in order.

    One hit per run of 48 or more base64 characters (at its first character), one per
    ``-----BEGIN`` (at its first dash).
    """
    binary = not isinstance(text, str)
    hits = [(at, "b64") for at in _base64_runs(text, binary)]
    marker = PEM_MARKER.encode() if binary else PEM_MARKER
    at = text.find(marker)
    while at != -1:
        hits.append((at, "pem"))
        at = text.find(marker, at + len(marker))
    hits.sort()  # the runs come in order, so this only places the BEGIN lines among them
    return hits


def _classes(text: str | bytes, binary: bool) -> bytes:
    """`text` as one byte per character: 1 for the base64 alphabet, 0 otherwise."""
    # "replace": one byte per character (non-ASCII becomes "?"), so offsets stay offsets in `text`
    return (text if binary else text.encode("ascii", "replace")).translate(_BASE64_CLASS)


def _base64_runs(text: str | bytes, binary: bool) -> list[int]:
    """Start of each run of `_SEGMENT_MIN` or more base64 characters."""
    sample = _classes(text[::_STRIDE], binary)
    # stretches of the text whose sampled characters are all base64, `_STRIDE_RUN` or more of them
    lows, highs = [], []
    found = sample.find(_SAMPLE_NEEDLE)
    while found != -1:
        last = sample.find(b"\x00", found)
        last = len(sample) if last == -1 else last
        # a run holding sampled characters found..last-1 starts after the sample before them and
        # ends before the sample after them
        lows.append(found * _STRIDE - _STRIDE + 1)
        highs.append(last * _STRIDE)
        found = sample.find(_SAMPLE_NEEDLE, last)
    if not lows:
        return []
    lows[0] = max(0, lows[0])
    # every stretch checked character by character in one pass: joined, apart by a non-base64 byte
    stretches = [text[low:high] for low, high in zip(lows, highs)]
    exact = _classes(("\x00" if not binary else b"\x00").join(stretches), binary)
    starts: list[int] = []
    at = exact.find(_RUN_NEEDLE)
    import bisect
    import itertools

    offsets = list(itertools.accumulate((len(piece) + 1 for piece in stretches), initial=0))
    while at != -1:
        index = bisect.bisect_right(offsets, at) - 1
        starts.append(lows[index] + at - offsets[index])
        end = exact.find(b"\x00", at)
        if end == -1:
            break
        at = exact.find(_RUN_NEEDLE, end)
    return starts


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
