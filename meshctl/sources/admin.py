"""Envoy's admin API over HTTP as a source (``--admin http://127.0.0.1:15000``).

Paths are the ones istioctl asks for (``config_dump``, ``config_dump?include_eds``,
``config_dump?mask=...``, ``clusters?format=json``, ``certs``, ``server_info``); callers pick the
path, this module only fetches it. Dumps reach 150 MB, so the body is streamed into one growing
buffer and handed out without a second full copy.
"""

from __future__ import annotations

import http.client
import io
import socket
from urllib.parse import urlsplit

from meshctl.errors import SourceError, UsageError
from meshctl.model.limits import DEFAULT_MAX_BODY, too_large
from meshctl.model.urls import without_userinfo
from meshctl.sources.deadline import Deadline, shut

DEFAULT_TIMEOUT = 30.0
_CHUNK = 1 << 20


class AdminSource:
    """Fetches admin paths from one Envoy; `timeout` bounds each whole request (a wall clock, in
    seconds, however slowly bytes arrive), `max_body` the bytes of an answer."""

    def __init__(self, base_url: str, timeout: float | None = None, max_body: int = DEFAULT_MAX_BODY) -> None:
        url = base_url if "://" in base_url else f"http://{base_url}"
        try:
            parts = urlsplit(url)
        except ValueError as exc:  # "http://[::1": an unclosed IPv6 bracket
            raise UsageError(f"--admin is not a URL such as http://127.0.0.1:15000 ({exc})") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"--admin {without_userinfo(base_url)!r} is not an http(s) URL such as http://127.0.0.1:15000")
        try:
            port = parts.port
        except ValueError:
            raise UsageError(f"--admin {without_userinfo(base_url)!r} has an invalid port") from None
        if timeout is not None and timeout <= 0:
            raise UsageError(f"--timeout must be positive, not {timeout}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.base_url = f"{parts.scheme}://{without_userinfo(parts.netloc)}{self.prefix}"
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.max_body = max_body

    def describe(self) -> str:
        """``admin URL``."""
        return f"admin {self.base_url}"

    def fetch(self, path: str) -> bytes:
        """GET ``/<path>``; any network failure or non-200 answer raises SourceError."""
        return self._request("GET", path)

    def post(self, path: str) -> bytes:
        """POST ``/<path>`` (Envoy's /logging), as `fetch`."""
        return self._request("POST", path)

    def _request(self, method: str, path: str) -> bytes:
        target = f"{self.prefix}/{path.lstrip('/')}"
        where = f"Envoy admin API at {self.base_url}"
        deadline = Deadline(self.timeout)
        conn_class = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        conn = conn_class(self.host, self.port, timeout=self.timeout)
        try:
            # the watchdog ends the whole exchange at the deadline, however slowly bytes trickle in; an
            # https URL's TLS handshake is bounded by the socket's timeout as a whole (CPython's
            # do_handshake keeps one deadline across its reads), not per read
            with deadline.guard(shut(lambda: conn.sock)):
                conn.connect()
                conn.request(method, target, headers={"Accept": "application/json"})
                response = conn.getresponse()
                body = read_body(response, self.max_body, f"the answer of {where} to /{path}")
            if deadline.fired:  # the watchdog ended the body: what came is not all
                raise TimeoutError
        except ConnectionRefusedError:
            raise SourceError(f"{where} refused the connection (is Envoy running and the port right?)") from None
        except (OSError, http.client.HTTPException) as exc:
            if deadline.fired or isinstance(exc, (TimeoutError, socket.timeout)):
                raise SourceError(f"{where} did not answer /{path} within {self.timeout:g}s (raise --timeout?)") from None
            if isinstance(exc, (http.client.IncompleteRead, http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
                raise SourceError(f"{where} closed the connection before sending all of /{path} ({_reason(exc)})") from None
            raise SourceError(f"{where} failed for /{path}: {_reason(exc)}") from None
        finally:
            conn.close()
        if response.status != 200:
            first_line = bytes(body[:200]).decode("utf-8", "replace").strip().splitlines()
            detail = f": {first_line[0]}" if first_line else ""
            raise SourceError(f"{where} answered /{path} with HTTP {response.status}{detail}")
        return body


def read_body(response: http.client.HTTPResponse, limit: int, what: str) -> bytes:
    """Stream the body into one buffer; `BytesIO.getvalue()` then returns it without copying.

    Raises:
        LimitExceeded: more than `limit` bytes (`what` names the answer), read no further.
    """
    if response.length is not None and response.length > limit:
        raise too_large(what, limit)
    buffer = io.BytesIO()
    chunk = bytearray(_CHUNK)
    view = memoryview(chunk)
    size = 0
    while True:
        count = response.readinto(chunk)
        if not count:
            break
        size += count
        if size > limit:
            raise too_large(what, limit)
        buffer.write(view[:count])
    if response.length:  # readinto stops early on a Content-Length body cut short
        raise http.client.IncompleteRead(b"", response.length)
    return buffer.getvalue()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, http.client.IncompleteRead):
        return "response truncated"
    return str(exc) or type(exc).__name__
