"""Mutation testing of the modules where a silent bug does most harm (docs/testing.md), with mutmut.

Run through `scripts/mutation` (it sets up .venv from pyproject.toml's `test` extra first):

    scripts/mutation sort redact             # groups (see GROUPS below, or --list)
    scripts/mutation meshctl/analyze/order.py --tests tests/pc
    scripts/mutation 'meshctl/sources/kube.py::KubeClient.exec_in' --tests tests/kube
    scripts/mutation --report sort           # the report of the last run again, without running
    scripts/mutation --again sort            # after adding tests: the mutants not killed, again
    scripts/mutation --root /tmp/main sort   # another checkout (`git archive main`): the score before

Each run works in `.mutation/<name>/` (git-ignored), made afresh: a pyproject.toml (the project's,
plus a `[tool.mutmut]` table naming the files to mutate and the tests to run) and links to the
rest of the project root. mutmut copies it into `mutants/`, turns every function of the chosen
files into a trampoline, runs the chosen tests once to learn which tests reach which function, and
then, for each mutant, only those tests (`pytest -x`, in a process forked per mutant, with a
CPU-time budget). Tests that start meshctl as a process see the mutant too (PYTHONPATH).
The report counts, per module, the mutants killed (a test failed, or the mutant ran out of its
CPU-time budget) against those that are not equivalent: docs/testing.md lists every equivalent
mutant with the line it changes and why no test can tell; a listed mutant whose line changed, or
that a test now kills, is reported as stale. A mutant no test reaches ("no tests") counts as survived.

The process runs at nice 10, one mutant at a time: the machines have 2 cores shared by several people.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Project:
    """A project to mutate: its root, the package under it, and the document that lists its equivalent mutants."""

    root: Path
    package: str
    doc: Path

    @property
    def work(self) -> Path:
        """Where runs happen (git-ignored)."""
        return self.root / ".mutation"


MESHCTL = Project(ROOT, "meshctl", ROOT / "docs" / "testing.md")
# Not linked into a run's directory: tools' state, and what mutmut makes itself.
NOT_COPIED = {".git", ".venv", ".mutation", ".pytest_cache", ".hypothesis", "mutants", "build", "dist", "__pycache__"}


@dataclass(frozen=True)
class Group:
    """Modules mutated together, and the test directories that may kill their mutants."""

    targets: tuple[str, ...]  # files, or file::function (a function of a class: file::Class.method)
    tests: tuple[str, ...]


# Exit codes and the error boundary; filters and sort order (with the pdqsort port); check rules;
# the mTLS and request verdicts; redaction and archive scrubbing; the port-forward/exec source.
GROUPS: dict[str, Group] = {
    # test_process_exit*.py: how the process ends (`run`, `exit_now`); test_short_reason.py: errors.short_reason
    "cli": Group(
        ("meshctl/cli.py", "meshctl/errors.py"),
        (
            "tests/test_cli.py",
            "tests/test_exit_codes.py",
            "tests/test_seams.py",
            "tests/test_typer_fallback.py",
            "tests/test_process_exit.py",
            "tests/test_process_exit_pinned.py",
            "tests/test_short_reason.py",
        ),
    ),
    "sort": Group(("meshctl/analyze/filters.py", "meshctl/analyze/order.py"), ("tests/pc", "tests/describe")),
    "check": Group(("meshctl/analyze/check.py",), ("tests/check", "tests/verdicts")),
    "mtls": Group(
        ("meshctl/analyze/mtls/__init__.py", "meshctl/analyze/mtls/client.py", "meshctl/analyze/mtls/server.py", "meshctl/analyze/mtls/verdict.py"),
        ("tests/mtls", "tests/check", "tests/verdicts"),
    ),
    "request": Group(("meshctl/analyze/request.py",), ("tests/request",)),
    "redact": Group(
        ("meshctl/redact/__init__.py", "meshctl/redact/candidates.py", "meshctl/redact/der.py", "meshctl/redact/scan.py", "meshctl/archive/scrub.py"),
        ("tests/redact", "tests/snapshot/test_snapshot_scrub.py", "tests/hostile/test_snapshot_scrubbing.py"),
    ),
    "sources": Group(
        (
            "meshctl/sources/pod.py",
            "meshctl/sources/kube.py::KubeClient.fetch_from_pod",
            "meshctl/sources/kube.py::KubeClient.exec_in",
            "meshctl/sources/kube.py::KubeClient.open_stream",
            "meshctl/sources/kube.py::KubeClient.open_websocket",
            "meshctl/sources/kube.py::KubeClient._stream_request",
            "meshctl/sources/kube.py::KubeClient._stream_error",
            "meshctl/sources/kube.py::KubeClient.open_port_forward",
            "meshctl/sources/kube.py::KubeClient.port_forward",
            "meshctl/sources/kube.py::KubeClient.get",
            "meshctl/sources/kube.py::KubeClient._api_error",
            "meshctl/sources/kube.py::_read_channels",
            "meshctl/sources/kube.py::_bound_frames",
            "meshctl/sources/kube.py::_read_limited",
            "meshctl/sources/kube.py::status_message",
            "meshctl/sources/kube.py::exec_status_problem",
            "meshctl/sources/kube.py::_verb",
            "meshctl/sources/kube.py::_pod_name",
            "meshctl/sources/kubehttp.py",
            "meshctl/sources/deadline.py",
        ),
        # tests/hostile: only the files about API, exec and port-forward streams (the rest is slow and reaches none of it)
        ("tests/kube", "tests/snapshot/test_forwarded_stream.py", "tests/check/test_fleet.py",
         "tests/hostile/test_slow_servers.py", "tests/hostile/test_frame_bombs.py"),
    ),
    # http11.py: the HTTP/1.1 answers of the port-forward's Envoy admin API and of the websocket upgrade (kubews.py),
    # and of the API server's GETs (kubehttp.py, in `sources`); tests/kube has the tests of all three callers
    "portforward": Group(
        ("meshctl/sources/portforward.py", "meshctl/sources/kubews.py", "meshctl/sources/http11.py"),
        ("tests/kube", "tests/snapshot/test_forwarded_stream.py"),
    ),
}

KILLED = {"killed", "timeout", "segfault"}  # a test failed, or the mutant hung or crashed its tests


def mutant_glob(target: str) -> tuple[str, str]:
    """(file, mutmut name pattern) for a target: a file, or ``file::function`` / ``file::Class.method``."""
    path, _, function = target.partition("::")
    module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    if not function:
        return path, f"{module}.x[_\u01c1]*"  # its functions and methods, not a package's submodules
    cls, _, method = function.rpartition(".")
    return path, f"{module}.x\u01c1{cls}\u01c1{method}__mutmut_*" if cls else f"{module}.x_{function}__mutmut_*"


# Written into `mutants/` (first on the PYTHONPATH of every process a test starts): during mutmut's stats run,
# a process a test started writes the functions it reached to MESHCTL_MUTATION_HITS/<pid> at exit.
_SITECUSTOMIZE = """
import atexit
import os

