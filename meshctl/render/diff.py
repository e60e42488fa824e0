"""Text of comparisons: two config dumps (`pc diff`), two snapshots (`snapshot diff`), a resource's JSON."""

from __future__ import annotations

from meshctl.analyze.diff import ResourceChange, canonical
from meshctl.model.tabular import Tabular
from meshctl.render.console import Terminal
from meshctl.render.table import render_table


def dump_diff_text(result, terminal: Terminal) -> str:
    """`pc diff`: counts per type, then each changed resource (a unified diff of its JSON for changes)."""
    summary = Tabular(["TYPE", "ADDED", "REMOVED", "CHANGED"], padding=3)
    for kind, counts in result.counts().items():
        summary.rows.append([kind, str(counts["added"]), str(counts["removed"]), str(counts["changed"])])
    parts = [render_table(summary, terminal)]
    if result.equal:
        parts.append("The dumps are equal.\n")
    for change in result.changes:
        parts.append(f"\n{change.change.upper()} {change.type} {change.name}\n")
        if change.change == "changed":
            parts.append(unified_text(change, "A", "B"))
    return "".join(parts)


def snapshot_diff_text(result, terminal: Terminal) -> str:
    """`snapshot diff`: a table of pods (status and resource counts), then one line per changed resource."""
    pods = Tabular(["POD", "STATUS", "ADDED", "REMOVED", "CHANGED"], padding=3)
    changes = Tabular(["POD", "CHANGE", "TYPE", "NAME"], padding=3)
    for pod in result.pods:
        counts = {"added": 0, "removed": 0, "changed": 0}
        for change in pod.diff.changes if pod.diff else ():
            counts[change.change] += 1
            changes.rows.append([pod.pod, change.change, change.type, change.name])
        pods.rows.append([pod.pod, pod.status, *(str(counts[c]) for c in ("added", "removed", "changed"))])
    text = render_table(pods, terminal)
    if changes.rows:
        text += "\n" + render_table(changes, terminal)
    if result.equal:
        text += "The snapshots are equal.\n"
    return text


def unified_text(change: ResourceChange, label_before: str, label_after: str) -> str:
    """A unified diff of the resource's pretty JSON, for people (`pc diff` text output)."""
    import difflib

    import orjson

    def lines(resource) -> list[str]:
        if resource is None:
            return []
        return orjson.dumps(canonical(resource), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode().splitlines(keepends=True)

    return "".join(
        difflib.unified_diff(lines(change.before), lines(change.after), f"{label_before} {change.type}/{change.name}", f"{label_after} {change.type}/{change.name}")
    )
