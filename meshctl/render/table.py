"""A Tabular for this run's terminal: istioctl's plain text, or a Rich table (rich imported lazily).

The Rich table has the same columns, rows, row order and "-" placeholders as the plain text; only
the layout (bold header, a rule under it, no boxes, so rows still copy cleanly) and a few
colours differ. Off a terminal, `render_table` returns `meshctl.render.text.render_tabular`'s
text unchanged (coloured only when colour is forced) and rich is never imported.

The layout rule (issue 15): a cell never breaks inside an identifier. Every column keeps its
widest cell on one line, except free-text columns (`FREE_TEXT_COLUMNS`: WHY, DETAIL, ...), which
may wrap at word boundaries, never inside a word; headers may wrap between their words. When
even that is wider than the terminal, the table is printed in istioctl's plain layout and its
rows run long, as kubectl's and istioctl's do (the terminal folds them; `less -S` scrolls).
"""

from __future__ import annotations

from meshctl.model.tabular import Sections, Tabular
from meshctl.render.console import Terminal
from meshctl.render.safe import safe_table
from meshctl.render.text import render_tabular

# Column header -> {cell: style}. Only these columns are coloured, so a "false" or "FAIL" in a
# name column stays plain. Values are as the analyzers write them: Envoy health statuses
# (analyze/summaries.py), secret states (secrets.py), check results (check.py), sdscompare.py.
CELL_STYLES: dict[str, dict[str, str]] = {
    "STATE": {"warming": "yellow", "error": "red"},
    "STATUS": {
        "PASS": "green", "HEALTHY": "green", "ACTIVE": "green",
        "WARN": "yellow", "UNKNOWN": "yellow", "NOT CHECKED": "yellow", "WARMING": "yellow", "UNINITIALIZED": "yellow",
        "DRAINING": "yellow", "DEGRADED": "yellow",
        "FAIL": "red", "UNHEALTHY": "red", "TIMEOUT": "red",
    },
    "ENVOY STATUS": {"WARMING": "yellow", "UNINITIALIZED": "yellow"},
    "VALID CERT": {"false": "red"},
    "OUTLIER CHECK": {"FAILED": "red"},
    "MATCH": {"different": "red", "not in envoy": "red", "no cert": "yellow"},
}  # fmt: skip
HEADER_STYLE = "bold"
# Columns of sentences, not identifiers: these may wrap at spaces when the terminal is narrow.
FREE_TEXT_COLUMNS = frozenset({"WHY", "DETAIL", "DETAILS", "NOTE", "NOTES", "MESSAGE", "REASON", "DESCRIPTION", "PROBLEM", "PROBLEMS", "EVIDENCE"})
# Rows a table marks (Tabular.row_marks) -> the style of the whole row on a terminal.
ROW_MARK_STYLES = {"warming": "yellow"}
# Rich lays a table out at 1-3 ms a row (rich 15, measured: 1000 rows 2.3 s, plain text 8 ms);
# past this many rows a table is scrolled and grepped rather than read, so it gets istioctl's
# plain text at once instead, uncoloured.
RICH_MAX_ROWS = 500
_GAP = 3  # what Rich puts between two columns of this box: padding 1 on each side and the (blank) divider
_SGR = {"bold": "1", "red": "31", "green": "32", "yellow": "33"}


def render_table(table: Tabular, terminal: Terminal) -> str:
    """The text to print for `table`: a Rich table on a terminal when it fits, else istioctl's plain text.

    Cells are made safe first (`meshctl.render.safe.safe_table`: no key, no control character).
    """
    table = safe_table(table)
    if len(table.rows) > RICH_MAX_ROWS:
        return render_tabular(table)
    if terminal.rich:
        widths = column_widths(table, terminal.width)
        if widths is not None:
            return rich_table_text(table, terminal, widths)
    return styled_plain_text(table) if terminal.color else render_tabular(table)


def render_sections(sections: Sections, terminal: Terminal) -> str:
    """The blocks of `sections`, tables drawn for `terminal`, text as it is."""
    texts = [(title, body if isinstance(body, str) else render_table(body, terminal)) for title, body in sections.blocks]
    if sections.with_headers:
        return "\n".join(f"------ {title} ------\n\n{body}" for title, body in texts)
    return "\n".join(body for _, body in texts)


def cell_style(column: str, cell: str) -> str | None:
    """The style of `cell` in `column` (CELL_STYLES), or None."""
    return CELL_STYLES.get(column, {}).get(cell)


def _longest_word(text: str) -> int:
    return max(map(len, text.split()), default=0)


