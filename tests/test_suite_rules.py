"""tests/suite_rules.py itself: strict mode turns missing prerequisites and skips into failures, and a
test whose markers do not say what it ran fails. Each case runs a small suite in a fresh pytest."""

from __future__ import annotations

import pytest

from helpers import ROOT

PREREQUISITES = '''
import os
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from helpers import require_shared


def test_needs_shared_data():
    require_shared(Path("/nonexistent/istio-testdata"))


def test_skips_for_another_reason():
    pytest.skip("no reason that strict mode knows")


@settings(max_examples=5)
@given(st.integers())
def test_hypothesis_profile(number):
    # CI: the same examples every run and nothing saved; developers: random, with a database
    strict = os.environ.get("MESHCTL_STRICT") == "1"
    assert settings.default.derandomize is strict
    assert (settings.default.database is None) is strict
'''

MARKERS = '''
import subprocess
import sys

import pytest


@pytest.mark.kube
def test_marked_kube_but_runs_nothing():
    pass


def test_runs_the_fake_api_server_unmarked():
    from fakekube import FakeKube

    with FakeKube():
        pass


def test_runs_meshctl_sandbox_unmarked():
    # the command line of `meshctl sandbox` (python -c exits before -m is read): Envoy, for the rules
    subprocess.run([sys.executable, "-c", "pass", "-m", "meshctl", "sandbox"], check=True)


@pytest.mark.slow
def test_marked_slow_but_fast():
    pass


@pytest.fixture(scope="module")
def shared_fake():
    from fakekube import FakeKube

    with FakeKube() as kube:
        yield kube


def test_starts_a_module_fixture_unmarked(shared_fake):
    pass


def test_uses_the_module_fixture_unmarked(shared_fake):  # started before this test: still its fixture
    pass
'''


@pytest.fixture
def suite(pytester, monkeypatch):
    pytester.makeconftest('pytest_plugins = ("helpers.suite_rules",)')
    pytester.makeini("[pytest]\nmarkers =\n    envoy\n    kube\n    kubectl\n    slow\n")
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "tests"))
    monkeypatch.delenv("MESHCTL_STRICT", raising=False)
    return pytester


def test_developers_get_skips_with_reasons(suite):
    suite.makepyfile(test_sample=PREREQUISITES)
    result = suite.runpytest_subprocess("-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED * shared test data not found at /nonexistent/istio-testdata (clone without ../shared)"])
    assert not (suite.path / ".hypothesis").exists()


def test_strict_mode_fails_a_missing_prerequisite_and_any_skip(suite, monkeypatch):
    suite.makepyfile(test_sample=PREREQUISITES)
    monkeypatch.setenv("MESHCTL_STRICT", "1")
    result = suite.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*shared test data not found at /nonexistent/istio-testdata (clone without ../shared); MESHCTL_STRICT=1 (CI) needs it: see .ci/run",
        "*MESHCTL_STRICT=1: skipped tests fail the run*",
        "test_sample.py::test_skips_for_another_reason: Skipped: no reason that strict mode knows",
    ])  # fmt: skip
    assert not (suite.path / ".hypothesis").exists()


def test_markers_must_say_what_the_test_ran(suite):
    suite.makepyfile(test_sample=MARKERS)
    result = suite.runpytest_subprocess()
    result.assert_outcomes(failed=6)
    result.stdout.fnmatch_lines([
        "*_ test_marked_kube_but_runs_nothing _*",
        "markers must say what the test does: it is marked kube but never runs kube",
        "*_ test_runs_the_fake_api_server_unmarked _*",
        "markers must say what the test does: it runs kube but has no @pytest.mark.kube",
        "*_ test_runs_meshctl_sandbox_unmarked _*",
        "markers must say what the test does: it runs envoy but has no @pytest.mark.envoy",
        "*_ test_marked_slow_but_fast _*",
        "markers must say what the test does: it is marked slow but took 0.* s (slow: over 3 s)",
        "*_ test_starts_a_module_fixture_unmarked _*",
        "markers must say what the test does: it runs kube but has no @pytest.mark.kube",
        "*_ test_uses_the_module_fixture_unmarked _*",
        "markers must say what the test does: it runs kube but has no @pytest.mark.kube",
    ])  # fmt: skip


def test_time_is_not_judged_under_mutmut(suite, monkeypatch):
    """mutmut's trampolines and tracing slow every test: under it only the markers' other rules apply."""
    suite.makepyfile(test_sample=MARKERS)
    monkeypatch.setenv("MUTANT_UNDER_TEST", "stats")
    result = suite.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=5)
    assert "test_marked_slow_but_fast" not in "\n".join(line for line in result.stdout.lines if "markers must say" in line or "_ test_" in line)


def test_a_fixture_is_known_by_where_it_is_defined_not_only_by_its_name(suite):
    """Two modules may each define a module fixture of the same name: the one of the first starts the fake API
    server, the other starts nothing, and a test of the second needs no marker."""
    fixture = '''
import pytest


@pytest.fixture(scope="module")
def mesh():
    {body}


def test_uses_its_mesh(mesh):
    pass
'''
    starts = "from fakekube import FakeKube\n\n    with FakeKube() as kube:\n        yield kube"
    suite.makepyfile(test_a_starts=fixture.format(body=starts).replace("def test_uses", "@pytest.mark.kube\ndef test_uses"),
                     test_b_plain=fixture.format(body="yield None"))  # fmt: skip
    result = suite.runpytest_subprocess("test_a_starts.py", "test_b_plain.py")
    result.assert_outcomes(passed=2)
