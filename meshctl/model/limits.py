"""How much meshctl reads from what it does not control, and the flags that change it (stdlib only).

A hostile or broken server, pod or archive can answer without end: every read stops at a limit,
with one line naming the limit and the flag that raises it (exit 65), never a MemoryError or a
full disk. The defaults sit well above what real meshes produce (the largest config dumps seen
are ~150 MB), so they are reached only by an answer that is not a real one. docs/security.md
lists them.
"""

from __future__ import annotations

import re

from meshctl.errors import DecodeError

DEFAULT_MAX_BODY = 1 << 30  # an Envoy admin answer, a pod's exec output, an API response, a snapshot member
DEFAULT_MAX_SNAPSHOT = 16 << 30  # a snapshot archive, inflated (members together)
BODY_FLAG = "--max-body-size"
SNAPSHOT_FLAG = "--max-snapshot-size"

_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "ki": 1 << 10, "mi": 1 << 20, "gi": 1 << 30, "ti": 1 << 40}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?", re.IGNORECASE)


class LimitExceeded(DecodeError):
    """An answer or archive larger than a limit: one line naming the limit and its flag (exit 65)."""


def parse_size(text: str | int | None, default: int, flag: str) -> int:
    """``512Mi``, ``1Gi``, ``2G``, ``1048576`` (bytes) -> bytes; None or "" -> `default`.

    Raises:
        UsageError: not a size.
    """
    if text is None or text == "":
        return default
    if isinstance(text, int):
        return text
    match = _SIZE.fullmatch(str(text).strip())
    if not match or float(match.group(1)) <= 0:
        from meshctl.errors import UsageError

        raise UsageError(f"invalid {flag} {text!r}: use a size such as 512Mi, 1Gi or 2G")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").lower()])


def format_size(size: int) -> str:
    """``1Gi``, ``32Mi`` for whole binary units, else bytes."""
    for unit, scale in (("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale}{unit}"
    return f"{size} bytes"


def too_large(what: str, limit: int, flag: str = BODY_FLAG) -> LimitExceeded:
    """The error for `what` passing `limit` bytes."""
    return LimitExceeded(f"{what} is larger than {format_size(limit)}, the limit {flag} sets (raise it to read more)")


class BoundedBuffer:
    """A growing buffer that refuses to pass `limit` bytes (``write`` raises LimitExceeded)."""

    def __init__(self, limit: int, what: str, flag: str = BODY_FLAG) -> None:
        import io

        self._buffer = io.BytesIO()
        self.limit, self.what, self.flag = limit, what, flag
        self.size = 0

    def write(self, data) -> int:
        """Append `data`; LimitExceeded once the total passes the limit."""
        self.size += len(data)
        if self.size > self.limit:
            raise too_large(self.what, self.limit, self.flag)
        return self._buffer.write(data)

    def getvalue(self) -> bytes:
        """Everything written (without a copy)."""
        return self._buffer.getvalue()
