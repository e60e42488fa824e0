"""Text of `proxy-status POD`: istioctl's headline per xDS type, and what differs under a mismatch."""

from __future__ import annotations

from datetime import tzinfo

from meshctl.analyze.proxystatus import COMPARED_TYPES, SyncComparison
from meshctl.render.diff import unified_text


def comparison_text(comparison: SyncComparison, tz: tzinfo | None = None) -> str:
    """istioctl's headline per type; under a mismatch, what differs (unified diff per changed resource)
    and a blank line, as istioctl prints its diff text."""
    where = {"removed": "only in Istiod", "added": "only in Envoy"}
    parts = []
    for kind, _ in COMPARED_TYPES:
        parts.append(comparison.headline(kind, tz) + "\n")
        changes = [change for change in comparison.diff.changes if change.type == kind]
        for change in changes:
            if change.change == "changed":
                parts.append(unified_text(change, "Istiod", "Envoy"))
            else:
                parts.append(f"{where[change.change]}: {kind}/{change.name}\n")
        if changes:
            parts.append("\n")
    return "".join(parts)
