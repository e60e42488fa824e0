"""meshctl.sources.http11 against a hostile answer (a compromised pod or API server): each bound at its
edge and one past it, chunk framing, bodies that end early, contradictory framing, and what a
connection may still carry after an answer."""

from __future__ import annotations

import io

import pytest

from meshctl.sources.http11 import (
    MAX_HEADERS,
    MAX_LINE,
    HTTPException,
    IncompleteRead,
    LineTooLong,
    NotConnected,
    Reader,
    Response,
)

OK = b"HTTP/1.1 200 OK\r\n"


def reader_of(data: bytes, block: int = 4096) -> Reader:
    stream = io.BytesIO(data)
    return Reader(lambda buffer: stream.readinto(memoryview(buffer)[:block]))


def answer(data: bytes, method: str = "GET", block: int = 4096) -> Response:
    return Response(reader_of(data, block), method)


def line_of(length: int, start: bytes = b"X-Long: ") -> bytes:
    """A header line of exactly `length` bytes, CRLF included."""
    return start + b"v" * (length - len(start) - 2) + b"\r\n"


# -- bounds: lines and header counts at the edge and one past it ------------------------------------


@pytest.mark.parametrize("block", [1 << 16, 1000, 65535])
def test_a_header_line_of_exactly_64_kib_is_read_and_one_byte_more_is_refused(block):
    head = OK + line_of(MAX_LINE) + b"Content-Length: 0\r\n\r\n"
    response = answer(head, block=block)
    assert len(response.getheader("x-long")) == MAX_LINE - len(b"X-Long: ") - 2 and response.complete
    with pytest.raises(LineTooLong, match="header line"):
        answer(OK + line_of(MAX_LINE + 1) + b"Content-Length: 0\r\n\r\n", block=block)


def test_a_status_line_of_exactly_64_kib_is_read_and_one_byte_more_is_refused():
    status = b"HTTP/1.1 200 " + b"r" * (MAX_LINE - len(b"HTTP/1.1 200 ") - 2) + b"\r\n"
    assert len(status) == MAX_LINE
    assert answer(status + b"Content-Length: 0\r\n\r\n").reason == "r" * (MAX_LINE - 15)
    with pytest.raises(LineTooLong, match="status line"):
        answer(b"HTTP/1.1 200 r" + status[13:] + b"Content-Length: 0\r\n\r\n")


def test_a_line_without_an_end_is_refused_at_64_kib_without_reading_the_rest():
    reads = []

    def endless(buffer):
        reads.append(len(buffer))
        buffer[:] = b"x" * len(buffer)
        return len(buffer)

    with pytest.raises(LineTooLong, match="status line"):
        Response(Reader(endless))
    assert sum(reads) <= 2 * MAX_LINE  # the bound holds memory too: no more than a line and one read


def test_100_headers_are_read_and_101_are_refused():
    headers = b"".join(b"X-%d: %d\r\n" % (number, number) for number in range(MAX_HEADERS - 1))
    response = answer(OK + headers + b"Content-Length: 1\r\n\r\nx")
    assert response.getheader("x-98") == "98" and response.read() == b"x"
    with pytest.raises(HTTPException, match=f"got more than {MAX_HEADERS} headers"):
        answer(OK + headers + b"X-Extra: 1\r\nContent-Length: 1\r\n\r\nx")


def test_folded_lines_count_as_header_lines():
    folded = b"X-Folded: a\r\n" + b" b\r\n" * (MAX_HEADERS - 1)
    assert answer(OK + folded + b"\r\n", "HEAD").getheader("x-folded") == "a" + " b" * (MAX_HEADERS - 1)
    with pytest.raises(HTTPException, match="headers"):
        answer(OK + folded + b" c\r\n\r\n", "HEAD")


def test_101_trailer_lines_are_refused_and_100_read():
    trailers = b"".join(b"T-%d: x\r\n" % number for number in range(MAX_HEADERS))
    response = answer(OK + b"Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n" + trailers + b"\r\nnext")
    assert response.read() == b"a" and response.complete
    response = answer(OK + b"Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n" + trailers + b"T-x: y\r\n\r\n")
    with pytest.raises(HTTPException, match=f"got more than {MAX_HEADERS} headers"):
        response.read()


def test_a_header_name_made_of_spaces_is_refused():
    with pytest.raises(HTTPException, match="without a name"):
        answer(OK + b"  : value\r\n\r\n")


# -- chunk sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size_line", "body"),
    [
        (b"3;name=value\r\n", b"abc"),
        (b'3 ; name="quoted;value"\r\n', b"abc"),
        (b"A\r\n", b"0123456789"),
        (b"0000000000000003\r\n", b"abc"),  # 16 hex digits: the most read
        (b"3\n", b"abc"),
    ],
)
def test_chunk_sizes_with_extensions_case_and_leading_zeros(size_line, body):
    response = answer(OK + b"Transfer-Encoding: chunked\r\n\r\n" + size_line + body + b"\r\n0\r\n\r\n")
    assert response.read() == body and response.complete


