"""Read a snapshot archive.

A gzip stream cannot seek, so reads are sequential passes that stop as soon as they have what
they need: the API objects come first (one short pass), a pod's dump is found by reading up to
it. `seekable()` decompresses once into an anonymous temporary file for random access (what
`snapshot diff` needs: every pod of two archives).

Archives come from others (bug reports): every member is checked before it is used. Only regular
files with names of the layout (`meshctl.archive.layout`), each name once, each at most
``max_member`` bytes, all together (inflated) at most ``max_total``; API objects and the manifest
must have the shape their readers expect. Anything else is one DecodeError line (exit 65).
"""

from __future__ import annotations

import contextlib
import io
import os
import tarfile
import tempfile
import threading
import zlib
from collections.abc import Iterator

from meshctl.archive import layout
from meshctl.errors import DecodeError, InputError
from meshctl.model.limits import BODY_FLAG, DEFAULT_MAX_BODY, DEFAULT_MAX_SNAPSHOT, SNAPSHOT_FLAG, too_large

_CHUNK = 1 << 20
_READ_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError)


class SnapshotArchive:
    """One snapshot file; every read error is a one-line DecodeError naming the file."""

    def __init__(self, path: str, *, max_member: int = DEFAULT_MAX_BODY, max_total: int = DEFAULT_MAX_SNAPSHOT) -> None:
        if not os.path.exists(path):
            raise InputError(f"snapshot {path} does not exist")
        if os.path.isdir(path):
            raise InputError(f"snapshot {path} is a directory, not a file")
        self.path = path
        self.max_member, self.max_total = max_member, max_total
        self._objects: dict[str, bytes] | None = None
        self._manifest: dict | None = None
        self._lock = threading.Lock()
        self._reads = 0
        self._random_access: contextlib.ExitStack | None = None
        self._seekable: SeekableSnapshot | None = None

    @contextlib.contextmanager
    def _stream(self, copy_to=None) -> Iterator[_Checked]:
        import gzip

        # gzip.open, not tarfile's "r|gz": the archive is many gzip members (writer.py), and
        # tarfile's own stream stops after the first
        try:
            with gzip.open(self.path, "rb") as compressed:
                source = compressed if copy_to is None else _Tee(compressed, copy_to, self.max_total + 2 * _CHUNK, self.path)
                with tarfile.open(fileobj=source, mode="r|") as archive:
                    yield _Checked(self, archive)
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
                    found[info.name] = archive.read(info)
            if layout.CONTEXT not in found:
                raise DecodeError(f"{self.path} is not a meshctl snapshot (no {layout.CONTEXT})")
            for name, data in found.items():
                check_object(data, name, self.path)
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
                    return archive.read(info)
        return None

    def manifest(self) -> dict:
        """manifest.json (what was captured and what failed); DecodeError when the snapshot was not finished."""
        if self._manifest is None:
            import orjson

            data = self.read(layout.MANIFEST)
            if data is None:
                raise DecodeError(f"{self.path} has no {layout.MANIFEST}: the snapshot was not finished")
            try:
                manifest = orjson.loads(data)
            except orjson.JSONDecodeError:
                raise DecodeError(f"{self.path}: {layout.MANIFEST} is not JSON") from None
            self._manifest = check_manifest(manifest, self.path)
        return self._manifest

    @contextlib.contextmanager
    def seekable(self) -> Iterator[SeekableSnapshot]:
        """The archive decompressed once into an anonymous temporary file, for random access.

        The one pass that inflates it also checks every member header (type, name, size) before
        its content is inflated: a bomb stops at its first oversized member, not the disk's end.
        """
        with tempfile.TemporaryFile() as plain:
            with self._stream(copy_to=plain) as archive:
                for _ in archive:  # checked as they pass; their content is copied, not kept
                    pass
            try:
                plain.seek(0)
                archive = tarfile.open(fileobj=plain, mode="r:")
            except _READ_ERRORS as exc:
                raise DecodeError(f"{self.path} is not a readable meshctl snapshot ({_reason(exc)})") from None
            with archive:
                yield SeekableSnapshot(self, archive)


class _Tee(io.RawIOBase):
    """What tarfile reads from the inflated stream, also written to `copy`, at most `limit` bytes."""

    def __init__(self, source, copy, limit: int, path: str) -> None:
        self._source, self._copy, self._limit, self._path = source, copy, limit, path
        self._written = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._source.readinto(buffer)
        if count:
            self._written += count
            if self._written > self._limit:
                raise too_large(f"snapshot {self._path} (inflated)", self._limit, SNAPSHOT_FLAG)
            self._copy.write(memoryview(buffer)[:count])
        return count


