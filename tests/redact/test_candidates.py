"""Where the redactor looks (`meshctl.redact.candidates`): every run of 48 or more base64 characters
and every PEM BEGIN, found on a sample of the text and then checked exactly, as a plain regular
expression finds them, in text and in bytes, whatever the offsets and the characters around."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from meshctl.redact import may_hold_key
from meshctl.redact.candidates import candidates

_RUN = re.compile(r"[A-Za-z0-9+/]{48,}")


def expected(text: str) -> list[tuple[int, str]]:
    hits = [(found.start(), "b64") for found in _RUN.finditer(text)]
    hits += [(found.start(), "pem") for found in re.finditer("-----BEGIN", text)]
    return sorted(hits)


_piece = st.one_of(
    st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"), min_size=1, max_size=120),
    st.sampled_from(["-----BEGIN", "------BEGIN PRIVATE KEY-----", "-----BEG", "-", ".", " ", "\n", '"', "=", "é", "€", "\\n"]),
    st.text(max_size=20),
)


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(_piece, max_size=40), offset=st.integers(0, 9))
def test_candidates_are_the_runs_and_begin_lines(pieces, offset):
    text = "x" * offset + "".join(pieces)
    assert candidates(text) == expected(text)
    if text.isascii():
        assert candidates(text.encode()) == expected(text)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(_piece, max_size=40))
def test_may_hold_key_is_whether_there_is_a_candidate(pieces):
    """render.dumpjson skips the recogniser on text for which `may_hold_key` is False."""
    text = "".join(pieces)
    assert may_hold_key(text) is bool(expected(text))
    if text.isascii():
        assert may_hold_key(text.encode()) is bool(expected(text))


def test_runs_at_every_offset_and_length_around_the_sample_stride():
    for length in range(40, 70):
        for offset in range(0, 17):
            text = "." * offset + "A" * length + "." * 5
            assert candidates(text) == expected(text), (offset, length)
            assert candidates(text.encode()) == expected(text), (offset, length)


def test_long_text_with_many_near_misses():
    # type URLs and names: long, but broken by dots, dashes and pipes every few characters
    line = '"@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",\n'
    text = line * 2000 + "Q" * 64 + line * 2000 + "-----BEGIN CERTIFICATE-----"
    assert candidates(text) == expected(text)
    assert candidates(text.encode()) == expected(text)
