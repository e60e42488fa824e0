"""The root command: version, help, exit codes, the error boundary."""

from meshctl import __version__
from meshctl.errors import ExitStatus

from helpers import run_meshctl


def test_version_names_the_project():
    result = run_meshctl("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"meshctl {__version__} (istio-meshctl")
    assert "not Solo.io" in result.stdout


def test_help_lists_exit_codes():
    result = run_meshctl("--help")
    assert result.exit_code == 0
    for code in ("65", "69", "79"):
        assert code in result.stdout


def test_unknown_command_is_a_usage_error():
    result = run_meshctl("no-such-command")
    assert result.exit_code == ExitStatus.USAGE
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr
