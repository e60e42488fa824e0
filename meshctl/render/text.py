"""Plain aligned text: a clone of Go's text/tabwriter, byte-exact with istioctl's tables.

istioctl prints every summary with ``tabwriter.NewWriter(w, minwidth, tabwidth, padding, ' ', 0)``
and ``Fprintf(w, "%v\\t%v\\n", ...)``: cells are tab-terminated, the last cell of a line is not
part of any column, and a column block is a run of consecutive lines that have a cell in it. The
algorithm below is Go's ``(*Writer).format`` (src/text/tabwriter/tabwriter.go), flags = 0.
"""

from __future__ import annotations

from itertools import chain

from meshctl.model.tabular import Tabular


def tabwrite(text: str, *, minwidth: int = 0, padding: int = 5, padchar: str = " ") -> str:
    """Align `text` (lines of tab-terminated cells) the way Go's tabwriter does with flags=0."""
    out: list[str] = []
    block: list[list[str]] = []
    for line in text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"):
        cells = line.split("\t")
        block.append(cells)
        if len(cells) == 1:
            # Go flushes after a line with a single cell: it cannot affect later columns.
            _format_block(block, minwidth, padding, padchar, out)
            block = []
    _format_block(block, minwidth, padding, padchar, out)
    result = "\n".join(out)
    return result + "\n" if text.endswith("\n") else result


def _format_block(lines: list[list[str]], minwidth: int, padding: int, padchar: str, out: list[str]) -> None:
    if not lines:
        return
    count = len(lines[0])
    if all(len(line) == count for line in lines):
        # Every line has every column: one block per column, the common case (20k-row tables).
        widths = [max(minwidth, max(len(line[column]) for line in lines) + padding) for column in range(count - 1)]
        for line in lines:
            cells = [cell.ljust(width, padchar) for cell, width in zip(line, widths)]
            cells.append(line[-1])
            out.append("".join(cells))
        return
    widths: list[int] = []
    rendered: list[list[str]] = [[] for _ in lines]

    def write_lines(start: int, end: int) -> None:
        for index in range(start, end):
            line = lines[index]
            parts = rendered[index]
            for column, cell in enumerate(line):
                parts.append(cell)
                if column < len(widths):
                    parts.append(padchar * (widths[column] - len(cell)))

    def fmt(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            widths.append(width)
            fmt(line0, this)
            widths.pop()
            line0 = this
        write_lines(line0, line1)

    fmt(0, len(lines))
    out.extend("".join(parts) for parts in rendered)


def render_tabular(table: Tabular) -> str:
    """Render a Tabular as istioctl does: header row, then rows, cells tab-separated."""
    lines = ([table.columns] if table.columns else []) + table.rows
    if not lines:
        return ""
    aligned = _align_uniform(lines, table.minwidth, table.padding)
    if aligned is not None:
        return aligned
    return tabwrite("\n".join("\t".join(line) for line in lines) + "\n", minwidth=table.minwidth, padding=table.padding)


def _align_uniform(lines: list[list[str]], minwidth: int, padding: int) -> str | None:
    """`tabwrite`'s result for rows of equal length whose cells hold no tab or newline, else None.

    Then every column is one block (as in `_format_block`'s first case) and the whole table is
    one %-format: a 20k-row table takes milliseconds.
    """
    count = len(lines[0])
    if count == 1 or any(len(line) != count for line in lines):
        return None
    columns = list(zip(*lines))
    if any("\t" in text or "\n" in text for text in map("".join, columns)):
        return None
    widths = [max(minwidth, max(map(len, column)) + padding) for column in columns[:-1]]
    row_format = "".join(f"%-{width}s" for width in widths) + "%s\n"
    return (row_format * len(lines)) % tuple(chain.from_iterable(lines))
