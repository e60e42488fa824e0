"""Find private keys in text (JSON, YAML, tables, PEM, base64) and replace them, in linear time.

What is recognised (see `meshctl.redact` for the promises):

- a PEM block of any label (``-----BEGIN X-----`` ... ``-----END Y-----``, the END label need not
  match, or no END at all) whose label names a private key or whose body decodes to one (DER or
  OpenSSH, `meshctl.redact.der`) becomes ``[redacted]``; other blocks (certificates) stay;
- a base64 run of 60 or more characters, on one line or wrapped (real newlines plus indentation,
  or JSON's ``\\n``), that decodes, from any of its first four characters, to bytes holding a key
  (DER, OpenSSH, or PEM text, itself scanned again) is re-encoded with the key replaced: a run
  that was only a key becomes ``W3JlZGFjdGVkXQ==`` (base64 of "[redacted]", as Envoy redacts a
  bytes field); a certificate and key bundle keeps its certificate.

Candidates (a PEM BEGIN, a line of 48 or more base64 characters) are found at C speed: each
window of the text is translated to three classes of character by one ``bytes.translate`` and
searched with long needles. Text with no candidate is returned as it is, without a copy. Each
candidate leads to at most one bounded parse, and the scan moves past what it parsed, so the cost
is linear in the text. Replacements use only characters that are
valid wherever a key's characters were (inside a JSON string, a YAML scalar or block, a table
cell), so JSON and YAML stay valid.
"""

from __future__ import annotations

import base64
import binascii
import re

from meshctl.redact.candidates import _SEGMENT_MIN as _CANDIDATE_LINE
from meshctl.redact.candidates import PEM_MARKER, candidates
from meshctl.redact.der import find_keys

LONGEST_MARKER = len(PEM_MARKER)

REDACTED = "[redacted]"
REDACTED_B64 = "W3JlZGFjdGVkXQ=="  # base64("[redacted]"), as in meshctl.redact
MIN_RUN = 60  # base64 characters: the smallest key (Ed25519 PKCS#8, 48 bytes) is 64
PEM_WINDOW = 1 << 16  # how far a PEM block's END is looked for
MAX_DEPTH = 2  # base64 inside base64 inside text

_B64_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_SEGMENT = re.compile(r"[A-Za-z0-9+/]+")
# a line break inside a run: a real one, or JSON's \n or \r\n escaped once or more (a JSON string
# inside a JSON string); then a block's indentation
_BREAK_RE = r"(?:\\+r)?\\+n|\r?\n"
_INDENT = re.compile(rf"(?:{_BREAK_RE})[ \t]*")
# the same, ending at the end of a (reversed-free) window: a break (and indentation) before a position
_BREAK_BEFORE = re.compile(rf"(?:{_BREAK_RE})[ \t]*\Z")
_CUT_BREAK = re.compile(r"(?:\\+r?\\*|\r)?[ \t]*\Z")  # the start of a line break, at the end
# what may follow the last character of a wrapped run's continuation line (not a YAML key's ":")
_RUN_END = frozenset(" \t\r\n\"'\\-,]}|`")
# what may end a wrapped run's last line: the line's end, or the end of the string holding it
# (trailing blanks allowed); not "-", "," or " b", which after a short line belong to the next token
# ("0-: x", "a b: y": a YAML key after a key on one line), so the line break before it stays
_LINE_END = re.compile(r"[ \t]*(?:[\r\n\"'\\]|\Z)")
# a label may be folded onto the next line (YAML folds long quoted scalars at spaces)
_LABEL = r"((?:[^\-\r\n\\\"]|\r?\n[ \t]*){0,80})"
_PEM_LABEL = re.compile(r"-----BEGIN" + _LABEL + "-----")
_PEM_HEADERS = re.compile(r"(?:[A-Za-z][A-Za-z0-9-]*: ?[^\r\n\"\\]*(?:(?:\\r)?\\n|\r?\n)[ \t]*)+(?:(?:\\r)?\\n|\r?\n)?[ \t]*")
_PEM_END = re.compile(r"-----END" + _LABEL + "-----")
# the longest BEGIN or END line the expressions above take (a label of 80 characters, not folded): a
# stream holds a BEGIN or END that close to the end of its text, which the next chunk may complete
_PEM_LINE_MAX = len("-----BEGIN") + 80 + len("-----")


