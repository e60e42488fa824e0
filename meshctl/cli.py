"""The entry point: `main`, the one error boundary.

The root command itself (global options, the command table) is `meshctl.commands.root`;
sub-commands live in ``meshctl/commands/<module>.py`` and are imported only when invoked, so that
``meshctl --help`` and ``meshctl --version`` stay fast (typer/rich/kubernetes/grpc are never
imported on those paths).

`main` makes the run's `meshctl.env.Env` and hands it to the commands as Click's ``ctx.obj``.
"""

from __future__ import annotations

import os
import sys

from meshctl import VERSION_TEXT
from meshctl.errors import ExitStatus, MeshctlError

# Help and usage errors are plain text: quick to print (no Rich import) and stable for the generated
# docs/reference.md. Typer reads this once, when it is first imported, so it is set here.
os.environ.setdefault("TYPER_USE_RICH", "0")

__all__ = ["VERSION_TEXT", "main"]


def main(argv: list[str] | None = None, env=None) -> int:
    """Run meshctl; the one place that turns errors into messages and exit codes.

    `env` (a `meshctl.env.Env`) is where the run reads and writes: the process's streams and
    environment by default; tests pass one over io.StringIO.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        # Fast path: no typer import (nor an Env), so `meshctl --version` costs little more than Python's start.
        print(VERSION_TEXT, file=sys.stdout if env is None else env.stdout)
        return ExitStatus.OK
    from meshctl.env import Env

    env = env if env is not None else Env()
    debug = "--debug" in args or bool(os.environ.get("MESHCTL_DEBUG"))
    try:
        import typer
        from typer import _click as click  # Typer vendors Click: its usage errors live here

        if os.environ.get("_MESHCTL_COMPLETE"):
            # A completion script is asking for candidates: Typer's shell classes answer it.
            from typer._completion_classes import completion_init

            completion_init()

        from meshctl.commands.root import build_app
        from meshctl.plain_coercion import without_pydantic

        command = without_pydantic(typer.main.get_command(build_app()))
        try:
            # Outside standalone mode, Click returns the code of a `typer.Exit(code)` raised by a command.
            returned = command.main(args=args, prog_name="meshctl", standalone_mode=False, obj=env)
        except typer.Exit as exit_:
            return exit_.exit_code
        except typer.Abort:
            print("meshctl: interrupted", file=env.stderr)
            return ExitStatus.INTERRUPTED
        except click.exceptions.ClickException as exc:
            exc.show(file=env.stderr)
            return ExitStatus.USAGE if isinstance(exc, click.exceptions.UsageError) else exc.exit_code
        return returned if isinstance(returned, int) else ExitStatus.OK
    except MeshctlError as exc:
        if debug:
            raise
        from meshctl.render.console import error_text

        print(error_text(f"meshctl: error: {exc}", env.terminal), file=env.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("meshctl: interrupted", file=env.stderr)
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        # `meshctl ... | head`: the reader went away; that is not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, env.stdout.fileno())
        return ExitStatus.OK
    except Exception as exc:  # the error boundary: one line, never a traceback unless --debug
        if debug:
            raise
        from meshctl.render.console import error_text

        message = f"meshctl: error: unexpected {type(exc).__name__}: {exc} (rerun with --debug for a traceback)"
        print(error_text(message, env.terminal), file=env.stderr)
        return ExitStatus.UNEXPECTED
