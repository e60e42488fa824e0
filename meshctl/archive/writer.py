"""Write a snapshot archive: a tar, gzip-compressed, streamed to a temporary file beside the target.

Members arrive from many threads. Each is scrubbed and compressed while it is fetched, in its
own thread, into an anonymous spool file (memory holds a chunk, not a body; ISA-L releases the
GIL, so threads compress in parallel); the spool is then appended under a lock. The archive is
a sequence of gzip members (RFC 1952 allows it; gzip, tar and Python read it as one stream): per
tar member, one gzip member for its header (its size is known only at the end) and one for its
content. The archive appears at the user's path only when complete (rename); on failure nothing
is left.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable

from meshctl.archive.scrub import StreamScrubber
from meshctl.errors import UsageError

# ISA-L (python-isal: zlib's API and output format) at level 1 deflates a 7 MB dump in ~3 ms of
# CPU where zlib's fastest level takes ~19 ms; compression was half of a pod's CPU in
# bench/bench_snapshot.py. Level 1 over 0: ~25% smaller at the same speed; 3 is 10x slower.
# Memory level 2 (ISA-L's "small" buffers): 180 KB per compressor instead of 370 KB, same ratio
# and speed; one compressor per fetch thread.
_COMPRESS_LEVEL = 1
_MEMORY_LEVEL = 2
_GZIP_MEMBER = 16 + 15  # wbits: a gzip header and trailer, 32 KB window
_COPY_CHUNK = 1 << 20
_SPOOL_IN_MEMORY = 64 * 1024  # compressed bytes; one spool per fetch thread


def _compressor():
    from isal import isal_zlib

    return isal_zlib.compressobj(_COMPRESS_LEVEL, isal_zlib.DEFLATED, _GZIP_MEMBER, _MEMORY_LEVEL)


def _gzip_member(data: bytes) -> bytes:
    compressor = _compressor()
    return compressor.compress(data) + compressor.flush()


class Spool:
    """A scrubbing, compressing sink for one member's content: `write(chunk)` as bytes arrive."""

    def __init__(self) -> None:
        # in memory while small (most members: a file costs ~0.5 ms, 2.6 ms of a pod's 30 ms CPU),
        # then an anonymous file: no name on disk, gone on close
        self._file = tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY)
        self._scrubber = StreamScrubber()
        self._compressor = _compressor()
        self.size = 0  # content bytes, after scrubbing

    def write(self, chunk) -> int:
        """Take `chunk` (bytes or a view of a buffer the caller reuses: it is not kept)."""
        self._put(self._scrubber.feed(chunk))
        return len(chunk)

    def _put(self, data) -> None:
        self.size += len(data)
        self._file.write(self._compressor.compress(data))

    def finish(self):
        """The compressed content, padded to a tar block, rewound."""
        self._put(self._scrubber.finish())
        self._file.write(self._compressor.compress(b"\0" * (-self.size % tarfile.BLOCKSIZE)))
        self._file.write(self._compressor.flush())
        self._file.seek(0)
        return self._file

    def close(self) -> None:
        """Drop the spool's file."""
        self._file.close()


class SnapshotWriter:
    """``with SnapshotWriter(path) as out: out.add_bytes(...); out.add_stream(...)``: atomic on success."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        directory = self.check_target(path)
        try:
            handle, self._temp = tempfile.mkstemp(prefix=f".{os.path.basename(self.path)}.", suffix=".part", dir=directory)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None
        self._out = os.fdopen(handle, "wb")
        self._lock = threading.Lock()
        self._mtime = int(time.time())
        self._tar_length = 0  # uncompressed tar bytes so far, for the end-of-archive padding

    @staticmethod
    def check_target(path: str) -> str:
        """The directory `path` would be written in; UsageError when `path` cannot be a new archive there
        (callers check before long work, so that a typo fails at once)."""
        directory = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(path):
            raise UsageError(f"{path} is a directory; give a file name such as mesh.tar.gz")
        if not os.path.isdir(directory):
            raise UsageError(f"cannot write {path}: directory {directory} does not exist")
        return directory

    def __enter__(self) -> SnapshotWriter:
        # SIGTERM (a CI job cancelled, `kill`) interrupts like Ctrl-C, so that __exit__ removes the
        # temporary file instead of the process dying with it left behind
        self._previous_sigterm = None
        if threading.current_thread() is threading.main_thread():
            import signal

            self._previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                try:
                    self.commit()
                except BaseException:  # Ctrl-C or SIGTERM while committing: still nothing left behind
                    self.abort()
                    raise
            else:
                self.abort()
        finally:
            if self._previous_sigterm is not None:
                import signal

                signal.signal(signal.SIGTERM, self._previous_sigterm)

    def add_bytes(self, name: str, data: bytes) -> None:
        """Store a small member (API objects, the manifest), scrubbed."""
        self.add_stream(name, lambda spool: spool.write(data))

    def add_stream(self, name: str, fill: Callable[[Spool], None]) -> None:
        """Store what `fill(spool)` writes into a spool (it may raise: then nothing is stored)."""
        spool = Spool()
        try:
            fill(spool)
            content = spool.finish()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = spool.size, self._mtime, 0o644
            header = info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
            compressed_header = _gzip_member(header)
            with self._lock:
                if self._out.closed:  # a fetch abandoned after Ctrl-C, finishing late
                    return
                self._out.write(compressed_header)
                shutil.copyfileobj(content, self._out, _COPY_CHUNK)
                self._tar_length += len(header) + spool.size + (-spool.size % tarfile.BLOCKSIZE)
        finally:
            spool.close()

    def commit(self) -> None:
        """End the archive and move it to its path (the only moment it appears there)."""
        with self._lock:
            # tar's end: two zero blocks, then zeros up to a whole record (as tarfile.close writes)
            end = 2 * tarfile.BLOCKSIZE
            end += -(self._tar_length + end) % tarfile.RECORDSIZE
            self._out.write(_gzip_member(b"\0" * end))
            self._out.flush()
            os.fsync(self._out.fileno())
            self._out.close()
        os.replace(self._temp, self.path)

    def abort(self) -> None:
        """Remove the unfinished archive."""
        with self._lock:
            self._out.close()
        try:
            os.unlink(self._temp)
        except FileNotFoundError:
            pass


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def json_bytes(document) -> bytes:
    """`document` as indented JSON with sorted keys (stable members, readable diffs)."""
    import orjson

    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
