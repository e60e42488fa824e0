"""Calls run in a thread of their own, so that a test can tell a call that hangs from one that ends."""

from __future__ import annotations

import threading


def in_thread(call, wait: float = 15.0):
    """`call()` in a thread: ("returned", value) or ("raised", exception), or ("running", None) after `wait` s."""
    outcome: list = []

    def run():
        try:
            outcome.append(("returned", call()))
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            outcome.append(("raised", exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(wait)
    return outcome[0] if outcome else ("running", None)
