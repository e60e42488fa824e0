"""Crafted snapshot archives: each is exit 65 with one line, in seconds, under a 2 GiB address space.

Archives are built here with tarfile (members a meshctl snapshot never has) and read back by the
commands a user runs on an archive they were sent: a `pc` view with ``--snapshot``, and
``snapshot diff``. A gzip bomb (a member of gigabytes of zeros in a few megabytes) stops at the
member limit before it is inflated, and ``snapshot diff`` never inflates past its limits on disk.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import time
import zlib

import pytest

from meshctl.archive import layout
from meshctl.archive.writer import SnapshotWriter, json_bytes

from helpers.hostile import one_error_line, run_limited

POD = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "app", "namespace": "default"},
       "spec": {"containers": [{"name": "istio-proxy", "image": "proxyv2"}]}, "status": {"phase": "Running"}}  # fmt: skip
POD_MEMBER = layout.object_member("/api/v1", "pods", "default", "app")
CONTEXT = json_bytes({"context": "test", "namespace": "default"})
MANIFEST = json_bytes({"format": layout.FORMAT, "pods": {"app.default": {"status": "ok"}}})


def _member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.size = kind, len(data) if kind == tarfile.REGTYPE else 0
    return info, data


def _archive(path, members) -> str:
    with gzip.open(path, "wb") as out, tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return str(path)


def _valid_members(pod=json_bytes(POD)):
    return [_member(layout.CONTEXT, CONTEXT), _member(POD_MEMBER, pod),
            _member(layout.pod_member("default", "app", "config_dump"), b'{"configs": []}'), _member(layout.MANIFEST, MANIFEST)]  # fmt: skip


CRAFTED = {
    "fifo": ([*_valid_members()[:2], _member("pods/default/app/config_dump.json", kind=tarfile.FIFOTYPE)], "FIFO"),
    "directory": ([_member(layout.CONTEXT, CONTEXT), _member("cluster/api", kind=tarfile.DIRTYPE), *_valid_members()[1:]], "directory"),
    "device": ([*_valid_members()[:2], _member("pods/default/app/config_dump.json", kind=tarfile.CHRTYPE)], "device"),
    "symlink": ([_member(layout.CONTEXT, CONTEXT), _member(POD_MEMBER, kind=tarfile.SYMTYPE)], "link"),
    "duplicate": ([*_valid_members()[:2], _member(POD_MEMBER, json_bytes({**POD, "metadata": {"name": "other"}})),
                   *_valid_members()[2:]], "appears twice"),
    "unknown-member": ([*_valid_members()[:2], _member("../../etc/passwd", b"x"), *_valid_members()[2:]], "unexpected member"),
    "metadata-null": (_valid_members(json_bytes({**POD, "metadata": None})), "metadata is not an object"),
    "list-for-object": (_valid_members(json_bytes({**POD, "spec": [1, 2]})), "spec is not an object"),
    "containers-not-list": (_valid_members(json_bytes({**POD, "spec": {"containers": {"a": 1}}})), "spec.containers is not a list"),
    "object-is-a-list": (_valid_members(b"[1, 2, 3]"), "is not an object"),
    "not-json": (_valid_members(b"\xff\xfe not json"), "is not JSON"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_crafted_archives_are_one_line_exit_65(tmp_path, case):
    members, words = CRAFTED[case]
    archive = _archive(tmp_path / f"{case}.tar.gz", members)
    run = run_limited("pc", "cluster", "app.default", "--snapshot", archive, timeout=60)
    assert run.exit_code == 65, run.stderr
    assert words in one_error_line(run)


def _bomb(path, size: int) -> str:
    """A snapshot whose second member holds `size` bytes of zeros: a few MB on disk."""
    header = tarfile.TarInfo(POD_MEMBER)
    header.size = size
    block = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = block.compress(b"\0" * (64 << 20)) + block.flush()  # one gzip member: 64 MiB of zeros in ~64 KB
    with open(path, "wb") as out:
        head = io.BytesIO()
        context = tarfile.TarInfo(layout.CONTEXT)
        context.size = len(CONTEXT)
        head.write(context.tobuf(tarfile.PAX_FORMAT) + CONTEXT + b"\0" * (-len(CONTEXT) % 512))
        head.write(header.tobuf(tarfile.PAX_FORMAT))
        out.write(gzip.compress(head.getvalue()))
        for _ in range(size // (64 << 20)):
            out.write(zeros)
    return str(path)


@pytest.mark.parametrize("command", ["view", "diff"])
def test_a_gzip_bomb_stops_at_the_member_limit_in_seconds(tmp_path, command):
    bomb = _bomb(tmp_path / "bomb.tar.gz", 4 << 30)
    assert (tmp_path / "bomb.tar.gz").stat().st_size < 8 << 20
    started = time.monotonic()
    if command == "view":
        run = run_limited("pc", "cluster", "app.default", "--snapshot", bomb, timeout=60)
    else:
        good = tmp_path / "good.tar.gz"
        with SnapshotWriter(str(good)) as writer:
            for info, data in _valid_members():
                writer.add_bytes(info.name, data)
        run = run_limited("snapshot", "diff", str(good), bomb, timeout=60)
    assert run.exit_code == 65, run.stderr
    line = one_error_line(run)
    assert "larger than 1Gi" in line and "--max-body-size" in line
    assert time.monotonic() - started < 30


def test_snapshot_diff_stops_inflating_at_the_total_limit(tmp_path):
    members = [_member(layout.CONTEXT, CONTEXT)] + [
        _member(layout.pod_member("default", f"p{i}", "config_dump"), b"\0" * (3 << 20)) for i in range(4)
    ]
    archive = _archive(tmp_path / "big.tar.gz", [*members, _member(layout.MANIFEST, MANIFEST)])
    run = run_limited("snapshot", "diff", archive, archive, "--max-snapshot-size", "8Mi", timeout=60)
    assert run.exit_code == 65
    assert "--max-snapshot-size" in one_error_line(run)


def test_snapshot_diff_rejects_tarballs_that_are_not_snapshots(tmp_path):
    plain = _archive(tmp_path / "plain.tar.gz", [_member(layout.CONTEXT, CONTEXT)])
    run = run_limited("snapshot", "diff", plain, plain, timeout=60)
    assert run.exit_code == 65
    assert "not a meshctl snapshot" in one_error_line(run)
    unfinished = _archive(tmp_path / "unfinished.tar.gz", _valid_members()[:3])
    run = run_limited("snapshot", "diff", unfinished, unfinished, timeout=60)
    assert run.exit_code == 65 and "manifest.json" in one_error_line(run)
    other = _archive(tmp_path / "other.tar.gz", [*_valid_members()[:3], _member(layout.MANIFEST, json.dumps({"pods": {}}).encode())])
    run = run_limited("snapshot", "diff", other, other, timeout=60)
    assert run.exit_code == 65 and "format" in one_error_line(run)
