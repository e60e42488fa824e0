"""meshctl works, only slower, when Typer's private parts it uses (meshctl.typer_fast) are absent or changed.

Each case runs meshctl in a fresh interpreter whose Typer has been altered first, and compares
what it prints with an unaltered run.
"""

import json
import subprocess
import sys

import pytest

from helpers import ROOT

MESH_SMALL = ROOT / "tests" / "pc" / "data" / "mesh_small.json"

# Altering Typer after it is imported and before meshctl.cli.main runs.
ALTERATIONS = {
    "unaltered": "",
    # A Typer without the runtime-param class and without the completion modules.
    "absent": (
        "sys.modules['typer._completion_classes'] = None\n"
        "sys.modules['typer._completion_shared'] = None\n"
        "import typer._coercion\n"
        "del typer._coercion.RuntimeParam\n"
    ),
    # A Typer whose runtime-param class takes other arguments, and whose builder moved.
    "changed": (
        "import typer._coercion, typer.core\n"
        "class RuntimeParam:\n"
        "    def __init__(self, *, descriptor):\n"
        "        raise AssertionError('meshctl must not build this')\n"
        "typer._coercion.RuntimeParam = RuntimeParam\n"
    ),
}


def run(alteration: str, *args: str) -> dict:
    """meshctl ARGS after `alteration`: exit status, stdout, stderr, and whether pydantic was imported."""
    code = (
        "import io, json, sys\n"
        "import typer, typer.main\n"
        f"{ALTERATIONS[alteration]}"
        "from meshctl.cli import main\n"
        "from meshctl.env import Env\n"
        "out, err = io.StringIO(), io.StringIO()\n"
        f"status = main({list(args)!r}, Env(stdout=out, stderr=err, environ={{}}))\n"
        "print(json.dumps({'status': status, 'stdout': out.getvalue(), 'stderr': err.getvalue(), 'pydantic': 'pydantic' in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_fast_path_avoids_pydantic():
    assert run("unaltered", "pc", "cluster", "-f", str(MESH_SMALL))["pydantic"] is False


@pytest.mark.parametrize("alteration", ["absent", "changed"])
@pytest.mark.parametrize(
    "args",
    [
        ("pc", "cluster", "-f", str(MESH_SMALL), "--port", "8080"),  # an int option, converted
        ("pc", "listener", "-f", str(MESH_SMALL), "--no-verbose", "-o", "json"),  # a bool flag
        ("pc", "route", "-f", str(MESH_SMALL), "--name", "80"),  # a str option
    ],
)
def test_meshctl_prints_the_same_without_the_private_parts(alteration, args):
    expected, got = run("unaltered", *args), run(alteration, *args)
    assert expected["status"] == 0
    assert (got["status"], got["stdout"], got["stderr"]) == (expected["status"], expected["stdout"], expected["stderr"])


@pytest.mark.parametrize("alteration", ["absent", "changed"])
@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("pc", "cluster", "-f", str(MESH_SMALL), "--port", "x"), "--port"),  # not an integer
        (("check", "--concurrency", "0"), "--concurrency"),  # out of range
    ],
)
def test_bad_values_are_still_usage_errors(alteration, args, option):
    # Typer's own conversion words the reason its way; the status and the option named are the same.
    expected, got = run("unaltered", *args), run(alteration, *args)
    assert got["status"] == expected["status"] == 2 and got["stdout"] == ""
    assert got["stderr"].startswith(f"meshctl: error: invalid value for '{option}': ")


def test_without_the_private_parts_typer_converts_options_itself():
    # Slower: Typer's own conversion (pydantic) runs where meshctl's plain one could not be installed.
    assert run("absent", "pc", "cluster", "-f", str(MESH_SMALL), "--port", "8080")["pydantic"] is True


def test_without_completion_modules_only_completion_is_unavailable():
    result = run("absent", "completion", "bash")
    assert result["status"] == 2 and "no shell completion scripts" in result["stderr"]