if os.environ.get("MUTANT_UNDER_TEST") == "stats" and os.environ.get("MESHCTL_MUTATION_HITS"):
    from mutmut import configuration

    _cwd = os.getcwd()
    os.chdir(os.path.dirname(os.environ["MESHCTL_MUTATION_HITS"]))  # mutmut reads its configuration from the run's directory
    try:
        configuration.config()
    finally:
        os.chdir(_cwd)

    def _write_hits():
        from mutmut.state import state

        if state()._stats:
            with open(os.path.join(os.environ["MESHCTL_MUTATION_HITS"], str(os.getpid())), "w") as out:
                out.write("\\n".join(sorted(state()._stats)))

    atexit.register(_write_hits)
"""

# A pytest plugin (`-p mutation_hits`): before mutmut files the functions a test reached, add those its processes reached.
_HITS_PLUGIN = """
import os

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    hits = os.environ.get("MESHCTL_MUTATION_HITS")
    if os.environ.get("MUTANT_UNDER_TEST") != "stats" or not hits or not os.path.isdir(hits):
        return
    from mutmut.state import state

    for name in os.listdir(hits):
        path = os.path.join(hits, name)
        with open(path) as reached:
            state()._stats.update(reached.read().split())
        os.remove(path)
"""


def make_workdir(project: Project, name: str, targets: list[str], tests: list[str], pytest_args: list[str]) -> Path:
    """A fresh `.mutation/<name>/`: the project's pyproject.toml with a [tool.mutmut] table, and links to the rest.

    mutmut copies the package and `also_copy` into `mutants/`, where the tests run: tests read docs/,
    completions/ and packaging/ from the project root, so everything at the root is copied.
    """
    work = project.work / name
    shutil.rmtree(work, ignore_errors=True)
    # Made now, not by mutmut: the PYTHONPATH entry for it (see run) must exist when the interpreter starts,
    # or the import system caches it as a directory with nothing in it.
    (work / "mutants").mkdir(parents=True)
    (work / "hits").mkdir()
    (work / "mutants" / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    (work / "mutants" / "mutation_hits.py").write_text(_HITS_PLUGIN)
    files = sorted({mutant_glob(t)[0] for t in targets})
    for path in files + tests:
        if not (project.root / path).exists():
            sys.exit(f"scripts/mutation: {path} does not exist")
    entries = [e.name for e in sorted(project.root.iterdir()) if e.name not in NOT_COPIED and not e.name.endswith(".egg-info") and e.name != "pyproject.toml"]
    for entry in entries:
        (work / entry).symlink_to(project.root / entry)
    also_copy = [e for e in entries if e not in (project.package, "tests")]

    def toml_list(items: list[str]) -> str:
        return "[" + ", ".join(f'"{item}"' for item in items) + "]"

    table = f"""
