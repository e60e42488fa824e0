"""meshctl.sources.http11: answers read as http.client reads them (compared on the same bytes), its
bounds, the errors meshctl's messages quote, and the request head it writes."""

from __future__ import annotations

import http.client
import io
import socket

import pytest

from meshctl.sources.http11 import (
    MAX_HEADERS,
    MAX_LINE,
    BadStatusLine,
    HTTPException,
    IncompleteRead,
    LineTooLong,
    Reader,
    RemoteDisconnected,
    Response,
    request_head,
)


def reader_of(data: bytes, block: int = 7) -> Reader:
    """A Reader over `data` that a connection hands out `block` bytes at a time (lines span reads)."""
    stream = io.BytesIO(data)
    return Reader(lambda buffer: stream.readinto(memoryview(buffer)[:block]))


def ours(data: bytes, method: str = "GET") -> tuple[int, dict, bytes, bool]:
    response = Response(reader_of(data), method)
    body = response.read()
    return response.status, {name: response.getheader(name) for name in ("content-type", "x-twice", "x-folded")}, body, response.will_close


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def makefile(self, mode: str):
        return io.BufferedReader(io.BytesIO(self.data))


def theirs(data: bytes, method: str = "GET") -> tuple[int, dict, bytes, bool]:
    response = http.client.HTTPResponse(_Bytes(data), method=method)
    response.begin()
    body = response.read()
    return response.status, {name: response.getheader(name) for name in ("content-type", "x-twice", "x-folded")}, body, response.will_close


SAME_AS_HTTP_CLIENT = {
    "content-length": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    "chunked, extensions, trailers": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"3;name=value\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: t\r\n\r\n",
    "to the end of the connection": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it\r\nand more",
    "HTTP/1.0 ends the connection": b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc",
    "HTTP/1.0 kept alive": b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc",
    "Connection: close": b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 4\r\n\r\ndown",
    "repeated and case-folded names": b"HTTP/1.1 200 OK\r\nX-Twice: a\r\nx-twice: b\r\nCONTENT-LENGTH: 0\r\n\r\n",
    "no reason, bare LF": b"HTTP/1.1 204\nContent-Type: x\n\n",
    "304 without a body": b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
    "a 100 Continue first": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
    "headers end with the connection": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n",
}


@pytest.mark.parametrize("data", SAME_AS_HTTP_CLIENT.values(), ids=SAME_AS_HTTP_CLIENT.keys())
def test_an_answer_reads_as_http_client_reads_it(data):
    assert ours(data) == theirs(data)


def test_a_head_answer_has_no_body():
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    assert ours(data, "HEAD") == theirs(data, "HEAD")


def test_a_folded_line_continues_the_value_with_one_space():
    # RFC 9112 5.2 (http.client keeps the line break, which no caller wants in a message)
    response = Response(reader_of(b"HTTP/1.1 200 OK\r\nX-Folded: first\r\n \t second\r\nContent-Length: 0\r\n\r\n"))
    assert response.getheader("x-folded") == "first second"


def test_the_bytes_past_an_answer_stay_for_the_next_one():
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\nrest"
    reader = reader_of(data, block=len(data))  # all in one read
    first = Response(reader)
    assert first.read() == b"a" and first.complete and not first.will_close
    second = Response(reader)
    assert second.read(10) == b"b" and second.complete
    assert reader.take() == b"rest" and reader.take() == b""


