"""A redaction checked through streams: the text cut in two at every place, as text and as bytes."""

from __future__ import annotations

from meshctl.redact import ByteStreamRedactor, StreamRedactor


def assert_every_cut_gives(text: str, expected: str) -> None:
    """A `StreamRedactor` fed `text` in two chunks, cut anywhere, writes `expected`; so does a
    `ByteStreamRedactor` fed its UTF-8 bytes."""
    for cut in range(len(text) + 1):
        stream = StreamRedactor()
        assert stream.feed(text[:cut]) + stream.feed(text[cut:]) + stream.finish() == expected, cut
    data, want = text.encode(), expected.encode()
    for cut in range(len(data) + 1):
        stream = ByteStreamRedactor()
        assert bytes(stream.feed(data[:cut])) + bytes(stream.feed(data[cut:])) + stream.finish() == want, cut