[tool.mutmut]
source_paths = ["{project.package}"]
also_copy = {toml_list(also_copy)}
only_mutate = {toml_list(files)}
pytest_add_cli_args_test_selection = {toml_list(tests)}
pytest_add_cli_args = {toml_list(["-p", "no:cacheprovider", "-p", "mutation_hits", *pytest_args])}
# Per-mutant CPU-time budget: (the selected tests' clean time + 1 s) * 2 * 2; past it the mutant is a timeout
# (a mutant that loops forever burns all of it: a larger budget costs minutes per such mutant).
timeout_multiplier = 2.0
"""
    text = (project.root / "pyproject.toml").read_text()
    tomllib.loads(text + table)  # fails here, not inside mutmut, if the table is not valid TOML
    (work / "pyproject.toml").write_text(text + table)
    return work


def mutmut(work: Path, *args: str, capture: bool = False, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run mutmut (from this interpreter's environment) in `work`."""
    command = [sys.executable, "-m", "mutmut", *args]
    return subprocess.run(command, cwd=work, text=True, capture_output=capture, check=False, env=env)


def mutation_env(project: Project, work: Path) -> dict[str, str]:
    """The environment of a run: reproducible tests that see the mutated copy, even in processes they start."""
    env = {key: value for key, value in os.environ.items() if key != "FORCE_COLOR"}
    env.setdefault("MESHCTL_SHARED", str(project.root.parent / "shared"))
    # Hypothesis derandomized, with no example database (tests/helpers/suite_rules.py).
    env["MESHCTL_HYPOTHESIS_PROFILE"] = "ci"
    # Tests that start `meshctl` or `python -m meshctl` as a process import the mutated copy too (the
    # trampolines read the mutant's name from MUTANT_UNDER_TEST, which mutmut sets in the environment).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(work / "mutants"), env.get("PYTHONPATH")]))
    env["MESHCTL_MUTATION_HITS"] = str(work / "hits")  # and which functions those processes reach (_SITECUSTOMIZE)
    return env


@dataclass
class Equivalent:
    """One row of docs/testing.md's equivalent mutants: the mutant, the line it makes, why no test can tell."""

    name: str
    line: str
    reason: str


def listed_equivalents(doc: Path) -> dict[str, Equivalent]:
    """The equivalent mutants `doc` (docs/testing.md) lists, by mutmut name.

    Rows look like ``| `meshctl.analyze.order.x_cluster_key__mutmut_3` | `if name.count("|") >= 2:` | why |``
    (a ``|`` inside the line is written ``\\|``).
    """
    rows = {}
    if not doc.exists():
        return rows
    for raw in doc.read_text().splitlines():
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", raw)[1:-1]]
        if len(cells) == 3 and re.fullmatch(r"`[^`]+__mutmut_\d+`", cells[0]):
            rows[cells[0].strip("`")] = Equivalent(cells[0].strip("`"), cells[1].strip("`"), cells[2])
    return rows


# Prints {mutant: the line(s) it writes} for the mutant names on stdin, in one process (a `mutmut show` each is slow).
_SHOW_LINES = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
lines = {}
for name in json.load(sys.stdin):
    diff = get_diff_for_mutant(name).splitlines()
    lines[name] = " / ".join(line[1:].strip() for line in diff if line.startswith("+") and not line.startswith("+++"))
