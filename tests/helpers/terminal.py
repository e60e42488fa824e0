"""meshctl on a real pseudo-terminal (python's pty, no install): what a user at a terminal sees."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

from helpers import ROOT

# The terminal decides: no COLUMNS (the width must come from the tty), no colour overrides.
ENVIRON = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR")} | {"TERM": "xterm-256color"}


def run_in_pty(*args: str, width: int = 160, env: dict | None = None, timeout: float = 60) -> tuple[int, str]:
    """Run `meshctl ARGS` with stdin/stdout/stderr on a new pseudo-terminal of `width` columns.

    Returns the exit code and everything written to the terminal (lines end in CR LF).
    """
    pid, master = pty.fork()
    if pid == 0:  # the child: size its terminal, then become meshctl
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 40, width, 0, 0))
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "meshctl", *args], {**ENVIRON, **(env or {})})
    output, deadline = b"", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(master)
    return os.waitstatus_to_exitcode(status), output.decode()
