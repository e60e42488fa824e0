"""meshctl.render.table: plain text off a terminal (byte-identical), a Rich table with the same cells on one."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from meshctl.model.tabular import Tabular
from meshctl.render.console import Terminal
from meshctl.render.table import CELL_STYLES, RICH_MAX_ROWS, render_table
from meshctl.render.text import render_tabular

from helpers import ISTIO_TESTDATA, ROOT, call_meshctl, require_shared, run_meshctl
from helpers.render_cells import strip_ansi, table_cells

MESH_SMALL = Path(__file__).resolve().parent.parent / "pc" / "data" / "mesh_small.json"
PIPED = Terminal(rich=False, color=False, width=120)
TTY = Terminal(rich=True, color=True, width=200)
TTY_NO_COLOR = Terminal(rich=True, color=False, width=200)

CLUSTERS = Tabular(
    ["SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION RULE", "STATE"],
    [
        ["", "8080", "-", "inbound", "ORIGINAL_DST", "", "active"],
        ["BlackHoleCluster", "-", "-", "-", "STATIC", "", "static"],
        ["reviews.default.svc.cluster.local", "9080", "v1", "outbound", "EDS", "reviews.default", "active"],
        ["warm.example.svc.cluster.local", "443", "-", "outbound", "EDS", "", "warming"],
    ],
)
SECRETS = Tabular(
    ["RESOURCE NAME", "TYPE", "STATUS", "VALID CERT", "SERIAL NUMBER", "NOT AFTER", "NOT BEFORE"],
    [
        ["default", "Cert Chain", "ACTIVE", "true", "1a2b", "2026-12-01T00:00:00Z", "2026-11-01T00:00:00Z"],
        ["ROOTCA", "CA", "WARMING", "false", "[redacted]", "-", "-"],
    ],
)
TABLES = {
    "clusters": CLUSTERS,
    "secrets": SECRETS,
    "listeners (padding 1)": Tabular(["ADDRESSES", "PORT", "MATCH", "DESTINATION"], [["0.0.0.0", "15001", "ALL", "PassthroughCluster"]], padding=1),
    "header only": Tabular(["NAME", "STATUS", "LOCALITY", "CLUSTER"]),
    "headerless": Tabular([], [["Envoy ID:", "sidecar~10.0.0.1~p.ns~ns.svc.cluster.local"], ["Istio Version:", "1.24.0"]], padding=1),
    "nothing": Tabular([]),
}


@pytest.mark.parametrize("name", TABLES)
def test_plain_path_is_render_tabular_byte_for_byte(name):
    table = TABLES[name]
    assert render_table(table, PIPED) == render_tabular(table)
    # NO_COLOR / --color never piped decide the same Terminal: plain.
    assert render_table(table, Terminal(rich=False, width=20)) == render_tabular(table)


@pytest.mark.parametrize("name", ["clusters", "secrets", "listeners (padding 1)"])
def test_rich_path_has_the_same_cells_in_the_same_order(name):
    table = TABLES[name]
    for terminal in (TTY, TTY_NO_COLOR):
        text = render_table(table, terminal)
        assert text != render_tabular(table)
        assert table_cells(text, table.columns) == table.rows
        # ... as the plain text has them ("-" placeholders included).
        assert table_cells(render_tabular(table), table.columns) == table.rows


def test_rich_header_is_bold_and_underlined_by_a_rule_not_boxed():
    text = render_table(CLUSTERS, TTY)
    header, rule = text.splitlines()[:2]
    assert header.startswith("\x1b[1mSERVICE FQDN")
    assert set(rule) == {"─"}
    assert not {"│", "┃", "┏", "╭", "|"} & set(strip_ansi(text))


def test_colour_rules_apply_to_their_columns_only():
    text = render_table(SECRETS, TTY)
    assert "\x1b[33mWARMING\x1b[0m" in text
    assert "\x1b[31mfalse\x1b[0m" in text
    assert "\x1b[32mACTIVE\x1b[0m" in text
    assert "\x1b[33mwarming\x1b[0m" in render_table(CLUSTERS, TTY)
    # "warming" in a name column stays plain: rules are per column.
    named = Tabular(["NAME", "STATE"], [["warming", "warming"]])
    assert render_table(named, TTY).count("\x1b[33m") == 1
    assert all(style in {"red", "yellow", "green"} for styles in CELL_STYLES.values() for style in styles.values())


def test_no_colour_means_no_escape_sequence_at_all():
    for table in TABLES.values():
        assert "\x1b[" not in render_table(table, TTY_NO_COLOR)


def test_cells_are_data_not_markup():
    assert "[redacted]" in strip_ansi(render_table(SECRETS, TTY))
    odd = Tabular(["NAME"], [["[bold]x[/bold] :smile:"]])
    assert table_cells(render_table(odd, TTY), ["NAME"]) == [["[bold]x[/bold] :smile:"]]


def test_a_narrow_terminal_never_breaks_an_identifier():
    # Too narrow for the longest name: istioctl's plain layout, rows running long, nothing cut or folded.
    narrow = Terminal(rich=True, color=False, width=60)
    assert render_table(CLUSTERS, narrow) == render_tabular(CLUSTERS)
    # Wide enough: the Rich layout, each identifier on one line of its own row.
    fits = Terminal(rich=True, color=False, width=105)
    text = render_table(CLUSTERS, fits)
    assert "─" in text and max(map(len, text.splitlines())) <= 105
    assert table_cells(text, CLUSTERS.columns) == CLUSTERS.rows


def test_free_text_wraps_at_word_boundaries_only():
    detail = "cluster outbound|3306||mysqldb.db.svc.cluster.local warming for 4s (endpoints or secrets not delivered)"
    table = Tabular(["POD", "CHECK", "STATUS", "DETAIL"], [["productpage-v1-abc.default", "xds-warming", "WARN", detail]], padding=3)
    text = render_table(table, Terminal(rich=True, color=False, width=100))
    lines = text.splitlines()
    assert max(map(len, lines)) <= 100 and len(lines) > 3  # the DETAIL wrapped ...
    start = lines[0].index("DETAIL")
    pieces = [line[start:].strip() for line in lines[2:]]
    assert " ".join(pieces) == detail  # ... between words: every word whole, in order
    assert "outbound|3306||mysqldb.db.svc.cluster.local" in pieces
    assert lines[2].startswith("productpage-v1-abc.default   xds-warming")


def test_headers_wrap_between_words_never_inside_one():
    table = Tabular(["CLUSTER", "VALIDATION SECRET"], [["outbound|9080||reviews.default.svc.cluster.local", "ROOTCA"]])
    text = render_table(table, Terminal(rich=True, color=False, width=62))
    assert "VALIDATION" in text.splitlines()[0] + text.splitlines()[1] and "VALIDA\n" not in text
    assert "outbound|9080||reviews.default.svc.cluster.local" in text


def test_headerless_tables_have_no_header_rule():
    table = TABLES["headerless"]
    text = render_table(table, TTY)
    assert "─" not in text
    assert [line.split(None, 2)[:2] for line in strip_ansi(text).splitlines()] == [["Envoy", "ID:"], ["Istio", "Version:"]]


def test_huge_tables_stay_plain_even_on_a_terminal():
    rows = [[f"c{i}", "80"] for i in range(RICH_MAX_ROWS + 1)]
    table = Tabular(["NAME", "PORT"], rows)
    assert render_table(table, TTY) == render_tabular(table)
    smaller = Tabular(["NAME", "PORT"], rows[:RICH_MAX_ROWS])
    assert render_table(smaller, TTY) != render_tabular(smaller)


# ---- through the command line -----------------------------------------------------------


def test_piped_pc_cluster_is_istioctl_text_and_color_never_changes_nothing():
    piped = call_meshctl("pc", "cluster", "-f", str(MESH_SMALL))
    never = call_meshctl("--color", "never", "pc", "cluster", "-f", str(MESH_SMALL))
    assert piped.exit_code == never.exit_code == 0
    assert piped.stdout == never.stdout
    assert "\x1b[" not in piped.stdout and "─" not in piped.stdout
    # istioctl's columns, warming clusters or not (they are marked on a terminal and noted on stderr)
    assert piped.stdout.splitlines()[0].split() == ["SERVICE", "FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION", "RULE"]
    assert "warm.example.svc.cluster.local" in piped.stdout
    assert "meshctl: note: 1 row warming" in piped.stderr


def test_color_always_colours_the_plain_layout_piped_and_does_not_outlive_the_run():
    plain = call_meshctl("pc", "cluster", "-f", str(MESH_SMALL)).stdout
    forced = call_meshctl("--color", "always", "pc", "cluster", "-f", str(MESH_SMALL))
    assert forced.exit_code == 0
    assert "\x1b[33mwarm.example.svc.cluster.local\x1b[0m" in forced.stdout and "\x1b[1mSERVICE FQDN\x1b[0m" in forced.stdout
    assert strip_ansi(forced.stdout) == plain  # a pipe always gets istioctl's layout, byte for byte
    assert call_meshctl("pc", "cluster", "-f", str(MESH_SMALL)).stdout == plain
    # A real process, piped, NO_COLOR overridden by the flag; FORCE_COLOR does the same.
    for args, env in ((("--color", "always"), {"COLUMNS": "200"}), ((), {"FORCE_COLOR": "1", "NO_COLOR": ""})):
        run = run_meshctl(*args, "pc", "cluster", "-f", str(MESH_SMALL), env=env)
        assert run.exit_code == 0 and "\x1b[33mwarm.example" in run.stdout
        assert strip_ansi(run.stdout) == plain


def test_bad_color_value_is_a_usage_error():
    result = call_meshctl("--color", "sometimes", "pc", "cluster", "-f", str(MESH_SMALL))
    assert result.exit_code == 2
    assert "sometimes" in result.stderr and "auto, always, never" in result.stderr
    assert result.stdout == ""


def _modules_after(argv: list[str], env: dict | None = None) -> set[str]:
    """Module names loaded by a real `meshctl ARGV` run with stdout a pipe."""
    probe = (
        "import sys, io, json\n"
        "real = sys.stdout; sys.stdout = io.StringIO()\n"
        "from meshctl.cli import main\n"
        f"code = main({argv!r})\n"
        "real.write(json.dumps([code, sorted(sys.modules)]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    code, modules = json.loads(done.stdout)
    assert code == 0, done.stderr
    return set(modules)


def test_piped_runs_do_not_import_rich():
    import os

    environ = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    for view in ("cluster", "listener", "route", "secret"):
        loaded = _modules_after(["pc", view, "-f", str(MESH_SMALL)], environ)
        assert "meshctl.render.table" in loaded  # the table path ran ...
        assert not {m for m in loaded if m.split(".")[0] == "rich"}  # ... and stayed plain
    forced = _modules_after(["--color", "always", "pc", "cluster", "-f", str(MESH_SMALL)], environ)
    assert not {m for m in forced if m.split(".")[0] == "rich"}  # colour, piped: still the plain layout


def test_inject_diff_colour_follows_the_same_decision():
    kubeinject = require_shared(ISTIO_TESTDATA / "istioctl/pkg/kubeinject/testdata")
    args = ["inject", "--diff", "-f", str(kubeinject / "deployment/hello.yaml"),
            "--meshConfigFile", str(kubeinject / "mesh-config.yaml"), "--injectConfigFile", str(kubeinject / "inject-config.yaml"),
            "--valuesFile", str(kubeinject / "inject-values.yaml")]  # fmt: skip
    piped, forced = call_meshctl(*args), call_meshctl("--color", "always", *args)
    assert piped.exit_code == forced.exit_code == 0
    assert "\x1b[" not in piped.stdout and "\n+" in piped.stdout
    assert "\x1b[32m+" in forced.stdout
    assert strip_ansi(forced.stdout) == piped.stdout
