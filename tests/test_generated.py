"""Files generated from the app (command reference, completion scripts) are committed fresh,
and the completion scripts really complete."""

import os
import subprocess
import sys

import pytest

from meshctl.commands.completion import SHELLS, completion_script

from helpers import ROOT

STALE = "stale: run scripts/regen and commit the result"


def test_reference_is_fresh():
    # A fresh interpreter, as scripts/regen runs it: Typer's help style is fixed when it is imported.
    generated = subprocess.run([sys.executable, "-m", "meshctl.commands.reference"], capture_output=True, text=True, check=True, timeout=120)
    assert (ROOT / "docs/reference.md").read_text() == generated.stdout, STALE


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_scripts_are_fresh(shell):
    assert (ROOT / f"completions/meshctl.{shell}").read_text() == completion_script(shell), STALE


def complete_bash(words: str) -> list[str]:
    """What the committed bash script's callback answers for the command line `words`."""
    env = {**os.environ, "_MESHCTL_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    out = subprocess.run([sys.executable, "-m", "meshctl"], env=env, capture_output=True, text=True, timeout=60)
    return out.stdout.split()


def test_bash_completion_offers_commands_and_sub_commands():
    assert {"proxy-config", "completion"} <= set(complete_bash("meshctl "))
    assert "cluster" in complete_bash("meshctl pc cl")
    assert "--fqdn" in complete_bash("meshctl pc cluster --fq")
