"""`explain request` as text: the verdict on the first line, the evidence indented under it."""

from __future__ import annotations


def request_text(explanation) -> str:
    """A meshctl.analyze.request.RequestExplanation as the lines a terminal shows."""
    request = explanation.request
    lines = [explanation.summary(),
             f"  {explanation.source} -> {explanation.destination}: {request.method} {request.scheme}://{request.authority}{request.path}"]  # fmt: skip
    lines += [f"  {line}" for line in explanation.evidence]
    several = len(explanation.outcomes) > 1
    for outcome in explanation.outcomes:
        if several:
            lines.append(f"  => {outcome.summary}" + (f" (weight {outcome.weight})" if outcome.weight is not None else ""))
        lines += [f"  {line}" for line in outcome.evidence]
    lines += [f"  note: {note}" for note in explanation.notes]
    return "\n".join(escape_controls(line) for line in lines) + "\n"


def escape_controls(line: str) -> str:
    """Control characters from a hostile dump or header never reach the terminal raw."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in line)