def column_widths(table: Tabular, width: int) -> list[int] | None:
    """The width of each column of `table` drawn in `width` terminal columns, or None when it cannot fit.

    An identifier column is as wide as its widest cell (and its header's longest word); a
    free-text column gets its natural width when there is room, else a share of what is left,
    never less than its longest word.
    """
    count = max([len(table.columns), *map(len, table.rows)], default=0)
    if count == 0:
        return []
    headers = [*table.columns, *[""] * (count - len(table.columns))]
    natural = [len(header) for header in headers]
    least = [_longest_word(header) for header in headers]
    free = {index for index, header in enumerate(headers) if header in FREE_TEXT_COLUMNS}
    for row in table.rows:
        for index, cell in enumerate(row):
            natural[index] = max(natural[index], len(cell))
            least[index] = max(least[index], _longest_word(cell) if index in free else len(cell))
    room = width - _GAP * (count - 1)
    if sum(natural) <= room:
        return natural
    if sum(least) > room:
        return None
    # Identifier columns (their headers unwrapped where possible) take their natural width first;
    # free-text columns share the rest in proportion to what they would use.
    widths, spare = list(least), room - sum(least)
    for index in range(count):
        if index not in free:
            grow = min(natural[index] - widths[index], spare)
            widths[index] += grow
            spare -= grow
    wanted = {index: natural[index] - widths[index] for index in free}
    total = sum(wanted.values())
    for index in free:
        widths[index] += spare * wanted[index] // total if total else 0
    return widths


def rich_table_text(table: Tabular, terminal: Terminal, widths: list[int] | None = None) -> str:
    """`table` drawn by Rich in columns of `widths` (default: `column_widths`), ANSI styles only if `terminal.color`."""
    import io

    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    if not table.columns and not table.rows:
        return ""
    if widths is None:
        widths = column_widths(table, terminal.width)
        if widths is None:  # too wide to fit: every column at its natural width, the rows run long
            widths = column_widths(table, 1 << 30)
    count = len(widths)
    columns = [*table.columns, *[""] * (count - len(table.columns))]
    grid = Table(
        box=box.SIMPLE_HEAD,
        show_header=bool(table.columns),
        show_edge=False,
        pad_edge=False,
        header_style=HEADER_STYLE,
        highlight=False,
    )
    for column, column_width in zip(columns, widths):
        # Fixed widths that fit (column_widths): identifiers never wrap; free text and headers wrap
        # at spaces ("fold" would apply only to a word longer than its column, which cannot happen).
        grid.add_column(Text(column, no_wrap=False, overflow="fold"), width=column_width, overflow="fold",
                        no_wrap=column not in FREE_TEXT_COLUMNS)  # fmt: skip
    marks = table.row_marks
    for index, row in enumerate(table.rows):
        # Text, not markup: cells such as "[redacted]" are data. A span, not the Text's own
        # style, so that the padding after a short coloured cell stays uncoloured.
        row_style = ROW_MARK_STYLES.get(marks.get(index, ""), "")
        grid.add_row(*(Text.assemble((cell, cell_style(column, cell) or row_style)) for column, cell in zip(columns, row)))
    out = io.StringIO()
    console = Console(
        file=out,
        width=max(terminal.width, sum(widths) + _GAP * (count - 1)),
        force_terminal=terminal.color,
        color_system="standard" if terminal.color else None,
        no_color=False,  # NO_COLOR was weighed in meshctl.render.console already; --color always beats it
        highlight=False,
        markup=False,
        emoji=False,
    )
    console.print(grid)
    return out.getvalue()


def styled_plain_text(table: Tabular) -> str:
    """istioctl's plain layout with the Rich table's colours (bold header, CELL_STYLES, marked rows).

    For colour on output that is not a terminal (``--color always | less -R``, FORCE_COLOR) and
    for tables too wide for the terminal: `render_tabular`'s bytes once the escapes are removed.
    Tables whose rows differ in length (tabwriter's blocks) stay uncoloured.
    """
    lines = ([table.columns] if table.columns else []) + table.rows
    if not lines or any(len(line) != len(lines[0]) for line in lines) or any("\t" in c or "\n" in c for line in lines for c in line):
        return render_tabular(table)
    count = len(lines[0])
    widths = [max(table.minwidth, max(len(line[index]) for line in lines) + table.padding) for index in range(count - 1)]
    header = 1 if table.columns else 0
    out = []
    for number, line in enumerate(lines):
        row_style = HEADER_STYLE if number < header else ROW_MARK_STYLES.get(table.row_marks.get(number - header, ""), "")
        parts = []
        for index, cell in enumerate(line):
            style = row_style if number < header else (table.columns and cell_style(table.columns[index], cell)) or row_style
            pad = " " * (widths[index] - len(cell)) if index < count - 1 else ""
            parts.append((f"\x1b[{_SGR[style]}m{cell}\x1b[0m" if style and cell else cell) + pad)
        out.append("".join(parts))
    return "\n".join(out) + "\n"
