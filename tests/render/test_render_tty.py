"""A real terminal: meshctl run under a pseudo-terminal (helpers.terminal) and, when present, tmux."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import ROOT, call_meshctl, require_tool
from helpers.render_cells import strip_ansi, table_cells
from helpers.terminal import ENVIRON, run_in_pty

MESH_SMALL = Path(__file__).resolve().parent.parent / "pc" / "data" / "mesh_small.json"
COLUMNS = ["SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION RULE"]


def table_part(screen: str) -> str:
    """The screen without meshctl's stderr lines (warnings, notes), which share the terminal."""
    return "\r\n".join(line for line in screen.split("\r\n") if not strip_ansi(line).startswith("meshctl: "))


def test_a_terminal_gets_a_rich_table_with_the_plain_tables_cells():
    code, screen = run_in_pty("pc", "cluster", "-f", str(MESH_SMALL))
    assert code == 0
    lines = screen.split("\r\n")
    header = next(line for line in lines if "SERVICE FQDN" in line)
    assert header.startswith("\x1b[1mSERVICE FQDN")  # bold header
    assert set(lines[lines.index(header) + 1]) == {"─"}  # a rule under it, no box
    assert "\x1b[33mwarm.example.svc.cluster.local\x1b[0m" in screen  # the warming cluster in yellow
    assert "meshctl: note: 1 row warming" in screen  # and named on stderr
    plain = call_meshctl("pc", "cluster", "-f", str(MESH_SMALL)).stdout
    assert table_cells(table_part(screen), COLUMNS) == table_cells(plain, COLUMNS)
    assert len(table_cells(plain, COLUMNS)) == 8
    # stderr shares the terminal: the decoder's warning is there, as one plain line.
    assert "meshctl: warning: unknown config dump section" in screen


def test_the_width_comes_from_the_terminal():
    # 100 columns: the Rich table fits. 60: the longest name cannot fit, so istioctl's layout, rows running long.
    code, screen = run_in_pty("pc", "cluster", "-f", str(MESH_SMALL), width=100)
    assert code == 0
    table = [line for line in strip_ansi(screen).split("\r\n") if not line.startswith("meshctl: ")]
    assert max(map(len, table)) <= 100 and "─" * 20 in screen
    code, screen = run_in_pty("pc", "cluster", "-f", str(MESH_SMALL), width=60)
    assert code == 0
    plain = call_meshctl("pc", "cluster", "-f", str(MESH_SMALL)).stdout
    assert plain.replace("\n", "\r\n") in strip_ansi(screen)


@pytest.mark.parametrize("way", [{"env": {"NO_COLOR": "1"}}, {"env": {"TERM": "dumb"}}, {"args": ("--color", "never")}])
def test_no_colour_on_a_terminal_keeps_the_layout_without_escapes(way):
    args = way.get("args", ())
    code, screen = run_in_pty(*args, "pc", "cluster", "-f", str(MESH_SMALL), env=way.get("env"))
    assert code == 0
    assert "\x1b[" not in screen
    assert "─" * 20 in screen
    assert len(table_cells(table_part(screen), COLUMNS)) == 8


def test_an_error_on_a_terminal_is_one_red_line():
    code, screen = run_in_pty("pc", "cluster", "-f", str(MESH_SMALL.with_name("no-such-dump.json")))
    assert code != 0
    lines = [line for line in screen.split("\r\n") if line]
    assert len(lines) == 1, screen
    assert lines[0].startswith("\x1b[31mmeshctl: error: ") and lines[0].endswith("\x1b[0m")
    assert "Traceback" not in screen
    code_never, screen_never = run_in_pty("--color", "never", "pc", "cluster", "-f", str(MESH_SMALL.with_name("no-such-dump.json")))
    assert code_never == code
    assert screen_never.startswith("meshctl: error: ") and "\x1b[" not in screen_never


def test_tmux_shows_a_rich_table(tmp_path):
    require_tool("tmux", " (the pty tests above cover a terminal)")
    # A private tmux server (its socket in tmp_path), killed at the end; the pane is the terminal.
    server = ["tmux", "-S", str(tmp_path / "tmux.sock"), "-f", "/dev/null"]
    command = f"cd {ROOT} && {sys.executable} -m meshctl pc cluster -f {MESH_SMALL} 2>/dev/null; echo; echo __done__; sleep 60"
    env = {**ENVIRON, "TMUX": ""}
    subprocess.run([*server, "new-session", "-d", "-x", "150", "-y", "30", command], check=True, timeout=30, env=env)
    try:
        screen, deadline = "", time.monotonic() + 60
        while "__done__" not in screen and time.monotonic() < deadline:
            time.sleep(0.2)
            screen = subprocess.run([*server, "capture-pane", "-p", "-e"], capture_output=True, text=True, timeout=30).stdout
    finally:
        subprocess.run([*server, "kill-server"], capture_output=True, timeout=30)
    assert "__done__" in screen, screen
    assert "─" * 20 in screen
    assert "warm.example.svc.cluster.local" in screen and "\x1b[" in screen  # -e keeps the pane's colours
    plain = call_meshctl("pc", "cluster", "-f", str(MESH_SMALL)).stdout
    assert table_cells(table_part(screen), COLUMNS) == table_cells(plain, COLUMNS)
