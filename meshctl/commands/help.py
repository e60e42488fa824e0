"""Help that reads as meshctl's: human metavars and an Examples section, for every command.

`meshctl.typer_fast.install_help` makes every command's ``--help`` (and docs/reference.md) go
through `humanize` and `write_examples`, so a command gets both by construction:

- an option without a metavar shows a word, not Python's type (``--port PORT``, ``--concurrency
  N``, never ``<int range>``, ``<str>``, ``<list[str]>``); an argument shows its metavar alone
  (``[POD[.NS]]``, not ``[[POD[.NAMESPACE]]] <str>``);
- the command's examples (`meshctl.commands.examples.EXAMPLES`, taken from README and the
  guides, each run by tests/test_examples.py) close the help.
"""

from __future__ import annotations

# Option name -> metavar, where the name alone says little; otherwise the name in capitals.
METAVARS = {
    "port": "PORT", "proxy_admin_port": "PORT", "concurrency": "N", "direction": "DIRECTION", "type": "TYPE",
    "fqdn": "FQDN", "subset": "SUBSET", "address": "ADDRESS", "name": "NAME", "cluster": "CLUSTER", "status": "STATUS",
}  # fmt: skip


def humanize(command) -> None:
    """Give `command`'s parameters human metavars (see the module docstring); idempotent."""
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") == "argument":
            metavar = param.metavar or ""
            if not param.required and _bracketed(metavar):
                param.metavar = metavar[1:-1]  # Click brackets optional arguments itself
            if param.metavar:
                param.display_type_rich = lambda ctx: None  # the metavar says it: no "<str>" after it
        elif not getattr(param, "is_flag", False) and not getattr(param, "count", False) and param.metavar is None:
            name = param.name or ""
            param.metavar = METAVARS.get(name) or name.upper().replace("_", "-")


def _bracketed(text: str) -> bool:
    """True when one pair of brackets encloses all of `text` ("[POD[.NS]]", not "[A] [B]")."""
    depth = 0
    for index, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth == 0:
            return index == len(text) - 1 and index > 0
    return False


def write_examples(ctx, formatter) -> None:
    """An "Examples" section with the command's examples, if it has any."""
    from meshctl.commands.examples import examples_for

    lines = examples_for(ctx.command_path)
    if not lines:
        return
    with formatter.section("Examples"):
        for line, comment in lines:
            if comment:
                formatter.write_text(f"# {comment}")
            formatter.write(f"{' ' * formatter.current_indent}{line}\n")
