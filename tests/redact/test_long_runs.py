"""A base64 run longer than a stream may hold (MAX_HELD): decided in pieces, never held whole.

docs/security.md: "A base64 run longer than 1 MiB is decided in pieces with an overlap longer than
any key; if a key is found in such a run, the rest of the run is dropped." The stream writes what
`redact_text` gives for each piece, holds at most MAX_HELD characters, and keeps everything after
the run.
"""

from __future__ import annotations

import base64
import json

from meshctl.redact import _OVERLAP, MAX_HELD, StreamRedactor, redact_text

from helpers.keys import key_forms

CHUNK = 1 << 16
FILLER = bytes(range(256))  # decodes to no key


def _key() -> bytes:
    return next(f for f in key_forms() if f.name == "p256-sec1-der").data


def _feed(text: str) -> tuple[list[str], list[int]]:
    """What each feed wrote (finish last), and how much was held after each feed."""
    stream, written, held, fed = StreamRedactor(), [], [], 0
    for at in range(0, len(text), CHUNK):
        written.append(stream.feed(text[at : at + CHUNK]))
        fed += len(text[at : at + CHUNK])
        held.append(fed - sum(map(len, written)))
    written.append(stream.finish())
    return written, held


def test_a_long_run_without_a_key_is_written_whole_and_never_held_whole():
    run = base64.b64encode(FILLER * 6000).decode()  # 2 MB of base64
    text = "x: " + run + "\nnext: v\n"
    written, held = _feed(text)
    assert "".join(written) == text
    # the run is held until the next chunk would pass MAX_HELD; then all but an overlap is written
    expected, previous = [], 0
    for at in range(0, len(text), CHUNK):
        piece = len(text[at : at + CHUNK])
        previous = (previous + piece - (3 if at == 0 else 0)) if previous + piece <= MAX_HELD else _OVERLAP
        expected.append(previous)
    expected[-1] = len("\nnext: v\n")  # the last chunk ends the run: only a cut marker's length (9) is held
    assert held == expected
    assert max(held) <= MAX_HELD and _OVERLAP in held


def _first_piece(written: list[str]) -> int:
    """The feed that decided the run's first piece: the first after the one that wrote what was before the run."""
    return next(i for i in range(1, len(written)) if written[i])


def test_a_key_in_a_long_run_is_replaced_and_the_rest_of_the_run_dropped():
    data = FILLER * 2400 + _key() + FILLER * 3000
    run = base64.b64encode(data).decode()  # the key in the first piece
    text = "x: " + run + "\nnext: v\n"
    written, held = _feed(text)
    first = _first_piece(written)
    # the first piece is decided as redact_text decides it; the run's rest is dropped, what follows it kept
    piece = text[3 : (first + 1) * CHUNK]
    decided = redact_text(piece)
    assert "".join(written) == "x: " + decided + "\nnext: v\n"
    assert base64.b64decode(decided) == data[: len(piece) * 3 // 4].replace(_key(), b"[redacted]")  # the key, and only it


def test_a_key_after_the_first_piece_is_found_where_the_run_ends():
    before, after = FILLER * 3600, FILLER * 2000  # the first piece (about 1 MB of base64) holds no key
    data = before + _key() + after
    run = base64.b64encode(data).decode()
    tail = "\nnext: v\n"
    written, held = _feed("x: " + run + tail)
    first = _first_piece(written)
    assert held[first] == _OVERLAP
    out = "".join(written)
    assert out.startswith("x: ") and out.endswith(tail)
    out_run = out[3 : -len(tail)]
    kept = (first + 1) * CHUNK - 3 - _OVERLAP  # run characters written by the first piece, as they were
    assert out_run[:kept] == run[:kept]
    # the rest, held and decided at the run's end: re-encoded from its first whole base64 quantum, the key replaced
    skip = -kept % 4
    assert out_run[kept : kept + skip] == run[kept : kept + skip]
    assert base64.b64decode(out_run[kept + skip :]) == data[(kept + skip) // 4 * 3 :].replace(_key(), b"[redacted]")


def test_the_rest_of_a_long_wrapped_run_is_dropped_across_line_breaks():
    run = base64.b64encode(FILLER * 2400 + _key() + FILLER * 3000).decode()
    wrapped = "\\n".join(run[i : i + 76] for i in range(0, len(run), 76))  # JSON's \n every 76 characters
    text = '{"k": "' + wrapped + '", "n": 1}'
    written, held = _feed(text)
    first = _first_piece(written)
    decided = redact_text(text[7 : (first + 1) * CHUNK])
    assert "".join(written) == '{"k": "' + decided + '", "n": 1}'
    assert json.loads("".join(written))["n"] == 1


def test_a_run_of_exactly_max_held_characters_is_still_held():
    run = base64.b64encode(FILLER * (MAX_HELD // 4 * 3 // 256 + 1)).decode()  # longer than MAX_HELD
    stream = StreamRedactor()
    assert [stream.feed(run[at : at + CHUNK]) for at in range(0, MAX_HELD, CHUNK)] == [""] * (MAX_HELD // CHUNK)
    # one character more passes the limit: all but the overlap is written
    assert stream.feed(run[MAX_HELD : MAX_HELD + 1]) == run[: MAX_HELD + 1 - _OVERLAP]
    assert stream.feed(run[MAX_HELD + 1 :]) + stream.finish() == run[MAX_HELD + 1 - _OVERLAP :]


def test_a_stream_that_ends_inside_a_dropped_run_finishes_with_nothing_more():
    """The run holding a key is the last thing in the stream: every chunk after the key is dropped
    whole, and finish() (called while the rest of the run is being dropped) writes nothing more."""
    run = base64.b64encode(FILLER * 2400 + _key() + FILLER * 3000).decode()
    text = "x: " + run
    written, held = _feed(text)
    first = _first_piece(written)
    assert written[first + 1 :] == [""] * (len(written) - first - 1)  # the dropped chunks, and finish()
    assert "".join(written) == "x: " + redact_text(text[3 : (first + 1) * CHUNK])


def test_text_after_a_dropped_run_is_kept_even_what_the_stream_holds_at_its_end():
    """Dropping stops where the run ends: a short base64 value after it, which the stream holds
    because the next chunk could continue it, is written by finish() as it was."""
    run = base64.b64encode(FILLER * 2400 + _key() + FILLER * 3000).decode()
    text = "x: " + run + "\ny: " + "QUJD" * 5
    written, held = _feed(text)
    first = _first_piece(written)
    assert "".join(written) == "x: " + redact_text(text[3 : (first + 1) * CHUNK]) + "\ny: " + "QUJD" * 5
    assert written[-1] == "QUJD" * 5  # held until the end, then written by finish()
