"""Read a snapshot archive.

A gzip stream cannot seek, so reads are sequential passes that stop as soon as they have what
they need: the API objects come first (one short pass), a pod's dump is found by reading up to
it. `seekable()` decompresses once into an anonymous temporary file for random access (what
`snapshot diff` needs: every pod of two archives).
"""

from __future__ import annotations

import contextlib
import os
import tarfile
import tempfile
import threading
import zlib
from collections.abc import Iterator

from meshctl.archive import layout
from meshctl.errors import DecodeError, UsageError

_CHUNK = 1 << 20
_READ_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError)


class SnapshotArchive:
    """One snapshot file; every read error is a one-line DecodeError naming the file."""

    def __init__(self, path: str) -> None:
        if not os.path.exists(path):
            raise UsageError(f"snapshot {path} does not exist")
        if os.path.isdir(path):
            raise UsageError(f"snapshot {path} is a directory, not a file")
        self.path = path
        self._objects: dict[str, bytes] | None = None
        self._manifest: dict | None = None
        self._lock = threading.Lock()
        self._reads = 0
        self._random_access: contextlib.ExitStack | None = None
        self._seekable: SeekableSnapshot | None = None

    @contextlib.contextmanager
    def _stream(self) -> Iterator[tarfile.TarFile]:
        import gzip

        # gzip.open, not tarfile's "r|gz": the archive is many gzip members (writer.py), and
        # tarfile's own stream stops after the first
        try:
            with gzip.open(self.path, "rb") as compressed, tarfile.open(fileobj=compressed, mode="r|") as archive:
                yield archive
        except _READ_ERRORS as exc:
            raise DecodeError(f"{self.path} is not a readable meshctl snapshot ({_reason(exc)})") from None

    def cluster_members(self) -> dict[str, bytes]:
        """{member name: bytes} of the ``cluster/`` members (API objects), read in one short pass."""
        if self._objects is None:
            found: dict[str, bytes] = {}
            with self._stream() as archive:
                for info in archive:
                    if not info.name.startswith(layout.CLUSTER_PREFIX):
                        break
                    found[info.name] = archive.extractfile(info).read()
            if layout.CONTEXT not in found:
                raise DecodeError(f"{self.path} is not a meshctl snapshot (no {layout.CONTEXT})")
            self._objects = found
        return self._objects

    def read(self, name: str) -> bytes | None:
        """A member's bytes, or None when the archive has no such member.

        The first read is a pass that stops at the member (a one-pod command reads one or two);
        from the second on, the archive is decompressed once for random access (many pods).
        """
        if name.startswith(layout.CLUSTER_PREFIX):
            return self.cluster_members().get(name)
        with self._lock:
            self._reads += 1
            if self._reads > 1 and self._seekable is None:
                self._random_access = contextlib.ExitStack()
                self._seekable = self._random_access.enter_context(self.seekable())
            if self._seekable is not None:
                return self._seekable.read(name)
        with self._stream() as archive:
            for info in archive:
                if info.name == name:
                    return archive.extractfile(info).read()
        return None

    def manifest(self) -> dict:
        """manifest.json (what was captured and what failed); DecodeError when the snapshot was not finished."""
        if self._manifest is None:
            import orjson

            data = self.read(layout.MANIFEST)
            if data is None:
                raise DecodeError(f"{self.path} has no {layout.MANIFEST}: the snapshot was not finished")
            try:
                self._manifest = orjson.loads(data)
            except orjson.JSONDecodeError:
                raise DecodeError(f"{self.path}: {layout.MANIFEST} is not JSON") from None
        return self._manifest

    @contextlib.contextmanager
    def seekable(self) -> Iterator[SeekableSnapshot]:
        """The archive decompressed once into an anonymous temporary file, for random access."""
        import gzip
        import shutil

        with tempfile.TemporaryFile() as plain:
            try:
                with gzip.open(self.path, "rb") as compressed:
                    shutil.copyfileobj(compressed, plain, _CHUNK)
                plain.seek(0)
                archive = tarfile.open(fileobj=plain, mode="r:")
            except _READ_ERRORS as exc:
                raise DecodeError(f"{self.path} is not a readable meshctl snapshot ({_reason(exc)})") from None
            with archive:
                yield SeekableSnapshot(self.path, archive)


class SeekableSnapshot:
    """A snapshot decompressed into a temporary file: members read in any order."""
    def __init__(self, path: str, archive: tarfile.TarFile) -> None:
        self.path = path
        self._archive = archive
        self.names = [info.name for info in archive.getmembers()]

    def read(self, name: str) -> bytes | None:
        """The member's bytes, or None when the archive has no such member."""
        try:
            handle = self._archive.extractfile(name)
        except KeyError:
            return None
        return handle.read() if handle else None

    def pods(self) -> set[str]:
        """``name.namespace`` of every pod whose config dump the snapshot holds."""
        found = set()
        for name in self.names:
            parts = layout.split_pod_member(name)
            if parts and parts[2] == "config_dump":
                found.add(f"{parts[1]}.{parts[0]}")
        return found


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
