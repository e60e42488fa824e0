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