@pytest.mark.parametrize("size_line", [b"0x3\r\n", b"\r\n", b";ext\r\n", b"3 3\r\n", b"+3\r\n", b"g\r\n", b"\xd9\xa3\r\n", b"00000000000000003\r\n"])
def test_a_chunk_size_that_is_not_hex_within_16_digits_is_refused(size_line):
    response = answer(OK + b"Transfer-Encoding: chunked\r\n\r\n" + size_line + b"abc\r\n0\r\n\r\n")
    with pytest.raises(HTTPException, match="invalid chunk size") as caught:
        response.read()
    assert type(caught.value) is HTTPException and repr(size_line[:40]) in str(caught.value)


def test_a_chunk_size_of_2_to_the_64_minus_1_ends_as_a_cut_short_body():
    response = answer(OK + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc")
    assert response.read(2) == b"ab"
    with pytest.raises(IncompleteRead) as caught:
        response.read(10)
    assert caught.value.expected == (1 << 64) - 1 - 3


def test_a_chunk_size_line_of_64_kib_is_read_and_one_byte_more_is_refused():
    def chunked(extension_length):
        size_line = b"1;" + b"e" * (extension_length - 4) + b"\r\n"
        return OK + b"Transfer-Encoding: chunked\r\n\r\n" + size_line + b"z\r\n0\r\n\r\n"

    assert answer(chunked(MAX_LINE)).read() == b"z"
    with pytest.raises(LineTooLong, match="chunk size"):
        answer(chunked(MAX_LINE + 1)).read()


def test_a_chunk_with_no_line_end_after_its_data_is_refused():
    response = answer(OK + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n")
    with pytest.raises(HTTPException, match="longer than its size"):
        response.read()


# -- bodies that end early ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        (b"Content-Length: 5\r\n\r\n", 5),
        (b"Content-Length: 5\r\n\r\nabcd", 1),
        (b"Transfer-Encoding: chunked\r\n\r\n", None),
        (b"Transfer-Encoding: chunked\r\n\r\n4\r\n", 4),
        (b"Transfer-Encoding: chunked\r\n\r\n4\r\nab", 2),
        (b"Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n", None),
    ],
)
def test_a_body_that_ends_early_is_an_incomplete_read(rest, expected):
    response = answer(OK + rest, block=3)
    with pytest.raises(IncompleteRead) as caught:
        response.read()
    assert caught.value.expected == expected and not response.complete


def test_a_body_read_to_the_connections_end_is_complete_only_there():
    response = answer(OK + b"\r\nabc", block=2)
    assert response.will_close and response.length is None and not response.complete
    assert response.read(2) == b"ab" and not response.isclosed()
    assert response.read(5) == b"c" and response.isclosed() and response.read(5) == b""


def test_read_stops_at_the_content_length_and_leaves_the_rest():
    reader = reader_of(OK + b"Content-Length: 3\r\n\r\nabcdef")
    response = Response(reader)
    assert response.length == 3 and response.read(2) == b"ab" and response.length == 1 and not response.complete
    assert response.read(100) == b"c" and response.complete and response.length == 0
    assert response.read(100) == b"" and reader.take() == b"def"


# -- contradictory framing ------------------------------------------------------------------------


