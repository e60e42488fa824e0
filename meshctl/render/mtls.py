"""Text of an `explain mtls` explanation: the verdict on the first line, the evidence under it."""

from __future__ import annotations

from meshctl.analyze.mtls import Explanation


def explanation_text(explanation: Explanation) -> str:
    """The verdict line, then the evidence chain indented under it."""
    dest = explanation.destination
    lines = [explanation.summary(), f"  {explanation.source} -> {dest.spec}"]
    for path in explanation.paths:
        lines.append(f"  {path.selected_by}")
        count = len(path.endpoints)
        counted = f"{count} endpoint{'s' if count != 1 else ''}" if path.endpoints_known else "endpoints unknown"
        lines.append(f"  cluster {path.cluster} ({path.state}): {counted} -> {path.verdict}")
        lines += [f"    problem: {p}" for p in path.problems]
        for result in path.endpoints:
            lines.append(f"    {result.evidence[0]} -> {result.verdict}")
            lines += [f"      {line}" for line in result.evidence[1:]]
            lines += [f"      problem: {p}" for p in result.problems]
            lines += [f"      caution: {c}" for c in result.cautions]
    lines += [f"  note: {note}" for note in explanation.notes]
    return "\n".join(lines) + "\n"