def test_readinto_fills_the_buffer_across_chunks_and_reads():
    body = bytes(range(256)) * 40
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i : i + 1000]), body[i : i + 1000]) for i in range(0, len(body), 1000))
    response = Response(reader_of(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n", block=333))
    buffer = bytearray(4096)
    sizes = []
    while count := response.readinto(buffer):
        sizes.append(count)
    assert sizes == [4096, 4096, 10240 - 8192]


def test_an_upgrade_answer_has_no_body():
    reader = reader_of(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x82\x03abc", block=1000)
    response = Response(reader)
    assert response.status == 101 and response.complete and response.read(10) == b""
    assert reader.take() == b"\x82\x03abc"  # websocket frames, left to their reader


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"", RemoteDisconnected, "Remote end closed connection without response"),
        (b"SSH-2.0-OpenSSH_9.6\r\n", BadStatusLine, "SSH-2.0-OpenSSH_9.6\r\n"),
        (b"\r\n", BadStatusLine, "\r\n"),
        (b"HTTP/2 200 OK\r\n\r\n", BadStatusLine, "HTTP/2 200 OK\r\n"),
        (b"HTTP/1.1 20 OK\r\n\r\n", BadStatusLine, "HTTP/1.1 20 OK\r\n"),
        (b"HTTP/1.1 099 OK\r\n\r\n", BadStatusLine, "HTTP/1.1 099 OK\r\n"),
        (b"HTTP/1.1 2\xd9\xa00 OK\r\n\r\n", BadStatusLine, "HTTP/1.1 2\xd9\xa00 OK\r\n"),
        (b"HTTP/1.1 200 " + b"x" * MAX_LINE + b"\r\n", LineTooLong, f"got more than {MAX_LINE} bytes when reading status line"),
        (b"HTTP/1.1 200 OK\r\nX: " + b"x" * MAX_LINE + b"\r\n\r\n", LineTooLong, f"got more than {MAX_LINE} bytes when reading header line"),
        (b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * (MAX_HEADERS + 1) + b"\r\n", HTTPException, f"got more than {MAX_HEADERS} headers"),
        (b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", HTTPException, "a header line without a name: 'no colon'"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", HTTPException, "invalid Content-Length '-1'"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n", HTTPException, "invalid Content-Length '1, 1'"),
    ],
)
def test_a_head_that_is_not_http_within_the_bounds(data, error, message):
    with pytest.raises(error) as caught:
        Response(reader_of(data))
    assert type(caught.value) is error and str(caught.value) == message


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (b"Content-Length: 10\r\n\r\nshort", IncompleteRead, "the answer was cut short, 5 more bytes expected"),
        (b"Transfer-Encoding: chunked\r\n\r\n5\r\nab", IncompleteRead, "the answer was cut short, 3 more bytes expected"),
        (b"Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n", IncompleteRead, "the answer was cut short"),
        (b"Transfer-Encoding: chunked\r\n\r\n-2\r\nab\r\n", HTTPException, "invalid chunk size b'-2\\r\\n'"),
        (b"Transfer-Encoding: chunked\r\n\r\n1_0\r\nab\r\n", HTTPException, "invalid chunk size b'1_0\\r\\n'"),
        (b"Transfer-Encoding: chunked\r\n\r\n" + b"f" * 17 + b"\r\n", HTTPException, "invalid chunk size b'" + "f" * 17 + "\\r\\n'"),
        (b"Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n", HTTPException, "a chunk is longer than its size says"),
        (b"Transfer-Encoding: chunked\r\n\r\n" + b"0" * (MAX_LINE + 1), LineTooLong, f"got more than {MAX_LINE} bytes when reading chunk size"),
    ],
)
def test_a_body_cut_short_or_malformed(body, error, message):
    response = Response(reader_of(b"HTTP/1.1 200 OK\r\n" + body))
    with pytest.raises(error) as caught:
        response.read()
    assert type(caught.value) is error and str(caught.value) == message


def test_the_errors_are_the_kinds_callers_catch():
    assert issubclass(RemoteDisconnected, ConnectionError) and issubclass(RemoteDisconnected, HTTPException)
    assert issubclass(IncompleteRead, HTTPException) and not issubclass(IncompleteRead, OSError)


def test_a_request_head_as_http_client_writes_it():
    assert request_head("GET", "/api/v1/pods?limit=1", "api:6443", {"Accept": "application/json"}) == (
        b"GET /api/v1/pods?limit=1 HTTP/1.1\r\nHost: api:6443\r\nAccept-Encoding: identity\r\nAccept: application/json\r\n\r\n"
    )
    assert request_head("POST", "/logging", "127.0.0.1:15000", {}) == (
        b"POST /logging HTTP/1.1\r\nHost: 127.0.0.1:15000\r\nAccept-Encoding: identity\r\nContent-Length: 0\r\n\r\n"
    )


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer t\r\nX-Injected: 1"}, {"X\nY": "1"}, {"A": "b\0"}])
def test_a_request_head_with_a_line_break_is_refused(headers):
    with pytest.raises(ValueError):
        request_head("GET", "/", "api", headers)
    with pytest.raises(ValueError):
        request_head("GET", "/\r\nX: 1", "api", {})


def test_a_real_socket_carries_an_answer_split_anywhere():
    mine, theirs_ = socket.socketpair()
    with mine, theirs_:
        answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n"
        for byte in answer:
            theirs_.sendall(bytes([byte]))
        response = Response(Reader(mine.recv_into))
        assert (response.status, response.read(), response.complete) == (200, b"wxyz", True)