class Scan:
    """The result of scanning a piece of text: the text out, and how much of the input it covers.

    `safe` is the length of the input prefix whose fate is decided (all of it when the input is
    final): `text` is what that prefix becomes.
    """

    __slots__ = ("text", "safe")

    def __init__(self, text: str, safe: int) -> None:
        self.text, self.safe = text, safe


def scan_text(text: str, *, final: bool, depth: int = 0, hits: list | None = None) -> Scan:
    """Redact `text`; unless `final`, stop before anything the next text could change.

    `hits`: `candidates(text)` when the caller already has them.
    """
    hits = candidates(text) if hits is None else hits
    if not hits:
        return Scan(text, len(text)) if final else _unfinished_tail(text, [], 0)
    out: list[str] = []
    changed = False
    cursor = 0  # text[:cursor] is decided (copied or replaced into `out`)
    for at, kind in hits:
        if at < cursor:
            continue  # inside what an earlier hit covered
        if kind == "pem":
            block = _pem_block(text, at, final=final, depth=depth)
        else:
            block = _b64_run(text, at, final=final, depth=depth)
        if block is None:
            continue
        start, end, replacement, open_end = block
        if open_end:  # may continue past the text: decide with more of it
            out.append(text[cursor:start])
            return Scan("".join(out), start)
        if replacement is not None:
            out.append(text[cursor:start])
            out.append(replacement)
            cursor, changed = end, True
        else:
            out.append(text[cursor:end])
            cursor = end
    if final:
        if not changed:
            return Scan(text, len(text))
        out.append(text[cursor:])
        return Scan("".join(out), len(text))
    return _unfinished_tail(text, out, cursor)


def _unfinished_tail(text: str, out: list[str], cursor: int) -> Scan:
    """Hold back the text's last base64 run (with the lines it may continue) and a cut marker."""
    hold = max(cursor, len(text) - LONGEST_MARKER + 1)
    run_start = _trailing_run_start(text, cursor)
    hold = min(hold, run_start) if run_start is not None else hold
    hold = max(hold, cursor)
    out.append(text[cursor:hold])
    return Scan("".join(out), hold)


def _trailing_run_start(text: str, floor: int) -> int | None:
    """Start of a base64 run (possibly wrapped) that reaches the end of `text`, or None."""
    end = len(text)
    # a trailing line break (and indentation) may be followed by the run's next line
    stripped = text[floor:end].rstrip(" \t")
    end = floor + len(stripped)
    window = max(floor, end - 64)
    cut = _BREAK_BEFORE.search(text, window, end) or _CUT_BREAK.search(text, window, end)
    if cut:
        end = cut.start()
    start = _segment_start(text, end, floor)
    if start == end:
        return None if end == len(text) else end
    while True:  # earlier lines of a wrapped run
        previous = _previous_segment(text, start, floor)
        if previous is None:
            return start
        start = previous[0]


def _segment_start(text: str, end: int, floor: int = 0) -> int:
    """Start of the run of base64 characters ending at `end` (linear in its length)."""
    start = end
    while start > floor:
        window = max(floor, start - 4096)
        piece = text[window:start]
        kept = len(piece.rstrip(_B64_CHARS))
        start = window + kept
        if kept:
            break
    if start < end and start > floor and text[start - 1] == "\\":
        start += 1  # the letter of an escape (JSON's \n, \r, \t) is not base64
    return start


