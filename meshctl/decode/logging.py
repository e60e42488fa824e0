"""Envoy's `/logging` answer -> (logger, level) pairs, in Envoy's order (pure).

Envoy's admin handler (source/server/admin/logs_handler.cc) answers every POST /logging (a read
too: GET is refused since Envoy 1.2x) with ``active loggers:`` and one ``  <name>: <level>`` line
per logger, then an empty line; a refused change is prefixed with ``error: ...`` and usage lines.
"""

from __future__ import annotations

from meshctl.errors import DecodeError

HEADER = "active loggers:"


def parse_logging(data: bytes, what: str = "Envoy /logging") -> list[tuple[str, str]]:
    """The loggers and their levels; DecodeError when `data` is not a /logging answer."""
    text = data.decode("utf-8", "replace")
    lines = text.splitlines()
    try:
        start = lines.index(HEADER) + 1
    except ValueError:
        first = next((line for line in lines if line.strip()), "")[:120]
        raise DecodeError(f"{what} is not Envoy's logging answer (no {HEADER!r} line; starts {first!r})") from None
    loggers = []
    for line in lines[start:]:
        if not line.strip():
            break
        name, sep, level = line.strip().rpartition(": ")
        if not sep or not name:
            raise DecodeError(f"{what}: unexpected logger line {line.strip()[:120]!r}")
        loggers.append((name, level))
    return loggers


def refusal(data: bytes) -> str:
    """Envoy's reason for refusing a level change (``error: unknown logger name``), or ''."""
    first = data.decode("utf-8", "replace").split("\n", 1)[0]
    return first.removeprefix("error: ").strip() if first.startswith("error:") else ""