print(json.dumps(lines))
"""


def mutated_lines(work: Path, names: list[str]) -> dict[str, str]:
    """The line(s) each mutant in `names` writes, as `mutmut show` has them (joined by ' / ')."""
    if not names:
        return {}
    shown = subprocess.run([sys.executable, "-c", _SHOW_LINES], cwd=work, input=json.dumps(names), text=True, capture_output=True, check=True)
    return json.loads(shown.stdout)


@dataclass
class ModuleScore:
    """What happened to one module's mutants."""

    statuses: Counter = field(default_factory=Counter)
    equivalent: int = 0

    @property
    def checked(self) -> int:
        """Mutants that ran (those mutmut did not run are out of the chosen targets)."""
        return sum(n for status, n in self.statuses.items() if status != "not checked")

    @property
    def killed(self) -> int:
        """Mutants a test detected (timeouts included)."""
        return sum(self.statuses[s] for s in KILLED)

    @property
    def survived(self) -> int:
        """Mutants no test detected that are not listed as equivalent ("no tests" included: no test reaches them)."""
        return self.checked - self.killed - self.equivalent

    def score(self) -> str:
        """Killed of the non-equivalent mutants, as a percentage."""
        relevant = self.checked - self.equivalent
        return f"{100 * self.killed / relevant:.1f}%" if relevant else "-"


@dataclass
class Assessment:
    """A run's results against the listed equivalents."""

    scores: dict[str, ModuleScore]
    survivors: list[tuple[str, str, str]]  # (mutant, status, the line it makes): not killed, not listed as equivalent
    stale: list[str]  # listed equivalents that a test now kills or whose line changed


def run_statuses(work: Path) -> list[tuple[str, str]]:
    """(mutant, status) of every mutant of the run in `work`, as `mutmut results --all true` prints them."""
    results = mutmut(work, "results", "--all", "true", capture=True).stdout
    return [(name, status) for line in results.splitlines() for name, _, status in [line.strip().rpartition(": ")] if name]


def assess(project: Project, work: Path, patterns: list[str], statuses: list[tuple[str, str]] | None = None) -> Assessment:
    """Count each module's mutants (those matching `patterns`) and check the survivors against the listed equivalents.

    The statuses are the last run's in `work`, or `statuses` (mutant, status) from `current`.
    """
    listed = listed_equivalents(project.doc)
    if statuses is None:
        statuses = [(name, status) for name, status in run_statuses(work) if any(fnmatch.fnmatchcase(name, p) for p in patterns)]
    lines = mutated_lines(work, [name for name, status in statuses if status not in KILLED | {"not checked", "unmeasured"}])
    outcome = Assessment({}, [], [])
    for name, status in statuses:
        module = name.split(".x_")[0].split(".x\u01c1")[0]
        score = outcome.scores.setdefault(module, ModuleScore())
        score.statuses[status] += 1
        entry = listed.get(name)
        if status == "unmeasured":  # no run tested it on this code (`current`): neither killed nor explained
            outcome.survivors.append((name, status, ""))
            continue
        if status in KILLED or status == "not checked":
            if entry is not None and status != "not checked":
                outcome.stale.append(f"{name}: listed as equivalent but {status}")
            continue
        line_now = lines[name]
        if entry is not None and line_now == entry.line:
            score.equivalent += 1
            continue
        if entry is not None:
            outcome.stale.append(f"{name}: listed as making `{entry.line}`, now makes `{line_now}`")
        outcome.survivors.append((name, status, line_now))
    return outcome


def print_report(outcome: Assessment) -> int:
    """Print the per-module scores and the unexplained survivors; 0 when every survivor is explained."""
    print(f"\n{'module':<36} {'mutants':>7} {'killed':>7} {'timeout':>7} {'equiv.':>7} {'survived':>8}  score")
    for module, s in sorted(outcome.scores.items()):
        print(f"{module:<36} {s.checked:>7} {s.killed:>7} {s.statuses['timeout']:>7} {s.equivalent:>7} {s.survived:>8}  {s.score()}")
    if outcome.survivors:
        print(f"\n{len(outcome.survivors)} mutants not killed and not listed as equivalent:")
        for name, status, line in outcome.survivors:
            print(f"  {name}  ({status}): {line}")
    for line in outcome.stale:
        print(f"stale equivalent entry: {line}")
    return 1 if outcome.survivors or outcome.stale else 0