def _previous_segment(text: str, start: int, floor: int = 0) -> tuple[int, int] | None:
    """(start, end) of the base64 line right before the line break that precedes `start`."""
    brk = _BREAK_BEFORE.search(text, max(floor, start - 64), start)
    if brk is None:
        return None
    end = brk.start()
    begin = _segment_start(text, end, floor)
    return None if begin == end else (begin, end)


def _run(text: str, at: int) -> tuple[list[tuple[int, int]], bool] | None:
    """The base64 run that starts at `at`: its lines (start, end), and whether it reaches the end of `text`.

    A run is decided from its first line, once (a stream holds text from there: the decision is the
    same whatever comes after the cut). Lines of a wrapped run have one width; only the last may be
    shorter, or, when it is padded, up to its padding wider.
    """
    first = _SEGMENT.match(text, _segment_start(text, at))
    if first is None:
        return None
    lines = [first.span()]
    width = first.end() - first.start()
    while lines[-1][1] - lines[-1][0] == width:
        end = lines[-1][1]
        padded = end
        while padded < len(text) and padded - end < 2 and text[padded] == "=":
            padded += 1
        if padded != end:
            lines[-1] = (lines[-1][0], padded)
            return lines, padded == len(text)
        brk = _INDENT.match(text, end)
        if brk is None:
            # the text may end inside a line break (a chunk cut after "\\"): the run may go on
            return lines, end == len(text) or _CUT_BREAK.match(text, end) is not None
        if brk.end() == len(text):
            return lines, True
        nxt = _SEGMENT.match(text, brk.end())
        if nxt is None:
            return lines, False
        stop = nxt.end()
        while stop < len(text) and stop - nxt.end() < 2 and text[stop] == "=":
            stop += 1
        letters = nxt.end() - nxt.start()
        # a padded line as long as a candidate is the run's last line whatever follows it (a key's last
        # line before a quote, "," or "-"; a next token after a run, below, is a short line), and may be
        # wider than the lines before it by its padding
        padded_candidate = stop > nxt.end() and letters >= _CANDIDATE_LINE
        if letters > width and not (padded_candidate and stop - nxt.start() <= width + 2):
            # one character wider at the end of the text: padding may follow
            return lines, stop == len(text) == nxt.end() and letters == width + 1 >= _CANDIDATE_LINE
        line_end = _LINE_END.match(text, stop)
        if not padded_candidate and (line_end is None or not _ends_in_string(text, lines, brk, line_end)):
            return lines, False
        lines.append((nxt.start(), stop))
        if stop == len(text) or stop > nxt.end():  # padding ends the run (at most two "=")
            return lines, stop == len(text)
    return lines, False  # a shorter last line, with neither padding nor the end of the text after it


def _ends_in_string(text: str, lines: list[tuple[int, int]], brk: re.Match, line_end: re.Match) -> bool:
    """Whether a quote or backslash after a run's next line may end the string that holds the run.

    After an escaped line break (JSON's \\n) the run is inside a string, which a quote or an escape
    ends. After a real line break, a short line after a run on one line is the next token (go-yaml's
    `"": <run>` then the key `0'`), as it is before "-", "," or " b" (_LINE_END); after two or more
    lines, the run is a wrapped block and the quote ends it. Decided on the run alone, so that a
    stream, which holds text from the run's start, decides as the whole text does.
    """
    ender = text[line_end.end() - 1 : line_end.end()]
    if ender not in ("'", '"', "\\") or text[brk.start()] not in "\r\n":
        return True
    return len(lines) > 1


def _b64_run(text: str, at: int, *, final: bool, depth: int):
    """(start, end, replacement or None, open) for the base64 run holding the marker at `at`."""
    found = _run(text, at)
    if found is None:
        return None
    lines, open_end = found
    start, end = lines[0][0], lines[-1][1]
    if open_end and not final:
        return start, end, None, True
    chars = "".join(text[s:e] for s, e in lines).rstrip("=")
    if len(chars) < MIN_RUN:
        return start, end, None, False
    replacement = _redact_b64(chars, depth)
    return start, end, replacement, False