def test_chunked_and_a_content_length_read_as_chunked_and_end_the_connection():
    # RFC 9112 6.3: Transfer-Encoding wins; the answer may be a smuggling attempt, so the connection is
    # not used again (a next answer could begin where the Content-Length said this one ends)
    reader = reader_of(OK + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    response = Response(reader)
    assert response.read() == b"abc" and response.complete and response.will_close


def test_chunked_in_an_http_1_0_answer_ends_the_connection_even_kept_alive():
    # RFC 9112 6.1: a Transfer-Encoding in an HTTP/1.0 message is faulty framing: close after it
    response = answer(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n")
    assert response.read() == b"a" and response.will_close


def test_chunked_alone_keeps_the_connection():
    response = answer(OK + b"Transfer-Encoding: gzip, Chunked\r\n\r\n1\r\na\r\n0\r\n\r\n")
    assert response.read() == b"a" and not response.will_close


@pytest.mark.parametrize("encoding", [b"chunked, gzip", b"identity", b"gzip"])
def test_a_transfer_encoding_not_ending_in_chunked_is_read_to_the_end(encoding):
    response = answer(OK + b"Transfer-Encoding: " + encoding + b"\r\nContent-Length: 1\r\n\r\n1\r\na\r\n0\r\n\r\n")
    assert response.will_close and response.read() == b"1\r\na\r\n0\r\n\r\n"


@pytest.mark.parametrize(
    ("connection", "will_close"),
    [
        (b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE", True),
        (b"HTTP/1.1 200 OK\r\nConnection: upgrade", False),
        (b"HTTP/1.0 200 OK\r\nConnection: x , keep-alive ", False),
        (b"HTTP/1.0 200 OK\r\nX: keep-alive", True),
    ],
)
def test_connection_tokens_decide_whether_the_connection_ends(connection, will_close):
    assert answer(connection + b"\r\nContent-Length: 0\r\n\r\n").will_close is will_close


@pytest.mark.parametrize("status", [b"102", b"103", b"199"])
def test_an_informational_answer_other_than_100_has_no_body(status):
    reader = reader_of(b"HTTP/1.1 " + status + b" Info\r\n\r\nHTTP/1.1 200 OK\r\n")
    response = Response(reader)
    assert response.status == int(status) and response.complete and response.read() == b""
    assert reader.take() == b"HTTP/1.1 200 OK\r\n"


# -- what the connection carries after an answer ------------------------------------------------


def test_after_an_answer_read_half_the_next_head_is_not_its_rest():
    reader = reader_of(OK + b"Content-Length: 4\r\n\r\nabcd" + OK + b"Content-Length: 0\r\n\r\n")
    first = Response(reader)
    assert first.read(2) == b"ab" and not first.complete and not first.isclosed()
    # a caller that ignored `complete` would now read "cd" + a head as a status line
    with pytest.raises(HTTPException):
        Response(reader)


def test_the_reader_hands_held_bytes_before_reading_the_connection():
    stream = io.BytesIO(b"456")
    reader = Reader(lambda buffer: stream.readinto(buffer), b"123")
    buffer = bytearray(5)
    assert reader.readinto(buffer) == 3 and buffer[:3] == b"123"
    assert reader.readinto(memoryview(buffer)[:2]) == 2 and buffer[:2] == b"45"
    assert reader.readinto(buffer) == 1 and reader.readinto(buffer) == 0


def test_the_reader_hands_held_bytes_in_parts():
    reader = Reader(lambda buffer: 0, b"abcdef")
    buffer = bytearray(4)
    assert reader.readinto(buffer) == 4 and buffer == b"abcd"
    assert reader.take() == b"ef" and reader.readinto(buffer) == 0


def test_a_line_that_the_connection_ends_is_returned_and_the_reader_is_then_empty():
    reader = Reader(lambda buffer: 0, b"line\r\npart")
    assert reader.readline("x") == b"line\r\n" and reader.readline("x") == b"part"
    assert reader.readline("x") == b"" and reader.take() == b""


def test_getheader_defaults_and_close():
    response = answer(OK + b"Content-Length: 0\r\n\r\n")
    assert response.getheader("X-Missing") is None and response.getheader("X-Missing", "d") == "d"
    assert response.getheader("content-LENGTH") == "0"
    response.close()
    assert response.isclosed()


def test_the_errors_read_as_messages():
    assert str(IncompleteRead()) == "the answer was cut short" and IncompleteRead().expected is None
    assert str(IncompleteRead(0)) == "the answer was cut short"
    assert issubclass(NotConnected, HTTPException)


def test_a_trailer_line_over_64_kib_is_refused_as_a_trailer_line():
    response = answer(OK + b"Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n" + line_of(MAX_LINE + 1, b"T: ") + b"\r\n")
    with pytest.raises(LineTooLong) as caught:
        response.read()
    assert str(caught.value) == f"got more than {MAX_LINE} bytes when reading trailer line"


def test_garbage_after_a_chunks_data_without_a_line_end_is_refused_as_a_chunk_end():
    response = answer(OK + b"Transfer-Encoding: chunked\r\n\r\n1\r\na" + b"g" * (MAX_LINE + 1))
    with pytest.raises(LineTooLong) as caught:
        response.read()
    assert str(caught.value) == f"got more than {MAX_LINE} bytes when reading chunk end"


def test_an_invalid_chunk_size_is_quoted_to_40_bytes():
    response = answer(OK + b"Transfer-Encoding: chunked\r\n\r\n" + b"z" * 50 + b"\r\n")
    with pytest.raises(HTTPException) as caught:
        response.read()
    assert str(caught.value) == "invalid chunk size " + repr(b"z" * 40)


def test_a_body_over_a_mebibyte_is_read_whole():
    body = bytes(range(256)) * 4097  # more than one of read()'s 1 MiB parts
    response = answer(OK + b"Content-Length: %d\r\n\r\n" % len(body) + body, block=1 << 16)
    assert response.read() == body and response.complete


def test_a_read_bound_past_the_content_length_allocates_only_the_body():
    # a caller's bound (--max-body-size) may be far over what the answer says it holds
    response = answer(OK + b"Content-Length: 3\r\n\r\nabc")
    assert response.read(1 << 44) == b"abc"


def test_an_empty_bad_status_line_is_quoted():
    from meshctl.sources.http11 import BadStatusLine

    assert str(BadStatusLine("")) == "''" and str(BadStatusLine("x")) == "x"
