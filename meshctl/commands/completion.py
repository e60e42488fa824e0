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
    # Typer keeps its script templates in a private module; tests/test_generated.py notices a change.
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name="meshctl", complete_var=COMPLETE_VAR, shell=shell) + "\n"


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