# Collects `tests` twice in one process, as mutmut does (a forked child runs pytest again where the stats
# run already imported every test module), and prints the test ids the second collection does not match.
_COLLECT_TWICE = """
import sys, pytest

class Ids:
    def __init__(self):
        self.ids = set()

    def pytest_collection_finish(self, session):
        self.ids = {item.nodeid for item in session.items}

runs = [Ids(), Ids()]
for ids in runs:
    pytest.main(["-q", "-p", "no:cacheprovider", "--collect-only", *sys.argv[1:]], plugins=[ids])
print("\\n".join("unstable: " + nodeid for nodeid in sorted(runs[0].ids ^ runs[1].ids)))
"""


def unstable_test_ids(project: Project, tests: list[str], pytest_args, env: dict[str, str]) -> list[str]:
    """Test ids that change when their module is collected again in the same process: pytest escapes a
    backslash of an explicit parametrize id once more each time. mutmut runs a mutant's tests by the ids
    its stats run recorded, so such a test is "not found" and every mutant it reaches is recorded as killed."""
    collected = subprocess.run([sys.executable, "-c", _COLLECT_TWICE, *tests, *pytest_args], cwd=project.root, env=env,
                               text=True, capture_output=True, check=False)  # fmt: skip
    return [line.removeprefix("unstable: ") for line in collected.stdout.splitlines() if line.startswith("unstable: ")]


# The first steps of mutmut 3.8.1's `_run` (copy the project into mutants/, write the mutants, record each
# function's hash), without running anything.
_GENERATE = """
from mutmut.__main__ import copy_also_copy_files, copy_src_dir, create_mutants, set_mutant_under_test, setup_source_paths, store_lines_covered_by_tests
set_mutant_under_test("mutant_generation")
copy_src_dir()
copy_also_copy_files()
setup_source_paths()
store_lines_covered_by_tests()
create_mutants(1)
"""


def make_mutants(work: Path, env: dict[str, str]) -> None:
    """Make the mutants in `work` (and record each function's hash in its .meta files) without running any."""
    made = subprocess.run([sys.executable, "-c", _GENERATE], cwd=work, env=env, text=True, capture_output=True, check=False)
    if made.returncode:
        sys.exit(f"scripts/mutation: mutmut could not make the mutants: {made.stderr.strip().splitlines()[-1:]}")


# Prints mutmut's status name of each exit code a .meta file records (in a work directory: mutmut needs its config).
_STATUS_NAMES = """
import json
from mutmut.__main__ import status_by_exit_code
print(json.dumps({str(code): status for code, status in status_by_exit_code.items()}))
"""


def current(project: Project, targets: list[str], runs: list[Path]) -> Assessment:
    """The targets' mutants on this checkout's code, each with the result of the newest run in `runs` (work
    directories) that tested it on a function whose mutmut hash is the same; "unmeasured" where none did.

    Runs on several branches, or of several functions, make one score this way: a function's mutants (their
    numbers and lines) depend only on its code, which the hash stands for.
    """
    work = make_workdir(project, "current", targets, [], [])
    env = mutation_env(project, work)
    make_mutants(work, env)
    names = json.loads(subprocess.run([sys.executable, "-c", _STATUS_NAMES], cwd=work, env=env, text=True, capture_output=True, check=True).stdout)
    patterns = [mutant_glob(t)[1] for t in targets]
    statuses = []
    for meta in sorted(work.glob("mutants/**/*.py.meta")):
        ours = json.loads(meta.read_text())
        # the runs' .meta of the same file, newest first
        copies = [run_dir / meta.relative_to(work) for run_dir in runs if run_dir.resolve() != work.resolve()]
        theirs = [json.loads(copy.read_text()) for copy in sorted((c for c in copies if c.exists()), key=lambda c: -c.stat().st_mtime)]
        for name in ours["exit_code_by_key"]:
            if not any(fnmatch.fnmatchcase(name, p) for p in patterns):
                continue
            function = name.rsplit("__mutmut_", 1)[0].rpartition(".")[2]
            same_code = (run for run in theirs if run["hash_by_function_name"].get(function) == ours["hash_by_function_name"][function])
            code = next((run["exit_code_by_key"][name] for run in same_code if run["exit_code_by_key"].get(name) is not None), None)
            statuses.append((name, "unmeasured" if code is None else names.get(str(code), "suspicious")))
    return assess(project, work, patterns, statuses)


