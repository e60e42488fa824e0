"""How this run may print: Rich tables or istioctl's plain text, colour or not, how wide.

Decided once per run from the facts (is stdout a terminal, NO_COLOR, FORCE_COLOR, TERM, the
terminal width) and the root option ``--color auto|always|never``. The run's `meshctl.env.Env`
holds the decision (``env.terminal``) and renderers are handed it. Stdlib only: no rich here, so
deciding costs nothing.

Rules (``--color auto``, the default):

* stdout not a terminal: istioctl's plain text, byte for byte, no colour (scripts, CI, ``| grep``);
* stdout a terminal: Rich tables, coloured unless NO_COLOR is set or TERM=dumb;
* FORCE_COLOR (non-empty, not "0"): colour even when piped, as ``--color always``; the layout
  stays istioctl's plain text (only a terminal gets the Rich layout, whose width is its own).

``--color always|never`` wins over the environment. ``never`` on a terminal keeps the Rich layout
but writes no escape sequence at all. Progress bars (many pods) are drawn on stderr only when
both stdout and stderr are terminals: never into a pipe, nor while data goes to a file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import NamedTuple

COLOR_CHOICES = ("auto", "always", "never")
DEFAULT_WIDTH = 80
_RED, _RESET = "\x1b[31m", "\x1b[0m"


class Terminal(NamedTuple):
    """What this run's output may look like (a NamedTuple, not a frozen dataclass: it is made at
    import on every run, and dataclasses compiles its methods then, ~1 ms each; issue 16).

    Attributes:
        rich: draw tables with Rich (stdout is a terminal); False means istioctl's plain aligned text.
        color: ANSI styles allowed on stdout.
        stderr_color: ANSI styles allowed on stderr (the error line, inject's decision panel).
        width: columns a Rich table may use.
        progress: a progress bar may be drawn on stderr (stdout and stderr are terminals).
    """

    rich: bool = False
    color: bool = False
    stderr_color: bool = False
    width: int = DEFAULT_WIDTH
    progress: bool = False


def decide(*, color: str, stdout_tty: bool, stderr_tty: bool, environ: Mapping[str, str], width: int) -> Terminal:
    """The Terminal for these facts (pure: tests pass the facts in)."""
    if color not in COLOR_CHOICES:
        raise ValueError(f"color must be one of {', '.join(COLOR_CHOICES)}, not {color!r}")
    stdout_color = _wants_color(color, stdout_tty, environ)
    return Terminal(
        rich=stdout_tty,
        color=stdout_color,
        stderr_color=_wants_color(color, stderr_tty, environ),
        width=width,
        progress=stdout_tty and stderr_tty and environ.get("TERM") != "dumb",
    )


def _wants_color(choice: str, tty: bool, environ: Mapping[str, str]) -> bool:
    if choice != "auto":
        return choice == "always"
    if environ.get("NO_COLOR"):  # no-color.org: set and not empty
        return False
    if environ.get("FORCE_COLOR", "") not in ("", "0"):  # force-color.org; "0" means off, as Node's tools read it
        return True
    return tty and environ.get("TERM") != "dumb"


def terminal_width(environ: Mapping[str, str], fds: tuple[int, ...] = (1, 2)) -> int:
    """COLUMNS if set, else the width of the first of `fds` that is a terminal, else 80.

    stderr counts: with ``--color always | less -R`` stdout is a pipe but stderr is the terminal.
    """
    columns = environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for fd in fds:
        try:
            size = os.get_terminal_size(fd).columns
        except (OSError, ValueError):
            continue
        if size > 0:
            return size
    return DEFAULT_WIDTH


def detect(color: str = "auto", *, stdout=None, stderr=None, environ: Mapping[str, str] | None = None) -> Terminal:
    """The Terminal for the real streams and environment (defaults: sys.stdout, sys.stderr, os.environ)."""
    environ = os.environ if environ is None else environ
    return decide(
        color=color,
        stdout_tty=_isatty(sys.stdout if stdout is None else stdout),
        stderr_tty=_isatty(sys.stderr if stderr is None else stderr),
        environ=environ,
        width=terminal_width(environ),
    )


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def error_text(message: str, terminal: Terminal) -> str:
    """`message` in red when stderr may be coloured; still one line."""
    return f"{_RED}{message}{_RESET}" if terminal.stderr_color else message
