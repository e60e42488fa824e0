"""Go text/template conformance: every case of ../shared/gotemplate/corpus.jsonl.

Harness rules from the corpus README: numbers decode as float64 (parse_int=float), the
root template is named "root", no functions beyond Go's builtins; the output must be
exact, or the error must come from the same phase (parse or exec).
"""

from __future__ import annotations

import json

import pytest

from meshctl.gotemplate import Template, TemplateError

from helpers import GOTEMPLATE_CORPUS, require_shared


def _cases():
    path = GOTEMPLATE_CORPUS / "corpus.jsonl"
    if not path.exists():
        return [pytest.param(None, id="corpus-missing")]  # the test's require_shared says why
    with open(path, encoding="utf-8") as fh:
        cases = [json.loads(line, parse_int=float) for line in fh if line.strip()]
    return [pytest.param(case, id=case["name"]) for case in cases]


def run_case(case) -> tuple[str, str]:
    """("ok", output) or (phase, message), as Go's Parse + Execute[Template] would."""
    try:
        template = Template.parse(case["template"], name="root", options=case.get("options", ()))
        if case.get("exec_template"):
            return "ok", template.execute_template(case["exec_template"], case["data"])
        return "ok", template.execute(case["data"])
    except TemplateError as exc:
        return exc.phase, str(exc)


@pytest.mark.parametrize("case", _cases())
def test_corpus_case(case):
    require_shared(GOTEMPLATE_CORPUS / "corpus.jsonl")
    phase, result = run_case(case)
    if case.get("error"):
        assert phase == case["error_phase"], f"want {case['error_phase']} error ({case.get('go_error')}), got {phase}: {result!r}"
        assert result.startswith("template: ")
    else:
        assert phase == "ok", result
        assert result == case["expected"]
