"""Timing helpers shared by the bench scripts (they import it as a sibling: bench/ is sys.path[0])."""

from __future__ import annotations

import time


def best_of(fn, rounds: int, clock=time.perf_counter) -> float:
    """The shortest of `rounds` runs of `fn`, in seconds of `clock` (time.process_time for CPU-bound
    work on a shared machine, where wall time is noisy; perf_counter where the work waits on I/O)."""
    best = float("inf")
    for _ in range(rounds):
        start = clock()
        fn()
        best = min(best, clock() - start)
    return best


def wall_of(argv, *, timeout: float, shell: bool = False, **popen) -> tuple[float, int]:
    """(wall seconds, exit status) of one run of `argv`, ended by a kill after `timeout` seconds.

    Not `subprocess.run(..., timeout=...)`: with a timeout, Popen.wait polls with sleeps that double
    from 0.5 ms to 50 ms, so a run is seen to end only at the next poll: 16 ms of `meshctl --version`
    read as 32 ms, 70 ms as 114 ms. A blocking wait (waitpid) returns when the process ends; a timer
    kills it at the timeout.
    """
    import subprocess
    import threading

    start = time.perf_counter()
    proc = subprocess.Popen(argv, shell=shell, **popen)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        status = proc.wait()
    finally:
        timer.cancel()
    return time.perf_counter() - start, status