def run(project: Project, name: str, targets: list[str], tests: list[str], *, pytest_args=(), jobs: int = 1, again: bool = False) -> Path:
    """Run mutmut over `targets` with `tests` in `.mutation/<name>/` (afresh, or `again` for the mutants not killed:
    survivors after new tests, and those an interrupted run did not reach)."""
    work = project.work / name
    env = mutation_env(project, work)
    patterns = [mutant_glob(t)[1] for t in targets]
    unstable = unstable_test_ids(project, tests, pytest_args, {**env, "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    if unstable:
        sys.exit(f"scripts/mutation: {len(unstable)} test ids change when collected twice (no backslash in explicit ids), e.g. {unstable[0]}")
    if again:
        if not work.exists():
            sys.exit(f"scripts/mutation: --again: no earlier run in {work}")
        # Mutants first, as `mutmut run` makes them: a function changed since the last run gets new mutants with
        # no result (mutmut keeps results only for unchanged functions), and those must be picked too.
        make_mutants(work, env)
        names = [n for n, status in run_statuses(work) if status not in KILLED and any(fnmatch.fnmatchcase(n, p) for p in patterns)]
        if names:
            mutmut(work, "run", "--max-children", str(jobs), *names, env=env)
        return work
    make_workdir(project, name, targets, tests, list(pytest_args))
    whole_files = all("::" not in t for t in targets)
    mutmut(work, "run", "--max-children", str(jobs), *([] if whole_files else patterns), env=env)
    return work


def main(argv: list[str], project: Project = MESHCTL) -> int:
    """Parse arguments, run mutmut, print the report."""
    parser = argparse.ArgumentParser(prog="scripts/mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help="group names, files (meshctl/x.py) or functions (meshctl/x.py::f, ::Class.method)")
    parser.add_argument("--tests", action="append", default=[], help="test file or directory to run (repeatable; default: the groups' own)")
    parser.add_argument("--name", help="work directory name under .mutation/ (default: the group names joined)")
    parser.add_argument("--jobs", "-j", type=int, default=1, help="mutants tested at once (default 1: the cores are shared)")
    parser.add_argument("--report", action="store_true", help="only print the report of the last run")
    parser.add_argument("--again", action="store_true", help="keep .mutation/<name>/ and run the mutants not killed (after adding tests, or to finish an interrupted run)")
    parser.add_argument("--list", action="store_true", help="list the groups")
    parser.add_argument("--root", type=Path, help="measure another checkout of meshctl (e.g. `git archive main` unpacked, for a score before new tests); docs/testing.md stays this one's")
    parser.add_argument("--pytest-arg", action="append", default=[], help="extra argument for every pytest run")
    parser.add_argument("--current", action="store_true", help="run nothing: score the targets' mutants on this code with the results of earlier runs (--runs) on the same functions' code")
    parser.add_argument("--runs", action="append", type=Path, default=[], help="with --current: a run's work directory to read (repeatable; default: every .mutation/*/)")
    args = parser.parse_args(argv)
    if args.list or not args.targets:
        for name, group in GROUPS.items():
            print(f"{name:<8} {' '.join(group.targets)}\n{'':<8} tests: {' '.join(group.tests)}")
        return 0 if args.list else 2
    targets, tests = [], []
    for target in args.targets:
        group = GROUPS.get(target)
        targets += group.targets if group else [target]
        tests += group.tests if group else []
    tests = args.tests or list(dict.fromkeys(tests))
    if args.current:
        runs = args.runs or sorted(path for path in project.work.glob("*") if (path / "mutants").is_dir())
        return print_report(current(project, targets, runs))
    if not tests:
        parser.error("name the tests to run (--tests) for targets outside the groups")
    name = args.name or "-".join(t if t in GROUPS else Path(t.split("::")[0]).stem for t in args.targets)
    if args.root:
        project = Project(args.root.resolve(), project.package, project.doc)
    os.nice(10)
    # Started in the background from a script (`cmd &`, nohup), a process ignores SIGINT and every process it
    # starts inherits that: tests of Ctrl-C handling (tests/check/test_fleet.py) then fail in the stats run.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    work = project.work / name
    if not args.report:
        work = run(project, name, targets, tests, pytest_args=args.pytest_arg, jobs=args.jobs, again=args.again)
    return print_report(assess(project, work, [mutant_glob(t)[1] for t in targets]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
