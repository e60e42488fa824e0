"""`check-inject`'s table as istioctl lays it out (istioctl/pkg/writer/table ColoredTableWriter)."""

from __future__ import annotations

from meshctl.analyze.checkinject import WebhookAnalysis

COLUMNS = ("WEBHOOK", "REVISION", "INJECTED", "REASON")


def check_inject_text(results: list[WebhookAnalysis]) -> str:
    """istioctl's table (writer/table ColoredTableWriter) without colour escapes, laid out as istioctl
    lays it out: columns two spaces apart, widths in bytes of the cells as printed, and the INJECTED
    cells always printed green/red (9 bytes of escapes counted), so that column is wider than it looks.
    """
    header = list(COLUMNS)
    rows = [[r.name, r.revision, "✔" if r.injected else "✘", r.reason] for r in results]
    escape_bytes = len("\x1b[32m") + len("\x1b[0m")
    widths = [len(cell.encode()) for cell in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell.encode()) + (escape_bytes if i == 2 else 0))
    lines = []
    for row in [header, *rows]:
        parts = [cell + " " * (widths[i] - len(cell) + 2) for i, cell in enumerate(row[:-1])]
        lines.append("".join(parts) + row[-1])
    return "\n".join(lines) + "\n"
