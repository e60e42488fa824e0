"""scripts/mutation's plumbing, on a tiny project of its own: mutmut runs, a planted bug is killed, a
survivor of a weak test is reported, a function only a process started by a test reaches is
tested through that process, the equivalent-mutant list is read and goes stale, `--again` reruns
the survivors. (Mutation runs over meshctl itself are too slow for the suite: docs/testing.md.)
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _script():
    spec = importlib.util.spec_from_file_location("meshctl_mutation_script", ROOT / "scripts" / "mutation.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


TINY_CODE = '''
def shout(text):
    return text.upper() + "!"


def last(items):
    return items[-1] if items else None


def whisper(text):
    return text.lower() + "..."
'''

# test_last is weak: [7, 8][+1] is 8 too, and a non-empty list says nothing about the empty case.
TINY_TESTS = '''
import subprocess
import sys

from tiny.words import last, shout


def test_shout():
    assert shout("hi") == "HI!"


def test_last():
    assert last([7, 8]) == 8


def test_whisper_in_a_process_of_its_own():
    code = "from tiny.words import whisper; print(whisper('HI'))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "hi...\\n"
'''

STRONGER_TEST = '''

def test_last_of_three_and_of_none():
    assert last([7, 8, 9]) == 9 and last([]) is None
'''


@pytest.fixture
def tiny(tmp_path):
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "__init__.py").write_text("")
    (tmp_path / "tiny" / "words.py").write_text(TINY_CODE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_words.py").write_text(TINY_TESTS)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "tiny"\nversion = "0"\n')
    return tmp_path


def statuses(mutation, work) -> dict[str, str]:
    results = mutation.mutmut(work, "results", "--all", "true", capture=True).stdout
    return {name: status for line in results.splitlines() for name, _, status in [line.strip().rpartition(": ")] if name}


def _equivalents_doc(rows: list[tuple[str, str]]) -> str:
    lines = ["| mutant | line | why |", "| --- | --- | --- |"]
    lines += [f"| `{name}` | `{line}` | listed by the test |" for name, line in rows]
    return "\n".join(lines) + "\n"


def test_mutation_script_kills_planted_bugs_and_reports_the_survivors(tiny):
    mutation = _script()
    project = mutation.Project(tiny, "tiny", tiny / "equivalents.md")
    patterns = [mutation.mutant_glob("tiny/words.py")[1]]
    assert patterns == ["tiny.words.x[_\u01c1]*"]

    work = mutation.run(project, "tiny", ["tiny/words.py"], ["tests"])
    outcome = mutation.assess(project, work, patterns)
    score = outcome.scores["tiny.words"]
    # Every mutant of shout (upper -> lower, "!" -> "XX!XX", ...) breaks test_shout, every mutant of whisper
    # the test that runs it in another process; two of last's survive.
    survivors = {line: name for name, status, line in outcome.survivors}
    assert all(".x_last__" in name and status == "survived" for name, status, _ in outcome.survivors)
    assert "return items[+1] if items else None" in survivors and len(survivors) == 2
    assert score.checked == score.killed + 2 and score.killed >= 8 and score.equivalent == 0
    whisper = [name for name in statuses(mutation, work) if ".x_whisper__" in name]
    assert len(whisper) >= 3 and all(statuses(mutation, work)[name] == "killed" for name in whisper)
    assert mutation.print_report(outcome) == 1

    # A survivor listed with the line it makes counts as equivalent; listed with another line, it is stale.
    plus_one = survivors["return items[+1] if items else None"]
    project.doc.write_text(_equivalents_doc([(plus_one, "return items[+1] if items else None")]))
    outcome = mutation.assess(project, work, patterns)
    assert outcome.scores["tiny.words"].equivalent == 1 and len(outcome.survivors) == 1 and outcome.stale == []
    project.doc.write_text(_equivalents_doc([(plus_one, "return items[1] if items else None")]))
    outcome = mutation.assess(project, work, patterns)
    assert outcome.scores["tiny.words"].equivalent == 0 and len(outcome.stale) == 1 and plus_one in outcome.stale[0]

    # A stronger test, and --again: both survivors are killed, and the listed one is now stale.
    project.doc.write_text(_equivalents_doc([(plus_one, "return items[+1] if items else None")]))
    (tiny / "tests" / "test_words.py").write_text(TINY_TESTS + STRONGER_TEST)
    mutation.run(project, "tiny", ["tiny/words.py"], ["tests"], again=True)
    outcome = mutation.assess(project, work, patterns)
    score = outcome.scores["tiny.words"]
    assert outcome.survivors == [] and score.killed == score.checked and score.score() == "100.0%"
    assert outcome.stale == [f"{plus_one}: listed as equivalent but killed"]

    # `last` rewritten: mutmut drops the results of a changed function and makes its mutants anew, some under
    # names the last run never had; --again runs every one of them (it picks the mutants after making them).
    (tiny / "tiny" / "words.py").write_text(TINY_CODE.replace("return items[-1] if items else None", "return items[len(items) - 1] if len(items) > 0 else None"))
    mutation.run(project, "tiny", ["tiny/words.py"], ["tests"], again=True)
    last = {name: status for name, status in statuses(mutation, work).items() if ".x_last__" in name}
    assert len(last) > len(survivors) + 2 and "not checked" not in last.values(), sorted(last.items())
    assert sum(status == "killed" for status in last.values()) > len(survivors) + 2  # the new mutants ran

    # --current: no run, the results of the runs on the same code. All of them now; `shout` changed, its
    # mutants are unmeasured (the run tested the old code) while the others keep their results.
    scored = mutation.current(project, ["tiny/words.py"], [work])
    assert scored.scores["tiny.words"].checked == len(statuses(mutation, work)) and not any(s == "unmeasured" for _, s, _ in scored.survivors)
    assert [(name, status) for name, status, _ in scored.survivors] == [(name, "survived") for name, status in statuses(mutation, work).items() if status == "survived"]
    (tiny / "tiny" / "words.py").write_text((tiny / "tiny" / "words.py").read_text().replace('text.upper() + "!"', 'text.upper() + "!!"'))
    scored = mutation.current(project, ["tiny/words.py"], [work])
    unmeasured = sorted(name for name, status, _ in scored.survivors if status == "unmeasured")
    assert unmeasured and all(".x_shout__" in name for name in unmeasured)
    assert scored.scores["tiny.words"].killed == sum(s == "killed" for n, s in statuses(mutation, work).items() if ".x_shout__" not in n)


def test_test_ids_that_change_when_collected_again_are_found(tmp_path):
    """A backslash in an explicit parametrize id is escaped once more by each collection in one process, as in
    mutmut's forked runs: the script names such tests instead of recording every mutant they reach as killed."""
    mutation = _script()
    project = mutation.Project(tmp_path, "tiny", tmp_path / "equivalents.md")
    (tmp_path / "test_ids.py").write_text(
        "import pytest\n\n\n"
        '@pytest.mark.parametrize("x", [1, 2], ids=["plain words", "a \\\\n escape"])\n'
        "def test_x(x):\n    assert x\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    unstable = mutation.unstable_test_ids(project, ["test_ids.py"], [], env)
    # the id of the first collection and the one of the second (escaped again); the plain id is stable
    assert len(unstable) == 2 and all(nodeid.startswith("test_ids.py::test_x[a \\\\") for nodeid in unstable), unstable
    (tmp_path / "test_ids.py").write_text((tmp_path / "test_ids.py").read_text().replace("a \\\\n escape", "a newline escape"))
    assert mutation.unstable_test_ids(project, ["test_ids.py"], [], env) == []
