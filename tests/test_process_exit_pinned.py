"""How a meshctl process ends when its last output cannot be written (meshctl/cli.py `exit_now`).

Piped, stdout is block-buffered: a command's output up to 8 KiB is still in Python's buffer when
the command returns, so a reader that went away (`meshctl ... | head -0`, a closed pipe) is only
seen by the final flush. That is not an error of meshctl's (cli.py `_reader_gone`): the run's status
stands and nothing is said, as when a write fails during the command. Other flush failures keep
Python's own exit (`sys.exit`). The environment is the user's: no PYTHONUNBUFFERED, which makes
every print write at once and so hides the final flush.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SMALL_DUMP = str(ROOT / "tests/pc/data/mesh_small.json")
UNKNOWN_SECTION = "meshctl: warning: unknown config dump section type.googleapis.com/envoy.admin.v3.FutureConfigDump carried through"


def _buffered_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    env["NO_COLOR"] = "1"
    return env


def _to_a_pipe_nobody_reads(argv: list[str]) -> subprocess.CompletedProcess:
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to the pipe fails with EPIPE
    try:
        return subprocess.run(argv, stdout=write_end, stderr=subprocess.PIPE, cwd=ROOT, env=_buffered_env(), text=True, timeout=60)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("args", [["--version"], ["pc", "cluster", "-f", SMALL_DUMP, "-o", "json"], ["pc", "cluster", "-f", SMALL_DUMP]],
                         ids=["version", "json", "table"])  # fmt: skip
def test_a_reader_gone_before_the_last_flush_is_not_an_error(args):
    ran = _to_a_pipe_nobody_reads([sys.executable, "-m", "meshctl", *args])
    assert ran.returncode == 0
    # what the command says on stderr itself, and nothing about the pipe (was: exit 120, "Exception ignored ... BrokenPipeError")
    assert [line for line in ran.stderr.splitlines() if line != UNKNOWN_SECTION and not line.startswith("meshctl: note: 1 row warming")] == []


def test_the_runs_status_stands_when_the_reader_is_gone():
    ran = _to_a_pipe_nobody_reads([sys.executable, "-c", "from meshctl.cli import exit_now\nprint('finding')\nexit_now(79)"])
    assert (ran.returncode, ran.stderr) == (79, "")


def test_a_reader_of_stderr_gone_is_not_an_error_either():
    read_end, write_end = os.pipe()
    os.close(read_end)
    code = "import sys\nfrom meshctl.cli import exit_now\nsys.stderr = open(2, 'w', buffering=1 << 16, closefd=False)\nprint('warning', file=sys.stderr)\nprint('data')\nexit_now(3)"
    try:
        ran = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=write_end, env=_buffered_env(), text=True, timeout=60)
    finally:
        os.close(write_end)
    assert (ran.returncode, ran.stdout) == (3, "data\n")  # stdout flushed before stderr's failure, the status kept


def test_a_closed_stdout_keeps_pythons_exit_with_the_status():
    # sys.stdout.close(): its flush raises ValueError; Python's own exit, which has nothing left to flush, ends with the status
    ran = subprocess.run([sys.executable, "-c", "import sys\nfrom meshctl.cli import exit_now\nprint('x')\nsys.stdout.close()\nexit_now(5)"],
                         capture_output=True, env=_buffered_env(), text=True, timeout=60)  # fmt: skip
    assert (ran.returncode, ran.stdout, ran.stderr) == (5, "x\n", "")


def test_a_closed_stdout_descriptor_keeps_pythons_exit():
    # fd 1 closed under Python: EBADF is not a reader gone; Python reports the failed flush and ends with 120 (Py_Exit)
    ran = subprocess.run([sys.executable, "-c", "import os\nfrom meshctl.cli import exit_now\nprint('x')\nos.close(1)\nexit_now(5)"],
                         capture_output=True, env=_buffered_env(), text=True, timeout=60)  # fmt: skip
    assert ran.returncode == 120
    assert ran.stderr.splitlines()[-1] == "OSError: [Errno 9] Bad file descriptor"


def test_without_stdout_stderr_is_still_flushed():
    # sys.stdout is None when the process starts with descriptor 1 closed (`meshctl ... >&-`); stderr made block-buffered
    # so that its line waits for exit_now's flush
    code = ("import sys\nfrom meshctl.cli import exit_now\nsys.stdout = None\n"
            "sys.stderr = open(2, 'w', buffering=1 << 16, closefd=False)\nprint('warning', file=sys.stderr)\nexit_now(3)")  # fmt: skip
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, env=_buffered_env(), text=True, timeout=60)
    assert (ran.returncode, ran.stdout, ran.stderr) == (3, "", "warning\n")
