"""Read a rendered table back into its cells, to compare a Rich table with the plain one."""

from __future__ import annotations

import re

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def table_cells(text: str, columns: list[str]) -> list[list[str]]:
    """The rows under the first line that holds `columns` in order, cut at the header's column starts.

    Works for istioctl's plain text and for our Rich tables (left-aligned cells, one line per row).
    Stops at the first blank line after the rows.
    """
    lines = strip_ansi(text).replace("\r", "").split("\n")
    index = next(i for i, line in enumerate(lines) if _starts(line, columns) is not None)
    starts = _starts(lines[index], columns)
    rows = []
    for line in lines[index + 1 :]:
        if not line.strip():
            break
        if set(line.strip()) == {"─"}:  # the rule under a Rich header
            continue
        rows.append([line[start:end].strip() for start, end in zip(starts, [*starts[1:], None])])
    return rows


def _starts(line: str, columns: list[str]) -> list[int] | None:
    starts, position = [], 0
    for column in columns:
        position = line.find(column, position)
        if position < 0:
            return None
        starts.append(position)
        position += len(column)
    return starts
