"""Templates that would run for ever or build gigabytes stop at a limit: exit 65, one line naming it.

Each runs `meshctl template render` (or `inject`) as a fresh process under a 2 GiB address-space limit
and a timeout: without the limits these end in MemoryError (exit 1) or never end.
"""

from __future__ import annotations

import pytest

from helpers.hostile import one_error_line, run_limited

STEPS = "--template-max-steps"
OUTPUT = "--template-max-output"

RUNAWAY = [
    pytest.param("{{ range until 100000000 }}x{{ end }}", STEPS, id="range-until-1e8"),
    pytest.param("{{ range until 1000 }}{{ range until 1000 }}{{ range until 1000 }}x{{ end }}{{ end }}{{ end }}",
                 STEPS, id="nested-ranges-1e9"),
    pytest.param('{{ define "a" }}{{ template "b" }}{{ template "b" }}{{ end }}'
                 '{{ define "b" }}{{ template "c" }}{{ template "c" }}{{ end }}'
                 '{{ define "c" }}{{ range until 400000 }}{{ end }}{{ end }}{{ template "a" }}', STEPS, id="template-fanout"),
    pytest.param("{{ $l := list }}{{ range until 200000 }}{{ $l = append $l . }}{{ end }}{{ len $l }}", STEPS,
                 id="quadratic-append"),
    pytest.param('{{ uniq (list (dict) (dict "a" 1) (list 1) (list 2)) }}{{ $d := list }}'
                 '{{ range until 3000 }}{{ $d = append $d (list .) }}{{ end }}{{ uniq $d | len }}', STEPS, id="uniq-pairs"),
    pytest.param('{{ $s := "x" }}{{ range until 64 }}{{ $s = cat $s $s }}{{ end }}{{ $s }}', OUTPUT, id="doubling"),
    pytest.param('{{ repeat 2000000000 "x" }}', OUTPUT, id="repeat"),
    # fmt accepts a width up to 9999999 (more overflows its parser: Go prints an error text instead)
    pytest.param('{{ indent 9999999 (repeat 200 "a\\n") }}', OUTPUT, id="istio-indent"),
    pytest.param('{{ randAlpha 2000000000 }}', OUTPUT, id="randAlpha"),
    pytest.param('{{ replace "" "0123456789" (repeat 4000000 "x") }}', OUTPUT, id="replace-amplifies"),
    pytest.param("{{ range until 400000 }}" + "0123456789" * 8 + "{{ end }}", OUTPUT, id="output"),
]


@pytest.mark.parametrize(("template", "flag"), RUNAWAY)
def test_runaway_template_stops_at_a_limit(tmp_path, template, flag):
    path = tmp_path / "t.tmpl"
    path.write_text(template)
    run = run_limited("template", "render", str(path))
    assert run.exit_code == 65, run.stderr[-2000:]
    line = one_error_line(run)
    name = "the template step limit" if flag == STEPS else "the template output limit"
    assert name in line and line.endswith(f"(raise it with {flag} N)"), line
    assert run.stdout == ""


def test_the_flags_raise_the_limits(tmp_path):
    path = tmp_path / "t.tmpl"
    path.write_text("{{ range until 5000 }}x{{ end }}")
    assert run_limited("template", "render", str(path), STEPS, "5000").exit_code == 65
    assert run_limited("template", "render", str(path), OUTPUT, "4999").exit_code == 65
    run = run_limited("template", "render", str(path), STEPS, "10001", OUTPUT, "5000")
    assert (run.exit_code, run.stdout) == (0, "x" * 5000), run.stderr


def test_injection_template_from_a_file_stops_at_the_limit(tmp_path):
    config = tmp_path / "inject-config.yaml"
    config.write_text("policy: enabled\ntemplates:\n  sidecar: |\n    {{ range until 100000000 }}x{{ end }}\n")
    pod = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n  - name: app\n    image: app\n"
    run = run_limited("inject", "-f", "-", "--injectConfigFile", str(config), stdin=pod)
    assert run.exit_code == 65
    line = one_error_line(run)
    assert line.startswith("meshctl: error: failed to run injection template: template: inject: stopped after 1000000")
    assert line.endswith(f"(raise it with {STEPS} N)")


def test_a_backtracking_regex_in_a_cluster_template_ends_at_once(tmp_path):
    # Go's regexp (RE2) is linear; Python's re takes 2^45 steps on this pod name: the template must not hang meshctl
    config = tmp_path / "inject-config.yaml"
    config.write_text('policy: enabled\ntemplates:\n  sidecar: |\n    metadata:\n      labels:\n'
                      '        nested-plus: {{ regexMatch "^(a+)+$" .ObjectMeta.Name | quote }}\n')  # fmt: skip
    name = "a" * 45 + "b"
    pod = f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: app\n    image: app\n"
    run = run_limited("inject", "-f", "-", "--injectConfigFile", str(config), stdin=pod.encode(), timeout=60)
    assert run.exit_code == 0, run.stderr[-2000:]
    assert 'nested-plus: "false"' in run.stdout
