"""`explain mtls` for ambient mode as text: the verdict line, then each path's hops, identities and evidence."""

from __future__ import annotations

from meshctl.analyze.ambient_verdict import AmbientExplanation


def ambient_explanation_text(explanation: AmbientExplanation) -> str:
    """The verdict line, then each path: its hops on one line and the evidence under it."""
    port = f":{explanation.port}" if explanation.port else ""
    lines = [explanation.summary(), f"  {explanation.source} -> {explanation.destination}{port} (ambient)"]
    lines += [f"  problem: {p}" for p in explanation.problems]
    for path in explanation.paths:
        route = " -> ".join(f"{hop.kind} {hop.name}" for hop in path.hops)
        lines.append(f"  {path.endpoint}: {path.verdict}")
        lines.append(f"    path: {route}")
        lines += [f"    {role}: {identity}" for role, identity in path.identities.items()]
        lines += [f"    {line}" for line in path.evidence]
        lines += [f"    problem: {p}" for p in path.problems]
    lines += [f"  note: {note}" for note in explanation.notes]
    return "\n".join(lines) + "\n"
