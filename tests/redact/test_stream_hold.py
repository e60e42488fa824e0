"""What a stream holds back at the end of a chunk when no candidate is there yet: a base64 run the
next chunk may continue (with the line break and indentation after it), else only a BEGIN marker's
length less one. Pinned exactly: holding less lets a run that the next chunk makes a key through
unseen; holding more delays output for nothing."""

from __future__ import annotations

import pytest

from meshctl.redact import StreamRedactor
from meshctl.redact.candidates import PEM_MARKER

MARKER_HOLD = len(PEM_MARKER) - 1  # "-----BEGI": the next chunk may complete a BEGIN marker
RUN = "QUJD" * 10  # 40 base64 characters: no candidate yet (48)


HOLDS = {  # test id (no backslash: scripts/mutation) -> (text, what is written)
    "indented 70 spaces": ("value: " + RUN + "\n" + " " * 70, "value: "),  # any depth: the next line may continue the run
    "indented 70 tabs": ("value: " + RUN + "\n" + "\t" * 70, "value: "),
    "indented, after blanks": ("  value: " + RUN + "\n" + " " * 70, "  value: "),
    "cut inside JSON's LF": ('{"k": "' + RUN + "\\", '{"k": "'),
    "cut inside JSON's LF escaped twice": ('{"k": "' + RUN + "\\\\\\", '{"k": "'),
    "cut inside JSON's CRLF": ('{"k": "' + RUN + "\\r", '{"k": "'),
    "cut inside a CRLF": ("k: " + RUN + "\r", "k: "),
}


@pytest.mark.parametrize(("text", "written"), HOLDS.values(), ids=HOLDS.keys())
def test_a_stream_holds_a_run_and_the_start_of_a_line_break_after_it(text, written):
    assert StreamRedactor().feed(text) == written


@pytest.mark.parametrize("text", [
    "value: " + RUN + " XX",  # a space ends the run: only the marker's length is held
    "value: " + RUN + " X\tX",
    "value: " + RUN + "\t" + "XX",
    "value: " + RUN + ", " + "X" * 6,
], ids=["space", "space and tab", "tab", "comma"])  # fmt: skip
def test_a_run_that_a_blank_or_comma_ended_is_written_but_for_a_markers_length(text):
    assert StreamRedactor().feed(text) == text[:-MARKER_HOLD]


def test_a_line_break_is_looked_for_in_the_last_64_characters():
    """The look-back is bounded, so that a feed costs the same whatever came before: a line break
    escaped so often that it is longer than 64 characters (JSON escaped seven times) is not seen
    as one, and only its last 64 characters are held (the scanner, which also looks back 64
    characters for a run's earlier line, never joins a run across it either)."""
    for backslashes, held in ((63, len(RUN) + 64), (64, 64), (127, 64)):
        text = '"' + RUN + "\\" * backslashes + "n"
        assert StreamRedactor().feed(text) == text[: len(text) - held], backslashes


def test_after_a_decided_run_only_the_next_run_is_held():
    """A candidate line whose run is decided (a short line and a backslash after it are the next
    token, not its last line) is written with the line break after it; the short line, which the
    next chunk may continue, is held from its first character, not from the decided line's."""
    line = "QUJD" * 12  # a candidate: 48 characters
    text = "k: " + line + "\n  " + "RUZH" * 4 + "\\"
    assert StreamRedactor().feed(text) == "k: " + line + "\n  "


def test_earlier_lines_of_a_trailing_run_are_looked_for_64_characters_back():
    """A trailing run's earlier lines are held with it when the line break before it is within 64
    characters (a break and an indentation of up to 63); deeper, the last line is held alone."""
    for spaces, held in ((63, len("A" * 20 + "\n") + 63 + 20), (64, 20)):
        text = "a: " + "A" * 20 + "\n" + " " * spaces + "B" * 20
        assert StreamRedactor().feed(text) == text[: len(text) - held], spaces


def test_a_run_at_the_very_start_cut_inside_a_line_break_is_held_whole():
    assert StreamRedactor().feed(RUN + "\\") == ""
