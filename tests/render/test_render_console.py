"""meshctl.render.console: the once-per-run decision (Rich or plain, colour, width), from injected facts."""

import io

import pytest

from meshctl.env import Env
from meshctl.render.console import Terminal, decide, detect, error_text, terminal_width


def terminal(color="auto", *, tty=True, stderr_tty=None, width=100, **environ) -> Terminal:
    return decide(
        color=color, stdout_tty=tty, stderr_tty=tty if stderr_tty is None else stderr_tty, environ=environ, width=width
    )


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("choice", "tty", "environ", "rich", "color"),
    [
        # --color auto: a terminal gets Rich in colour; a pipe gets istioctl's plain text.
        ("auto", True, {}, True, True),
        ("auto", False, {}, False, False),
        ("auto", True, {"TERM": "xterm-256color"}, True, True),
        # NO_COLOR / TERM=dumb: still a Rich layout on a terminal, but no escape sequences.
        ("auto", True, {"NO_COLOR": "1"}, True, False),
        ("auto", True, {"TERM": "dumb"}, True, False),
        ("auto", True, {"NO_COLOR": ""}, True, True),  # no-color.org: an empty NO_COLOR does not count
        # FORCE_COLOR: colour even when piped, on istioctl's plain layout; "0" and "" do not force.
        ("auto", False, {"FORCE_COLOR": "1"}, False, True),
        ("auto", False, {"FORCE_COLOR": "0"}, False, False),
        ("auto", False, {"FORCE_COLOR": ""}, False, False),
        ("auto", True, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),  # NO_COLOR wins over FORCE_COLOR
        # The flag wins over the environment.
        ("always", False, {"NO_COLOR": "1"}, False, True),
        ("always", True, {"TERM": "dumb"}, True, True),
        ("never", True, {"FORCE_COLOR": "1"}, True, False),
        ("never", False, {"FORCE_COLOR": "1"}, False, False),
    ],
)
def test_decide(choice, tty, environ, rich, color):
    decided = terminal(choice, tty=tty, **environ)
    assert (decided.rich, decided.color) == (rich, color)


def test_stderr_colour_is_decided_for_stderr():
    # `meshctl ... > out.txt`: the data file gets no colour, the error on the terminal may.
    decided = terminal(tty=False, stderr_tty=True)
    assert (decided.rich, decided.color, decided.stderr_color) == (False, False, True)
    assert terminal(tty=True, stderr_tty=False).stderr_color is False
    assert terminal("never", tty=True).stderr_color is False


def test_unknown_choice_is_refused():
    with pytest.raises(ValueError, match="auto, always, never"):
        terminal("sometimes")


def test_width_from_columns_else_a_terminal_else_80():
    assert terminal_width({"COLUMNS": "132"}, fds=()) == 132
    assert terminal_width({"COLUMNS": "wide"}, fds=()) == 80
    assert terminal_width({"COLUMNS": "0"}, fds=()) == 80
    assert terminal_width({}, fds=()) == 80


def test_detect_reads_the_streams_it_is_given():
    assert detect(stdout=FakeTTY(), stderr=io.StringIO(), environ={"COLUMNS": "90"}) == Terminal(
        rich=True, color=True, stderr_color=False, width=90
    )
    assert detect(stdout=io.StringIO(), stderr=io.StringIO(), environ={}).rich is False
    closed = io.StringIO()
    closed.close()
    assert detect(stdout=closed, stderr=object(), environ={}) == Terminal(width=detect(environ={}).width)


def test_error_text_is_one_line_red_only_when_allowed():
    message = "meshctl: error: no such file: x.json"
    assert error_text(message, terminal(tty=False, stderr_tty=True)) == f"\x1b[31m{message}\x1b[0m"
    assert error_text(message, terminal(tty=True, stderr_tty=False)) == message
    assert error_text(message, terminal(tty=True, NO_COLOR="1")) == message


def test_the_decision_belongs_to_the_runs_env():
    # The Env decides from its own streams and environment; --color decides again, for that Env only.
    env = Env(stdout=io.StringIO(), stderr=io.StringIO(), environ={})
    assert env.terminal == Terminal(width=terminal_width({}))
    env.use_color("always")
    assert env.terminal.color is True
    other = Env(stdout=FakeTTY(), stderr=io.StringIO(), environ={"NO_COLOR": "1", "COLUMNS": "90"})
    assert other.terminal == Terminal(rich=True, color=False, stderr_color=False, width=90)


@pytest.mark.parametrize(
    ("tty", "stderr_tty", "environ", "progress"),
    [
        (True, True, {}, True),  # a person at a terminal
        (False, True, {}, False),  # `meshctl pc secret -A | grep x`, `-o json > file`: never
        (True, False, {}, False),  # stderr to a log
        (False, False, {"FORCE_COLOR": "1"}, False),  # CI with forced colour
        (True, True, {"TERM": "dumb"}, False),
    ],
)
def test_progress_bars_only_when_stdout_and_stderr_are_terminals(tty, stderr_tty, environ, progress):
    assert terminal(tty=tty, stderr_tty=stderr_tty, **environ).progress is progress
