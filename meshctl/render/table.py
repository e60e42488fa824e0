"""A Tabular for this run's terminal: istioctl's plain text, or a Rich table (rich imported lazily).

The Rich table has the same columns, rows, row order and "-" placeholders as the plain text; only
the layout (bold header, a rule under it, no boxes, so rows still copy cleanly) and a few
colours differ. Off a terminal (unless --color always / FORCE_COLOR), `render_table` returns
`meshctl.render.text.render_tabular`'s text unchanged and rich is never imported.
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
        "WARN": "yellow", "NOT CHECKED": "yellow", "WARMING": "yellow", "UNINITIALIZED": "yellow",
        "DRAINING": "yellow", "DEGRADED": "yellow",
        "FAIL": "red", "UNHEALTHY": "red", "TIMEOUT": "red",
    },
    "ENVOY STATUS": {"WARMING": "yellow", "UNINITIALIZED": "yellow"},
    "VALID CERT": {"false": "red"},
    "OUTLIER CHECK": {"FAILED": "red"},
    "MATCH": {"different": "red", "not in envoy": "red", "no cert": "yellow"},
}  # fmt: skip
HEADER_STYLE = "bold"
# Rich lays a table out at 1-3 ms a row (rich 15, measured: 1000 rows 2.3 s, plain text 8 ms);
# past this many rows a table is scrolled and grepped rather than read, so it gets istioctl's
# plain text at once instead.
RICH_MAX_ROWS = 500


def render_table(table: Tabular, terminal: Terminal) -> str:
    """The text to print for `table`: a Rich table on a terminal, else istioctl's plain text.

    Cells are made safe first (`meshctl.render.safe.safe_table`: no key, no control character).
    """
    table = safe_table(table)
    if not terminal.rich or len(table.rows) > RICH_MAX_ROWS:
        return render_tabular(table)
    return rich_table_text(table, terminal)


def render_sections(sections: Sections, terminal: Terminal) -> str:
    """The blocks of `sections`, tables drawn for `terminal`, text as it is."""
    texts = [(title, body if isinstance(body, str) else render_table(body, terminal)) for title, body in sections.blocks]
    if sections.with_headers:
        return "\n".join(f"------ {title} ------\n\n{body}" for title, body in texts)
    return "\n".join(body for _, body in texts)


def cell_style(column: str, cell: str) -> str | None:
    """The style of `cell` in `column` (CELL_STYLES), or None."""
    return CELL_STYLES.get(column, {}).get(cell)


def rich_table_text(table: Tabular, terminal: Terminal) -> str:
    """`table` drawn by Rich at `terminal.width`, with ANSI styles only if `terminal.color`."""
    import io

    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    if not table.columns and not table.rows:
        return ""
    width = max([len(table.columns), *map(len, table.rows)])
    columns = [*table.columns, *[""] * (width - len(table.columns))]
    grid = Table(
        box=box.SIMPLE_HEAD,
        show_header=bool(table.columns),
        show_edge=False,
        pad_edge=False,
        header_style=HEADER_STYLE,
        highlight=False,
    )
    for column in columns:
        # "fold": a long cluster name wraps onto the next line instead of losing characters.
        grid.add_column(column, overflow="fold")
    for row in table.rows:
        # Text, not markup: cells such as "[redacted]" are data. A span, not the Text's own
        # style, so that the padding after a short coloured cell stays uncoloured.
        grid.add_row(*(Text.assemble((cell, cell_style(column, cell) or "")) for column, cell in zip(columns, row)))
    out = io.StringIO()
    console = Console(
        file=out,
        width=terminal.width,
        force_terminal=terminal.color,
        color_system="standard" if terminal.color else None,
        no_color=False,  # NO_COLOR was weighed in meshctl.render.console already; --color always beats it
        highlight=False,
        markup=False,
        emoji=False,
    )
    console.print(grid)
    return out.getvalue()