class SeekableSnapshot:
    """A snapshot decompressed into a temporary file: members (checked) read in any order."""

    def __init__(self, snapshot: SnapshotArchive, archive: tarfile.TarFile) -> None:
        self.path = snapshot.path
        self._archive = archive
        checked = _Checked(snapshot, archive)
        self._members = {info.name: info for info in checked}
        self.names = list(self._members)

    def read(self, name: str) -> bytes | None:
        """The member's bytes, or None when the archive has no such member."""
        info = self._members.get(name)
        return self._archive.extractfile(info).read() if info is not None else None

    def manifest(self) -> dict:
        """The manifest: this must be a finished meshctl snapshot (`snapshot diff` reads nothing else)."""
        import orjson

        data = self.read(layout.MANIFEST)
        if data is None:
            raise DecodeError(f"{self.path} is not a meshctl snapshot (no {layout.MANIFEST})")
        try:
            manifest = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise DecodeError(f"{self.path}: {layout.MANIFEST} is not JSON") from None
        if not isinstance(manifest, dict) or manifest.get("format") != layout.FORMAT:
            raise DecodeError(f"{self.path} is not a meshctl snapshot ({layout.MANIFEST} does not say format {layout.FORMAT})")
        return check_manifest(manifest, self.path)

    def pods(self) -> set[str]:
        """``name.namespace`` of every pod whose config dump the snapshot holds."""
        found = set()
        for name in self.names:
            parts = layout.split_pod_member(name)
            if parts and parts[2] == "config_dump":
                found.add(f"{parts[1]}.{parts[0]}")
        return found


class _Checked:
    """The members of a tar (stream or file) as far as they are valid; each checked before it is yielded."""

    def __init__(self, snapshot: SnapshotArchive, archive: tarfile.TarFile) -> None:
        self._snapshot, self._archive = snapshot, archive
        self._seen: set[str] = set()
        self._total = 0

    def __iter__(self):
        path = self._snapshot.path
        for info in self._archive:
            name = info.name
            if not info.isreg():
                kind = "directory" if info.isdir() else "link" if info.issym() or info.islnk() else "device or FIFO"
                raise DecodeError(f"{path} is not a meshctl snapshot: member {_printable(name)} is a {kind}, not a file")
            if not layout.known_member(name):
                raise DecodeError(f"{path} is not a meshctl snapshot: unexpected member {_printable(name)}")
            if name in self._seen:
                raise DecodeError(f"{path} is not a meshctl snapshot: member {_printable(name)} appears twice")
            self._seen.add(name)
            if info.size > self._snapshot.max_member:
                raise too_large(f"member {_printable(name)} of snapshot {path}", self._snapshot.max_member, BODY_FLAG)
            self._total += info.size
            if self._total > self._snapshot.max_total:
                raise too_large(f"snapshot {path} (inflated)", self._snapshot.max_total, SNAPSHOT_FLAG)
            yield info

    def read(self, info: tarfile.TarInfo) -> bytes:
        return self._archive.extractfile(info).read()


def _printable(name: str) -> str:
    return repr(name[:200]) if not name.isprintable() else name[:200]


# Where API objects have a shape the readers rely on: {path: type}; "*" is any list item.
_OBJECT_SHAPE = {
    ("metadata",): dict, ("metadata", "labels"): dict, ("metadata", "annotations"): dict, ("spec",): dict,
    ("status",): dict, ("data",): dict, ("items",): list, ("spec", "containers"): list,
    ("spec", "initContainers"): list, ("spec", "containers", "*"): dict, ("spec", "initContainers", "*"): dict,
    ("webhooks",): list, ("webhooks", "*"): dict, ("status", "containerStatuses"): list,
}  # fmt: skip


def check_object(data: bytes, member: str, path: str) -> dict:
    """An API object member parsed, with the shape `_OBJECT_SHAPE` gives; DecodeError otherwise."""
    import orjson

    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise DecodeError(f"snapshot {path}: {member} is not JSON") from None
    if not isinstance(document, dict):
        raise DecodeError(f"snapshot {path}: {member} is not an object")
    problem = _shape_problem(document, (), _OBJECT_SHAPE)
    if problem:
        raise DecodeError(f"snapshot {path}: {member}: {problem}")
    meta = document.get("metadata") or {}
    for field in ("name", "namespace"):
        if field in meta and not isinstance(meta[field], str):
            raise DecodeError(f"snapshot {path}: {member}: metadata.{field} is not a string")
    return document


def _shape_problem(value, where: tuple, shape: dict) -> str:
    for key, child in (value.items() if isinstance(value, dict) else enumerate(value)):
        here = (*where, key if isinstance(value, dict) else "*")
        wanted = shape.get(here)
        if wanted is None:
            continue
        if not isinstance(child, wanted):
            kind = "an object" if wanted is dict else "a list"
            return f"{'.'.join(str(k) for k in here if k != '*')} is not {kind} ({type(child).__name__})"
        problem = _shape_problem(child, here, shape)
        if problem:
            return problem
    return ""


def check_manifest(manifest, path: str) -> dict:
    """The manifest with the shape its readers rely on (pods: {key: {status, ...}}, failed: [...])."""
    if not isinstance(manifest, dict):
        raise DecodeError(f"snapshot {path}: {layout.MANIFEST} is not an object")
    pods = manifest.get("pods", {})
    if not isinstance(pods, dict) or not all(isinstance(row, dict) for row in pods.values()):
        raise DecodeError(f"snapshot {path}: {layout.MANIFEST}: pods is not an object of objects")
    if not isinstance(manifest.get("failed", []), list) or not isinstance(manifest.get("istiods", {}), dict):
        raise DecodeError(f"snapshot {path}: {layout.MANIFEST}: failed/istiods have the wrong type")
    return manifest


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
