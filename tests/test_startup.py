"""Heavy modules stay out of the start-up path (DEVELOPERS.md: `meshctl --help` must start fast)."""

import subprocess
import sys

HEAVY = ("kubernetes", "grpc", "rich", "google.protobuf", "envoy", "cryptography", "yaml", "jmespath")


def loaded_modules(code: str) -> set[str]:
    probe = code + "\nimport sys; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_importing_cli_loads_nothing_heavy():
    loaded = loaded_modules("import meshctl.cli")
    assert not {m for m in loaded if m.split(".")[0] in {h.split(".")[0] for h in HEAVY}}


def test_version_path_does_not_import_typer():
    loaded = loaded_modules("import sys, io; sys.stdout = io.StringIO()\nfrom meshctl.cli import main; main(['--version'])")
    assert "typer" not in loaded


def test_root_help_imports_no_command_module():
    loaded = loaded_modules(
        "import sys, io; sys.stdout = io.StringIO()\nfrom meshctl.cli import main; main(['--help'])"
    )
    assert not {m for m in loaded if m.startswith("meshctl.commands.")}
    assert not {m for m in loaded if m.split(".")[0] in ("kubernetes", "grpc", "rich")}
