"""A file or standard input as a source, and the one way meshctl reads an input file the user named.

Every input file (a config dump, a manifest, a values file, a snapshot, a kubeconfig) is read
through `read_input`, so the same mistake gets the same message and exit status everywhere:
a missing, directory or unreadable path is an `InputError` (exit 66, sysexits EX_NOINPUT);
standard input that is a terminal when meshctl would wait on it is a `UsageError` (exit 2)
that says how to give the input.
"""

from __future__ import annotations

import sys

from meshctl.errors import InputError, UsageError


def read_input(path: str, *, what: str = "file", stdin=None, implicit_stdin: bool = False) -> bytes:
    """The bytes of `path` ('-': standard input, `stdin` or the process's).

    `what` names the input in messages ("file", "IstioOperator file"). `implicit_stdin` is True
    when the user gave no path and standard input is the default (`inject` without -f): then a
    terminal on standard input is an error instead of a silent wait.

    Raises:
        InputError: the file is missing, a directory, or cannot be read.
        UsageError: standard input is a terminal and the user did not ask for it.
    """
    if path == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        if implicit_stdin and _isatty(stream):
            raise UsageError(f"no input: meshctl reads the {what} from standard input, which is a terminal",
                             hint="give -f FILE, or pipe it in (... < FILE, or kubectl get ... -o yaml | meshctl ...)")  # fmt: skip
        return stream.read()
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not a {what}") from None
    except PermissionError:
        raise InputError(f"{what} {path} cannot be read: permission denied") from None
    except OSError as exc:
        raise InputError(f"{what} {path} cannot be read: {exc.strerror or exc}") from None


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class FileSource:
    """Serves one file's bytes for every admin path (as istioctl's `-f` does)."""

    def __init__(self, path: str, stdin=None) -> None:
        self.path = path
        self._stdin = stdin
        self._data: bytes | None = None

    def fetch(self, path: str) -> bytes:
        """The file's bytes, whatever the admin path (read once)."""
        if self._data is None:
            self._data = read_input(self.path, stdin=self._stdin)
        return self._data

    def describe(self) -> str:
        """``file PATH`` or ``standard input``."""
        return "standard input" if self.path == "-" else f"file {self.path}"
