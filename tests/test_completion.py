"""Shell completion through the committed scripts (completions/meshctl.{bash,zsh,fish}), in the real shells.

Each case runs the shell, sources the committed script and asks it to complete a command line, so
the script, meshctl's completion protocol and the candidates are tested together: sub-commands,
`-o` values, pod names, namespaces and contexts from a fake API server. A cluster that refuses
or never answers gives no candidates and no noise, quickly (meshctl.commands.complete.BUDGET).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from helpers import ROOT, require_tool

SCRIPTS = ROOT / "completions"
BASH = """source {script}
COMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
_meshctl_completion meshctl
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
# zsh's completion system is interactive: stand-ins print what the script hands to it.
ZSH = """compdef() {{ : }}
_arguments() {{ print -r -- "$@" }}
source {script}
words=({words}); CURRENT=${{#words}}
_meshctl_completion
"""
FISH = "source {script}; complete -C {line}"


def complete(shell: str, line: str, env: dict) -> tuple[list[str], str, float]:
    """The candidates `shell` offers for `line` (its last word is being completed), stderr, seconds taken."""
    require_tool(shell, " (.ci/run installs it)")
    words = line.split(" ")
    quoted = " ".join(f'"{w}"' for w in words)
    script = SCRIPTS / f"meshctl.{shell}"
    if shell == "bash":
        argv = ["bash", "--norc", "-c", BASH.format(script=script, words=quoted)]
    elif shell == "zsh":
        argv = ["zsh", "-f", "-c", ZSH.format(script=script, words=quoted)]
    else:
        argv = ["fish", "--no-config", "-c", FISH.format(script=script, line=f"'{line}'")]
    path = f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env={**os.environ, **env, "PATH": path}, cwd=ROOT)
    seconds = time.monotonic() - started
    return candidates(shell, done.stdout), done.stderr, seconds


def candidates(shell: str, out: str) -> list[str]:
    """The candidates in a shell's answer, sorted (fish sorts them itself)."""
    if shell == "zsh":  # _arguments '*: :(("short" "json":"help" ...))'
        import re

        return sorted(re.findall(r'(?:^|[( \n])"((?:[^"\\]|\\.)*)"', out))
    return sorted(line.split("\t")[0] for line in out.splitlines() if line)


@pytest.fixture
def cluster(fake_kube):
    from fakekube import istio_pod, namespace

    fake_kube.add(namespace("bookinfo"), namespace("shop"), istio_pod("reviews-v1-abc", "bookinfo"), istio_pod("ratings-v1-def", "bookinfo"),
                  istio_pod("cart-v1-xyz", "shop"))  # fmt: skip
    return {"KUBECONFIG": str(fake_kube.kubeconfig_path)}


SHELLS = ("bash", "zsh", "fish")


@pytest.mark.kube
@pytest.mark.parametrize("shell", SHELLS)
def test_commands_and_output_formats(shell, cluster):
    assert complete(shell, "meshctl pc clu", cluster)[0] == ["cluster"]
    assert complete(shell, "meshctl pc cluster -o ", cluster)[0] == ["json", "short", "wide", "yaml"]
    assert complete(shell, "meshctl check -o j", cluster)[0] == ["json", "junit"]


@pytest.mark.kube
@pytest.mark.parametrize("shell", SHELLS)
def test_pods_namespaces_and_contexts_from_the_cluster(shell, cluster):
    assert complete(shell, "meshctl pc cluster -n bookinfo r", cluster)[0] == ["ratings-v1-def", "reviews-v1-abc"]
    assert complete(shell, "meshctl pc secret cart-v1-xyz.", cluster)[0] == ["cart-v1-xyz.shop"]
    assert complete(shell, "meshctl pc listener -n ", cluster)[0] == ["bookinfo", "shop"]
    assert complete(shell, "meshctl pc route --context ", cluster)[0] == ["fake"]


@pytest.mark.parametrize("shell", SHELLS)
def test_an_unreachable_or_silent_cluster_gives_nothing_quickly(shell, tmp_path):
    silent = socket.socket()  # accepts connections (backlog) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        for port in (1, silent.getsockname()[1]):  # refused, then silent
            kubeconfig = tmp_path / f"k{port}"
            kubeconfig.write_text(
                "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{port}', insecure-skip-tls-verify: true}}}}]\n"
                "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n"
            )
            found, stderr, seconds = complete(shell, "meshctl pc cluster ", {"KUBECONFIG": str(kubeconfig)})
            # nothing from meshctl (bash and fish then offer file names, as for any word they cannot complete)
            assert shell in ("bash", "fish") or found == []
            assert "meshctl" not in stderr and "Traceback" not in stderr
            # one second of cluster budget, plus the interpreter's start-up: far from a request timeout (120 s)
            assert seconds < 20, seconds
    finally:
        silent.close()
