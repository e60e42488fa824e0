"""Exec over websocket: registered handlers stand in for commands inside containers.

A handler's stdout or stderr is bytes (sent at once, in kubelet-sized frames) or an iterator of
chunks, each sent as it is produced: `trickle` and `endless` make commands whose output never ends
(one frame per second; frames as fast as the client reads), for the hostile-server tests.

Wire protocol (kubelet cri/streaming/remotecommand + apimachinery wsstream): every binary message
starts with a channel byte, 0 stdin, 1 stdout, 2 stderr, 3 status (a metav1.Status JSON written once
at the end), 4 resize; v5 adds 255 = "close channel N" sent by the client when stdin ends.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import status
from .websocket import ConnectionClosed, WebSocket

STDIN, STDOUT, STDERR, STATUS = 0, 1, 2, 3
CLOSE_SIGNAL = 255
# Frame size as the kubelet produces it: io.Copy's 32 KiB buffer, one websocket message per write.
FRAME_BYTES = 32 * 1024
# Time from the upgrade to the command's first output. In a cluster the apiserver answers 101 and only
# then dials the kubelet, whose runtime starts the process (runc exec): 0.1 s is typical. kubectl 1.32
# depends on that gap: its websocket executor starts reading frames before it has registered its
# stdout/stderr/error streams (client-go tools/remotecommand/websocket.go: StreamWithContext starts
# readDemuxLoop, then streamer.stream creates the streams), and drops frames of a stream not yet
# registered ("Unknown stream id 1, discarding message"): empty stdout with exit 0, or "error: closed
# all streams". Output sent microseconds after the 101 lost kubectl's stdout in 8 of 1000 execs on a
# loaded 2-core machine like CI's; 10 ms still lost 1 in 1000, 30 ms none.
PROCESS_START_SECONDS = 0.1


# An output that is produced while the command runs: chunks, each sent when it is yielded.
Stream = Iterable[bytes]
# How long a stream may run at most, whatever the client does: no test can leave one running.
STREAM_LIMIT = 120.0


@dataclass
class ExecResult:
    stdout: bytes | str | Stream = b""
    stderr: bytes | str | Stream = b""
    exit_code: int = 0


@dataclass
class ExecRequest:
    """What the handler sees: the pod (dict), container name, argv, and a way to read stdin."""

    pod: dict
    container: str
    argv: list[str]
    tty: bool = False
    _stdin: Callable[[], bytes] | None = field(default=None, repr=False)

    @property
    def namespace(self) -> str:
        return self.pod["metadata"]["namespace"]

    @property
    def pod_name(self) -> str:
        return self.pod["metadata"]["name"]

    def read_stdin(self) -> bytes:
        """All of stdin (until the client closes it); b"" when the exec did not ask for stdin."""
        return self._stdin() if self._stdin else b""


ExecHandler = Callable[[ExecRequest], "ExecResult | bytes | str"]


@dataclass
class _Registration:
    prefix: tuple[str, ...]
    handler: ExecHandler | bytes | str
    pod: str | None
    namespace: str | None
    container: str | None

    def matches(self, pod: dict, container: str, argv: list[str]) -> bool:
        meta = pod["metadata"]
        return (
            tuple(argv[: len(self.prefix)]) == self.prefix
            and self.pod in (None, meta["name"])
            and self.namespace in (None, meta["namespace"])
            and self.container in (None, container)
        )


class ExecRegistry:
    def __init__(self, start_seconds: float = PROCESS_START_SECONDS):
        self._entries: list[_Registration] = []
        self.start_seconds = start_seconds

    def register(self, argv_prefix: Sequence[str], handler, *, pod=None, namespace=None, container=None) -> None:
        self._entries.append(_Registration(tuple(argv_prefix), handler, pod, namespace, container))

    def find(self, pod: dict, container: str, argv: list[str]) -> _Registration | None:
        # Longest prefix first; among equals, the latest registration wins (tests override defaults).
        candidates = [e for e in self._entries if e.matches(pod, container, argv)]
        if not candidates:
            return None
        return max(reversed(candidates), key=lambda e: len(e.prefix))


def _as_output(data: bytes | str | Stream) -> bytes | Stream:
    return data.encode() if isinstance(data, str) else data


def run_exec(registry: ExecRegistry, req: ExecRequest) -> tuple[bytes | Stream, bytes | Stream, dict]:
    """Run the registered handler: (stdout, stderr, the status-channel document)."""
    time.sleep(registry.start_seconds)  # the runtime starting the process (see PROCESS_START_SECONDS)
    entry = registry.find(req.pod, req.container, req.argv)
    if entry is None:
        # containerd/runc wording when the binary does not exist in the image.
        return b"", b"", status.exec_internal_error(
            f'failed to exec in container: failed to start exec "{"0" * 64}": OCI runtime exec failed: exec '
            f'failed: unable to start container process: exec: "{req.argv[0]}": executable file not found in '
            f"$PATH: unknown")
    handler = entry.handler
    result = handler(req) if callable(handler) else handler
    if isinstance(result, (bytes, str)):
        result = ExecResult(stdout=result)
    doc = status.exec_success() if result.exit_code == 0 else status.exec_exit_code(req.argv, result.exit_code)
    return _as_output(result.stdout), _as_output(result.stderr), doc


def frames(data: bytes | Stream) -> Iterator[bytes]:
    """`data` cut as the kubelet writes it (FRAME_BYTES per message); a stream's chunks as they come."""
    for chunk in [data] if isinstance(data, bytes) else data:
        for offset in range(0, len(chunk), FRAME_BYTES):
            yield chunk[offset: offset + FRAME_BYTES]


