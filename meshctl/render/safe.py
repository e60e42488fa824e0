"""What may reach a terminal or a file: no private key anywhere, no control character in text.

Every output path ends here (`meshctl.emit.emit`, `render_table`, the Env's messages and the error
boundary), so a new command gets both rules without asking:

- private keys are replaced (`meshctl.redact`) in every format: tables, text, JSON, YAML;
- in text (tables, explanations, messages, errors quoting a remote body) control characters are
  shown escaped, ``\\x1b`` for ESC, as kubectl escapes terminal sequences in what it prints, so a
  crafted name cannot retitle, clear or rewrite the terminal. A table cell shows ``\\n`` and
  ``\\t`` escaped too (they would make rows); free text keeps its line breaks and tabs, and on a
  coloured terminal the SGR colour sequences meshctl's own renderers wrote.

JSON and YAML are printed exactly (their escaping is their own); only keys are replaced there.
"""

from __future__ import annotations

import re
from dataclasses import replace

from meshctl.model.tabular import Sections, Tabular
from meshctl.redact import redact_text

# C0 controls, DEL and C1 controls (U+0080-U+009F: 0x9b is a one-byte CSI on some terminals)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# an SGR sequence (colour, bold): what Rich and meshctl's renderers write on a coloured terminal
_SGR_OR_CONTROL = re.compile(r"\x1b\[[0-9;]*m|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(match: re.Match) -> str:
    char = match.group()
    return char if len(char) > 1 else f"\\x{ord(char):02x}"


def escape_cell(cell: str) -> str:
    """A table cell with every control character escaped (``\\n`` and ``\\t`` included)."""
    return _CONTROL.sub(_escape, cell) if _CONTROL.search(cell) else cell


def safe_text(text: str, *, keep_sgr: bool = False) -> str:
    """Text for a terminal: keys replaced, control characters escaped but line breaks and tabs.

    `keep_sgr`: the text was coloured by meshctl for a colour terminal; its SGR sequences stay.
    """
    text = redact_text(text)
    pattern = _SGR_OR_CONTROL if keep_sgr else _TEXT_CONTROL
    return pattern.sub(_escape, text) if pattern.search(text) else text


def safe_line(text: str) -> str:
    """One line for stderr (a message, an error quoting a remote answer): keys and controls, line breaks too."""
    text = redact_text(text)
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


def safe_sections(sections: Sections, *, keep_sgr: bool = False) -> Sections:
    """`sections` with its text blocks made safe (`safe_text`); its tables are made safe when drawn."""
    blocks = [(title, safe_text(body, keep_sgr=keep_sgr) if isinstance(body, str) else body) for title, body in sections.blocks]
    return Sections(blocks, with_headers=sections.with_headers)


def safe_table(table: Tabular) -> Tabular:
    """`table` with keys replaced and control characters escaped in its cells (itself when clean)."""
    # one scan for the common case, nothing to change; a space keeps cells apart (no run spans two)
    joined = " ".join([*table.columns, *(cell for row in table.rows for cell in row)])
    if redact_text(joined) is joined and _CONTROL.search(joined) is None:
        return table
    fix = lambda cell: escape_cell(redact_text(cell))  # noqa: E731
    # replace(): every other field (padding, empty_msg, row_marks, ...) carried as it is
    return replace(table, columns=[fix(c) for c in table.columns], rows=[[fix(c) for c in row] for row in table.rows])
