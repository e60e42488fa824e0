"""How a meshctl process ends (meshctl/cli.py `run`, `exit_now`): without the interpreter's
teardown, yet with its output flushed, exit handlers run, and the usual exit kept where it has work."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from helpers import ISTIO_TESTDATA, require_shared

# An object whose finalizer says when the interpreter's teardown ran (a module global is freed there).
PRELUDE = (
    "import sys\n"
    "class Teardown:\n"
    "    def __del__(self): sys.stdout.write('teardown ran\\n'); sys.stdout.flush()\n"
    "marker = Teardown()\n"
    "from meshctl.cli import exit_now\n"
)


def python(code: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}  # stdout block-buffered, as piped
    return subprocess.run([sys.executable, "-c", PRELUDE + code], capture_output=True, text=True, env=env, timeout=60)


def test_exit_now_skips_the_teardown_but_flushes_and_runs_exit_handlers():
    ran = python("import atexit\natexit.register(lambda: print('handler ran'))\nprint('x' * 100000)\nexit_now(3)")
    assert ran.returncode == 3
    assert ran.stdout == "x" * 100000 + "\nhandler ran\n"  # everything buffered, the handler's line too; no teardown


def test_the_usual_exit_waits_for_threads_that_are_not_daemons():
    ran = python("import threading, time\n"
                 "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start()\n"
                 "exit_now(4)")  # fmt: skip
    assert ran.returncode == 4
    assert ran.stdout.splitlines() == ["thread done", "teardown ran"]


def test_the_usual_exit_under_a_profiler_so_that_it_writes_its_data(tmp_path):
    profile = tmp_path / "profile.out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "meshctl", "--version"], env=env, timeout=60, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    assert profile.stat().st_size > 0  # cProfile writes it after the program, which must not end the process


def test_a_command_run_as_a_process_writes_all_its_output():
    dump = require_shared(ISTIO_TESTDATA / "istioctl/pkg/proxyconfig/testdata/config_dump.json")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    ran = subprocess.run([sys.executable, "-m", "meshctl", "pc", "all", "-f", str(dump), "-o", "json"], capture_output=True, env=env, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)  # the whole document, its last buffered bytes included
    missing = dump.parent / "no-such.json"
    ran = subprocess.run([sys.executable, "-m", "meshctl", "pc", "cluster", "-f", str(missing)], capture_output=True, text=True, env=env, timeout=120)
    assert ran.returncode == 66  # the error's status and its line, buffered on stderr, both arrive
    assert ran.stderr == f"meshctl: error: file {missing} does not exist\n"
