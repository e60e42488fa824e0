"""meshctl.errors.short_reason: the reason part of every one-line error that quotes a server or a file."""

from meshctl.errors import short_reason


def test_the_first_line_without_blanks_around_it():
    assert short_reason(ValueError("  bad status line: 'SSH-2.0'\r\nmore\n")) == "bad status line: 'SSH-2.0'"


def test_at_most_300_characters():
    assert short_reason(OSError("x" * 1000)) == "x" * 300
    assert short_reason(OSError("y" * 300)) == "y" * 300


def test_no_message_gives_the_type():
    assert short_reason(ConnectionResetError()) == "ConnectionResetError"
    assert short_reason(TimeoutError(" \n ")) == "TimeoutError"
