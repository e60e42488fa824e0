"""Rules for the whole suite (a pytest plugin, loaded by tests/conftest.py).

Prerequisites: ../shared, the Envoy binary, kubectl and tmux are what some tests need from outside
the project. `helpers.require` is the one place that decides what their absence means: a skip with
the reason for a developer, a failure in CI, where `.ci/run` sets MESHCTL_STRICT=1. In strict mode a
skip of any other origin fails the run too (below), so nothing passes CI by not running.

Markers mean what they say (checked after every passing test, see `pytest_runtest_makereport`):
`envoy` exactly on tests that run Envoy, `kube` on tests that run the fake API server, `kubectl` on
tests that run kubectl, `slow` on tests that take seconds.

Hypothesis: derandomized with no example database in CI (a run is reproducible and writes nothing
into the tree); randomized for developers, with the database outside the tree.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from helpers import STRICT, require_envoy, require_tool

# A test "is slow" when its call takes more than SLOW_SECONDS on an idle machine.
SLOW_SECONDS = 3.0


# ---- what a test did: processes and servers it started ------------------------------------------

# Envoy processes, kubectl runs and fake API servers started in this session, counted by an audit
# hook on subprocess.Popen and by FakeKube.starts; and what the setup of each fixture of a wider
# scope started (a rig started once per module or session), so that every test using that fixture,
# not only the first, counts as running it. (A function-scoped fixture starts within its test.)
_started: Counter[str] = Counter()
_STARTED_AT = pytest.StashKey[Counter]()
_by_fixture: dict[tuple[str, str], set[str]] = {}  # (fixture name, repr of its param) -> kinds
_fixture_seconds: dict[tuple[str, str], float] = {}  # the same fixtures' setup time (slow is theirs too)


def _audit(event: str, args: tuple) -> None:
    if event != "subprocess.Popen":
        return
    argv = args[1] if isinstance(args[1], (list, tuple)) else [args[1]]
    argv = [os.fsdecode(a) if isinstance(a, (str, bytes, os.PathLike)) else str(a) for a in argv]
    program = _program(argv)
    if program == "envoy" or _runs_module(argv, "meshctl", "sandbox"):  # `meshctl sandbox` runs Envoy
        _started["envoy"] += 1
    if program == "kubectl":
        _started["kubectl"] += 1
    if _runs_module(argv, "fakekube"):
        _started["kube"] += 1


def _program(argv: list[str]) -> str:
    """What a command line runs: its first word, or what `setpriv ... --` execs (the rig runs Envoy so)."""
    names = [os.path.basename(arg) for arg in argv]
    if names[:1] == ["setpriv"] and "--" in names[:-1]:
        return names[names.index("--") + 1]
    return names[0] if names else ""


def _runs_module(argv: list[str], module: str, command: str | None = None) -> bool:
    for i in range(len(argv) - 1):
        if argv[i] == "-m" and argv[i + 1] == module:
            return command is None or command in argv[i + 2 : i + 3]
    return False


def _counts() -> Counter[str]:
    server = sys.modules.get("fakekube.server")
    return _started + Counter(kube=server.FakeKube.starts if server is not None else 0)


def _since(before: Counter[str]) -> set[str]:
    now = _counts()
    return {kind for kind in now if now[kind] > before[kind]}


def _fixture_name(fixturedef) -> str:
    """A fixture as where it is defined and its name: two modules may each define a `mesh` of their own."""
    return f"{fixturedef.baseid}::{fixturedef.argname}"


def _fixture_keys(item: pytest.Item) -> list[tuple[str, str]]:
    params = item.callspec.params if hasattr(item, "callspec") else {}
    definitions = item._fixtureinfo.name2fixturedefs  # the definitions this test uses, innermost last
    return [(_fixture_name(definitions[name][-1]) if definitions.get(name) else name, repr(params.get(name)))
            for name in item.fixturenames]  # fmt: skip


def _used(item: pytest.Item) -> dict[str, bool]:
    did = _since(item.stash[_STARTED_AT])
    for key in _fixture_keys(item):
        did |= _by_fixture.get(key, set())
    return {kind: kind in did for kind in ("envoy", "kube", "kubectl")}


def _marker_problems(item: pytest.Item, used: dict[str, bool], seconds: float, shared_seconds: float) -> list[str]:
    problems = []
    for name, did in used.items():
        marked = item.get_closest_marker(name) is not None
        if did and not marked:
            problems.append(f"it runs {name} but has no @pytest.mark.{name}")
        elif marked and not did:
            problems.append(f"it is marked {name} but never runs {name}")
    # Load only ever makes a test slower: a marked test this fast, with the module- or session-wide
    # fixtures it needs (a wheel built once for a module), is not slow on any machine; an unmarked one
    # is judged by its call against SLOW_SECONDS scaled by how busy the machine is, with 2x headroom.
    # Under mutmut (MUTANT_UNDER_TEST set: its stats pass, clean run or a mutant), every call goes through
    # a trampoline and is traced: time says nothing about the test, and a rule failing there kills the run.
    if os.environ.get("MUTANT_UNDER_TEST"):
        return problems
    marked_slow = item.get_closest_marker("slow") is not None
    busy = max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    if marked_slow and seconds + shared_seconds < SLOW_SECONDS / 3:
        problems.append(f"it is marked slow but took {seconds + shared_seconds:.2f} s (slow: over {SLOW_SECONDS:.0f} s)")
    elif not marked_slow and seconds > 2 * SLOW_SECONDS * busy:
        problems.append(f"it took {seconds:.1f} s (load {busy:.1f}x) without @pytest.mark.slow")
    return problems


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item.stash[_STARTED_AT] = _counts()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    before, began = _counts(), time.perf_counter()
    yield
    if fixturedef.scope == "function":
        return
    key = (_fixture_name(fixturedef), repr(getattr(request, "param", None)))
    _fixture_seconds[key] = time.perf_counter() - began
    started = _since(before)
    if started:
        _by_fixture.setdefault(key, set()).update(started)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.passed:
        return
    shared = sum(_fixture_seconds.get(key, 0.0) for key in _fixture_keys(item))
    problems = _marker_problems(item, _used(item), call.duration, shared)
    if problems:
        report.outcome = "failed"
        report.longrepr = "markers must say what the test does: " + "; ".join(problems)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if item.get_closest_marker("envoy") is not None:
        require_envoy()
    if item.get_closest_marker("kubectl") is not None:
        require_tool("kubectl")


# ---- strict mode: a skip is a test that did not run ---------------------------------------------

_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session, exitstatus):
    if STRICT and _skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if STRICT and _skipped:
        terminalreporter.section("MESHCTL_STRICT=1: skipped tests fail the run")
        for line in _skipped:
            terminalreporter.line(line)


# ---- Hypothesis ---------------------------------------------------------------------------------


def _hypothesis_profiles() -> None:
    from hypothesis import settings
    from hypothesis.configuration import set_hypothesis_home_dir
    from hypothesis.database import DirectoryBasedExampleDatabase

    # Hypothesis keeps caches (and by default its database) in ./.hypothesis: move them out of the tree.
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "meshctl-hypothesis"
    set_hypothesis_home_dir(home)
    settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
    settings.register_profile("dev", derandomize=False, database=DirectoryBasedExampleDatabase(str(home / "examples")))
    # scripts/mutation asks for "ci" (reproducible runs) without the rest of strict mode.
    settings.load_profile(os.environ.get("MESHCTL_HYPOTHESIS_PROFILE") or ("ci" if STRICT else "dev"))


_hypothesis_profiles()
sys.addaudithook(_audit)
