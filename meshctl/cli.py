"""The entry point: `main`, the one error boundary.

The root command itself (global options, the command table) is `meshctl.commands.root`;
sub-commands live in ``meshctl/commands/<module>.py`` and are imported only when invoked, so that
``meshctl --help`` and ``meshctl --version`` stay fast (typer/rich/kubernetes/grpc are never
imported on those paths).

`main` makes the run's `meshctl.env.Env` and hands it to the commands as Click's ``ctx.obj``.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys

from meshctl import VERSION_TEXT, typer_fast  # typer_fast before Typer: it sets Typer's plain help
from meshctl.errors import ExitStatus, MeshctlError

TYPE_CHECKING = False  # (not typing's: importing typing costs `--version` a few ms)
if TYPE_CHECKING:
    from typing import NoReturn


def run() -> NoReturn:
    """The console scripts (``meshctl``, ``kubectl-meshctl``) and ``python -m meshctl``: `main`, then
    the end of the process (`exit_now`)."""
    exit_now(main())


def exit_now(status: int) -> NoReturn:
    """End the process with `status`, output flushed and exit handlers run, without the
    interpreter's teardown: freeing every module and object one by one costs ~5 ms of CPU after a
    cluster command (4 % of `meshctl pc cluster POD`; a 20th of `--version`) and serves nothing.

    The usual exit (``sys.exit``) is kept when it still has work: threads that are not daemons
    (meshctl's commands end theirs), a tracer or profiler (coverage, cProfile: they write their data
    at teardown), or standard streams whose flush fails (Python's own handling), but for a reader
    that went away: piped output is buffered, so `meshctl ... | head` may see that only here, and
    it is not an error of ours (`_reader_gone`), whatever stream it is; the run's status stands.
    """
    threading = sys.modules.get("threading")  # not imported (`--version`): no threads to wait for
    others = threading and [thread for thread in threading.enumerate() if thread is not threading.main_thread() and not thread.daemon]
    if others or sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(status)
    import atexit

    atexit._run_exitfuncs()  # what the interpreter runs first at exit (temporary files' cleanup ...)
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except BrokenPipeError:
            # Python's documentation, signal module, "Note on SIGPIPE": what is left goes to /dev/null,
            # else the interpreter fails on it again at exit (status 120, "Exception ignored ...")
            _reader_gone(stream)
        except (OSError, ValueError):
            sys.exit(status)
    os._exit(int(status))


def main(argv: list[str] | None = None, env=None) -> int:
    """Run meshctl; the one place that turns errors into messages and exit codes.

    `env` (a `meshctl.env.Env`) is where the run reads and writes: the process's streams and
    environment by default; tests pass one over io.StringIO.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        # Fast path: no typer import (nor an Env), so `meshctl --version` costs little more than Python's start.
        stdout = sys.stdout if env is None else env.stdout
        try:
            print(VERSION_TEXT, file=stdout)
        except BrokenPipeError:
            return _reader_gone(stdout)
        return ExitStatus.OK
    from meshctl.env import Env

    process_run = env is None  # the console script or `python -m meshctl`, not a caller in-process
    env = env if env is not None else Env()
    debug = "--debug" in args or bool(os.environ.get("MESHCTL_DEBUG"))
    with _gc_policy(args, env, process_run):
        # a context of its own: what a command sets for its run (say, goyaml.ALIAS_LIMIT) ends with it
        return contextvars.copy_context().run(_run, args, env, debug)


def _run(args: list[str], env, debug: bool) -> int:
    try:
        import typer

        typer_fast.install()  # the start-up fast path, once, for every command built from now on
        click_exception, usage_error = typer_fast.click_errors()
        if os.environ.get("_MESHCTL_COMPLETE"):
            typer_fast.start_completion()  # a completion script is asking: Typer's shell classes answer

        from meshctl.commands.root import build_app

        command = typer.main.get_command(build_app())
        try:
            # Outside standalone mode, Click returns the code of a `typer.Exit(code)` raised by a command.
            returned = command.main(args=args, prog_name="meshctl", standalone_mode=False, obj=env)
        except typer.Exit as exit_:
            return exit_.exit_code
        except typer.Abort:
            print("meshctl: interrupted", file=env.stderr)
            return ExitStatus.INTERRUPTED
        except click_exception as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `meshctl`, `meshctl pc`: help, as asked for
                env.stdout.write(exc.ctx.get_help() + "\n")
                return ExitStatus.OK
            message, hint = usage_error_lines(exc)
            _print_error(env, message, hint)
            return ExitStatus.USAGE if isinstance(exc, usage_error) else exc.exit_code
        return returned if isinstance(returned, int) else ExitStatus.OK
    except MeshctlError as exc:
        if debug:  # the traceback, then the error as always: --debug does not change the exit status
            _print_traceback(env)
        _print_error(env, str(exc), exc.hint)
        return exc.exit_status
    except KeyboardInterrupt:
        print("meshctl: interrupted", file=env.stderr)
        return ExitStatus.INTERRUPTED
    except SystemExit as exit_:
        # A broken pipe in a command: Typer's main turns it into sys.exit(1) (typer/core.py _main).
        if isinstance(exit_.__context__, BrokenPipeError):
            return _reader_gone(env.stdout)
        raise
    except Exception as exc:  # the error boundary: one line, never a traceback unless --debug
        if debug:
            _print_traceback(env)  # escaped like any text: the exception may quote hostile input
            return ExitStatus.UNEXPECTED
        _print_error(env, f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for a traceback)")
        return ExitStatus.UNEXPECTED


def _print_traceback(env) -> None:
    """--debug: the traceback of the error being handled, on stderr, control characters escaped and keys replaced."""
    import traceback

    from meshctl.render.safe import safe_text

    print(safe_text(traceback.format_exc()), file=env.stderr, end="")


def _reader_gone(stdout) -> int:
    """`meshctl ... | head`: the reader went away, which is not an error of ours. Output still
    buffered goes to /dev/null, so that Python's flush at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stdout.fileno())
    return ExitStatus.OK


def _print_error(env, message: str, hint: str | None = None) -> None:
    """Every error of a run: ``meshctl: error: MESSAGE`` on one line, and at most one ``hint:`` line."""
    from meshctl.render.console import error_text
    from meshctl.render.safe import safe_line

    # safe_line: one line, keys replaced, control characters escaped (a message may quote hostile input)
    print(error_text(f"meshctl: error: {safe_line(message)}", env.terminal), file=env.stderr)
    if hint:
        print(f"hint: {safe_line(hint)}", file=env.stderr)


def usage_error_lines(exc) -> tuple[str, str | None]:
    """A Click usage error as meshctl says errors: (message, hint).

    Click writes four lines (usage, "Try ... for help", a blank, "Error: ..."); meshctl writes one
    message in its own style and a hint: the close matches of a mistyped sub-command or option
    ("did you mean"), else where the usage is.
    """
    import difflib

    ctx = getattr(exc, "ctx", None)
    command_path = ctx.command_path if ctx is not None else "meshctl"
    help_hint = f"'{command_path} --help' shows the usage"
    kind = type(exc).__name__
    if kind == "NoSuchOption":
        message = _sentence(exc.message)
        matches = sorted(exc.possibilities or ())
        if matches:
            return message, f"did you mean {' or '.join(matches)}? ({help_hint})"
        return message, help_hint
    message = _sentence(exc.format_message().split(". Did you mean ")[0])  # Typer's own suggestion: ours is below
    if ctx is not None and message.startswith("no such command "):
        typed = message.removeprefix("no such command ")[1:-1]  # the name's repr
        group = ctx.command
        names = list(group.list_commands(ctx)) if hasattr(group, "list_commands") else []
        matches = difflib.get_close_matches(typed, names, n=3, cutoff=0.6)
        message = f"{command_path} has no command {typed!r}"
        if matches:
            return message, f"did you mean {' or '.join(repr(m) for m in matches)}? ('{command_path} --help' lists the commands)"
        return message, f"'{command_path} --help' lists the commands"
    return message, help_hint


def _sentence(text: str) -> str:
    """Click's "No such option: -x." as meshctl writes messages: lower-case start, no final period."""
    text = text.strip().rstrip(".")
    if text[:1].isupper() and not text[1:2].isupper():
        text = text[0].lower() + text[1:]
    return text


# Commands (first words) that run long or stream many inputs: the cyclic collector stays on for them.
# `snapshot diff` reads dumps one by one like any other command.
_COLLECTED = {("sandbox",), ("snapshot",)}
_ROOT_OPTIONS_WITH_VALUE = {"--color"}


@contextlib.contextmanager
def _gc_policy(args: list[str], env, process_run: bool):
    """The run's GC policy, decided here once.

    A meshctl run decodes a dump (up to 150 MB, 10M+ objects) into acyclic data, prints, and
    ends: the cyclic collector's passes over millions of fresh containers it can never free cost
    more than building them (4x on the 148 MB dump), so it is paused for the run. What the run
    kept (`Env.retain`: the decoded input) is, at the end of a process run, left to the operating
    system instead of being freed object by object (a second for the biggest dumps): anchored in a
    cycle nothing refers to, and frozen, so that no collection, not even at interpreter shutdown,
    looks at it. In-process callers (tests) get everything freed as usual.
    """
    import gc

    if _command_path(args)[:1] in _COLLECTED and _command_path(args)[:2] != ("snapshot", "diff"):
        yield
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if process_run and env.retained:
            anchor: list = [env.retained]
            anchor.append(anchor)
            gc.freeze()
        elif enabled:
            gc.enable()


def _command_path(args: list[str]) -> tuple[str, ...]:
    """The command words of `args` (`("snapshot", "diff")`), root options skipped."""
    words, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in _ROOT_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            words.append(arg)
            if len(words) == 2:
                break
    return tuple(words)
