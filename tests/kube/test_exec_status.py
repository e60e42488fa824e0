"""The exec status channel decides success: a missing status is a cut stream, not a success."""

import json

from meshctl.sources.kube import exec_status_problem


def test_success_status_is_no_problem():
    assert exec_status_problem(json.dumps({"metadata": {}, "status": "Success"}).encode()) == ""


def test_exit_code_is_reported():
    status = {
        "status": "Failure",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": "7"}]},
    }
    assert exec_status_problem(json.dumps(status).encode()) == "exit code 7"


def test_missing_status_means_the_stream_was_cut():
    assert "without a status" in exec_status_problem(b"")
    assert "without a status" in exec_status_problem(b"  \n")


def test_unparsable_status_is_shown_briefly():
    assert exec_status_problem(b"garbage " * 100) == ("garbage " * 100).strip()[:200]