def _redact_b64(chars: str, depth: int) -> str | None:
    """The run re-encoded with its keys replaced, or None when it holds none."""
    for skip in range(4):
        decoded = _decode(chars[skip:])
        if decoded is None:
            continue
        cleaned = redact_binary(decoded, depth + 1)
        if cleaned is not None:
            if cleaned.strip() == REDACTED.encode():  # only a key (and the PEM's last line break)
                return chars[:skip] + REDACTED_B64 if skip else REDACTED_B64
            return chars[:skip] + base64.b64encode(cleaned).decode("ascii")
    return None


def redact_binary(data: bytes, depth: int = 1) -> bytes | None:
    """`data` (decoded bytes) with its keys replaced by b"[redacted]", or None when it holds none."""
    changed = False
    keys = find_keys(data)
    if keys:
        parts, cursor = [], 0
        for start, end in keys:
            parts += [data[cursor:start], REDACTED.encode()]
            cursor = end
        parts.append(data[cursor:])
        data, changed = b"".join(parts), True
    if depth <= MAX_DEPTH:
        text = data.decode("latin-1")
        cleaned = scan_text(text, final=True, depth=depth).text
        if cleaned is not text and cleaned != text:
            data, changed = cleaned.encode("latin-1"), True
    return data if changed else None


def _pem_block(text: str, at: int, *, final: bool, depth: int):
    """(start, end, replacement or None, open) for the PEM block whose BEGIN is at `at`.

    The block is the BEGIN line, RFC 1421 headers (legacy encrypted keys), the base64 body and
    the END line that follows it directly (any label). Without that END the block ends with its
    body: nothing after it (another string, a later END) is ever taken into it.
    """
    label = _PEM_LABEL.match(text, at)
    if label is None:
        if not final and len(text) - at < _PEM_LINE_MAX:
            return at, len(text), None, True  # the BEGIN line may be cut
        return None
    body_start = label.end()
    brk = _INDENT.match(text, body_start)
    if brk:
        body_start = brk.end()
        headers = _PEM_HEADERS.match(text, body_start)
        if headers:
            body_start = headers.end()
    if not final and len(text) - body_start < 80:
        return at, len(text), None, True
    body = _run(text, body_start) if _SEGMENT.match(text, body_start) else None
    body_end, chars = body_start if brk else label.end(), ""
    if body is not None:
        lines, open_end = body
        if open_end and not final:
            return at, len(text), None, True
        body_end = lines[-1][1]
        chars = "".join(text[s:e] for s, e in lines).rstrip("=")
    after = _INDENT.match(text, body_end)
    end_at = after.end() if after else body_end
    if not final and len(text) - end_at < _PEM_LINE_MAX:
        return at, len(text), None, True  # an END line cut by the end of the text
    end_match = _PEM_END.match(text, end_at) or _PEM_END.match(text, body_end)
    names_key = "PRIVATE" in label.group(1).upper() or (end_match is not None and "PRIVATE" in end_match.group(1).upper())
    if names_key or (chars and _decodes_to_key(chars, depth)):
        # without END the block ends with its body, or with its BEGIN line when it has none: what
        # follows that line is the document's (`next: v` reads as an RFC 1421 header)
        return at, end_match.end() if end_match else body_end if body is not None else label.end(), REDACTED, False
    if end_match is None:
        return at, label.end(), None, False  # not a key, and not a whole block: look at the rest again
    return at, end_match.end(), None, False


def _decodes_to_key(chars: str, depth: int) -> bool:
    decoded = _decode(chars)
    return decoded is not None and redact_binary(decoded, depth + 1) is not None


def _decode(chars: str) -> bytes | None:
    """Base64 `chars` (no padding) decoded; a last lone character is dropped."""
    extra = len(chars) % 4
    body = chars[: len(chars) - 1] if extra == 1 else chars + "=" * ((4 - extra) % 4)
    try:
        return base64.b64decode(body)
    except (binascii.Error, ValueError):
        return None
