"""The architecture, checked (docs/architecture.md): import directions, no cycles, no private names
taken across packages, and one way of importing test helpers.

Every `import` and `from ... import` statement counts, inside functions too (a lazy import is still
a dependency); imports under ``if TYPE_CHECKING:`` are annotations only and do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from helpers import ROOT

PACKAGE = ROOT / "meshctl"

# layer -> the layers it may import (besides itself and the leaf packages). Data flows one way:
# sources -> decode -> analyze -> render -> commands; model and errors are below everything.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "model": {"errors"},
    "archive": {"errors", "model"},
    "decode": {"errors", "model"},
    "sources": {"errors", "model", "archive"},
    "analyze": {"errors", "model", "decode"},
    "inject": {"errors", "model", "decode", "analyze"},
    "render": {"errors", "model", "decode", "analyze", "inject"},
    "snapshot": {"errors", "model", "archive", "sources", "decode", "analyze"},
    "sandbox": {"errors", "model", "sources"},
    "app": {"errors", "model", "archive", "sources", "decode", "analyze", "inject", "render", "snapshot", "sandbox"},
}
# Packages that import nothing of meshctl but each other (Go's encoders, the template engine on
# them): anyone may import them.
LEAF_PACKAGES = {"goenc", "gotemplate", "redact"}
# Top-level modules and packages -> layer.
LAYER_OF = {
    "__init__": "errors", "__main__": "app", "errors": "errors",
    "cli": "app", "env": "app", "emit": "app", "typer_fast": "app", "commands": "app",
    "model": "model", "archive": "archive", "decode": "decode", "sources": "sources", "analyze": "analyze",
    "inject": "inject", "render": "render", "snapshot": "snapshot", "sandbox": "sandbox",
}  # fmt: skip


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def imports(path: Path, root: Path = ROOT):
    """(line, imported module, names) for each import statement outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(), str(path))
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for statement in node.body for child in ast.walk(statement)}
    own = module_name(path, root)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = own.split(".") if is_package(path) else own.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target, tuple(alias.name for alias in node.names)


def top(module: str) -> str:
    """meshctl.analyze.mtls.client -> analyze; meshctl -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def product_files(root: Path = ROOT) -> list[Path]:
    return sorted(p for p in (root / "meshctl").rglob("*.py") if "__pycache__" not in p.parts)


def meshctl_imports(root: Path = ROOT):
    """(file, line, importer module, imported module, names) for every import of meshctl code."""
    for path in product_files(root):
        for line, target, names in imports(path, root):
            if target == "meshctl" or target.startswith("meshctl."):
                yield path.relative_to(root), line, module_name(path, root), target, names


def test_every_top_level_module_has_a_layer():
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in product_files()}
    assert tops - LAYER_OF.keys() - LEAF_PACKAGES == set(), "add the new package to LAYER_OF (and docs/architecture.md)"


def upward_imports(root: Path = ROOT) -> list[str]:
    """Imports against the layer rule, as ``file:line: what``."""
    wrong = []
    for path, line, importer, target, _ in meshctl_imports(root):
        source, destination = top(importer), top(target)
        if destination in LEAF_PACKAGES or source == destination:
            continue
        if source in LEAF_PACKAGES:
            wrong.append(f"{path}:{line}: leaf package {source} imports {target}")  # (a leaf target passed above)
            continue
        layer, wanted = LAYER_OF[source], LAYER_OF.get(destination, destination)
        if layer != wanted and wanted not in ALLOWED[layer]:
            wrong.append(f"{path}:{line}: {layer} ({importer}) imports {wanted} ({target})")
    return wrong


def private_imports(root: Path = ROOT) -> list[str]:
    """Private names (or modules) imported from another package, as ``file:line: what``."""
    wrong = []
    for path, line, importer, target, names in meshctl_imports(root):
        importer_package = importer if is_package(path) else importer.rpartition(".")[0]
        target_package = target.rpartition(".")[0]
        private = [name for name in names if name.startswith("_") and not name.startswith("__")]
        private_modules = [part for part in target.split(".") if part.startswith("_") and not part.startswith("__")]
        if (private or private_modules) and target_package != importer_package and target != importer_package:
            wrong.append(f"{path}:{line}: {importer} takes {', '.join(private or private_modules)} from {target}")
    return wrong


def import_cycles(root: Path = ROOT) -> list[str]:
    """Cycles of the module import graph, as ``a -> b -> a``."""
    graph: dict[str, set[str]] = {}
    known = {module_name(p, root) for p in product_files(root)}
    for _, _, importer, target, names in meshctl_imports(root):
        edges = graph.setdefault(importer, set())
        # `from meshctl.x import y` imports module meshctl.x.y when there is one, else meshctl.x
        modules = [f"{target}.{name}" for name in names if f"{target}.{name}" in known]
        for module in modules or [target]:
            if module in known and module != importer:
                edges.add(module)
    cycles = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def test_imports_go_down_the_layers():
    wrong = upward_imports()
    assert not wrong, "imports against the layer rule (docs/architecture.md):\n" + "\n".join(wrong)


def test_no_private_name_is_imported_across_packages():
    wrong = private_imports()
    assert not wrong, "private names taken from another package:\n" + "\n".join(wrong)


def test_the_import_graph_has_no_cycle():
    cycles = import_cycles()
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_checks_see_planted_faults(tmp_path):
    # Each check run on a small planted tree: an upward, lazy import of a private name; a cycle
    # through a function-level import; and an import only for annotations (which does not count).
    def plant(name: str, text: str) -> None:
        path = tmp_path / "meshctl" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    plant("__init__.py", "")
    plant("decode/__init__.py", "")
    plant("render/__init__.py", "")
    plant("decode/bad.py", "def f():\n    from meshctl.render.text import _align\n")
    plant("render/text.py", "from meshctl.decode.bad import f\n\ndef _align():\n    pass\n")
    plant("decode/typed.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from meshctl.render.text import _align\n")
    assert upward_imports(tmp_path) == ["meshctl/decode/bad.py:2: decode (meshctl.decode.bad) imports render (meshctl.render.text)"]
    assert private_imports(tmp_path) == ["meshctl/decode/bad.py:2: meshctl.decode.bad takes _align from meshctl.render.text"]
    assert import_cycles(tmp_path) == ["meshctl.decode.bad -> meshctl.render.text -> meshctl.decode.bad"]


# ---- tests: one way of importing helpers ----------------------------------------------------------


def helper_and_test_files() -> list[Path]:
    return sorted(p for p in (ROOT / "tests").rglob("*.py") if "__pycache__" not in p.parts and "fakekube" not in p.parts)


@pytest.mark.parametrize("path", helper_and_test_files(), ids=lambda p: str(p.relative_to(ROOT / "tests")))
def test_tests_import_helpers_one_way(path):
    test_modules = {p.stem for p in (ROOT / "tests").rglob("test_*.py")}
    wrong = []
    for line, target, _ in imports(path):
        first = target.split(".")[0]
        if first in ("conftest", "tests") or target.startswith("."):
            wrong.append(f"{line}: {target}")
        elif first in test_modules or any(part.startswith("test_") for part in target.split(".")[1:]):
            wrong.append(f"{line}: {target} (a test module: move what it shares to tests/helpers/)")
    tree = ast.parse(path.read_text())
    relative = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level]
    wrong += [f"{line}: relative import" for line in relative]
    assert not wrong, "import helpers as `from helpers... import` or `from fakekube import` (pyproject pythonpath):\n" + "\n".join(wrong)
