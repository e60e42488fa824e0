"""Durations as people type and read them (stdlib only): ``30s``, ``2m``, ``1h30m``, ``7d``.

One parser for every duration option (`--cert-warn`, `sds --timeout`, ...) and one way to show a
span (`check`'s "expires in 59m57s", `pc secret -o wide`'s EXPIRES IN), so that 24-hour Istio
certificates read as ``23h59m`` rather than ``0`` days.
"""

from __future__ import annotations

import re
from datetime import timedelta

from meshctl.errors import UsageError

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|[smhd])")


def parse_duration(text: str, option: str, *, positive: bool = False) -> timedelta:
    """`90s`, `30m`, `24h`, `7d`, `500ms`, combined (`1h30m`), or seconds (`30`); UsageError naming `option` otherwise.

    Raises:
        UsageError: not such a duration (or zero, when `positive`).
    """
    text = str(text).strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        text += "s"  # a bare number is seconds, as kubectl's --request-timeout reads it
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise UsageError(f"invalid {option} {text!r}: use a duration such as 30s, 10m, 24h or 7d")
    span = timedelta(seconds=sum(float(number) * _UNITS[unit] for number, unit in parts))
    if positive and span <= timedelta(0):
        raise UsageError(f"invalid {option} {text!r}: must be positive")
    return span


def format_duration(span: timedelta) -> str:
    """The two largest units, days only from 2 days on: "3d4h", "24h", "59m30s", "12s"."""
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)}s"
    parts = []
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)) if seconds >= 2 * 86400 else (("h", 3600), ("m", 60), ("s", 1))
    for unit, size in units:
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts[:2])


def time_left(span: timedelta) -> str:
    """What remains of a validity: "23h59m", "364d23h", or "expired 2h ago"."""
    return format_duration(span) if span >= timedelta(0) else f"expired {format_duration(-span)} ago"
