"""`emit(env, result, format, query)`: the one way a command prints its result.

A command (or a pure view) produces a result; `emit` prints it on ``env.stdout``:

- ``format`` json or yaml (or any format with a ``--query``, see `data_format`): `result` is a
  JSON-able document, filtered by the JMESPath ``query`` and printed as istioctl prints JSON/YAML
  (`meshctl.render.data`); YAML is written as it is made (`write_yaml_document`);
- a `Tabular`: istioctl's plain aligned text, or a Rich table on a terminal (``env.terminal``);
  with no rows and an ``empty_msg``, the message goes to stderr instead (stdout stays data);
- a `Sections` (several tables or text blocks, `pc all`): each block as above;
- a ``str``: text already laid out (by a renderer in `meshctl.render`), written as it is;
- a `Serialized`: a document already in ``format`` (json), written chunk by chunk as it is made.

Whatever the format, what is written has every private key replaced, and text (not JSON/YAML)
shows control characters escaped (`meshctl.render.safe`): a command printing through `emit`
cannot leak a key from a dump or let a crafted name drive the terminal.
"""

from __future__ import annotations

DATA_FORMATS = ("json", "yaml")


def data_format(output: str, query: str | None) -> str:
    """The format to print in: `--query` turns a table or text request into JSON."""
    if query and output not in DATA_FORMATS:
        return "json"
    return output


def emit(env, result, format: str = "short", query: str | None = None) -> None:
    """Print `result` on ``env.stdout`` in `format` (see the module docstring)."""
    format = data_format(format, query)
    if format in DATA_FORMATS and isinstance(result, (dict, list)):
        # a plain document (most data output) needs none of the result classes below: their
        # module, four dataclasses made at import, is ~1.5 ms of `pc cluster POD -o json`
        _write_document(env, result, format, query)
        return
    from meshctl.model.tabular import Sections, Serialized, Tabular

    if isinstance(result, Serialized):
        if query or format != result.format:
            raise TypeError(f"emit: a document serialized as {result.format} cannot be printed as {format} (query {query!r})")
        write_chunks(env, result.chunks, redacted=result.redacted)
        return
    if format in DATA_FORMATS:
        _write_document(env, result, format, query)
        return
    from meshctl.render.safe import safe_line, safe_sections, safe_text

    # tables are made safe cell by cell where they are drawn (render_table); text here
    if isinstance(result, Tabular):
        from meshctl.render.table import render_table

        if not result.rows and result.empty_msg:
            print(safe_line(result.empty_msg), file=env.stderr)
            return
        env.stdout.write(render_table(result, env.terminal))
        for line in marked_rows_notes(result):
            env.message(line)
    elif isinstance(result, Sections):
        from meshctl.render.table import render_sections

        env.stdout.write(render_sections(safe_sections(result, keep_sgr=env.terminal.color), env.terminal))
    elif isinstance(result, str):
        env.stdout.write(safe_text(result, keep_sgr=env.terminal.color))
    else:
        raise TypeError(f"emit: cannot print a {type(result).__name__} as {format}")


def _write_document(env, document, format: str, query: str | None) -> None:
    """`document` as `format` after `query`, every private key replaced (YAML: `write_yaml_document`)."""
    if format == "yaml":
        write_yaml_document(env, document, query)
        return
    from meshctl.redact import redact_text

    env.stdout.write(redact_text(render_document(document, format, query)))


def write_yaml_document(env, document, query: str | None = None) -> None:
    """`document` after the JMESPath `query` as istioctl's YAML, written as it is made (a big
    dump's YAML is never held whole), through the stream redactor (`meshctl.redact.StreamRedactor`)."""
    from meshctl.redact import StreamRedactor
    from meshctl.render.data import write_yaml

    if query:
        from meshctl.analyze.query import apply_query

        document = apply_query(query, document)
    redactor = StreamRedactor()
    write = env.stdout.write
    write_yaml(document, lambda text: write(redactor.feed(text)))
    write(redactor.finish())


def write_chunks(env, chunks, redacted: bool = False) -> None:
    """Write serialized output (bytes, UTF-8) made a piece at a time, redacted: on the binary stream
    under ``env.stdout`` when it has one (no decoding of hundreds of MB, and bytes that are not UTF-8,
    as Go may write them, go out as they are), else decoded (such bytes shown as U+FFFD).

    The one redaction step of `emit`, for output too big to hold whole:
    `meshctl.redact.ByteStreamRedactor` carries its state across chunk boundaries (a key cut between
    two chunks is still found) in time linear in the output. `redacted` chunks (`Serialized.redacted`:
    the same recogniser applied where they were made) are written as they are.
    """
    from meshctl.redact import ByteStreamRedactor

    redactor = _Unchanged() if redacted else ByteStreamRedactor()
    buffer = getattr(env.stdout, "buffer", None)
    if buffer is None:
        import codecs

        decoder = codecs.getincrementaldecoder("utf-8")("replace")  # the redactor may hold back part of a chunk
        for chunk in chunks:
            env.stdout.write(decoder.decode(redactor.feed(chunk)))
        env.stdout.write(decoder.decode(redactor.finish(), final=True))
        return
    env.stdout.flush()
    for chunk in chunks:
        buffer.write(redactor.feed(chunk))
    buffer.write(redactor.finish())
    buffer.flush()


class _Unchanged:
    """`ByteStreamRedactor`'s interface for chunks redacted already."""

    def feed(self, chunk):
        return chunk

    def finish(self) -> bytes:
        return b""


# What a row mark means, for the note under the table (Tabular.row_marks).
MARK_MEANINGS = {"warming": "received but not yet in use by Envoy (istioctl does not show these)"}


def marked_rows_notes(table) -> list[str]:
    """One ``meshctl: note:`` line per kind of marked row of `table`, naming up to five of them."""
    by_mark: dict[str, list[str]] = {}
    for index, mark in sorted(table.row_marks.items()):
        row = table.rows[index] if index < len(table.rows) else []
        by_mark.setdefault(mark, []).append(_row_name(row))
    notes = []
    for mark, names in by_mark.items():
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        rows = "row" if len(names) == 1 else "rows"
        notes.append(f"meshctl: note: {len(names)} {rows} {mark}, {MARK_MEANINGS.get(mark, 'marked')}: {shown}")
    return notes


def _row_name(row: list[str]) -> str:
    """A row as the note names it: its first non-empty cell, and the port after it if there is one
    ("warm.example.svc.cluster.local 443", "10.0.0.5 443")."""
    cells = [cell for cell in row if cell and cell != "-"]
    if not cells:
        return "-"
    following = row[row.index(cells[0]) + 1 : row.index(cells[0]) + 2]
    return f"{cells[0]} {following[0]}" if following and following[0].isdigit() else cells[0]


def render_document(document, format: str, query: str | None = None) -> str:
    """`document` after the JMESPath `query`, as istioctl's JSON (4-space indent) or YAML."""
    if query:
        from meshctl.analyze.query import apply_query

        document = apply_query(query, document)
    from meshctl.render.data import to_json, to_yaml

    return to_yaml(document) if format == "yaml" else to_json(document)
