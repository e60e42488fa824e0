"""A file or standard input as a source."""

from __future__ import annotations

import sys

from meshctl.errors import UsageError


class FileSource:
    """Serves one file's bytes for every admin path (as istioctl's `-f` does)."""

    def __init__(self, path: str, stdin=None) -> None:
        self.path = path
        self._stdin = stdin
        self._data: bytes | None = None

    def fetch(self, path: str) -> bytes:
        """The file's bytes, whatever the admin path (read once)."""
        if self._data is None:
            self._data = self._read()
        return self._data

    def _read(self) -> bytes:
        if self.path == "-":
            stream = self._stdin if self._stdin is not None else sys.stdin.buffer
            return stream.read()
        try:
            with open(self.path, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            raise UsageError(f"file {self.path} does not exist") from None
        except IsADirectoryError:
            raise UsageError(f"{self.path} is a directory, not a file") from None
        except PermissionError:
            raise UsageError(f"file {self.path} cannot be read: permission denied") from None

    def describe(self) -> str:
        """``file PATH`` or ``standard input``."""
        return "standard input" if self.path == "-" else f"file {self.path}"
