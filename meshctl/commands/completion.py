"""`meshctl completion SHELL`: the shell completion script (also committed under completions/).

The scripts call meshctl back with `_MESHCTL_COMPLETE` set; cli.main() then lets Typer answer with
the candidates, so completion follows the commands as they are, lazy groups included.
"""

from __future__ import annotations

from typing import Annotated

import typer

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_MESHCTL_COMPLETE"


def completion_script(shell: str) -> str:
    """The completion script for `shell`, as committed in completions/."""
    # Typer keeps its script templates private (meshctl.typer_fast); tests/test_generated.py notices a change.
    from meshctl.typer_fast import completion_script as typer_script

    return typer_script("meshctl", COMPLETE_VAR, shell) + "\n"


def completion(
    ctx: typer.Context,
    shell: Annotated[str, typer.Argument(metavar="|".join(SHELLS), help="The shell to print the script for.")],
) -> None:
    """Print the shell completion script, e.g. `source <(meshctl completion bash)`."""
    if shell not in SHELLS:
        raise typer.BadParameter(f"{shell!r} is not one of {', '.join(SHELLS)}", param_hint="SHELL")
    from meshctl.env import Env

    Env.of(ctx).write(completion_script(shell))


app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
app.command(name="completion")(completion)
command = typer.main.get_command(app)
