"""Execution limits (meshctl.gotemplate.limits): what counts as a step, where output is measured."""

from __future__ import annotations

import pytest

from meshctl.gotemplate import LimitExceeded, Limits, TemplateError, render
from meshctl.gotemplate.host import HostAccess
from meshctl.gotemplate.sprig import txt_func_map

FUNCS = txt_func_map(HostAccess.local())


def run(text: str, **limits) -> str:
    return render(text, {}, funcs=FUNCS, limits=Limits(**limits))


def limit_of(text: str, **limits) -> str:
    with pytest.raises(LimitExceeded) as info:
        run(text, **limits)
    assert isinstance(info.value, TemplateError) and info.value.phase == "exec"
    return info.value.limit


def test_defaults_match_the_command_options():
    from meshctl.commands._template_options import DEFAULT_MAX_OUTPUT, DEFAULT_MAX_STEPS

    assert (Limits().max_steps, Limits().max_output) == (DEFAULT_MAX_STEPS, DEFAULT_MAX_OUTPUT)


def test_range_iterations_and_list_elements_are_steps():
    # until 10 builds 10 elements, then 10 iterations
    assert run("{{ range until 10 }}.{{ end }}", max_steps=20) == ".........."
    assert limit_of("{{ range until 10 }}.{{ end }}", max_steps=19) == "max_steps"
    # a list too long for what is left is refused before it is built
    assert limit_of("{{ until 21 | len }}", max_steps=20) == "max_steps"
    assert run("{{ range $i, $c := dict \"a\" 1 \"b\" 2 }}{{ $i }}{{ end }}", max_steps=4) == "ab"


def test_template_calls_are_steps():
    text = '{{ define "t" }}x{{ end }}{{ template "t" }}{{ template "t" }}{{ template "t" }}'
    assert run(text, max_steps=3) == "xxx"
    assert limit_of(text, max_steps=2) == "max_steps"


def test_strings_built_count_a_step_per_256_characters():
    assert run('{{ repeat 1024 "x" | len }}', max_steps=4) == "1024"
    assert limit_of('{{ repeat 1024 "x" | len }}', max_steps=3) == "max_steps"


def test_output_and_built_strings_are_measured_against_max_output():
    assert run("{{ \"abc\" }}de", max_output=5) == "abcde"
    assert limit_of("{{ \"abc\" }}def", max_output=5) == "max_output"
    assert limit_of('{{ repeat 6 "x" | len }}', max_output=5) == "max_output"
    assert limit_of("abcdef", max_output=5) == "max_output"


def test_messages_name_the_limit_and_the_template():
    with pytest.raises(LimitExceeded, match=r"^template: t: stopped after 5 execution steps .*: the template step limit$"):
        render("{{ range until 3 }}{{ end }}", {}, name="t", funcs=FUNCS, limits=Limits(max_steps=5))
    with pytest.raises(LimitExceeded, match=r"^template: t: output .* exceeds 2 bytes: the template output limit$"):
        render("abc", {}, name="t", funcs=FUNCS, limits=Limits(max_output=2))


def test_functions_called_outside_an_execution_have_no_step_budget():
    assert len(FUNCS["until"](2_000_000)) == 2_000_000
