"""Write a snapshot archive: a gzip'd tar streamed to a temporary file beside the target.

Members arrive from many threads; each is scrubbed into an anonymous spool file while it is
fetched (so memory holds one chunk, not a body), then copied into the tar under a lock. The
archive appears at the user's path only when complete (rename); on failure nothing is left.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable

from meshctl.errors import UsageError
from meshctl.snapshot.scrub import StreamScrubber

# zlib level 1 compresses config dumps ~8x at a fraction of level 9's CPU (tarfile's default).
_COMPRESS_LEVEL = 1


class Spool:
    """A scrubbing sink for one member: `write(chunk)` as bytes arrive; anonymous, gone on close."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()
        self._scrubber = StreamScrubber()
        self.size = 0

    def write(self, chunk: bytes) -> int:
        self._put(self._scrubber.feed(bytes(chunk)))
        return len(chunk)

    def _put(self, data: bytes) -> None:
        self._file.write(data)
        self.size += len(data)

    def finish(self):
        """The scrubbed content, rewound, as a file object."""
        self._put(self._scrubber.finish())
        self._file.seek(0)
        return self._file

    def close(self) -> None:
        self._file.close()


class SnapshotWriter:
    """``with SnapshotWriter(path) as out: out.add_bytes(...); out.add_spool(...)``: atomic on success."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        directory = os.path.dirname(self.path)
        if os.path.isdir(self.path):
            raise UsageError(f"{path} is a directory; give a file name such as mesh.tar.gz")
        if not os.path.isdir(directory):
            raise UsageError(f"cannot write {path}: directory {directory} does not exist")
        try:
            handle, self._temp = tempfile.mkstemp(prefix=f".{os.path.basename(self.path)}.", suffix=".part", dir=directory)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None
        self._raw = os.fdopen(handle, "wb")
        self._tar = tarfile.open(fileobj=self._raw, mode="w:gz", compresslevel=_COMPRESS_LEVEL, format=tarfile.PAX_FORMAT)
        self._lock = threading.Lock()
        self._mtime = int(time.time())
        self.names: set[str] = set()

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    def add_bytes(self, name: str, data: bytes) -> None:
        """Store a small member (API objects, the manifest), scrubbed."""
        spool = Spool()
        try:
            spool.write(data)
            self.add_spool(name, spool)
        finally:
            spool.close()

    def add_stream(self, name: str, fill: Callable[[Spool], None]) -> None:
        """Store what `fill(spool)` writes into a spool (it may raise: then nothing is stored)."""
        spool = Spool()
        try:
            fill(spool)
            self.add_spool(name, spool)
        finally:
            spool.close()

    def add_spool(self, name: str, spool: Spool) -> None:
        content = spool.finish()
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = spool.size, self._mtime, 0o644
        with self._lock:
            self._tar.addfile(info, content)
            self.names.add(name)

    def commit(self) -> None:
        self._tar.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        os.replace(self._temp, self.path)

    def abort(self) -> None:
        try:
            self._tar.close()
        except (OSError, ValueError):
            pass
        self._raw.close()
        try:
            os.unlink(self._temp)
        except FileNotFoundError:
            pass


def json_bytes(document) -> bytes:
    import orjson

    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)

