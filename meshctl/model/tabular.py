"""Tables as data: what analyze produces and render prints (stdlib only)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Tabular:
    """Column headers and rows of string cells.

    `padding`/`minwidth` are the tabwriter settings istioctl uses for this table (most use
    padding 5; the listener table uses 1), so the text renderer can be byte-exact.
    `empty_msg` is what a command reports on stderr when there are no rows (or "").
    `row_marks` (row index -> a state such as "warming") flags rows unlike the others without a
    column of their own (a terminal colours them; `emit` notes them on stderr), so the columns
    stay istioctl's whatever the rows hold.
    """

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    padding: int = 5
    minwidth: int = 0
    empty_msg: str = ""
    row_marks: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """One result of a check: severity ("error" | "warning" | "info"), a code, a message, a target."""

    severity: str
    code: str
    msg: str
    target: str = ""


@dataclass
class Sections:
    """Several blocks printed one after another (`pc all`): tables, or text already laid out.

    With `with_headers`, each block is introduced by ``------ TITLE ------`` and a blank line
    (istioctl configdump.go PrintFullSummary); blocks are separated by a newline either way.
    """

    blocks: list[tuple[str, Tabular | str]]
    with_headers: bool = False


@dataclass
class Serialized:
    """A document already in its output format, as chunks of bytes made as they are written.

    For data too big to build as objects (`pc all -o json` of a 150 MB dump): `emit` writes the
    chunks in order, and lets each go before the next is made. `redacted`: the chunks have been
    through the redaction step already (`meshctl.render.dumpjson` redacts each line it makes
    once, not the 300 MB it prints), so `emit` writes them as they are.
    """

    chunks: Iterable[bytes | memoryview]
    format: str = "json"
    redacted: bool = False


# C0 and C1 controls, DEL, and the Unicode line separators and bidi overrides: in a table cell they
# would move the cursor, recolour the terminal, reorder the text or break the columns.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` for a table cell: control characters written as escapes (\\n, \\x1b, \\u202e).

    Cells hold data from dumps and clusters, which may be hostile; ordinary text is unchanged.
    """
    if not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    if named:
        return named
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
