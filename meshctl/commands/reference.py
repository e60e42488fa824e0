"""The command reference (docs/reference.md), generated from the app itself.

`python -m meshctl.commands.reference > docs/reference.md` regenerates it (scripts/regen does, with the
completion scripts); tests/test_generated.py fails when the committed copy is stale.
"""

from __future__ import annotations


def _commands():
    """(path, click command) for every command, depth first, in the order `--help` lists them."""
    import meshctl.typer_fast  # noqa: I001  before typer: it sets up Typer's plain help before Typer loads
    import typer

    meshctl.typer_fast.install()  # the help every run prints (meshctl.commands.help)

    from meshctl.commands.root import build_app

    root = typer.main.get_command(build_app())
    ctx = root.context_class(root, info_name="meshctl")

    def walk(command, path, parent_ctx):
        yield path, command
        names = command.list_commands(parent_ctx) if hasattr(command, "list_commands") else []
        for name in names:
            sub = command.get_command(parent_ctx, name)
            if sub is None or getattr(sub, "hidden", False):
                continue
            sub_ctx = sub.context_class(sub, info_name=name, parent=parent_ctx)
            yield from walk(sub, f"{path} {name}", sub_ctx)

    yield from walk(root, "meshctl", ctx)


def reference_markdown() -> str:
    """Markdown with each command's usage and full help text, as `meshctl ... --help` prints it."""
    parts = [
        "# meshctl command reference\n\n",
        "Generated from the app by `scripts/regen` (do not edit by hand). Each section is what\n",
        "`--help` prints for that command.\n",
    ]
    for path, command in _commands():
        ctx = command.context_class(command, info_name=path)
        ctx.max_content_width = 100
        ctx.terminal_width = 100
        parts.append(f"\n## `{path}`\n\n```text\n{command.get_help(ctx).rstrip()}\n```\n")
    return "".join(parts)


if __name__ == "__main__":
    print(reference_markdown(), end="")
