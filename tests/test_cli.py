"""The root command: version, help, exit codes, the error boundary."""

import json
import os
import re
import subprocess
import sys

import pytest

from meshctl import __version__
from meshctl.errors import ExitStatus

from helpers import ROOT, Result, call_meshctl, run_meshctl

SMALL_DUMP = str(ROOT / "tests/pc/data/mesh_small.json")


def test_version_names_the_project():
    result = run_meshctl("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"meshctl {__version__} (istio-meshctl")
    assert "not Solo.io" in result.stdout


def test_help_lists_exit_codes():
    result = run_meshctl("--help")
    assert (result.exit_code, result.stderr) == (0, "")
    paragraph = next(p for p in result.stdout.split("\n\n") if p.strip().startswith("Exit codes:"))
    assert " ".join(paragraph.split()) == (
        "Exit codes: 0 ok; 1 unexpected error; 2 usage; 65 bad input data (unparsable, truncated, not a config "
        "dump); 66 input file missing or unreadable; 69 source unavailable (pod, port-forward, admin API, SDS); "
        "79 check found issues / inputs differ; "
        "130 interrupted."
    )
    # and the codes it documents are the ones meshctl returns
    assert [int(code) for code in re.findall(r"[:;]\s(\d+)\s", paragraph)] == sorted(status.value for status in ExitStatus)


def test_unknown_command_is_a_usage_error():
    result = run_meshctl("no-such-command")
    assert result.exit_code == ExitStatus.USAGE
    assert result.stderr.startswith("meshctl: error: meshctl has no command 'no-such-command'\n")
    assert "Traceback" not in result.stderr


# ---- the error boundary: a bug in a command ----------------------------------------------------

PLANTED = "planted fault"
# `pc cluster` with its table function replaced by one that raises, in a fresh interpreter
FAULTY_MESHCTL = (
    "import sys, meshctl.analyze.summaries as summaries\n"
    "def fail(*args, **kwargs):\n"
    f"    raise RuntimeError({PLANTED!r})\n"
    "summaries.cluster_table = fail\n"
    "from meshctl.cli import main\n"
    "sys.exit(main())\n"
)


def test_an_unexpected_error_is_one_line_and_exit_status_1(monkeypatch):
    import meshctl.analyze.summaries as summaries

    def fail(*args, **kwargs):
        raise RuntimeError(PLANTED)

    monkeypatch.setattr(summaries, "cluster_table", fail)
    result = call_meshctl("pc", "cluster", "-f", SMALL_DUMP)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1:] == [f"meshctl: error: unexpected RuntimeError: {PLANTED} (rerun with --debug for a traceback)"]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "env"), [(["--debug"], {}), ([], {"MESHCTL_DEBUG": "1"})], ids=["--debug", "MESHCTL_DEBUG"])
def test_debug_shows_the_traceback(args, env):
    proc = subprocess.run([sys.executable, "-c", FAULTY_MESHCTL, *args, "pc", "cluster", "-f", SMALL_DUMP],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "NO_COLOR": "1", **env}, timeout=60)  # fmt: skip
    assert (proc.returncode, proc.stdout) == (1, "")
    traceback = proc.stderr[proc.stderr.index("Traceback (most recent call last):\n") :]
    assert traceback.endswith(f"RuntimeError: {PLANTED}\n")
    assert 'in fail\n' in traceback and "meshctl: error" not in proc.stderr


@pytest.mark.parametrize(("args", "env"), [(["--debug"], {}), ([], {"MESHCTL_DEBUG": "1"})], ids=["--debug", "MESHCTL_DEBUG"])
def test_debug_keeps_a_known_errors_exit_status(args, env, tmp_path):
    missing = tmp_path / "missing.json"
    proc = subprocess.run([sys.executable, "-m", "meshctl", *args, "pc", "cluster", "-f", str(missing)],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, "NO_COLOR": "1", **env}, timeout=60)  # fmt: skip
    assert (proc.returncode, proc.stdout) == (66, "")  # as without --debug: the documented status of a missing input
    assert proc.stderr.startswith("Traceback (most recent call last):\n")
    assert proc.stderr.splitlines()[-2:] == [f"meshctl.errors.InputError: file {missing} does not exist",
                                             f"meshctl: error: file {missing} does not exist"]  # fmt: skip


# ---- a reader that goes away (`meshctl ... | head`) ---------------------------------------------


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["pc", "cluster", "-f", SMALL_DUMP], ["pc", "cluster", "-f", SMALL_DUMP, "-o", "json"]],
                         ids=["version", "help", "table", "json"])  # fmt: skip