def trickle(chunk: bytes = b" ", every: float = 1.0, limit: float = STREAM_LIMIT) -> ExecHandler:
    """A command that writes `chunk` to stdout every `every` seconds and never ends (for `limit` s at most)."""

    def output() -> Iterator[bytes]:
        end = time.monotonic() + limit
        while time.monotonic() < end:
            yield chunk
            time.sleep(every)

    return lambda req: ExecResult(stdout=output())


def endless(chunk: bytes = b" " * FRAME_BYTES, limit: float = STREAM_LIMIT) -> ExecHandler:
    """A command whose stdout never ends: frames as fast as the client reads them (for `limit` s at most)."""

    def output() -> Iterator[bytes]:
        end = time.monotonic() + limit
        while time.monotonic() < end:
            yield chunk

    return lambda req: ExecResult(stdout=output())


def is_true(query: dict, name: str) -> bool:
    return query.get(name, ["false"])[0] in ("true", "1")


def serve_exec(ws: WebSocket, registry: ExecRegistry, pod: dict, container: str, argv: list[str],
               query: dict) -> None:
    """Run one exec session on an upgraded websocket and close it."""
    stdin_closed = False

    def read_stdin() -> bytes:
        nonlocal stdin_closed
        chunks = []
        while not stdin_closed:
            try:
                _, message = ws.recv_message()
            except ConnectionClosed:
                break
            if not message:
                continue
            if message[0] == STDIN:
                chunks.append(message[1:])
            elif message[0] == CLOSE_SIGNAL and message[1:2] == bytes([STDIN]):
                stdin_closed = True
        return b"".join(chunks)

    req = ExecRequest(pod, container, argv, tty=is_true(query, "tty"),
                      _stdin=read_stdin if is_true(query, "stdin") else None)
    try:
        stdout, stderr, doc = run_exec(registry, req)
        for channel, data in ((STDOUT, stdout), (STDERR, stderr)):
            for frame in frames(data):
                ws.send(bytes([channel]) + frame)
        ws.send(bytes([STATUS]) + json.dumps(doc, separators=(",", ":")).encode())
    except (ConnectionClosed, OSError):
        return
    ws.finish()


def pilot_agent_request(admin_url: str, timeout: float = 30) -> ExecHandler:
    """A handler for `pilot-agent request GET <path>` that fetches `<admin_url>/<path>` from a real Envoy.

    pilot-agent prints the body on success; on an HTTP error it exits 1 with the status on stderr
    (istio pilot/cmd/pilot-agent/request.go).
    """
    base = admin_url.rstrip("/")

    def handler(req: ExecRequest) -> ExecResult:
        if len(req.argv) < 4:
            return ExecResult(stderr="Error: requires at least 2 arg(s), only received "
                                     f"{len(req.argv) - 2}\n", exit_code=1)
        method, path = req.argv[2], req.argv[3].lstrip("/")
        request = urllib.request.Request(f"{base}/{path}", method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return ExecResult(stdout=response.read())
        except urllib.error.HTTPError as err:
            body = err.read().decode(errors="replace")
            return ExecResult(stderr=f"Error: received unsuccessful status code {err.code}: {body}\n", exit_code=1)
        except OSError as err:
            return ExecResult(stderr=f"Error: {err}\n", exit_code=1)

    return handler


def cat_files(root: str | os.PathLike) -> ExecHandler:
    """A handler for `cat PATH...` reading PATH under `root` (a real directory standing in for the
    container's filesystem, e.g. the Envoy rig's run dir holding etc/istio/proxy/envoy-rev.json)."""
    base = Path(root)

    def handler(req: ExecRequest) -> ExecResult:
        out, err, code = [], [], 0
        for path in req.argv[1:]:
            try:
                out.append((base / path.lstrip("/")).read_bytes())
            except OSError:
                err.append(f"cat: {path}: No such file or directory\n")
                code = 1
        return ExecResult(stdout=b"".join(out), stderr="".join(err), exit_code=code)

    return handler
