"""The krew plugin manifest (packaging/krew): it names the archive archive.sh builds, and the launcher it carries."""

from __future__ import annotations

import hashlib
import subprocess
import tarfile

import yaml

from meshctl import __version__

from helpers import ROOT

KREW = ROOT / "packaging/krew"


def test_manifest_matches_the_archive_archive_sh_builds(tmp_path):
    manifest = yaml.safe_load((KREW / "meshctl.yaml").read_text())
    assert (manifest["apiVersion"], manifest["kind"], manifest["metadata"]["name"]) == ("krew.googlecontainertools.github.com/v1alpha2", "Plugin", "meshctl")
    assert manifest["spec"]["version"] == f"v{__version__}"
    (platform,) = manifest["spec"]["platforms"]
    archive = tmp_path / "kubectl-meshctl.tar.gz"
    printed = subprocess.run([str(KREW / "archive.sh"), str(archive)], capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    assert printed == hashlib.sha256(archive.read_bytes()).hexdigest() == platform["sha256"], "rebuild: packaging/krew/archive.sh, then update sha256"
    with tarfile.open(archive) as tar:
        members = {member.name: member for member in tar.getmembers()}
    assert {item["from"] for item in platform["files"]} == set(members)
    assert platform["bin"] in members and members[platform["bin"]].mode & 0o111
    assert f"/v{__version__}/" in platform["uri"]


def test_launcher_without_meshctl_says_how_to_install(tmp_path):
    result = subprocess.run([str(KREW / "kubectl-meshctl"), "--version"], capture_output=True, text=True, env={"PATH": str(tmp_path)}, timeout=30)
    assert result.returncode == 69
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1 and "pipx install istio-meshctl" in result.stderr