def test_output_to_a_closed_pipe_is_not_an_error(args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: every write fails with EPIPE
    try:
        proc = subprocess.run([sys.executable, "-m", "meshctl", *args], stdout=write_end, stderr=subprocess.PIPE,
                              cwd=ROOT, env={**os.environ, "NO_COLOR": "1"}, timeout=60)  # fmt: skip
    finally:
        os.close(write_end)
    assert proc.returncode == 0
    # nothing about the pipe (mesh_small.json's unknown section gives its one warning)
    assert [line for line in proc.stderr.decode().splitlines() if "warning: unknown config dump section" not in line] == []


def test_head_reading_the_first_line_of_a_big_table(tmp_path):
    clusters = [{"cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": f"outbound|80||s{i}.ns.svc.cluster.local", "type": "EDS"}}
                for i in range(20000)]  # fmt: skip
    dump = tmp_path / "big.json"
    dump.write_text(json.dumps({"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", "static_clusters": clusters}]}))
    proc = subprocess.Popen([sys.executable, "-m", "meshctl", "pc", "cluster", "-f", str(dump)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT, env={**os.environ, "NO_COLOR": "1"})  # fmt: skip
    try:
        first = proc.stdout.readline()
        proc.stdout.close()  # as `head -1` does: 1.5 MB of table is left, more than a pipe holds (1 MB at most)
        stderr = proc.stderr.read()
        proc.wait(timeout=60)
    finally:
        proc.kill()
    assert first.split() == [b"SERVICE", b"FQDN", b"PORT", b"SUBSET", b"DIRECTION", b"TYPE", b"DESTINATION", b"RULE"]
    assert (proc.returncode, stderr) == (0, b"")


# ---- each branch of the boundary, in-process ----------------------------------------------------


def test_version_goes_to_the_runs_stdout():
    from meshctl import VERSION_TEXT

    assert call_meshctl("--version") == Result(0, VERSION_TEXT + "\n", "")


def _planted(monkeypatch, exc: BaseException) -> None:
    import meshctl.analyze.summaries as summaries

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(summaries, "cluster_table", fail)


def test_an_abort_in_a_command_is_an_interruption(monkeypatch):
    import typer

    _planted(monkeypatch, typer.Abort())  # Click's answer to Ctrl-C in a prompt
    assert call_meshctl("pc", "cluster", "-f", SMALL_DUMP) == Result(130, "", "meshctl: interrupted\n")


def test_ctrl_c_before_the_command_runs_is_an_interruption(monkeypatch):
    import meshctl.commands.root as root

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(root, "build_app", interrupted)
    assert call_meshctl("pc", "cluster", "-f", SMALL_DUMP) == Result(130, "", "meshctl: interrupted\n")


def test_a_click_error_that_is_not_a_usage_error_keeps_its_status(monkeypatch):
    from meshctl import typer_fast

    click_exception, _ = typer_fast.click_errors()  # the Click that Typer runs on (its own copy)
    _planted(monkeypatch, click_exception("the planted file cannot be opened"))  # no ctx, exit_code 1
    result = call_meshctl("pc", "cluster", "-f", SMALL_DUMP)
    assert result == Result(1, "", "meshctl: error: the planted file cannot be opened\nhint: 'meshctl --help' shows the usage\n")


def test_no_arguments_prints_the_groups_help_once():
    result = call_meshctl("pc")
    assert result.exit_code == 0 and result.stdout.startswith("Usage: meshctl proxy-config ")
    assert result.stdout.endswith("\n") and not result.stdout.endswith("\n\n") and result.stdout.count("Usage:") == 1


def test_an_unknown_option_is_quoted_as_typed_with_the_commands_usage_hint():
    result = call_meshctl("pc", "cluster", "--nothingX")
    assert result == Result(2, "", "meshctl: error: no such option: --nothingX\nhint: 'meshctl proxy-config cluster --help' shows the usage\n")


def test_a_typo_close_to_many_commands_gets_the_three_closest():
    import click

    from meshctl.cli import usage_error_lines

    names = ["status1", "status12", "status123", "status1234", "status12345"]  # each less like "status" than the one before
    group = click.Group("meshctl", commands={name: click.Command(name) for name in names})
    exc = click.UsageError("No such command 'status'.", click.Context(group, info_name="meshctl"))  # as Click says it
    assert usage_error_lines(exc) == ("meshctl has no command 'status'", "did you mean 'status1' or 'status12' or 'status123'? ('meshctl --help' lists the commands)")


def test_a_typo_close_to_two_options_gets_both_in_click_s_order():
    result = call_meshctl("pc", "cluster", "--directio")
    assert result.exit_code == 2 and result.stderr.splitlines() == [
        "meshctl: error: no such option: --directio",
        "hint: did you mean --direction or --selector? ('meshctl proxy-config cluster --help' shows the usage)",
    ]


@pytest.mark.parametrize(("text", "sentence"), [
    ("No such option: -x.", "no such option: -x"),
    ("Missing argument 'FILE'.", "missing argument 'FILE'"),
    ("TLS settings are wrong.", "TLS settings are wrong"),  # an acronym keeps its case
    ("IPv6 is not supported.", "IPv6 is not supported"),
    ("  Got 2 extra arguments.. ", "got 2 extra arguments"),
    ("A", "a"),
    ("", ""),
])  # fmt: skip
def test_click_messages_become_meshctl_sentences(text, sentence):
    from meshctl.cli import _sentence

    assert _sentence(text) == sentence


@pytest.mark.parametrize(("args", "words"), [
    (["snapshot", "diff", "a", "b"], ("snapshot", "diff")),
    (["--color", "never", "snapshot", "capture", "p"], ("snapshot", "capture")),  # --color's value is not a command
    (["--debug", "pc", "-o", "json"], ("pc", "json")),  # only the root's options are known here
    (["sandbox"], ("sandbox",)),
    (["--version"], ()),
])  # fmt: skip
def test_the_command_words_skip_the_roots_options(args, words):
    from meshctl.cli import _command_path

    assert _command_path(args) == words


@pytest.mark.parametrize(("args", "collected"), [
    (["pc", "cluster"], False),
    (["snapshot", "diff", "a", "b"], False),  # reads dumps one by one, like any other command
    (["snapshot", "capture"], True),
    (["--color", "never", "sandbox"], True),
])  # fmt: skip
def test_the_cyclic_collector_is_paused_for_a_run_unless_it_streams(args, collected):
    import gc

    from meshctl.cli import _gc_policy
    from meshctl.env import Env

    assert gc.isenabled()
    with _gc_policy(args, Env(), process_run=False):
        assert gc.isenabled() is collected
    assert gc.isenabled()  # an in-process caller gets it back


def test_an_in_process_run_leaves_the_collector_on_and_frees_what_it_kept():
    import gc

    assert call_meshctl("pc", "cluster", "-f", SMALL_DUMP).exit_code == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
